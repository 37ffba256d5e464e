/*
 * fuzz_prefixfile.c - libFuzzer target for trust_prefixes_parse(), the
 * reader of scope-file and authority-file lists.
 *
 * Any input must parse or be refused with a message naming the line; every
 * accepted prefix must be valid and format to text that parses back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[KEYS_ERRLEN], buf[BLF_PREFIX_STRLEN];
	blf_prefix *v = NULL, back;
	size_t n = 0, i, len;

	err[0] = '\0';
	if (trust_prefixes_parse((const char *)data, size, "fuzz", &v, &n, err, sizeof(err)) !=
	    BLF_OK) {
		if (strncmp(err, "fuzz:", 5) != 0)
			abort(); /* every refusal names the line */
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (blf_prefix_check(&v[i]) != BLF_OK)
			abort();
		len = blf_prefix_format(&v[i], buf);
		if (blf_prefix_parse(buf, len, 1, &back) != BLF_OK ||
		    blf_prefix_cmp(&back, &v[i]) != 0)
			abort();
	}
	free(v);
	return 0;
}
