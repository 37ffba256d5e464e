/*
 * export_text.c - the output buffer of an export file and the text helpers
 * every format shares.
 *
 * Formatting dominates the cost of an export (10 million lines in a few
 * seconds), so lines are built with hand-rolled conversions (decimal,
 * hex, prefixes through blf_prefix_format, UTC dates by the civil-from-days
 * algorithm) into a buffer that is handed to fio_atomic_write and SHA-256
 * in 60 KiB pieces; there is no snprintf per line.
 *
 * Everything that reaches a file from the network (display names come from
 * the local trust store, but references come from deltas) passes
 * export_safe_ascii or export_out_json: printable ASCII only, so that no reference can
 * end a line, open a comment, inject a "$" substitution or a quote.
 */
#include <string.h>

#include "export_int.h"

static const char hexd[] = "0123456789abcdef";

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

/* Append v in decimal. */
void
export_out_u64(xout *o, uint64_t v)
{
	char t[20];
	size_t n = 0;

	do {
		t[sizeof(t) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	export_out_mem(o, t + sizeof(t) - n, n);
}

/* Append n bytes as lower-case hex (in place when there is room, as there
 * is for key ids). */
void
export_out_hex(xout *o, const uint8_t *b, size_t n)
{
	size_t i;
	char *d;

	if (2 * n > XO_CAP - o->len) {
		for (i = 0; i < n; i++) {
			export_out_chr(o, hexd[b[i] >> 4]);
			export_out_chr(o, hexd[b[i] & 15]);
		}
		return;
	}
	d = o->buf + o->len;
	for (i = 0; i < n; i++) {
		d[2 * i] = hexd[b[i] >> 4];
		d[2 * i + 1] = hexd[b[i] & 15];
	}
	o->len += 2 * n;
}

/* Decimal text of 0..255 (at most 3 digits): "a.b.c.d" without a
 * division per octet. */
static size_t
put_octet(char *b, unsigned v)
{
	if (v >= 100) {
		b[0] = (char)('0' + v / 100);
		b[1] = (char)('0' + v / 10 % 10);
		b[2] = (char)('0' + v % 10);
		return 3;
	}
	if (v >= 10) {
		b[0] = (char)('0' + v / 10);
		b[1] = (char)('0' + v % 10);
		return 2;
	}
	b[0] = (char)('0' + v);
	return 1;
}

/* Append "address/len" in canonical form (IPv4 here, IPv6 through
 * blf_prefix_format: RFC 5952 needs the zero runs). */
void
export_out_prefix(xout *o, const blf_prefix *p)
{
	char *b;
	size_t n;

	if (XO_CAP - o->len < BLF_PREFIX_STRLEN)
		export_out_flush(o);
	if (p->af != BLF_AF_INET) {
		o->len += blf_prefix_format(p, o->buf + o->len);
		return;
	}
	b = o->buf + o->len;
	n = put_octet(b, p->addr[0]);
	b[n++] = '.';
	n += put_octet(b + n, p->addr[1]);
	b[n++] = '.';
	n += put_octet(b + n, p->addr[2]);
	b[n++] = '.';
	n += put_octet(b + n, p->addr[3]);
	b[n++] = '/';
	n += put_octet(b + n, p->len);
	o->len += n;
}

/* Append the address alone. */
void
export_out_addr(xout *o, const blf_prefix *p)
{
	if (XO_CAP - o->len < BLF_PREFIX_STRLEN)
		export_out_flush(o);
	o->len += blf_prefix_format_addr(p, o->buf + o->len);
}

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

static void
put2(char *b, unsigned v)
{
	b[0] = (char)('0' + v / 10 % 10);
	b[1] = (char)('0' + v % 10);
}

/* The date text of the day converted last: the times of a feed fall on few
 * days, and the civil conversion (divisions) costs more than the copy. */
static _Thread_local uint64_t day_last = UINT64_MAX;
static _Thread_local char day_text[10];

/* "YYYY-MM-DDTHH:MM:SSZ" and a NUL into buf; years past 9999 are clamped. */
void
export_time_str(uint64_t t, char buf[X_TIME_LEN + 1])
{
	unsigned y, m, d, s;

	if (t > KEYS_TIME_MAX)
		t = KEYS_TIME_MAX;
	s = (unsigned)(t % 86400);
	if (t / 86400 != day_last) {
		civil(t / 86400, &y, &m, &d);
		put2(day_text, y / 100);
		put2(day_text + 2, y % 100);
		day_text[4] = '-';
		put2(day_text + 5, m);
		day_text[7] = '-';
		put2(day_text + 8, d);
		day_last = t / 86400;
	}
	memcpy(buf, day_text, 10);
	buf[10] = 'T';
	put2(buf + 11, s / 3600);
	buf[13] = ':';
	put2(buf + 14, s / 60 % 60);
	buf[16] = ':';
	put2(buf + 17, s % 60);
	buf[19] = 'Z';
	buf[20] = '\0';
}

/* Append the RFC 3339 UTC time of t. */
void
export_out_time(xout *o, uint64_t t)
{
	char b[X_TIME_LEN + 1];

	export_time_str(t, b);
	export_out_mem(o, b, X_TIME_LEN);
}

/* Append the date "YYYY-MM-DD" of t. */
void
export_out_date(xout *o, uint64_t t)
{
	char b[X_TIME_LEN + 1];

	export_time_str(t, b);
	export_out_mem(o, b, 10);
}

static void
json_u(xout *o, unsigned cp)
{
	char b[6] = { '\\', 'u', hexd[cp >> 12 & 15], hexd[cp >> 8 & 15], hexd[cp >> 4 & 15],
		      hexd[cp & 15] };

	export_out_mem(o, b, 6);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes) and its code
 * point, or 0 if the bytes are not valid UTF-8 (overlong, surrogate, too
 * large, truncated). */
static size_t
utf8_dec(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len, i;
	unsigned c = s[0], min;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
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
	return len;
}

/* Append s[0..n) as a JSON string in ASCII. */
void
export_out_json(xout *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	export_out_chr(o, '"');
	while (i < n) {
		unsigned c = u[i], cp;
		size_t k;

		/* a run of bytes that need no escape, copied at once */
		for (k = i; k < n && u[k] >= 0x20 && u[k] < 0x7f && u[k] != '"' && u[k] != '\\'; k++)
			;
		if (k > i) {
			export_out_mem(o, s + i, k - i);
			i = k;
			continue;
		}
		if (c == '"' || c == '\\') {
			export_out_chr(o, '\\');
			export_out_chr(o, (char)c);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			export_out_chr(o, (char)c);
			i++;
		} else if (c < 0x80) {
			json_u(o, c);
			i++;
		} else if ((k = utf8_dec(u + i, n - i, &cp)) != 0) {
			if (cp >= 0x10000) {
				cp -= 0x10000;
				json_u(o, 0xd800 + (cp >> 10));
				json_u(o, 0xdc00 + (cp & 0x3ff));
			} else {
				json_u(o, cp);
			}
			i += k;
		} else {
			json_u(o, 0xfffd);
			i++;
		}
	}
	export_out_chr(o, '"');
}

/*
 * Copy s[0..n) into dst (cap bytes, NUL-terminated) as printable ASCII:
 * every byte outside 0x20..0x7e becomes '?', every byte in drop becomes
 * '_'.  Returns the length written.
 */
size_t
export_safe_ascii(const char *s, size_t n, const char *drop, char *dst, size_t cap)
{
	size_t i, o = 0;

	if (cap == 0)
		return 0;
	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		const char *d;

		if (c < 0x20 || c > 0x7e) {
			dst[o++] = '?';
			continue;
		}
		for (d = drop; d != NULL && *d != '\0' && *d != (char)c; d++)
			;
		dst[o++] = d != NULL && *d != '\0' ? '_' : (char)c;
	}
	dst[o] = '\0';
	return o;
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

/* Name and length of a reason code, through a table of the codes below 256
 * (filled on first use: blf_reason_name is a linear search). */
static _Thread_local const char *rn_name[256];
static _Thread_local uint8_t rn_len[256];
static _Thread_local int rn_ready;

static const char *
reason_name(uint16_t code, size_t *len)
{
	const char *rn;

	if (code < 256) {
		if (!rn_ready) {
			unsigned i;

			for (i = 0; i < 256; i++) {
				rn_name[i] = blf_reason_name((uint16_t)i);
				rn_len[i] = (uint8_t)(rn_name[i] != NULL ? strlen(rn_name[i]) : 0);
			}
			rn_ready = 1;
		}
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

/* Append at most room bytes of s (length n) at buf+*o; 0 if it did not fit. */
static int
put_part(char *buf, size_t *o, size_t room, const char *s, size_t n)
{
	if (*o + n > room)
		return 0;
	memcpy(buf + *o, s, n);
	*o += n;
	return 1;
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
	const core_prov *first = main_prov(e);
	char part[KEYS_NAME_MAX + BLF_MAX_REF_LEN + 64];
	char date[X_TIME_LEN + 1];
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
		size_t rl;

		/* the strongest first, then the others in their order */
		if (i == 0)
			p = first;
		else if (&e->prov[i - 1] == first)
			continue;
		else
			p = &e->prov[i - 1];
		n = 0;
		if (o > 0) {
			part[n++] = ';';
			part[n++] = ' ';
		}
		n += export_safe_ascii(p->name, strlen(p->name), drop, part + n, KEYS_NAME_MAX + 1);
		part[n++] = ':';
		part[n++] = ' ';
		rn = reason_name(p->reason, &rl);
		if (rn != NULL) {
			memcpy(part + n, rn, rl);
			n += rl;
		} else {
			char t[8];
			size_t k = 0;
			unsigned v = p->reason;

			do {
				t[sizeof(t) - 1 - k++] = (char)('0' + v % 10);
				v /= 10;
			} while (v != 0);
			memcpy(part + n, "reason-", 7);
			n += 7;
			memcpy(part + n, t + sizeof(t) - k, k);
			n += k;
		}
		memcpy(part + n, " since ", 7);
		n += 7;
		export_time_str(p->first, date);
		memcpy(part + n, date, 10);
		n += 10;
		if (p->ref_len > 0) {
			part[n++] = ' ';
			part[n++] = '(';
			n += export_safe_ascii(p->ref, p->ref_len, drop, part + n,
					  BLF_MAX_REF_LEN + 1);
			part[n++] = ')';
		}
		if (!put_part(buf, &o, room, part, n)) {
			/* cut: as much as fits, then "..." */
			size_t keep = room - o >= 3 ? room - o - 3 : 0;

			if (o + keep + 3 > room)
				o = room - 3;
			memcpy(buf + o, part, keep);
			o += keep;
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
	}
	buf[o] = '\0';
	return o;
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
