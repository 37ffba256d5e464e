/*
 * test_export_text.c - the line primitives of the export writers
 * (export_text.c) against plain reference implementations: decimal, A
 * values, hex, prefixes (blf_prefix_format), times (gmtime_r), printable
 * ASCII, JSON strings (cut into pieces at every offset around the piece
 * size) and the provenance text (a byte-by-byte port of its contract),
 * over fixed edge cases and seeded random inputs; the display-name caches
 * (a name changed in place at the same address); and the reserved line at
 * the buffer's boundaries: the longest lines (a 255-byte TXT, the longest
 * IPv6 prefix, references of escapes and drop bytes) written at every
 * offset around the point where the reservation must flush, through a
 * real file, byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../agent/export/export.h"
#include "../../agent/export/export_int.h"
#include "../../keys/fileio.h"

#define T0 1767225600ull

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- references ----------------------------------------------------------- */

static size_t
ref_safe(const char *s, size_t n, const char *drop, char *dst, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			dst[o++] = '?';
		else if (drop != NULL && c != 0 && strchr(drop, c) != NULL)
			dst[o++] = '_';
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return o;
}

static const core_prov *
ref_main(const core_entry *e)
{
	const core_prov *best = NULL;
	size_t i;

	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];

		if (best == NULL || p->weight > best->weight ||
		    (p->weight == best->weight &&
		     (p->first < best->first || (p->first == best->first && p->reason < best->reason))))
			best = p;
	}
	return best;
}

/* The provenance text as its contract reads (export_int.h), with snprintf. */
static size_t
ref_prov(const core_entry *e, const char *drop, char *buf, size_t cap)
{
	const core_prov *first = ref_main(e);
	char part[1024], name[KEYS_NAME_MAX + 1], ref[BLF_MAX_REF_LEN + 1], date[16];
	size_t i, o = 0, room, n;

	if (cap < 4) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	room = cap - 1;
	for (i = 0; i <= e->nprov && first != NULL; i++) {
		const core_prov *p;
		const char *rn;
		time_t t;
		struct tm tm;

		if (i == 0)
			p = first;
		else if (&e->prov[i - 1] == first)
			continue;
		else
			p = &e->prov[i - 1];
		ref_safe(p->name, strlen(p->name), drop, name, sizeof(name));
		t = (time_t)(p->first > KEYS_TIME_MAX ? KEYS_TIME_MAX : p->first);
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		rn = blf_reason_name(p->reason);
		n = (size_t)snprintf(part, sizeof(part), "%s%s: ", o > 0 ? "; " : "", name);
		if (rn != NULL)
			n += (size_t)snprintf(part + n, sizeof(part) - n, "%s", rn);
		else
			n += (size_t)snprintf(part + n, sizeof(part) - n, "reason-%u", p->reason);
		n += (size_t)snprintf(part + n, sizeof(part) - n, " since %s", date);
		if (p->ref_len > 0) {
			ref_safe(p->ref, p->ref_len, drop, ref, sizeof(ref));
			n += (size_t)snprintf(part + n, sizeof(part) - n, " (%s)", ref);
		}
		if (o + n > room) {
			size_t keep = room - o >= 3 ? room - o - 3 : 0;

			if (o + keep + 3 > room)
				o = room - 3;
			memcpy(buf + o, part, keep);
			o += keep;
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, part, n);
		o += n;
	}
	buf[o] = '\0';
	return o;
}

static int
ref_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return (int)len;
}

/* A JSON string with quotes, the way export_out_json's contract reads. */
static size_t
ref_json(const char *s, size_t n, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;

	out[o++] = '"';
	while (i < n) {
		unsigned c = u[i], cp;
		int k;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			i++;
		} else if (c < 0x80) {
			o += (size_t)sprintf(out + o, "\\u%04x", c);
			i++;
		} else if ((k = ref_utf8(u + i, n - i, &cp)) != 0) {
			if (cp >= 0x10000)
				o += (size_t)sprintf(out + o, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
						     0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				o += (size_t)sprintf(out + o, "\\u%04x", cp);
			i += (size_t)k;
		} else {
			o += (size_t)sprintf(out + o, "\\ufffd");
			i++;
		}
	}
	out[o++] = '"';
	return o;
}

/* ---- numbers, addresses, times -------------------------------------------- */

static void
check_u64(uint64_t v)
{
	char a[40], b[40];

	memset(a, 'x', sizeof(a));
	*export_put_u64(a, v) = '\0';
	snprintf(b, sizeof(b), "%" PRIu64, v);
	assert_string_equal(a, b);
}

static void
test_put_numbers(void **state)
{
	uint64_t p = 1;
	char a[64], b[64];
	static const uint8_t bytes[4] = { 0x00, 0x0f, 0xa5, 0xff };
	int i;

	(void)state;
	check_u64(0);
	check_u64(UINT64_MAX);
	for (i = 0; i < 20; i++) {
		check_u64(p);
		check_u64(p - 1);
		check_u64(p + 1);
		check_u64(p * 9);
		if (i < 19)
			p *= 10;
	}
	for (i = 0; i < 200000; i++)
		check_u64(rnd() >> (rnd() % 64));
	/* A values */
	*export_put_a(a, 0) = '\0';
	assert_string_equal(a, "0.0.0.0");
	*export_put_a(a, 0xffffffffu) = '\0';
	assert_string_equal(a, "255.255.255.255");
	*export_put_a(a, EXPORT_DEFAULT_A) = '\0';
	assert_string_equal(a, "127.0.0.2");
	for (i = 0; i < 100000; i++) {
		uint32_t v = (uint32_t)rnd();

		*export_put_a(a, v) = '\0';
		snprintf(b, sizeof(b), "%u.%u.%u.%u", v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255);
		assert_string_equal(a, b);
	}
	*export_put_hex(a, bytes, 4) = '\0';
	assert_string_equal(a, "000fa5ff");
}

static void
check_prefix(const blf_prefix *p)
{
	char a[BLF_PREFIX_STRLEN + X_PUT_SLACK + 8], b[BLF_PREFIX_STRLEN];
	char *end;
	size_t n = blf_prefix_format(p, b);

	memset(a, '#', sizeof(a));
	end = export_put_prefix(a, p);
	assert_int_equal((size_t)(end - a), n);
	assert_true(n <= X_PREFIX_MAX);
	assert_memory_equal(a, b, n);
	/* nothing stored past the text and the slack */
	assert_int_equal(a[n + X_PUT_SLACK], '#');
	n = blf_prefix_format_addr(p, b);
	end = export_put_addr(a, p);
	assert_int_equal((size_t)(end - a), n);
	assert_memory_equal(a, b, n);
}

static void
test_put_prefix(void **state)
{
	blf_prefix p;
	char a[64];
	int i, k;

	(void)state;
	/* the longest text, exactly X_PREFIX_MAX */
	memset(&p, 0, sizeof(p));
	p.af = BLF_AF_INET6;
	p.len = 128;
	memset(p.addr, 0xff, 16);
	assert_int_equal(export_put_prefix(a, &p) - a, X_PREFIX_MAX);
	check_prefix(&p);
	memset(p.addr, 0, 16);
	p.len = 0;
	check_prefix(&p); /* "::/0" */
	p.af = BLF_AF_INET;
	check_prefix(&p); /* "0.0.0.0/0" */
	p.len = 32;
	memset(p.addr, 255, 4);
	check_prefix(&p);
	p.af = 9; /* unknown family: nothing, as blf_prefix_format */
	assert_ptr_equal(export_put_prefix(a, &p), a);
	for (i = 0; i < 200000; i++) {
		uint64_t r = rnd(), z = rnd();

		memset(&p, 0, sizeof(p));
		if (r & 1) {
			p.af = BLF_AF_INET;
			p.len = 32;
			for (k = 0; k < 4; k++)
				p.addr[k] = (uint8_t)(z >> (8 * k) & (r & 2 ? 0xff : 0x0f));
		} else {
			p.af = BLF_AF_INET6;
			p.len = 128;
			/* groups zero, small or full, so that every run pattern occurs */
			for (k = 0; k < 8; k++) {
				unsigned kind = (unsigned)(z >> (2 * k) & 3), g;

				g = kind == 0 ? 0 : kind == 1 ? (unsigned)(r >> (8 * (k % 7)) & 0xf)
					  : kind == 2 ? (unsigned)(r >> (4 * k) & 0x1ff) : (unsigned)(r >> (2 * k));
				p.addr[2 * k] = (uint8_t)(g >> 8);
				p.addr[2 * k + 1] = (uint8_t)g;
			}
		}
		check_prefix(&p);
		/* the same address under a random length, host bits cleared */
		p.len = (uint8_t)(rnd() % (p.af == BLF_AF_INET ? 33 : 129));
		for (k = p.len; k < (p.af == BLF_AF_INET ? 32 : 128); k++)
			p.addr[k / 8] &= (uint8_t) ~(0x80u >> (k % 8));
		check_prefix(&p);
	}
}

static void
check_time(uint64_t t)
{
	char a[X_TIME_LEN + 1], b[32];
	time_t tt = (time_t)(t > KEYS_TIME_MAX ? KEYS_TIME_MAX : t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	export_time_str(t, a);
	assert_string_equal(a, b);
	assert_ptr_equal(export_put_date(a, t), a + 10);
	assert_memory_equal(a, b, 10);
}

static void
test_put_time(void **state)
{
	int i;

	(void)state;
	check_time(0);
	check_time(86399);
	check_time(951782400); /* 2000-02-29 */
	check_time(KEYS_TIME_MAX);
	check_time(KEYS_TIME_MAX + 1);
	check_time(UINT64_MAX);
	/* days that share a cache slot, alternately */
	for (i = 0; i < 64; i++) {
		check_time(T0 + (uint64_t)i * 64 * 86400);
		check_time(T0 + 5);
	}
	for (i = 0; i < 100000; i++)
		check_time(rnd() % (KEYS_TIME_MAX + 1000));
}

/* ---- text ------------------------------------------------------------------ */

static const char *const drops[] = { NULL, "", "$#", "\"\\'", "$" };

/* Random bytes: mostly printable, with drop bytes, controls, UTF-8 and
 * invalid bytes. */
static void
fill_text(char *s, size_t n)
{
	static const char pick[] = "$#\"\\'\n\r\t ";
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = rnd();

		switch (r % 8) {
		case 0:
			s[i] = pick[(r >> 8) % (sizeof(pick) - 1)];
			break;
		case 1:
			s[i] = (char)(r >> 8);
			break;
		case 2:
			s[i] = (char)(0x80 | (r >> 8 & 0x3f));
			break;
		case 3:
			s[i] = (char)(0xc2 + (r >> 8) % 0x33);
			break;
		default:
			s[i] = (char)(0x20 + (r >> 8) % 0x5f);
		}
	}
}

static void
test_safe_ascii(void **state)
{
	char s[300], a[300], b[300];
	size_t n, cap, d;
	int i;

	(void)state;
	for (i = 0; i < 50000; i++) {
		n = rnd() % sizeof(s);
		cap = 1 + rnd() % sizeof(a);
		d = rnd() % (sizeof(drops) / sizeof(drops[0]));
		fill_text(s, n);
		if (rnd() % 3 == 0)
			memset(s, 'a', n); /* long clean runs: the word-wise path */
		assert_int_equal(export_safe_ascii(s, n, drops[d], a, cap),
				 ref_safe(s, n, drops[d], b, cap));
		assert_string_equal(a, b);
	}
	assert_int_equal(export_safe_ascii("abc", 3, NULL, a, 0), 0);
}

static void
test_json(void **state)
{
	static char s[3 * X_JSON_PIECE], want[6 * sizeof(s) + 8];
	static xout o;
	size_t n, wn, off;
	int i;
	static const unsigned char seqs[][4] = {
		{ 0xc3, 0xa4 }, { 0xe4, 0xb8, 0xad }, { 0xf0, 0x9f, 0x98, 0x80 }, { 0xed, 0xa0, 0x80 },
	};

	(void)state;
	for (i = 0; i < 3000; i++) {
		n = rnd() % sizeof(s);
		fill_text(s, n);
		if (i < 1000 && n > X_JSON_PIECE + 8) {
			/* a sequence across the piece boundary, at every offset */
			const unsigned char *q = seqs[i % 4];
			size_t len = i % 4 == 0 ? 2 : i % 4 == 3 ? 3 : i % 4 + 2;

			off = X_JSON_PIECE - 4 + (size_t)(i / 4 % 8);
			memcpy(s + off, q, len);
		}
		wn = ref_json(s, n, want);
		memset(&o, 0, sizeof(o)); /* counting: the text stays in buf */
		export_out_json(&o, s, n);
		assert_int_equal(o.len, wn);
		assert_memory_equal(o.buf, want, wn);
		assert_ptr_equal(export_put_json(o.buf, s, n), o.buf + wn);
		assert_memory_equal(o.buf, want, wn);
	}
}

/* ---- provenance and names --------------------------------------------------- */

struct rview {
	core_entry e;
	core_prov p[6];
	char names[6][80];
	char refs[6][BLF_MAX_REF_LEN + 40];
};

static void
random_entry(struct rview *v)
{
	static const uint16_t reasons[] = { 0, 1, 2, 14, 99, 255, 256, 1000, 65535 };
	size_t k, np = 1 + rnd() % 5;

	memset(&v->e, 0, sizeof(v->e));
	v->e.kind = CORE_ENTRY_LISTED;
	v->e.nprov = np;
	v->e.prov = v->p;
	for (k = 0; k < np; k++) {
		core_prov *p = &v->p[k];
		size_t nl = rnd() % 4 == 0 ? rnd() % 75 : 1 + rnd() % 8;

		memset(p, 0, sizeof(*p));
		fill_text(v->names[k], nl);
		for (size_t j = 0; j < nl; j++)
			if (v->names[k][j] == '\0')
				v->names[k][j] = 'z';
		v->names[k][nl] = '\0';
		p->name = rnd() % 2 ? v->names[k] : "alpha"; /* cached and fresh names */
		p->weight = (uint32_t)(rnd() % 3 * 50);
		p->reason = reasons[rnd() % (sizeof(reasons) / sizeof(reasons[0]))];
		p->first = rnd() % 3 == 0 ? rnd() % (KEYS_TIME_MAX + 100) : T0 + rnd() % (90 * 86400);
		p->ref_len = rnd() % 3 == 0 ? 0 : rnd() % (BLF_MAX_REF_LEN + 20);
		fill_text(v->refs[k], p->ref_len);
		p->ref = v->refs[k];
	}
}

static void
test_prov_text(void **state)
{
	static struct rview v;
	char a[1200 + X_PROV_PART], b[1200], c[1200 + X_PROV_PART];
	size_t cap, d, n;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		random_entry(&v);
		cap = i % 2 ? rnd() % 1100 : 200 + rnd() % 60;
		d = rnd() % (sizeof(drops) / sizeof(drops[0]));
		n = ref_prov(&v.e, drops[d], b, cap);
		memset(a, '#', sizeof(a));
		assert_int_equal(export_prov_text(&v.e, drops[d], a, cap), n);
		if (cap > 0)
			assert_string_equal(a, b);
		/* in place, as the writers do */
		if (cap < 1100) {
			assert_int_equal(export_put_prov(c, &v.e, drops[d], cap) - c, n);
			assert_memory_equal(c, b, n);
		}
	}
}

/* The origin fragment of p appended to o, against its contract. */
static void
jcheck(xout *o, const core_prov *p, const uint8_t *sg)
{
	char want[1024];
	size_t n, start = o->len, k;

	n = (size_t)sprintf(want, "{\"name\":");
	n += ref_json(p->name, strlen(p->name), want + n);
	n += (size_t)sprintf(want + n, ",\"origin\":\"");
	for (k = 0; k < BLF_KEYID_LEN; k++)
		n += (size_t)sprintf(want + n, "%02x", p->origin[k]);
	if (sg == NULL) {
		n += (size_t)sprintf(want + n, "\",\"signer\":null,\"weight\":");
	} else {
		n += (size_t)sprintf(want + n, "\",\"signer\":\"");
		for (k = 0; k < BLF_KEYID_LEN; k++)
			n += (size_t)sprintf(want + n, "%02x", sg[k]);
		n += (size_t)sprintf(want + n, "\",\"weight\":");
	}
	export_out_jorigin(o, p, sg);
	assert_int_equal(o->len - start, n);
	assert_memory_equal(o->buf + start, want, n);
}

/* A name changed in place at the same address, and the same name at
 * another: the caches never show a stale text. */
static void
test_name_cache(void **state)
{
	static char name[KEYS_NAME_MAX + 1], longname[3 * KEYS_NAME_MAX];
	static xout o;
	uint8_t id[BLF_KEYID_LEN] = { 1 }, sg[BLF_KEYID_LEN] = { 2 };
	core_prov p;
	core_entry e;
	char a[600];
	size_t n;

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(&e, 0, sizeof(e));
	e.kind = CORE_ENTRY_LISTED;
	e.nprov = 1;
	e.prov = &p;
	p.name = name;
	p.origin = id;
	p.reason = 1;
	p.first = T0;
	strcpy(name, "alpha");
	n = (size_t)(export_put_prov(a, &e, "$#", 256) - a);
	assert_memory_equal(a, "alpha: spam-source since 2026-01-01", n);
	strcpy(name, "alp$a");
	n = (size_t)(export_put_prov(a, &e, "$#", 256) - a);
	assert_memory_equal(a, "alp_a: spam-source since 2026-01-01", n);
	n = (size_t)(export_put_prov(a, &e, NULL, 256) - a);
	assert_memory_equal(a, "alp$a: spam-source since 2026-01-01", n);
	strcpy(name, "alp");
	n = (size_t)(export_put_prov(a, &e, "$#", 256) - a);
	assert_memory_equal(a, "alp: spam-source since 2026-01-01", n);
	assert_int_equal(n, 33);
	/* names a few bytes apart (string literals are), used in turn: each
	 * its own text, whichever slots they share */
	{
		static const char block[] = "ab\0cd\0e$\0gh\0ij";
		static const char *const want[] = { "ab: ", "cd: ", "e_: ", "gh: ", "ij: " };
		size_t i, k;

		for (k = 0; k < 3; k++)
			for (i = 0; i < 5; i++) {
				p.name = block + 3 * i;
				n = (size_t)(export_put_prov(a, &e, "$#", 256) - a);
				assert_int_equal(n, 32);
				assert_memory_equal(a, want[i], 4);
				assert_memory_equal(a + 4, "spam-source since 2026-01-01", 28);
			}
		p.name = name;
	}

	memset(&o, 0, sizeof(o));
	jcheck(&o, &p, sg);
	jcheck(&o, &p, sg); /* a hit */
	jcheck(&o, &p, NULL);
	sg[0] = 3;
	jcheck(&o, &p, sg);
	id[1] = 4;
	jcheck(&o, &p, sg);
	strcpy(name, "b\"c");
	jcheck(&o, &p, sg);
	jcheck(&o, &p, sg);
	/* longer than a trust store's names: written piece by piece */
	memset(longname, '\\', sizeof(longname) - 1);
	p.name = longname;
	jcheck(&o, &p, sg);
	jcheck(&o, &p, NULL);
}

/* ---- the reserved line at the buffer's boundaries -------------------------- */

static char tdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/blf-xtext-XXXXXX");
	return mkdtemp(tdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The longest lines: an IPv6 /128 of the longest text listed by origins
 * with 63-byte names and 255-byte references of escapes and drop bytes
 * (the TXT cut at 255 bytes after "$" expansion), its exclusion, and
 * an IPv4 line. */
static struct rview big;

static void
big_entry(void)
{
	size_t k, j;

	memset(&big, 0, sizeof(big));
	big.e.kind = CORE_ENTRY_LISTED;
	big.e.prefix.af = BLF_AF_INET6;
	big.e.prefix.len = 128;
	memset(big.e.prefix.addr, 0xff, 16);
	big.e.nprov = 4;
	big.e.prov = big.p;
	for (k = 0; k < 4; k++) {
		memset(big.names[k], 'n', KEYS_NAME_MAX);
		big.names[k][0] = (char)('a' + k);
		big.names[k][KEYS_NAME_MAX] = '\0';
		for (j = 0; j < BLF_MAX_REF_LEN; j++)
			big.refs[k][j] = "$#\"\\\n\xe4"[j % 6];
		big.p[k].name = big.names[k];
		big.p[k].weight = 100;
		big.p[k].reason = (uint16_t)(k == 3 ? 40000 : 1 + k);
		big.p[k].first = T0;
		big.p[k].ref = big.refs[k];
		big.p[k].ref_len = BLF_MAX_REF_LEN;
	}
}

/* What rbldnsd's and Postfix's writers must write for e (family af). */
static size_t
want_line(const export_writer *w, const core_entry *e, char *out)
{
	char pfx[BLF_PREFIX_STRLEN], txt[600];
	size_t n = 0, cap;

	blf_prefix_format(&e->prefix, pfx);
	if (w == &export_writer_postfix) {
		if (e->kind == CORE_ENTRY_EXCLUDED)
			return (size_t)sprintf(out, "%s DUNNO\n", pfx);
		ref_prov(e, NULL, txt, 400);
		return (size_t)sprintf(out, "%s REJECT listed by %s\n", pfx, txt);
	}
	if (e->kind == CORE_ENTRY_EXCLUDED)
		return (size_t)sprintf(out, "!%s\n", pfx);
	cap = EXPORT_TXT_MAX - (e->prefix.af == BLF_AF_INET ? 15 : 39) - 11 + 1;
	n = ref_prov(e, "$#", txt, cap);
	/* the TXT after "$" expansion to the longest address: 255 at most */
	assert_true(n + 11 + (e->prefix.af == BLF_AF_INET ? 15 : 39) <= EXPORT_TXT_MAX);
	if (e == &big.e) /* cut: exactly the 255 bytes of a TXT string */
		assert_int_equal(n + 11 + 39, EXPORT_TXT_MAX);
	return (size_t)sprintf(out, "%s :127.0.0.%u:$ listed by %s\n", pfx,
			       1 + ref_main(e)->reason, txt);
}

/* Write `fill` filler bytes then each line through writer w into a real
 * file through xo_reserve/xo_commit, and compare the file. */
static void
boundary(const export_writer *w, size_t fill, const core_entry *const *es, size_t ne)
{
	static xout o;
	static char want[XO_CAP + 8192];
	export_config cfg;
	xfile f;
	xitem it;
	int dfd;
	size_t i, wn = fill;
	char path[128], *got;
	FILE *fp;
	long len;

	memset(&cfg, 0, sizeof(cfg));
	cfg.a_default = EXPORT_DEFAULT_A;
	memset(&o, 0, sizeof(o));
	assert_int_equal(export_sha_init(&o.sha), 0);
	assert_true((dfd = open(tdir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(fio_atomic_begin(&o.fa, dfd, "line", 0644), 0);
	o.active = 1;
	memset(o.buf, 'J', fill);
	memset(want, 'J', fill);
	o.len = fill;
	memset(&f, 0, sizeof(f));
	f.cfg = &cfg;
	f.o = &o;
	f.phase = 1;
	for (i = 0; i < ne; i++) {
		memset(&it, 0, sizeof(it));
		it.e = es[i];
		f.af = es[i]->prefix.af;
		f.phase = es[i]->kind == CORE_ENTRY_EXCLUDED ? 0 : 1;
		assert_int_equal(w->entry(&f, &it), 0);
		assert_true(o.len <= XO_CAP);
		wn += want_line(w, es[i], want + wn);
	}
	export_out_flush(&o);
	assert_int_equal(o.err, 0);
	assert_int_equal(o.size, wn);
	assert_int_equal(fio_atomic_commit(&o.fa, 1), 0);
	export_sha_free(&o.sha);
	close(dfd);
	snprintf(path, sizeof(path), "%s/line", tdir);
	assert_non_null(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	assert_int_equal((size_t)len, wn);
	got = malloc(wn + 1);
	assert_non_null(got);
	assert_int_equal(fread(got, 1, wn, fp), wn);
	fclose(fp);
	assert_memory_equal(got, want, wn);
	free(got);
}

static void
test_line_boundary(void **state)
{
	static core_entry ex, v4;
	static core_prov p4;
	const core_entry *es[3];
	static char one[2000];
	const export_writer *const ws[] = { &export_writer_rbldnsd, &export_writer_postfix };
	size_t w, len, fill;
	int d;

	(void)state;
	big_entry();
	ex = big.e;
	ex.kind = CORE_ENTRY_EXCLUDED;
	memset(&v4, 0, sizeof(v4));
	v4.kind = CORE_ENTRY_LISTED;
	v4.prefix.af = BLF_AF_INET;
	v4.prefix.len = 32;
	memset(v4.prefix.addr, 255, 4);
	v4.nprov = 1;
	v4.prov = &p4;
	p4 = big.p[1];
	es[0] = &big.e;
	es[1] = &ex;
	es[2] = &v4;
	for (w = 0; w < 2; w++) {
		/* the longest line is where the reservation decides */
		len = want_line(ws[w], &big.e, one);
		assert_true(len > 200);
		for (d = -40; d <= 40; d++) {
			/* around the flush mark and around the buffer's end */
			fill = (size_t)((long)XO_FLUSH - (long)len + d);
			boundary(ws[w], fill, es, 3);
			fill = (size_t)((long)XO_CAP - (long)len + d);
			if (fill < XO_CAP)
				boundary(ws[w], fill, es, 3);
		}
		boundary(ws[w], 0, es, 3);
		boundary(ws[w], XO_CAP - 1, es, 1);
	}
}

/* The reservation itself: it flushes exactly when the room is short. */
static void
test_reserve(void **state)
{
	static xout o;
	char *d;

	(void)state;
	memset(&o, 0, sizeof(o)); /* counting */
	o.len = XO_CAP - 100;
	d = xo_reserve(&o, 100);
	assert_ptr_equal(d, o.buf + XO_CAP - 100);
	assert_int_equal(o.size, 0);
	d = xo_reserve(&o, 101);
	assert_ptr_equal(d, o.buf);
	assert_int_equal(o.size, XO_CAP - 100);
	o.len = XO_FLUSH - 1;
	xo_commit(&o, o.buf + XO_FLUSH - 1);
	assert_int_equal(o.len, XO_FLUSH - 1); /* below the mark: kept */
	xo_commit(&o, o.buf + XO_FLUSH);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.size, XO_CAP - 100 + XO_FLUSH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_numbers),
		cmocka_unit_test(test_put_prefix),
		cmocka_unit_test(test_put_time),
		cmocka_unit_test(test_safe_ascii),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_prov_text),
		cmocka_unit_test(test_name_cache),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test_setup_teardown(test_line_boundary, setup, teardown),
	};

	if (blf_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
