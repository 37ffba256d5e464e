/*
 * fuzz_common.h - shared by the protocol fuzz targets.
 *
 * The canonical-encoding rule (SPEC 3.1) makes a strong oracle: whatever a
 * body decoder accepts, the encoder must write back byte for byte.  Each
 * target decodes the input and, on success, seals the decoded structure with
 * a fixed key and traps if the sealed body differs from the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../protocol/blf.h"

static uint8_t fuzz_sk[BLF_SK_LEN], fuzz_pk[BLF_PK_LEN];

static void
fuzz_init(void)
{
	static int done;
	uint8_t seed[BLF_SEED_LEN] = { 0 };

	if (done)
		return;
	if (blf_init() != BLF_OK)
		abort();
	crypto_sign_seed_keypair(fuzz_pk, fuzz_sk, seed);
	done = 1;
}

/* Trap unless out holds one envelope whose body is exactly (in, n). */
static void
fuzz_expect_body(const blf_buf *out, const uint8_t *in, size_t n)
{
	blf_envelope env;

	if (blf_envelope_parse(out->data, out->len, &env) != BLF_OK)
		__builtin_trap();
	if (env.body_len != n || memcmp(env.body, in, n) != 0)
		__builtin_trap();
	if (blf_envelope_verify(&env, fuzz_pk) != BLF_OK)
		__builtin_trap();
}

#endif
