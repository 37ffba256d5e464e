/*
 * fuzz_pubkey.c - libFuzzer target for key_public_parse().
 *
 * The input is one line of text (a NUL ends it early, as in C strings).  An
 * accepted key must format to a line that parses back to the same key and
 * comment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pk[BLF_PK_LEN], pk2[BLF_PK_LEN];
	char comment[KEYS_COMMENT_MAX + 1], comment2[KEYS_COMMENT_MAX + 1];
	char line[KEYS_PUBLIC_STRLEN], err[KEYS_ERRLEN];
	char *s;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (key_public_parse(s, pk, comment, sizeof(comment), err, sizeof(err)) == BLF_OK) {
		if (key_public_format(pk, comment, line, sizeof(line)) == 0)
			abort();
		if (key_public_parse(line, pk2, comment2, sizeof(comment2), err,
				     sizeof(err)) != BLF_OK)
			abort();
		if (memcmp(pk, pk2, BLF_PK_LEN) != 0 || strcmp(comment, comment2) != 0)
			abort();
	} else if (err[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
