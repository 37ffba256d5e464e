/*
 * export_jsonl.c - JSON Lines with full provenance (blfed-export.5).
 *
 * One object per view entry, in address order, ASCII only (export_out_json):
 *
 *     {"prefix":"198.51.100.7/32","verdict":"listed","weight":100,
 *      "expires":1767830400,"origins":[{"name":"alpha","origin":"9ddb...",
 *      "signer":"9ddb...","weight":100,"reason":1,"reason_name":"spam-source",
 *      "since":1767225600,"changed":1767225600,"expires":1767830400,
 *      "ref":"ticket 4711"}]}
 *
 * Times are unix seconds; "signer" is the key id that signs for the origin
 * now (null when the trust store no longer has it).  Exclusions have
 * "verdict":"excluded", no expiry and the excluding origins.  There is no
 * header line: every line is an entry; serial and time are in MANIFEST.
 */
#include <string.h>

#include "export_int.h"

/* What follows an origin's fragment in its object: weight, reason and its
 * name, the three times, the reference (escaped: 6 bytes per byte at most)
 * and the closing bytes. */
#define JSONL_PROV_MAX (10 + 10 + 5 + 16 + X_REASON_TXT + 3 * (11 + 20) + 7 + \
			6 * BLF_MAX_REF_LEN + 2 + 4 + X_PUT_SLACK)
#define JSONL_HEAD_MAX (11 + X_PREFIX_MAX + 40 + 10 + 11 + 20 + 12 + X_PUT_SLACK)

static char *
put_lit(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}
#define PUT(d, lit) put_lit((d), (lit), sizeof(lit) - 1)

static int
jsonl_entry(xfile *f, const xitem *it)
{
	const core_entry *e = it->e;
	xout *o = f->o;
	int listed = e->kind == CORE_ENTRY_LISTED;
	size_t i;
	char *d;

	d = PUT(xo_reserve(o, JSONL_HEAD_MAX), "{\"prefix\":\"");
	d = export_put_prefix(d, &e->prefix);
	d = listed ? PUT(d, "\",\"verdict\":\"listed\",\"weight\":")
		   : PUT(d, "\",\"verdict\":\"excluded\",\"weight\":");
	d = export_put_u64(d, e->weight);
	if (listed) {
		d = PUT(d, ",\"expires\":");
		d = export_put_u64(d, e->expires);
	}
	d = PUT(d, ",\"origins\":[");
	xo_commit(o, d);
	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];
		size_t rl;
		const char *rn = export_reason_name(p->reason, &rl);

		if (i > 0)
			export_out_chr(o, ',');
		export_out_jorigin(o, p, export_signer(f->x, p->origin));
		d = export_put_u64(xo_reserve(o, JSONL_PROV_MAX), p->weight);
		if (listed) {
			d = PUT(d, ",\"reason\":");
			d = export_put_u64(d, p->reason);
			if (rn != NULL && rl <= X_REASON_TXT) {
				d = PUT(d, ",\"reason_name\":\"");
				d = put_lit(d, rn, rl);
				*d++ = '"';
			} else if (rn != NULL) {
				xo_commit(o, d);
				export_out_str(o, ",\"reason_name\":\"");
				export_out_mem(o, rn, rl);
				export_out_chr(o, '"');
				d = xo_reserve(o, JSONL_PROV_MAX);
			}
		}
		d = PUT(d, ",\"since\":");
		d = export_put_u64(d, p->first);
		d = PUT(d, ",\"changed\":");
		d = export_put_u64(d, p->changed);
		if (listed) {
			d = PUT(d, ",\"expires\":");
			d = export_put_u64(d, p->expires);
		}
		d = PUT(d, ",\"ref\":");
		if (p->ref_len <= BLF_MAX_REF_LEN) {
			d = export_put_json(d, p->ref, p->ref_len);
			*d++ = '}';
			xo_commit(o, d);
		} else {
			xo_commit(o, d);
			export_out_json(o, p->ref, p->ref_len);
			export_out_chr(o, '}');
		}
	}
	d = xo_reserve(o, 3);
	memcpy(d, "]}\n", 3);
	xo_commit(o, d + 3);
	return 0;
}

const export_writer export_writer_jsonl = {
	"jsonl", EXPORT_JSONL, XI_ENTRIES, 0, 0, NULL, jsonl_entry, NULL,
};
