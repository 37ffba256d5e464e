/*
 * utf8.c - the one UTF-8 decoder of the code base.
 *
 * Text from the network (references, notes, names) and from files a user
 * hands in is checked here before anything keeps it, and everything that
 * prints or escapes such text (the CLI's terminal and JSON output, the
 * exporter's JSON and TXT) decodes it with blf_utf8_decode, so that all of
 * them agree on what a well-formed sequence is: RFC 3629, no overlong
 * forms, no surrogates, nothing past U+10FFFF, and a sequence cut by the
 * end of the buffer is not one.
 */
#include "internal.h"

/* See blf.h. */
size_t
blf_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0; /* continuation byte, 0xc0/0xc1, >= 0xf5 */
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0; /* overlong, out of range, surrogate */
	*cp = c;
	return len;
}

/* See internal.h. */
int
blf_text_check(const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, k;
	uint32_t c;

	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f) { /* printable ASCII: the common case */
			i++;
			continue;
		}
		if ((k = blf_utf8_decode(s + i, n - i, &c)) == 0)
			return BLF_ESTRING;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return BLF_ESTRING; /* C0, DEL, C1 */
		i += k;
	}
	return BLF_OK;
}
