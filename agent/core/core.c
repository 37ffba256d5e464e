/*
 * core.c - the apply pipeline, our own origin, catch-up service, lifecycle.
 *
 * core_apply checks everything before any state change, in this order:
 * envelope structure and type, signer resolution in the trust store
 * (unknown, revoked or expired keys), signature, body decoding (all protocol
 * limits), the signer's origin against the delta's origin, freeze, clock
 * skew, time range, then the log position (epoch, seq, prev-hash).  Only a
 * delta that passes is journaled; the operations are applied after the
 * journal write, and the call returns after the fsync, so an acknowledged
 * delta survives a crash.  A batch shares one fsync per journal file.
 *
 * Log rules (SPEC 5): within an epoch seq runs 1, 2, 3 ... with prev = the
 * message hash of seq-1 (zero for seq 1).  A higher epoch starting at seq 1
 * replaces the origin's state; an older epoch is stale; a new epoch more
 * than CORE_MAX_EPOCH_STEP above the one held is refused, so that no single
 * message can burn the epoch space (SPEC 5.3).  A gap is reported, never
 * stored.  A second, different delta for a seq already held is
 * equivocation: both messages are kept as evidence and the origin frozen.
 *
 * Storage limit: an origin holds at most its record limit (the
 * configuration's, or one that fits its anchor's scope); a delta that
 * would go past it is refused whole (BLF_ELIMIT) and counted, never half
 * applied.  Records that policy filters (out of scope, too wide) are
 * stored like the others and count against the limit: the state stays
 * what the deltas say, a trust change recomputes verdicts without
 * re-reading journals, and why can say what was filtered and why; the
 * limit is what keeps a hostile anchor from filling memory with them.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../keys/fileio.h"
#include "core_int.h"

static const uint8_t zero_hash[BLF_HASH_LEN];

static int
times_fit(const blf_delta *d)
{
	size_t i;

	if (d->created > UINT32_MAX)
		return 0;
	for (i = 0; i < d->nops; i++)
		if (d->ops[i].type == BLF_OP_LIST && d->ops[i].expires > UINT32_MAX)
			return 0;
	return 1;
}

/*
 * Replay one stored record of o's journal file for epoch (recovery.c gets
 * this function from core_open).  The
 * record is decoded and, when its signer is still known, re-verified.  A
 * record at seq <= o->seq is only described (seq, created, hash); the next
 * one is applied if it continues the chain; a newer epoch's seq 1 resets the
 * state first.  expect, if non-zero, is the seq the journal index needs.
 * dry: only check that a newer epoch's first record would be accepted.
 * Returns 0 or BLF_ECORRUPT (and codes of the decoder, BLF_ENOMEM).
 */
static int
replay_record(core *c, struct origin *o, const uint8_t *msg, size_t len, uint32_t epoch,
	    uint64_t expect, int dry, uint64_t *seq, uint32_t *created,
	    uint8_t hash[BLF_HASH_LEN])
{
	blf_envelope env;
	blf_delta d;
	const trust_anchor *a;
	uint8_t pk[BLF_PK_LEN];
	size_t nf;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = blf_envelope_parse(msg, len, &env)) != 0)
		return rc;
	if (env.type != BLF_MSG_DELTA)
		return BLF_ECORRUPT;
	if ((rc = blf_delta_decode_body(env.body, env.body_len, &d)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (memcmp(d.origin, o->id, BLF_KEYID_LEN) != 0 || d.epoch != epoch || !times_fit(&d))
		goto out;
	if (expect != 0 && d.seq != expect)
		goto out;
	if ((a = trust_store_find_keyid(&c->trust, env.signer)) != NULL &&
	    trust_anchor_key(a, env.signer, pk) == 0 && blf_envelope_verify(&env, pk) != 0)
		goto out;
	blf_envelope_hash(&env, hash);
	*seq = d.seq;
	*created = (uint32_t)d.created;
	if (epoch > o->epoch) {
		if (d.seq != 1 || memcmp(d.prev, zero_hash, BLF_HASH_LEN) != 0)
			goto out;
		if (dry) {
			rc = 0;
			goto out;
		}
		if ((rc = core_origin_reserve(o, d.nops)) != 0)
			goto out;
		core_origin_clear(c, o);
		core_dispute_forget(c, o->id);
		o->epoch = epoch;
		o->seq = 0;
	} else if (epoch < o->epoch) {
		goto out;
	} else if (d.seq <= o->seq) {
		rc = 0;
		goto out;
	} else if (d.seq != o->seq + 1 || memcmp(d.prev, o->head, BLF_HASH_LEN) != 0) {
		goto out;
	} else if ((rc = core_origin_reserve(o, d.nops)) != 0) {
		goto out;
	}
	core_origin_apply_ops(c, o, &d, &nf);
	if (core_dispute_check(c, o->id, &d, 0) == 0)
		core_dispute_apply(c, &d);
	o->seq = d.seq;
	memcpy(o->head, hash, BLF_HASH_LEN);
	rc = 0;
out:
	blf_delta_free(&d);
	return rc;
}

/* Prefixes of length >= minlen inside a prefix of length len in a family of
 * bits bits (saturating at 2^62). */
static uint64_t
prefixes_inside(unsigned len, unsigned minlen, unsigned bits)
{
	uint64_t n = 0;
	unsigned l;

	if (minlen < len)
		minlen = len;
	for (l = minlen; l <= bits; l++) {
		if (l - len >= 62)
			return 1ULL << 62;
		n += 1ULL << (l - len);
		if (n >= 1ULL << 62)
			return 1ULL << 62;
	}
	return n;
}

/*
 * Records an origin with anchor a may hold: core_config.max_records if set;
 * else every prefix the anchor lets it list (scope, widest prefix) or
 * exclude (authority), plus CORE_RECORD_SLACK for filtered records, at most
 * CORE_MAX_RECORDS.  A relay-only anchor has no scope to go by: its origin
 * is carried whole, up to CORE_MAX_RECORDS.
 */
static uint64_t
record_limit(const core *c, const trust_anchor *a)
{
	uint64_t n = CORE_RECORD_SLACK;
	size_t i;

	if (c->cfg.max_records != 0)
		return c->cfg.max_records;
	if (a->perms & TRUST_RELAY_ONLY)
		return CORE_MAX_RECORDS;
	if (a->perms & TRUST_LIST)
		for (i = 0; i < a->nscope && n < CORE_MAX_RECORDS; i++) {
			const blf_prefix *p = &a->scope[i];
			int v6 = p->af == BLF_AF_INET6;

			n += prefixes_inside(p->len, v6 ? a->max6 : a->max4, v6 ? 128 : 32);
		}
	if (a->perms & TRUST_EXCLUDE)
		for (i = 0; i < a->nauthority && n < CORE_MAX_RECORDS; i++) {
			const blf_prefix *p = &a->authority[i];

			n += prefixes_inside(p->len, 0, p->af == BLF_AF_INET6 ? 128 : 32);
		}
	return n < CORE_MAX_RECORDS ? n : CORE_MAX_RECORDS;
}

/* Would applying d take o (NULL: none yet; reset: a new epoch) past its
 * record limit?  A delta that does not add records always passes, so that
 * an origin above a lowered limit can still delist. */
static int
check_limit(const core *c, struct origin *o, const trust_anchor *a, const blf_delta *d,
	    int reset)
{
	uint64_t limit, held = 0, after;
	size_t i;

	/* the scope is walked once per origin and trust store, not per delta */
	if (o != NULL && o->maxrecs != 0)
		limit = o->maxrecs;
	else
		limit = record_limit(c, a);
	if (o != NULL)
		o->maxrecs = limit;

	if (o != NULL && !reset)
		held = o->nrecs;
	if (held + d->nops <= limit)
		return 0; /* the common case: no lookups */
	after = held;
	for (i = 0; i < d->nops; i++) {
		const blf_op *op = &d->ops[i];
		int excl = op->type == BLF_OP_EXCLUDE || op->type == BLF_OP_UNEXCLUDE;
		int present = held > 0 && core_origin_lookup(o, &op->prefix, excl) >= 0;

		if (op->type == BLF_OP_LIST || op->type == BLF_OP_EXCLUDE)
			after += !present;
		else if (present)
			after--;
	}
	return after > limit && after > held ? BLF_ELIMIT : 0;
}

/* Check, journal (without fsync) and apply one envelope. */
static int
apply_one(core *c, const uint8_t *msg, size_t len, uint64_t now, core_result *res)
{
	blf_envelope env;
	blf_delta d;
	const trust_anchor *a = NULL;
	struct origin *o;
	uint8_t pk[BLF_PK_LEN], hash[BLF_HASH_LEN], *stored = NULL;
	size_t slen = 0, nf = 0;
	int rc, newepoch = 0;

	memset(&d, 0, sizeof(d));
	if (len > BLF_MAX_DELTA_SIZE)
		return BLF_ETOOBIG;
	if ((rc = blf_envelope_parse(msg, len, &env)) != 0)
		return rc;
	if (env.type != BLF_MSG_DELTA)
		return BLF_EWRONGTYPE;
	if ((rc = trust_store_resolve(&c->trust, env.signer, now, &a, pk)) != 0)
		return rc;
	if ((rc = blf_envelope_verify(&env, pk)) != 0)
		return rc;
	if ((rc = blf_delta_decode_body(env.body, env.body_len, &d)) != 0)
		goto out;
	memcpy(res->origin, d.origin, BLF_KEYID_LEN);
	res->epoch = d.epoch;
	res->seq = d.seq;
	rc = BLF_EUNKKEY;
	if (memcmp(d.origin, a->origin, BLF_KEYID_LEN) != 0)
		goto out; /* a known key signing for another origin */
	o = core_origin_find(c, d.origin);
	rc = BLF_EFROZEN;
	if (o != NULL && o->frozen)
		goto out;
	rc = BLF_ECLOCK;
	if (d.created > now + BLF_MAX_CLOCK_SKEW)
		goto out;
	rc = BLF_ERANGE;
	if (!times_fit(&d) || d.epoch == 0 || d.seq == 0)
		goto out;
	blf_envelope_hash(&env, hash);

	if (o == NULL || o->epoch == 0 || d.epoch > o->epoch) {
		rc = BLF_EEPOCH; /* SPEC 5.3: no message may burn the epoch space */
		if (d.epoch - (o != NULL ? o->epoch : 0) > CORE_MAX_EPOCH_STEP)
			goto out;
		if (d.seq != 1) {
			rc = BLF_EGAP;
			res->gap_epoch = d.epoch;
			res->gap_from = 1;
			res->gap_to = d.seq - 1;
			goto out;
		}
		rc = BLF_EPREV;
		if (memcmp(d.prev, zero_hash, BLF_HASH_LEN) != 0)
			goto out;
		newepoch = 1;
	} else if (d.epoch < o->epoch) {
		rc = BLF_ESTALE;
		goto out;
	} else if (d.seq > o->seq + 1) {
		rc = BLF_EGAP;
		res->gap_epoch = d.epoch;
		res->gap_from = o->seq + 1;
		res->gap_to = d.seq - 1;
		goto out;
	} else if (d.seq <= o->seq) {
		const struct jrec *j;

		rc = BLF_ESTALE; /* compacted: nothing left to compare with */
		if (d.seq < o->low_seq || d.seq - o->low_seq >= o->njrecs)
			goto out;
		j = &o->jrecs[d.seq - o->low_seq];
		rc = BLF_EDUPLICATE;
		if (memcmp(j->hash, hash, BLF_HASH_LEN) == 0)
			goto out;
		/* equivocation: keep both, freeze, tell the caller */
		if ((rc = core_journal_read(o, (size_t)(d.seq - o->low_seq), &stored,
					     &slen)) != 0 ||
		    (rc = core_evidence_keep(c, o, d.epoch, d.seq, stored, slen, j->hash)) != 0 ||
		    (rc = core_evidence_keep(c, o, d.epoch, d.seq, msg, len, hash)) != 0 ||
		    (rc = core_evidence_freeze_mark(c, o, 1)) != 0)
			goto out;
		memcpy(res->evidence, hash, BLF_HASH_LEN);
		o->frozen = 1;
		c->vdirty = 1;
		rc = BLF_EEQUIVOCATION;
		goto out;
	} else {
		rc = BLF_EPREV;
		if (memcmp(d.prev, o->head, BLF_HASH_LEN) != 0)
			goto out;
	}

	if ((rc = check_limit(c, o, a, &d, newepoch)) != 0) {
		c->nlimited++;
		goto out;
	}
	/* disputes and answers have their own bound (SPEC 9, 8.6) */
	if ((rc = core_dispute_check(c, d.origin, &d, newepoch)) != 0) {
		if (rc == BLF_ELIMIT)
			c->nlimited++;
		goto out;
	}

	/* every check passed: journal, then apply */
	if ((rc = core_origin_get(c, d.origin, &o)) != 0 ||
	    (rc = core_origin_reserve(o, d.nops)) != 0)
		goto out;
	if ((newepoch ? 0 : o->jsize) + len + JREC_OVERHEAD > c->cfg.journal_max) {
		/* SPEC 5.4 step 7 cannot store it: refuse before any change */
		c->io.nlimit++;
		rc = BLF_ELIMIT;
		goto out;
	}
	if ((rc = core_journal_append(c, o, d.epoch, d.seq, msg, len, d.created, hash)) != 0) {
		if (rc == BLF_EIO) {
			/* nothing changed: core_eio tells the caller what to do */
			c->io.nwfailed++;
			c->io.werrno = errno != 0 ? errno : EIO;
		}
		goto out;
	}
	c->wtold = 0; /* writes work (again): the next failure is told */
	if (newepoch) {
		core_origin_clear(c, o);
		core_dispute_forget(c, o->id);
		o->epoch = d.epoch;
	}
	core_origin_apply_ops(c, o, &d, &nf);
	/* the disputes file is written before the journal is synced, so it is
	 * never older than the journal; a failed write is retried by the
	 * next change or checkpoint */
	(void)core_dispute_apply(c, &d);
	(void)core_dispute_save(c); /* also after a new epoch dropped some */
	o->seq = d.seq;
	memcpy(o->head, hash, BLF_HASH_LEN);
	res->nops = d.nops;
	res->nfiltered = nf;
	rc = 0;
out:
	free(stored);
	blf_delta_free(&d);
	return rc;
}

/* Sync every journal written to.  A failed sync leaves memory ahead of
 * what is durable: the core refuses every change until it is reopened. */
static int
sync_all(core *c)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->norigins; i++)
		if (core_journal_sync(c, c->origins[i]) != 0)
			rc = BLF_EIO;
	if (rc != 0)
		c->failed = 1;
	return rc;
}

/* See core.h.  After BLF_EIO from the journal the core must be closed and
 * reopened (recovery brings memory back in line with the disk). */
int
core_apply_batch(core *c, const uint8_t *const *msgs, const size_t *lens, size_t n,
		 uint64_t now, int *rc, core_result *res)
{
	core_result tmp;
	size_t i;
	int io = 0;

	if (c->failed) {
		for (i = 0; i < n; i++)
			rc[i] = BLF_EIO;
		return BLF_EIO;
	}
	for (i = 0; i < n; i++) {
		core_result *r = res ? &res[i] : &tmp;

		memset(r, 0, sizeof(*r));
		rc[i] = apply_one(c, msgs[i], lens[i], now, r);
		if (rc[i] == BLF_EIO)
			io = 1;
	}
	if (sync_all(c) != 0)
		io = 1;
	return io ? BLF_EIO : 0;
}

/* See core.h. */
int
core_apply(core *c, const uint8_t *msg, size_t len, uint64_t now, core_result *res)
{
	core_result tmp;
	int rc;

	if (res == NULL)
		res = &tmp;
	memset(res, 0, sizeof(*res));
	if (c->failed)
		return BLF_EIO;
	rc = apply_one(c, msg, len, now, res);
	if (sync_all(c) != 0)
		rc = BLF_EIO;
	return rc;
}

/* See core.h. */
int
core_publish(core *c, const key_secret *ks, const blf_op *ops, size_t nops, uint64_t now,
	     blf_buf *out)
{
	const trust_anchor *a = NULL;
	struct origin *o;
	uint8_t pk[BLF_PK_LEN];
	blf_delta d;
	size_t oldlen = out->len;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = trust_store_resolve(&c->trust, ks->keyid, now, &a, pk)) != 0)
		return rc;
	o = core_origin_find(c, a->origin);
	if (o != NULL && o->frozen)
		return BLF_EFROZEN;
	memcpy(d.origin, a->origin, BLF_KEYID_LEN);
	if (o != NULL && o->epoch != 0) {
		d.epoch = o->epoch;
		d.seq = o->seq + 1;
		memcpy(d.prev, o->head, BLF_HASH_LEN);
	} else {
		d.epoch = 1;
		d.seq = 1;
	}
	d.created = now;
	d.nops = nops;
	/* blf_delta holds mutable operations: seal a copy of the caller's */
	if (nops > 0 && (d.ops = malloc(nops * sizeof(*d.ops))) == NULL)
		return BLF_ENOMEM;
	if (nops > 0)
		memcpy(d.ops, ops, nops * sizeof(*d.ops));
	rc = blf_delta_seal(&d, ks->sk, out);
	free(d.ops);
	if (rc != 0)
		return rc;
	if ((rc = core_apply(c, out->data + oldlen, out->len - oldlen, now, NULL)) != 0)
		out->len = oldlen;
	return rc;
}

/* See core.h. */
int
core_unfreeze(core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	struct origin *o = core_origin_find(c, origin);
	int rc;

	if (o == NULL || !o->frozen)
		return BLF_ENOTFOUND;
	if (c->failed)
		return BLF_EIO;
	if ((rc = core_evidence_freeze_mark(c, o, 0)) != 0)
		return rc;
	o->frozen = 0;
	c->vdirty = 1;
	return 0;
}

/* Delete every journal and base file of o ("<hex>.<epoch>.jnl" and
 * "<hex>.<epoch>.base" in log/), then sync the directory. */
static int
unlink_journals(core *c, const struct origin *o)
{
	size_t hl = strlen(o->hex);
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = dup(c->logfd)) < 0)
		return BLF_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return BLF_EIO;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);

		if (nl <= hl + 5 || strncmp(de->d_name, o->hex, hl) != 0 ||
		    de->d_name[hl] != '.' ||
		    (strcmp(de->d_name + nl - 4, ".jnl") != 0 &&
		     strcmp(de->d_name + nl - 5, ".base") != 0))
			continue;
		if (fio_unlinkat(c->logfd, de->d_name) != 0 && errno != ENOENT) {
			rc = BLF_EIO;
			break;
		}
	}
	closedir(d);
	if (rc == 0 && !c->cfg.no_fsync && fio_fsync_dirfd(c->logfd) != 0)
		rc = BLF_EIO;
	return rc;
}

/*
 * See core.h.  Order: the origin leaves memory, a checkpoint without it is
 * written, then its journals are deleted.  A crash before the last step
 * leaves journals that recovery replays: the reset is undone, never half
 * done.
 */
int
core_origin_reset(core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	struct origin *o = NULL;
	size_t i;
	int rc;

	for (i = 0; i < c->norigins; i++)
		if (memcmp(c->origins[i]->id, origin, BLF_KEYID_LEN) == 0) {
			o = c->origins[i];
			break;
		}
	if (o == NULL)
		return BLF_ENOTFOUND;
	if (c->failed)
		return BLF_EIO;
	if (o->frozen && (rc = core_evidence_freeze_mark(c, o, 0)) != 0)
		return rc;
	if ((rc = core_journal_sync(c, o)) != 0)
		return rc;
	core_origin_clear(c, o); /* releases its references */
	core_dispute_forget(c, o->id);
	(void)core_dispute_save(c);
	memmove(c->origins + i, c->origins + i + 1, (c->norigins - i - 1) * sizeof(*c->origins));
	c->norigins--;
	c->vdirty = 1;
	if ((rc = core_checkpoint(c)) == 0) {
		core_snapstore_remove(c, origin);
		rc = unlink_journals(c, o);
	}
	core_origin_free(o);
	return rc;
}

/* See core.h. */
int
core_is_frozen(const core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	const struct origin *o = core_origin_find(c, origin);

	return o != NULL && o->frozen;
}

/* The blobs of a catch-up answer and the buffers they point to, owned
 * here through mutable pointers so that nothing casts const away. */
struct blobset {
	uint8_t **bufs;
	blf_blob b[];
};

static struct blobset *
blobset_of(blf_blob *blobs)
{
	return (struct blobset *)(void *)((char *)blobs - offsetof(struct blobset, b));
}

/* See core.h. */
void
core_blobs_free(blf_blob *blobs, size_t n)
{
	struct blobset *set;
	size_t i;

	if (blobs == NULL)
		return;
	set = blobset_of(blobs);
	for (i = 0; i < n; i++)
		free(set->bufs[i]);
	free(set->bufs);
	free(set);
}

/* See core.h.  The response is also capped so that its deltas fit in one
 * message of BLF_MAX_MSG_SIZE (with room for the envelope). */
int
core_get_deltas(core *c, const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch,
		uint64_t after_seq, uint32_t max, uint32_t *status, int *more,
		blf_blob **blobs, size_t *nblobs)
{
	const size_t budget = BLF_MAX_MSG_SIZE - (64u << 10);
	struct origin *o = core_origin_find(c, origin);
	struct blobset *set;
	blf_blob *b = NULL;
	size_t k, n = 0, total = 0, avail, cap;
	uint8_t *buf;
	size_t len;
	int rc = 0;

	*status = BLF_CATCHUP_OK;
	*more = 0;
	*blobs = NULL;
	*nblobs = 0;
	if (o == NULL || o->epoch == 0 || o->epoch != epoch) {
		*status = BLF_CATCHUP_UNKNOWN;
		return 0;
	}
	if (after_seq >= o->seq)
		return 0;
	if (o->njrecs == 0 || after_seq + 1 < o->low_seq) {
		*status = BLF_CATCHUP_COMPACTED;
		return 0;
	}
	if (max > BLF_MAX_CATCHUP_DELTAS)
		max = BLF_MAX_CATCHUP_DELTAS;
	k = (size_t)(after_seq + 1 - o->low_seq);
	avail = o->njrecs - k;
	cap = avail < max ? avail : max ? max : 1;
	if ((set = calloc(1, sizeof(*set) + cap * sizeof(set->b[0]))) == NULL)
		return BLF_ENOMEM;
	if ((set->bufs = calloc(cap, sizeof(*set->bufs))) == NULL) {
		free(set);
		return BLF_ENOMEM;
	}
	b = set->b;
	while (n < max && k + n < o->njrecs) {
		if (total + o->jrecs[k + n].len > budget && n > 0)
			break;
		if ((rc = core_journal_read(o, k + n, &buf, &len)) != 0)
			goto out;
		set->bufs[n] = buf;
		b[n].ptr = buf;
		b[n].len = len;
		total += len;
		n++;
	}
	*more = k + n < o->njrecs;
	*blobs = b;
	*nblobs = n;
	b = NULL;
out:
	core_blobs_free(b, n);
	return rc;
}

/* See core.h. */
int
core_heads(const core *c, blf_head **heads, size_t *nheads)
{
	blf_head *h;
	size_t i, n = 0;

	*heads = NULL;
	*nheads = 0;
	if ((h = calloc(c->norigins ? c->norigins : 1, sizeof(*h))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];

		if (o->epoch == 0)
			continue;
		memcpy(h[n].origin, o->id, BLF_KEYID_LEN);
		h[n].epoch = o->epoch;
		h[n].seq = o->seq;
		memcpy(h[n].hash, o->head, BLF_HASH_LEN);
		n++;
	}
	*heads = h;
	*nheads = n;
	return 0;
}

/* See core.h. */
int
core_head(const core *c, const uint8_t origin[BLF_KEYID_LEN], blf_head *head)
{
	const struct origin *o = core_origin_find(c, origin);

	if (o == NULL || o->epoch == 0)
		return BLF_ENOTFOUND;
	memcpy(head->origin, o->id, BLF_KEYID_LEN);
	head->epoch = o->epoch;
	head->seq = o->seq;
	memcpy(head->hash, o->head, BLF_HASH_LEN);
	return 0;
}

/* See core.h. */
int
core_set_trust(core *c, const trust_store *st)
{
	trust_store n;
	size_t i;
	int rc;

	memset(&n, 0, sizeof(n));
	if ((rc = trust_store_copy(st, &n)) != 0)
		return rc;
	trust_store_free(&c->trust);
	c->trust = n;
	for (i = 0; i < c->norigins; i++) {
		struct origin *o = c->origins[i];

		o->anchor = trust_store_find_origin(&c->trust, o->id);
		o->maxrecs = 0;
		core_origin_set_verdicts(c, o);
	}
	c->vdirty = 1;
	return 0;
}

/* See core.h. */
const trust_store *
core_trust(const core *c)
{
	return &c->trust;
}

/* See core.h. */
int
core_checkpoint(core *c)
{
	int rc;

	if (c->failed)
		return BLF_EIO;
	if ((rc = sync_all(c)) != 0)
		return rc;
	if ((rc = core_dispute_save(c)) != 0)
		return rc;
	return core_checkpoint_write(c);
}

/* See core.h. */
int
core_compact(core *c, uint64_t now)
{
	size_t i;
	int rc;

	if (c->failed)
		return BLF_EIO;
	if ((rc = sync_all(c)) != 0)
		return rc;
	for (i = 0; i < c->norigins; i++)
		core_origin_purge_expired(c, c->origins[i], now);
	for (i = 0; i < c->norigins; i++)
		if ((rc = core_compact_origin(c, c->origins[i], now)) != 0)
			return rc;
	return core_checkpoint_write(c);
}

/* See core.h. */
int
core_failed(const core *c)
{
	return c->failed;
}

/* See core.h. */
int
core_eio(core *c, int *err)
{
	*err = c->io.werrno != 0 ? c->io.werrno : EIO;
	if (c->failed)
		return CORE_EIO_STOP;
	if (c->wtold == *err)
		return CORE_EIO_QUIET;
	c->wtold = *err;
	return CORE_EIO_TELL;
}

/* See core.h. */
void
core_get_stats(const core *c, core_stats *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->norigins = c->norigins;
	for (i = 0; i < c->norigins; i++) {
		s->nlistings += c->origins[i]->nlist;
		s->nexclusions += c->origins[i]->nrecs - c->origins[i]->nlist;
	}
	s->nrefs = core_intern_count(c);
	s->nview = c->nview;
	s->io = c->io;
	s->nlimited = c->nlimited;
}

/* See core.h. */
int
core_open(const char *datadir, const core_config *cfg, const trust_store *st, core **out)
{
	core *c;
	int rc = BLF_ENOMEM, e;

	*out = NULL;
	if (blf_init() != 0)
		return BLF_ENOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return BLF_ENOMEM;
	c->dfd = c->logfd = c->evfd = -1;
	if ((c->dir = strdup(datadir)) == NULL)
		goto out;
	if (cfg != NULL)
		c->cfg = *cfg;
	if (c->cfg.threshold == 0)
		c->cfg.threshold = CORE_DEFAULT_THRESHOLD;
	if (c->cfg.window == 0)
		c->cfg.window = CORE_DEFAULT_WINDOW;
	if (c->cfg.journal_max == 0)
		c->cfg.journal_max = CORE_DEFAULT_JOURNAL_MAX;
	core_feed_init(c);
	c->vcheck = core_view_check_all;
	if (st != NULL && (rc = trust_store_copy(st, &c->trust)) != 0)
		goto out;
	/* ours alone: owned by us, not writable by others, no symlink */
	rc = BLF_EIO;
	if ((c->dfd = fio_dir_open_private(datadir, 1, 0700)) < 0 ||
	    (c->logfd = fio_subdir_open(c->dfd, "log", 1, 0700)) < 0 ||
	    (c->evfd = fio_subdir_open(c->dfd, "evidence", 1, 0700)) < 0)
		goto out;
	if (!c->cfg.no_fsync && fio_fsync_dirfd(c->dfd) != 0)
		goto out;
	if ((rc = core_recovery_run(c, replay_record)) != 0)
		goto out;
	/* the disputes file is at least as new as the journals (dispute.c);
	 * a damaged one leaves what the replay rebuilt */
	if ((rc = core_dispute_load(c)) != 0 && rc != BLF_ECORRUPT)
		goto out;
	c->vdirty = 1;
	*out = c;
	c = NULL;
	rc = 0;
out:
	e = errno;
	core_close(c);
	errno = e;
	return rc;
}

/* See core.h. */
void
core_close(core *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->norigins; i++)
		core_origin_free(c->origins[i]);
	free(c->origins);
	core_intern_free_all(c);
	trust_store_free(&c->trust);
	core_view_free(c);
	free(c->scratch);
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->logfd >= 0)
		close(c->logfd);
	if (c->dfd >= 0)
		close(c->dfd);
	core_feed_free(c);
	core_dispute_free(c);
	free(c->dir);
	free(c);
}
