/*
 * cmd_export.c - `blfed export`: write the export files of a data
 * directory now, without a running daemon (blfed-export.5).
 *
 *     blfed export --datadir DIR --out DIR [--trust STORE] [--key SECRETKEY]
 *                  [--formats LIST] [--zone NAME] [--ns NAME[,NAME...]]
 *                  [--shard4 BITS] [--shard6 BITS] [--source NAME]
 *                  [--stale DURATION] [--time RFC3339]
 *
 * The core is opened on the data directory (recovery may truncate a torn
 * journal tail, as the daemon would), the merged view is exported at the
 * given time (default now) with agent/export, and the core is closed.  The
 * MANIFEST is signed with the secret key (-k / --key).  Do not point it at
 * the data directory of a running daemon: ask the daemon to export instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "../export/export.h"
#include "cli.h"

#define EXPORT_USAGE                                                                     \
	"--datadir DIR --out DIR [--trust STORE] [--key FILE] [--formats LIST] "         \
	"[--zone NAME] [--ns LIST] [--shard4 BITS] [--shard6 BITS] [--source NAME] "     \
	"[--stale DURATION] [--time TIME]"

static const struct {
	const char *name;
	unsigned flag;
} formats[] = {
	{ "rbldnsd", EXPORT_RBLDNSD }, { "postfix", EXPORT_POSTFIX }, { "plain", EXPORT_PLAIN },
	{ "ipset", EXPORT_IPSET },     { "jsonl", EXPORT_JSONL },     { "all", EXPORT_ALL },
};

/* "rbldnsd,plain" -> bits; 0 and a message on an unknown name. */
static unsigned
parse_formats(struct cli *c, const char *s)
{
	unsigned bits = 0;
	size_t i;

	while (*s != '\0') {
		size_t n = strcspn(s, ", ");

		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			if (strlen(formats[i].name) == n && strncmp(formats[i].name, s, n) == 0)
				break;
		if (i == sizeof(formats) / sizeof(formats[0])) {
			cli_err(c, "unknown format %.*s (rbldnsd, postfix, plain, ipset, jsonl, all)",
				(int)(n > 40 ? 40 : n), s);
			return 0;
		}
		bits |= formats[i].flag;
		s += n;
		s += strspn(s, ", ");
	}
	if (bits == 0)
		cli_err(c, "--formats: no format given");
	return bits;
}

static int
parse_bits(struct cli *c, const char *opt, const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v > EXPORT_MAX_SHARD_BITS) {
		cli_err(c, "%s: a number of bits from 0 to %u", opt, EXPORT_MAX_SHARD_BITS);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/*
 * Open, export, close.  0 on success, 2 on any error.
 */
int
cmd_export(struct cli *c, int argc, char **argv)
{
	const char *datadir = NULL, *out = NULL, *trust = NULL, *key = NULL, *fmts = NULL;
	const char *zone = NULL, *ns = NULL, *s4 = NULL, *s6 = NULL, *source = NULL;
	const char *stale = NULL, *when = NULL;
	struct cli_opt opts[] = {
		{ "--datadir", "-d", &datadir, NULL }, { "--out", "-o", &out, NULL },
		{ "--trust", NULL, &trust, NULL },     { "--key", NULL, &key, NULL },
		{ "--formats", "-f", &fmts, NULL },   { "--zone", NULL, &zone, NULL },
		{ "--ns", NULL, &ns, NULL },           { "--shard4", NULL, &s4, NULL },
		{ "--shard6", NULL, &s6, NULL },       { "--source", NULL, &source, NULL },
		{ "--stale", NULL, &stale, NULL },     { "--time", NULL, &when, NULL },
		{ NULL, NULL, NULL, NULL },
	};
	char *pos[CLI_MAX_POS], nsbuf[EXPORT_MAX_NS * (EXPORT_NAME_MAX + 1)];
	char err[KEYS_ERRLEN];
	export_config cfg;
	export_stats st;
	trust_store store;
	core_config ccfg;
	key_secret *k = NULL;
	core *cr = NULL;
	uint64_t now;
	int npos, rc, ret = CLI_ERR, have_store = 0;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ccfg, 0, sizeof(ccfg));
	memset(&store, 0, sizeof(store));
	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 0, 0, EXPORT_USAGE) != 0)
		goto out;
	if (datadir == NULL || out == NULL) {
		cli_err(c, "--datadir and --out are required; usage: blfed export %s",
			EXPORT_USAGE);
		goto out;
	}
	cfg.dir = out;
	cfg.zone = zone;
	cfg.source = source;
	if (fmts != NULL && (cfg.formats = parse_formats(c, fmts)) == 0)
		goto out;
	if ((s4 != NULL && parse_bits(c, "--shard4", s4, &cfg.shard4_bits) != 0) ||
	    (s6 != NULL && parse_bits(c, "--shard6", s6, &cfg.shard6_bits) != 0))
		goto out;
	if (ns != NULL) {
		char *p;

		if (strlen(ns) >= sizeof(nsbuf)) {
			cli_err(c, "--ns: too long");
			goto out;
		}
		strcpy(nsbuf, ns);
		for (p = strtok(nsbuf, ", "); p != NULL; p = strtok(NULL, ", ")) {
			if (cfg.nns == EXPORT_MAX_NS) {
				cli_err(c, "--ns: at most %u names", EXPORT_MAX_NS);
				goto out;
			}
			cfg.ns[cfg.nns++] = p;
		}
	}
	if (stale != NULL && cli_duration(stale, &cfg.stale_after) != 0) {
		cli_err(c, "--stale: a duration such as 3d or 12h");
		goto out;
	}
	now = cli_now();
	if (when != NULL && trust_time_parse(when, &now) != BLF_OK) {
		cli_err(c, "--time: expected YYYY-MM-DDTHH:MM:SSZ");
		goto out;
	}
	err[0] = '\0';
	if (export_config_check(&cfg, err, sizeof(err)) != BLF_OK) {
		cli_err(c, "%s", err);
		goto out;
	}
	if (trust != NULL)
		c->trustfile = trust;
	if (cli_store_load(c, &store) != 0)
		goto out;
	have_store = 1;
	if (cli_key_load(c, key, &k) != 0)
		goto out;
	if ((rc = core_open(datadir, &ccfg, &store, now, &cr)) != BLF_OK) {
		cli_err(c, "%s: %s", datadir, blf_strerror(rc));
		goto out;
	}
	if ((rc = export_run(cr, &cfg, k, now, &st)) != BLF_OK) {
		cli_err(c, "%s: %s", out, blf_strerror(rc));
		goto out;
	}
	if (c->json) {
		printf("{\"dir\":");
		cli_json_str(stdout, out);
		printf(",\"serial\":%llu,\"files\":%zu,\"written\":%zu,\"unchanged\":%zu,"
		       "\"removed\":%zu,\"listed4\":%zu,\"listed6\":%zu,\"excluded\":%zu,"
		       "\"bytes\":%llu}\n",
		       (unsigned long long)st.serial, st.files, st.written, st.skipped, st.removed,
		       st.listed4, st.listed6, st.excluded, (unsigned long long)st.bytes);
	} else {
		printf("%s: serial %llu, %zu files (%zu written, %zu unchanged, %zu removed), "
		       "%zu IPv4 and %zu IPv6 listed, %zu exclusions\n",
		       out, (unsigned long long)st.serial, st.files, st.written, st.skipped,
		       st.removed, st.listed4, st.listed6, st.excluded);
	}
	ret = CLI_OK;
out:
	core_close(cr);
	key_secret_free(k);
	if (have_store)
		trust_store_free(&store);
	return ret;
}
