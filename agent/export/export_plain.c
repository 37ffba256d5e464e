/*
 * export_plain.c - plain normalised CIDR lists, one prefix per line
 * (blfed-export.5).
 *
 * The list is the set the view lists, with exclusions carved out, as the
 * fewest CIDR prefixes in address order: no two lines overlap or could be
 * merged (what `iprange --optimize` prints for IPv4).  Each shard starts
 * with a comment header: feed name, the serial and time of the export that
 * last changed it, its entry count and its address range.  `cat
 * plain-ip4.s*` is the whole IPv4 list.
 */
#include <string.h>

#include "export_int.h"

static int
plain_begin(xfile *f)
{
	xout *o = f->o;
	blf_prefix r;

	memset(&r, 0, sizeof(r));
	r.af = (uint8_t)f->af;
	r.len = (uint8_t)f->bits;
	r.addr[0] = (uint8_t)(f->bits == 0 ? 0 : f->shard << (8 - f->bits));
	export_out_str(o, f->af == BLF_AF_INET ? "# blfed plain IPv4 list: "
					  : "# blfed plain IPv6 list: ");
	export_out_str(o, f->cfg->source);
	export_out_str(o, "\n# ");
	export_stamp(f, 0, f->count);
	export_out_str(o, " entries in shard ");
	export_out_u64(o, f->shard);
	export_out_str(o, " of ");
	export_out_u64(o, 1u << f->bits);
	export_out_str(o, " (");
	export_out_prefix(o, &r);
	export_out_str(o, ")\n");
	return 0;
}

static int
plain_entry(xfile *f, const xitem *it)
{
	xout *o = f->o;
	char *d = export_put_prefix(xo_reserve(o, X_PREFIX_MAX + 1 + X_PUT_SLACK), &it->net);

	*d++ = '\n';
	xo_commit(o, d);
	return 0;
}

const export_writer export_writer_plain = {
	"plain", EXPORT_PLAIN, XI_NETS, 0, 0, plain_begin, plain_entry, NULL,
};
