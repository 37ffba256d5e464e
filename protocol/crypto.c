/*
 * crypto.c - key ids and the caller-owned byte buffer.
 *
 * A key id is BLAKE2b with a 16-byte digest over "BLFED-KEYID" 0x00 || pk
 * (SPEC 3.2): short enough to print, long enough that nobody can find a
 * second key with the same id.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "internal.h"

void
blf_keyid(const uint8_t pk[BLF_PK_LEN], uint8_t keyid[BLF_KEYID_LEN])
{
	uint8_t in[BLF_KEYID_TAG_LEN + BLF_PK_LEN];

	memcpy(in, BLF_KEYID_TAG, BLF_KEYID_TAG_LEN); /* includes the NUL */
	memcpy(in + BLF_KEYID_TAG_LEN, pk, BLF_PK_LEN);
	crypto_generichash(keyid, BLF_KEYID_LEN, in, sizeof(in), NULL, 0);
}

void
blf_keyid_hex(const uint8_t keyid[BLF_KEYID_LEN], char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < BLF_KEYID_LEN; i++) {
		buf[2 * i] = hex[keyid[i] >> 4];
		buf[2 * i + 1] = hex[keyid[i] & 15];
	}
	buf[BLF_KEYID_HEX_LEN] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
blf_keyid_parse(const char *s, size_t n, uint8_t keyid[BLF_KEYID_LEN])
{
	uint8_t tmp[BLF_KEYID_LEN];
	size_t i;

	if (n != BLF_KEYID_HEX_LEN)
		return BLF_EINVAL;
	for (i = 0; i < BLF_KEYID_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return BLF_EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(keyid, tmp, BLF_KEYID_LEN);
	return BLF_OK;
}

void
blf_buf_free(blf_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
blf_buf_append(blf_buf *b, const void *p, size_t n)
{
	if (n > SIZE_MAX - b->len)
		return BLF_ENOMEM;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap < b->len + n)
			cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return BLF_ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return BLF_OK;
}
