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
 * replaces the origin's state; an older epoch is stale.  A gap is reported,
 * never stored.  A second, different delta for a seq already held is
 * equivocation: both messages are kept as evidence and the origin frozen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * Replay one stored record of o's journal file for epoch (recovery).  The
 * record is decoded and, when its signer is still known, re-verified.  A
 * record at seq <= o->seq is only described (seq, created, hash); the next
 * one is applied if it continues the chain; a newer epoch's seq 1 resets the
 * state first.  expect, if non-zero, is the seq the journal index needs.
 * dry: only check that a newer epoch's first record would be accepted.
 * Returns 0 or BLF_ECORRUPT (and codes of the decoder, BLF_ENOMEM).
 */
int
core_replay(core *c, struct origin *o, const uint8_t *msg, size_t len, uint32_t epoch,
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
		if ((rc = origin_reserve(o, d.nops)) != 0)
			goto out;
		origin_reset(c, o);
		o->epoch = epoch;
		o->seq = 0;
	} else if (epoch < o->epoch) {
		goto out;
	} else if (d.seq <= o->seq) {
		rc = 0;
		goto out;
	} else if (d.seq != o->seq + 1 || memcmp(d.prev, o->head, BLF_HASH_LEN) != 0) {
		goto out;
	} else if ((rc = origin_reserve(o, d.nops)) != 0) {
		goto out;
	}
	origin_apply_ops(c, o, &d, &nf);
	o->seq = d.seq;
	memcpy(o->head, hash, BLF_HASH_LEN);
	rc = 0;
out:
	blf_delta_free(&d);
	return rc;
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
	o = origin_find(c, d.origin);
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
		if (journal_read(o, (size_t)(d.seq - o->low_seq), &stored, &slen) != 0)
			stored = NULL;
		if ((rc = journal_write_evidence(c, o, d.epoch, d.seq, stored, slen, msg, len,
						 res->evidence, sizeof(res->evidence))) != 0 ||
		    (rc = journal_freeze_mark(c, o, 1)) != 0)
			goto out;
		o->frozen = 1;
		c->vdirty = 1;
		rc = BLF_EEQUIVOCATION;
		goto out;
	} else {
		rc = BLF_EPREV;
		if (memcmp(d.prev, o->head, BLF_HASH_LEN) != 0)
			goto out;
	}

	/* every check passed: journal, then apply */
	if ((rc = origin_get(c, d.origin, &o)) != 0 || (rc = origin_reserve(o, d.nops)) != 0)
		goto out;
	if ((rc = journal_append(c, o, d.epoch, d.seq, msg, len, d.created, hash)) != 0)
		goto out;
	if (newepoch) {
		origin_reset(c, o);
		o->epoch = d.epoch;
	}
	origin_apply_ops(c, o, &d, &nf);
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

static int
sync_all(core *c)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->norigins; i++)
		if (journal_sync(c, c->origins[i]) != 0)
			rc = BLF_EIO;
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

	if ((rc = trust_store_resolve(&c->trust, ks->keyid, now, &a, pk)) != 0)
		return rc;
	o = origin_find(c, a->origin);
	if (o != NULL && o->frozen)
		return BLF_EFROZEN;
	memset(&d, 0, sizeof(d));
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
	d.ops = (blf_op *)(uintptr_t)ops; /* read only: seal does not modify */
	if ((rc = blf_delta_seal(&d, ks->sk, out)) != 0)
		return rc;
	if ((rc = core_apply(c, out->data + oldlen, out->len - oldlen, now, NULL)) != 0)
		out->len = oldlen;
	return rc;
}

/* See core.h. */
int
core_unfreeze(core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	struct origin *o = origin_find(c, origin);
	int rc;

	if (o == NULL || !o->frozen)
		return BLF_ENOTFOUND;
	if ((rc = journal_freeze_mark(c, o, 0)) != 0)
		return rc;
	o->frozen = 0;
	c->vdirty = 1;
	return 0;
}

/* See core.h. */
int
core_is_frozen(const core *c, const uint8_t origin[BLF_KEYID_LEN])
{
	const struct origin *o = origin_find(c, origin);

	return o != NULL && o->frozen;
}

/* See core.h. */
void
core_blobs_free(blf_blob *blobs, size_t n)
{
	size_t i;

	if (blobs == NULL)
		return;
	for (i = 0; i < n; i++)
		free((void *)(uintptr_t)blobs[i].ptr);
	free(blobs);
}

/* See core.h.  The response is also capped so that its deltas fit in one
 * message of BLF_MAX_MSG_SIZE (with room for the envelope). */
int
core_get_deltas(core *c, const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch,
		uint64_t after_seq, uint32_t max, uint32_t *status, int *more,
		blf_blob **blobs, size_t *nblobs)
{
	const size_t budget = BLF_MAX_MSG_SIZE - (64u << 10);
	struct origin *o = origin_find(c, origin);
	blf_blob *b = NULL;
	size_t k, n = 0, total = 0, avail;
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
	if ((b = calloc(avail < max ? avail : max ? max : 1, sizeof(*b))) == NULL)
		return BLF_ENOMEM;
	while (n < max && k + n < o->njrecs) {
		if (total + o->jrecs[k + n].len > budget && n > 0)
			break;
		if ((rc = journal_read(o, k + n, &buf, &len)) != 0)
			goto out;
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
	const struct origin *o = origin_find(c, origin);

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
core_set_trust(core *c, const trust_store *st, uint64_t now)
{
	trust_store n;
	size_t i;
	int rc;

	(void)now;
	memset(&n, 0, sizeof(n));
	if ((rc = trust_store_copy(st, &n)) != 0)
		return rc;
	trust_store_free(&c->trust);
	c->trust = n;
	for (i = 0; i < c->norigins; i++) {
		struct origin *o = c->origins[i];

		o->anchor = trust_store_find_origin(&c->trust, o->id);
		origin_set_verdicts(c, o);
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

	if ((rc = sync_all(c)) != 0)
		return rc;
	return checkpoint_write(c);
}

/* See core.h. */
int
core_compact(core *c, uint64_t now)
{
	size_t i, k;
	int rc;

	for (i = 0; i < c->norigins; i++)
		origin_purge_expired(c, c->origins[i], now);
	if ((rc = core_checkpoint(c)) != 0)
		return rc;
	for (i = 0; i < c->norigins; i++) {
		struct origin *o = c->origins[i];

		for (k = 0; k < o->njrecs; k++)
			if ((uint64_t)o->jrecs[k].created + c->cfg.window >= now)
				break;
		if (k > 0 && (rc = journal_compact(c, o, o->low_seq + k)) != 0)
			return rc;
	}
	return checkpoint_write(c);
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
	s->nrefs = c->nstrs > 0 ? c->nstrs - 1 - c->nsfree : 0;
	s->nview = c->nvents;
}

static int
mkdir_p(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return BLF_EIO;
	return 0;
}

/* See core.h. */
int
core_open(const char *datadir, const core_config *cfg, const trust_store *st, uint64_t now,
	  core **out)
{
	char path[CORE_MAX_PATH];
	core *c;
	int rc = BLF_ENOMEM;

	(void)now;
	*out = NULL;
	if (blf_init() != 0)
		return BLF_ENOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return BLF_ENOMEM;
	if ((c->dir = strdup(datadir)) == NULL)
		goto out;
	if (cfg != NULL)
		c->cfg = *cfg;
	if (c->cfg.threshold == 0)
		c->cfg.threshold = CORE_DEFAULT_THRESHOLD;
	if (c->cfg.window == 0)
		c->cfg.window = CORE_DEFAULT_WINDOW;
	if (st != NULL && (rc = trust_store_copy(st, &c->trust)) != 0)
		goto out;
	if ((rc = mkdir_p(datadir)) != 0)
		goto out;
	if ((rc = core_path(c, path, sizeof(path), "log")) != 0 || (rc = mkdir_p(path)) != 0)
		goto out;
	if ((rc = core_path(c, path, sizeof(path), "evidence")) != 0 ||
	    (rc = mkdir_p(path)) != 0)
		goto out;
	if ((rc = checkpoint_load(c)) != 0)
		goto out;
	if ((rc = journal_recover(c)) != 0)
		goto out;
	c->vdirty = 1;
	*out = c;
	c = NULL;
	rc = 0;
out:
	core_close(c);
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
		origin_free(c, c->origins[i]);
	free(c->origins);
	intern_free_all(c);
	trust_store_free(&c->trust);
	free(c->vpairs);
	free(c->vents);
	free(c->dir);
	free(c);
}
