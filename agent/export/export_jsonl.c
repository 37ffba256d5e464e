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

static int
jsonl_entry(xfile *f, const xitem *it)
{
	const core_entry *e = it->e;
	xout *o = f->o;
	int listed = e->kind == CORE_ENTRY_LISTED;
	size_t i;

	export_out_str(o, "{\"prefix\":\"");
	export_out_prefix(o, &e->prefix);
	export_out_str(o, listed ? "\",\"verdict\":\"listed\",\"weight\":"
			 : "\",\"verdict\":\"excluded\",\"weight\":");
	export_out_u64(o, e->weight);
	if (listed) {
		export_out_str(o, ",\"expires\":");
		export_out_u64(o, e->expires);
	}
	export_out_str(o, ",\"origins\":[");
	for (i = 0; i < e->nprov; i++) {
		const core_prov *p = &e->prov[i];
		const uint8_t *signer = export_signer(f->x, p->origin);
		size_t rl;
		const char *rn = export_reason_name(p->reason, &rl);

		if (i > 0)
			export_out_chr(o, ',');
		export_out_str(o, "{\"name\":");
		export_out_json(o, p->name, strlen(p->name));
		export_out_str(o, ",\"origin\":\"");
		export_out_hex(o, p->origin, BLF_KEYID_LEN);
		if (signer != NULL) {
			export_out_str(o, "\",\"signer\":\"");
			export_out_hex(o, signer, BLF_KEYID_LEN);
			export_out_str(o, "\",\"weight\":");
		} else {
			export_out_str(o, "\",\"signer\":null,\"weight\":");
		}
		export_out_u64(o, p->weight);
		if (listed) {
			export_out_str(o, ",\"reason\":");
			export_out_u64(o, p->reason);
			if (rn != NULL) {
				export_out_str(o, ",\"reason_name\":\"");
				export_out_mem(o, rn, rl);
				export_out_chr(o, '"');
			}
		}
		export_out_str(o, ",\"since\":");
		export_out_u64(o, p->first);
		export_out_str(o, ",\"changed\":");
		export_out_u64(o, p->changed);
		if (listed) {
			export_out_str(o, ",\"expires\":");
			export_out_u64(o, p->expires);
		}
		export_out_str(o, ",\"ref\":");
		export_out_json(o, p->ref, p->ref_len);
		export_out_chr(o, '}');
	}
	export_out_str(o, "]}\n");
	xo_maybe_flush(o);
	return 0;
}

const export_writer export_writer_jsonl = {
	"jsonl", EXPORT_JSONL, XI_ENTRIES, 0, 0, NULL, jsonl_entry, NULL,
};
