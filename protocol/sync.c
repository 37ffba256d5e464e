/*
 * sync.c - anti-entropy messages: heads announcements and catch-up
 * request/response (SPEC 6.2 - 6.4).
 *
 * A catch-up response carries complete, still-signed delta envelopes as
 * opaque byte strings: the responder is only a courier, and the receiver
 * opens each one with blf_delta_open against its own trust anchors.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HEADS_FIELDS 2
#define HEAD_FIELDS 4
#define HEADS_MAX_OBJECTS (4 + (size_t)BLF_MAX_HEADS * (HEAD_FIELDS + 1))
#define REQ_FIELDS 4
#define RESP_FIELDS 6
#define RESP_MAX_OBJECTS (8 + (size_t)BLF_MAX_CATCHUP_DELTAS)

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
	if ((err = body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, 3,
			       HEADS_MAX_OBJECTS)) != BLF_OK)
		goto out;
	if ((err = mp_array(doc.root, HEADS_FIELDS, &f)) != BLF_OK ||
	    (err = mp_uint(&f[0], UINT64_MAX, &out->created)) != BLF_OK ||
	    (err = mp_array_max(&f[1], BLF_MAX_HEADS, &items, &n)) != BLF_OK)
		goto out;
	err = BLF_ENOMEM;
	if (n > 0 && (out->heads = calloc(n, sizeof(*out->heads))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		blf_head *h = &out->heads[i];

		if ((err = mp_array(&items[i], HEAD_FIELDS, &g)) != BLF_OK ||
		    (err = mp_bin_fixed(&g[0], h->origin, BLF_KEYID_LEN)) != BLF_OK ||
		    (err = mp_u32(&g[1], &h->epoch)) != BLF_OK ||
		    (err = mp_uint(&g[2], UINT64_MAX, &h->seq)) != BLF_OK ||
		    (err = mp_bin_fixed(&g[3], h->hash, BLF_HASH_LEN)) != BLF_OK)
			goto out;
	}
	out->nheads = n;
	err = heads_check(out->heads, n);
out:
	mp_doc_free(&doc);
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

	if ((err = heads_check(h->heads, h->nheads)) != BLF_OK)
		return err;
	mp_w_array(o, HEADS_FIELDS);
	mp_w_uint(o, h->created);
	mp_w_array(o, (uint32_t)h->nheads);
	for (i = 0; i < h->nheads; i++) {
		mp_w_array(o, HEAD_FIELDS);
		mp_w_bin(o, h->heads[i].origin, BLF_KEYID_LEN);
		mp_w_uint(o, h->heads[i].epoch);
		mp_w_uint(o, h->heads[i].seq);
		mp_w_bin(o, h->heads[i].hash, BLF_HASH_LEN);
	}
	return BLF_OK;
}

int
blf_heads_seal(const blf_heads *h, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (h == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return envelope_seal(BLF_MSG_HEADS, h, heads_encode, sk, out);
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
	return envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_HEADS, lookup, ctx, env,
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
	if (r->after_seq >= UINT64_MAX - 1)
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
	if ((err = body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, 1,
			       1 + REQ_FIELDS)) != BLF_OK)
		goto out;
	if ((err = mp_array(doc.root, REQ_FIELDS, &f)) != BLF_OK ||
	    (err = mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = mp_u32(&f[1], &out->epoch)) != BLF_OK ||
	    (err = mp_uint(&f[2], UINT64_MAX, &out->after_seq)) != BLF_OK ||
	    (err = mp_u32(&f[3], &out->max)) != BLF_OK)
		goto out;
	err = req_check(out);
out:
	mp_doc_free(&doc);
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
	mp_w_array(o, REQ_FIELDS);
	mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	mp_w_uint(o, r->epoch);
	mp_w_uint(o, r->after_seq);
	mp_w_uint(o, r->max);
	return BLF_OK;
}

int
blf_catchup_req_seal(const blf_catchup_req *r, const uint8_t sk[BLF_SK_LEN], blf_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return envelope_seal(BLF_MSG_CATCHUP_REQ, r, req_encode, sk, out);
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
	return envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_CATCHUP_REQ, lookup, ctx, env,
				  dec_catchup_req, out);
}

/* ---- catch-up response ---- */

static int
resp_check(const blf_catchup_resp *r)
{
	size_t i;

	if (r->epoch == 0)
		return BLF_ERANGE;
	if (r->status > BLF_CATCHUP_STATUS_MAX)
		return BLF_ERANGE;
	if (r->ndeltas > BLF_MAX_CATCHUP_DELTAS)
		return BLF_ELIMIT;
	if (r->status != BLF_CATCHUP_OK && (r->ndeltas != 0 || r->more))
		return BLF_ERANGE; /* only an OK response carries deltas */
	if (r->ndeltas > 0 && r->deltas == NULL)
		return BLF_EINVAL;
	for (i = 0; i < r->ndeltas; i++) {
		if (r->deltas[i].len > BLF_MAX_DELTA_SIZE)
			return BLF_ETOOBIG;
		if (r->deltas[i].len == 0 || r->deltas[i].ptr == NULL)
			return BLF_ESIZE;
	}
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
	if ((err = body_begin(&doc, body, len, BLF_MAX_MSG_SIZE, 2,
			       RESP_MAX_OBJECTS)) != BLF_OK)
		goto out;
	if ((err = mp_array(doc.root, RESP_FIELDS, &f)) != BLF_OK ||
	    (err = mp_bin_fixed(&f[0], out->origin, BLF_KEYID_LEN)) != BLF_OK ||
	    (err = mp_u32(&f[1], &out->epoch)) != BLF_OK ||
	    (err = mp_uint(&f[2], UINT64_MAX, &out->after_seq)) != BLF_OK ||
	    (err = mp_u32(&f[3], &out->status)) != BLF_OK ||
	    (err = mp_bool(&f[4], &out->more)) != BLF_OK ||
	    (err = mp_array_max(&f[5], BLF_MAX_CATCHUP_DELTAS, &items, &n)) != BLF_OK)
		goto out;
	err = BLF_ENOMEM;
	if (n > 0 && (out->deltas = calloc(n, sizeof(*out->deltas))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if ((err = mp_bin(&items[i], BLF_MAX_DELTA_SIZE, &out->deltas[i].ptr,
				  &out->deltas[i].len)) != BLF_OK)
			goto out;
	out->ndeltas = n;
	err = resp_check(out);
out:
	mp_doc_free(&doc);
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
	mp_w_array(o, RESP_FIELDS);
	mp_w_bin(o, r->origin, BLF_KEYID_LEN);
	mp_w_uint(o, r->epoch);
	mp_w_uint(o, r->after_seq);
	mp_w_uint(o, r->status);
	mp_w_bool(o, r->more);
	mp_w_array(o, (uint32_t)r->ndeltas);
	for (i = 0; i < r->ndeltas; i++)
		mp_w_bin(o, r->deltas[i].ptr, r->deltas[i].len);
	return BLF_OK;
}

int
blf_catchup_resp_seal(const blf_catchup_resp *r, const uint8_t sk[BLF_SK_LEN],
		      blf_buf *out)
{
	if (r == NULL || sk == NULL || out == NULL)
		return BLF_EINVAL;
	return envelope_seal(BLF_MSG_CATCHUP_RESP, r, resp_encode, sk, out);
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
	return envelope_open_body(buf, len, BLF_MAX_MSG_SIZE, BLF_MSG_CATCHUP_RESP, lookup, ctx, env,
				  dec_catchup_resp, out);
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
