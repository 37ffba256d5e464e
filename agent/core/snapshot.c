/*
 * snapshot.c - snapshots (SPEC 6.5): making our own, accepting a served
 * one as the base of an origin's log, and iterating one origin's records.
 *
 * Making: the state of the origin that ks signs for, at its current head,
 * as chunks of at most BLF_MAX_OPS list and exclude operations, each
 * sealed and handed to a callback (the transport sends them).  Listings
 * that have expired by `now` are left out (they count as absent); the
 * snapshot's created is now, so every listing kept satisfies the expiry
 * rule of SPEC 5.1 against it.
 *
 * Accepting: every chunk is verified on its own (envelope, signer known
 * and a key of the snapshot's origin, signature, body), then the set is
 * checked as SPEC 6.5 asks (same origin, epoch, seq, head, created and
 * nchunks in every chunk, each chunk once, all of them, no prefix twice)
 * and against the log we hold (newer than our state; when we hold the
 * same seq, the same head).  Only then is the state built, aside, and
 * made durable as the origin's base (base.c), with an empty journal of
 * the snapshot's epoch after it: the log continues at seq + 1 with
 * prev = head.  A crash between the two leaves base + the old journal,
 * whose records are all at or below the base's seq (recovery skips them).
 * First-listed and last-changed times of the snapshot's records are its
 * created time: the snapshot does not carry them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../keys/fileio.h"
#include "core_int.h"

/* See core.h. */
int
core_origin_iter_begin(const core *c, const uint8_t origin[BLF_KEYID_LEN],
		       core_origin_iter *it)
{
	const struct origin *o = core_origin_find(c, origin);

	memset(it, 0, sizeof(*it));
	if (o == NULL)
		return BLF_ENOTFOUND;
	it->c = c;
	it->o = o;
	it->epoch = o->epoch;
	it->seq = o->seq;
	memcpy(it->head, o->head, BLF_HASH_LEN);
	return 0;
}

/* See core.h. */
int
core_origin_iter_next(core_origin_iter *it, core_origin_rec *r)
{
	const struct origin *o = it->o;
	const struct rec *x;

	if (o == NULL || it->pos >= o->nrecs)
		return 0;
	x = &o->recs[it->pos++];
	memset(r, 0, sizeof(*r));
	r->exclusion = (x->flags & REC_EXCL) != 0;
	core_origin_rec_prefix(o, x, &r->prefix);
	r->reason = x->reason;
	r->expires = r->exclusion ? 0 : x->expires;
	r->first = x->first;
	r->changed = x->changed;
	r->ref_len = core_intern_get(it->c, x->ref, it->ref);
	r->ref = r->ref_len ? it->ref : NULL;
	return 1;
}

/* Internal (core_int.h): does record x go into a snapshot made at now? */
int
core_snapshot_rec_in(const struct rec *x, uint64_t now)
{
	return (x->flags & REC_EXCL) || (x->expires > now && x->expires <= now + BLF_MAX_TTL);
}

/* See core.h. */
int
core_snapshot_make(core *c, const key_secret *ks, uint64_t now, core_chunk_fn fn, void *ctx)
{
	const trust_anchor *a = NULL;
	const struct origin *o;
	uint8_t pk[BLF_PK_LEN];
	blf_snapshot s;
	blf_buf out = { 0 };
	blf_op *ops = NULL, *dops = NULL;
	char *refs = NULL; /* the chunk's reference texts */
	size_t n = 0, i, k, nd, di = 0;
	uint32_t chunk = 0;
	int rc;

	if ((rc = trust_store_resolve(&c->trust, ks->keyid, now, &a, pk)) != 0)
		return rc;
	o = core_origin_find(c, a->origin);
	if (o == NULL || o->epoch == 0)
		return BLF_ENOTFOUND;
	for (i = 0; i < o->nrecs; i++)
		n += core_snapshot_rec_in(&o->recs[i], now);
	if ((dops = calloc(CORE_MAX_DISPUTES, sizeof(*dops))) == NULL)
		return BLF_ENOMEM;
	nd = core_dispute_ops_of(c, o->id, dops, CORE_MAX_DISPUTES); /* SPEC 5.6 */
	n += nd;
	memset(&s, 0, sizeof(s));
	memcpy(s.origin, o->id, BLF_KEYID_LEN);
	s.epoch = o->epoch;
	s.seq = o->seq;
	memcpy(s.head, o->head, BLF_HASH_LEN);
	s.created = now;
	s.nchunks = (uint32_t)(n == 0 ? 1 : (n + BLF_MAX_OPS - 1) / BLF_MAX_OPS);
	if (s.nchunks > BLF_MAX_SNAPSHOT_CHUNKS) {
		free(dops);
		return BLF_ELIMIT;
	}
	if ((ops = calloc(BLF_MAX_OPS, sizeof(*ops))) == NULL ||
	    (refs = malloc((size_t)BLF_MAX_OPS * BLF_MAX_REF_LEN)) == NULL) {
		free(ops);
		free(dops);
		return BLF_ENOMEM;
	}
	i = 0;
	for (chunk = 0; chunk < s.nchunks; chunk++) {
		for (k = 0; k < BLF_MAX_OPS && i < o->nrecs; i++) {
			const struct rec *x = &o->recs[i];
			char *rb = refs + k * BLF_MAX_REF_LEN;

			if (!core_snapshot_rec_in(x, now))
				continue;
			memset(&ops[k], 0, sizeof(ops[k]));
			core_origin_rec_prefix(o, x, &ops[k].prefix);
			ops[k].ref_len = (uint16_t)core_intern_get(c, x->ref, rb);
			ops[k].ref = ops[k].ref_len ? rb : NULL;
			if (x->flags & REC_EXCL) {
				ops[k].type = BLF_OP_EXCLUDE;
			} else {
				ops[k].type = BLF_OP_LIST;
				ops[k].reason = x->reason;
				ops[k].expires = x->expires;
			}
			k++;
		}
		/* the disputes it filed and the answers it gave come last */
		for (; k < BLF_MAX_OPS && i >= o->nrecs && di < nd; di++)
			ops[k++] = dops[di];
		s.chunk = chunk;
		s.nops = k;
		s.ops = ops;
		out.len = 0;
		if ((rc = blf_snapshot_seal(&s, ks->sk, &out)) != 0 ||
		    (rc = fn(ctx, out.data, out.len)) != 0)
			break;
	}
	blf_buf_free(&out);
	free(ops);
	free(refs);
	free(dops);
	return rc;
}

/* Verify one chunk: the signer is a current key of the snapshot's origin. */
static int
chunk_open(core *c, const uint8_t *msg, size_t len, uint64_t now, blf_snapshot *s)
{
	blf_envelope env;
	const trust_anchor *a = NULL;
	uint8_t pk[BLF_PK_LEN];
	int rc;

	memset(s, 0, sizeof(*s));
	if (len > BLF_MAX_MSG_SIZE)
		return BLF_ETOOBIG;
	if ((rc = blf_envelope_parse(msg, len, &env)) != 0)
		return rc;
	if (env.type != BLF_MSG_SNAPSHOT)
		return BLF_EWRONGTYPE;
	if ((rc = trust_store_resolve(&c->trust, env.signer, now, &a, pk)) != 0 ||
	    (rc = blf_envelope_verify(&env, pk)) != 0 ||
	    (rc = blf_snapshot_decode_body(env.body, env.body_len, s)) != 0)
		return rc;
	if (memcmp(s->origin, a->origin, BLF_KEYID_LEN) != 0) {
		blf_snapshot_free(s);
		return BLF_EUNKKEY; /* a known key signing for another origin */
	}
	return 0;
}

/* Make the new state o's: its arrays, head and an empty journal. */
static void
take_state(core *c, struct origin *o, struct origin *n)
{
	core_origin_clear(c, o);
	free(o->recs);
	free(o->a6);
	free(o->free6);
	free(o->slots);
	o->recs = n->recs;
	o->nrecs = n->nrecs;
	o->caprecs = n->caprecs;
	o->nlist = n->nlist;
	o->a6 = n->a6;
	o->n6 = n->n6;
	o->cap6 = n->cap6;
	o->free6 = n->free6;
	o->nfree6 = n->nfree6;
	o->capfree6 = n->capfree6;
	o->slots = n->slots;
	o->mask = n->mask;
	o->epoch = n->epoch;
	o->seq = n->seq;
	memcpy(o->head, n->head, BLF_HASH_LEN);
	o->base_seq = n->seq;
	o->njrecs = 0;
	o->jsize = 0;
	o->low_seq = n->seq + 1;
	c->vdirty = 1;
}

/*
 * Verify a served snapshot (every chunk on its own, then the set, SPEC
 * 6.5), into s (n zeroed entries; the caller frees them with
 * blf_snapshot_free).  Nothing changes.
 */
static int
snap_verify(core *c, const uint8_t *const *chunks, const size_t *lens, size_t n, uint64_t now,
	    blf_snapshot *s)
{
	uint8_t *seen = NULL;
	size_t i, k;
	int rc;

	if ((seen = calloc(n, 1)) == NULL)
		return BLF_ENOMEM;
	/* every chunk on its own, then the set (SPEC 6.5) */
	for (i = 0; i < n; i++)
		if ((rc = chunk_open(c, chunks[i], lens[i], now, &s[i])) != 0)
			goto out;
	rc = BLF_ECHUNK;
	for (i = 0; i < n; i++) {
		if (memcmp(s[i].origin, s[0].origin, BLF_KEYID_LEN) != 0 ||
		    s[i].epoch != s[0].epoch || s[i].seq != s[0].seq ||
		    memcmp(s[i].head, s[0].head, BLF_HASH_LEN) != 0 ||
		    s[i].created != s[0].created || s[i].nchunks != n || s[i].chunk >= n ||
		    seen[s[i].chunk])
			goto out;
		seen[s[i].chunk] = 1;
	}
	rc = BLF_ECLOCK;
	if (s[0].created > now + BLF_MAX_CLOCK_SKEW)
		goto out;
	rc = BLF_ERANGE;
	if (s[0].created > UINT32_MAX || s[0].epoch == 0 || s[0].seq == 0)
		goto out;
	for (i = 0; i < n; i++)
		for (k = 0; k < s[i].nops; k++)
			if (s[i].ops[k].type == BLF_OP_LIST && s[i].ops[k].expires > UINT32_MAX)
				goto out;
	rc = 0;
out:
	free(seen);
	return rc;
}

/* A verified snapshot against the log o we hold of its origin (NULL:
 * none): it must be newer. */
static int
snap_log_check(const struct origin *o, const blf_snapshot *s)
{
	if (o != NULL && o->frozen)
		return BLF_EFROZEN;
	if (o != NULL && o->epoch != 0) {
		if (s[0].epoch < o->epoch || (s[0].epoch == o->epoch && s[0].seq < o->seq))
			return BLF_ESTALE;
		if (s[0].epoch == o->epoch && s[0].seq == o->seq)
			return memcmp(s[0].head, o->head, BLF_HASH_LEN) == 0 ? BLF_EDUPLICATE
									    : BLF_EPREV;
	}
	/* SPEC 5.3, 6.5: a snapshot cannot burn the epoch space any more than
	 * a delta can (CORE_MAX_EPOCH_STEP above the epoch held, or above 0) */
	if ((uint64_t)s[0].epoch - (o != NULL ? o->epoch : 0) > CORE_MAX_EPOCH_STEP)
		return BLF_EEPOCH;
	return 0;
}

/* Release a state built aside; NULL is fine. */
static void
snap_tmp_free(core *c, struct origin *tmp)
{
	if (tmp == NULL)
		return;
	core_origin_clear(c, tmp);
	core_origin_free(tmp);
}

/* Start building aside the state of the snapshot whose chunk 0 is s0, room
 * for total records: 0 and *out, or BLF_ENOMEM. */
static int
snap_tmp_new(core *c, const blf_snapshot *s0, size_t total, struct origin **out)
{
	struct origin *tmp;
	int rc;

	*out = NULL;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL)
		return BLF_ENOMEM;
	memcpy(tmp->id, s0->origin, BLF_KEYID_LEN);
	blf_keyid_hex(tmp->id, tmp->hex);
	tmp->fd = -1;
	tmp->anchor = trust_store_find_origin(&c->trust, tmp->id);
	tmp->epoch = s0->epoch;
	tmp->seq = s0->seq;
	memcpy(tmp->head, s0->head, BLF_HASH_LEN);
	if ((rc = core_origin_reserve(tmp, total)) != 0) {
		snap_tmp_free(c, tmp);
		return rc;
	}
	*out = tmp;
	return 0;
}

/*
 * The disputes and answers of a snapshot being taken (SPEC 5.6), copied out
 * of its chunks as they pass (the spooled path frees each chunk before the
 * next), at most CORE_MAX_DISPUTES of them, and applied once its records
 * are the origin's state.
 */
struct snap_disp {
	blf_op ops[CORE_MAX_DISPUTES];
	char refs[CORE_MAX_DISPUTES][BLF_MAX_REF_LEN];
	size_t n;
};

/* Keep a copy of the dispute, uphold or concede op: 0, or -1 when the
 * snapshot carries more than CORE_MAX_DISPUTES of them. */
static int
snap_disp_put(struct snap_disp *sd, const blf_op *op)
{
	blf_op *d;

	if (sd->n >= CORE_MAX_DISPUTES)
		return -1;
	d = &sd->ops[sd->n];
	*d = *op;
	d->ref = NULL; /* the chunk's text goes with the chunk */
	if (op->ref_len > 0) {
		memcpy(sd->refs[sd->n], op->ref, op->ref_len);
		d->ref = sd->refs[sd->n];
	}
	sd->n++;
	return 0;
}

/* Are the collected disputes acceptable (unique keys across chunks, room
 * reserved so that applying them cannot fail)?  0 or a code. */
static int
snap_disp_check(core *c, struct snap_disp *sd)
{
	blf_snapshot one;

	memset(&one, 0, sizeof(one));
	one.ops = sd->ops;
	one.nops = sd->n;
	return core_dispute_snapshot_check(c, &one, 1);
}

/* Add the records of one verified chunk s to the state built aside (its
 * first-listed and last-changed times are created), and its disputes and
 * answers to sd: 0, BLF_EDUP (a prefix in two chunks) or BLF_ELIMIT. */
static int
snap_tmp_put(core *c, struct origin *tmp, struct snap_disp *sd, const blf_snapshot *s,
	     uint64_t created)
{
	size_t k;

	for (k = 0; k < s->nops; k++) {
		const blf_op *op = &s->ops[k];

		if (op->type != BLF_OP_LIST && op->type != BLF_OP_EXCLUDE) {
			if (snap_disp_put(sd, op) != 0)
				return BLF_ELIMIT; /* SPEC 9: refused whole */
			continue;
		}
		if (core_origin_put_rec(c, tmp, &op->prefix, op->type == BLF_OP_EXCLUDE, op->reason,
				   (uint32_t)op->expires, (uint32_t)created, (uint32_t)created,
				   op->ref, op->ref_len) != 0)
			return BLF_EDUP;
	}
	return 0;
}

/* Make the state built aside the base of its origin's log, durably: the
 * base, then an empty journal of its epoch; then its disputes sd (dated
 * created, SPEC 5.6) replace the origin's.  tmp stays the caller's. */
static int
snap_commit(core *c, struct origin *tmp, struct snap_disp *sd, uint64_t created)
{
	struct origin *o = NULL;
	char name[JNAME_MAX];
	uint32_t old_epoch;
	int rc, fd;

	if ((rc = core_origin_get(c, tmp->id, &o)) != 0 || (rc = core_base_write(c, tmp)) != 0)
		return rc; /* the old base stays unless the core failed */
	core_journal_name(name, tmp->hex, tmp->epoch, ".jnl");
	if (fio_replace(c->logfd, name, "", 0, 0600, c->cfg.no_fsync) != 0) {
		/* the new base is in place, the journal is the old one's */
		c->failed = 1;
		return BLF_EIO;
	}
	if ((fd = fio_openat(c->logfd, name, O_RDWR, 0)) < 0) {
		/* base and journal are in place; memory is behind them */
		c->failed = 1;
		return BLF_EIO;
	}
	old_epoch = o->fd >= 0 ? o->jepoch : 0;
	take_state(c, o, tmp);
	core_dispute_forget(c, o->id);
	if (sd->n > 0) {
		blf_delta dd = { .nops = sd->n, .ops = sd->ops, .created = created };

		memcpy(dd.origin, o->id, BLF_KEYID_LEN);
		core_dispute_apply(c, &dd); /* room reserved by snap_disp_check */
	}
	(void)core_dispute_save(c);
	memset(tmp, 0, sizeof(*tmp)); /* its arrays are o's now */
	tmp->fd = -1;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
	o->jepoch = o->epoch;
	o->jdirty = o->jfresh = 0;
	if (old_epoch != 0 && old_epoch != o->epoch) {
		core_journal_name(name, o->hex, old_epoch, ".jnl");
		(void)fio_unlinkat(c->logfd, name);
		core_journal_name(name, o->hex, old_epoch, ".base");
		(void)fio_unlinkat(c->logfd, name);
	}
	return 0;
}

/*
 * Make the verified snapshot s (n chunks) the base of its origin's log;
 * see core_snapshot_apply.
 */
static int
snap_apply(core *c, const blf_snapshot *s, size_t n)
{
	struct origin *tmp = NULL;
	struct snap_disp *sd = NULL;
	size_t i, total = 0;
	int rc;

	for (i = 0; i < n; i++)
		total += s[i].nops;
	if ((rc = snap_log_check(core_origin_find(c, s[0].origin), s)) != 0)
		goto out;
	/* build the state aside: nothing changes if this fails */
	rc = BLF_ENOMEM;
	if ((sd = calloc(1, sizeof(*sd))) == NULL ||
	    (rc = snap_tmp_new(c, &s[0], total, &tmp)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((rc = snap_tmp_put(c, tmp, sd, &s[i], s[0].created)) != 0)
			goto out;
	if ((rc = snap_disp_check(c, sd)) != 0)
		goto out;
	rc = snap_commit(c, tmp, sd, s[0].created);
out:
	snap_tmp_free(c, tmp);
	free(sd);
	return rc;
}

/* See core.h. */
int
core_snapshot_apply(core *c, const uint8_t *const *chunks, const size_t *lens, size_t n,
		    uint64_t now)
{
	int applied;

	return core_snapshot_take(c, chunks, lens, n, now, 0, &applied);
}

/* Does a verified snapshot at (epoch, seq, head) agree with o's log? */
static int
agrees(const struct origin *o, const blf_snapshot *s)
{
	if (s->epoch != o->epoch || s->seq > o->seq)
		return 0;
	if (s->seq == o->seq)
		return memcmp(s->head, o->head, BLF_HASH_LEN) == 0;
	if (s->seq >= o->low_seq && s->seq - o->low_seq < o->njrecs)
		return memcmp(s->head, o->jrecs[s->seq - o->low_seq].hash, BLF_HASH_LEN) == 0;
	return 1; /* compacted here: its signature is all there is to check */
}

/*
 * The outcome rc of storing a snapshot, for core_eio: a BLF_EIO that
 * changed nothing (a full disk) keeps its errno to be told once, as a
 * failed journal write does; a snapshot stored means writes work again.
 */
static int
store_outcome(core *c, int rc)
{
	if (rc == BLF_EIO && !c->failed) {
		c->io.nwfailed++;
		c->io.werrno = errno != 0 ? errno : EIO;
	} else if (rc == 0) {
		c->wtold = 0;
	}
	return rc;
}

/* See core.h. */
int
core_snapshot_take(core *c, const uint8_t *const *chunks, const size_t *lens, size_t n,
		   uint64_t now, int keep_older, int *applied)
{
	blf_snapshot *s = NULL;
	const struct origin *o;
	core_snap_info kept;
	size_t i;
	int rc;

	*applied = 0;
	if (c->failed)
		return BLF_EIO;
	if (n == 0 || n > BLF_MAX_SNAPSHOT_CHUNKS)
		return BLF_ECHUNK;
	if ((s = calloc(n, sizeof(*s))) == NULL)
		return BLF_ENOMEM;
	if ((rc = snap_verify(c, chunks, lens, n, now, s)) != 0)
		goto out;
	o = core_origin_find(c, s[0].origin);
	if (!keep_older || o == NULL || o->epoch == 0 || o->frozen || s[0].epoch > o->epoch ||
	    (s[0].epoch == o->epoch && s[0].seq > o->seq)) {
		/* the kept file first: a failure leaves everything as it was, and
		 * a kept snapshot newer than the log is harmless */
		if ((rc = snap_log_check(o, s)) != 0 ||
		    (rc = core_snapstore_write(c, s, chunks, lens, n)) != 0 ||
		    (rc = snap_apply(c, s, n)) != 0)
			goto out;
		*applied = 1;
		goto out;
	} else if (s[0].epoch < o->epoch) {
		rc = BLF_ESTALE;
		goto out;
	} else if (!agrees(o, &s[0])) {
		rc = BLF_EPREV; /* another history than the one we hold */
		goto out;
	} else if (core_snapstore_info(c, s[0].origin, &kept) == 0 &&
		   (kept.epoch > s[0].epoch ||
		    (kept.epoch == s[0].epoch && kept.seq >= s[0].seq))) {
		rc = BLF_ESTALE; /* we keep this one or a newer one already */
		goto out;
	}
	rc = core_snapstore_write(c, s, chunks, lens, n);
out:
	rc = store_outcome(c, rc);
	for (i = 0; i < n; i++)
		blf_snapshot_free(&s[i]);
	free(s);
	return rc;
}

/* ---- a snapshot gathered into a file (core_spool) ------------------------ */

struct core_spool {
	core *c;
	fio_atomic a;                 /* the kept file being written */
	int open;                     /* a holds a temporary file */
	int err;                      /* first error: nothing more is taken */
	uint8_t origin[BLF_KEYID_LEN];
	blf_snapshot first;           /* chunk 0's fields (no operations) */
	uint32_t next;                /* chunks written */
	uint64_t nops;                /* operations in them */
};

/* Does chunk s belong after the chunks of sp, as chunk sp->next? */
static int
spool_fits(const core_spool *sp, const blf_snapshot *s)
{
	const blf_snapshot *f = &sp->first;

	if (sp->next == 0)
		return s->chunk == 0 && s->nchunks > 0 && s->nchunks <= BLF_MAX_SNAPSHOT_CHUNKS;
	return s->epoch == f->epoch && s->seq == f->seq &&
	       memcmp(s->head, f->head, BLF_HASH_LEN) == 0 && s->created == f->created &&
	       s->nchunks == f->nchunks && s->chunk == sp->next;
}

/* The checks of snap_verify that a single chunk allows (SPEC 6.5). */
static int
spool_check(const blf_snapshot *s, uint64_t now)
{
	size_t k;

	if (s->created > now + BLF_MAX_CLOCK_SKEW)
		return BLF_ECLOCK;
	if (s->created > UINT32_MAX || s->epoch == 0 || s->seq == 0)
		return BLF_ERANGE;
	for (k = 0; k < s->nops; k++)
		if (s->ops[k].type == BLF_OP_LIST && s->ops[k].expires > UINT32_MAX)
			return BLF_ERANGE;
	return 0;
}

/* See core.h. */
int
core_spool_begin(core *c, const uint8_t origin[BLF_KEYID_LEN], core_spool **out)
{
	core_spool *sp;

	*out = NULL;
	if (c->failed)
		return BLF_EIO;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return BLF_ENOMEM;
	sp->c = c;
	sp->a.fd = -1;
	memcpy(sp->origin, origin, BLF_KEYID_LEN);
	if (core_snapstore_spool_begin(c, origin, &sp->a) != 0) {
		free(sp);
		return BLF_EIO;
	}
	sp->open = 1;
	*out = sp;
	return 0;
}

/* See core.h. */
int
core_spool_add(core_spool *sp, const uint8_t *msg, size_t len, uint64_t now)
{
	blf_snapshot s;
	int rc;

	if (sp->err != 0)
		return sp->err;
	if ((rc = chunk_open(sp->c, msg, len, now, &s)) != 0)
		goto out;
	if (memcmp(s.origin, sp->origin, BLF_KEYID_LEN) != 0 || !spool_fits(sp, &s))
		rc = BLF_ECHUNK;
	else if ((rc = spool_check(&s, now)) == 0 &&
		 (rc = core_snapstore_spool_add(&sp->a, &s, msg, len)) == 0) {
		if (sp->next == 0) {
			sp->first = s;
			sp->first.ops = NULL;
			sp->first.nops = 0;
		}
		sp->next++;
		sp->nops += s.nops;
	}
	blf_snapshot_free(&s);
out:
	sp->err = rc;
	return rc;
}

/* See core.h. */
void
core_spool_count(const core_spool *sp, uint32_t *have, uint32_t *nchunks)
{
	*have = sp->next;
	*nchunks = sp->next > 0 ? (uint32_t)sp->first.nchunks : 0;
}

/* Build the state of sp's snapshot aside from its file, every chunk
 * verified again: 0 and *out, or a code. */
static int
spool_build(core_spool *sp, uint64_t now, struct snap_disp *sd, struct origin **out)
{
	core *c = sp->c;
	struct origin *tmp = NULL;
	blf_snapshot s;
	fio_reader r;
	uint8_t *buf = NULL;
	size_t len;
	uint32_t i;
	int fd = -1, rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	rc = BLF_ENOMEM;
	if ((buf = malloc(BLF_MAX_MSG_SIZE)) == NULL)
		goto out;
	rc = BLF_EIO;
	if ((fd = core_snapstore_spool_open(c, &sp->a, &r)) < 0)
		goto out;
	if ((rc = snap_tmp_new(c, &sp->first, sp->nops, &tmp)) != 0)
		goto out;
	for (i = 0; i < sp->next; i++) {
		if ((rc = core_snapstore_spool_next(&r, buf, BLF_MAX_MSG_SIZE, &len)) != 0 ||
		    (rc = chunk_open(c, buf, len, now, &s)) != 0)
			goto out;
		if (memcmp(s.origin, sp->first.origin, BLF_KEYID_LEN) != 0 || s.chunk != i ||
		    s.epoch != sp->first.epoch || s.seq != sp->first.seq)
			rc = BLF_ECHUNK; /* the file changed under us */
		else
			rc = snap_tmp_put(c, tmp, sd, &s, sp->first.created);
		blf_snapshot_free(&s);
		if (rc != 0)
			goto out;
	}
	if ((rc = snap_disp_check(c, sd)) != 0)
		goto out;
	*out = tmp;
	tmp = NULL;
	rc = 0;
out:
	snap_tmp_free(c, tmp);
	fio_reader_free(&r);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* Rename the gathered file into place as origin's kept snapshot. */
static int
spool_keep(core_spool *sp)
{
	sp->open = 0;
	if (fio_atomic_commit(&sp->a, sp->c->cfg.no_fsync) != 0) {
		fio_atomic_abort(&sp->a);
		return BLF_EIO;
	}
	return 0;
}

/* See core.h. */
int
core_spool_take(core_spool *sp, uint64_t now, int keep_older, int *applied)
{
	core *c = sp->c;
	const blf_snapshot *s0 = &sp->first;
	const struct origin *o;
	struct origin *tmp = NULL;
	struct snap_disp *sd = NULL;
	core_snap_info kept;
	int rc;

	*applied = 0;
	if (c->failed)
		return BLF_EIO;
	if (sp->err != 0)
		return sp->err;
	if (sp->next == 0 || sp->next != s0->nchunks || !sp->open)
		return BLF_ECHUNK;
	o = core_origin_find(c, s0->origin);
	if (!keep_older || o == NULL || o->epoch == 0 || o->frozen || s0->epoch > o->epoch ||
	    (s0->epoch == o->epoch && s0->seq > o->seq)) {
		/* the state aside, then the kept file, then the base: a failure
		 * before the base leaves the log as it was */
		if ((sd = calloc(1, sizeof(*sd))) == NULL) {
			rc = BLF_ENOMEM;
			goto out;
		}
		if ((rc = snap_log_check(o, s0)) != 0 ||
		    (rc = spool_build(sp, now, sd, &tmp)) != 0 || (rc = spool_keep(sp)) != 0 ||
		    (rc = snap_commit(c, tmp, sd, s0->created)) != 0)
			goto out;
		*applied = 1;
	} else if (s0->epoch < o->epoch) {
		rc = BLF_ESTALE;
	} else if (!agrees(o, s0)) {
		rc = BLF_EPREV; /* another history than the one we hold */
	} else if (core_snapstore_info(c, s0->origin, &kept) == 0 &&
		   (kept.epoch > s0->epoch || (kept.epoch == s0->epoch && kept.seq >= s0->seq))) {
		rc = BLF_ESTALE; /* we keep this one or a newer one already */
	} else {
		rc = spool_keep(sp);
	}
out:
	rc = store_outcome(c, rc);
	snap_tmp_free(c, tmp);
	free(sd);
	return rc;
}

/* See core.h. */
void
core_spool_free(core_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->open)
		fio_atomic_abort(&sp->a);
	free(sp);
}
