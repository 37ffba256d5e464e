/*
 * fuzz_envelope.c - libFuzzer target for blf_envelope_parse and the
 * verify/hash path behind it, and for blf_delta_open as a whole (with a
 * lookup that always answers, so the signature check is reached).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	(void)ctx;
	(void)keyid;
	memcpy(pk, fuzz_pk, BLF_PK_LEN);
	return BLF_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	blf_envelope env;
	blf_delta d;
	uint8_t hash[BLF_HASH_LEN];
	int err;

	fuzz_init();
	err = blf_envelope_parse(data, size, &env);
	if (err == BLF_OK) {
		if (env.body + env.body_len > data + size || env.sig + BLF_SIG_LEN > data + size)
			__builtin_trap();
		blf_envelope_hash(&env, hash);
		(void)blf_envelope_verify(&env, fuzz_pk);
	}
	if (blf_delta_open(data, size, lookup, NULL, &env, &d) == BLF_OK)
		blf_delta_free(&d);
	else if (d.ops != NULL)
		__builtin_trap();
	return 0;
}
