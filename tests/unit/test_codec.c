/*
 * test_codec.c - round trips of every message type, every rejection path with
 * its exact error code, and signature tamper tests.
 *
 * Hostile bodies are built with msgpack-c's packer and then signed with a
 * valid key (through the library's internal blf_envelope_seal), so that each
 * body rule is reached through the public *_open functions exactly as a
 * peer's message would reach it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../protocol/internal.h"
#include "common/testkeys.h"

#define T0 1767225600ULL /* 2026-01-01T00:00:00Z */

static struct tk_key ka, kb, kc;
static const struct tk_key *const keys[] = { &ka, &kb, &kc };
static struct tk_table table = { keys, 3 };

static blf_prefix
P(const char *s)
{
	blf_prefix p;

	assert_int_equal(blf_prefix_parse(s, strlen(s), 0, &p), BLF_OK);
	return p;
}

static blf_op
op_list(const char *prefix, uint16_t reason, uint64_t expires, const char *ref)
{
	blf_op op = { .type = BLF_OP_LIST, .prefix = P(prefix), .reason = reason,
		      .expires = expires, .ref = ref, .ref_len = (uint16_t)strlen(ref) };
	return op;
}

static blf_op
op_simple(uint8_t type, const char *prefix, const char *ref)
{
	blf_op op = { .type = type, .prefix = P(prefix), .ref = ref,
		      .ref_len = ref ? (uint16_t)strlen(ref) : 0 };
	return op;
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(blf_init(), BLF_OK);
	tk_from_seed_byte(&ka, 0x00);
	tk_from_seed_byte(&kb, 0x20);
	tk_from_seed_byte(&kc, 0x40);
	return 0;
}

/* ---- raw signing of arbitrary body bytes ---- */

struct raw {
	const uint8_t *p;
	size_t n;
};

static int
raw_encode(const void *msg, mp_out *o)
{
	const struct raw *r = msg;

	blf_mp_w_raw(o, r->p, r->n);
	return BLF_OK;
}

/* Sign body bytes as a message of `type` with key k into out. */
static void
raw_seal(unsigned type, const msgpack_sbuffer *body, const struct tk_key *k, blf_buf *out)
{
	struct raw r = { (const uint8_t *)body->data, body->size };

	out->len = 0;
	assert_int_equal(blf_envelope_seal(type, &r, raw_encode, k->sk, out), BLF_OK);
}

/* A packer over a fresh sbuffer. */
struct mb {
	msgpack_sbuffer sb;
	msgpack_packer pk;
};

static void
mb_init(struct mb *m)
{
	msgpack_sbuffer_init(&m->sb);
	msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void
mb_bin(struct mb *m, const void *p, size_t n)
{
	msgpack_pack_bin(&m->pk, n);
	msgpack_pack_bin_body(&m->pk, p, n);
}

static void
mb_str(struct mb *m, const char *s, size_t n)
{
	msgpack_pack_str(&m->pk, n);
	msgpack_pack_str_body(&m->pk, s, n);
}

static void
mb_prefix(struct mb *m, const char *s)
{
	blf_prefix p = P(s);
	uint8_t w[17];

	blf_prefix_to_wire(&p, w);
	mb_bin(m, w, blf_prefix_wire_len(&p));
}

/* ---- round trips ---- */

static void
test_delta_roundtrip(void **state)
{
	blf_op ops[5];
	blf_delta d = { 0 }, got;
	blf_envelope env;
	blf_buf buf = { 0 };
	uint8_t h1[BLF_HASH_LEN], h2[BLF_HASH_LEN];
	size_t i;

	(void)state;
	ops[0] = op_list("198.51.100.7", 1, T0 + 7 * 86400, "ticket 4711");
	ops[1] = op_list("2001:db8:1::/48", 3, T0 + 30 * 86400, "");
	ops[2] = op_simple(BLF_OP_DELIST, "203.0.113.0/24", NULL);
	ops[3] = op_simple(BLF_OP_EXCLUDE, "192.0.2.128/25", "verified clean \xe4\xb8\xad");
	ops[4] = op_simple(BLF_OP_UNEXCLUDE, "2001:db8:ff::/48", NULL);
	memcpy(d.origin, ka.keyid, BLF_KEYID_LEN);
	d.epoch = 1;
	d.seq = 1;
	d.created = T0;
	d.ops = ops;
	d.nops = 5;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	assert_int_equal(blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_int_equal(env.type, BLF_MSG_DELTA);
	assert_memory_equal(env.signer, ka.keyid, BLF_KEYID_LEN);
	assert_memory_equal(got.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(got.epoch, 1);
	assert_int_equal(got.seq, 1);
	assert_int_equal(got.created, T0);
	assert_int_equal(got.nops, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(got.ops[i].type, ops[i].type);
		assert_int_equal(blf_prefix_cmp(&got.ops[i].prefix, &ops[i].prefix), 0);
		assert_int_equal(got.ops[i].reason, ops[i].reason);
		assert_int_equal(got.ops[i].expires, ops[i].expires);
		assert_int_equal(got.ops[i].ref_len, ops[i].ref_len);
		if (ops[i].ref_len)
			assert_memory_equal(got.ops[i].ref, ops[i].ref, ops[i].ref_len);
		/* zero-copy: references point into the envelope buffer */
		if (got.ops[i].ref_len)
			assert_true(got.ops[i].ref > (const char *)buf.data &&
				    got.ops[i].ref < (const char *)buf.data + buf.len);
	}
	/* The hash is over the signing input: the same for a re-parse. */
	blf_envelope_hash(&env, h1);
	assert_int_equal(blf_envelope_parse(buf.data, buf.len, &env), BLF_OK);
	blf_envelope_hash(&env, h2);
	assert_memory_equal(h1, h2, BLF_HASH_LEN);

	/* seq 2 chains to it */
	blf_delta_free(&got);
	d.seq = 2;
	memcpy(d.prev, h1, BLF_HASH_LEN);
	d.nops = 1;
	buf.len = 0;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	assert_int_equal(blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_memory_equal(got.prev, h1, BLF_HASH_LEN);
	blf_delta_free(&got);
	blf_delta_free(NULL);
	blf_buf_free(&buf);
}

static void
test_delta_max_ops(void **state)
{
	blf_op *ops = calloc(BLF_MAX_OPS + 1, sizeof(*ops));
	blf_delta d = { .epoch = 1, .seq = 1, .created = T0 }, got;
	blf_envelope env;
	blf_buf buf = { 0 };
	size_t i;

	(void)state;
	assert_non_null(ops);
	for (i = 0; i <= BLF_MAX_OPS; i++) {
		ops[i].type = BLF_OP_LIST;
		ops[i].prefix.af = BLF_AF_INET;
		ops[i].prefix.len = 32;
		ops[i].prefix.addr[0] = 10;
		ops[i].prefix.addr[1] = (uint8_t)(i >> 16);
		ops[i].prefix.addr[2] = (uint8_t)(i >> 8);
		ops[i].prefix.addr[3] = (uint8_t)i;
		ops[i].reason = 1;
		ops[i].expires = T0 + BLF_MAX_TTL;
		ops[i].ref = "a reference of some length, like a ticket URL";
		ops[i].ref_len = (uint16_t)strlen(ops[i].ref);
	}
	d.ops = ops;
	d.nops = BLF_MAX_OPS + 1;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_ELIMIT);
	assert_int_equal(buf.len, 0);
	d.nops = BLF_MAX_OPS;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	assert_true(buf.len <= BLF_MAX_DELTA_SIZE);
	assert_int_equal(blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_int_equal(got.nops, BLF_MAX_OPS);
	assert_int_equal(got.ops[BLF_MAX_OPS - 1].prefix.addr[3], (BLF_MAX_OPS - 1) & 0xff);
	blf_delta_free(&got);
	blf_buf_free(&buf);
	free(ops);
}

static void
test_heads_roundtrip(void **state)
{
	blf_head h[2];
	blf_heads hs = { .created = T0, .nheads = 2, .heads = h }, got;
	blf_envelope env;
	blf_buf buf = { 0 };

	(void)state;
	memset(h, 0, sizeof(h));
	memcpy(h[0].origin, ka.keyid, BLF_KEYID_LEN);
	h[0].epoch = 1;
	h[0].seq = 42;
	memset(h[0].hash, 0xab, BLF_HASH_LEN);
	memcpy(h[1].origin, kc.keyid, BLF_KEYID_LEN);
	h[1].epoch = 3;
	h[1].seq = UINT64_MAX - 1;
	assert_int_equal(blf_heads_seal(&hs, kb.sk, &buf), BLF_OK);
	assert_int_equal(blf_heads_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_int_equal(got.created, T0);
	assert_int_equal(got.nheads, 2);
	assert_memory_equal(got.heads, h, sizeof(h));
	blf_heads_free(&got);
	/* empty announcement is fine */
	hs.nheads = 0;
	buf.len = 0;
	assert_int_equal(blf_heads_seal(&hs, kb.sk, &buf), BLF_OK);
	assert_int_equal(blf_heads_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_int_equal(got.nheads, 0);
	blf_heads_free(&got);
	/* duplicate origin refused by the encoder too */
	hs.nheads = 2;
	memcpy(h[1].origin, h[0].origin, BLF_KEYID_LEN);
	buf.len = 0;
	assert_int_equal(blf_heads_seal(&hs, kb.sk, &buf), BLF_EDUP);
	blf_buf_free(&buf);
}

static void
test_catchup_roundtrip(void **state)
{
	blf_catchup_req rq = { .epoch = 1, .after_seq = 7, .max = 100 }, rq2;
	blf_catchup_resp rs = { .epoch = 1, .after_seq = 7 }, rs2;
	blf_delta d = { .epoch = 1, .seq = 8, .created = T0 };
	blf_blob blobs[2];
	blf_envelope env;
	blf_buf buf = { 0 }, d8 = { 0 }, d9 = { 0 };

	(void)state;
	/* the items: A's deltas 8 and 9, complete envelopes */
	memcpy(d.origin, ka.keyid, BLF_KEYID_LEN);
	memset(d.prev, 0x11, BLF_HASH_LEN);
	assert_int_equal(blf_delta_seal(&d, ka.sk, &d8), BLF_OK);
	d.seq = 9;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &d9), BLF_OK);
	blobs[0] = (blf_blob){ d8.data, d8.len };
	blobs[1] = (blf_blob){ d9.data, d9.len };
	memcpy(rq.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_catchup_req_seal(&rq, kb.sk, &buf), BLF_OK);
	assert_int_equal(blf_catchup_req_open(buf.data, buf.len, tk_lookup, &table, &env, &rq2),
			 BLF_OK);
	assert_memory_equal(&rq, &rq2, sizeof(rq));

	memcpy(rs.origin, ka.keyid, BLF_KEYID_LEN);
	rs.status = BLF_CATCHUP_OK;
	rs.more = 1;
	rs.ndeltas = 2;
	rs.deltas = blobs;
	buf.len = 0;
	assert_int_equal(blf_catchup_resp_seal(&rs, ka.sk, &buf), BLF_OK);
	assert_int_equal(blf_catchup_resp_open(buf.data, buf.len, tk_lookup, &table, &env,
					       &rs2), BLF_OK);
	assert_int_equal(rs2.status, BLF_CATCHUP_OK);
	assert_int_equal(rs2.more, 1);
	assert_int_equal(rs2.after_seq, 7);
	assert_int_equal(rs2.ndeltas, 2);
	assert_int_equal(rs2.deltas[1].len, d9.len);
	assert_memory_equal(rs2.deltas[1].ptr, d9.data, d9.len);
	blf_catchup_resp_free(&rs2);

	rs.status = BLF_CATCHUP_COMPACTED;
	buf.len = 0;
	assert_int_equal(blf_catchup_resp_seal(&rs, ka.sk, &buf), BLF_ERANGE);
	rs.ndeltas = 0;
	rs.more = 0;
	assert_int_equal(blf_catchup_resp_seal(&rs, ka.sk, &buf), BLF_OK);
	assert_int_equal(blf_catchup_resp_open(buf.data, buf.len, tk_lookup, &table, &env,
					       &rs2), BLF_OK);
	assert_int_equal(rs2.status, BLF_CATCHUP_COMPACTED);
	blf_catchup_resp_free(&rs2);
	blf_buf_free(&buf);
	blf_buf_free(&d8);
	blf_buf_free(&d9);
}

static void
test_snapshot_roundtrip(void **state)
{
	blf_op ops[2];
	blf_snapshot s = { .epoch = 2, .seq = 9, .created = T0, .chunk = 1, .nchunks = 3 }, got;
	blf_envelope env;
	blf_buf buf = { 0 };

	(void)state;
	ops[0] = op_list("10.0.0.0/24", 2, T0 + 86400, "x");
	ops[1] = op_simple(BLF_OP_EXCLUDE, "10.0.0.5", "");
	memcpy(s.origin, ka.keyid, BLF_KEYID_LEN);
	memset(s.head, 0x11, BLF_HASH_LEN);
	s.ops = ops;
	s.nops = 2;
	assert_int_equal(blf_snapshot_seal(&s, ka.sk, &buf), BLF_OK);
	assert_int_equal(blf_snapshot_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_int_equal(got.seq, 9);
	assert_int_equal(got.chunk, 1);
	assert_int_equal(got.nchunks, 3);
	assert_int_equal(got.nops, 2);
	assert_int_equal(got.ops[1].type, BLF_OP_EXCLUDE);
	blf_snapshot_free(&got);
	/* withdrawals have no place in a snapshot */
	ops[1] = op_simple(BLF_OP_DELIST, "10.0.0.5", NULL);
	buf.len = 0;
	assert_int_equal(blf_snapshot_seal(&s, ka.sk, &buf), BLF_EOPTYPE);
	s.nops = 1;
	s.chunk = 3;
	assert_int_equal(blf_snapshot_seal(&s, ka.sk, &buf), BLF_ECHUNK);
	blf_buf_free(&buf);
}

static void
test_rollover_revocation(void **state)
{
	blf_rollover r = { .created = T0, .overlap_until = T0 + 7 * 86400 }, got;
	blf_revocation v = { .created = T0, .reason = BLF_REVOKE_COMPROMISED }, vgot;
	blf_envelope env;
	blf_buf buf = { 0 };

	(void)state;
	memcpy(r.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_rollover_seal(&r, ka.sk, kc.sk, &buf), BLF_OK);
	assert_memory_equal(r.old_pk, ka.pk, BLF_PK_LEN);
	assert_memory_equal(r.new_pk, kc.pk, BLF_PK_LEN);
	assert_int_equal(blf_rollover_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	assert_memory_equal(&got, &r, sizeof(r));
	assert_memory_equal(env.signer, ka.keyid, BLF_KEYID_LEN);

	/* new key equal to old key, or an overlap past the limit */
	buf.len = 0;
	assert_int_equal(blf_rollover_seal(&r, ka.sk, ka.sk, &buf), BLF_ERANGE);
	r.overlap_until = T0 + BLF_MAX_OVERLAP + 1;
	assert_int_equal(blf_rollover_seal(&r, ka.sk, kc.sk, &buf), BLF_ERANGE);
	r.overlap_until = T0 - 1;
	assert_int_equal(blf_rollover_seal(&r, ka.sk, kc.sk, &buf), BLF_ERANGE);

	memcpy(v.origin, ka.keyid, BLF_KEYID_LEN);
	memcpy(v.revoked_pk, ka.pk, BLF_PK_LEN);
	assert_int_equal(blf_revocation_seal(&v, ka.sk, &buf), BLF_OK);
	assert_int_equal(blf_revocation_open(buf.data, buf.len, tk_lookup, &table, &env, &vgot),
			 BLF_OK);
	assert_memory_equal(&vgot, &v, sizeof(v));
	v.reason = BLF_REVOKE_REASON_MAX + 1;
	buf.len = 0;
	assert_int_equal(blf_revocation_seal(&v, ka.sk, &buf), BLF_ERANGE);
	blf_buf_free(&buf);
}

/* Rollover bodies with a bad counter-signature or the wrong envelope signer. */
static void
test_rollover_forgeries(void **state)
{
	blf_rollover r = { .created = T0, .overlap_until = T0 + 86400 }, got;
	blf_envelope env;
	blf_buf buf = { 0 };
	struct mb m;
	uint8_t in[BLF_ROLLOVER_INPUT_LEN];

	(void)state;
	memcpy(r.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_rollover_seal(&r, ka.sk, kc.sk, &buf), BLF_OK);

	/* counter-signature by a key other than the new one */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 6);
	mb_bin(&m, r.origin, 16);
	mb_bin(&m, r.old_pk, 32);
	mb_bin(&m, r.new_pk, 32);
	msgpack_pack_uint64(&m.pk, r.created);
	msgpack_pack_uint64(&m.pk, r.overlap_until);
	memcpy(in, "BLFED-ROLLOVER", 15);
	crypto_sign_detached(r.counter_sig, NULL, in, sizeof(in), kb.sk);
	mb_bin(&m, r.counter_sig, 64);
	raw_seal(BLF_MSG_ROLLOVER, &m.sb, &ka, &buf);
	assert_int_equal(blf_rollover_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_ECOUNTERSIG);
	msgpack_sbuffer_destroy(&m.sb);

	/* a valid body signed by the new key instead of the old one */
	assert_int_equal(blf_rollover_seal(&r, ka.sk, kc.sk, &buf), BLF_OK);
	mb_init(&m);
	msgpack_pack_array(&m.pk, 6);
	mb_bin(&m, r.origin, 16);
	mb_bin(&m, r.old_pk, 32);
	mb_bin(&m, r.new_pk, 32);
	msgpack_pack_uint64(&m.pk, r.created);
	msgpack_pack_uint64(&m.pk, r.overlap_until);
	mb_bin(&m, r.counter_sig, 64);
	raw_seal(BLF_MSG_ROLLOVER, &m.sb, &kc, &buf);
	assert_int_equal(blf_rollover_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_EKEYID);
	msgpack_sbuffer_destroy(&m.sb);
	blf_buf_free(&buf);
}

/* ---- tampering: every byte flip of a signed delta is refused ---- */

static void
test_tamper_every_byte(void **state)
{
	blf_op ops[2];
	blf_delta d = { .epoch = 1, .seq = 1, .created = T0, .ops = ops, .nops = 2 }, got;
	blf_envelope env;
	blf_buf buf = { 0 };
	size_t i;
	int bit;

	(void)state;
	ops[0] = op_list("198.51.100.0/24", 1, T0 + 3600, "ref");
	ops[1] = op_simple(BLF_OP_EXCLUDE, "198.51.100.9", "ok");
	memcpy(d.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	for (i = 0; i < buf.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			int err;

			buf.data[i] ^= (uint8_t)(1u << bit);
			err = blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &got);
			if (err == BLF_OK)
				fail_msg("flip of byte %zu bit %d accepted", i, bit);
			assert_null(got.ops);
			buf.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_OK);
	blf_delta_free(&got);
	/* every truncation is refused too */
	for (i = 0; i < buf.len; i++)
		assert_int_not_equal(blf_delta_open(buf.data, i, tk_lookup, &table, &env, &got),
				     BLF_OK);
	blf_buf_free(&buf);
}

/* ---- envelope rejections ---- */

struct envcase {
	const char *name;
	const char *hex; /* the envelope bytes */
	int err;
};

static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (h[0] && h[1] && n < cap) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

#define SIGNER16 "c410" "00112233445566778899aabbccddeeff"
#define SIG64 "c440" \
	"0000000000000000000000000000000000000000000000000000000000000000" \
	"0000000000000000000000000000000000000000000000000000000000000000"

static void
test_envelope_rejections(void **state)
{
	static const struct envcase cases[] = {
		{ "empty", "", BLF_ETRUNC },
		{ "not an array", "01", BLF_ETYPE },
		{ "empty array", "90", BLF_EFIELDS },
		{ "version as str", "91a131", BLF_ETYPE },
		{ "version 2", "9502", BLF_ETRUNC },
		{ "version 2 complete", "950201" SIGNER16 "c40100" SIG64, BLF_EVERSION },
		{ "version 0", "9500", BLF_ETRUNC },
		{ "four fields", "940101" SIGNER16 "c40100", BLF_EFIELDS },
		{ "six fields", "960101" SIGNER16 "c40100" SIG64 "00", BLF_EFIELDS },
		{ "type > 255", "9501cd0100" SIGNER16 "c40100" SIG64, BLF_ERANGE },
		{ "type 99", "950163" SIGNER16 "c40100" SIG64, BLF_EUNKTYPE },
		{ "type 0", "950100" SIGNER16 "c40100" SIG64, BLF_EUNKTYPE },
		{ "signer 15 bytes", "950101c40f00112233445566778899aabbccddee" "c40100" SIG64,
		  BLF_ESIZE },
		{ "signer as str", "950101b000112233445566778899aabbccddeeff" "c40100" SIG64,
		  BLF_ETYPE },
		{ "body as array", "950101" SIGNER16 "9100" SIG64, BLF_EDEPTH },
		{ "body as str", "950101" SIGNER16 "a100" SIG64, BLF_ETYPE },
		{ "sig 63 bytes", "950101" SIGNER16 "c40100" "c43f"
		  "0000000000000000000000000000000000000000000000000000000000000000"
		  "00000000000000000000000000000000000000000000000000000000000000", BLF_ESIZE },
		{ "sig 65 bytes", "950101" SIGNER16 "c40100" "c441"
		  "000000000000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000000000000000000000000000000000", BLF_ESIZE },
		{ "trailing byte", "950101" SIGNER16 "c40100" SIG64 "00", BLF_ETRAILING },
		{ "map", "80", BLF_EMSGPACK },
		{ "map16", "de0000", BLF_EMSGPACK },
		{ "nil", "c0", BLF_EMSGPACK },
		{ "reserved c1", "c1", BLF_EMSGPACK },
		{ "float", "ca00000000", BLF_EMSGPACK },
		{ "double", "cb0000000000000000", BLF_EMSGPACK },
		{ "negative fixint", "91ff", BLF_EMSGPACK },
		{ "int8", "92d00101", BLF_EMSGPACK },
		{ "fixext", "d40000", BLF_EMSGPACK },
		{ "ext8", "c70100", BLF_EMSGPACK },
		{ "uint8 for small value", "91cc01", BLF_ENONCANON },
		{ "uint16 for byte value", "91cd0001", BLF_ENONCANON },
		{ "uint32 for short value", "91ce0000ffff", BLF_ENONCANON },
		{ "uint64 for word value", "91cf00000000ffffffff", BLF_ENONCANON },
		{ "array16 for 5", "dc000501", BLF_ENONCANON },
		{ "str8 for short", "d90161", BLF_ENONCANON },
		{ "bin16 for short", "c5000100", BLF_ENONCANON },
		{ "array32 huge count", "ddffffffff01", BLF_ETRUNC },
		{ "bin32 huge length", "c6ffffffff00", BLF_ETRUNC },
		{ "truncated uint32", "91ce0001", BLF_ETRUNC },
		{ "truncated header", "dc00", BLF_ETRUNC },
	};
	uint8_t buf[512];
	blf_envelope env;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, buf, sizeof(buf));
		int err = blf_envelope_parse(buf, n, &env);

		if (err != cases[i].err)
			fail_msg("%s: got %d (%s), want %d (%s)", cases[i].name, err,
				 blf_strerror(err), cases[i].err, blf_strerror(cases[i].err));
	}
}

static void
test_envelope_open_errors(void **state)
{
	blf_heads hs = { .created = T0 }, got;
	blf_delta dgot;
	blf_envelope env;
	blf_buf buf = { 0 };
	uint8_t *big;
	const struct tk_key *const only_a[] = { &ka };
	struct tk_table ta = { only_a, 1 };

	(void)state;
	assert_int_equal(blf_heads_seal(&hs, kb.sk, &buf), BLF_OK);
	/* wrong type expected */
	assert_int_equal(blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &dgot),
			 BLF_EWRONGTYPE);
	/* unknown signer */
	assert_int_equal(blf_heads_open(buf.data, buf.len, tk_lookup, &ta, &env, &got),
			 BLF_EUNKKEY);
	/* a lookup answering with a key whose id differs */
	assert_int_equal(blf_heads_open(buf.data, buf.len, tk_lookup_wrong, &ka, &env, &got),
			 BLF_EKEYID);
	/* no lookup */
	assert_int_equal(blf_heads_open(buf.data, buf.len, NULL, NULL, &env, &got), BLF_EINVAL);
	/* signature of another message */
	buf.data[buf.len - 1] ^= 1;
	assert_int_equal(blf_heads_open(buf.data, buf.len, tk_lookup, &table, &env, &got),
			 BLF_EBADSIG);
	/* too big, checked before reading */
	big = calloc(1, BLF_MAX_MSG_SIZE + 1);
	assert_non_null(big);
	assert_int_equal(blf_envelope_parse(big, BLF_MAX_MSG_SIZE + 1, &env), BLF_ETOOBIG);
	assert_int_equal(blf_delta_open(big, BLF_MAX_DELTA_SIZE + 1, tk_lookup, &table, &env,
					&dgot), BLF_ETOOBIG);
	free(big);
	blf_buf_free(&buf);
}

/* A signature made for one message type does not pass as another. */
static void
test_domain_separation(void **state)
{
	blf_catchup_req rq = { .epoch = 1, .after_seq = 0, .max = 1 };
	blf_envelope env;
	blf_buf buf = { 0 };
	uint8_t *p;

	(void)state;
	memcpy(rq.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_catchup_req_seal(&rq, ka.sk, &buf), BLF_OK);
	/* envelope byte 2 is the type (fixint 3); relabel it as a heads (2) */
	p = buf.data;
	assert_int_equal(p[2], BLF_MSG_CATCHUP_REQ);
	p[2] = BLF_MSG_HEADS;
	assert_int_equal(blf_envelope_parse(buf.data, buf.len, &env), BLF_OK);
	assert_int_equal(blf_envelope_verify(&env, ka.pk), BLF_EBADSIG);
	blf_buf_free(&buf);
}

/* ---- body rejections, each signed validly ---- */

typedef void (*op_writer)(struct mb *m);

static void w_ok(struct mb *m)
{
	msgpack_pack_array(&m->pk, 5);
	msgpack_pack_uint8(&m->pk, 1);
	mb_prefix(m, "192.0.2.0/24");
	msgpack_pack_uint16(&m->pk, 1);
	msgpack_pack_uint64(&m->pk, T0 + 60);
	mb_str(m, "", 0);
}
static void w_optype9(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 9);
	mb_prefix(m, "192.0.2.0/24");
}
static void w_optype0(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 0);
	mb_prefix(m, "192.0.2.0/24");
}
static void w_list4(struct mb *m)
{
	msgpack_pack_array(&m->pk, 4);
	msgpack_pack_uint8(&m->pk, 1);
	mb_prefix(m, "192.0.2.0/24");
	msgpack_pack_uint16(&m->pk, 1);
	msgpack_pack_uint64(&m->pk, T0 + 60);
}
static void w_delist3(struct mb *m)
{
	msgpack_pack_array(&m->pk, 3);
	msgpack_pack_uint8(&m->pk, 2);
	mb_prefix(m, "192.0.2.0/24");
	mb_str(m, "", 0);
}
static void w_op_not_array(struct mb *m)
{
	msgpack_pack_uint8(&m->pk, 1);
}
static void w_op_empty(struct mb *m)
{
	msgpack_pack_array(&m->pk, 0);
}
static void w_prefix6(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 2);
	mb_bin(m, "\xc0\x00\x02\x00\x18\x00", 6);
}
static void w_prefix_str(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 2);
	mb_str(m, "\xc0\x00\x02\x00\x18", 5);
}
static void w_hostbits(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 2);
	mb_bin(m, "\xc0\x00\x02\x01\x18", 5);
}
static void w_len33(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 2);
	mb_bin(m, "\xc0\x00\x02\x01\x21", 5);
}
static void w_mapped(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint8(&m->pk, 2);
	mb_bin(m, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01\x80", 17);
}
static void list_with(struct mb *m, uint64_t reason, uint64_t expires, const char *ref,
		      size_t reflen)
{
	msgpack_pack_array(&m->pk, 5);
	msgpack_pack_uint8(&m->pk, 1);
	mb_prefix(m, "192.0.2.0/24");
	msgpack_pack_uint64(&m->pk, reason);
	msgpack_pack_uint64(&m->pk, expires);
	mb_str(m, ref, reflen);
}
static void w_reason0(struct mb *m) { list_with(m, 0, T0 + 60, "", 0); }
static void w_reason_big(struct mb *m) { list_with(m, 70000, T0 + 60, "", 0); }
static void w_exp_now(struct mb *m) { list_with(m, 1, T0, "", 0); }
static void w_exp_past(struct mb *m) { list_with(m, 1, T0 - 1, "", 0); }
static void w_exp_far(struct mb *m) { list_with(m, 1, T0 + BLF_MAX_TTL + 1, "", 0); }
static void w_exp_max(struct mb *m) { list_with(m, 65535, T0 + BLF_MAX_TTL, "", 0); }
static void w_ref_long(struct mb *m)
{
	char ref[256];

	memset(ref, 'a', sizeof(ref));
	list_with(m, 1, T0 + 60, ref, sizeof(ref));
}
static void w_ref_255(struct mb *m)
{
	char ref[255];

	memset(ref, 'a', sizeof(ref));
	list_with(m, 1, T0 + 60, ref, sizeof(ref));
}
static void w_ref_newline(struct mb *m) { list_with(m, 1, T0 + 60, "a\nb", 3); }
static void w_ref_nul(struct mb *m) { list_with(m, 1, T0 + 60, "a\0b", 3); }
static void w_ref_del(struct mb *m) { list_with(m, 1, T0 + 60, "a\x7f", 2); }
static void w_ref_c1(struct mb *m) { list_with(m, 1, T0 + 60, "\xc2\x85", 2); }
static void w_ref_overlong(struct mb *m) { list_with(m, 1, T0 + 60, "\xc0\xaf", 2); }
static void w_ref_surrogate(struct mb *m) { list_with(m, 1, T0 + 60, "\xed\xa0\x80", 3); }
static void w_ref_cut(struct mb *m) { list_with(m, 1, T0 + 60, "\xe4\xb8", 2); }
static void w_ref_big_cp(struct mb *m) { list_with(m, 1, T0 + 60, "\xf4\x90\x80\x80", 4); }
static void w_ref_utf8_ok(struct mb *m) { list_with(m, 1, T0 + 60, "\xe4\xb8\xad\xf0\x9f\x98\x80", 7); }
static void w_ref_bin(struct mb *m)
{
	msgpack_pack_array(&m->pk, 3);
	msgpack_pack_uint8(&m->pk, 3);
	mb_prefix(m, "192.0.2.0/24");
	mb_bin(m, "x", 1);
}
static void w_dup(struct mb *m)
{
	w_ok(m);
}

struct opcase {
	const char *name;
	op_writer w;
	unsigned nops; /* how many times w is called */
	int err;
};

static void
pack_delta(struct mb *m, unsigned nfields, size_t originlen, uint64_t epoch, uint64_t seq,
	   int prev_zero, op_writer w, unsigned nops)
{
	uint8_t z[32] = { 0 }, nz[32];
	unsigned i;

	memset(nz, 0x5a, sizeof(nz));
	msgpack_pack_array(&m->pk, nfields);
	mb_bin(m, ka.keyid, originlen);
	msgpack_pack_uint64(&m->pk, epoch);
	msgpack_pack_uint64(&m->pk, seq);
	mb_bin(m, prev_zero ? z : nz, 32);
	msgpack_pack_uint64(&m->pk, T0);
	if (nfields < 6)
		return;
	msgpack_pack_array(&m->pk, nops);
	for (i = 0; i < nops; i++)
		w(m);
	for (i = 6; i < nfields; i++)
		msgpack_pack_uint8(&m->pk, 0);
}

static int
open_body(struct mb *m)
{
	blf_buf buf = { 0 };
	blf_envelope env;
	blf_delta d;
	int err;

	raw_seal(BLF_MSG_DELTA, &m->sb, &ka, &buf);
	err = blf_delta_open(buf.data, buf.len, tk_lookup, &table, &env, &d);
	if (err == BLF_OK)
		blf_delta_free(&d);
	else
		assert_null(d.ops);
	blf_buf_free(&buf);
	msgpack_sbuffer_destroy(&m->sb);
	return err;
}

static void
test_op_rejections(void **state)
{
	static const struct opcase cases[] = {
		{ "valid list", w_ok, 1, BLF_OK },
		{ "no ops", w_ok, 0, BLF_OK },
		{ "op type 9", w_optype9, 1, BLF_EOPTYPE },
		{ "op type 0", w_optype0, 1, BLF_EOPTYPE },
		{ "list with 4 fields", w_list4, 1, BLF_EFIELDS },
		{ "delist with 3 fields", w_delist3, 1, BLF_EFIELDS },
		{ "op not an array", w_op_not_array, 1, BLF_ETYPE },
		{ "empty op", w_op_empty, 1, BLF_EFIELDS },
		{ "prefix 6 bytes", w_prefix6, 1, BLF_ESIZE },
		{ "prefix as str", w_prefix_str, 1, BLF_ETYPE },
		{ "prefix host bits", w_hostbits, 1, BLF_EHOSTBITS },
		{ "prefix length 33", w_len33, 1, BLF_EPREFIXLEN },
		{ "mapped IPv6", w_mapped, 1, BLF_EMAPPED },
		{ "reason 0", w_reason0, 1, BLF_EREASON },
		{ "reason > 65535", w_reason_big, 1, BLF_ERANGE },
		{ "expires == created", w_exp_now, 1, BLF_EEXPIRY },
		{ "expires before created", w_exp_past, 1, BLF_EEXPIRY },
		{ "expires beyond max TTL", w_exp_far, 1, BLF_EEXPIRY },
		{ "expires at max TTL", w_exp_max, 1, BLF_OK },
		{ "ref 256 bytes", w_ref_long, 1, BLF_ETOOBIG },
		{ "ref 255 bytes", w_ref_255, 1, BLF_OK },
		{ "ref newline", w_ref_newline, 1, BLF_ESTRING },
		{ "ref NUL", w_ref_nul, 1, BLF_ESTRING },
		{ "ref DEL", w_ref_del, 1, BLF_ESTRING },
		{ "ref C1 control", w_ref_c1, 1, BLF_ESTRING },
		{ "ref overlong", w_ref_overlong, 1, BLF_ESTRING },
		{ "ref surrogate", w_ref_surrogate, 1, BLF_ESTRING },
		{ "ref cut sequence", w_ref_cut, 1, BLF_ESTRING },
		{ "ref > U+10FFFF", w_ref_big_cp, 1, BLF_ESTRING },
		{ "ref CJK and emoji", w_ref_utf8_ok, 1, BLF_OK },
		{ "exclude ref as bin", w_ref_bin, 1, BLF_ETYPE },
		{ "duplicate prefix", w_dup, 2, BLF_EDUP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mb m;
		int err;

		mb_init(&m);
		pack_delta(&m, 6, 16, 1, 1, 1, cases[i].w, cases[i].nops);
		err = open_body(&m);
		if (err != cases[i].err)
			fail_msg("%s: got %d (%s), want %d (%s)", cases[i].name, err,
				 blf_strerror(err), cases[i].err, blf_strerror(cases[i].err));
	}
}

static void
test_delta_header_rejections(void **state)
{
	struct {
		const char *name;
		unsigned nfields;
		size_t originlen;
		uint64_t epoch, seq;
		int prev_zero;
		int err;
	} cases[] = {
		{ "ok", 6, 16, 1, 1, 1, BLF_OK },
		{ "ok seq 2", 6, 16, 1, 2, 0, BLF_OK },
		{ "5 fields", 5, 16, 1, 1, 1, BLF_EFIELDS },
		{ "7 fields", 7, 16, 1, 1, 1, BLF_EFIELDS },
		{ "origin 15 bytes", 6, 15, 1, 1, 1, BLF_ESIZE },
		{ "epoch 0", 6, 16, 0, 1, 1, BLF_ERANGE },
		{ "epoch 2^32", 6, 16, 1ULL << 32, 1, 1, BLF_ERANGE },
		{ "seq 0", 6, 16, 1, 0, 1, BLF_ESEQ },
		{ "seq max", 6, 16, 1, UINT64_MAX, 0, BLF_ESEQ },
		{ "seq 1 with prev", 6, 16, 1, 1, 0, BLF_EPREV },
		{ "seq 2 without prev", 6, 16, 1, 2, 1, BLF_EPREV },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mb m;
		int err;

		mb_init(&m);
		pack_delta(&m, cases[i].nfields, cases[i].originlen, cases[i].epoch,
			   cases[i].seq, cases[i].prev_zero, w_ok, 1);
		err = open_body(&m);
		if (err != cases[i].err)
			fail_msg("%s: got %d (%s), want %d (%s)", cases[i].name, err,
				 blf_strerror(err), cases[i].err, blf_strerror(cases[i].err));
	}
}

/* SPEC 3.1 rule 5: a time (created, expires, overlap_until) is at most
 * 2^32-1 (BLF_MAX_TIME); one past it is a range error at decode time, in
 * every body, and the encoders refuse to write it. */
static void
pack_delta_at(struct mb *m, uint64_t created, uint64_t expires, int nops)
{
	uint8_t z[32] = { 0 };

	mb_init(m);
	msgpack_pack_array(&m->pk, 6);
	mb_bin(m, ka.keyid, 16);
	msgpack_pack_uint8(&m->pk, 1);
	msgpack_pack_uint8(&m->pk, 1);
	mb_bin(m, z, 32);
	msgpack_pack_uint64(&m->pk, created);
	msgpack_pack_array(&m->pk, (size_t)nops);
	if (nops > 0) {
		msgpack_pack_array(&m->pk, 5);
		msgpack_pack_uint8(&m->pk, 1);
		mb_prefix(m, "192.0.2.0/24");
		msgpack_pack_uint8(&m->pk, 1);
		msgpack_pack_uint64(&m->pk, expires);
		mb_str(m, "", 0);
	}
}

static int
decode_delta_at(uint64_t created, uint64_t expires, int nops)
{
	struct mb m;
	blf_delta d;
	int err;

	pack_delta_at(&m, created, expires, nops);
	err = blf_delta_decode_body((uint8_t *)m.sb.data, m.sb.size, &d);
	blf_delta_free(&d);
	msgpack_sbuffer_destroy(&m.sb);
	return err;
}

static void
test_time_bound(void **state)
{
	const uint64_t max = BLF_MAX_TIME, day = 86400;
	uint8_t z[32] = { 0 }, sig0[BLF_SIG_LEN] = { 0 };
	blf_heads hs;
	blf_rollover ro;
	blf_revocation rv;
	blf_snapshot sn;
	blf_op op = op_list("192.0.2.0/24", 1, max + 1, "");
	blf_delta d = { .epoch = 1, .seq = 1, .created = max - day, .nops = 1, .ops = &op };
	blf_heads h = { .created = max + 1 };
	blf_buf buf = { 0 };
	struct mb m;

	(void)state;
	assert_int_equal(max, 4294967295ULL);
	/* delta: created and expires */
	assert_int_equal(decode_delta_at(max, 0, 0), BLF_OK);
	assert_int_equal(decode_delta_at(max + 1, 0, 0), BLF_ERANGE);
	assert_int_equal(decode_delta_at(UINT64_MAX, 0, 0), BLF_ERANGE);
	assert_int_equal(decode_delta_at(max - day, max, 1), BLF_OK);
	assert_int_equal(decode_delta_at(max - day, max + 1, 1), BLF_ERANGE);
	/* snapshot chunk: created */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 8);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_uint8(&m.pk, 2);
	mb_bin(&m, z, 32);
	msgpack_pack_uint64(&m.pk, max + 1);
	msgpack_pack_uint8(&m.pk, 0);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_array(&m.pk, 0);
	assert_int_equal(blf_snapshot_decode_body((uint8_t *)m.sb.data, m.sb.size, &sn),
			 BLF_ERANGE);
	msgpack_sbuffer_destroy(&m.sb);
	/* heads: created */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 2);
	msgpack_pack_uint64(&m.pk, max + 1);
	msgpack_pack_array(&m.pk, 0);
	assert_int_equal(blf_heads_decode_body((uint8_t *)m.sb.data, m.sb.size, &hs),
			 BLF_ERANGE);
	msgpack_sbuffer_destroy(&m.sb);
	/* rollover: overlap_until, within the 90-day window of created */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 6);
	mb_bin(&m, ka.keyid, 16);
	mb_bin(&m, ka.pk, 32);
	mb_bin(&m, kc.pk, 32);
	msgpack_pack_uint64(&m.pk, max - day);
	msgpack_pack_uint64(&m.pk, max + 1);
	mb_bin(&m, sig0, sizeof(sig0));
	assert_int_equal(blf_rollover_decode_body((uint8_t *)m.sb.data, m.sb.size, &ro),
			 BLF_ERANGE);
	msgpack_sbuffer_destroy(&m.sb);
	/* revocation: created */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	mb_bin(&m, ka.pk, 32);
	msgpack_pack_uint64(&m.pk, max + 1);
	msgpack_pack_uint8(&m.pk, 1);
	assert_int_equal(blf_revocation_decode_body((uint8_t *)m.sb.data, m.sb.size, &rv),
			 BLF_ERANGE);
	msgpack_sbuffer_destroy(&m.sb);
	/* the encoders never write what the decoders refuse */
	memcpy(d.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_ERANGE);
	op.expires = max;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	d.created = max + 1;
	d.nops = 0;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_ERANGE);
	assert_int_equal(blf_heads_seal(&h, ka.sk, &buf), BLF_ERANGE);
	blf_buf_free(&buf);
}

static void
test_too_many_ops(void **state)
{
	struct mb m;

	(void)state;
	mb_init(&m);
	pack_delta(&m, 6, 16, 1, 1, 1, w_optype0, BLF_MAX_OPS + 1);
	assert_int_equal(open_body(&m), BLF_ELIMIT);
}

static void
test_other_body_rejections(void **state)
{
	blf_heads hs;
	blf_catchup_req rq;
	blf_catchup_resp rs;
	blf_revocation rv;
	struct mb m;
	uint32_t i;

	(void)state;
	/* heads: too many */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 2);
	msgpack_pack_uint64(&m.pk, T0);
	msgpack_pack_array(&m.pk, BLF_MAX_HEADS + 1);
	for (i = 0; i <= BLF_MAX_HEADS; i++)
		msgpack_pack_uint8(&m.pk, 0);
	assert_int_equal(blf_heads_decode_body((uint8_t *)m.sb.data, m.sb.size, &hs),
			 BLF_ELIMIT);
	msgpack_sbuffer_destroy(&m.sb);
	/* heads: seq 0 */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 2);
	msgpack_pack_uint64(&m.pk, T0);
	msgpack_pack_array(&m.pk, 1);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_uint8(&m.pk, 0);
	mb_bin(&m, ka.pk, 32);
	assert_int_equal(blf_heads_decode_body((uint8_t *)m.sb.data, m.sb.size, &hs), BLF_ESEQ);
	msgpack_sbuffer_destroy(&m.sb);
	/* catch-up request: max 0 and max too large */
	for (i = 0; i < 2; i++) {
		mb_init(&m);
		msgpack_pack_array(&m.pk, 4);
		mb_bin(&m, ka.keyid, 16);
		msgpack_pack_uint8(&m.pk, 1);
		msgpack_pack_uint8(&m.pk, 0);
		msgpack_pack_uint32(&m.pk, i == 0 ? 0 : BLF_MAX_CATCHUP_ASK + 1);
		assert_int_equal(blf_catchup_req_decode_body((uint8_t *)m.sb.data, m.sb.size,
							     &rq), BLF_ERANGE);
		msgpack_sbuffer_destroy(&m.sb);
	}
	/* catch-up response: status 3, too many deltas, delta not bin */
	for (i = 0; i < 3; i++) {
		uint32_t k, n = i == 1 ? BLF_MAX_CATCHUP_DELTAS + 1 : 1;
		static const int want[] = { BLF_ERANGE, BLF_ELIMIT, BLF_ETYPE };

		mb_init(&m);
		msgpack_pack_array(&m.pk, 6);
		mb_bin(&m, ka.keyid, 16);
		msgpack_pack_uint8(&m.pk, 1);
		msgpack_pack_uint8(&m.pk, 0);
		msgpack_pack_uint8(&m.pk, i == 0 ? 3 : 0);
		msgpack_pack_false(&m.pk);
		msgpack_pack_array(&m.pk, n);
		for (k = 0; k < n; k++) {
			if (i == 2)
				mb_str(&m, "x", 1);
			else
				mb_bin(&m, "x", 1);
		}
		assert_int_equal(blf_catchup_resp_decode_body((uint8_t *)m.sb.data, m.sb.size,
							      &rs), want[i]);
		assert_null(rs.deltas);
		msgpack_sbuffer_destroy(&m.sb);
	}
	/* revocation: reason out of range, more bool where uint expected */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	mb_bin(&m, ka.pk, 32);
	msgpack_pack_uint64(&m.pk, T0);
	msgpack_pack_true(&m.pk);
	assert_int_equal(blf_revocation_decode_body((uint8_t *)m.sb.data, m.sb.size, &rv),
			 BLF_ETYPE);
	msgpack_sbuffer_destroy(&m.sb);
}

/* ---- SPEC 1.1 rules ---- */

/* Pack a catch-up response body with the given after_seq and items. */
static void
pack_resp(struct mb *m, uint64_t after_seq, const blf_blob *items, size_t n)
{
	size_t i;

	mb_init(m);
	msgpack_pack_array(&m->pk, 6);
	mb_bin(m, ka.keyid, 16);
	msgpack_pack_uint8(&m->pk, 1);
	msgpack_pack_uint64(&m->pk, after_seq);
	msgpack_pack_uint8(&m->pk, 0);
	msgpack_pack_false(&m->pk);
	msgpack_pack_array(&m->pk, (uint32_t)n);
	for (i = 0; i < n; i++)
		mb_bin(m, items[i].ptr, items[i].len);
}

static int
resp_body(struct mb *m)
{
	blf_catchup_resp r;
	int err = blf_catchup_resp_decode_body((uint8_t *)m->sb.data, m->sb.size, &r);

	if (err == BLF_OK)
		blf_catchup_resp_free(&r);
	else
		assert_null(r.deltas);
	msgpack_sbuffer_destroy(&m->sb);
	return err;
}

/* SPEC 6.4: after_seq 0..2^64-3, as in the request; 2^64-2 and 2^64-1 were
 * accepted before 1.1. */
static void
test_catchup_resp_after_seq(void **state)
{
	blf_catchup_resp rs = { .epoch = 1, .after_seq = UINT64_MAX - 1 };
	blf_buf buf = { 0 };
	struct mb m;

	(void)state;
	pack_resp(&m, UINT64_MAX, NULL, 0);
	assert_int_equal(resp_body(&m), BLF_ESEQ);
	pack_resp(&m, UINT64_MAX - 1, NULL, 0);
	assert_int_equal(resp_body(&m), BLF_ESEQ);
	pack_resp(&m, UINT64_MAX - 2, NULL, 0);
	assert_int_equal(resp_body(&m), BLF_OK);
	/* the encoder refuses what the decoder refuses */
	memcpy(rs.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_catchup_resp_seal(&rs, ka.sk, &buf), BLF_ESEQ);
	assert_int_equal(buf.len, 0);
}

/* SPEC 6.4: each carried item is a delta envelope (structure checked by the
 * decoder), and ties to the request once opened. */
static void
test_catchup_items(void **state)
{
	blf_delta d = { .epoch = 1, .seq = 1, .created = T0 }, got;
	blf_heads hs = { .created = T0 };
	blf_catchup_resp r;
	blf_buf d1 = { 0 }, hb = { 0 };
	blf_envelope env;
	blf_blob items[2];
	uint8_t trunc[8];
	struct mb m;

	(void)state;
	memcpy(d.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_delta_seal(&d, ka.sk, &d1), BLF_OK);
	assert_int_equal(blf_heads_seal(&hs, kb.sk, &hb), BLF_OK);
	/* one byte of garbage */
	items[0] = (blf_blob){ (const uint8_t *)"\x01", 1 };
	pack_resp(&m, 0, items, 1);
	assert_int_equal(resp_body(&m), BLF_EITEM);
	/* a valid envelope of another type */
	items[0] = (blf_blob){ hb.data, hb.len };
	pack_resp(&m, 0, items, 1);
	assert_int_equal(resp_body(&m), BLF_EITEM);
	/* a truncated delta envelope, after a good one */
	memcpy(trunc, d1.data, sizeof(trunc));
	items[0] = (blf_blob){ d1.data, d1.len };
	items[1] = (blf_blob){ trunc, sizeof(trunc) };
	pack_resp(&m, 0, items, 2);
	assert_int_equal(resp_body(&m), BLF_EITEM);
	/* an empty item is not an envelope either */
	items[1] = (blf_blob){ (const uint8_t *)"", 0 };
	pack_resp(&m, 0, items, 2);
	assert_int_equal(resp_body(&m), BLF_EITEM);
	/* a delta envelope passes the decoder; its signature waits for apply */
	pack_resp(&m, 0, items, 1);
	assert_int_equal(blf_catchup_resp_decode_body((uint8_t *)m.sb.data, m.sb.size, &r),
			 BLF_OK);
	assert_int_equal(blf_delta_open(r.deltas[0].ptr, r.deltas[0].len, tk_lookup, &table,
					&env, &got), BLF_OK);
	assert_int_equal(blf_catchup_item_check(&r, 0, &got), BLF_OK);
	assert_int_equal(blf_catchup_item_check(&r, 1, &got), BLF_EINVAL);
	r.after_seq = 1; /* item 0 would have to be seq 2 */
	assert_int_equal(blf_catchup_item_check(&r, 0, &got), BLF_EITEM);
	r.after_seq = UINT64_MAX - 2; /* no wrap-around match */
	assert_int_equal(blf_catchup_item_check(&r, 0, &got), BLF_EITEM);
	r.after_seq = 0;
	r.epoch = 2;
	assert_int_equal(blf_catchup_item_check(&r, 0, &got), BLF_EITEM);
	r.epoch = 1;
	r.origin[0] ^= 1;
	assert_int_equal(blf_catchup_item_check(&r, 0, &got), BLF_EITEM);
	blf_delta_free(&got);
	blf_catchup_resp_free(&r);
	msgpack_sbuffer_destroy(&m.sb); /* the items pointed into it */
	blf_buf_free(&d1);
	blf_buf_free(&hb);
}

/* SPEC 3.3 step 3: every uint version other than 1 is unsupported. */
static void
test_version_any_uint(void **state)
{
	static const struct envcase cases[] = {
		{ "version 2^32", "95cf0000000100000000" "01" SIGNER16 "c40100" SIG64,
		  BLF_EVERSION },
		{ "version 2^64-1", "95cfffffffffffffffff" "01" SIGNER16 "c40100" SIG64,
		  BLF_EVERSION },
		{ "version 2^32 alone", "91cf0000000100000000", BLF_EVERSION },
		{ "version 0", "95000101" SIGNER16 "c40100", BLF_EVERSION },
		{ "version bool", "95c301" SIGNER16 "c40100" SIG64, BLF_ETYPE },
		/* SPEC 3.1 rule 8: an empty array is one level deep */
		{ "empty array as body", "950101" SIGNER16 "90" SIG64, BLF_EDEPTH },
	};
	uint8_t buf[512];
	blf_envelope env;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = unhex(cases[i].hex, buf, sizeof(buf));
		int err = blf_envelope_parse(buf, n, &env);

		if (err != cases[i].err)
			fail_msg("%s: got %d (%s), want %d (%s)", cases[i].name, err,
				 blf_strerror(err), cases[i].err, blf_strerror(cases[i].err));
	}
}

/* SPEC 3.1 rule 4 and 9: a fixed-layout body with a field too many gets the
 * field-count outcome; only past BLF_MAX_OBJECTS_FIXED objects is it a limit. */
static void
test_fixed_bodies_field_count(void **state)
{
	blf_catchup_req rq;
	blf_rollover ro;
	blf_revocation rv;
	uint8_t sig[BLF_SIG_LEN] = { 0 };
	struct mb m;
	unsigned extra;

	(void)state;
	for (extra = 1; extra <= 12; extra++) {
		unsigned i;
		int want = 5 + extra <= BLF_MAX_OBJECTS_FIXED ? BLF_EFIELDS : BLF_ELIMIT;

		mb_init(&m);
		msgpack_pack_array(&m.pk, 4 + extra);
		mb_bin(&m, ka.keyid, 16);
		msgpack_pack_uint8(&m.pk, 1);
		msgpack_pack_uint8(&m.pk, 0);
		msgpack_pack_uint8(&m.pk, 1);
		for (i = 0; i < extra; i++)
			msgpack_pack_uint8(&m.pk, 0);
		assert_int_equal(blf_catchup_req_decode_body((uint8_t *)m.sb.data, m.sb.size,
							     &rq), want);
		msgpack_sbuffer_destroy(&m.sb);

		mb_init(&m);
		msgpack_pack_array(&m.pk, 4 + extra);
		mb_bin(&m, ka.keyid, 16);
		mb_bin(&m, ka.pk, 32);
		msgpack_pack_uint64(&m.pk, T0);
		msgpack_pack_uint8(&m.pk, 0);
		for (i = 0; i < extra; i++)
			msgpack_pack_uint8(&m.pk, 0);
		assert_int_equal(blf_revocation_decode_body((uint8_t *)m.sb.data, m.sb.size,
							    &rv), want);
		msgpack_sbuffer_destroy(&m.sb);
	}
	mb_init(&m);
	msgpack_pack_array(&m.pk, 7);
	mb_bin(&m, ka.keyid, 16);
	mb_bin(&m, ka.pk, 32);
	mb_bin(&m, kc.pk, 32);
	msgpack_pack_uint64(&m.pk, T0);
	msgpack_pack_uint64(&m.pk, T0);
	mb_bin(&m, sig, sizeof(sig));
	msgpack_pack_uint8(&m.pk, 0);
	assert_int_equal(blf_rollover_decode_body((uint8_t *)m.sb.data, m.sb.size, &ro),
			 BLF_EFIELDS);
	msgpack_sbuffer_destroy(&m.sb);
}

/* SPEC 3.3, order of checks: each field completely before the next. */
static void w_optype256(struct mb *m)
{
	msgpack_pack_array(&m->pk, 2);
	msgpack_pack_uint16(&m->pk, 256);
	mb_prefix(m, "192.0.2.0/24");
}

static void w_reason0_badref(struct mb *m) { list_with(m, 0, T0 + 60, "a\nb", 3); }

/* SPEC 6.8: the snapshot request round-trips, and each rule has its code. */
static void
test_snapshot_req(void **state)
{
	blf_snapshot_req rq = { .epoch = 2, .seq = 0, .chunk = 0 }, rq2;
	blf_envelope env;
	blf_buf buf = { 0 };
	struct mb m;

	(void)state;
	memcpy(rq.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_snapshot_req_seal(&rq, kb.sk, &buf), BLF_OK);
	assert_int_equal(blf_snapshot_req_open(buf.data, buf.len, tk_lookup, &table, &env, &rq2),
			 BLF_OK);
	assert_int_equal(env.type, BLF_MSG_SNAPSHOT_REQ);
	assert_memory_equal(&rq, &rq2, sizeof(rq));
	/* a catch-up request opener refuses it as another known type */
	{
		blf_catchup_req cq;

		assert_int_equal(blf_catchup_req_open(buf.data, buf.len, tk_lookup, &table, &env,
						      &cq), BLF_EWRONGTYPE);
	}
	rq.seq = 41;
	rq.chunk = BLF_MAX_SNAPSHOT_CHUNKS - 1;
	buf.len = 0;
	assert_int_equal(blf_snapshot_req_seal(&rq, kb.sk, &buf), BLF_OK);
	assert_int_equal(blf_snapshot_req_open(buf.data, buf.len, tk_lookup, &table, &env, &rq2),
			 BLF_OK);
	assert_memory_equal(&rq, &rq2, sizeof(rq));
	/* encoder refusals: the same rules as the decoder */
	rq.chunk = BLF_MAX_SNAPSHOT_CHUNKS;
	assert_int_equal(blf_snapshot_req_seal(&rq, kb.sk, &buf), BLF_ECHUNK);
	rq.chunk = 1;
	rq.seq = 0;
	assert_int_equal(blf_snapshot_req_seal(&rq, kb.sk, &buf), BLF_ECHUNK);
	rq.seq = UINT64_MAX;
	assert_int_equal(blf_snapshot_req_seal(&rq, kb.sk, &buf), BLF_ESEQ);
	rq.seq = 5;
	rq.epoch = 0;
	assert_int_equal(blf_snapshot_req_seal(&rq, kb.sk, &buf), BLF_ERANGE);
	blf_buf_free(&buf);
	assert_string_equal(blf_outcome_name(BLF_ECHUNK), "range");
	assert_string_equal(blf_msg_type_name(BLF_MSG_SNAPSHOT_REQ), "snapshot-request");

	/* decoder: seq 0 with a chunk other than 0 */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_uint8(&m.pk, 0);
	msgpack_pack_uint8(&m.pk, 3);
	assert_int_equal(blf_snapshot_req_decode_body((uint8_t *)m.sb.data, m.sb.size, &rq2),
			 BLF_ECHUNK);
	msgpack_sbuffer_destroy(&m.sb);
	/* a chunk of 65536 */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_uint8(&m.pk, 9);
	msgpack_pack_uint32(&m.pk, 65536);
	assert_int_equal(blf_snapshot_req_decode_body((uint8_t *)m.sb.data, m.sb.size, &rq2),
			 BLF_ECHUNK);
	msgpack_sbuffer_destroy(&m.sb);
	/* three fields */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 3);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_uint8(&m.pk, 9);
	assert_int_equal(blf_snapshot_req_decode_body((uint8_t *)m.sb.data, m.sb.size, &rq2),
			 BLF_EFIELDS);
	msgpack_sbuffer_destroy(&m.sb);
	/* a non-shortest seq (uint16 holding 9) */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_sbuffer_write(&m.sb, "\xcd\x00\x09", 3);
	msgpack_pack_uint8(&m.pk, 0);
	assert_int_equal(blf_snapshot_req_decode_body((uint8_t *)m.sb.data, m.sb.size, &rq2),
			 BLF_ENONCANON);
	msgpack_sbuffer_destroy(&m.sb);
	/* an origin of 15 bytes */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 15);
	msgpack_pack_uint8(&m.pk, 1);
	msgpack_pack_uint8(&m.pk, 0);
	msgpack_pack_uint8(&m.pk, 0);
	assert_int_equal(blf_snapshot_req_decode_body((uint8_t *)m.sb.data, m.sb.size, &rq2),
			 BLF_ESIZE);
	msgpack_sbuffer_destroy(&m.sb);
}

static void
test_field_order(void **state)
{
	struct mb m;
	blf_catchup_req rq;

	(void)state;
	/* any uint op type outside 1..4 is unknown, however large */
	mb_init(&m);
	pack_delta(&m, 6, 16, 1, 1, 1, w_optype256, 1);
	assert_int_equal(open_body(&m), BLF_EOPTYPE);
	/* reason 0 is a fault of field 2, before the reference of field 4 */
	mb_init(&m);
	pack_delta(&m, 6, 16, 1, 1, 1, w_reason0_badref, 1);
	assert_int_equal(open_body(&m), BLF_EREASON);
	/* epoch 0 (field 1) before seq of another type (field 2) */
	mb_init(&m);
	msgpack_pack_array(&m.pk, 4);
	mb_bin(&m, ka.keyid, 16);
	msgpack_pack_uint8(&m.pk, 0);
	mb_str(&m, "x", 1);
	msgpack_pack_uint8(&m.pk, 1);
	assert_int_equal(blf_catchup_req_decode_body((uint8_t *)m.sb.data, m.sb.size, &rq),
			 BLF_ERANGE);
	msgpack_sbuffer_destroy(&m.sb);
	/* delta: epoch 0 before a prefix fault inside the operations */
	mb_init(&m);
	pack_delta(&m, 6, 16, 0, 1, 1, w_hostbits, 1);
	assert_int_equal(open_body(&m), BLF_ERANGE);
}

static void
test_outcome_names(void **state)
{
	static const char *const names[] = {
		"ok", "too-big", "malformed", "noncanonical", "depth", "field-type",
		"field-count", "field-size", "range", "unsupported-version", "unknown-type",
		"unexpected-type", "unknown-key", "bad-signature", "wrong-signer", "bad-prefix",
		"unknown-operation", "expiry", "bad-text", "limit", "bad-prev",
		"bad-counter-signature", "duplicate-entry", "bad-item", "gap", "duplicate",
		"stale", "equivocation", "frozen", "revoked-key", "expired-key", "future", "epoch-step",
		"policy", "local-error",
	};
	int i;
	size_t j;

	(void)state;
	/* every code has a name from the SPEC 3.6 table */
	for (i = -1; i <= BLF_ERR_MAX; i++) {
		const char *n = blf_outcome_name(i);

		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (strcmp(n, names[j]) == 0)
				break;
		if (j == sizeof(names) / sizeof(names[0]))
			fail_msg("code %d: outcome %s is not in the table", i, n);
	}
	assert_string_equal(blf_outcome_name(BLF_OK), "ok");
	assert_string_equal(blf_outcome_name(BLF_ETRUNC), "malformed");
	assert_string_equal(blf_outcome_name(BLF_ETRAILING), "malformed");
	assert_string_equal(blf_outcome_name(BLF_ESEQ), "range");
	assert_string_equal(blf_outcome_name(BLF_EMAPPED), "bad-prefix");
	assert_string_equal(blf_outcome_name(BLF_EITEM), "bad-item");
	assert_string_equal(blf_outcome_name(BLF_ECLOCK), "future");
	assert_string_equal(blf_outcome_name(BLF_ENOMEM), "local-error");
	assert_string_equal(blf_outcome_name(BLF_EIO), "local-error");
	assert_string_equal(blf_outcome_name(BLF_ERR_MAX), "local-error");
	assert_string_equal(blf_outcome_name(-1), "local-error");
}

static void
test_strerror_distinct(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < BLF_ERR_MAX; i++) {
		assert_non_null(blf_strerror(i));
		assert_string_not_equal(blf_strerror(i), "unknown error");
		for (j = 0; j < i; j++)
			assert_string_not_equal(blf_strerror(i), blf_strerror(j));
	}
	assert_string_equal(blf_strerror(BLF_ERR_MAX), "unknown error");
	assert_string_equal(blf_strerror(-1), "unknown error");
	assert_string_equal(blf_msg_type_name(BLF_MSG_ROLLOVER), "rollover");
	assert_string_equal(blf_msg_type_name(0), "unknown");
	assert_string_equal(blf_msg_type_name(BLF_MSG_TYPE_MAX + 1), "unknown");
}

static void
test_reasons(void **state)
{
	uint16_t c;
	size_t i;

	(void)state;
	assert_true(blf_reason_count() >= 10);
	for (i = 0; i < blf_reason_count(); i++) {
		const char *name = blf_reason_name(blf_reason_at(i));

		assert_non_null(name);
		assert_int_equal(blf_reason_parse(name, &c), BLF_OK);
		assert_int_equal(c, blf_reason_at(i));
	}
	assert_int_equal(blf_reason_parse("spam-source", &c), BLF_OK);
	assert_int_equal(c, 1);
	assert_int_equal(blf_reason_parse("40000", &c), BLF_OK);
	assert_int_equal(c, 40000);
	assert_null(blf_reason_name(40000));
	assert_int_equal(blf_reason_parse("0", &c), BLF_EREASON);
	assert_int_equal(blf_reason_parse("65536", &c), BLF_EREASON);
	assert_int_equal(blf_reason_parse("012", &c), BLF_EREASON);
	assert_int_equal(blf_reason_parse("spam", &c), BLF_EREASON);
	assert_int_equal(blf_reason_parse("", &c), BLF_EREASON);
}

/* The one UTF-8 decoder (utf8.c): every boundary of RFC 3629 table 3, and
 * blf_text_check on top of it. */
static void
test_utf8_decode(void **state)
{
	static const struct {
		const char *s;
		size_t n, len;
		uint32_t cp;
	} v[] = {
		{ "A", 1, 1, 0x41 },
		{ "\x7f", 1, 1, 0x7f },
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xc0\x80", 2, 0, 0 },         /* overlong NUL */
		{ "\xc1\xbf", 2, 0, 0 },         /* overlong */
		{ "\xe0\x9f\xbf", 3, 0, 0 },     /* overlong */
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0 }, /* overlong */
		{ "\xed\xa0\x80", 3, 0, 0 },     /* surrogate D800 */
		{ "\xed\xbf\xbf", 3, 0, 0 },     /* surrogate DFFF */
		{ "\xf4\x90\x80\x80", 4, 0, 0 }, /* past U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\x80", 1, 0, 0 },             /* lone continuation */
		{ "\xe4\xb8", 2, 0, 0 },         /* cut by the end */
		{ "\xe4\xb8\xad", 2, 0, 0 },     /* cut by n, not by the bytes */
		{ "\xe4\x41\xad", 3, 0, 0 },     /* not a continuation */
		{ "", 0, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t cp = 0xdeadbeef;
		size_t k = blf_utf8_decode((const uint8_t *)v[i].s, v[i].n, &cp);

		assert_int_equal(k, v[i].len);
		if (k != 0)
			assert_int_equal(cp, v[i].cp);
	}
	assert_int_equal(blf_text_check("caf\xc3\xa9 \xe4\xb8\xad", 9), BLF_OK);
	assert_int_equal(blf_text_check("a\tb", 3), BLF_ESTRING);      /* C0 */
	assert_int_equal(blf_text_check("a\x7f", 2), BLF_ESTRING);     /* DEL */
	assert_int_equal(blf_text_check("\xc2\x85", 2), BLF_ESTRING);  /* C1 NEL */
	assert_int_equal(blf_text_check("\xc2\xa0", 2), BLF_OK);       /* NBSP */
	assert_int_equal(blf_text_check("ab\xe4\xb8", 4), BLF_ESTRING); /* cut */
	assert_int_equal(blf_text_check("", 0), BLF_OK);
}

static void
test_keyid(void **state)
{
	char hex[BLF_KEYID_HEX_LEN + 1];
	uint8_t id[BLF_KEYID_LEN];

	(void)state;
	blf_keyid_hex(ka.keyid, hex);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(blf_keyid_parse(hex, 32, id), BLF_OK);
	assert_memory_equal(id, ka.keyid, BLF_KEYID_LEN);
	hex[0] = hex[0] == 'a' ? 'A' : hex[0];
	assert_int_equal(blf_keyid_parse(hex, 32, id), BLF_OK);
	assert_int_equal(blf_keyid_parse(hex, 31, id), BLF_EINVAL);
	hex[5] = 'g';
	assert_int_equal(blf_keyid_parse(hex, 32, id), BLF_EINVAL);
	assert_memory_not_equal(ka.keyid, kb.keyid, BLF_KEYID_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_roundtrip),
		cmocka_unit_test(test_delta_max_ops),
		cmocka_unit_test(test_heads_roundtrip),
		cmocka_unit_test(test_catchup_roundtrip),
		cmocka_unit_test(test_snapshot_roundtrip),
		cmocka_unit_test(test_rollover_revocation),
		cmocka_unit_test(test_rollover_forgeries),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_envelope_rejections),
		cmocka_unit_test(test_envelope_open_errors),
		cmocka_unit_test(test_domain_separation),
		cmocka_unit_test(test_op_rejections),
		cmocka_unit_test(test_delta_header_rejections),
		cmocka_unit_test(test_too_many_ops),
		cmocka_unit_test(test_other_body_rejections),
		cmocka_unit_test(test_catchup_resp_after_seq),
		cmocka_unit_test(test_catchup_items),
		cmocka_unit_test(test_version_any_uint),
		cmocka_unit_test(test_fixed_bodies_field_count),
		cmocka_unit_test(test_field_order),
		cmocka_unit_test(test_time_bound),
		cmocka_unit_test(test_snapshot_req),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_strerror_distinct),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_keyid),
		cmocka_unit_test(test_utf8_decode),
	};

	return cmocka_run_group_tests_name("codec", tests, setup, NULL);
}
