/*
 * fuzz_manifest.c - libFuzzer target for the export MANIFEST parser and
 * the MANIFEST.sig check (agent/export/manifest.c, SPEC 13), the two
 * files a consumer reads from wherever rsync fetched them.
 *
 * Whatever export_man_parse accepts must format back to exactly the input (the
 * format has one spelling), every name it accepts must pass export_name_ok, and
 * the signature check must never accept arbitrary bytes.  Any disagreement
 * traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/export/export_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[BLF_PK_LEN];
	xman m;
	char *out = NULL;
	size_t outlen = 0, i;

	if (blf_init() != BLF_OK)
		return 0;
	if (export_man_parse((const char *)data, size, &m, NULL, 0) == BLF_OK) {
		for (i = 0; i < m.nfiles; i++)
			check(export_name_ok(m.files[i].name, strlen(m.files[i].name)));
		if (export_man_format(&m, &out, &outlen) == BLF_OK) {
			check(outlen == size && memcmp(out, data, size) == 0);
			free(out);
		}
		export_man_free(&m);
	}
	/* the input as a MANIFEST.sig over itself: never valid for a zero key */
	check(export_manifest_verify(pk, data, size, (const char *)data, size) != BLF_OK);
	return 0;
}
