/*
 * testkeys.h - deterministic keys and a key table for protocol tests.
 * Linked into every unit test binary.
 */
#ifndef BLF_TESTKEYS_H
#define BLF_TESTKEYS_H

#include <stdio.h>

#include "../../../protocol/blf.h"

struct tk_key {
	uint8_t sk[BLF_SK_LEN];
	uint8_t pk[BLF_PK_LEN];
	uint8_t keyid[BLF_KEYID_LEN];
};

/* Key from the seed first, first+1, ..., first+31 (SPEC 10 uses 0x00, 0x20, 0x40). */
void tk_from_seed_byte(struct tk_key *k, uint8_t first);

struct tk_table {
	const struct tk_key *const *keys;
	size_t n;
};

/* blf_key_lookup_fn over a struct tk_table. */
int tk_lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN]);

/* blf_key_lookup_fn that always returns the struct tk_key given as ctx. */
int tk_lookup_wrong(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN]);

/* Read hex digits (whitespace ignored) into buf; returns the byte count, 0 on
 * error or overflow. */
size_t tk_read_hex_file(const char *path, uint8_t *buf, size_t cap);

#endif
