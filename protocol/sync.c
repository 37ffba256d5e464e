/*
 * sync.c - anti-entropy messages: heads announcements and catch-up
 * request/response (SPEC 6.2 - 6.4), and the snapshot request (SPEC 6.8),
 * which asks for one chunk of a snapshot at a time.
 *
 * A catch-up response carries complete, still-signed delta envelopes as
 * byte strings: the responder is only a courier, and the receiver opens each
 * one with blf_delta_open against its own trust anchors when it applies it.
 * The decoder checks each item's envelope structure (a delta envelope that
 * parses), so that garbage is refused with the response that carries it;
 * blf_catchup_item_check then ties each opened item to the request.
 *
 * Decoders check each field completely (type, size, range) before the next,
 * then the rules that relate fields, then list elements in order: the order
 * SPEC 3.3 gives, so that an input breaking two rules gets one outcome.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HEADS_FIELDS 2
#define HEAD_FIELDS 4
#define REQ_FIELDS 4
#define RESP_FIELDS 6
#define MAX_AFTER_SEQ (UINT64_MAX - 2) /* so that after_seq + 1 is a valid seq */

/* ---- heads ---- */

static int
head_qcmp(const void *a, const void *b)
{
	return memcmp(((const blf_head *)a)->origin, ((const blf_head *)b)->origin,
		      BLF_KEYID_LEN);
}

static int
heads_check(const blf_head *h, size_t n)
{
	blf_head *s;
	size_t i;
	int err = BLF_OK;

	if (n > BLF_MAX_HEADS)
		return BLF_ELIMIT;
	if (n > 0 && h == NULL)
		return BLF_EINVAL;
	for (i = 0; i < n; i++) {
		if (h[i].epoch == 0)
			return BLF_ERANGE;
		if (h[i].seq == 0 || h[i].seq == UINT64_MAX)
			return BLF_ESEQ;
	}
	if (n < 2)
		return BLF_OK;
	if ((s = malloc(n * sizeof(*s))) == NULL)
		return BLF_ENOMEM;
	memcpy(s, h, n * sizeof(*s));
	qsort(s, n, sizeof(*s), head_qcmp);
	for (i = 1; i < n && err == BLF_OK; i++)
		if (head_qcmp(&s[i - 1], &s[i]) == 0)
			err = BLF_EDUP; /* one head per origin */
	free(s);
	return err;
}

int
blf_heads_decode_body(const uint8_t *body, size_t len, blf_heads *out)
{
	const msgpack_object *f, *items, *g;
	mp_doc doc;
	uint32_t n, i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_HEADS,
			       BLF_MAX_OBJECTS_HEADS)) != BLF_OK)
		goto out;
	if ((err = blf_mp_array(doc.root, HEADS_FIELDS, &f)) != BLF_OK ||
	    (err = blf_mp_uint(&f[0], BLF_MAX_TIME, &out->created)) != BLF_OK ||
	    (err = blf_mp_array_max(&f[1], BLF_MAX_HEADS, &items, &n)) != BLF_OK)
		goto out;
	err = BLF_ENOMEM;
	if (n > 0 && (out->heads = calloc(n, sizeof(*out->heads))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		blf_head *h = &out->heads[i];

		if ((err = blf_mp_array(&items[i], HEAD_FIELDS, &g)) != BLF_OK ||
		    (err = blf_mp_bin_fixed(&g[0], h->origin, BLF_KEYID_LEN)) != BLF_OK ||
		    (err = blf_mp_u32_in(&g[1], 1, UINT32_MAX, BLF_ERANGE, &h->epoch)) != BLF_OK ||
		    (err = blf_mp_uint_in(&g[2], 1, UINT64_MAX - 1, BLF_ESEQ, &h->seq)) != BLF_OK ||
		    (err = blf_mp_bin_fixed(&g[3], h->hash, BLF_HASH_LEN)) != BLF_OK)
			goto out;
	}
	out->nheads = n;
	err = heads_check(out->heads, n);
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK) {
		blf_heads_free(out);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

static int
heads_encode(const void *msg, mp_out *o)
{
	const blf_heads *h = msg;
	size_t i;
	int err;

	if (h->created > BLF_MAX_TIME)
		return BLF_ERANGE;
	if ((err = heads_check(h->heads, h->nheads)) != BLF_OK)
		return err;
	blf_mp_w_array(o, HEADS_FIELDS);
	blf_mp_w_uint(o, h->created);
	blf_mp_w_array(o, (uint32_t)h->nheads);
	for (i = 0; i < h->nheads; i++) {
		blf_mp_w_array(o, HEAD_FIELDS);
		blf_mp_w_bin(o, h->heads[i].origin, BLF_KEYID_LEN);
		blf_mp_w_uint(o, h->heads[i].epoch);
		blf_mp_w_uint(o, h->heads[i].seq);
		blf_mp_w_bin(o, h->heads[i].hash, BLF_HASH_LEN);
	}
	return BLF_OK;
}

int
blf_heads_seal(const blf_heads *h, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (h == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return blf_envelope_seal(BLF_MSG_HEADS, h, heads_encode, sk, out);
}

static int
dec_heads(const uint8_t *body, size_t len, void *out)
{
	return blf_heads_decode_body(body, len, out);
}

int
blf_heads_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
	       blf_envelope *env, blf_heads *out)
{
	memset(out, 0, sizeof(*out));
	return blf_envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_HEADS, lookup, ctx, env,
				  dec_heads, out);
}

void
blf_heads_free(blf_heads *h)
{
	if (h == NULL)
		return;
	free(h->heads);
	h->heads = NULL;
	h->nheads = 0;
}

/* ---- catch-up request ---- */

static int
req_check(const blf_catchup_req *r)
{
	if (r->epoch == 0)
		return BLF_ERANGE;
	if (r->max == 0 || r->max > BLF_MAX_CATCHUP_ASK)
		return BLF_ERANGE;
	if (r->after_seq > MAX_AFTER_SEQ)
		return BLF_ESEQ;
	return BLF_OK;
}

int
blf_catchup_req_decode_body(const uint8_t *body, size_t len, blf_catchup_req *out)
{
	const msgpack_object *f;
	mp_doc doc;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_CATCHUP_REQ,
			       BLF_MAX_OBJECTS_FIXED)) != BLF_OK)
		goto out;
	if ((err = blf_mp_array(doc.root, REQ_FIELDS, &f)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[1], 1, UINT32_MAX, BLF_ERANGE, &out->epoch)) != BLF_OK ||
	    (err = blf_mp_uint_in(&f[2], 0, MAX_AFTER_SEQ, BLF_ESEQ, &out->after_seq)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[3], 1, BLF_MAX_CATCHUP_ASK, BLF_ERANGE, &out->max)) != BLF_OK)
		goto out;
	err = req_check(out);
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

static int
req_encode(const void *msg, mp_out *o)
{
	const blf_catchup_req *r = msg;
	int err;

	if ((err = req_check(r)) != BLF_OK)
		return err;
	blf_mp_w_array(o, REQ_FIELDS);
	blf_mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	blf_mp_w_uint(o, r->epoch);
	blf_mp_w_uint(o, r->after_seq);
	blf_mp_w_uint(o, r->max);
	return BLF_OK;
}

int
blf_catchup_req_seal(const blf_catchup_req *r, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return blf_envelope_seal(BLF_MSG_CATCHUP_REQ, r, req_encode, sk, out);
}

static int
dec_catchup_req(const uint8_t *body, size_t len, void *out)
{
	return blf_catchup_req_decode_body(body, len, out);
}

int
blf_catchup_req_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		     blf_envelope *env, blf_catchup_req *out)
{
	memset(out, 0, sizeof(*out));
	return blf_envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_CATCHUP_REQ, lookup, ctx, env,
				  dec_catchup_req, out);
}

/* ---- snapshot request ---- */

#define SREQ_FIELDS 4
#define MAX_SNAP_SEQ (UINT64_MAX - 1)

/* The rules that relate fields (SPEC 6.8): seq 0 asks for chunk 0. */
static int
sreq_check(const blf_snapshot_req *r)
{
	if (r->epoch == 0)
		return BLF_ERANGE;
	if (r->seq > MAX_SNAP_SEQ)
		return BLF_ESEQ;
	if (r->chunk >= BLF_MAX_SNAPSHOT_CHUNKS)
		return BLF_ECHUNK;
	if (r->seq == 0 && r->chunk != 0)
		return BLF_ECHUNK;
	return BLF_OK;
}

int
blf_snapshot_req_decode_body(const uint8_t *body, size_t len, blf_snapshot_req *out)
{
	const msgpack_object *f;
	mp_doc doc;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_CATCHUP_REQ,
			       BLF_MAX_OBJECTS_FIXED)) != BLF_OK)
		goto out;
	if ((err = blf_mp_array(doc.root, SREQ_FIELDS, &f)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[1], 1, UINT32_MAX, BLF_ERANGE, &out->epoch)) != BLF_OK ||
	    (err = blf_mp_uint_in(&f[2], 0, MAX_SNAP_SEQ, BLF_ESEQ, &out->seq)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[3], 0, BLF_MAX_SNAPSHOT_CHUNKS - 1, BLF_ECHUNK, &out->chunk)) !=
		    BLF_OK)
		goto out;
	err = sreq_check(out);
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

static int
sreq_encode(const void *msg, mp_out *o)
{
	const blf_snapshot_req *r = msg;
	int err;

	if ((err = sreq_check(r)) != BLF_OK)
		return err;
	blf_mp_w_array(o, SREQ_FIELDS);
	blf_mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	blf_mp_w_uint(o, r->epoch);
	blf_mp_w_uint(o, r->seq);
	blf_mp_w_uint(o, r->chunk);
	return BLF_OK;
}

int
blf_snapshot_req_seal(const blf_snapshot_req *r, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return blf_envelope_seal(BLF_MSG_SNAPSHOT_REQ, r, sreq_encode, sk, out);
}

static int
dec_snapshot_req(const uint8_t *body, size_t len, void *out)
{
	return blf_snapshot_req_decode_body(body, len, out);
}

int
blf_snapshot_req_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		      blf_envelope *env, blf_snapshot_req *out)
{
	memset(out, 0, sizeof(*out));
	return blf_envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_SNAPSHOT_REQ, lookup, ctx,
				  env, dec_snapshot_req, out);
}

/* ---- catch-up response ---- */

/* The structural check of one carried item (SPEC 6.4): a delta envelope
 * that parses (SPEC 3.3 steps 1-5).  Its signer, signature and body are
 * checked when the receiver applies it (blf_delta_open). */
static int
item_check(const blf_blob *b)
{
	blf_envelope env;

	if (b->len > BLF_MAX_DELTA_SIZE)
		return BLF_ETOOBIG;
	if (b->ptr == NULL && b->len > 0)
		return BLF_EINVAL;
	if (blf_envelope_parse(b->ptr != NULL ? b->ptr : (const uint8_t *)"", b->len,
			       &env) != BLF_OK || env.type != BLF_MSG_DELTA)
		return BLF_EITEM;
	return BLF_OK;
}

/* The rules that relate fields, then each item in order. */
static int
resp_check(const blf_catchup_resp *r)
{
	size_t i;
	int err;

	if (r->epoch == 0)
		return BLF_ERANGE;
	if (r->after_seq > MAX_AFTER_SEQ)
		return BLF_ESEQ;
	if (r->status > BLF_CATCHUP_STATUS_MAX)
		return BLF_ERANGE;
	if (r->ndeltas > BLF_MAX_CATCHUP_DELTAS)
		return BLF_ELIMIT;
	if (r->status != BLF_CATCHUP_OK && (r->ndeltas != 0 || r->more))
		return BLF_ERANGE; /* only an OK response carries deltas */
	if (r->ndeltas > 0 && r->deltas == NULL)
		return BLF_EINVAL;
	for (i = 0; i < r->ndeltas; i++)
		if ((err = item_check(&r->deltas[i])) != BLF_OK)
			return err;
	return BLF_OK;
}

int
blf_catchup_resp_decode_body(const uint8_t *body, size_t len, blf_catchup_resp *out)
{
	const msgpack_object *f, *items;
	mp_doc doc;
	uint32_t n, i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = blf_body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, BLF_DEPTH_CATCHUP_RESP,
			       BLF_MAX_OBJECTS_CATCHUP)) != BLF_OK)
		goto out;
	if ((err = blf_mp_array(doc.root, RESP_FIELDS, &f)) != BLF_OK ||
	    (err = blf_mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[1], 1, UINT32_MAX, BLF_ERANGE, &out->epoch)) != BLF_OK ||
	    (err = blf_mp_uint_in(&f[2], 0, MAX_AFTER_SEQ, BLF_ESEQ, &out->after_seq)) != BLF_OK ||
	    (err = blf_mp_u32_in(&f[3], 0, BLF_CATCHUP_STATUS_MAX, BLF_ERANGE,
			     &out->status)) != BLF_OK ||
	    (err = blf_mp_bool(&f[4], &out->more)) != BLF_OK ||
	    (err = blf_mp_array_max(&f[5], BLF_MAX_CATCHUP_DELTAS, &items, &n)) != BLF_OK)
		goto out;
	err = BLF_ERANGE; /* only an OK response carries deltas */
	if (out->status != BLF_CATCHUP_OK && (n != 0 || out->more))
		goto out;
	err = BLF_ENOMEM;
	if (n > 0 && (out->deltas = calloc(n, sizeof(*out->deltas))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((err = blf_mp_bin(&items[i], BLF_MAX_DELTA_SIZE, &out->deltas[i].ptr,
				  &out->deltas[i].len)) != BLF_OK ||
		    (err = item_check(&out->deltas[i])) != BLF_OK)
			goto out;
	}
	out->ndeltas = n;
	err = BLF_OK;
out:
	blf_mp_doc_free(&doc);
	if (err != BLF_OK) {
		blf_catchup_resp_free(out);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

static int
resp_encode(const void *msg, mp_out *o)
{
	const blf_catchup_resp *r = msg;
	size_t i;
	int err;

	if ((err = resp_check(r)) != BLF_OK)
		return err;
	blf_mp_w_array(o, RESP_FIELDS);
	blf_mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	blf_mp_w_uint(o, r->epoch);
	blf_mp_w_uint(o, r->after_seq);
	blf_mp_w_uint(o, r->status);
	blf_mp_w_bool(o, r->more);
	blf_mp_w_array(o, (uint32_t)r->ndeltas);
	for (i = 0; i < r->ndeltas; i++)
		blf_mp_w_bin(o, r->deltas[i].ptr, r->deltas[i].len);
	return BLF_OK;
}

int
blf_catchup_resp_seal(const blf_catchup_resp *r, const uint8_t sk[BLF_SK_LEN],
		      blf_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return blf_envelope_seal(BLF_MSG_CATCHUP_RESP, r, resp_encode, sk, out);
}

static int
dec_catchup_resp(const uint8_t *body, size_t len, void *out)
{
	return blf_catchup_resp_decode_body(body, len, out);
}

int
blf_catchup_resp_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		      blf_envelope *env, blf_catchup_resp *out)
{
	memset(out, 0, sizeof(*out));
	return blf_envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_CATCHUP_RESP, lookup, ctx, env,
				  dec_catchup_resp, out);
}

int
blf_catchup_item_check(const blf_catchup_resp *r, size_t i, const blf_delta *d)
{
	if (r == NULL || d == NULL || i >= r->ndeltas)
		return BLF_EINVAL;
	/* seq must be after_seq + 1 + i; written without a sum that could wrap */
	if (memcmp(d->origin, r->origin, BLF_KEYID_LEN) != 0 || d->epoch != r->epoch ||
	    d->seq <= r->after_seq || d->seq - r->after_seq - 1 != i)
		return BLF_EITEM;
	return BLF_OK;
}

void
blf_catchup_resp_free(blf_catchup_resp *r)
{
	if (r == NULL)
		return;
	free(r->deltas);
	r->deltas = NULL;
	r->ndeltas = 0;
}
