/*
 * fuzz_prefix.c - libFuzzer target for the prefix text and wire parsers
 * (protocol/prefix.c, SPEC 4).
 *
 * Every input goes to blf_prefix_parse (with and without require_len),
 * blf_prefix_parse_loose and blf_prefix_from_wire.  Whatever one accepts
 * must satisfy blf_prefix_check and survive format -> parse and
 * to_wire -> from_wire unchanged; the loose parser must agree with the
 * strict one wherever the strict one succeeds.  Plain addresses are also
 * compared with the C library's inet_pton, which follows the same RFC 4291
 * and dotted-quad rules except that it accepts the mapped and compatible
 * forms SPEC 4.1 refuses.  Any disagreement traps.  Links with prefix.c
 * alone.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../protocol/blf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* A prefix some parser accepted: valid, and stable through both forms. */
static void
roundtrip(const blf_prefix *p)
{
	char buf[BLF_PREFIX_STRLEN];
	uint8_t w[17];
	blf_prefix q;
	size_t len;

	check(blf_prefix_check(p) == BLF_OK);
	len = blf_prefix_format(p, buf);
	check(len > 0 && len < BLF_PREFIX_STRLEN && strlen(buf) == len);
	memset(&q, 0, sizeof(q));
	check(blf_prefix_parse(buf, len, 1, &q) == BLF_OK);
	check(memcmp(p, &q, sizeof(q)) == 0);
	check(blf_prefix_cmp(p, &q) == 0 && blf_prefix_contains(p, &q));

	len = blf_prefix_format_addr(p, buf);
	check(len > 0 && strlen(buf) == len);
	check(blf_prefix_parse_loose(buf, len, &q) == BLF_OK);
	check(q.af == p->af && blf_prefix_contains(p, &q));

	blf_prefix_to_wire(p, w);
	check(blf_prefix_from_wire(w, blf_prefix_wire_len(p), &q) == BLF_OK);
	check(memcmp(p, &q, sizeof(q)) == 0);
}

/* Compare a plain address (no '/') with inet_pton. */
static void
oracle(const uint8_t *data, size_t size, int rc, const blf_prefix *p)
{
	char s[BLF_MAX_PREFIX_TEXT + 1];
	uint8_t a[16];
	int af, lib;

	if (size == 0 || size > BLF_MAX_PREFIX_TEXT || memchr(data, '/', size) != NULL ||
	    memchr(data, '\0', size) != NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	af = memchr(data, ':', size) != NULL ? AF_INET6 : AF_INET;
	lib = inet_pton(af, s, a);
	if (rc == BLF_OK) {
		check(lib == 1);
		check(memcmp(a, p->addr, af == AF_INET ? 4 : 16) == 0);
	} else if (lib == 1) {
		check(rc == BLF_EMAPPED);
	} else {
		check(rc == BLF_EPREFIX);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	blf_prefix p, q;
	int rc, rc2;

	rc = blf_prefix_parse(s, size, 0, &p);
	if (rc == BLF_OK)
		roundtrip(&p);
	oracle(data, size, rc, &p);

	rc2 = blf_prefix_parse(s, size, 1, &q);
	if (rc2 == BLF_OK) {
		check(rc == BLF_OK && memcmp(&p, &q, sizeof(q)) == 0);
		roundtrip(&q);
	}

	rc2 = blf_prefix_parse_loose(s, size, &q);
	if (rc == BLF_OK)
		check(rc2 == BLF_OK && memcmp(&p, &q, sizeof(q)) == 0);
	else if (rc == BLF_EHOSTBITS)
		check(rc2 == BLF_OK);
	else
		check(rc2 == rc);
	if (rc2 == BLF_OK)
		roundtrip(&q);

	rc = blf_prefix_from_wire(data, size, &p);
	if (rc == BLF_OK)
		roundtrip(&p);
	else
		check(rc == BLF_ESIZE || rc == BLF_EPREFIXLEN || rc == BLF_EHOSTBITS ||
		      rc == BLF_EMAPPED);
	return 0;
}
