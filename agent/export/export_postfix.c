/*
 * export_postfix.c - a Postfix cidr: table (cidr_table(5), blfed-export.5)
 * for check_client_access / postscreen_access_list.
 *
 * Postfix scans a cidr table in order and the first match wins, so the
 * whole feed is one file with the exceptions first:
 *
 *     192.0.2.129/32 DUNNO
 *     198.51.100.7/32 REJECT listed by alpha: spam-source since 2026-01-01
 *
 * That is exactly the view's longest-match answer: the merged view exports
 * an exclusion only strictly inside a remaining listing and never a listing
 * inside an exported exclusion (SPEC 8.4).  DUNNO ends the table lookup
 * and lets the next restriction decide.  The reply text is printable ASCII
 * (a line cannot be continued or ended by the data).  Postfix reads the
 * table linearly: big feeds belong in the DNSBL; this file is for small
 * lists and for sites without one.
 */
#include <string.h>

#include "export_int.h"

#define PF_TEXT_MAX 400 /* reply text bytes kept after "REJECT " */

static int
pf_begin(xfile *f)
{
	xout *o = f->o;

	export_out_str(o, "# blfed Postfix cidr table: ");
	export_stamp(f, 1, f->count);
	export_out_str(o, " entries, exceptions first (first match wins)\n");
	return 0;
}

#define PF_REJECT " REJECT listed by "
#define PF_LINE_MAX (X_PREFIX_MAX + sizeof(PF_REJECT) - 1 + PF_TEXT_MAX + X_PROV_PART + 1 + \
		     X_PUT_SLACK)

static int
pf_entry(xfile *f, const xitem *it)
{
	const core_entry *e = it->e;
	xout *o = f->o;
	char *d;

	/* phase 0 writes the exceptions, phase 1 the listings */
	if ((e->kind == CORE_ENTRY_EXCLUDED) != (f->phase == 0))
		return 0;
	d = export_put_prefix(xo_reserve(o, PF_LINE_MAX), &e->prefix);
	if (e->kind == CORE_ENTRY_EXCLUDED) {
		memcpy(d, " DUNNO\n", 7);
		xo_commit(o, d + 7);
		return 0;
	}
	memcpy(d, PF_REJECT, sizeof(PF_REJECT) - 1);
	d = export_put_prov(d + sizeof(PF_REJECT) - 1, e, NULL, PF_TEXT_MAX);
	*d++ = '\n';
	xo_commit(o, d);
	return 0;
}

const export_writer export_writer_postfix = {
	"postfix.cidr", EXPORT_POSTFIX, XI_ENTRIES, 1, 0, pf_begin, pf_entry, NULL,
};
