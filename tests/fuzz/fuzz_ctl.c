/*
 * fuzz_ctl.c - libFuzzer target for the control protocol decoder: whatever
 * ctl_req_decode accepts must re-encode to the same bytes, and each
 * argument of a publish request goes through ctl_op_parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/ctl/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ctl_req r;
	ctl_buf b = {0};
	blf_op op;
	uint64_t ttl;
	size_t i;
	int code;
	const char *msg, *body;
	size_t msglen, bodylen;

	(void)ctl_reply_decode(data, size, &code, &msg, &msglen, &body, &bodylen);
	if (ctl_req_decode(data, size, &r) != BLF_OK)
		return 0;
	if (ctl_req_encode_lang(r.verb, r.json, r.lang, (const char *const *)r.args, r.nargs,
				&b) != BLF_OK)
		__builtin_trap();
	if (b.len != size || memcmp(b.data, data, size) != 0)
		__builtin_trap();
	for (i = 0; i < r.nargs; i++) {
		if (ctl_op_parse(r.args[i], &op, &ttl) == BLF_OK &&
		    blf_prefix_check(&op.prefix) != BLF_OK)
			__builtin_trap();
	}
	ctl_buf_free(&b);
	ctl_req_free(&r);
	return 0;
}
