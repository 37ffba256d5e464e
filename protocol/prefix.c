/*
 * prefix.c - IPv4 and IPv6 CIDR prefixes: text form, wire form, order and
 * containment (SPEC 4).
 *
 * Every listing names a prefix, so these functions run millions of times
 * while loading a journal or a feed.  They allocate nothing, keep no state
 * and use no libc parser (no sscanf, no inet_pton): the text parser and the
 * formatter below are written by hand and read at most n bytes of their
 * input, which need not be NUL-terminated.  A blf_prefix that passed any
 * function here has all bits past its length zero, so two prefixes of one
 * family compare with memcmp().  On error no out-parameter is written.
 *
 * SPEC 4 - Prefixes
 *
 * 4.1 Text form (blf_prefix_parse).
 *  - IPv4: a dotted quad, exactly four decimal octets 0..255, no leading
 *    zeros ("01" is rejected, "0" is fine), no signs, no spaces.
 *  - IPv6: RFC 4291 text: groups of 1-4 hex digits in either case, at most
 *    one "::", which stands for one or more zero groups; without "::"
 *    exactly eight groups.  A trailing dotted quad (IPv4 rules above) counts
 *    as two groups ("64:ff9b::1.2.3.4").  Zone ids ("fe80::1%eth0") are
 *    rejected.
 *  - IPv4-mapped and IPv4-compatible forms give BLF_EMAPPED: any address
 *    whose first 80 bits are zero and next 16 bits are 0xffff, however it
 *    is written (::ffff:1.2.3.4, ::ffff:102:304), and any text that uses a
 *    dotted quad after 96 zero bits (::1.2.3.4).  Such addresses have an
 *    IPv4 form, which is the only one accepted.
 *  - "/len": decimal, no leading zeros ("/08" is rejected, "/0" is fine),
 *    0..32 for IPv4 and 0..128 for IPv6.  A larger number gives
 *    BLF_EPREFIXLEN; anything else that is not such a number, BLF_EPREFIX.
 *  - Without "/len" the text names one host (/32 or /128); where a length
 *    is required its absence is BLF_EPREFIX.
 *  - Bits set past the length give BLF_EHOSTBITS (blf_prefix_parse_loose
 *    clears them instead: "10.1.2.3/8" is 10.0.0.0/8).
 *  - Empty input, input longer than BLF_MAX_PREFIX_TEXT (64) bytes, any
 *    other byte (space, NUL, '+', '%' ...) or trailing bytes: BLF_EPREFIX.
 *  - Checks apply in this order: syntax (BLF_EPREFIX), length range
 *    (BLF_EPREFIXLEN), mapped forms (BLF_EMAPPED), host bits (BLF_EHOSTBITS).
 *  - Canonical output: IPv4 dotted quad; IPv6 per RFC 5952 (lower case, no
 *    leading zeros in a group, the longest run of two or more zero groups
 *    written "::", the first such run on a tie, a single zero group written
 *    "0", never a dotted quad); then "/len".  At most 43 characters.
 *
 * 4.2 Wire form.  IPv4: 5 bytes, the 4 address bytes then the length byte.
 *    IPv6: 17 bytes, the 16 address bytes then the length byte.  Any other
 *    size is BLF_ESIZE; a length out of range is BLF_EPREFIXLEN; bits set
 *    past the length are BLF_EHOSTBITS; an IPv6 prefix inside ::ffff:0:0/96
 *    (first 80 bits zero, next 16 ones, length >= 96) is BLF_EMAPPED.
 *
 * 4.3 Order and containment.  Prefixes sort IPv4 first, then by address
 *    bytes, then by length, shorter first.  A prefix contains another of
 *    the same family when it is not longer and their leading (outer length)
 *    bits are equal; a prefix contains itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blf.h"

#define V4_BYTES 4
#define V6_BYTES 16
#define V4_BITS 32
#define V6_BITS 128
#define V6_GROUPS 8
#define GROUP_DIGITS 4    /* hex digits in one IPv6 group */
#define OCTET_DIGITS 3    /* decimal digits in one IPv4 octet */
#define LEN_DIGITS 3      /* decimal digits in "/len" (at most 128) */
#define MAPPED_ZERO 10    /* bytes of zeros before 0xffff in ::ffff:0:0/96 */
#define MAPPED_LEN 96     /* length of ::ffff:0:0/96 */
#define COMPAT_ZERO 12    /* bytes of zeros before a dotted quad in ::a.b.c.d */
#define V4_WIRE_LEN (V4_BYTES + 1)
#define V6_WIRE_LEN (V6_BYTES + 1)

static const char hexdigits[] = "0123456789abcdef";

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20; /* fold upper case; no other byte lands in 'a'..'f' */
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static unsigned
max_bits(unsigned af)
{
	return af == BLF_AF_INET ? V4_BITS : V6_BITS;
}

/*
 * Parse exactly one dotted quad filling s[0..n) into out[0..3].  Returns 0
 * or -1.
 */
static int
parse_v4(const char *s, size_t n, uint8_t out[V4_BYTES])
{
	uint8_t tmp[V4_BYTES];
	size_t i = 0;
	int k;

	for (k = 0; k < V4_BYTES; k++) {
		unsigned v = 0;
		size_t start = i;

		if (k > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			start = ++i;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (i - start == OCTET_DIGITS)
				return -1;
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == start)
			return -1;
		if (s[start] == '0' && i - start > 1)
			return -1; /* leading zero */
		if (v > 255)
			return -1;
		tmp[k] = (uint8_t)v;
	}
	if (i != n)
		return -1;
	memcpy(out, tmp, V4_BYTES);
	return 0;
}

/*
 * Parse an RFC 4291 IPv6 address filling s[0..n) into out[0..15].  *dotted
 * is set when the text ends in a dotted quad.  Returns 0 or -1.
 */
static int
parse_v6(const char *s, size_t n, uint8_t out[V6_BYTES], int *dotted)
{
	uint16_t g[V6_GROUPS];
	uint8_t quad[V4_BYTES];
	int ng = 0, gap = -1, k, j;
	size_t i = 0;

	*dotted = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < n) {
		size_t start = i;
		unsigned v = 0;
		int h;

		while (i < n && (h = hexval((unsigned char)s[i])) >= 0) {
			if (i - start == GROUP_DIGITS)
				return -1;
			v = (v << 4) | (unsigned)h;
			i++;
		}
		if (i == start)
			return -1;
		if (i < n && s[i] == '.') {
			/* A dotted quad ends the address and fills two groups. */
			if (ng > V6_GROUPS - 2 || parse_v4(s + start, n - start, quad) != 0)
				return -1;
			g[ng++] = (uint16_t)(quad[0] << 8 | quad[1]);
			g[ng++] = (uint16_t)(quad[2] << 8 | quad[3]);
			*dotted = 1;
			break;
		}
		if (ng == V6_GROUPS)
			return -1;
		g[ng++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return -1;
		if (++i == n)
			return -1; /* a single trailing colon */
		if (s[i] == ':') {
			if (gap >= 0)
				return -1; /* a second "::" */
			gap = ng;
			i++;
		}
	}
	if (gap < 0 ? ng != V6_GROUPS : ng >= V6_GROUPS)
		return -1;

	memset(out, 0, V6_BYTES);
	for (k = 0; k < ng; k++) {
		j = (gap >= 0 && k >= gap) ? k + (V6_GROUPS - ng) : k;
		out[2 * j] = (uint8_t)(g[k] >> 8);
		out[2 * j + 1] = (uint8_t)g[k];
	}
	return 0;
}

/* Non-zero if the first nbytes of a are zero. */
static int
zero_bytes(const uint8_t *a, size_t nbytes)
{
	size_t i;

	for (i = 0; i < nbytes; i++)
		if (a[i] != 0)
			return 0;
	return 1;
}

/* Non-zero if a is in ::ffff:0:0/96. */
static int
is_mapped(const uint8_t a[V6_BYTES])
{
	return zero_bytes(a, MAPPED_ZERO) && a[MAPPED_ZERO] == 0xff &&
	    a[MAPPED_ZERO + 1] == 0xff;
}

/* Non-zero if any of the bits len..nbytes*8-1 of a is set. */
static int
host_bits(const uint8_t *a, size_t nbytes, unsigned len)
{
	size_t i = len / 8;

	if (i >= nbytes)
		return 0;
	if (a[i] & (0xffu >> (len % 8)))
		return 1;
	return !zero_bytes(a + i + 1, nbytes - i - 1);
}

/* Clear the bits len..nbytes*8-1 of a. */
static void
clear_host_bits(uint8_t *a, size_t nbytes, unsigned len)
{
	size_t i = len / 8;

	if (i >= nbytes)
		return;
	a[i] &= (uint8_t)~(0xffu >> (len % 8));
	memset(a + i + 1, 0, nbytes - i - 1);
}

static int
parse(const char *s, size_t n, int require_len, int loose, blf_prefix *out)
{
	blf_prefix p;
	const char *slash;
	size_t alen;
	unsigned len, maxlen;
	int dotted = 0;

	if (s == NULL || n == 0 || n > BLF_MAX_PREFIX_TEXT)
		return BLF_EPREFIX;
	memset(&p, 0, sizeof(p));
	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	if (memchr(s, ':', alen) != NULL) {
		p.af = BLF_AF_INET6;
		if (parse_v6(s, alen, p.addr, &dotted) != 0)
			return BLF_EPREFIX;
	} else {
		p.af = BLF_AF_INET;
		if (parse_v4(s, alen, p.addr) != 0)
			return BLF_EPREFIX;
	}
	maxlen = max_bits(p.af);

	if (slash != NULL) {
		const char *d = slash + 1;
		size_t dn = n - alen - 1, i;

		if (dn == 0 || (d[0] == '0' && dn > 1))
			return BLF_EPREFIX;
		len = 0;
		for (i = 0; i < dn; i++) {
			if (d[i] < '0' || d[i] > '9')
				return BLF_EPREFIX;
			if (len <= V6_BITS) /* saturate: any larger value is out of range */
				len = len * 10 + (unsigned)(d[i] - '0');
		}
		if (len > maxlen)
			return BLF_EPREFIXLEN;
	} else {
		if (require_len)
			return BLF_EPREFIX;
		len = maxlen;
	}
	p.len = (uint8_t)len;

	if (p.af == BLF_AF_INET6 &&
	    (is_mapped(p.addr) || (dotted && zero_bytes(p.addr, COMPAT_ZERO))))
		return BLF_EMAPPED;
	if (loose)
		clear_host_bits(p.addr, maxlen / 8, len);
	else if (host_bits(p.addr, maxlen / 8, len))
		return BLF_EHOSTBITS;
	*out = p;
	return BLF_OK;
}

/*
 * Parse the n bytes at s (no NUL needed; s[n] is never read) as a prefix
 * under the strict rules of SPEC 4.1.  On success *out holds the prefix; on
 * error *out is not written.  Returns BLF_OK, BLF_EPREFIX, BLF_EPREFIXLEN,
 * BLF_EMAPPED or BLF_EHOSTBITS.
 */
int
blf_prefix_parse(const char *s, size_t n, int require_len, blf_prefix *out)
{
	return parse(s, n, require_len, 0, out);
}

/*
 * Like blf_prefix_parse without require_len, but host bits past the length
 * are cleared, never an error.  Mapped forms are still BLF_EMAPPED.
 */
int
blf_prefix_parse_loose(const char *s, size_t n, blf_prefix *out)
{
	return parse(s, n, 0, 1, out);
}

static size_t
put_dec(char *b, unsigned v)
{
	size_t i = 0;

	if (v >= 100)
		b[i++] = (char)('0' + v / 100);
	if (v >= 10)
		b[i++] = (char)('0' + v / 10 % 10);
	b[i++] = (char)('0' + v % 10);
	return i;
}

static size_t
format_v4(const uint8_t *a, char *buf)
{
	size_t o = 0;
	int k;

	for (k = 0; k < V4_BYTES; k++) {
		if (k > 0)
			buf[o++] = '.';
		o += put_dec(buf + o, a[k]);
	}
	return o;
}

static size_t
format_v6(const uint8_t *a, char *buf)
{
	unsigned g[V6_GROUPS];
	int k, best = -1, bestlen = 1, run = 0;
	size_t o = 0;

	for (k = 0; k < V6_GROUPS; k++) {
		g[k] = (unsigned)a[2 * k] << 8 | a[2 * k + 1];
		if (g[k] == 0) {
			if (++run > bestlen) {
				bestlen = run;
				best = k - run + 1;
			}
		} else
			run = 0;
	}
	for (k = 0; k < V6_GROUPS; k++) {
		if (k == best) {
			buf[o++] = ':';
			buf[o++] = ':';
			k += bestlen - 1;
			continue;
		}
		if (k > 0 && k != best + bestlen)
			buf[o++] = ':';
		if (g[k] >= 0x1000)
			buf[o++] = hexdigits[g[k] >> 12];
		if (g[k] >= 0x100)
			buf[o++] = hexdigits[g[k] >> 8 & 0xf];
		if (g[k] >= 0x10)
			buf[o++] = hexdigits[g[k] >> 4 & 0xf];
		buf[o++] = hexdigits[g[k] & 0xf];
	}
	return o;
}

/*
 * Write p's address alone in canonical form (SPEC 4.1) and a NUL into buf,
 * which holds at least BLF_PREFIX_STRLEN bytes.  Returns the length without
 * the NUL.  A structure of an unknown family gives "" (0).
 */
size_t
blf_prefix_format_addr(const blf_prefix *p, char *buf)
{
	size_t o = 0;

	if (p->af == BLF_AF_INET)
		o = format_v4(p->addr, buf);
	else if (p->af == BLF_AF_INET6)
		o = format_v6(p->addr, buf);
	buf[o] = '\0';
	return o;
}

/*
 * Write p as "address/len" in canonical form (SPEC 4.1) and a NUL into buf,
 * which holds at least BLF_PREFIX_STRLEN bytes.  Returns the length without
 * the NUL.  p should satisfy blf_prefix_check(); an unknown family gives ""
 * (0).
 */
size_t
blf_prefix_format(const blf_prefix *p, char *buf)
{
	size_t o;

	o = blf_prefix_format_addr(p, buf);
	if (o == 0)
		return 0;
	buf[o++] = '/';
	o += put_dec(buf + o, p->len);
	buf[o] = '\0';
	return o;
}

/*
 * Non-zero if outer contains inner: same family, outer->len <= inner->len
 * and the first outer->len bits equal.  Lengths past the family's width
 * never contain anything.
 */
int
blf_prefix_contains(const blf_prefix *outer, const blf_prefix *inner)
{
	unsigned len = outer->len, full = len / 8, rem = len % 8;
	uint8_t mask;

	if (outer->af != inner->af || len > inner->len || len > max_bits(outer->af))
		return 0;
	if (memcmp(outer->addr, inner->addr, full) != 0)
		return 0;
	if (rem == 0)
		return 1;
	mask = (uint8_t)(0xffu << (8 - rem));
	return ((outer->addr[full] ^ inner->addr[full]) & mask) == 0;
}

/*
 * Total order of SPEC 4.3: IPv4 before IPv6, then address bytes, then
 * length, shorter first.  Returns <0, 0 or >0.
 */
int
blf_prefix_cmp(const blf_prefix *a, const blf_prefix *b)
{
	int c;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	c = memcmp(a->addr, b->addr, a->af == BLF_AF_INET ? V4_BYTES : V6_BYTES);
	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

/*
 * Validate a structure: BLF_EINVAL for a family other than 4 or 6,
 * BLF_EPREFIXLEN for a length past the family's width, BLF_EHOSTBITS for
 * a bit set past the length (for IPv4 also in addr[4..15]), else BLF_OK.
 * Mapped addresses are not this function's concern (see from_wire).
 */
int
blf_prefix_check(const blf_prefix *p)
{
	unsigned maxlen;

	if (p->af != BLF_AF_INET && p->af != BLF_AF_INET6)
		return BLF_EINVAL;
	maxlen = max_bits(p->af);
	if (p->len > maxlen)
		return BLF_EPREFIXLEN;
	if (p->af == BLF_AF_INET && !zero_bytes(p->addr + V4_BYTES, V6_BYTES - V4_BYTES))
		return BLF_EHOSTBITS;
	if (host_bits(p->addr, maxlen / 8, p->len))
		return BLF_EHOSTBITS;
	return BLF_OK;
}

/* Bytes of p's wire form (SPEC 4.2): 5, 17, or 0 for an unknown family. */
size_t
blf_prefix_wire_len(const blf_prefix *p)
{
	if (p->af == BLF_AF_INET)
		return V4_WIRE_LEN;
	if (p->af == BLF_AF_INET6)
		return V6_WIRE_LEN;
	return 0;
}

/*
 * Decode the wire form (SPEC 4.2) from the n bytes at b.  Returns BLF_OK,
 * BLF_ESIZE (n is neither 5 nor 17), BLF_EPREFIXLEN, BLF_EHOSTBITS or
 * BLF_EMAPPED; *out is written only on success.
 */
int
blf_prefix_from_wire(const uint8_t *b, size_t n, blf_prefix *out)
{
	blf_prefix p;
	int rc;

	memset(&p, 0, sizeof(p));
	if (n == V4_WIRE_LEN)
		p.af = BLF_AF_INET;
	else if (n == V6_WIRE_LEN)
		p.af = BLF_AF_INET6;
	else
		return BLF_ESIZE;
	memcpy(p.addr, b, n - 1);
	p.len = b[n - 1];
	if ((rc = blf_prefix_check(&p)) != BLF_OK)
		return rc;
	if (p.af == BLF_AF_INET6 && p.len >= MAPPED_LEN && is_mapped(p.addr))
		return BLF_EMAPPED;
	*out = p;
	return BLF_OK;
}

/*
 * Write p's wire form into b, which holds blf_prefix_wire_len(p) bytes.
 * p must satisfy blf_prefix_check(); an unknown family writes nothing.
 */
void
blf_prefix_to_wire(const blf_prefix *p, uint8_t *b)
{
	size_t n = blf_prefix_wire_len(p);

	if (n == 0)
		return;
	memcpy(b, p->addr, n - 1);
	b[n - 1] = p->len;
}
