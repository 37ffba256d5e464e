/*
 * test_prefix.c - prefixes (protocol/prefix.c, SPEC 4).
 *
 * Tables of valid texts with their exact canonical form and of invalid
 * texts with their exact error code; every text is copied into a heap
 * buffer of exactly its length, without a NUL, so that AddressSanitizer
 * catches a read of s[n].  Then round trips (text, wire), the order, the
 * containment truth table, loose parsing, and a randomized test with a
 * fixed seed that also checks the formatter against the C library's
 * inet_ntop/inet_pton wherever RFC 5952 and the library agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../protocol/blf.h"

#define RANDOM_ROUNDS 100000
#define RANDOM_SEED 0x9e3779b97f4a7c15ull

/* A text with its exact length, so that tables may hold embedded NULs. */
#define T(s) s, sizeof(s) - 1

struct valid_case {
	const char *in;
	size_t n;
	const char *canon;
};

struct invalid_case {
	const char *in;
	size_t n;
	int err;
};

static const struct valid_case valid[] = {
	/* IPv4 */
	{ T("0.0.0.0/0"), "0.0.0.0/0" },
	{ T("0.0.0.0"), "0.0.0.0/32" },
	{ T("1.2.3.4"), "1.2.3.4/32" },
	{ T("1.2.3.4/32"), "1.2.3.4/32" },
	{ T("10.0.0.0/8"), "10.0.0.0/8" },
	{ T("10.0.0.0/9"), "10.0.0.0/9" },
	{ T("10.1.0.0/16"), "10.1.0.0/16" },
	{ T("100.64.0.0/10"), "100.64.0.0/10" },
	{ T("172.16.0.0/12"), "172.16.0.0/12" },
	{ T("192.168.1.0/24"), "192.168.1.0/24" },
	{ T("192.0.2.128/25"), "192.0.2.128/25" },
	{ T("198.51.100.0/24"), "198.51.100.0/24" },
	{ T("203.0.113.7"), "203.0.113.7/32" },
	{ T("224.0.0.0/4"), "224.0.0.0/4" },
	{ T("128.0.0.0/1"), "128.0.0.0/1" },
	{ T("255.255.255.255"), "255.255.255.255/32" },
	{ T("255.255.255.254/31"), "255.255.255.254/31" },
	{ T("9.99.199.249"), "9.99.199.249/32" },
	{ T("250.251.252.253/32"), "250.251.252.253/32" },
	{ T("0.0.0.0/8"), "0.0.0.0/8" },
	{ T("100.0.0.0/6"), "100.0.0.0/6" },
	/* IPv6 */
	{ T("::"), "::/128" },
	{ T("::/0"), "::/0" },
	{ T("::/1"), "::/1" },
	{ T("::/128"), "::/128" },
	{ T("0::0"), "::/128" },
	{ T("0000::0000/0"), "::/0" },
	{ T("::1"), "::1/128" },
	{ T("1::"), "1::/128" },
	{ T("1::8"), "1::8/128" },
	{ T("2001:db8::/32"), "2001:db8::/32" },
	{ T("2001:DB8::/32"), "2001:db8::/32" },
	{ T("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1/128" },
	{ T("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1/128" },
	{ T("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1/128" },
	{ T("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1/128" },
	{ T("2001:db8:0:0:0:0:2:1"), "2001:db8::2:1/128" },
	{ T("2001:db8::0:1"), "2001:db8::1/128" },
	{ T("2001:db8:a::/48"), "2001:db8:a::/48" },
	{ T("2001:db8:a:b::/64"), "2001:db8:a:b::/64" },
	{ T("2001:db8:1:2:3:4:5:6/127"), "2001:db8:1:2:3:4:5:6/127" },
	{ T("fe80::/10"), "fe80::/10" },
	{ T("fe80::1"), "fe80::1/128" },
	{ T("ff02::1:ff00:0/104"), "ff02::1:ff00:0/104" },
	{ T("64:ff9b::1.2.3.4"), "64:ff9b::102:304/128" },
	{ T("64:ff9b::/96"), "64:ff9b::/96" },
	{ T("64:ff9b::255.255.255.0/120"), "64:ff9b::ffff:ff00/120" },
	{ T("::1:1.2.3.4"), "::1:102:304/128" },
	{ T("::fffe:1.2.3.4"), "::fffe:102:304/128" },
	{ T("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8/128" },
	{ T("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304/128" },
	{ T("1::1.2.3.4"), "1::102:304/128" },
	{ T("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0/128" },
	{ T("::2:3:4:5:6:7:8"), "0:2:3:4:5:6:7:8/128" },
	{ T("1:0:0:0:0:0:0:0"), "1::/128" },
	{ T("0:0:0:0:0:0:0:1"), "::1/128" },
	{ T("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789"),
	  "abcd:ef01:2345:6789:abcd:ef01:2345:6789/128" },
	{ T("aBcD::/16"), "abcd::/16" },
	{ T("0:0:0:0:ffff:0:0:0"), "::ffff:0:0:0/128" },
	{ T("0:0:0:0:0:fffe::"), "::fffe:0:0/128" },
	{ T("::1:0:0:0:0"), "0:0:0:1::/128" },
	{ T("1:0:0:2:0:0:0:3"), "1:0:0:2::3/128" },
	{ T("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4/128" },
	{ T("0:1:0:1:0:1:0:1"), "0:1:0:1:0:1:0:1/128" },
	{ T("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0/128" },
	{ T("8000::/1"), "8000::/1" },
	{ T("100::/64"), "100::/64" },
	{ T("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
	{ T("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120"),
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120" },
	{ T("0000:0000:0000:0000:0000:0000:0000:0000/128"), "::/128" },
	{ T("1:0:0:0:0:0:0:1"), "1::1/128" },
	{ T("f:f0:f00:f000::"), "f:f0:f00:f000::/128" },
};

static const struct invalid_case invalid[] = {
	/* general */
	{ T(""), BLF_EPREFIX },
	{ T("/"), BLF_EPREFIX },
	{ T("/8"), BLF_EPREFIX },
	{ T("1.2.3.4\0"), BLF_EPREFIX },
	{ T("1.2\0.3.4"), BLF_EPREFIX },
	{ T("::\0"), BLF_EPREFIX },
	/* IPv4 syntax */
	{ T("01.2.3.4"), BLF_EPREFIX },
	{ T("1.02.3.4"), BLF_EPREFIX },
	{ T("1.2.3.00"), BLF_EPREFIX },
	{ T("00.0.0.0"), BLF_EPREFIX },
	{ T("256.1.1.1"), BLF_EPREFIX },
	{ T("1.2.3.256"), BLF_EPREFIX },
	{ T("1000.1.1.1"), BLF_EPREFIX },
	{ T("1.2.3"), BLF_EPREFIX },
	{ T("1.2.3.4.5"), BLF_EPREFIX },
	{ T("1..2.3"), BLF_EPREFIX },
	{ T(".1.2.3"), BLF_EPREFIX },
	{ T("1.2.3."), BLF_EPREFIX },
	{ T("1"), BLF_EPREFIX },
	{ T(" 1.2.3.4"), BLF_EPREFIX },
	{ T("1.2.3.4 "), BLF_EPREFIX },
	{ T("+1.2.3.4"), BLF_EPREFIX },
	{ T("1.2.3.-4"), BLF_EPREFIX },
	{ T("1.2.3.4x"), BLF_EPREFIX },
	{ T("0x1.2.3.4"), BLF_EPREFIX },
	{ T("1.2.3.4\n"), BLF_EPREFIX },
	{ T("1.2.3.4::"), BLF_EPREFIX },
	/* length syntax and range */
	{ T("1.2.3.4/"), BLF_EPREFIX },
	{ T("1.2.3.4/08"), BLF_EPREFIX },
	{ T("0.0.0.0/00"), BLF_EPREFIX },
	{ T("1.2.3.4/+8"), BLF_EPREFIX },
	{ T("1.2.3.4/-1"), BLF_EPREFIX },
	{ T("1.2.3.4/8/8"), BLF_EPREFIX },
	{ T("1.2.3.4/ 8"), BLF_EPREFIX },
	{ T("1.2.3.4/32 "), BLF_EPREFIX },
	{ T("1.2.3.4/3x"), BLF_EPREFIX },
	{ T("1.2.3.4/33"), BLF_EPREFIXLEN },
	{ T("1.2.3.4/255"), BLF_EPREFIXLEN },
	{ T("1.2.3.4/99999999999999999999"), BLF_EPREFIXLEN },
	{ T("::/129"), BLF_EPREFIXLEN },
	{ T("::/1000"), BLF_EPREFIXLEN },
	{ T("::/08"), BLF_EPREFIX },
	{ T("::/"), BLF_EPREFIX },
	/* host bits */
	{ T("1.2.3.4/8"), BLF_EHOSTBITS },
	{ T("10.0.0.1/31"), BLF_EHOSTBITS },
	{ T("0.0.0.1/0"), BLF_EHOSTBITS },
	{ T("128.0.0.0/0"), BLF_EHOSTBITS },
	{ T("::1/127"), BLF_EHOSTBITS },
	{ T("2001:db8::/16"), BLF_EHOSTBITS },
	{ T("8000::/0"), BLF_EHOSTBITS },
	/* IPv4-mapped and IPv4-compatible */
	{ T("::ffff:1.2.3.4"), BLF_EMAPPED },
	{ T("::FFFF:1.2.3.4"), BLF_EMAPPED },
	{ T("::ffff:102:304"), BLF_EMAPPED },
	{ T("0:0:0:0:0:ffff:102:304"), BLF_EMAPPED },
	{ T("0:0:0:0:0:ffff:1.2.3.4"), BLF_EMAPPED },
	{ T("::ffff:0:0/96"), BLF_EMAPPED },
	{ T("::ffff:1.2.3.4/64"), BLF_EMAPPED },
	{ T("::1.2.3.4"), BLF_EMAPPED },
	{ T("::0.0.0.0"), BLF_EMAPPED },
	{ T("::0.0.0.1/128"), BLF_EMAPPED },
	{ T("0:0:0:0:0:0:1.2.3.4"), BLF_EMAPPED },
	{ T("::ffff:1.2.3.4/129"), BLF_EPREFIXLEN },
	/* IPv6 syntax */
	{ T(":"), BLF_EPREFIX },
	{ T(":::"), BLF_EPREFIX },
	{ T("1::2::3"), BLF_EPREFIX },
	{ T("::1::"), BLF_EPREFIX },
	{ T("12345::"), BLF_EPREFIX },
	{ T("00000::"), BLF_EPREFIX },
	{ T("g::"), BLF_EPREFIX },
	{ T("fe80::1%eth0"), BLF_EPREFIX },
	{ T("fe80::1%1"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6:7:8:9"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6:7"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6:7:8::"), BLF_EPREFIX },
	{ T("::1:2:3:4:5:6:7:8"), BLF_EPREFIX },
	{ T("1:2:3:4::5:6:7:8"), BLF_EPREFIX },
	{ T(":1::"), BLF_EPREFIX },
	{ T(":1:2:3:4:5:6:7:8"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6:7:8:"), BLF_EPREFIX },
	{ T("1::2:"), BLF_EPREFIX },
	{ T("1:"), BLF_EPREFIX },
	{ T("1:2"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6:1.2.3.4:5"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6:7:1.2.3.4"), BLF_EPREFIX },
	{ T("1:2:3:4:5:6::1.2.3.4"), BLF_EPREFIX },
	{ T("1:2:3:4:5:1.2.3.4"), BLF_EPREFIX },
	{ T("::1.2.3"), BLF_EPREFIX },
	{ T("::1.2.3.04"), BLF_EPREFIX },
	{ T("::256.1.1.1"), BLF_EPREFIX },
	{ T("64:ff9b::1.2.3.4.5"), BLF_EPREFIX },
	{ T("64:ff9b::1a.2.3.4"), BLF_EPREFIX },
	{ T("1::.1"), BLF_EPREFIX },
	{ T("[::1]"), BLF_EPREFIX },
	{ T("::1 "), BLF_EPREFIX },
	{ T(" ::1"), BLF_EPREFIX },
	{ T("2001:db8::-1"), BLF_EPREFIX },
	{ T("2001:db8::+1"), BLF_EPREFIX },
	{ T("2001:db8::/32x"), BLF_EPREFIX },
	{ T("0x2001::"), BLF_EPREFIX },
	{ T("::/1/1"), BLF_EPREFIX },
};

/* Heap copy of exactly n bytes, no NUL: reading past it is an ASan error. */
static char *
exact_copy(const char *s, size_t n)
{
	char *p = malloc(n > 0 ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int
parse_exact(const char *s, size_t n, int require_len, blf_prefix *out)
{
	char *c = exact_copy(s, n);
	int rc = blf_prefix_parse(c, n, require_len, out);

	free(c);
	return rc;
}

static int
parse_loose_exact(const char *s, size_t n, blf_prefix *out)
{
	char *c = exact_copy(s, n);
	int rc = blf_prefix_parse_loose(c, n, out);

	free(c);
	return rc;
}

/* Format into a heap buffer of exactly BLF_PREFIX_STRLEN bytes. */
static size_t
format_exact(const blf_prefix *p, char out[BLF_PREFIX_STRLEN], int addr_only)
{
	char *b = malloc(BLF_PREFIX_STRLEN);
	size_t len;

	assert_non_null(b);
	len = addr_only ? blf_prefix_format_addr(p, b) : blf_prefix_format(p, b);
	assert_true(len < BLF_PREFIX_STRLEN);
	assert_int_equal(strlen(b), len);
	memcpy(out, b, len + 1);
	free(b);
	return len;
}

static void
must_parse(const char *s, blf_prefix *out)
{
	int rc = blf_prefix_parse(s, strlen(s), 0, out);

	if (rc != BLF_OK)
		fail_msg("parse \"%s\": error %d", s, rc);
}

static void
test_valid_table(void **state)
{
	size_t i, n = sizeof(valid) / sizeof(valid[0]);
	char buf[BLF_PREFIX_STRLEN], abuf[BLF_PREFIX_STRLEN];
	blf_prefix p, q, l;
	int rc;

	(void)state;
	assert_true(n >= 60);
	for (i = 0; i < n; i++) {
		const struct valid_case *c = &valid[i];

		rc = parse_exact(c->in, c->n, 0, &p);
		if (rc != BLF_OK)
			fail_msg("valid[%zu] \"%s\": error %d", i, c->in, rc);
		assert_int_equal(blf_prefix_check(&p), BLF_OK);
		format_exact(&p, buf, 0);
		if (strcmp(buf, c->canon) != 0)
			fail_msg("valid[%zu] \"%s\": got \"%s\", want \"%s\"", i, c->in,
				 buf, c->canon);
		/* The address part is the canonical text up to the slash. */
		format_exact(&p, abuf, 1);
		assert_int_equal(strlen(abuf), strcspn(c->canon, "/"));
		assert_memory_equal(abuf, c->canon, strlen(abuf));
		/* parse -> format -> parse is the identity. */
		rc = parse_exact(buf, strlen(buf), 1, &q);
		if (rc != BLF_OK)
			fail_msg("valid[%zu] re-parse \"%s\": error %d", i, buf, rc);
		assert_memory_equal(&p, &q, sizeof(p));
		/* The loose parser agrees on every valid text. */
		assert_int_equal(parse_loose_exact(c->in, c->n, &l), BLF_OK);
		assert_memory_equal(&p, &l, sizeof(p));
	}
}

static void
test_invalid_table(void **state)
{
	size_t i, n = sizeof(invalid) / sizeof(invalid[0]);
	blf_prefix p, before;
	int rc;

	(void)state;
	assert_true(n >= 60);
	for (i = 0; i < n; i++) {
		const struct invalid_case *c = &invalid[i];

		memset(&p, 0xa5, sizeof(p));
		before = p;
		rc = parse_exact(c->in, c->n, 0, &p);
		if (rc != c->err)
			fail_msg("invalid[%zu] \"%s\" (%zu bytes): error %d, want %d", i,
				 c->in, c->n, rc, c->err);
		/* The output is not written on error. */
		assert_memory_equal(&p, &before, sizeof(p));
	}
}

static void
test_require_len(void **state)
{
	blf_prefix p;

	(void)state;
	assert_int_equal(parse_exact(T("1.2.3.4"), 1, &p), BLF_EPREFIX);
	assert_int_equal(parse_exact(T("::"), 1, &p), BLF_EPREFIX);
	assert_int_equal(parse_exact(T("2001:db8::1"), 1, &p), BLF_EPREFIX);
	assert_int_equal(parse_exact(T("1.2.3.4/32"), 1, &p), BLF_OK);
	assert_int_equal(p.af, BLF_AF_INET);
	assert_int_equal(p.len, 32);
	assert_int_equal(parse_exact(T("::/0"), 1, &p), BLF_OK);
	assert_int_equal(p.af, BLF_AF_INET6);
	assert_int_equal(p.len, 0);
	/* Syntax errors still come first. */
	assert_int_equal(parse_exact(T("1.2.3.4/33"), 1, &p), BLF_EPREFIXLEN);
	assert_int_equal(parse_exact(T("1.2.3.4/8"), 1, &p), BLF_EHOSTBITS);
	/* Without require_len a host address gets the full length. */
	assert_int_equal(parse_exact(T("1.2.3.4"), 0, &p), BLF_OK);
	assert_int_equal(p.len, 32);
	assert_int_equal(parse_exact(T("::1"), 0, &p), BLF_OK);
	assert_int_equal(p.len, 128);
}

static void
test_text_limits(void **state)
{
	char big[BLF_MAX_PREFIX_TEXT + 2];
	blf_prefix p;

	(void)state;
	/* Longer than the limit: rejected whatever it holds. */
	memset(big, '1', sizeof(big));
	assert_int_equal(parse_exact(big, BLF_MAX_PREFIX_TEXT + 1, 0, &p), BLF_EPREFIX);
	assert_int_equal(parse_exact(big, sizeof(big), 0, &p), BLF_EPREFIX);
	/* A valid prefix padded past the limit with a long zero length. */
	memset(big, '0', sizeof(big));
	memcpy(big, "::/1", 4);
	assert_int_equal(parse_exact(big, BLF_MAX_PREFIX_TEXT + 1, 0, &p), BLF_EPREFIX);
	/* At the limit: a well-formed but out-of-range length. */
	assert_int_equal(parse_exact(big, BLF_MAX_PREFIX_TEXT, 0, &p), BLF_EPREFIXLEN);
	/* NULL with length 0 is the empty text. */
	assert_int_equal(blf_prefix_parse(NULL, 0, 0, &p), BLF_EPREFIX);
	/* Only the first n bytes count. */
	assert_int_equal(blf_prefix_parse("1.2.3.4/24", 7, 0, &p), BLF_OK);
	assert_int_equal(p.len, 32);
	assert_int_equal(blf_prefix_parse("10.0.0.0/8 junk", 10, 1, &p), BLF_OK);
	assert_int_equal(p.len, 8);
}

static void
test_loose(void **state)
{
	static const struct valid_case loose[] = {
		{ T("10.1.2.3/8"), "10.0.0.0/8" },
		{ T("1.2.3.4/0"), "0.0.0.0/0" },
		{ T("1.2.3.255/31"), "1.2.3.254/31" },
		{ T("1.2.3.4"), "1.2.3.4/32" },
		{ T("192.168.77.1/20"), "192.168.64.0/20" },
		{ T("2001:db8::1/32"), "2001:db8::/32" },
		{ T("2001:db8:ffff::/33"), "2001:db8:8000::/33" },
		{ T("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/1"), "8000::/1" },
		{ T("::1/0"), "::/0" },
		{ T("fe80::1"), "fe80::1/128" },
	};
	static const struct invalid_case bad[] = {
		{ T("::ffff:1.2.3.4/64"), BLF_EMAPPED },
		{ T("::1.2.3.4/8"), BLF_EMAPPED },
		{ T("::ffff:0:1/80"), BLF_EMAPPED },
		{ T("1.2.3.4/33"), BLF_EPREFIXLEN },
		{ T("01.2.3.4/8"), BLF_EPREFIX },
		{ T("1.2.3.4/08"), BLF_EPREFIX },
		{ T(""), BLF_EPREFIX },
	};
	char buf[BLF_PREFIX_STRLEN];
	blf_prefix p, q;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		rc = parse_loose_exact(loose[i].in, loose[i].n, &p);
		if (rc != BLF_OK)
			fail_msg("loose \"%s\": error %d", loose[i].in, rc);
		assert_int_equal(blf_prefix_check(&p), BLF_OK);
		format_exact(&p, buf, 0);
		assert_string_equal(buf, loose[i].canon);
		must_parse(buf, &q);
		assert_memory_equal(&p, &q, sizeof(p));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = parse_loose_exact(bad[i].in, bad[i].n, &p);
		if (rc != bad[i].err)
			fail_msg("loose \"%s\": error %d, want %d", bad[i].in, rc, bad[i].err);
	}
}

static void
test_wire_roundtrip(void **state)
{
	uint8_t w[17];
	blf_prefix p, q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		assert_int_equal(parse_exact(valid[i].in, valid[i].n, 0, &p), BLF_OK);
		assert_int_equal(blf_prefix_wire_len(&p), p.af == BLF_AF_INET ? 5 : 17);
		memset(w, 0xee, sizeof(w));
		blf_prefix_to_wire(&p, w);
		assert_int_equal(w[blf_prefix_wire_len(&p) - 1], p.len);
		assert_memory_equal(w, p.addr, blf_prefix_wire_len(&p) - 1);
		if (p.af == BLF_AF_INET)
			assert_int_equal(w[5], 0xee); /* nothing past 5 bytes */
		assert_int_equal(blf_prefix_from_wire(w, blf_prefix_wire_len(&p), &q), BLF_OK);
		assert_memory_equal(&p, &q, sizeof(p));
	}
	/* Explicit bytes. */
	must_parse("192.0.2.0/24", &p);
	blf_prefix_to_wire(&p, w);
	assert_memory_equal(w, "\xc0\x00\x02\x00\x18", 5);
	must_parse("2001:db8::/32", &p);
	blf_prefix_to_wire(&p, w);
	assert_memory_equal(w, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0\x20", 17);
}

static void
test_wire_reject(void **state)
{
	static const struct {
		const char *b;
		size_t n;
		int err;
	} cases[] = {
		{ "", 0, BLF_ESIZE },
		{ "\1\2\3\4", 4, BLF_ESIZE },
		{ "\1\2\3\4\40\0", 6, BLF_ESIZE },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, BLF_ESIZE },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 18, BLF_ESIZE },
		{ "\1\2\3\4\41", 5, BLF_EPREFIXLEN },
		{ "\1\2\3\4\377", 5, BLF_EPREFIXLEN },
		{ "\1\2\3\4\10", 5, BLF_EHOSTBITS },
		{ "\0\0\0\1\0", 5, BLF_EHOSTBITS },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\201", 17, BLF_EPREFIXLEN },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\377", 17, BLF_EPREFIXLEN },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\177", 17, BLF_EHOSTBITS },
		{ "\200\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 17, BLF_EHOSTBITS },
		{ "\0\0\0\0\0\0\0\0\0\0\377\377\0\0\0\0\120", 17, BLF_EHOSTBITS },
		{ "\0\0\0\0\0\0\0\0\0\0\377\377\0\0\0\0\140", 17, BLF_EMAPPED },
		{ "\0\0\0\0\0\0\0\0\0\0\377\377\1\2\3\4\200", 17, BLF_EMAPPED },
		{ "\0\0\0\0\0\0\0\0\0\0\377\377\1\2\3\0\170", 17, BLF_EMAPPED },
		{ "\0\0\0\0\0\0\0\0\0\0\377\377\200\0\0\0\141", 17, BLF_EMAPPED },
	};
	static const struct {
		const char *b;
		size_t n;
		const char *text;
	} good[] = {
		{ "\0\0\0\0\0", 5, "0.0.0.0/0" },
		{ "\377\377\377\377\40", 5, "255.255.255.255/32" },
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 17, "::/0" },
		{ "\0\0\0\0\0\0\0\0\0\0\377\376\0\0\0\0\140", 17, "::fffe:0:0/96" },
		{ "\0\0\0\0\0\0\0\0\0\0\377\0\0\0\0\0\130", 17, "::ff00:0:0/88" },
		/* No notation on the wire: ::1.2.3.4 is just ::102:304. */
		{ "\0\0\0\0\0\0\0\0\0\0\0\0\1\2\3\4\200", 17, "::102:304/128" },
	};
	char buf[BLF_PREFIX_STRLEN];
	blf_prefix p, before, q;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *b = malloc(cases[i].n > 0 ? cases[i].n : 1);

		assert_non_null(b);
		memcpy(b, cases[i].b, cases[i].n);
		memset(&p, 0x5a, sizeof(p));
		before = p;
		rc = blf_prefix_from_wire(b, cases[i].n, &p);
		free(b);
		if (rc != cases[i].err)
			fail_msg("wire case %zu: error %d, want %d", i, rc, cases[i].err);
		assert_memory_equal(&p, &before, sizeof(p));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(blf_prefix_from_wire((const uint8_t *)good[i].b, good[i].n, &p),
				 BLF_OK);
		format_exact(&p, buf, 0);
		assert_string_equal(buf, good[i].text);
		must_parse(buf, &q);
		assert_memory_equal(&p, &q, sizeof(p));
	}
}

static void
test_check(void **state)
{
	blf_prefix p;

	(void)state;
	must_parse("10.0.0.0/8", &p);
	assert_int_equal(blf_prefix_check(&p), BLF_OK);
	p.af = 0;
	assert_int_equal(blf_prefix_check(&p), BLF_EINVAL);
	p.af = 5;
	assert_int_equal(blf_prefix_check(&p), BLF_EINVAL);
	p.af = 10; /* AF_INET6 on Linux is not BLF_AF_INET6 */
	assert_int_equal(blf_prefix_check(&p), BLF_EINVAL);
	p.af = BLF_AF_INET;
	p.len = 33;
	assert_int_equal(blf_prefix_check(&p), BLF_EPREFIXLEN);
	p.len = 6; /* 10 = 0000 1010: bit 6 is set */
	assert_int_equal(blf_prefix_check(&p), BLF_EHOSTBITS);
	p.len = 8;
	p.addr[15] = 1; /* IPv4 keeps addr[4..15] zero */
	assert_int_equal(blf_prefix_check(&p), BLF_EHOSTBITS);
	p.addr[15] = 0;
	p.addr[4] = 1;
	assert_int_equal(blf_prefix_check(&p), BLF_EHOSTBITS);

	must_parse("2001:db8::/32", &p);
	assert_int_equal(blf_prefix_check(&p), BLF_OK);
	p.len = 129;
	assert_int_equal(blf_prefix_check(&p), BLF_EPREFIXLEN);
	p.len = 255;
	assert_int_equal(blf_prefix_check(&p), BLF_EPREFIXLEN);
	p.len = 28;
	assert_int_equal(blf_prefix_check(&p), BLF_EHOSTBITS);
	p.len = 29;
	assert_int_equal(blf_prefix_check(&p), BLF_OK);
	p.len = 32;
	p.addr[15] = 1;
	assert_int_equal(blf_prefix_check(&p), BLF_EHOSTBITS);
	p.len = 128;
	assert_int_equal(blf_prefix_check(&p), BLF_OK);
}

static const char *const sorted[] = {
	"0.0.0.0/0",	      "0.0.0.0/1",	  "0.0.0.0/8",	      "0.0.0.0/32",
	"0.0.0.1/32",	      "1.0.0.0/8",	  "1.2.3.0/24",	      "1.2.3.4/32",
	"10.0.0.0/8",	      "10.0.0.0/16",	  "10.0.0.0/32",      "10.0.1.0/24",
	"128.0.0.0/1",	      "255.255.255.0/24", "255.255.255.255/32", "::/0",
	"::/1",		      "::/128",		  "::1/128",	      "::2/127",
	"0:0:0:1::/64",	      "1::/16",		  "1::/128",	      "2001:db8::/32",
	"2001:db8::/48",      "2001:db8::1/128",  "2001:db8:1::/48",  "fe80::/10",
	"ff00::/8",	      "ffff::/16",	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
};

static int
cmp_qsort(const void *a, const void *b)
{
	return blf_prefix_cmp(a, b);
}

static void
test_cmp(void **state)
{
	size_t i, j, n = sizeof(sorted) / sizeof(sorted[0]);
	blf_prefix p[sizeof(sorted) / sizeof(sorted[0])], shuffled[sizeof(p) / sizeof(p[0])];

	(void)state;
	for (i = 0; i < n; i++)
		must_parse(sorted[i], &p[i]);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			int c = blf_prefix_cmp(&p[i], &p[j]);

			if ((i < j && c >= 0) || (i == j && c != 0) || (i > j && c <= 0))
				fail_msg("cmp(%s, %s) = %d", sorted[i], sorted[j], c);
		}
	}
	/* Sorting a reversed, rotated copy gives the list back. */
	for (i = 0; i < n; i++)
		shuffled[i] = p[(n - 1 - i + 7) % n];
	qsort(shuffled, n, sizeof(shuffled[0]), cmp_qsort);
	assert_memory_equal(shuffled, p, sizeof(p));
}

static void
test_contains(void **state)
{
	static const struct {
		const char *outer, *inner;
		int want;
	} cases[] = {
		{ "0.0.0.0/0", "1.2.3.4", 1 },
		{ "0.0.0.0/0", "0.0.0.0/0", 1 },
		{ "10.0.0.0/8", "10.1.0.0/16", 1 },
		{ "10.1.0.0/16", "10.0.0.0/8", 0 },
		{ "10.0.0.0/8", "10.0.0.0/8", 1 },
		{ "10.0.0.0/8", "11.0.0.0/8", 0 },
		{ "10.0.0.0/7", "11.0.0.0/8", 1 },
		{ "10.0.0.0/7", "12.0.0.0/8", 0 },
		{ "10.0.0.0/8", "10.255.255.255", 1 },
		{ "1.2.3.4/32", "1.2.3.4", 1 },
		{ "1.2.3.4/32", "1.2.3.5", 0 },
		{ "1.2.3.4/31", "1.2.3.5", 1 },
		{ "1.2.3.4/31", "1.2.3.6", 0 },
		{ "192.168.0.0/23", "192.168.1.0/24", 1 },
		{ "192.168.0.0/23", "192.168.2.0/24", 0 },
		{ "10.0.0.0/8", "::/0", 0 },
		{ "0.0.0.0/0", "::/0", 0 },
		{ "::/0", "0.0.0.0/0", 0 },
		{ "::/0", "2001:db8::1", 1 },
		{ "::/0", "::", 1 },
		{ "2001:db8::/32", "2001:db8:1::/48", 1 },
		{ "2001:db8:1::/48", "2001:db8::/32", 0 },
		{ "2001:db8::/32", "2001:db9::/32", 0 },
		{ "2001:db8::/31", "2001:db9::/32", 1 },
		{ "2001:db8::/33", "2001:db8:8000::/33", 0 },
		{ "2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "::1", "::1", 1 },
		{ "::/127", "::1", 1 },
		{ "::/128", "::1", 0 },
		{ "fe80::/10", "febf::1", 1 },
		{ "fe80::/10", "fec0::1", 0 },
	};
	blf_prefix o, in;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		must_parse(cases[i].outer, &o);
		must_parse(cases[i].inner, &in);
		got = blf_prefix_contains(&o, &in) != 0;
		if (got != cases[i].want)
			fail_msg("contains(%s, %s) = %d", cases[i].outer, cases[i].inner, got);
	}
}

/* xorshift64*: a fixed, portable sequence. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void
random_prefix(uint64_t *s, blf_prefix *p)
{
	unsigned bits, k;
	uint64_t r;

	memset(p, 0, sizeof(*p));
	r = rnd(s);
	p->af = (r & 1) ? BLF_AF_INET6 : BLF_AF_INET;
	bits = p->af == BLF_AF_INET ? 32 : 128;
	/* Favour full-length hosts and short prefixes, but cover every length. */
	switch ((r >> 1) & 3) {
	case 0:
		p->len = (uint8_t)bits;
		break;
	default:
		p->len = (uint8_t)((r >> 8) % (bits + 1));
		break;
	}
	for (k = 0; k < bits / 8; k++)
		p->addr[k] = (uint8_t)rnd(s);
	/* Zero groups at random so that "::" runs of every shape appear. */
	r = rnd(s);
	for (k = 0; k < bits / 16; k++) {
		if ((r >> (2 * k) & 3) != 0) {
			p->addr[2 * k] = 0;
			p->addr[2 * k + 1] = 0;
		} else if ((r >> (2 * k + 20) & 3) == 0) {
			p->addr[2 * k] = 0; /* short groups */
		}
	}
	/* Now and then an address in ::ffff:0:0/96, which must be refused. */
	if (p->af == BLF_AF_INET6 && (r >> 40 & 31) == 0) {
		memset(p->addr, 0, 10);
		p->addr[10] = 0xff;
		p->addr[11] = 0xff;
	}
	for (k = p->len; k < bits; k++)
		p->addr[k / 8] &= (uint8_t)~(0x80u >> (k % 8));
}

static int
is_mapped_or_compat(const blf_prefix *p)
{
	static const uint8_t zero[12];

	return p->af == BLF_AF_INET6 && memcmp(p->addr, zero, 10) == 0 &&
	    ((p->addr[10] == 0xff && p->addr[11] == 0xff) ||
	     (p->addr[10] == 0 && p->addr[11] == 0));
}

static void
test_random(void **state)
{
	uint64_t seed = RANDOM_SEED;
	char buf[BLF_PREFIX_STRLEN], abuf[BLF_PREFIX_STRLEN], lib[INET6_ADDRSTRLEN];
	uint8_t w[17], ab[16];
	blf_prefix p, q;
	unsigned i, mapped = 0, oracle = 0;
	size_t len;
	int rc;

	(void)state;
	for (i = 0; i < RANDOM_ROUNDS; i++) {
		random_prefix(&seed, &p);
		assert_int_equal(blf_prefix_check(&p), BLF_OK);
		len = format_exact(&p, buf, 0);
		rc = blf_prefix_parse(buf, len, 1, &q);
		if (p.af == BLF_AF_INET6 && p.len >= 96 && p.addr[10] == 0xff &&
		    p.addr[11] == 0xff && memcmp(p.addr, (const uint8_t[10]){ 0 }, 10) == 0) {
			/* Mapped: refused in every form. */
			assert_int_equal(rc, BLF_EMAPPED);
			blf_prefix_to_wire(&p, w);
			assert_int_equal(blf_prefix_from_wire(w, 17, &q), BLF_EMAPPED);
			mapped++;
			continue;
		}
		if (rc != BLF_OK)
			fail_msg("random %u: \"%s\": error %d", i, buf, rc);
		assert_memory_equal(&p, &q, sizeof(p));
		assert_int_equal(blf_prefix_parse_loose(buf, len, &q), BLF_OK);
		assert_memory_equal(&p, &q, sizeof(p));

		blf_prefix_to_wire(&p, w);
		assert_int_equal(blf_prefix_from_wire(w, blf_prefix_wire_len(&p), &q), BLF_OK);
		assert_memory_equal(&p, &q, sizeof(p));

		/* The C library as an independent oracle for the address text.
		 * glibc writes ::a.b.c.d for the first 96 bits zero (and for
		 * mapped forms); RFC 5952 and SPEC 4.1 do not, so skip those. */
		format_exact(&p, abuf, 1);
		if (p.af == BLF_AF_INET) {
			assert_non_null(inet_ntop(AF_INET, p.addr, lib, sizeof(lib)));
			assert_string_equal(abuf, lib);
			assert_int_equal(inet_pton(AF_INET, abuf, ab), 1);
			assert_memory_equal(ab, p.addr, 4);
		} else {
			assert_int_equal(inet_pton(AF_INET6, abuf, ab), 1);
			assert_memory_equal(ab, p.addr, 16);
			if (!is_mapped_or_compat(&p)) {
				assert_non_null(inet_ntop(AF_INET6, p.addr, lib, sizeof(lib)));
				if (strcmp(abuf, lib) != 0)
					fail_msg("random %u: \"%s\", libc \"%s\"", i, abuf, lib);
				oracle++;
			}
		}
	}
	/* The generator must reach the interesting cases. */
	assert_true(mapped > 0);
	assert_true(oracle > RANDOM_ROUNDS / 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_table),
		cmocka_unit_test(test_invalid_table),
		cmocka_unit_test(test_require_len),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_loose),
		cmocka_unit_test(test_wire_roundtrip),
		cmocka_unit_test(test_wire_reject),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
