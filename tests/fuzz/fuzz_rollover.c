/*
 * fuzz_rollover.c - libFuzzer target for blf_rollover_decode_body, and for
 * blf_rollover_open on the same bytes taken as a whole envelope.
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
	blf_rollover r;
	blf_envelope env;

	fuzz_init();
	if (blf_rollover_decode_body(data, size, &r) == BLF_OK &&
	    memcmp(r.old_pk, r.new_pk, BLF_PK_LEN) == 0)
		__builtin_trap(); /* the decoder must refuse old == new */
	(void)blf_rollover_open(data, size, lookup, NULL, &env, &r);
	return 0;
}
