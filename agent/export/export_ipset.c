/*
 * export_ipset.c - ipset restore files (ipset(8), blfed-export.5).
 *
 * The head file creates the set (hash:net with comments, maxelem sized for
 * the feed); the shards add the feed's normalised prefixes, exclusions
 * carved out, so no two elements overlap (hash:net "nomatch" elements are
 * not used: the set difference is computed here).  Each element's comment
 * names the listing that covers it ("alpha spam-source"), printable ASCII
 * without quotes or backslashes.  Load with
 *
 *     cat ipset-ip4.head ipset-ip4.s* | ipset restore
 *
 * hash:net takes prefix lengths from 1, so a /0 becomes two /1 elements.
 */
#include <string.h>

#include "export_int.h"

#define IPSET_MIN_MAXELEM 65536u /* ipset's own default */

static void
set_name(xfile *f)
{
	export_out_str(f->o, f->cfg->ipset_name);
	export_out_chr(f->o, f->af == BLF_AF_INET ? '4' : '6');
}

/* "add NAME4 " of every line of the file, once (begin), when it fits. */
static void
make_lead(xfile *f)
{
	size_t n = strlen(f->cfg->ipset_name);

	f->leadlen = 0;
	if (4 + n + 2 > sizeof(f->lead))
		return; /* longer than a checked configuration allows: per line */
	memcpy(f->lead, "add ", 4);
	memcpy(f->lead + 4, f->cfg->ipset_name, n);
	f->lead[4 + n] = f->af == BLF_AF_INET ? '4' : '6';
	f->lead[5 + n] = ' ';
	f->leadlen = n + 6;
}

static int
ipset_begin(xfile *f)
{
	xout *o = f->o;
	uint64_t maxelem = (uint64_t)f->total + f->total / 4;

	if (maxelem < IPSET_MIN_MAXELEM)
		maxelem = IPSET_MIN_MAXELEM;
	if (f->kind == XF_HEAD) {
		export_out_str(o, "# blfed ipset restore file: ");
		export_stamp(f, 1, f->total);
		export_out_str(o, " entries in ");
		export_out_u64(o, 1u << f->bits);
		export_out_str(o, " shards\ncreate ");
		set_name(f);
		export_out_str(o, f->af == BLF_AF_INET ? " hash:net family inet hashsize 1024 maxelem "
					       : " hash:net family inet6 hashsize 1024 maxelem ");
		export_out_u64(o, maxelem);
		export_out_str(o, " comment\n");
		return 0;
	}
	make_lead(f);
	export_out_str(o, "# blfed ipset shard ");
	export_out_u64(o, f->shard);
	export_out_str(o, " of ");
	export_out_u64(o, 1u << f->bits);
	export_out_str(o, ": ");
	export_stamp(f, 0, f->count);
	export_out_str(o, " entries\n");
	return 0;
}

#define IPSET_TAIL_MAX (X_PREFIX_MAX + 10 + X_TAG_MAX + 2 + X_PUT_SLACK)

static void
add(xfile *f, const blf_prefix *p, const xitem *it)
{
	xout *o = f->o;
	char *d;

	if (f->leadlen == 0 || it->taglen > X_TAG_MAX) {
		/* no lead made, or a comment longer than a tag: the checked way */
		export_out_str(o, "add ");
		set_name(f);
		export_out_chr(o, ' ');
		export_out_prefix(o, p);
		export_out_str(o, " comment \"");
		export_out_mem(o, it->tag, it->taglen);
		export_out_str(o, "\"\n");
		return;
	}
	/* the lead and the tag copied at their buffers' fixed sizes (a few
	 * moves), what follows each written over the rest */
	d = xo_reserve(o, X_LEAD_MAX + IPSET_TAIL_MAX);
	memcpy(d, f->lead, X_LEAD_MAX);
	d = export_put_prefix(d + f->leadlen, p);
	memcpy(d, " comment \"", 10);
	memcpy(d + 10, it->tag, X_TAG_MAX); /* xitem: X_TAG_MAX readable */
	d += 10 + it->taglen;
	d[0] = '"';
	d[1] = '\n';
	xo_commit(o, d + 2);
}

static int
ipset_entry(xfile *f, const xitem *it)
{
	if (it->net.len == 0) {
		blf_prefix half = it->net;

		half.len = 1;
		add(f, &half, it);
		half.addr[0] = 0x80;
		add(f, &half, it);
	} else {
		add(f, &it->net, it);
	}
	return 0;
}

const export_writer export_writer_ipset = {
	"ipset", EXPORT_IPSET, XI_TAGGED_NETS, 0, 1, ipset_begin, ipset_entry, NULL,
};
