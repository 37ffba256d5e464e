/*
 * bench_protocol.c - throughput of the protocol library, beside the
 * library limits measured in the same run.
 *
 * Each figure is the median of BENCH_RUNS runs (default 7).  References:
 * Ed25519 verify of 64 bytes, msgpack_unpack_next of the same 10,000-op
 * delta body, BLAKE2b over 1 MiB.  Ratios put our figures next to what the
 * libraries underneath can do on this machine right now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <sodium.h>

#include "../../protocol/blf.h"
#include "bench_util.h"

#define NOPS 10000
#define T0 1767225600ULL

static int runs = 7;
static uint8_t sk[BLF_SK_LEN], pk[BLF_PK_LEN];

static int
lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t out[BLF_PK_LEN])
{
	(void)ctx;
	(void)keyid;
	memcpy(out, pk, BLF_PK_LEN);
	return BLF_OK;
}

/* Rate (items per second) of fn over `items` items, median of runs. */
#define MEASURE(rate, items, reps, body)                                         \
	do {                                                                     \
		double v_[64];                                                   \
		int r_;                                                          \
		for (r_ = 0; r_ < runs; r_++) {                                  \
			double t_ = bench_now();                                       \
			int k_;                                                  \
			for (k_ = 0; k_ < (reps); k_++) {                        \
				body;                                            \
			}                                                        \
			v_[r_] = (double)(items) * (reps) / (bench_now() - t_);        \
		}                                                                \
		(rate) = bench_median(v_, runs);                                       \
	} while (0)

int
main(void)
{
	blf_op *ops = calloc(NOPS, sizeof(*ops));
	blf_delta d = { .epoch = 1, .seq = 1, .created = T0, .nops = NOPS }, got;
	blf_envelope env;
	blf_buf buf = { 0 };
	uint8_t seed[BLF_SEED_LEN] = { 1 }, sig[BLF_SIG_LEN], msg64[64] = { 0 }, h[32];
	uint8_t *mib = calloc(1, 1 << 20);
	double r_verify, r_unpack, r_blake, r_seal, r_open, r_decode, r_parse, r_resp, r_small;
	blf_delta small = { .epoch = 1, .seq = 1, .created = T0, .nops = 1 };
	blf_catchup_resp resp = { .epoch = 1, .status = BLF_CATCHUP_OK }, rgot;
	blf_buf one = { 0 }, rbuf = { 0 };
	blf_blob *items = calloc(BLF_MAX_CATCHUP_DELTAS, sizeof(*items));
	char txt[BLF_PREFIX_STRLEN];
	blf_prefix p;
	size_t i, txtlen;
	const char *e = getenv("BENCH_RUNS");

	if (e != NULL && atoi(e) > 0 && atoi(e) <= 64)
		runs = atoi(e);
	if (ops == NULL || mib == NULL || items == NULL || blf_init() != BLF_OK)
		return 2;
	crypto_sign_seed_keypair(pk, sk, seed);
	blf_keyid(pk, d.origin);
	for (i = 0; i < NOPS; i++) {
		ops[i].type = BLF_OP_LIST;
		ops[i].prefix.af = BLF_AF_INET;
		ops[i].prefix.len = 32;
		ops[i].prefix.addr[0] = 198;
		ops[i].prefix.addr[1] = 18;
		ops[i].prefix.addr[2] = (uint8_t)(i >> 8);
		ops[i].prefix.addr[3] = (uint8_t)i;
		ops[i].reason = 1;
		ops[i].expires = T0 + 7 * 86400;
		ops[i].ref = "https://example.org/evidence/123456";
		ops[i].ref_len = (uint16_t)strlen(ops[i].ref);
	}
	d.ops = ops;

	/* references */
	crypto_sign_detached(sig, NULL, msg64, sizeof(msg64), sk);
	MEASURE(r_verify, 1, 2000,
		if (crypto_sign_verify_detached(sig, msg64, sizeof(msg64), pk) != 0) return 1);
	MEASURE(r_blake, 1.0, 50, crypto_generichash(h, 32, mib, 1 << 20, NULL, 0));
	if (blf_delta_seal(&d, sk, &buf) != BLF_OK || blf_envelope_parse(buf.data, buf.len, &env))
		return 1;
	MEASURE(r_unpack, NOPS, 20, {
		msgpack_unpacked up;
		size_t off = 0;
		msgpack_unpacked_init(&up);
		if (msgpack_unpack_next(&up, (const char *)env.body, env.body_len, &off) !=
		    MSGPACK_UNPACK_SUCCESS)
			return 1;
		msgpack_unpacked_destroy(&up);
	});

	/* ours */
	MEASURE(r_seal, NOPS, 10, {
		buf.len = 0;
		if (blf_delta_seal(&d, sk, &buf) != BLF_OK)
			return 1;
	});
	MEASURE(r_open, NOPS, 10, {
		if (blf_delta_open(buf.data, buf.len, lookup, NULL, &env, &got) != BLF_OK)
			return 1;
		blf_delta_free(&got);
	});
	MEASURE(r_decode, NOPS, 10, {
		if (blf_delta_decode_body(env.body, env.body_len, &got) != BLF_OK)
			return 1;
		blf_delta_free(&got);
	});
	/* a full catch-up response: 1024 one-operation deltas (SPEC 6.4); the
	 * decoder checks each item's envelope structure, the receiver then
	 * verifies each item's signature */
	blf_keyid(pk, small.origin);
	blf_keyid(pk, resp.origin);
	small.ops = ops;
	if (blf_delta_seal(&small, sk, &one) != BLF_OK)
		return 1;
	for (i = 0; i < BLF_MAX_CATCHUP_DELTAS; i++)
		items[i] = (blf_blob){ one.data, one.len };
	resp.deltas = items;
	resp.ndeltas = BLF_MAX_CATCHUP_DELTAS;
	if (blf_catchup_resp_seal(&resp, sk, &rbuf) != BLF_OK ||
	    blf_envelope_parse(rbuf.data, rbuf.len, &env) != BLF_OK)
		return 1;
	MEASURE(r_resp, BLF_MAX_CATCHUP_DELTAS, 20, {
		if (blf_catchup_resp_decode_body(env.body, env.body_len, &rgot) != BLF_OK)
			return 1;
		blf_catchup_resp_free(&rgot);
	});
	MEASURE(r_small, 1, 2000, {
		if (blf_delta_open(one.data, one.len, lookup, NULL, &env, &got) != BLF_OK)
			return 1;
		blf_delta_free(&got);
	});
	txtlen = blf_prefix_format(&ops[77].prefix, txt);
	MEASURE(r_parse, 1, 200000, if (blf_prefix_parse(txt, txtlen, 0, &p)) return 1);

	printf("protocol benchmark: median of %d runs, one core; delta of %d list ops, "
	       "%zu bytes\n\n", runs, NOPS, buf.len);
	printf("| measure | rate | reference | ratio |\n|---|---:|---|---:|\n");
	printf("| Ed25519 verify, 64 B (reference) | %.0f /s | | |\n", r_verify);
	printf("| BLAKE2b (reference) | %.0f MiB/s | | |\n", r_blake);
	printf("| msgpack_unpack_next, delta body (reference) | %.2f M ops/s | | |\n",
	       r_unpack / 1e6);
	printf("| blf_delta_decode_body (pre-check, unpack, validate) | %.2f M ops/s | "
	       "msgpack_unpack_next | %.2f |\n", r_decode / 1e6, r_decode / r_unpack);
	printf("| blf_delta_open (decode + verify %zu B) | %.2f M ops/s | msgpack_unpack_next | "
	       "%.2f |\n", buf.len, r_open / 1e6, r_open / r_unpack);
	printf("| blf_delta_seal (validate, encode, sign) | %.2f M ops/s | msgpack_unpack_next | "
	       "%.2f |\n", r_seal / 1e6, r_seal / r_unpack);
	printf("| blf_prefix_parse, IPv4 host | %.1f M/s | | |\n", r_parse / 1e6);
	printf("| blf_catchup_resp_decode_body, 1024 items of %zu B (item structure checked) "
	       "| %.0f items/s | blf_delta_open of one item | %.1f |\n", one.len, r_resp,
	       r_resp / r_small);
	printf("| blf_delta_open, one %zu B item (reference for the above) | %.0f /s | | |\n",
	       one.len, r_small);
	blf_buf_free(&one);
	blf_buf_free(&rbuf);
	free(items);
	blf_buf_free(&buf);
	free(ops);
	free(mib);
	return 0;
}
