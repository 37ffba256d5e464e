/*
 * export_jsonl.c - JSON Lines with full provenance (blfed-export.5).
 *
 * One object per view entry, in address order, ASCII only (xo_json):
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

static int
jsonl_entry(xfile *f, const xitem *it)
{
	const core_entry *e = it->e;
	xout *o = f->o;
	int listed = e->kind == CORE_ENTRY_LISTED;
	size_t i;

	xo_str(o, "{\"prefix\":\"");
	xo_prefix(o, &e->prefix);
	xo_str(o, listed ? "\",\"verdict\":\"listed\",\"weight\":"
			 : "\",\"verdict\":\"excluded\",\"weight\":");
	xo_u64(o, e->weight);
	if (listed) {
		xo_str(o, ",\"expires\":");
		xo_u64(o, e->expires);
	}
	xo_str(o, ",\"origins\":[");
	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];
		const uint8_t *signer = x_signer(f->x, p->origin);
		size_t rl;
		const char *rn = x_reason_name(p->reason, &rl);

		if (i > 0)
			xo_chr(o, ',');
		xo_str(o, "{\"name\":");
		xo_json(o, p->name, strlen(p->name));
		xo_str(o, ",\"origin\":\"");
		xo_hex(o, p->origin, BLF_KEYID_LEN);
		if (signer != NULL) {
			xo_str(o, "\",\"signer\":\"");
			xo_hex(o, signer, BLF_KEYID_LEN);
			xo_str(o, "\",\"weight\":");
		} else {
			xo_str(o, "\",\"signer\":null,\"weight\":");
		}
		xo_u64(o, p->weight);
		if (listed) {
			xo_str(o, ",\"reason\":");
			xo_u64(o, p->reason);
			if (rn != NULL) {
				xo_str(o, ",\"reason_name\":\"");
				xo_mem(o, rn, rl);
				xo_chr(o, '"');
			}
		}
		xo_str(o, ",\"since\":");
		xo_u64(o, p->first);
		xo_str(o, ",\"changed\":");
		xo_u64(o, p->changed);
		if (listed) {
			xo_str(o, ",\"expires\":");
			xo_u64(o, p->expires);
		}
		xo_str(o, ",\"ref\":");
		xo_json(o, p->ref, p->ref_len);
		xo_chr(o, '}');
	}
	xo_str(o, "]}\n");
	xo_maybe_flush(o);
	return 0;
}

const export_writer export_writer_jsonl = {
	"jsonl", EXPORT_JSONL, XI_ENTRIES, 0, 0, NULL, jsonl_entry, NULL,
};
