/*
 * export_origin.c - the per-origin view (export_config.per_origin,
 * blfed-export.5): for every origin of the trust store with accepted
 * listings, rbldnsd ip4trie / ip6trie data of that origin's own accepted
 * records, so that a consumer can serve each partner as a zone of its own
 * and weigh them itself.
 *
 *     # blfed rbldnsd ip4trie data of origin alpha (9ddb...): blfed, serial ...
 *     198.51.100.0/24 :127.0.0.2:$ listed by alpha: spam-source since ...
 *     !198.51.100.128/32
 *
 * The records are those the merge counts at the export's time (anchored,
 * not frozen or relay-only, in scope, unexpired), whatever the merge
 * threshold: a listing that the merged feed does not carry because it
 * alone does not reach the threshold is in its origin's zone.  Lines are
 * those of the merged zone (export_aval_of for the A value, export_put_prov for the
 * TXT of the one contribution); exclusions are "!" lines.  The file has no
 * $SOA, $TTL or $TIMESTAMP: it is listed after the merged head file in a
 * dataset (rbldnsd-ip4.head,origin.alpha.ip4), which supplies them, so that
 * an unchanged origin's file is not rewritten.
 *
 * Each origin is one step of the export job (export.c, origin_step): its
 * records are digested and, when the digest changed, read again and
 * written, in that one step, about a microsecond per record.  Unlike a
 * shard it is not cut into pieces (the core's per-origin iteration has no
 * order to resume from), so an origin with millions of records holds the
 * daemon's loop for seconds while its zone is exported.
 *
 * One zone per origin rather than rbldnsd's `combined` dataset: a combined
 * file holds every origin, so a change by any one rewrites all of it (and
 * rsync moves it), while separate files change only with their origin, and
 * a consumer serves the origins it chooses under names it chooses.
 *
 * File names: "origin.NAME.ip4" / ".ip6".  Display names are 1-63 bytes of
 * letters, digits, '.', '-', '_' and '@' (blfed-trust.5); '@' (and any other
 * byte outside the MANIFEST's [A-Za-z0-9._-]) becomes '_', and such a name
 * gets "-" and the first 8 hex digits of the origin id appended, so that
 * "ops@cert" and "ops_cert" never share a file.
 */
#include <stdio.h>
#include <string.h>

#include "export_int.h"

static const char hexd[] = "0123456789abcdef";

/* See export_int.h. */
size_t
export_origin_file(const char *name, const uint8_t origin[BLF_KEYID_LEN], int af, char *out)
{
	size_t n = 0, i, len = strlen(name);
	int changed = 0;

	memcpy(out, "origin.", 7);
	n = 7;
	if (len > KEYS_NAME_MAX)
		len = KEYS_NAME_MAX;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_') {
			out[n++] = c;
		} else {
			out[n++] = '_';
			changed = 1;
		}
	}
	if (changed || len == 0) {
		out[n++] = '-';
		for (i = 0; i < 4; i++) {
			out[n++] = hexd[origin[i] >> 4];
			out[n++] = hexd[origin[i] & 15];
		}
	}
	memcpy(out + n, af == BLF_AF_INET ? ".ip4" : ".ip6", 4);
	n += 4;
	out[n] = '\0';
	return n;
}

/* Digest of one record: what its line shows. */
static void
digest_rec(xsha *h, const core_origin_rec *r)
{
	uint8_t b[64];
	size_t n = 0, k;

	b[n++] = (uint8_t)r->exclusion;
	blf_prefix_to_wire(&r->prefix, b + n);
	n += blf_prefix_wire_len(&r->prefix);
	b[n++] = (uint8_t)r->reason;
	b[n++] = (uint8_t)(r->reason >> 8);
	for (k = 0; k < 8; k++)
		b[n++] = (uint8_t)(r->first >> (8 * k));
	b[n++] = (uint8_t)r->ref_len;
	b[n++] = (uint8_t)(r->ref_len >> 8);
	export_sha_update(h, b, n);
	export_sha_update(h, r->ref, r->ref_len);
}

static void
header(xfile *f, const char *name, const uint8_t origin[BLF_KEYID_LEN])
{
	xout *o = f->o;
	char safe[KEYS_NAME_MAX + 1];

	export_out_str(o, f->af == BLF_AF_INET ? "# blfed rbldnsd ip4trie data of origin "
				       : "# blfed rbldnsd ip6trie data of origin ");
	export_out_mem(o, safe, export_safe_ascii(name, strlen(name), "", safe, sizeof(safe)));
	export_out_str(o, " (");
	export_out_hex(o, origin, BLF_KEYID_LEN);
	export_out_str(o, "): ");
	export_stamp(f, 1, f->count);
	export_out_str(o, f->af == BLF_AF_INET
			  ? " entries\n# list it after rbldnsd-ip4.head in a dataset of its own\n"
			  : " entries\n# list it after rbldnsd-ip6.head in a dataset of its own\n");
}

#define ORG_LEAD "$ listed by "
#define ORG_LINE_MAX (X_PREFIX_MAX + 2 + 15 + 1 + sizeof(ORG_LEAD) - 1 + EXPORT_TXT_MAX + \
		      X_PROV_PART + 1 + X_PUT_SLACK)

static void
line(xfile *f, const char *name, const core_origin_rec *r)
{
	xout *o = f->o;
	size_t dollar = f->af == BLF_AF_INET ? 15 : 39; /* longest address text */
	size_t cap = EXPORT_TXT_MAX - dollar - (sizeof(ORG_LEAD) - 2) + 1;
	char *d = xo_reserve(o, ORG_LINE_MAX);
	core_prov p;
	core_entry e;

	if (r->exclusion) {
		*d = '!';
		d = export_put_prefix(d + 1, &r->prefix);
		*d++ = '\n';
		xo_commit(o, d);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.reason = r->reason;
	p.first = r->first;
	p.ref = r->ref;
	p.ref_len = r->ref_len;
	memset(&e, 0, sizeof(e));
	e.kind = CORE_ENTRY_LISTED;
	e.prefix = r->prefix;
	e.nprov = 1;
	e.prov = &p;
	d = export_put_prefix(d, &r->prefix);
	d[0] = ' ';
	d[1] = ':';
	d = export_put_a(d + 2, export_aval_for(f, r->reason));
	*d++ = ':';
	memcpy(d, ORG_LEAD, sizeof(ORG_LEAD) - 1);
	d = export_put_prov(d + sizeof(ORG_LEAD) - 1, &e, "$#", cap);
	*d++ = '\n';
	xo_commit(o, d);
}

/* See export_int.h. */
int
export_origin_pass(const export_source *src, size_t i, uint64_t now, struct xorigin *or,
	      xfile *out[2])
{
	core_origin_rec r;
	const char *name = NULL;
	int rc, fam;

	rc = src->origin_begin(src->ctx, i, now, or->origin, &name);
	if (rc != 0)
		return rc;
	if (out == NULL) {
		snprintf(or->name, sizeof(or->name), "%s", name != NULL ? name : "");
		memset(or->n, 0, sizeof(or->n));
		memset(or->nlisted, 0, sizeof(or->nlisted));
		for (fam = 0; fam < 2; fam++)
			if (export_sha_init(&or->h[fam]) != 0)
				return -1;
	} else {
		for (fam = 0; fam < 2; fam++)
			if (out[fam] != NULL)
				header(out[fam], or->name, or->origin);
	}
	while (src->origin_next(src->ctx, &r) == 1) {
		fam = r.prefix.af == BLF_AF_INET ? 0 : 1;
		if (out == NULL) {
			or->n[fam]++;
			or->nlisted[fam] += !r.exclusion;
			digest_rec(&or->h[fam], &r);
		} else if (out[fam] != NULL) {
			line(out[fam], or->name, &r);
		}
	}
	if (out == NULL)
		for (fam = 0; fam < 2; fam++) {
			uint8_t d[32];

			export_sha_final(&or->h[fam], d);
			memcpy(or->digest[fam], d, sizeof(or->digest[fam]));
		}
	return 0;
}
