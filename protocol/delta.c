/*
 * delta.c - operations, deltas and snapshot chunks (SPEC 5.1, 5.2, 6.5).
 *
 * Both directions apply the same checks (blf_op_check and the rules of each
 * body), so this library never writes what it would refuse to read.  A delta
 * names each prefix at most once; that keeps "the result of a delta" free of
 * any dependence on operation order within it.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define DELTA_FIELDS 6
#define SNAPSHOT_FIELDS 8

static const uint8_t zero_hash[BLF_HASH_LEN];

/* The checks of blf_op_check; check_text is 0 where the decoder has
 * already validated the reference text (mp_str). */
static int
op_check(const blf_op *op, uint64_t created, int allow_withdraw, int check_text)
{
	int err;

	if ((err = blf_prefix_check(&op->prefix)) != BLF_OK)
		return err;
	switch (op->type) {
	case BLF_OP_LIST:
		if (op->reason == 0)
			return BLF_EREASON;
		if (op->id_len != 0)
			return BLF_EINVAL;
		if (op->expires > BLF_MAX_TIME)
			return BLF_ERANGE;
		if (op->expires <= created || op->expires - created > BLF_MAX_TTL)
			return BLF_EEXPIRY;
		break;
	case BLF_OP_EXCLUDE:
		if (op->reason != 0 || op->expires != 0 || op->id_len != 0)
			return BLF_EINVAL;
		break;
	case BLF_OP_DISPUTE:
		if (op->reason == 0)
			return BLF_EREASON;
		if (op->expires != 0 || (op->id_len != 0 && op->id_len != BLF_KEYID_LEN))
			return BLF_EINVAL;
		break;
	case BLF_OP_UPHOLD:
	case BLF_OP_CONCEDE:
		if (op->reason == 0)
			return BLF_EREASON;
		if (op->expires != 0 || op->id_len != BLF_DISPUTE_ID_LEN)
			return BLF_EINVAL;
		break;
	case BLF_OP_DELIST:
	case BLF_OP_UNEXCLUDE:
	case BLF_OP_UNDISPUTE:
		if (!allow_withdraw)
			return BLF_EOPTYPE;
		if (op->reason != 0 || op->expires != 0 || op->ref_len != 0 || op->id_len != 0)
			return BLF_EINVAL;
		break;
	default:
		return BLF_EOPTYPE;
	}
	if (op->ref_len > BLF_MAX_REF_LEN)
		return BLF_ETOOBIG;
	if (op->ref_len > 0 && (op->ref == NULL ||
				(check_text && blf_text_check(op->ref, op->ref_len))))
		return BLF_ESTRING;
	return BLF_OK;
}

int
blf_op_check(const blf_op *op, uint64_t created, int allow_withdraw)
{
	return op_check(op, created, allow_withdraw, 1);
}

static uint64_t
prefix_hash(const blf_prefix *p)
{
	uint64_t a, b;

	memcpy(&a, p->addr, 8);
	memcpy(&b, p->addr + 8, 8);
	a ^= (b * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)p->len << 8 | p->af);
	a ^= a >> 31;
	a *= 0xbf58476d1ce4e5b9ULL;
	return a ^ (a >> 29);
}

/* The key class of an operation (SPEC 5.1, 5.6): listings and exclusions
 * and their withdrawals share the prefix key of 1.1; disputes and their
 * withdrawals have a prefix key of their own; answers are keyed by the
 * dispute they answer. */
static int
op_class(const blf_op *op)
{
	if (op->type == BLF_OP_UPHOLD || op->type == BLF_OP_CONCEDE)
		return 2;
	return op->type == BLF_OP_DISPUTE || op->type == BLF_OP_UNDISPUTE;
}

static uint64_t
op_key_hash(const blf_op *op)
{
	uint64_t a, b;

	if (op_class(op) != 2)
		return prefix_hash(&op->prefix) ^ (uint64_t)op_class(op);
	memcpy(&a, op->id, 8);
	memcpy(&b, op->id + 8, 8);
	return (a ^ (b * 0x9e3779b97f4a7c15ULL)) ^ 0x5bd1e995u;
}

static int
op_key_eq(const blf_op *p, const blf_op *q)
{
	if (op_class(p) != op_class(q))
		return 0;
	if (op_class(p) == 2)
		return memcmp(p->id, q->id, BLF_DISPUTE_ID_LEN) == 0;
	return q->prefix.af == p->prefix.af && q->prefix.len == p->prefix.len &&
	       memcmp(q->prefix.addr, p->prefix.addr, sizeof(q->prefix.addr)) == 0;
}

/* BLF_EDUP if two operations have the same key (op_class).  A hash set of op
 * indices (linear probing, at most half full): O(n), one allocation. */
static int
ops_unique(const blf_op *ops, size_t n)
{
	uint32_t *slot;
	size_t cap = 16, mask, i;
	int err = BLF_OK;

	if (n < 2)
		return BLF_OK;
	while (cap < 2 * n)
		cap <<= 1;
	if ((slot = malloc(cap * sizeof(*slot))) == NULL)
		return BLF_ENOMEM;
	memset(slot, 0xff, cap * sizeof(*slot)); /* UINT32_MAX = empty */
	mask = cap - 1;
	for (i = 0; i < n && err == BLF_OK; i++) {
		size_t h = (size_t)op_key_hash(&ops[i]) & mask;

		while (slot[h] != UINT32_MAX) {
			if (op_key_eq(&ops[slot[h]], &ops[i])) {
				err = BLF_EDUP;
				break;
			}
			h = (h + 1) & mask;
		}
		slot[h] = (uint32_t)i;
	}
	free(slot);
	return err;
}

/*
 * Decode one operation.  Its own fields are checked in order, each
 * completely (type, size, range), then the rules that relate it to the
 * delta (the expiry window against created).
 */
static int
decode_op(const msgpack_object *o, uint64_t created, int allow_withdraw, blf_op *op)
{
	const msgpack_object *f;
	uint64_t v;
	size_t n = 0;
	int err;

	memset(op, 0, sizeof(*op));
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return BLF_ETYPE;
	if (o->via.array.size < 1)
		return BLF_EFIELDS;
	f = o->via.array.ptr;
	/* Any uint other than 1..4, however large, is an unknown operation. */
	if ((err = mp_uint(&f[0], UINT64_MAX, &v)) != BLF_OK)
		return err;
	switch (v) {
	case BLF_OP_LIST: n = 5; break;
	case BLF_OP_DELIST: n = 2; break;
	case BLF_OP_EXCLUDE: n = 3; break;
	case BLF_OP_UNEXCLUDE: n = 2; break;
	case BLF_OP_DISPUTE: n = 5; break;
	case BLF_OP_UPHOLD: n = 5; break;
	case BLF_OP_CONCEDE: n = 5; break;
	case BLF_OP_UNDISPUTE: n = 2; break;
	default: return BLF_EOPTYPE;
	}
	if (!allow_withdraw &&
	    (v == BLF_OP_DELIST || v == BLF_OP_UNEXCLUDE || v == BLF_OP_UNDISPUTE))
		return BLF_EOPTYPE;
	if (o->via.array.size != n)
		return BLF_EFIELDS;
	op->type = (uint8_t)v;
	if ((err = mp_prefix(&f[1], &op->prefix)) != BLF_OK)
		return err;
	if (op->type == BLF_OP_LIST) {
		if ((err = mp_uint(&f[2], UINT16_MAX, &v)) != BLF_OK)
			return err;
		if (v == 0)
			return BLF_EREASON;
		op->reason = (uint16_t)v;
		if ((err = mp_uint(&f[3], BLF_MAX_TIME, &op->expires)) != BLF_OK)
			return err;
	}
	if (op->type == BLF_OP_DISPUTE) {
		const uint8_t *b;
		size_t blen;

		/* target: bin 0 (every origin) or bin 16 (one origin id) */
		if ((err = mp_bin(&f[2], BLF_MAX_DELTA_SIZE, &b, &blen)) != BLF_OK)
			return err;
		if (blen != 0 && blen != BLF_KEYID_LEN)
			return BLF_ESIZE;
		memcpy(op->id, b, blen);
		op->id_len = (uint8_t)blen;
	} else if (op->type == BLF_OP_UPHOLD || op->type == BLF_OP_CONCEDE) {
		if ((err = mp_bin_fixed(&f[2], op->id, BLF_DISPUTE_ID_LEN)) != BLF_OK)
			return err;
		op->id_len = BLF_DISPUTE_ID_LEN;
	}
	if (op->type >= BLF_OP_DISPUTE && op->type <= BLF_OP_CONCEDE) {
		if ((err = mp_uint(&f[3], UINT16_MAX, &v)) != BLF_OK)
			return err;
		if (v == 0)
			return BLF_EREASON;
		op->reason = (uint16_t)v;
	}
	if (op->type != BLF_OP_DELIST && op->type != BLF_OP_UNEXCLUDE &&
	    op->type != BLF_OP_UNDISPUTE) {
		const char *ref;
		size_t len;

		if ((err = mp_str(&f[n - 1], BLF_MAX_REF_LEN, &ref, &len)) != BLF_OK)
			return err;
		op->ref = len > 0 ? ref : NULL;
		op->ref_len = (uint16_t)len;
	}
	return op_check(op, created, allow_withdraw, 0);
}

/* Decode the n operations of items (type and count already checked), then
 * refuse a prefix named twice. */
static int
decode_ops(const msgpack_object *items, uint32_t n, uint64_t created, int allow_withdraw,
	   blf_op **ops, size_t *nops)
{
	blf_op *v = NULL;
	uint32_t i;
	int err;

	*ops = NULL;
	*nops = 0;
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < n; i++)
		if ((err = decode_op(&items[i], created, allow_withdraw, &v[i])) != BLF_OK)
			goto fail;
	if ((err = ops_unique(v, n)) != BLF_OK)
		goto fail;
	*ops = v;
	*nops = n;
	return BLF_OK;
fail:
	free(v);
	return err;
}

static void
encode_op(const blf_op *op, mp_out *o)
{
	switch (op->type) {
	case BLF_OP_LIST:
		mp_w_array(o, 5);
		mp_w_uint(o, op->type);
		mp_w_prefix(o, &op->prefix);
		mp_w_uint(o, op->reason);
		mp_w_uint(o, op->expires);
		mp_w_str(o, op->ref, op->ref_len);
		break;
	case BLF_OP_EXCLUDE:
		mp_w_array(o, 3);
		mp_w_uint(o, op->type);
		mp_w_prefix(o, &op->prefix);
		mp_w_str(o, op->ref, op->ref_len);
		break;
	case BLF_OP_DISPUTE:
	case BLF_OP_UPHOLD:
	case BLF_OP_CONCEDE:
		mp_w_array(o, 5);
		mp_w_uint(o, op->type);
		mp_w_prefix(o, &op->prefix);
		mp_w_bin(o, op->id, op->id_len);
		mp_w_uint(o, op->reason);
		mp_w_str(o, op->ref, op->ref_len);
		break;
	default: /* delist, unexclude, undispute */
		mp_w_array(o, 2);
		mp_w_uint(o, op->type);
		mp_w_prefix(o, &op->prefix);
		break;
	}
}

static void
encode_ops(const blf_op *ops, size_t n, mp_out *o)
{
	size_t i;

	mp_w_array(o, (uint32_t)n);
	for (i = 0; i < n; i++)
		encode_op(&ops[i], o);
}

/* The domain separator of a dispute id (SPEC 5.6), NUL included. */
static const char dispute_domain[] = "BLFED-DISPUTE";

int
blf_dispute_id(const uint8_t filer[BLF_KEYID_LEN], const blf_op *op,
	       uint8_t id[BLF_DISPUTE_ID_LEN])
{
	crypto_generichash_state st;
	mp_out o;
	int err;

	if (filer == NULL || op == NULL || id == NULL || op->type != BLF_OP_DISPUTE)
		return BLF_EINVAL;
	if ((err = blf_op_check(op, 0, 0)) != BLF_OK)
		return BLF_EINVAL;
	mp_out_init(&o);
	encode_op(op, &o);
	if (o.failed) {
		mp_out_free(&o);
		return BLF_ENOMEM;
	}
	crypto_generichash_init(&st, NULL, 0, BLF_DISPUTE_ID_LEN);
	crypto_generichash_update(&st, (const unsigned char *)dispute_domain,
				  sizeof(dispute_domain));
	crypto_generichash_update(&st, filer, BLF_KEYID_LEN);
	crypto_generichash_update(&st, (const unsigned char *)o.sb.data, o.sb.size);
	crypto_generichash_final(&st, id, BLF_DISPUTE_ID_LEN);
	mp_out_free(&o);
	return BLF_OK;
}

static int
check_ops(const blf_op *ops, size_t n, uint64_t created, int allow_withdraw)
{
	size_t i;
	int err;

	if (n > BLF_MAX_OPS)
		return BLF_ELIMIT;
	if (n > 0 && ops == NULL)
		return BLF_EINVAL;
	for (i = 0; i < n; i++)
		if ((err = blf_op_check(&ops[i], created, allow_withdraw)) != BLF_OK)
			return err;
	return ops_unique(ops, n);
}

/* ---- deltas ---- */

static int
delta_check(const blf_delta *d)
{
	if (d->epoch == 0 || d->created > BLF_MAX_TIME)
		return BLF_ERANGE;
	if (d->seq == 0 || d->seq == UINT64_MAX)
		return BLF_ESEQ;
	if ((d->seq == 1) != (memcmp(d->prev, zero_hash, BLF_HASH_LEN) == 0))
		return BLF_EPREV;
	return BLF_OK;
}

int
blf_delta_decode_body(const uint8_t *body, size_t len, blf_delta *out)
{
	const msgpack_object *f, *items;
	mp_doc doc;
	uint32_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = body_begin(&doc, body, len, BLF_MAX_DELTA_SIZE, BLF_DEPTH_DELTA,
			       BLF_MAX_OBJECTS_OPS)) != BLF_OK)
		goto out;
	/* Each field completely, in order; then the prev rule, which relates
	 * two fields; then the operations, in order (SPEC 3.3). */
	if ((err = mp_array(doc.root, DELTA_FIELDS, &f)) != BLF_OK ||
	    (err = mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = mp_u32_in(&f[1], 1, UINT32_MAX, BLF_ERANGE, &out->epoch)) != BLF_OK ||
	    (err = mp_uint_in(&f[2], 1, UINT64_MAX - 1, BLF_ESEQ, &out->seq)) != BLF_OK ||
	    (err = mp_bin_fixed(&f[3], out->prev, BLF_HASH_LEN)) != BLF_OK ||
	    (err = mp_uint(&f[4], BLF_MAX_TIME, &out->created)) != BLF_OK ||
	    (err = mp_array_max(&f[5], BLF_MAX_OPS, &items, &n)) != BLF_OK)
		goto out;
	if ((err = delta_check(out)) != BLF_OK)
		goto out;
	err = decode_ops(items, n, out->created, 1, &out->ops, &out->nops);
out:
	mp_doc_free(&doc);
	if (err != BLF_OK) {
		blf_delta_free(out);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

static int
delta_encode(const void *msg, mp_out *o)
{
	const blf_delta *d = msg;
	int err;

	if ((err = delta_check(d)) != BLF_OK ||
	    (err = check_ops(d->ops, d->nops, d->created, 1)) != BLF_OK)
		return err;
	mp_w_array(o, DELTA_FIELDS);
	mp_w_bin(o, d->origin, BLF_KEYID_LEN);
	mp_w_uint(o, d->epoch);
	mp_w_uint(o, d->seq);
	mp_w_bin(o, d->prev, BLF_HASH_LEN);
	mp_w_uint(o, d->created);
	encode_ops(d->ops, d->nops, o);
	return BLF_OK;
}

int
blf_delta_seal(const blf_delta *d, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (d == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return envelope_seal(BLF_MSG_DELTA, d, delta_encode, sk, out);
}

static int
dec_delta(const uint8_t *body, size_t len, void *out)
{
	return blf_delta_decode_body(body, len, out);
}

int
blf_delta_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
	       blf_envelope *env, blf_delta *out)
{
	memset(out, 0, sizeof(*out));
	return envelope_open_body(buf, len, BLF_MAX_DELTA_SIZE, BLF_MSG_DELTA, lookup, ctx, env,
				  dec_delta, out);
}

void
blf_delta_free(blf_delta *d)
{
	if (d == NULL)
		return;
	free(d->ops);
	d->ops = NULL;
	d->nops = 0;
}

/* ---- snapshot chunks ---- */

static int
snapshot_check(const blf_snapshot *s)
{
	if (s->epoch == 0 || s->created > BLF_MAX_TIME)
		return BLF_ERANGE;
	if (s->seq == 0 || s->seq == UINT64_MAX)
		return BLF_ESEQ;
	if (s->nchunks == 0 || s->nchunks > BLF_MAX_SNAPSHOT_CHUNKS || s->chunk >= s->nchunks)
		return BLF_ECHUNK;
	return BLF_OK;
}

int
blf_snapshot_decode_body(const uint8_t *body, size_t len, blf_snapshot *out)
{
	const msgpack_object *f, *items;
	mp_doc doc;
	uint32_t n;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_SNAPSHOT,
			       BLF_MAX_OBJECTS_OPS)) != BLF_OK)
		goto out;
	if ((err = mp_array(doc.root, SNAPSHOT_FIELDS, &f)) != BLF_OK ||
	    (err = mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = mp_u32_in(&f[1], 1, UINT32_MAX, BLF_ERANGE, &out->epoch)) != BLF_OK ||
	    (err = mp_uint_in(&f[2], 1, UINT64_MAX - 1, BLF_ESEQ, &out->seq)) != BLF_OK ||
	    (err = mp_bin_fixed(&f[3], out->head, BLF_HASH_LEN)) != BLF_OK ||
	    (err = mp_uint(&f[4], BLF_MAX_TIME, &out->created)) != BLF_OK ||
	    (err = mp_u32(&f[5], &out->chunk)) != BLF_OK ||
	    (err = mp_u32_in(&f[6], 1, BLF_MAX_SNAPSHOT_CHUNKS, BLF_ECHUNK,
			     &out->nchunks)) != BLF_OK ||
	    (err = mp_array_max(&f[7], BLF_MAX_OPS, &items, &n)) != BLF_OK)
		goto out;
	if ((err = snapshot_check(out)) != BLF_OK) /* chunk < nchunks */
		goto out;
	err = decode_ops(items, n, out->created, 0, &out->ops, &out->nops);
out:
	mp_doc_free(&doc);
	if (err != BLF_OK) {
		blf_snapshot_free(out);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

static int
snapshot_encode(const void *msg, mp_out *o)
{
	const blf_snapshot *s = msg;
	int err;

	if ((err = snapshot_check(s)) != BLF_OK ||
	    (err = check_ops(s->ops, s->nops, s->created, 0)) != BLF_OK)
		return err;
	mp_w_array(o, SNAPSHOT_FIELDS);
	mp_w_bin(o, s->origin, BLF_KEYID_LEN);
	mp_w_uint(o, s->epoch);
	mp_w_uint(o, s->seq);
	mp_w_bin(o, s->head, BLF_HASH_LEN);
	mp_w_uint(o, s->created);
	mp_w_uint(o, s->chunk);
	mp_w_uint(o, s->nchunks);
	encode_ops(s->ops, s->nops, o);
	return BLF_OK;
}

int
blf_snapshot_seal(const blf_snapshot *s, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (s == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return envelope_seal(BLF_MSG_SNAPSHOT, s, snapshot_encode, sk, out);
}

static int
dec_snapshot(const uint8_t *body, size_t len, void *out)
{
	return blf_snapshot_decode_body(body, len, out);
}

int
blf_snapshot_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		  blf_envelope *env, blf_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	return envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_SNAPSHOT, lookup, ctx, env,
				  dec_snapshot, out);
}

void
blf_snapshot_free(blf_snapshot *s)
{
	if (s == NULL)
		return;
	free(s->ops);
	s->ops = NULL;
	s->nops = 0;
}
