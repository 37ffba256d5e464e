/*
 * fuzz_snapshot_req.c - libFuzzer target for blf_snapshot_req_decode_body: anything it accepts must
 * re-encode to the same bytes (SPEC 3.1, shortest encodings).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	blf_snapshot_req m;
	blf_buf out = { 0 };

	fuzz_init();
	if (blf_snapshot_req_decode_body(data, size, &m) != BLF_OK)
		return 0;
	if (blf_snapshot_req_seal(&m, fuzz_sk, &out) != BLF_OK)
		__builtin_trap();
	fuzz_expect_body(&out, data, size);
	blf_buf_free(&out);

	return 0;
}
