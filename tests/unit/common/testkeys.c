/*
 * testkeys.c - deterministic keys and a key table for protocol tests.
 */
#include <string.h>

#include <sodium.h>

#include "testkeys.h"

void
tk_from_seed_byte(struct tk_key *k, uint8_t first)
{
	uint8_t seed[BLF_SEED_LEN];
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(first + i);
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	blf_keyid(k->pk, k->keyid);
}

int
tk_lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	const struct tk_table *t = ctx;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (memcmp(t->keys[i]->keyid, keyid, BLF_KEYID_LEN) == 0) {
			memcpy(pk, t->keys[i]->pk, BLF_PK_LEN);
			return BLF_OK;
		}
	}
	return BLF_EUNKKEY;
}

/* A lookup that answers with the wrong key for every id. */
int
tk_lookup_wrong(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	const struct tk_key *k = ctx;

	(void)keyid;
	memcpy(pk, k->pk, BLF_PK_LEN);
	return BLF_OK;
}

size_t
tk_read_hex_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c, hi = -1;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF) {
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			continue; /* whitespace, newlines */
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap) {
				n = 0;
				break;
			}
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	return n;
}
