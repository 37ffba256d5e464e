/*
 * test_vectors.c - the SPEC.md section 10 test vectors, byte for byte.
 *
 * Builds every vector message from fixed seeds and compares the encoding
 * and message hash with tests/vectors/<name>.hex and <name>.hash; SPEC.md
 * quotes the same files (tests/vectors/check.sh verifies that, and
 * verify.py re-derives every vector with an independent msgpack and Ed25519
 * implementation).  Run with --write to regenerate the files after a
 * deliberate change of the format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../protocol/blf.h"
#include "common/testkeys.h"

#define T0 1767225600ULL /* 2026-01-01T00:00:00Z */
#define VDIR "tests/vectors/"

static int write_mode;
static struct tk_key ka, kb, kc;
static const struct tk_key *const keys[] = { &ka, &kb, &kc };
static struct tk_table table = { keys, 3 };

struct vector {
	char name[32];
	blf_buf msg;
	uint8_t hash[BLF_HASH_LEN];
};

static struct vector vec[16];
static size_t nvec;

static blf_prefix
P(const char *s)
{
	blf_prefix p;

	assert_int_equal(blf_prefix_parse(s, strlen(s), 0, &p), BLF_OK);
	return p;
}

static void
hexdump(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x%s", p[i], (i % 32 == 31 || i == n - 1) ? "\n" : "");
}

static void
check_or_write(const char *name, const char *ext, const uint8_t *p, size_t n)
{
	char path[128];
	uint8_t *want;
	size_t got;

	snprintf(path, sizeof(path), VDIR "%s.%s", name, ext);
	if (write_mode) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		hexdump(f, p, n);
		assert_int_equal(fclose(f), 0);
		return;
	}
	want = malloc(n + 1);
	assert_non_null(want);
	got = tk_read_hex_file(path, want, n + 1);
	if (got != n || memcmp(want, p, n) != 0)
		fail_msg("%s: encoding differs from the vector file (%zu vs %zu bytes)", path,
			 n, got);
	free(want);
}

/* Record a sealed message as vector `name`, with its hash. */
static struct vector *
add(const char *name, blf_buf *msg)
{
	struct vector *v;
	blf_envelope env;

	assert_true(nvec < sizeof(vec) / sizeof(vec[0]));
	v = &vec[nvec++];

	snprintf(v->name, sizeof(v->name), "%s", name);
	v->msg = *msg;
	memset(msg, 0, sizeof(*msg));
	assert_int_equal(blf_envelope_parse(v->msg.data, v->msg.len, &env), BLF_OK);
	blf_envelope_hash(&env, v->hash);
	check_or_write(name, "hex", v->msg.data, v->msg.len);
	check_or_write(name, "hash", v->hash, BLF_HASH_LEN);
	return v;
}

static void
test_keys(void **state)
{
	FILE *f;
	char path[] = VDIR "keys.txt";
	const struct tk_key *k[] = { &ka, &kb, &kc };
	const char *names[] = { "A", "B", "C" };
	char line[512], want[4096] = "", have[4096] = "";
	size_t i, j;

	(void)state;
	/* one line per key: name, seed first byte, public key, key id */
	for (i = 0; i < 3; i++) {
		char *p = want + strlen(want);

		p += sprintf(p, "%s seed=%02x..%02x pk=", names[i], k[i]->sk[0], k[i]->sk[31]);
		for (j = 0; j < BLF_PK_LEN; j++)
			p += sprintf(p, "%02x", k[i]->pk[j]);
		p += sprintf(p, " keyid=");
		for (j = 0; j < BLF_KEYID_LEN; j++)
			p += sprintf(p, "%02x", k[i]->keyid[j]);
		sprintf(p, "\n");
	}
	if (write_mode) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(want, f);
		assert_int_equal(fclose(f), 0);
		return;
	}
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL && strlen(have) + strlen(line) < sizeof(have))
		strcat(have, line);
	fclose(f);
	assert_string_equal(have, want);
}

static void
test_vectors(void **state)
{
	blf_op ops[5];
	blf_delta d = { 0 }, got;
	blf_head head;
	blf_heads hs = { .created = T0 + 120, .nheads = 1, .heads = &head };
	blf_catchup_req rq = { .epoch = 1, .after_seq = 0, .max = 100 };
	blf_catchup_resp rs = { .epoch = 1, .after_seq = 0, .status = BLF_CATCHUP_OK };
	blf_blob blobs[2];
	blf_snapshot sn = { .epoch = 1, .seq = 2, .created = T0 + 180, .chunk = 0, .nchunks = 1 };
	blf_op snops[3];
	blf_rollover ro = { .created = T0 + 86400, .overlap_until = T0 + 8 * 86400 };
	blf_revocation rv = { .created = T0 + 8 * 86400, .reason = BLF_REVOKE_SUPERSEDED };
	blf_envelope env;
	blf_buf buf = { 0 };
	struct vector *d1, *d2;

	(void)state;
	/* delta1: origin A, epoch 1, seq 1 - one operation of each type */
	ops[0] = (blf_op){ .type = BLF_OP_LIST, .prefix = P("198.51.100.7/32"), .reason = 1,
			   .expires = T0 + 7 * 86400, .ref = "ticket 4711", .ref_len = 11 };
	ops[1] = (blf_op){ .type = BLF_OP_LIST, .prefix = P("2001:db8:1::/48"), .reason = 3,
			   .expires = T0 + 30 * 86400 };
	ops[2] = (blf_op){ .type = BLF_OP_DELIST, .prefix = P("203.0.113.0/24") };
	ops[3] = (blf_op){ .type = BLF_OP_EXCLUDE, .prefix = P("192.0.2.128/25"),
			   .ref = "customer verified clean", .ref_len = 23 };
	ops[4] = (blf_op){ .type = BLF_OP_UNEXCLUDE, .prefix = P("2001:db8:ff::/48") };
	memcpy(d.origin, ka.keyid, BLF_KEYID_LEN);
	d.epoch = 1;
	d.seq = 1;
	d.created = T0;
	d.ops = ops;
	d.nops = 5;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	d1 = add("delta1", &buf);

	/* delta2: seq 2 chained to delta1, delists what delta1 listed */
	ops[0] = (blf_op){ .type = BLF_OP_DELIST, .prefix = P("198.51.100.7/32") };
	d.seq = 2;
	memcpy(d.prev, d1->hash, BLF_HASH_LEN);
	d.created = T0 + 60;
	d.nops = 1;
	assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
	d2 = add("delta2", &buf);
	assert_int_equal(blf_delta_open(d2->msg.data, d2->msg.len, tk_lookup, &table, &env,
					&got), BLF_OK);
	assert_memory_equal(got.prev, d1->hash, BLF_HASH_LEN);
	blf_delta_free(&got);

	/* heads: agent B announces that it holds A's log up to seq 2 */
	memcpy(head.origin, ka.keyid, BLF_KEYID_LEN);
	head.epoch = 1;
	head.seq = 2;
	memcpy(head.hash, d2->hash, BLF_HASH_LEN);
	assert_int_equal(blf_heads_seal(&hs, kb.sk, &buf), BLF_OK);
	add("heads", &buf);

	/* catch-up: B asks for A's deltas after 0; A answers with both */
	memcpy(rq.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_catchup_req_seal(&rq, kb.sk, &buf), BLF_OK);
	add("catchup-req", &buf);
	memcpy(rs.origin, ka.keyid, BLF_KEYID_LEN);
	blobs[0] = (blf_blob){ d1->msg.data, d1->msg.len };
	blobs[1] = (blf_blob){ d2->msg.data, d2->msg.len };
	rs.deltas = blobs;
	rs.ndeltas = 2;
	assert_int_equal(blf_catchup_resp_seal(&rs, ka.sk, &buf), BLF_OK);
	add("catchup-resp", &buf);

	/* snapshot of A's state after seq 2: the IPv6 listing and the exclusion */
	snops[0] = ops[1];
	snops[1] = ops[3];
	memcpy(sn.origin, ka.keyid, BLF_KEYID_LEN);
	memcpy(sn.head, d2->hash, BLF_HASH_LEN);
	sn.ops = snops;
	sn.nops = 2;
	assert_int_equal(blf_snapshot_seal(&sn, ka.sk, &buf), BLF_OK);
	add("snapshot", &buf);

	/* rollover of origin A from key A to key C; then A's revocation */
	memcpy(ro.origin, ka.keyid, BLF_KEYID_LEN);
	assert_int_equal(blf_rollover_seal(&ro, ka.sk, kc.sk, &buf), BLF_OK);
	add("rollover", &buf);
	memcpy(rv.origin, ka.keyid, BLF_KEYID_LEN);
	memcpy(rv.revoked_pk, ka.pk, BLF_PK_LEN);
	assert_int_equal(blf_revocation_seal(&rv, ka.sk, &buf), BLF_OK);
	add("revocation", &buf);

	/* snapshot request: B asks for chunk 0 of A's snapshot after seq 2 */
	{
		blf_snapshot_req sq = { .epoch = 1, .seq = 2, .chunk = 0 };

		memcpy(sq.origin, ka.keyid, BLF_KEYID_LEN);
		assert_int_equal(blf_snapshot_req_seal(&sq, kb.sk, &buf), BLF_OK);
		add("snapshot-req", &buf);
	}

	/* 1.2, SPEC 5.6: B disputes A's listings of 198.51.100.0/24 and
	 * withdraws a dispute of 203.0.113.0/24; A upholds for one address and
	 * lists it, chained to delta2 */
	{
		blf_op dops[2], aops[2];
		blf_delta db = { .epoch = 1, .seq = 1, .created = T0 + 240, .ops = dops, .nops = 2 };
		uint8_t id[BLF_DISPUTE_ID_LEN];
		static const char ref[] = "https://asct.example/d/1";
		static const char eref[] = "https://lister.example/e/7";
		char hex[BLF_KEYID_HEX_LEN + 1];

		dops[0] = (blf_op){ .type = BLF_OP_DISPUTE, .prefix = P("198.51.100.0/24"),
				    .reason = 2, .ref = ref, .ref_len = sizeof(ref) - 1,
				    .id_len = BLF_KEYID_LEN };
		memcpy(dops[0].id, ka.keyid, BLF_KEYID_LEN);
		dops[1] = (blf_op){ .type = BLF_OP_UNDISPUTE, .prefix = P("203.0.113.0/24") };
		memcpy(db.origin, kb.keyid, BLF_KEYID_LEN);
		assert_int_equal(blf_delta_seal(&db, kb.sk, &buf), BLF_OK);
		add("dispute1", &buf);
		assert_int_equal(blf_dispute_id(kb.keyid, &dops[0], id), BLF_OK);
		blf_keyid_hex(id, hex);
		assert_string_equal(hex, "227da4b3b19bbe5a1c0073055791134c");

		aops[0] = (blf_op){ .type = BLF_OP_UPHOLD, .prefix = P("198.51.100.7/32"),
				    .reason = 3, .ref = eref, .ref_len = sizeof(eref) - 1,
				    .id_len = BLF_DISPUTE_ID_LEN };
		memcpy(aops[0].id, id, BLF_DISPUTE_ID_LEN);
		aops[1] = (blf_op){ .type = BLF_OP_LIST, .prefix = P("198.51.100.7/32"), .reason = 1,
				    .expires = T0 + 7 * 86400, .ref = "ticket 4711", .ref_len = 11 };
		d.seq = 3;
		memcpy(d.prev, d2->hash, BLF_HASH_LEN);
		d.created = T0 + 300;
		d.ops = aops;
		d.nops = 2;
		assert_int_equal(blf_delta_seal(&d, ka.sk, &buf), BLF_OK);
		add("answer1", &buf);
	}

	while (nvec > 0)
		blf_buf_free(&vec[--nvec].msg);
}

static size_t
hex_field(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2, i;

	assert_true(n <= cap && strlen(h) % 2 == 0);
	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* SPEC 10.2: libsodium's crypto_sign_verify_detached, which blf_envelope_verify
 * and the rollover counter-signature use, gives each Ed25519 vector its
 * recorded verdict (the rules of SPEC 3.2). */
static void
test_ed25519(void **state)
{
	FILE *f = fopen(VDIR "ed25519.txt", "r");
	char line[1024];
	unsigned n = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[64], pkh[80], msgh[256], sigh[160], verdict[16];
		uint8_t pk[BLF_PK_LEN], msg[128], sig[BLF_SIG_LEN];
		size_t mlen;
		int ok;

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%63s %79s %255s %159s %15s", name, pkh, msgh, sigh,
					verdict), 5);
		assert_int_equal(hex_field(pkh, pk, sizeof(pk)), BLF_PK_LEN);
		assert_int_equal(hex_field(sigh, sig, sizeof(sig)), BLF_SIG_LEN);
		mlen = hex_field(msgh, msg, sizeof(msg));
		ok = crypto_sign_verify_detached(sig, msg, mlen, pk) == 0;
		if (ok != (strcmp(verdict, "valid") == 0))
			fail_msg("ed25519 %s: libsodium says %s, the vector %s", name,
				 ok ? "valid" : "invalid", verdict);
		n++;
	}
	fclose(f);
	assert_true(n >= 10);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_ed25519),
	};

	write_mode = argc > 1 && strcmp(argv[1], "--write") == 0;
	if (blf_init() != BLF_OK)
		return 1;
	tk_from_seed_byte(&ka, 0x00);
	tk_from_seed_byte(&kb, 0x20);
	tk_from_seed_byte(&kc, 0x40);
	return cmocka_run_group_tests_name("vectors", tests, NULL, NULL);
}
