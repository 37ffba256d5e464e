/*
 * blf_export.c - write the export files of a data directory once, without
 * a daemon: for the real-consumer tests and the export benchmark.
 *
 *     blf_export -d DATADIR -o OUTDIR [-t STORE] [-k SECRETKEY] [-f FORMATS]
 *                [-z ZONE] [-n NS[,NS...]] [-4 BITS] [-6 BITS] [-s SOURCE]
 *                [-S STALE-SECONDS] [-T YYYY-MM-DDTHH:MM:SSZ]
 *
 * The core is opened on the data directory (recovery may truncate a torn
 * journal tail), the merged view is exported with agent/export at the given
 * time (default now), and the core is closed.  Never point it at the data
 * directory of a running blfedd: operators ask the daemon (`blfed export`).
 * Exit 0 on success, 2 on any error (one line on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../../agent/core/core.h"
#include "../../agent/export/export.h"
#include "../../keys/keys.h"

static const struct {
	const char *name;
	unsigned flag;
} formats[] = {
	{ "rbldnsd", EXPORT_RBLDNSD }, { "postfix", EXPORT_POSTFIX }, { "plain", EXPORT_PLAIN },
	{ "ipset", EXPORT_IPSET },     { "jsonl", EXPORT_JSONL },     { "all", EXPORT_ALL },
};

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "blf_export: %s: %s\n", what, why);
	exit(2);
}

static unsigned
parse_formats(const char *s)
{
	unsigned bits = 0;
	size_t i;

	while (*s != '\0') {
		size_t n = strcspn(s, ", ");

		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
			if (strlen(formats[i].name) == n && strncmp(formats[i].name, s, n) == 0)
				break;
		if (i == sizeof(formats) / sizeof(formats[0]))
			die("-f", "unknown format (rbldnsd, postfix, plain, ipset, jsonl, all)");
		bits |= formats[i].flag;
		s += n;
		s += strspn(s, ", ");
	}
	if (bits == 0)
		die("-f", "no format given");
	return bits;
}

static unsigned
parse_bits(const char *opt, const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v > EXPORT_MAX_SHARD_BITS)
		die(opt, "a number of shard bits out of range");
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	const char *datadir = NULL, *trust = NULL, *key = NULL;
	char nsbuf[EXPORT_MAX_NS * (EXPORT_NAME_MAX + 1)], err[KEYS_ERRLEN], *p;
	export_config cfg;
	export_stats st;
	trust_store store = { 0 };
	core_config ccfg;
	key_secret *k = NULL;
	core *cr = NULL;
	uint64_t now = (uint64_t)time(NULL);
	int ch, rc;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ccfg, 0, sizeof(ccfg));
	while ((ch = getopt(argc, argv, "d:o:t:k:f:z:n:4:6:s:S:T:")) != -1) {
		switch (ch) {
		case 'd': datadir = optarg; break;
		case 'o': cfg.dir = optarg; break;
		case 't': trust = optarg; break;
		case 'k': key = optarg; break;
		case 'f': cfg.formats = parse_formats(optarg); break;
		case 'z': cfg.zone = optarg; break;
		case '4': cfg.shard4_bits = parse_bits("-4", optarg); break;
		case '6': cfg.shard6_bits = parse_bits("-6", optarg); break;
		case 's': cfg.source = optarg; break;
		case 'S': cfg.stale_after = strtoull(optarg, NULL, 10); break;
		case 'T':
			if (trust_time_parse(optarg, &now) != BLF_OK)
				die("-T", "expected YYYY-MM-DDTHH:MM:SSZ");
			break;
		case 'n':
			if (strlen(optarg) >= sizeof(nsbuf))
				die("-n", "too long");
			strcpy(nsbuf, optarg);
			for (p = strtok(nsbuf, ", "); p != NULL; p = strtok(NULL, ", ")) {
				if (cfg.nns == EXPORT_MAX_NS)
					die("-n", "too many names");
				cfg.ns[cfg.nns++] = p;
			}
			break;
		default:
			die("usage", "blf_export -d DATADIR -o OUTDIR [-t STORE] [-k KEY] ...");
		}
	}
	if (datadir == NULL || cfg.dir == NULL || optind != argc)
		die("usage", "blf_export -d DATADIR -o OUTDIR [-t STORE] [-k KEY] ...");
	if (sodium_init() < 0)
		die("libsodium", "cannot initialise");
	err[0] = '\0';
	if (export_config_check(&cfg, err, sizeof(err)) != BLF_OK)
		die("config", err);
	if (trust != NULL && trust_store_load(trust, &store, err, sizeof(err)) != BLF_OK)
		die(trust, err);
	if (key != NULL && key_secret_load(key, &k, err, sizeof(err)) != BLF_OK)
		die(key, err);
	if ((rc = core_open(datadir, &ccfg, &store, &cr)) != BLF_OK)
		die(datadir, blf_strerror(rc));
	if ((rc = export_run(cr, &cfg, k, now, &st)) != BLF_OK)
		die(cfg.dir, blf_strerror(rc));
	printf("%s: serial %llu, %zu files (%zu written, %zu unchanged, %zu removed), "
	       "%zu IPv4 and %zu IPv6 listed, %zu exclusions\n",
	       cfg.dir, (unsigned long long)st.serial, st.files, st.written, st.skipped,
	       st.removed, st.listed4, st.listed6, st.excluded);
	core_close(cr);
	key_secret_free(k);
	trust_store_free(&store);
	return 0;
}
