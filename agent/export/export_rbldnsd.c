/*
 * export_rbldnsd.c - rbldnsd ip4trie / ip6trie zone data (rbldnsd(8),
 * blfed-export.5).
 *
 * A dataset is the head file followed by the shards, which rbldnsd reads
 * as one file: `zone:ip4trie:rbldnsd-ip4.head,rbldnsd-ip4.s00,...`.  The
 * head carries what changes with every export and must come first ($SOA
 * and $NS are taken from the first file that has them): $SOA with the
 * serial, $NS, $TTL, $TIMESTAMP with an expiry so that a feed that stops
 * being refreshed stops answering, the default A/TXT line, and the RFC 5782
 * test points (127.0.0.2 listed, 127.0.0.1 not; ::ffff:7f00:2 and
 * ::ffff:7f00:1 for IPv6).  Shards hold only entries:
 *
 *     198.51.100.7/32 :127.0.0.2:$ listed by alpha: spam-source since ...
 *     !192.0.2.129/32
 *
 * A values come from the strongest contribution's reason (export_aval_of); the TXT
 * template is printable ASCII without "$" or "#" from the data (the only
 * "$" is ours, the queried address), at most EXPORT_TXT_MAX bytes once "$"
 * is expanded to the longest address of the family.
 */
#include <string.h>

#include "export_int.h"

#define TXT_LEAD "$ listed by "
#define TXT_DROP "$#"   /* substitution and comment characters of rbldnsd */

/* "$TIMESTAMP" time form: yyyy:mm:dd:hh:mi:ss. */
static void
put_stamp(xout *o, uint64_t t)
{
	char b[X_TIME_LEN + 1];

	export_time_str(t, b);
	b[4] = b[7] = b[10] = b[13] = b[16] = ':';
	export_out_mem(o, b, 19);
}

static void
head(xfile *f)
{
	const export_config *cfg = f->cfg;
	xout *o = f->o;
	int v4 = f->af == BLF_AF_INET;
	size_t i;

	export_out_str(o, v4 ? "# blfed rbldnsd ip4trie data: " : "# blfed rbldnsd ip6trie data: ");
	export_stamp(f, 1, f->total);
	export_out_str(o, " entries in ");
	export_out_u64(o, 1u << f->bits);
	export_out_str(o, " shards\n# list this file first in the dataset, then every shard in order\n");
	export_out_str(o, "$SOA 0 ");
	export_out_str(o, cfg->ns[0]);
	export_out_chr(o, ' ');
	export_out_str(o, cfg->hostmaster);
	export_out_chr(o, ' ');
	export_out_u64(o, f->serial);
	export_out_chr(o, ' ');
	export_out_u64(o, cfg->soa_refresh);
	export_out_chr(o, ' ');
	export_out_u64(o, cfg->soa_retry);
	export_out_chr(o, ' ');
	export_out_u64(o, cfg->soa_expire);
	export_out_chr(o, ' ');
	export_out_u64(o, cfg->soa_minttl);
	export_out_str(o, "\n$NS 0");
	for (i = 0; i < cfg->nns; i++) {
		export_out_chr(o, ' ');
		export_out_str(o, cfg->ns[i]);
	}
	export_out_str(o, "\n$TTL ");
	export_out_u64(o, cfg->ttl);
	export_out_str(o, "\n$TIMESTAMP ");
	put_stamp(o, f->now);
	if (!cfg->no_stale) {
		export_out_chr(o, ' ');
		put_stamp(o, f->now + cfg->stale_after);
	}
	export_out_str(o, "\n:");
	export_out_a(o, cfg->a_default);
	export_out_str(o, ":$ listed in ");
	export_out_str(o, cfg->zone);
	export_out_str(o, "\n# RFC 5782 test points\n");
	if (v4) {
		export_out_str(o, "127.0.0.2 :127.0.0.2:$ test point\n!127.0.0.1\n");
	} else {
		export_out_str(o, "::ffff:7f00:2 :127.0.0.2:$ test point\n!::ffff:7f00:1\n");
	}
}

static int
rbl_begin(xfile *f)
{
	xout *o = f->o;

	if (f->kind == XF_HEAD) {
		head(f);
		return 0;
	}
	export_out_str(o, "# blfed rbldnsd ");
	export_out_str(o, f->af == BLF_AF_INET ? "ip4trie" : "ip6trie");
	export_out_str(o, " shard ");
	export_out_u64(o, f->shard);
	export_out_str(o, " of ");
	export_out_u64(o, 1u << f->bits);
	export_out_str(o, ": ");
	export_stamp(f, 1, f->count);
	export_out_str(o, " entries\n");
	return 0;
}

/* The longest line: "!" or the prefix, " :", the A value, ":", the TXT
 * lead and text, "\n". */
#define RBL_LINE_MAX (X_PREFIX_MAX + 2 + 15 + 1 + sizeof(TXT_LEAD) - 1 + EXPORT_TXT_MAX + \
		      X_PROV_PART + 1 + X_PUT_SLACK)

static int
rbl_entry(xfile *f, const xitem *it)
{
	const core_entry *e = it->e;
	xout *o = f->o;
	size_t dollar = f->af == BLF_AF_INET ? 15 : 39; /* longest address text */
	size_t cap = EXPORT_TXT_MAX - dollar - (sizeof(TXT_LEAD) - 2) + 1;
	char *d = xo_reserve(o, RBL_LINE_MAX);

	if (e->kind == CORE_ENTRY_EXCLUDED) {
		*d = '!';
		d = export_put_prefix(d + 1, &e->prefix);
		*d++ = '\n';
		xo_commit(o, d);
		return 0;
	}
	d = export_put_prefix(d, &e->prefix);
	d[0] = ' ';
	d[1] = ':';
	d = export_put_a(d + 2, export_aval_for(f, export_main_reason(e)));
	*d++ = ':';
	memcpy(d, TXT_LEAD, sizeof(TXT_LEAD) - 1);
	d = export_put_prov(d + sizeof(TXT_LEAD) - 1, e, TXT_DROP, cap);
	*d++ = '\n';
	xo_commit(o, d);
	return 0;
}

const export_writer export_writer_rbldnsd = {
	"rbldnsd", EXPORT_RBLDNSD, XI_ENTRIES, 0, 1, rbl_begin, rbl_entry, NULL,
};
