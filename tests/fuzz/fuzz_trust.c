/*
 * fuzz_trust.c - libFuzzer target for trust_store_parse().
 *
 * Any input must parse or be refused with a message; an accepted store must
 * format to text that parses back to a store which formats identically
 * (the round trip blfed trust relies on to rewrite the file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../keys/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trust_store st, st2;
	char err[KEYS_ERRLEN];
	char *t1 = NULL, *t2 = NULL;
	size_t n1, n2, i;
	blf_prefix p;

	err[0] = '\0';
	if (trust_store_parse((const char *)data, size, "fuzz", &st, err, sizeof(err)) !=
	    BLF_OK) {
		if (err[0] == '\0')
			abort(); /* every refusal says why */
		return 0;
	}
	if (trust_store_format(&st, &t1, &n1) != BLF_OK)
		abort();
	if (trust_store_parse(t1, n1, "fuzz-2", &st2, err, sizeof(err)) != BLF_OK)
		abort();
	if (trust_store_format(&st2, &t2, &n2) != BLF_OK || n1 != n2 || memcmp(t1, t2, n1) != 0)
		abort();
	/* exercise the policy on every scope entry */
	for (i = 0; i < st.nanchors; i++) {
		if (st.anchors[i].nscope > 0) {
			p = st.anchors[i].scope[0];
			(void)trust_anchor_allows(&st.anchors[i], BLF_OP_LIST, &p, 0);
		}
	}
	free(t1);
	free(t2);
	trust_store_free(&st);
	trust_store_free(&st2);
	return 0;
}
