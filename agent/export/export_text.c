/*
 * export_text.c - the output buffer of an export file and the text helpers
 * every format shares.
 *
 * An export formats tens of millions of lines, and the budget per line
 * beside SHA-256 and write() is a few tens of nanoseconds, so a writer
 * reserves room for its longest line once (xo_reserve, export_int.h) and
 * writes it with the unchecked export_put_* helpers: decimal through a
 * digit-pair table without a copy, octets and prefix lengths through a
 * table of their texts, IPv6 groups one store each (RFC 5952 as
 * blf_prefix_format), dates from a cache by day (the civil-from-days
 * algorithm on a miss), the "REASON since " texts from a table, and each
 * display name as the formats show it from a cache (name_put,
 * export_out_jorigin) that is found by the name's address and checked
 * against a copy of the name on every use, so a source may reuse its
 * buffers and a reloaded trust store never shows a stale name.  The
 * helpers may store up to X_PUT_SLACK bytes past their text.  The buffer
 * goes to fio_atomic_write and SHA-256 in pieces of at least 64 KiB; there
 * is no snprintf, strlen or allocation per line.
 *
 * Everything that reaches a file from the network (display names come from
 * the local trust store, but references come from deltas) passes
 * safe_put (export_safe_ascii, the provenance text) or the JSON escaping:
 * printable ASCII only, so that no reference can end a line, open a
 * comment, inject a "$" substitution or a quote.  The caches are
 * thread-local, as the tables before them.
 */
#include <stdlib.h>
#include <string.h>

#include "export_int.h"

static const char hexd[] = "0123456789abcdef";

/* Two decimal digits of 0..99, and the text of 0..255 (an octet, a prefix
 * length) padded to four bytes: one load and one store each. */
static const char dig2[200] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";
static const char octet[256][4] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
	"17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
	"32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46",
	"47", "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61",
	"62", "63", "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76",
	"77", "78", "79", "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91",
	"92", "93", "94", "95", "96", "97", "98", "99", "100", "101", "102", "103", "104", "105",
	"106", "107", "108", "109", "110", "111", "112", "113", "114", "115", "116", "117", "118",
	"119", "120", "121", "122", "123", "124", "125", "126", "127", "128", "129", "130", "131",
	"132", "133", "134", "135", "136", "137", "138", "139", "140", "141", "142", "143", "144",
	"145", "146", "147", "148", "149", "150", "151", "152", "153", "154", "155", "156", "157",
	"158", "159", "160", "161", "162", "163", "164", "165", "166", "167", "168", "169", "170",
	"171", "172", "173", "174", "175", "176", "177", "178", "179", "180", "181", "182", "183",
	"184", "185", "186", "187", "188", "189", "190", "191", "192", "193", "194", "195", "196",
	"197", "198", "199", "200", "201", "202", "203", "204", "205", "206", "207", "208", "209",
	"210", "211", "212", "213", "214", "215", "216", "217", "218", "219", "220", "221", "222",
	"223", "224", "225", "226", "227", "228", "229", "230", "231", "232", "233", "234", "235",
	"236", "237", "238", "239", "240", "241", "242", "243", "244", "245", "246", "247", "248",
	"249", "250", "251", "252", "253", "254", "255",
};

/* Allocate the EVP context on first use and start SHA-256: 0 or -1. */
int
export_sha_init(xsha *h)
{
	if (h->ctx == NULL && (h->ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	h->len = 0;
	return EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* Add n bytes; small pieces are gathered in h->buf first. */
void
export_sha_update(xsha *h, const void *p, size_t n)
{
	if (n == 0)
		return; /* p may be NULL (an empty reference) */
	if (h->len + n > XSHA_BUF) {
		EVP_DigestUpdate(h->ctx, h->buf, h->len);
		h->len = 0;
		if (n >= XSHA_BUF) {
			EVP_DigestUpdate(h->ctx, p, n);
			return;
		}
	}
	memcpy(h->buf + h->len, p, n);
	h->len += n;
}

/* The digest into out; h may be started again with export_sha_init. */
void
export_sha_final(xsha *h, uint8_t out[32])
{
	unsigned int len = 32;

	if (h->len > 0)
		EVP_DigestUpdate(h->ctx, h->buf, h->len);
	h->len = 0;
	EVP_DigestFinal_ex(h->ctx, out, &len);
}

/* Release the context (NULL-safe). */
void
export_sha_free(xsha *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

/*
 * Hand the buffered bytes to the file (and the hash).  Errors are sticky:
 * after the first one the bytes are dropped and o->err stays set.
 */
void
export_out_flush(xout *o)
{
	if (o->len == 0)
		return;
	if (o->sink_flush != NULL) {
		o->sink_flush(o);
		return;
	}
	if (o->active && o->err == 0) {
		export_sha_update(&o->sha, o->buf, o->len);
		if (fio_atomic_write(&o->fa, o->buf, o->len) != 0)
			o->err = o->fa.err != 0 ? o->fa.err : 5 /* EIO */;
	}
	o->size += o->len;
	o->len = 0;
}

/* Append n bytes. */
void
export_out_mem(xout *o, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		size_t room = XO_CAP - o->len, k = n < room ? n : room;

		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == XO_CAP)
			export_out_flush(o);
	}
}

/* Append a NUL-terminated string. */
void
export_out_str(xout *o, const char *s)
{
	export_out_mem(o, s, strlen(s));
}

/* Append one byte. */
void
export_out_chr(xout *o, char c)
{
	if (o->len == XO_CAP)
		export_out_flush(o);
	o->buf[o->len++] = c;
}

/* ---- unchecked writers: the caller reserved the room (xo_reserve) ------ */

/* Store 0..255 (an octet, a prefix length): four bytes stored, 1-3 kept. */
static inline char *
put_octet(char *d, unsigned v)
{
	memcpy(d, octet[v], 4);
	return d + 1 + (v >= 10) + (v >= 100);
}

static const uint64_t pow10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* See export_int.h.  The digits are counted first (the bit length times
 * log10(2), corrected by one comparison) and written from the end in
 * pairs, so that nothing is copied. */
char *
export_put_u64(char *d, uint64_t v)
{
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1), t = bits * 1233 >> 12;
	char *end = d + t + ((v | 1) >= pow10[t]), *q = end; /* v | 1: 0 has a digit */

	while (v >= 100) {
		q -= 2;
		memcpy(q, dig2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		memcpy(q - 2, dig2 + 2 * v, 2);
	} else {
		q[-1] = (char)('0' + v);
	}
	return end;
}

/* See export_int.h. */
char *
export_put_hex(char *d, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		d[2 * i] = hexd[b[i] >> 4];
		d[2 * i + 1] = hexd[b[i] & 15];
	}
	return d + 2 * n;
}

/* One IPv6 group without leading zeros: four bytes stored, 1-4 kept. */
static inline char *
put_group(char *d, unsigned g)
{
	char t[4] = { hexd[g >> 12], hexd[g >> 8 & 15], hexd[g >> 4 & 15], hexd[g & 15] };
	unsigned skip = (g < 0x1000) + (g < 0x100) + (g < 0x10);

	memcpy(d, t + skip, 4 - skip);
	return d + 4 - skip;
}

/* The IPv6 address text of a (RFC 5952, as blf_prefix_format: the first
 * longest run of two or more zero groups becomes "::"). */
static char *
put_v6(char *d, const uint8_t *a)
{
	unsigned g[8];
	int k, best = -1, bestlen = 1, run = 0;

	for (k = 0; k < 8; k++) {
		g[k] = (unsigned)a[2 * k] << 8 | a[2 * k + 1];
		if (g[k] == 0) {
			if (++run > bestlen) {
				bestlen = run;
				best = k - run + 1;
			}
		} else {
			run = 0;
		}
	}
	for (k = 0; k < 8; k++) {
		if (k == best) {
			*d++ = ':';
			*d++ = ':';
			k += bestlen - 1;
			continue;
		}
		if (k > 0 && k != best + bestlen)
			*d++ = ':';
		d = put_group(d, g[k]);
	}
	return d;
}

/* See export_int.h. */
char *
export_put_addr(char *d, const blf_prefix *p)
{
	if (p->af == BLF_AF_INET) {
		d = put_octet(d, p->addr[0]);
		*d++ = '.';
		d = put_octet(d, p->addr[1]);
		*d++ = '.';
		d = put_octet(d, p->addr[2]);
		*d++ = '.';
		return put_octet(d, p->addr[3]);
	}
	if (p->af == BLF_AF_INET6)
		return put_v6(d, p->addr);
	return d;
}

/* See export_int.h. */
char *
export_put_prefix(char *d, const blf_prefix *p)
{
	char *s = export_put_addr(d, p);

	if (s == d)
		return d; /* unknown family: nothing, as blf_prefix_format */
	*s++ = '/';
	return put_octet(s, p->len);
}

/* See export_int.h. */
char *
export_put_a(char *d, uint32_t a)
{
	d = put_octet(d, a >> 24);
	*d++ = '.';
	d = put_octet(d, a >> 16 & 255);
	*d++ = '.';
	d = put_octet(d, a >> 8 & 255);
	*d++ = '.';
	return put_octet(d, a & 255);
}

/* Append v in decimal. */
void
export_out_u64(xout *o, uint64_t v)
{
	xo_commit(o, export_put_u64(xo_reserve(o, 20 + X_PUT_SLACK), v));
}

/* Append n bytes as lower-case hex. */
void
export_out_hex(xout *o, const uint8_t *b, size_t n)
{
	while (n > 0) {
		size_t k = n < 512 ? n : 512;

		xo_commit(o, export_put_hex(xo_reserve(o, 2 * k), b, k));
		b += k;
		n -= k;
	}
}

/* Append "address/len" in canonical form (RFC 5952 for IPv6). */
void
export_out_prefix(xout *o, const blf_prefix *p)
{
	xo_commit(o, export_put_prefix(xo_reserve(o, X_PREFIX_MAX + X_PUT_SLACK), p));
}

/* Append the address alone. */
void
export_out_addr(xout *o, const blf_prefix *p)
{
	xo_commit(o, export_put_addr(xo_reserve(o, X_PREFIX_MAX + X_PUT_SLACK), p));
}

/* Append the A value a (host order) as a dotted quad. */
void
export_out_a(xout *o, uint32_t a)
{
	xo_commit(o, export_put_a(xo_reserve(o, 15 + X_PUT_SLACK), a));
}

/* ---- dates ---------------------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void
civil(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

/* The date texts of the days converted last, by day number: the times of a
 * feed fall on few days, and the civil conversion (divisions) costs more
 * than the copy.  key is the day plus one (0: an empty slot). */
#define X_DAY_SLOTS 64u
static _Thread_local struct {
	uint64_t key;
	char text[10];
} days[X_DAY_SLOTS];

/* "YYYY-MM-DD" of day (days since the epoch, at most KEYS_TIME_MAX's). */
static const char *
day_text(uint64_t day)
{
	unsigned y, m, d, slot = (unsigned)(day % X_DAY_SLOTS);
	char *t = days[slot].text;

	if (days[slot].key != day + 1) {
		civil(day, &y, &m, &d);
		memcpy(t, dig2 + 2 * (y / 100), 2);
		memcpy(t + 2, dig2 + 2 * (y % 100), 2);
		t[4] = '-';
		memcpy(t + 5, dig2 + 2 * m, 2);
		t[7] = '-';
		memcpy(t + 8, dig2 + 2 * d, 2);
		days[slot].key = day + 1;
	}
	return t;
}

/* See export_int.h. */
char *
export_put_time(char *d, uint64_t t)
{
	unsigned s;

	if (t > KEYS_TIME_MAX)
		t = KEYS_TIME_MAX;
	s = (unsigned)(t % 86400);
	memcpy(d, day_text(t / 86400), 10);
	d[10] = 'T';
	memcpy(d + 11, dig2 + 2 * (s / 3600), 2);
	d[13] = ':';
	memcpy(d + 14, dig2 + 2 * (s / 60 % 60), 2);
	d[16] = ':';
	memcpy(d + 17, dig2 + 2 * (s % 60), 2);
	d[19] = 'Z';
	return d + X_TIME_LEN;
}

/* See export_int.h. */
char *
export_put_date(char *d, uint64_t t)
{
	if (t > KEYS_TIME_MAX)
		t = KEYS_TIME_MAX;
	memcpy(d, day_text(t / 86400), 10);
	return d + 10;
}

/* "YYYY-MM-DDTHH:MM:SSZ" and a NUL into buf; years past 9999 are clamped. */
void
export_time_str(uint64_t t, char buf[X_TIME_LEN + 1])
{
	export_put_time(buf, t);
	buf[X_TIME_LEN] = '\0';
}

/* Append the RFC 3339 UTC time of t. */
void
export_out_time(xout *o, uint64_t t)
{
	xo_commit(o, export_put_time(xo_reserve(o, X_TIME_LEN), t));
}

/* Append the date "YYYY-MM-DD" of t. */
void
export_out_date(xout *o, uint64_t t)
{
	xo_commit(o, export_put_date(xo_reserve(o, 10), t));
}

/* ---- JSON strings --------------------------------------------------------- */

static inline char *
json_u(char *d, unsigned cp)
{
	d[0] = '\\';
	d[1] = 'u';
	d[2] = hexd[cp >> 12 & 15];
	d[3] = hexd[cp >> 8 & 15];
	d[4] = hexd[cp >> 4 & 15];
	d[5] = hexd[cp & 15];
	return d + 6;
}

/* s[0..n) escaped for a JSON string, without the quotes: at most 6n bytes. */
static char *
json_body(char *d, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = u[i];
		uint32_t cp;
		size_t k;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*d++ = (char)c;
			i++;
		} else if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = (char)c;
			i++;
		} else if (c < 0x80) {
			d = json_u(d, c);
			i++;
		} else if ((k = blf_utf8_decode(u + i, n - i, &cp)) != 0) {
			if (cp >= 0x10000) {
				cp -= 0x10000;
				d = json_u(d, 0xd800 + (cp >> 10));
				d = json_u(d, 0xdc00 + (cp & 0x3ff));
			} else {
				d = json_u(d, cp);
			}
			i += k;
		} else {
			d = json_u(d, 0xfffd);
			i++;
		}
	}
	return d;
}

/* See export_int.h. */
char *
export_put_json(char *d, const char *s, size_t n)
{
	*d++ = '"';
	d = json_body(d, s, n);
	*d++ = '"';
	return d;
}

/* Append s[0..n) as a JSON string in ASCII, in pieces that fit a line's
 * room.  A piece ends before a byte that starts a step of the decoding
 * (anything but a continuation byte, or a continuation byte that no valid
 * sequence can reach), so the pieces escape exactly as the whole would. */
void
export_out_json(xout *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	export_out_chr(o, '"');
	while (n > 0) {
		size_t k = n < X_JSON_PIECE ? n : X_JSON_PIECE;

		if (k < n) {
			size_t b = k;

			while (k - b < 3 && (u[b] & 0xc0) == 0x80)
				b--;
			if ((u[b] & 0xc0) != 0x80)
				k = b;
		}
		xo_commit(o, json_body(xo_reserve(o, 6 * k), s, k));
		s += k;
		u += k;
		n -= k;
	}
	export_out_chr(o, '"');
}

/* ---- printable ASCII -------------------------------------------------------- */

/* The bytes of drop as a bit set over 0..127 (bytes above are '?' anyway),
 * and the first X_DROP_FAST of them for the word-wise test of safe_put. */
#define X_DROP_FAST 2u
typedef struct xdrop {
	uint64_t m[2];
	uint64_t w[X_DROP_FAST]; /* each byte broadcast to a word (0: none) */
	int slow;                /* more bytes than w holds: byte by byte */
} xdrop;

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static xdrop
drop_make(const char *drop)
{
	xdrop dr;
	unsigned k = 0;

	memset(&dr, 0, sizeof(dr));
	for (; drop != NULL && *drop != '\0'; drop++) {
		unsigned c = (unsigned char)*drop;

		if (c >= 0x20 && c < 0x7f) {
			dr.m[c >> 6] |= (uint64_t)1 << (c & 63);
			if (k < X_DROP_FAST)
				dr.w[k++] = ONES * c;
			else
				dr.slow = 1;
		}
	}
	return dr;
}

/* The drop set of the last call, by address and checked against a copy
 * (each line asks for the same few sets). */
#define X_DROP_COPY 8u
static _Thread_local struct {
	const char *src;
	char copy[X_DROP_COPY];
	xdrop dr;
} drop_last;

static inline const xdrop *
drop_of(const char *drop)
{
	static const xdrop none;
	size_t n;

	if (drop == NULL || drop[0] == '\0')
		return &none;
	if (drop_last.src == drop && export_same_str(drop_last.copy, drop))
		return &drop_last.dr;
	drop_last.dr = drop_make(drop);
	drop_last.src = NULL;
	if ((n = strlen(drop)) < X_DROP_COPY) {
		memcpy(drop_last.copy, drop, n + 1);
		drop_last.src = drop;
	}
	return &drop_last.dr;
}

/* Non-zero if one of the 8 bytes of v needs a change: below 0x20, above
 * 0x7e, or a drop byte.  (v - 0x20..) & ~v has a high bit set exactly
 * where a byte is below 0x20 (borrows only start there); v + 0x01.. or v
 * has it where a byte is 0x7f or above (a carry only starts at 0xff,
 * which is flagged anyway); a zero byte of v ^ c marks c. */
static inline uint64_t
word_bad(uint64_t v, const xdrop *dr)
{
	uint64_t bad = ((v - ONES * 0x20) & ~v) | ((v + ONES) | v);
	unsigned k;

	for (k = 0; k < X_DROP_FAST; k++) {
		uint64_t x = v ^ dr->w[k];

		if (dr->w[k] != 0)
			bad |= (x - ONES) & ~x;
	}
	return bad & HIGHS;
}

/* s[0..n) as printable ASCII at d: '?' outside 0x20..0x7e, '_' for drop;
 * eight bytes at a time while none of them needs a change. */
static char *
safe_put(char *d, const char *s, size_t n, const xdrop *dr)
{
	size_t i = 0;

	if (!dr->slow)
		for (; i + 8 <= n; i += 8) {
			uint64_t v;

			memcpy(&v, s + i, 8);
			if (word_bad(v, dr) != 0)
				break;
			memcpy(d, &v, 8);
			d += 8;
		}
	for (; i < n; i++) {
		unsigned c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			*d++ = '?';
		else if (dr->m[c >> 6] >> (c & 63) & 1)
			*d++ = '_';
		else
			*d++ = (char)c;
	}
	return d;
}

/*
 * Copy s[0..n) into dst (cap bytes, NUL-terminated) as printable ASCII:
 * every byte outside 0x20..0x7e becomes '?', every byte in drop becomes
 * '_'.  Returns the length written.
 */
size_t
export_safe_ascii(const char *s, size_t n, const char *drop, char *dst, size_t cap)
{
	xdrop dr = drop_make(drop);

	if (cap == 0)
		return 0;
	if (n > cap - 1)
		n = cap - 1;
	*safe_put(dst, s, n, &dr) = '\0';
	return n;
}

/*
 * The contribution that speaks for the entry: highest weight, then the
 * earliest first-listed time, then the lowest reason code.
 */
static const core_prov *
main_prov(const core_entry *e)
{
	const core_prov *best = NULL;
	size_t i;

	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];

		if (best == NULL || p->weight > best->weight ||
		    (p->weight == best->weight &&
		     (p->first < best->first ||
		      (p->first == best->first && p->reason < best->reason))))
			best = p;
	}
	return best;
}

/* Reason code of the entry's strongest contribution (0 if none). */
uint16_t
export_main_reason(const core_entry *e)
{
	const core_prov *p = main_prov(e);

	return p != NULL ? p->reason : 0;
}

/* ---- reasons ---------------------------------------------------------------- */

/* Name and length of each reason code below 256, and its provenance text
 * "NAME since " (filled on first use: blf_reason_name is a linear search). */
static _Thread_local const char *rn_name[256];
static _Thread_local uint8_t rn_len[256];
static _Thread_local char rn_txt[256][X_REASON_TXT];
static _Thread_local uint8_t rn_txtlen[256];
static _Thread_local int rn_ready;

/* "NAME since " or "reason-N since " of code at d (< X_REASON_TXT bytes). */
static size_t
reason_txt(uint16_t code, const char *rn, size_t rl, char *d)
{
	char *s = d;

	if (rn != NULL) {
		if (rl > X_REASON_TXT - 8)
			rl = X_REASON_TXT - 8; /* the registry's names are far shorter */
		memcpy(s, rn, rl);
		s += rl;
	} else {
		memcpy(s, "reason-", 7);
		s = export_put_u64(s + 7, code);
	}
	memcpy(s, " since ", 7);
	return (size_t)(s + 7 - d);
}

static void
reasons_fill(void)
{
	unsigned i;

	for (i = 0; i < 256; i++) {
		rn_name[i] = blf_reason_name((uint16_t)i);
		rn_len[i] = (uint8_t)(rn_name[i] != NULL ? strlen(rn_name[i]) : 0);
		rn_txtlen[i] = (uint8_t)reason_txt((uint16_t)i, rn_name[i], rn_len[i], rn_txt[i]);
	}
	rn_ready = 1;
}

static const char *
reason_name(uint16_t code, size_t *len)
{
	const char *rn;

	if (code < 256) {
		if (!rn_ready)
			reasons_fill();
		*len = rn_len[code];
		return rn_name[code];
	}
	rn = blf_reason_name(code);
	*len = rn != NULL ? strlen(rn) : 0;
	return rn;
}

/* See export_int.h. */
const char *
export_reason_name(uint16_t code, size_t *len)
{
	return reason_name(code, len);
}

/* ---- display names ------------------------------------------------------- */

/*
 * The text of a display name as the formats show it, cached: an export
 * shows the same few names millions of times.  A slot is found by the
 * name's address and holds a copy of the name it was made from, compared
 * on every use (a reloaded trust store may put another name at the same
 * address), so a hit is always the right text.  Longer names than a trust
 * store holds are not cached.
 */
#define X_NAME_SLOTS 32u /* 2^5 (name_slot); tens of origins: a collision only recomputes */
#define X_NAME_TXT (KEYS_NAME_MAX + 2) /* "NAME: " */

static _Thread_local struct xname {
	const char *src;                /* the address it was made for */
	char raw[KEYS_NAME_MAX + 1];    /* the name it was made from */
	xdrop dr;
	size_t len;
	char txt[X_NAME_TXT];           /* safe name and ": " */
} names[X_NAME_SLOTS];

static _Thread_local struct xjname {
	const char *src;
	char raw[KEYS_NAME_MAX + 1];
	uint8_t origin[BLF_KEYID_LEN];
	uint8_t signer[BLF_KEYID_LEN];
	int has_signer;
	size_t len;
	char txt[X_JORIGIN_MAX];
} jnames[X_NAME_SLOTS];

/* The slot of a name's address: Fibonacci hashing, which spreads names a
 * few bytes apart (string literals, one allocation) as well as heap
 * blocks. */
static unsigned
name_slot(const char *s)
{
	return (unsigned)((uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ull >> 59);
}

/* "SAFE: " of name (safe: at most KEYS_NAME_MAX printable bytes, drop
 * bytes as '_') at d, which has room for X_NAME_TXT bytes; returns the
 * end. */
static char *
name_put(char *d, const char *name, const xdrop *dr)
{
	struct xname *c = &names[name_slot(name)];
	size_t n;

	if (c->src == name && c->dr.m[0] == dr->m[0] && c->dr.m[1] == dr->m[1] &&
	    export_same_str(c->raw, name)) {
		/* at the buffer's fixed size (a few moves, no call): d has room
		 * for a part (X_PROV_PART), what follows is written over it */
		memcpy(d, c->txt, sizeof(c->txt));
		return d + c->len;
	}
	n = strlen(name);
	if (n > KEYS_NAME_MAX) {
		d = safe_put(d, name, KEYS_NAME_MAX, dr);
		*d++ = ':';
		*d++ = ' ';
		return d;
	}
	memcpy(c->raw, name, n + 1);
	c->src = name;
	c->dr = *dr;
	c->len = (size_t)(safe_put(c->txt, name, n, dr) - c->txt);
	c->txt[c->len++] = ':';
	c->txt[c->len++] = ' ';
	memcpy(d, c->txt, c->len);
	return d + c->len;
}

/* {"name":NAME,"origin":"HEX","signer":"HEX"|null,"weight": */
static char *
jname_make(char *d, const core_prov *p, const uint8_t *signer)
{
	static const char a[] = "{\"name\":", b[] = ",\"origin\":\"", c[] = "\",\"signer\":\"",
			  e[] = "\",\"weight\":", f[] = "\",\"signer\":null,\"weight\":";

	memcpy(d, a, sizeof(a) - 1);
	d = export_put_json(d + sizeof(a) - 1, p->name, strlen(p->name));
	memcpy(d, b, sizeof(b) - 1);
	d = export_put_hex(d + sizeof(b) - 1, p->origin, BLF_KEYID_LEN);
	if (signer == NULL) {
		memcpy(d, f, sizeof(f) - 1);
		return d + sizeof(f) - 1;
	}
	memcpy(d, c, sizeof(c) - 1);
	d = export_put_hex(d + sizeof(c) - 1, signer, BLF_KEYID_LEN);
	memcpy(d, e, sizeof(e) - 1);
	return d + sizeof(e) - 1;
}

/* See export_int.h. */
void
export_out_jorigin(xout *o, const core_prov *p, const uint8_t *signer)
{
	struct xjname *c = &jnames[name_slot(p->name)];
	char *d = xo_reserve(o, X_JORIGIN_MAX);
	size_t n;

	if (c->src == p->name && memcmp(c->origin, p->origin, BLF_KEYID_LEN) == 0 &&
	    c->has_signer == (signer != NULL) &&
	    (signer == NULL || memcmp(c->signer, signer, BLF_KEYID_LEN) == 0) &&
	    export_same_str(c->raw, p->name)) {
		memcpy(d, c->txt, c->len);
		xo_commit(o, d + c->len);
		return;
	}
	n = strlen(p->name);
	if (n > KEYS_NAME_MAX) {
		/* not from a trust store: piece by piece */
		export_out_str(o, "{\"name\":");
		export_out_json(o, p->name, n);
		export_out_str(o, ",\"origin\":\"");
		export_out_hex(o, p->origin, BLF_KEYID_LEN);
		if (signer != NULL) {
			export_out_str(o, "\",\"signer\":\"");
			export_out_hex(o, signer, BLF_KEYID_LEN);
			export_out_str(o, "\",\"weight\":");
		} else {
			export_out_str(o, "\",\"signer\":null,\"weight\":");
		}
		return;
	}
	memcpy(c->raw, p->name, n + 1);
	c->src = p->name;
	memcpy(c->origin, p->origin, BLF_KEYID_LEN);
	c->has_signer = signer != NULL;
	if (signer != NULL)
		memcpy(c->signer, signer, BLF_KEYID_LEN);
	c->len = (size_t)(jname_make(c->txt, p, signer) - c->txt);
	memcpy(d, c->txt, c->len);
	xo_commit(o, d + c->len);
}

/* ---- provenance text ------------------------------------------------------- */

/* See export_int.h. */
char *
export_put_prov(char *d, const core_entry *e, const char *drop, size_t cap)
{
	const core_prov *first = main_prov(e);
	const xdrop *dr = drop_of(drop);
	char *s = d;
	size_t i, o = 0, room, n;

	if (cap < 4)
		return d;
	room = cap - 1;
	if (!rn_ready)
		reasons_fill();
	for (i = 0; i <= e->nprov && first != NULL; i++) {
		const core_prov *p;
		char *q;

		/* the strongest first, then the others in their order */
		if (i == 0)
			p = first;
		else if (&e->prov[i - 1] == first)
			continue;
		else
			p = &e->prov[i - 1];
		/* the part is written in place; cut below if it does not fit */
		q = s + o;
		if (o > 0) {
			q[0] = ';';
			q[1] = ' ';
			q += 2;
		}
		q = name_put(q, p->name, dr);
		if (p->reason < 256) {
			memcpy(q, rn_txt[p->reason], X_REASON_TXT);
			q += rn_txtlen[p->reason];
		} else {
			size_t rl;
			const char *rn = blf_reason_name(p->reason);

			rl = rn != NULL ? strlen(rn) : 0;
			q += reason_txt(p->reason, rn, rl, q);
		}
		q = export_put_date(q, p->first);
		if (p->ref_len > 0) {
			q[0] = ' ';
			q[1] = '(';
			q = safe_put(q + 2, p->ref,
				     p->ref_len < BLF_MAX_REF_LEN ? p->ref_len : BLF_MAX_REF_LEN, dr);
			*q++ = ')';
		}
		n = (size_t)(q - (s + o));
		if (o + n > room) {
			/* cut: as much as fits, then "..." */
			size_t keep = room - o >= 3 ? room - o - 3 : 0;

			if (o + keep + 3 > room)
				o = room - 3;
			memcpy(s + o + keep, "...", 3);
			o += keep + 3;
			break;
		}
		o += n;
	}
	return s + o;
}

/*
 * Provenance text of a listed entry, each contribution as
 * "NAME: REASON since YYYY-MM-DD (REF)", joined by "; ", strongest first.
 * Printable ASCII with the bytes of drop replaced; at most cap-1 bytes: a
 * part that does not fit is cut and the text ends with "...".
 */
size_t
export_prov_text(const core_entry *e, const char *drop, char *buf, size_t cap)
{
	char t[512 + X_PROV_PART], *b = t;
	size_t n;

	if (cap == 0)
		return 0;
	if (cap > 512 && (b = malloc(cap + X_PROV_PART)) == NULL) {
		buf[0] = '\0';
		return 0;
	}
	n = (size_t)(export_put_prov(b, e, drop, cap) - b);
	memcpy(buf, b, n);
	buf[n] = '\0';
	if (b != t)
		free(b);
	return n;
}

/* A for a reason code (host order). */
uint32_t
export_aval_of(const export_config *cfg, uint16_t reason)
{
	size_t i, rl;

	for (i = 0; i < cfg->navals; i++)
		if (cfg->avals[i].reason == reason)
			return cfg->avals[i].a;
	if (reason >= 1 && reason <= 254 && reason_name(reason, &rl) != NULL)
		return 0x7f000001u + reason;
	return cfg->a_default;
}

/* See export_int.h. */
void
export_stamp(xfile *f, int with_source, uint64_t count)
{
	xout *o = f->o;

	if (with_source) {
		export_out_str(o, f->cfg->source);
		export_out_str(o, ", ");
	}
	export_out_str(o, "serial ");
	export_out_u64(o, f->serial);
	export_out_str(o, ", ");
	export_out_time(o, f->now);
	export_out_str(o, ", ");
	export_out_u64(o, count);
}
