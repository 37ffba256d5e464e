/*
 * bench_export.c - the exporter against issue 10's figures, beside the
 * consumers' own costs measured in the same run.
 *
 *   cpu      CPU seconds (user + system) of one export of BENCH_EXPORT_N
 *            merged entries (default 10,000,000) per format into a fresh
 *            directory with 256 IPv4 and 256 IPv6 shards, and of a
 *            re-export that finds nothing changed (pass 1 only);
 *   memory   peak resident growth of the process over all of it (the view
 *            comes from a generator, so all of it is the exporter's);
 *   iprange  `iprange --optimize` on the same IPv4 set (the plain list),
 *            rbldnsd loading the produced ip4trie/ip6trie zones (its own
 *            "zones reloaded" time);
 *   rsync    bytes `rsync --no-whole-file --stats` sends to bring a copy of
 *            the previous export up to date after a 1 % change, sharded and
 *            as one unsharded file, for the change spread uniformly (every
 *            entry changes with probability 1/100) and in runs (1 % of the
 *            runs of 100 consecutive entries, the runs spread over the
 *            whole address space).
 *
 * Two rsync tables run alone, after a 1 % change spread uniformly over the
 * rbldnsd, plain, ipset and JSON Lines files (256+256 shards):
 * BENCH_RSYNC_BLOCKS=1 the bytes per format for block sizes from the
 * default to 256 (local, --only-write-batch); BENCH_RSYNC_Z=1 (or a
 * '|'-separated list of client option sets) a pull over rsync:// from a
 * daemon with contrib/rsyncd.conf on 127.0.0.1, per format and for the
 * whole feed, both directions counted (BENCH_RSYNC_FORMATS=plain,all
 * narrows the rows, BENCH_CONTRIB names the contrib directory,
 * BENCH_RSYNC_KEEP=1 keeps the two exports, BENCH_RSYNC_REUSE=1 uses
 * kept ones instead of exporting again).
 *
 * The view: 90 % IPv4 (19 in 20 /32, the rest /24 with a /32 exclusion
 * inside every tenth), 10 % IPv6 /64, one or two origins per entry, reasons
 * 1-14, a reference on half of them.  A changed entry moves its address by
 * one (all formats change).  Medians of BENCH_RUNS runs (default 3) for the
 * CPU figures; BENCH_DIR (default /var/tmp) holds the directories;
 * BENCH_EXPORT_ONLY=rbldnsd (a format's name, or "per-origin": the rbldnsd
 * zones with the per-origin zones, whose records are each origin's entries
 * of the view) runs that row alone.
 *
 * The core row (BENCH_EXPORT_ONLY=core, or after the main table): the
 * same view, BENCH_EXPORT_CORE_N entries of it (default 1,000,000; 0: no
 * row), applied as signed deltas of its four origins to a real core
 * (core_open on a temporary state directory under BENCH_DIR, no fsync),
 * then each format exported from the core (export_job_start_core), with
 * the core's own walk of the view (with and without provenance) as the
 * reference: what the daemon's source costs against the generator's.
 *
 * BENCH_EXPORT_ONLY=format measures the writers' formatting alone: every
 * entry of the view (the listed ones as normalised nets for plain and
 * ipset) through each writer's entry function into an output that counts
 * and drops the bytes (no SHA-256, no write, no driver), and the records
 * of the four origins through the per-origin zone lines; nanoseconds per
 * line beyond the generator's own cost, measured in the same run.  JSON
 * Lines is not in it (its writer asks the job for signers).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../agent/export/export.h"
#include "../../agent/export/export_int.h"
#include "../../keys/keys.h"
#include "bench_util.h"

#define T0 1767225600ULL

static size_t nentries = 10000000;
static int runs = 3;
static char basedir[400] = "/var/tmp";

static const char *const names[4] = { "alpha", "beta", "gamma", "delta" };
static uint8_t origins[4][BLF_KEYID_LEN];

struct gen {
	size_t i, n4, n;
	uint64_t rng;
	uint32_t a4;         /* next IPv4 address */
	uint64_t a6;         /* next IPv6 /64 (upper 64 bits) */
	int mode;            /* 0 none, 1 uniform, 2 runs */
	int pending_excl;    /* an exclusion follows the /24 just given */
	blf_prefix excl;
	core_prov prov[2];
	char ref[2][32];
	int ranged;          /* g_begin_at: stop past `within` */
	blf_prefix within, after;
	int has_after;       /* skip up to `after` */
	blf_prefix lastp;    /* the last entry g_next_at gave */
	int has_last;
	int bare;            /* entries without provenance (g_provenance) */
};

/* Where the generator stands before the first entry of each (family,
 * leading byte): begin_at resumes there (the sequence does not depend on
 * the change mode). */
struct gpos {
	size_t i;
	uint64_t rng;
	uint32_t a4;
	uint64_t a6;
	int pending_excl;
	blf_prefix excl;
	int set;
};
static struct gpos cps[2][257];
static size_t cps_n;

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static int
changed(const struct gen *g, size_t i)
{
	if (g->mode == 1)
		return mix(i * 7919 + 1) % 100 == 0;
	if (g->mode == 2)
		return mix(i / 100 + 17) % 100 == 0;
	return 0;
}

static int
g_begin(void *ctx, uint64_t now)
{
	struct gen *g = ctx;

	(void)now;
	g->i = 0;
	g->rng = 42;
	g->a4 = 0x01000000u;
	g->a6 = 0x2001000000000000ULL;
	g->pending_excl = 0;
	g->ranged = 0;
	g->has_last = 0;
	return 0;
}

static void
fill_prov(struct gen *g, core_entry *e, uint64_t r)
{
	size_t k, np = 1 + (r >> 20) % 2;

	for (k = 0; k < np; k++) {
		core_prov *p = &g->prov[k];
		size_t o = (r >> (8 + k)) % 4;

		if (k == 1 && o == ((r >> 8) % 4))
			o = (o + 1) % 4;
		memset(p, 0, sizeof(*p));
		p->name = names[o];
		p->origin = origins[o];
		p->weight = 100;
		p->reason = (uint16_t)(1 + (r >> (12 + k)) % 14);
		p->first = T0 + (r >> 24) % 86400;
		p->changed = p->first + 60;
		p->expires = T0 + 7 * 86400 + (r >> 30) % 86400;
		if ((r >> 40) & 1) {
			unsigned v = (unsigned)((r >> 41) % 1000000), d;
			char *q = g->ref[k];

			memcpy(q, "ticket 000000", 13);
			for (d = 0; d < 6; d++, v /= 10)
				q[12 - d] = (char)('0' + v % 10);
			p->ref = q;
			p->ref_len = 13;
		}
	}
	e->kind = CORE_ENTRY_LISTED;
	e->nprov = np;
	e->prov = g->prov;
	e->weight = (uint32_t)(100 * np);
	e->expires = g->prov[0].expires;
}

/* A listing's provenance, or only its kind when the exporter asked for
 * none (as the core's iterator does: core_iter_bare). */
static void
g_fill(struct gen *g, core_entry *e, uint64_t r)
{
	if (g->bare)
		e->kind = CORE_ENTRY_LISTED;
	else
		fill_prov(g, e, r);
}

static int
g_next(void *ctx, core_entry *e)
{
	struct gen *g = ctx;
	uint64_t r;
	uint32_t gap;

	memset(e, 0, sizeof(*e));
	if (g->pending_excl) {
		g->pending_excl = 0;
		e->kind = CORE_ENTRY_EXCLUDED;
		e->prefix = g->excl;
		if (g->bare)
			return 1;
		g->prov[0].name = names[0];
		g->prov[0].origin = origins[0];
		g->prov[0].ref = NULL;
		g->prov[0].ref_len = 0;
		e->nprov = 1;
		e->prov = g->prov;
		return 1;
	}
	if (g->i >= g->n)
		return 0;
	r = g->rng = mix(g->rng);
	if (g->i < g->n4) {
		int is24 = r % 20 == 0;

		if (is24)
			g->a4 = (g->a4 + 255) & ~255u;
		e->prefix.af = BLF_AF_INET;
		e->prefix.len = is24 ? 24 : 32;
		{
			uint32_t a = g->a4 + (!is24 && changed(g, g->i) ? 1 : 0);

			e->prefix.addr[0] = (uint8_t)(a >> 24);
			e->prefix.addr[1] = (uint8_t)(a >> 16);
			e->prefix.addr[2] = (uint8_t)(a >> 8);
			e->prefix.addr[3] = (uint8_t)a;
		}
		g_fill(g, e, r);
		if (is24 && (r >> 50) % 10 == 0) {
			g->pending_excl = 1;
			g->excl = e->prefix;
			g->excl.len = 32;
			g->excl.addr[3] = (uint8_t)(1 + (r >> 52) % 254);
		}
		/* gap keeps room for the +1 of a change; spreads 9 M over 1/8..7/8 */
		gap = is24 ? 256 : 2 + (uint32_t)((r >> 32) % (2u * (0xd0000000u / g->n4) - 2));
		g->a4 += gap;
	} else {
		uint64_t hi = g->a6 + (changed(g, g->i) ? 1 : 0);
		int k;

		e->prefix.af = BLF_AF_INET6;
		e->prefix.len = 64;
		for (k = 0; k < 8; k++)
			e->prefix.addr[k] = (uint8_t)(hi >> (56 - 8 * k));
		g_fill(g, e, r);
		g->a6 += 2 + (r >> 33) % 1000000;
	}
	g->i++;
	return 1;
}

static void
g_save(const struct gen *g, struct gpos *p)
{
	p->i = g->i;
	p->rng = g->rng;
	p->a4 = g->a4;
	p->a6 = g->a6;
	p->pending_excl = g->pending_excl;
	p->excl = g->excl;
	p->set = 1;
}

/* One pass of the generator recording the checkpoints (once per size;
 * export_once makes them before it measures). */
static void
g_checkpoints(struct gen *g)
{
	struct gen t = *g;
	core_entry e;
	struct gpos before;
	int f, b;

	if (cps_n == g->n)
		return;
	memset(cps, 0, sizeof(cps));
	t.mode = 0;
	t.ranged = 0;
	g_begin(&t, 0);
	for (;;) {
		g_save(&t, &before);
		if (g_next(&t, &e) != 1)
			break;
		f = e.prefix.af == BLF_AF_INET ? 0 : 1;
		if (!cps[f][e.prefix.addr[0]].set)
			cps[f][e.prefix.addr[0]] = before;
	}
	g_save(&t, &before); /* the end */
	for (f = 1; f >= 0; f--)
		for (b = 256; b >= 0; b--) {
			if (!cps[f][b].set)
				cps[f][b] = before;
			else
				before = cps[f][b];
		}
	cps_n = g->n;
}

static int
g_begin_at(void *ctx, uint64_t now, const blf_prefix *within, const blf_prefix *after)
{
	struct gen *g = ctx;
	const struct gpos *p;

	if (after != NULL && g->ranged && g->has_last &&
	    blf_prefix_cmp(after, &g->lastp) == 0 && blf_prefix_cmp(within, &g->within) == 0)
		return 0; /* the next piece of the same walk: go on from here */
	g_begin(ctx, now);
	g_checkpoints(g);
	p = &cps[within->af == BLF_AF_INET ? 0 : 1][within->len == 0 ? 0 : within->addr[0]];
	g->i = p->i;
	g->rng = p->rng;
	g->a4 = p->a4;
	g->a6 = p->a6;
	g->pending_excl = p->pending_excl;
	g->excl = p->excl;
	g->ranged = 1;
	g->within = *within;
	g->has_after = after != NULL;
	if (after != NULL)
		g->after = *after;
	return 0;
}

static int
g_next_at(void *ctx, core_entry *e)
{
	struct gen *g = ctx;
	int r;

	if (!g->ranged)
		return g_next(ctx, e);
	while ((r = g_next(ctx, e)) == 1) {
		if (g->has_after && blf_prefix_cmp(&e->prefix, &g->after) <= 0)
			continue;
		if (blf_prefix_contains(&g->within, &e->prefix)) {
			g->lastp = e->prefix;
			g->has_last = 1;
			return 1;
		}
		if (blf_prefix_cmp(&e->prefix, &g->within) > 0)
			return 0;
	}
	return r;
}

static void
g_end(void *ctx)
{
	(void)ctx;
}

static void
g_provenance(void *ctx, int prov)
{
	struct gen *g = ctx;

	g->bare = !prov;
}

static int
g_signer(void *ctx, const uint8_t origin[BLF_KEYID_LEN], uint8_t keyid[BLF_KEYID_LEN])
{
	(void)ctx;
	memcpy(keyid, origin, BLF_KEYID_LEN);
	return 0;
}

/* The per-origin view: origin i's records are the view's entries that
 * name it (listings with its reason, first time and reference) and, for
 * alpha, the exclusions; the records come from a second generator. */
static struct gen og;
static size_t og_origin;

static int
g_origin_begin(void *ctx, size_t i, uint64_t now, uint8_t origin[BLF_KEYID_LEN],
	       const char **name)
{
	const struct gen *g = ctx;

	if (i >= 4)
		return 1;
	memset(&og, 0, sizeof(og));
	og.n = g->n;
	og.n4 = g->n4;
	og.mode = g->mode;
	g_begin(&og, now);
	og_origin = i;
	memcpy(origin, origins[i], BLF_KEYID_LEN);
	*name = names[i];
	return 0;
}

static int
g_origin_next(void *ctx, core_origin_rec *r)
{
	core_entry e;
	size_t k;

	(void)ctx;
	while (g_next(&og, &e) == 1) {
		for (k = 0; k < e.nprov; k++)
			if (e.prov[k].origin == origins[og_origin])
				break;
		if (k == e.nprov)
			continue;
		memset(r, 0, sizeof(*r));
		r->exclusion = e.kind == CORE_ENTRY_EXCLUDED;
		r->prefix = e.prefix;
		r->reason = e.prov[k].reason;
		r->expires = e.prov[k].expires;
		r->first = e.prov[k].first;
		r->changed = e.prov[k].changed;
		r->ref = e.prov[k].ref;
		r->ref_len = e.prov[k].ref_len;
		return 1;
	}
	return 0;
}

static double
cpu_now(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double last_user; /* user CPU of the last export_once */

#define BENCH_PER_ORIGIN 0x100u /* export_once: also the per-origin zones */

static double
user_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
sh(const char *cmd)
{
	if (system(cmd) != 0)
		fprintf(stderr, "bench_export: failed: %s\n", cmd);
}

/* The generator's change feed: with a state, nothing changed since (the
 * generator's view does not move between the exports that use it). */
static int
g_changes(void *ctx, int have, uint64_t gen, uint64_t now,
	  void (*fn)(void *arg, const blf_prefix *p), void *arg, uint64_t *cur)
{
	(void)ctx;
	(void)gen;
	(void)now;
	(void)fn;
	(void)arg;
	*cur = 1;
	return have ? 0 : 1;
}

static export_state *bench_state; /* NULL: every export reads every shard */

static int
run_job(const export_source *src, const export_config *cfg, const key_secret *k, uint64_t now,
	export_stats *st)
{
	export_job *j;
	int rc, done = 0;

	rc = export_job_start(src, cfg, k, now, bench_state, &j);
	while (rc == BLF_OK && !done)
		rc = export_job_step(j, now, &done);
	if (j != NULL)
		export_job_stats(j, st);
	export_job_free(j);
	return rc;
}

static double
export_once(struct gen *g, const char *dir, unsigned formats, unsigned bits,
	    const key_secret *k, uint64_t now, export_stats *st)
{
	export_source src = { g, g_begin, g_next_at, g_end, g_signer, g_begin_at, g_changes,
			      g_origin_begin, g_origin_next, g_provenance };
	export_config cfg;
	double c0;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = dir;
	cfg.formats = formats & EXPORT_ALL;
	cfg.per_origin = (formats & BENCH_PER_ORIGIN) != 0;
	cfg.shard4_bits = bits;
	cfg.shard6_bits = bits;
	cfg.zone = "bl.bench";
	cfg.stale_after = 3650ull * 86400;
	/* the generator's index of where each leading byte starts (the core
	 * has its view sorted): built before the clock starts, or the first
	 * export of each size would pay a whole pass of the generator */
	g_checkpoints(g);
	c0 = cpu_now(RUSAGE_SELF);
	last_user = user_now();
	rc = run_job(&src, &cfg, k, now, st);
	last_user = user_now() - last_user;
	if (rc != 0) {
		fprintf(stderr, "bench_export: export: %s\n", blf_strerror(rc));
		exit(1);
	}
	return cpu_now(RUSAGE_SELF) - c0;
}

static uint64_t
dir_bytes(const char *dir)
{
	char cmd[600];
	FILE *p;
	unsigned long long b = 0;

	snprintf(cmd, sizeof(cmd), "du -sb '%s' | cut -f1", dir);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%llu", &b) != 1)
			b = 0;
		pclose(p);
	}
	return b;
}

/* rsync the new export over a copy of the old one: bytes sent. */
static unsigned long long
rsync_sent(const char *newdir, const char *olddir)
{
	char cmd[1200];
	FILE *p;
	char line[256];
	unsigned long long sent = 0;

	snprintf(cmd, sizeof(cmd),
		 "rsync -rt --no-whole-file --stats '%s/' '%s/' | "
		 "sed -n 's/^Total bytes sent: //p' | tr -d ,", newdir, olddir);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(line, sizeof(line), p) != NULL)
			sent = strtoull(line, NULL, 10);
		pclose(p);
	}
	return sent;
}

static void
rsync_case(const char *label, int mode, unsigned bits, const key_secret *k)
{
	char a[512], b[512], cmd[1700];
	struct gen g;
	export_stats st;
	unsigned long long sent;
	uint64_t total;
	unsigned formats = EXPORT_RBLDNSD | EXPORT_PLAIN | EXPORT_IPSET;

	snprintf(a, sizeof(a), "%s/bench-export-rsync-a", basedir);
	snprintf(b, sizeof(b), "%s/bench-export-rsync-b", basedir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", a, b);
	sh(cmd);
	memset(&g, 0, sizeof(g));
	g.n = nentries;
	g.n4 = nentries / 10 * 9;
	export_once(&g, a, formats, bits, k, T0 + 100, &st);
	/* the consumer's copy: the published generation, pulled flat */
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && cp -a '%s/current/.' '%s'", b, a, b);
	sh(cmd);
	g.mode = mode;
	export_once(&g, a, formats, bits, k, T0 + 200, &st);
	snprintf(a + strlen(a), sizeof(a) - strlen(a), "/current/");
	total = dir_bytes(a);
	sent = rsync_sent(a, b);
	a[strlen(a) - strlen("/current/")] = '\0';
	printf("  %-44s %10zu/%-5zu %12.1f MB %10.2f MB %7.2f %%\n", label, st.written, st.files,
	       total / 1e6, sent / 1e6, 100.0 * (double)sent / (double)total);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", a, b);
	sh(cmd);
}

/* The feed in rbldnsd, plain, ipset and JSON Lines, 256+256 shards,
 * exported into basedir/bench-export-rsync-a, flat copy of it taken into
 * basedir/bench-export-rsync-b (the consumer's copy), then exported again
 * into the first after a 1 % change spread uniformly.  newdir gets the
 * export directory (the new generation is newdir/current), olddir the
 * copy. */
static void
rsync_pair(const key_secret *k, char *newdir, size_t nn, char *olddir, size_t on)
{
	unsigned formats = EXPORT_RBLDNSD | EXPORT_PLAIN | EXPORT_IPSET | EXPORT_JSONL;
	char cmd[1700];
	struct gen g;
	export_stats st;

	snprintf(newdir, nn, "%s/bench-export-rsync-a", basedir);
	snprintf(olddir, on, "%s/bench-export-rsync-b", basedir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", newdir, olddir);
	sh(cmd);
	memset(&g, 0, sizeof(g));
	g.n = nentries;
	g.n4 = nentries / 10 * 9;
	export_once(&g, newdir, formats, 8, k, T0 + 100, &st);
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && cp -a '%s/current/.' '%s'", olddir, newdir, olddir);
	sh(cmd);
	g.mode = 1;
	export_once(&g, newdir, formats, 8, k, T0 + 200, &st);
}

/* Bytes of the files name-* in dir (all files for name "all"). */
static unsigned long long
files_bytes(const char *dir, const char *name)
{
	char cmd[1200];
	FILE *p;
	unsigned long long total = 0;

	if (strcmp(name, "all") == 0)
		snprintf(cmd, sizeof(cmd), "cat '%s'/* | wc -c", dir);
	else
		snprintf(cmd, sizeof(cmd), "cat '%s'/%s-* | wc -c", dir, name);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%llu", &total) != 1)
			total = 0;
		pclose(p);
	}
	return total;
}

/*
 * The pull as a consumer makes it: an rsync daemon on 127.0.0.1 with
 * contrib/rsyncd.conf (path, pid file, user and chroot adapted) serving
 * the new generation, and `rsync -rt --stats OPTIONS rsync://...` pulling
 * into a fresh directory with the old copy as --link-dest (the basis of
 * every changed file's delta transfer, left as it is, so that every
 * option set starts from the same copy).  The client's own counters are
 * the bytes on the wire: "received" is the file list and the (possibly
 * compressed) literal data and block references, "sent" the block
 * checksums and the requests.
 */
#define RSYNC_Z_MAXOPTS 32

static pid_t rsyncd_pid = -1;
static unsigned rsyncd_port;

/* Start the daemon serving dir; 0 or -1. */
static int
rsyncd_start(const char *dir)
{
	char conf[600], cmd[2400], line[64];
	const char *contrib = getenv("BENCH_CONTRIB");
	FILE *p;
	int i;

	if (contrib == NULL)
		contrib = "contrib";
	snprintf(conf, sizeof(conf), "%s/bench-export-rsyncd.conf", basedir);
	snprintf(cmd, sizeof(cmd),
		 "sed -e 's#^\\([[:space:]]*path = \\).*#\\1%s#' "
		 "-e 's#^pid file = .*#pid file = %s/bench-export-rsyncd.pid#' "
		 "-e 's#^use chroot = .*#use chroot = no#' -e \"s#^uid = .*#uid = $(id -un)#\" "
		 "-e \"s#^gid = .*#gid = $(id -gn)#\" '%s/rsyncd.conf' > '%s'",
		 dir, basedir, contrib, conf);
	if (system(cmd) != 0)
		return -1;
	if ((p = popen("/usr/bin/python3 -c 'import socket; s=socket.socket(); "
		       "s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'", "r")) == NULL)
		return -1;
	rsyncd_port = 0;
	if (fgets(line, sizeof(line), p) != NULL)
		rsyncd_port = (unsigned)atoi(line);
	pclose(p);
	if (rsyncd_port == 0)
		return -1;
	fflush(stdout);
	rsyncd_pid = fork();
	if (rsyncd_pid < 0)
		return -1;
	if (rsyncd_pid == 0) {
		char cf[640], port[32], log[640];

		snprintf(cf, sizeof(cf), "--config=%s", conf);
		snprintf(port, sizeof(port), "--port=%u", rsyncd_port);
		snprintf(log, sizeof(log), "--log-file=%s/bench-export-rsyncd.log", basedir);
		execlp("rsync", "rsync", "--daemon", "--no-detach", cf, "--address=127.0.0.1", port,
		       log, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		snprintf(cmd, sizeof(cmd), "rsync rsync://127.0.0.1:%u/ >/dev/null 2>&1",
			 rsyncd_port);
		if (system(cmd) == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

static void
rsyncd_stop(void)
{
	if (rsyncd_pid > 0) {
		kill(rsyncd_pid, SIGTERM);
		waitpid(rsyncd_pid, NULL, 0);
	}
	rsyncd_pid = -1;
}

/* Pull name-* (all files for "all") with opts into a fresh directory
 * against olddir: bytes received and sent by the client, files it
 * transferred (the changed ones: a higher count means the quick check
 * failed on unchanged ones); 0 or -1. */
static int
rsync_pull(const char *olddir, const char *name, const char *opts, unsigned long long *recv,
	   unsigned long long *sent, unsigned long long *files)
{
	char cmd[4096], filt[200] = "";
	FILE *p;
	char line[256];
	int rc = -1;

	if (strcmp(name, "all") != 0)
		snprintf(filt, sizeof(filt), "--include='%s-*' --exclude='*'", name);
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s.pull' && rsync -rt --stats %s %s --link-dest='%s' "
		 "rsync://127.0.0.1:%u/blfed/ '%s.pull/' | tr -d , | sed -n "
		 "-e 's/^Number of regular files transferred: //p' "
		 "-e 's/^Total bytes \\(sent\\|received\\): //p'; rm -rf '%s.pull'",
		 olddir, opts, filt, olddir, rsyncd_port, olddir, olddir);
	*recv = *sent = *files = 0;
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(line, sizeof(line), p) != NULL) {
			*files = strtoull(line, NULL, 10);
			if (fgets(line, sizeof(line), p) != NULL) {
				*sent = strtoull(line, NULL, 10);
				if (fgets(line, sizeof(line), p) != NULL) {
					*recv = strtoull(line, NULL, 10);
					rc = 0;
				}
			}
		}
		pclose(p);
	}
	return rc;
}

/* BENCH_RSYNC_Z: per format and for the whole feed, the share of its
 * bytes that a pull over rsync:// moves with each client option set (a
 * '|'-separated list in BENCH_RSYNC_Z, or the default list for "1"):
 * received + sent = both directions. */
static void
rsync_z(const key_secret *k, const char *list)
{
	static const char *const fnames[] = { "rbldnsd", "plain", "ipset", "jsonl", "all" };
	static const char deflist[] = /* the columns of BENCHMARKS.md's 10 M table */
		"|--block-size=512|-z|-z --block-size=512|-z --block-size=700"
		"|--compress-choice=zlib --block-size=512"
		"|--compress-choice=zstd --compress-level=22 --block-size=320";
	char a[512], b[512], cmd[1200], cur[600], buf[2048], *opts[RSYNC_Z_MAXOPTS], *s;
	unsigned long long total[5];
	size_t i, j, nopts = 0;
	const char *only = getenv("BENCH_RSYNC_FORMATS"); /* e.g. "rbldnsd,all" */

	if (snprintf(buf, sizeof(buf), "%s", strcmp(list, "1") == 0 ? deflist : list) >=
	    (int)sizeof(buf)) {
		fprintf(stderr, "bench_export: BENCH_RSYNC_Z longer than %zu bytes\n",
			sizeof(buf) - 1);
		return;
	}
	for (s = buf; nopts < RSYNC_Z_MAXOPTS; s++) {
		opts[nopts++] = s;
		if ((s = strchr(s, '|')) == NULL)
			break;
		*s = '\0';
	}
	if (getenv("BENCH_RSYNC_REUSE") == NULL) {
		rsync_pair(k, a, sizeof(a), b, sizeof(b));
	} else { /* the directories of a kept earlier run */
		snprintf(a, sizeof(a), "%s/bench-export-rsync-a", basedir);
		snprintf(b, sizeof(b), "%s/bench-export-rsync-b", basedir);
	}
	snprintf(cur, sizeof(cur), "%s/current", a);
	if (rsyncd_start(cur) != 0) {
		fprintf(stderr, "bench_export: the rsync daemon did not start\n");
		rsyncd_stop();
		return;
	}
	printf("rsync:// pull after a 1 %% change spread uniformly, %zu entries, 256+256 shards: "
	       "share of the bytes received + sent by the client\n", nentries);
	for (i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++) {
		total[i] = files_bytes(cur, fnames[i]);
		printf("  %s %llu bytes\n", fnames[i], total[i]);
	}
	for (j = 0; j < nopts; j++) {
		printf("  rsync -rt %s\n", opts[j][0] != '\0' ? opts[j] : "(defaults)");
		for (i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++) {
			unsigned long long recv, sent, nf;
			double t, w0 = bench_now();

			if (only != NULL && strstr(only, fnames[i]) == NULL)
				continue;
			if (rsync_pull(b, fnames[i], opts[j], &recv, &sent, &nf) != 0 ||
			    total[i] == 0) {
				printf("    %-8s failed\n", fnames[i]);
				continue;
			}
			t = (double)total[i];
			printf("    %-8s %13llu + %11llu  %6.2f %% + %5.2f %% = %6.2f %%  %4llu files"
			       " %6.1f s\n", fnames[i], recv, sent, 100.0 * (double)recv / t,
			       100.0 * (double)sent / t, 100.0 * (double)(recv + sent) / t, nf,
			       bench_now() - w0);
			fflush(stdout);
		}
	}
	rsyncd_stop();
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/bench-export-rsyncd.*", basedir);
	sh(cmd);
	if (getenv("BENCH_RSYNC_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", a, b);
		sh(cmd);
	}
}

/* Bytes rsync sends for the files name-* of newdir against olddir with
 * --block-size bs (0: rsync's default, the square root of the file size),
 * olddir left as it is (--only-write-batch); *recv gets the bytes of the
 * block checksums that travel the other way. */
static unsigned long long
rsync_sent_block(const char *newdir, const char *olddir, const char *name, unsigned bs,
		 unsigned long long *recv)
{
	char cmd[4096], bopt[32] = "";
	FILE *p;
	char line[256];
	unsigned long long sent = 0;

	if (bs != 0)
		snprintf(bopt, sizeof(bopt), "--block-size=%u", bs);
	snprintf(cmd, sizeof(cmd),
		 "rsync -rt --no-whole-file --stats %s --only-write-batch='%s.batch' "
		 "--include='%s-*' --exclude='*' '%s/' '%s/' | "
		 "sed -n 's/^Total bytes received: //p' | tr -d ,; stat -c %%s '%s.batch'; "
		 "rm -f '%s.batch' '%s.batch.sh'",
		 bopt, olddir, name, newdir, olddir, olddir, olddir, olddir);
	/* the batch file holds what the sender would send (its stats count
	 * only the protocol then); "received" is the block checksums */
	*recv = 0;
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(line, sizeof(line), p) != NULL)
			*recv = strtoull(line, NULL, 10);
		if (fgets(line, sizeof(line), p) != NULL)
			sent = strtoull(line, NULL, 10);
		pclose(p);
	}
	return sent;
}

/* A 1 % change spread uniformly over the sharded feed: per format, the
 * share of its bytes that rsync moves with smaller block sizes. */
static void
rsync_blocks(const key_secret *k)
{
	static const char *const fnames[] = { "rbldnsd", "plain", "ipset", "jsonl" };
	static const unsigned bsz[] = { 0, 2048, 1024, 512, 256 };
	char a[512], b[512], cmd[1200], cur[600];
	size_t i, j;

	rsync_pair(k, a, sizeof(a), b, sizeof(b));
	snprintf(cur, sizeof(cur), "%s/current", a);
	printf("rsync --block-size after a 1 %% change spread uniformly, 256+256 shards: "
	       "share of each format's bytes sent (+ block checksums sent back)\n");
	printf("  %-10s %12s", "format", "bytes");
	for (j = 0; j < sizeof(bsz) / sizeof(bsz[0]); j++)
		if (bsz[j] == 0)
			printf(" %17s", "default");
		else
			printf(" %17u", bsz[j]);
	printf("\n");
	for (i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++) {
		unsigned long long total = files_bytes(cur, fnames[i]);

		printf("  %-10s %12llu", fnames[i], total);
		for (j = 0; j < sizeof(bsz) / sizeof(bsz[0]); j++) {
			unsigned long long recv, sent = rsync_sent_block(cur, b, fnames[i], bsz[j],
									 &recv);

			printf(" %6.2f%% (+%.2f%%)", total ? 100.0 * (double)sent / (double)total : 0.0,
			       total ? 100.0 * (double)recv / (double)total : 0.0);
		}
		printf("\n");
		fflush(stdout);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", a, b);
	sh(cmd);
}

/* One writer over the whole view into a counting output: user seconds;
 * *lines gets the lines written. */
static double
fmt_run(const export_writer *w, const export_config *cfg, size_t *lines, uint64_t *bytes)
{
	static xout o;
	struct gen g;
	core_entry e;
	xfile f[2];
	xitem it;
	int fam;
	double u0;

	memset(&o, 0, sizeof(o)); /* not active: bytes counted and dropped */
	memset(&g, 0, sizeof(g));
	g.n = nentries;
	g.n4 = nentries / 10 * 9;
	*lines = 0;
	u0 = user_now();
	for (fam = 0; fam < 2; fam++) {
		memset(&f[fam], 0, sizeof(f[fam]));
		f[fam].cfg = cfg;
		f[fam].kind = w->whole ? XF_WHOLE : XF_SHARD;
		f[fam].af = fam == 0 ? BLF_AF_INET : BLF_AF_INET6;
		f[fam].bits = 8;
		f[fam].serial = T0;
		f[fam].now = T0;
		f[fam].phase = 1;
		f[fam].o = &o;
		if (w->begin != NULL)
			w->begin(&f[fam]);
	}
	g_begin(&g, 0);
	while (g_next(&g, &e) == 1) {
		xfile *fp = &f[e.prefix.af == BLF_AF_INET ? 0 : 1];

		memset(&it, 0, sizeof(it));
		if (w->input == XI_ENTRIES) {
			it.e = &e;
			fp->phase = e.kind == CORE_ENTRY_EXCLUDED ? 0 : 1;
		} else if (e.kind == CORE_ENTRY_EXCLUDED) {
			continue;
		} else {
			static const char tag[X_TAG_MAX + 1] = "alpha spam-source"; /* xitem */

			it.net = e.prefix;
			it.tag = tag;
			it.taglen = 17;
		}
		w->entry(fp, &it);
		(*lines)++;
	}
	export_out_flush(&o);
	*bytes = o.size;
	return user_now() - u0;
}

/* The per-origin zone lines of the four origins into counting outputs. */
static double
fmt_origins(const export_config *cfg, size_t *lines, uint64_t *bytes)
{
	static xout o;
	struct gen g;
	export_source src = { &g, g_begin, g_next, g_end, g_signer, NULL, NULL,
			      g_origin_begin, g_origin_next, NULL };
	struct xorigin or;
	xfile f[2], *outp[2] = { &f[0], &f[1] };
	size_t i;
	int fam;
	double u0;

	memset(&o, 0, sizeof(o));
	memset(&g, 0, sizeof(g));
	memset(&or, 0, sizeof(or));
	g.n = nentries;
	g.n4 = nentries / 10 * 9;
	*lines = 0;
	u0 = user_now();
	for (i = 0; i < 4; i++) {
		for (fam = 0; fam < 2; fam++) {
			memset(&f[fam], 0, sizeof(f[fam]));
			f[fam].cfg = cfg;
			f[fam].kind = XF_ORIGIN;
			f[fam].af = fam == 0 ? BLF_AF_INET : BLF_AF_INET6;
			f[fam].serial = T0;
			f[fam].now = T0;
			f[fam].o = &o;
		}
		snprintf(or.name, sizeof(or.name), "%s", names[i]);
		memcpy(or.origin, origins[i], BLF_KEYID_LEN);
		if (export_origin_pass(&src, i, T0, &or, outp) != 0)
			break;
	}
	export_out_flush(&o);
	u0 = user_now() - u0;
	*bytes = o.size;
	/* the lines: the records of each origin, counted apart */
	for (i = 0; i < 4; i++) {
		core_origin_rec r;
		const char *nm;
		uint8_t id[BLF_KEYID_LEN];

		g_origin_begin(&g, i, T0, id, &nm);
		while (g_origin_next(&g, &r) == 1)
			(*lines)++;
	}
	return u0;
}

/* The generator alone, as fmt_run and fmt_origins read it. */
static double
fmt_reference(int per_origin)
{
	struct gen g;
	core_entry e;
	core_origin_rec r;
	const char *nm;
	uint8_t id[BLF_KEYID_LEN];
	size_t i, n = 0;
	double u0;

	memset(&g, 0, sizeof(g));
	g.n = nentries;
	g.n4 = nentries / 10 * 9;
	u0 = user_now();
	if (per_origin) {
		for (i = 0; i < 4; i++) {
			g_origin_begin(&g, i, T0, id, &nm);
			while (g_origin_next(&g, &r) == 1)
				n += r.prefix.len;
		}
	} else {
		g_begin(&g, 0);
		while (g_next(&g, &e) == 1)
			n += e.prefix.len;
	}
	if (n == 1)
		printf(" ");
	return user_now() - u0;
}

/* BENCH_EXPORT_ONLY=format: the writers' formatting alone. */
static void
fmt_alone(void)
{
	static const export_writer *const ws[] = {
		&export_writer_rbldnsd, &export_writer_postfix, &export_writer_plain,
		&export_writer_ipset,
	};
	export_config cfg;
	double t[15], ref[15];
	size_t w, lines = 0;
	uint64_t bytes = 0;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.source = "blfed";
	cfg.zone = "bl.bench";
	cfg.ipset_name = "blfed";
	cfg.a_default = EXPORT_DEFAULT_A;
	printf("formatting alone, %zu entries, counting output (no SHA-256, no write, "
	       "no driver); median of %d runs\n", nentries, runs);
	printf("  %-28s %12s %12s %12s %14s\n", "writer", "user s", "generator s", "ns/line",
	       "bytes");
	for (w = 0; w <= sizeof(ws) / sizeof(ws[0]); w++) {
		int po = w == sizeof(ws) / sizeof(ws[0]);

		for (i = 0; i < runs; i++) {
			ref[i] = fmt_reference(po);
			t[i] = po ? fmt_origins(&cfg, &lines, &bytes)
				  : fmt_run(ws[w], &cfg, &lines, &bytes);
		}
		{
			double tm = bench_median(t, runs), rm = bench_median(ref, runs);

			printf("  %-28s %12.3f %12.3f %12.1f %14llu\n",
			       po ? "per-origin (4 origins)" : ws[w]->name, tm, rm,
			       (tm - rm) * 1e9 / (double)lines, (unsigned long long)bytes);
		}
	}
}

/* ---- the core as the source ------------------------------------------ */

#define CORE_NOPS 4096u /* operations per delta */

/* One origin publishing the generator's view into the core. */
struct corg {
	key_secret *ks;
	uint64_t seq;
	uint8_t head[BLF_HASH_LEN];
	blf_op ops[CORE_NOPS];
	char refs[CORE_NOPS][16];
	size_t n;
};

static void
corg_flush(core *c, struct corg *o, blf_buf *buf)
{
	blf_delta d;
	blf_envelope env;
	int rc;

	if (o->n == 0)
		return;
	memset(&d, 0, sizeof(d));
	memcpy(d.origin, o->ks->keyid, BLF_KEYID_LEN);
	d.epoch = 1;
	d.seq = o->seq + 1;
	if (o->seq > 0)
		memcpy(d.prev, o->head, BLF_HASH_LEN);
	d.created = T0;
	d.nops = o->n;
	d.ops = o->ops;
	buf->len = 0;
	if (blf_delta_seal(&d, o->ks->sk, buf) != 0 ||
	    blf_envelope_parse(buf->data, buf->len, &env) != 0) {
		fprintf(stderr, "bench_export: sealing a delta failed\n");
		exit(1);
	}
	blf_envelope_hash(&env, o->head);
	o->seq++;
	if ((rc = core_apply(c, buf->data, buf->len, T0, NULL)) != 0) {
		fprintf(stderr, "bench_export: core_apply: %s\n", blf_strerror(rc));
		exit(1);
	}
	o->n = 0;
}

/* An operation of origin o: a listing as p says, or an exclusion. */
static void
corg_add(core *c, struct corg *o, blf_buf *buf, const core_entry *e, const core_prov *p)
{
	blf_op *op = &o->ops[o->n];

	memset(op, 0, sizeof(*op));
	op->prefix = e->prefix;
	if (e->kind == CORE_ENTRY_EXCLUDED) {
		op->type = BLF_OP_EXCLUDE;
	} else {
		op->type = BLF_OP_LIST;
		op->reason = p->reason;
		op->expires = p->expires;
		if (p->ref_len > 0 && p->ref_len < sizeof(o->refs[0])) {
			memcpy(o->refs[o->n], p->ref, p->ref_len);
			op->ref = o->refs[o->n];
			op->ref_len = (uint16_t)p->ref_len;
		}
	}
	if (++o->n == CORE_NOPS)
		corg_flush(c, o, buf);
}

static void
core_row(const key_secret *k)
{
	static const struct {
		const char *name;
		unsigned flag;
	} fm[] = {
		{ "rbldnsd", EXPORT_RBLDNSD }, { "per-origin", EXPORT_RBLDNSD | BENCH_PER_ORIGIN },
		{ "postfix", EXPORT_POSTFIX }, { "plain", EXPORT_PLAIN },
		{ "ipset", EXPORT_IPSET },     { "jsonl", EXPORT_JSONL },
	};
	static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } }, { BLF_AF_INET6, 0, { 0 } } };
	const char *env = getenv("BENCH_EXPORT_CORE_N");
	size_t n = env != NULL ? (size_t)atol(env) : 1000000, f, i;
	struct corg *orgs = calloc(4, sizeof(*orgs));
	trust_store ts;
	core_config cc;
	blf_buf buf = { 0 };
	char sdir[600], edir[600], cmd[1400];
	struct gen g;
	core_entry e;
	core *c = NULL;
	double t[15], u[15], w[15], w0, apply_s;
	int r, rc;

	if (n == 0)
		return;
	if (orgs == NULL)
		exit(1);
	memset(&ts, 0, sizeof(ts));
	memset(&cc, 0, sizeof(cc));
	snprintf(sdir, sizeof(sdir), "%s/bench-export-core.XXXXXX", basedir);
	if (mkdtemp(sdir) == NULL) {
		perror("bench_export: mkdtemp");
		exit(1);
	}
	snprintf(edir, sizeof(edir), "%s/bench-export-core-out", basedir);
	for (i = 0; i < 4; i++) {
		uint8_t seed[BLF_SEED_LEN] = { 0x3c, (uint8_t)i };
		trust_anchor a;

		if (key_secret_from_seed(seed, "bench", &orgs[i].ks) != 0)
			exit(1);
		trust_anchor_init(&a, names[i], orgs[i].ks->pk);
		a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
		a.scope = a.authority = (blf_prefix *)(uintptr_t)all;
		a.nscope = a.nauthority = 2;
		a.max4 = 8;
		a.max6 = 16;
		a.weight = 100;
		if (trust_store_add(&ts, &a, NULL, 0) != 0)
			exit(1);
	}
	cc.no_fsync = 1;
	if ((rc = core_open(sdir, &cc, &ts, &c)) != 0) {
		fprintf(stderr, "bench_export: core_open: %s\n", blf_strerror(rc));
		exit(1);
	}
	/* the generator's view as the four origins' deltas: each listing by
	 * the origins of its provenance, each exclusion by alpha */
	w0 = bench_now();
	memset(&g, 0, sizeof(g));
	g.n = n;
	g.n4 = n / 10 * 9;
	g_begin(&g, 0);
	while (g_next(&g, &e) == 1) {
		if (e.kind == CORE_ENTRY_EXCLUDED) {
			corg_add(c, &orgs[0], &buf, &e, NULL);
			continue;
		}
		for (i = 0; i < e.nprov; i++)
			corg_add(c, &orgs[e.prov[i].origin[0] / 0x10 - 1], &buf, &e, &e.prov[i]);
	}
	for (i = 0; i < 4; i++)
		corg_flush(c, &orgs[i], &buf);
	apply_s = bench_now() - w0;
	{
		core_iter it;
		core_entry en;
		size_t cnt = 0;
		double tb[15];
		int bare;

		/* the first read builds the view: not part of a read */
		if (core_iter_begin(c, T0 + 100, &it) != 0)
			exit(1);
		core_iter_end(&it);
		printf("export of %zu merged entries from a core (the same view applied as "
		       "deltas of 4 origins in %.1f s); median of %d runs\n", n, apply_s, runs);
		printf("  %-28s %12s %12s %12s %14s %10s\n", "format", "CPU s", "user s", "wall s",
		       "bytes", "files");
		for (bare = 0; bare < 2; bare++) {
			for (r = 0; r < runs; r++) {
				double u0 = user_now();

				if (core_iter_begin(c, T0 + 100, &it) != 0)
					exit(1);
				core_iter_bare(&it, bare);
				while (core_iter_next(&it, &en) == 1)
					cnt += en.prefix.len;
				core_iter_end(&it);
				tb[r] = user_now() - u0;
			}
			printf("  %-28s %12s %12.2f\n",
			       bare ? "core's view read, bare" : "core's view read once", "",
			       bench_median(tb, runs));
		}
		if (cnt == 1)
			printf(" ");
	}
	for (f = 0; f < sizeof(fm) / sizeof(fm[0]); f++) {
		export_stats st;

		memset(&st, 0, sizeof(st));
		for (r = 0; r < runs; r++) {
			export_config cfg;
			export_job *j = NULL;
			double c0, u0, wr0;
			int done = 0;

			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", edir);
			sh(cmd);
			memset(&cfg, 0, sizeof(cfg));
			cfg.dir = edir;
			cfg.formats = fm[f].flag & EXPORT_ALL;
			cfg.per_origin = (fm[f].flag & BENCH_PER_ORIGIN) != 0;
			cfg.shard4_bits = 8;
			cfg.shard6_bits = 8;
			cfg.zone = "bl.bench";
			cfg.stale_after = 3650ull * 86400;
			wr0 = bench_now();
			c0 = cpu_now(RUSAGE_SELF);
			u0 = user_now();
			rc = export_job_start_core(c, &cfg, k, T0 + 100 + (uint64_t)r, NULL, &j);
			while (rc == BLF_OK && !done)
				rc = export_job_step(j, T0 + 100 + (uint64_t)r, &done);
			if (j != NULL)
				export_job_stats(j, &st);
			export_job_free(j);
			if (rc != BLF_OK) {
				fprintf(stderr, "bench_export: core export: %s\n", blf_strerror(rc));
				exit(1);
			}
			t[r] = cpu_now(RUSAGE_SELF) - c0;
			u[r] = user_now() - u0;
			w[r] = bench_now() - wr0;
		}
		printf("  %-28s %12.2f %12.2f %12.2f %14llu %10zu\n", fm[f].name,
		       bench_median(t, runs), bench_median(u, runs), bench_median(w, runs),
		       (unsigned long long)st.bytes, st.files);
	}
	core_close(c);
	for (i = 0; i < 4; i++)
		key_secret_free(orgs[i].ks);
	free(orgs);
	blf_buf_free(&buf);
	trust_store_free(&ts);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", sdir, edir);
	sh(cmd);
}

int
main(void)
{
	static const struct {
		const char *name;
		unsigned flag;
	} fm[] = {
		{ "rbldnsd", EXPORT_RBLDNSD },
		{ "per-origin", EXPORT_RBLDNSD | BENCH_PER_ORIGIN }, /* rbldnsd and the origins' */
		{ "postfix", EXPORT_POSTFIX }, { "plain", EXPORT_PLAIN },
		{ "ipset", EXPORT_IPSET },     { "jsonl", EXPORT_JSONL },
		{ "all five", EXPORT_ALL },
	};
	uint8_t seed[BLF_SEED_LEN] = { 7 };
	key_secret *k = NULL;
	char dir[512], cmd[4096];
	const char *e, *only;
	double t[15], w[15], u[15];
	long rss0;
	size_t f;
	int i;

	if ((e = getenv("BENCH_RUNS")) != NULL && atoi(e) > 0 && atoi(e) <= 15)
		runs = atoi(e);
	if ((e = getenv("BENCH_EXPORT_N")) != NULL && atol(e) >= 1000)
		nentries = (size_t)atol(e);
	if ((e = getenv("BENCH_DIR")) != NULL)
		snprintf(basedir, sizeof(basedir), "%s", e);
	only = getenv("BENCH_EXPORT_ONLY"); /* one format's row, nothing else */
	if (getenv("BENCH_RSYNC_BLOCKS") != NULL || getenv("BENCH_RSYNC_Z") != NULL) {
		/* the block-size table or the rsync:// table alone */
		if (blf_init() != 0 || key_secret_from_seed(seed, "bench", &k) != 0)
			return 1;
		for (i = 0; i < 4; i++)
			origins[i][0] = (uint8_t)(0x10 * (i + 1));
		if (getenv("BENCH_RSYNC_Z") != NULL)
			rsync_z(k, getenv("BENCH_RSYNC_Z"));
		else
			rsync_blocks(k);
		key_secret_free(k);
		return 0;
	}
	if (blf_init() != 0 || key_secret_from_seed(seed, "bench", &k) != 0)
		return 1;
	for (i = 0; i < 4; i++)
		origins[i][0] = (uint8_t)(0x10 * (i + 1));
	snprintf(dir, sizeof(dir), "%s/bench-export", basedir);
	rss0 = maxrss_kb();
	if (only != NULL && strcmp(only, "format") == 0) {
		fmt_alone();
		key_secret_free(k);
		return 0;
	}
	if (only != NULL && strcmp(only, "core") == 0) {
		core_row(k);
		key_secret_free(k);
		return 0;
	}

	printf("export of %zu merged entries (90 %% IPv4), 256+256 shards; "
	       "median of %d runs\n", nentries, runs);
	printf("  %-28s %12s %12s %12s %14s %10s\n", "format", "CPU s", "user s", "wall s", "bytes",
	       "files");
	/* reference: the generated view read twice (what every export's two
	 * passes cost before formatting anything) */
	{
		struct gen g;
		core_entry en;
		size_t n = 0;

		for (i = 0; i < runs; i++) {
			double u0 = user_now();
			int pass;

			memset(&g, 0, sizeof(g));
			g.n = nentries;
			g.n4 = nentries / 10 * 9;
			for (pass = 0; pass < 2; pass++) {
				g_begin(&g, 0);
				while (g_next(&g, &en) == 1)
					n++;
			}
			t[i] = user_now() - u0;
		}
		printf("  %-28s %12s %12.2f %12s %14zu\n", "view read twice (reference)", "",
		       bench_median(t, runs), "", n / (size_t)runs);
	}
	for (f = 0; f < sizeof(fm) / sizeof(fm[0]); f++) {
		export_stats st;
		struct gen g;
		uint64_t bytes = 0;

		if (only != NULL && strcmp(only, fm[f].name) != 0)
			continue;

		for (i = 0; i < runs; i++) {
			double w0;

			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
			sh(cmd);
			memset(&g, 0, sizeof(g));
			g.n = nentries;
			g.n4 = nentries / 10 * 9;
			w0 = bench_now();
			if (fm[f].flag == EXPORT_ALL && i == runs - 1)
				bench_state = export_state_new(); /* for the rows below */
			t[i] = export_once(&g, dir, fm[f].flag, 8, k, T0 + 100 + (uint64_t)i, &st);
			u[i] = last_user;
			w[i] = bench_now() - w0;
			bytes = st.bytes;
		}
		printf("  %-28s %12.2f %12.2f %12.2f %14llu %10zu\n", fm[f].name,
		       bench_median(t, runs), bench_median(u, runs), bench_median(w, runs),
		       (unsigned long long)bytes, st.files);
	}
	if (only != NULL) {
		key_secret_free(k);
		return 0;
	}
	/* nothing changed, the change feed says so: no shard read, the heads
	 * and the MANIFEST rewritten */
	if (bench_state != NULL) {
		export_stats st;
		struct gen g;

		for (i = 0; i < runs; i++) {
			memset(&g, 0, sizeof(g));
			g.n = nentries;
			g.n4 = nentries / 10 * 9;
			t[i] = export_once(&g, dir, EXPORT_ALL, 8, k, T0 + 500 + (uint64_t)i, &st);
			u[i] = last_user;
		}
		printf("  %-28s %12.2f %12.2f %12s %14llu %10zu  (%zu written, %zu shards read)\n",
		       "all five, unchanged, feed", bench_median(t, runs), bench_median(u, runs), "",
		       (unsigned long long)st.bytes, st.files, st.written, st.walked);
		export_state_free(bench_state);
		bench_state = NULL;
	}
	/* nothing changed, no state: pass 1 over every shard, heads rewritten */
	{
		export_stats st;
		struct gen g;

		for (i = 0; i < runs; i++) {
			memset(&g, 0, sizeof(g));
			g.n = nentries;
			g.n4 = nentries / 10 * 9;
			t[i] = export_once(&g, dir, EXPORT_ALL, 8, k, T0 + 1000 + (uint64_t)i, &st);
			u[i] = last_user;
		}
		printf("  %-28s %12.2f %12.2f %12s %14llu %10zu  (%zu written)\n",
		       "all five, unchanged", bench_median(t, runs), bench_median(u, runs), "",
		       (unsigned long long)st.bytes, st.files, st.written);
	}
	printf("  peak RSS growth of the process: %.1f MB\n", (maxrss_kb() - rss0) / 1024.0);
	core_row(k); /* after the RSS figure: the core's memory is not the exporter's */

	/* references in the same run: iprange and rbldnsd on the same files */
	{
		double c0 = cpu_now(RUSAGE_CHILDREN), w0 = bench_now();

		snprintf(cmd, sizeof(cmd),
			 "cat '%s'/current/plain-ip4.s* | grep -v '^#' > '%s'.ip4 && "
			 "iprange --optimize '%s'.ip4 > '%s'.ip4.opt", dir, dir, dir, dir);
		sh(cmd);
		printf("reference: iprange --optimize of the plain IPv4 list: %.2f s CPU, "
		       "%.2f s wall (includes cat)\n",
		       cpu_now(RUSAGE_CHILDREN) - c0, bench_now() - w0);
		snprintf(cmd, sizeof(cmd), "rm -f '%s'.ip4 '%s'.ip4.opt", dir, dir);
		sh(cmd);
	}
	snprintf(cmd, sizeof(cmd),
		 "chmod -R a+rX '%s'; d='%s/current'; "
		 "l4=$(sed -n 's/^# file \\(rbldnsd-ip4[.][a-z0-9]*\\) .*/\\1/p' $d/MANIFEST | paste -sd,); "
		 "l6=$(sed -n 's/^# file \\(rbldnsd-ip6[.][a-z0-9]*\\) .*/\\1/p' $d/MANIFEST | paste -sd,); "
		 "port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'); "
		 "rbldnsd -n -u nobody -r $d -b 127.0.0.1/$port bl.bench:ip4trie:$l4 bl.bench:ip6trie:$l6 "
		 "> $d.rbl.log 2>&1 & p=$!; i=0; "
		 "while ! grep -q 'zones reloaded' $d.rbl.log && [ $i -lt 600 ]; do sleep 0.5; i=$((i+1)); done; "
		 "kill $p; wait $p 2>/dev/null; "
		 "echo \"reference: rbldnsd load of the zones: $(grep -o 'zones reloaded, time [^,]*' $d.rbl.log)"
		 "; $(grep -o 'mem arena=[0-9]* ' $d.rbl.log)Kb\"; rm -f $d.rbl.log",
		 dir, dir);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	sh(cmd);

	printf("rsync after a 1 %% change (rbldnsd + plain + ipset files)\n");
	printf("  %-44s %16s %15s %13s %9s\n", "case", "written/files", "feed", "sent", "share");
	rsync_case("sharded 256+256, change spread uniformly", 1, 8, k);
	rsync_case("one file per family, change spread uniformly", 1, 0, k);
	rsync_case("sharded 256+256, change in runs of 100", 2, 8, k);
	rsync_case("one file per family, change in runs of 100", 2, 0, k);
	key_secret_free(k);
	return 0;
}
