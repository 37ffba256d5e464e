/*
 * bench_merge.c - the merge side of the agent core: view build against the
 * number of origins, the change feed, apply rates of listings against
 * exclusions, and why on the paths that used to be quadratic.
 *
 *   origins  N origins (BENCH_MERGE_ORIGINS, default 10,100,300,1000) each
 *            list the same P prefixes (BENCH_MERGE_PREFIXES, default
 *            100,000 /32s), weight 100 and threshold 100, so every entry
 *            carries N origins of provenance: view build (core_iter_begin)
 *            and a full walk (core_iter_next over every entry, provenance
 *            and expiry included), seconds and ns per (origin, prefix);
 *            resident memory of state and of state + view per listing;
 *   feed     one origin with F listings (BENCH_FEED_LISTINGS, default
 *            10,000,000) and the change feed on; 1 % of them change (half
 *            delisted, half new): the rebuild and diff that moves the
 *            generation, core_changes_since over the changes, and the
 *            feed's memory; the same rebuild without the feed as reference;
 *   update   one origin with N listings (BENCH_UPDATE_LISTINGS, default
 *            1,000,000,10,000,000) and the change feed on: the read after
 *            a delta of K = 1 and 1,000 operations spread over the range
 *            (the view and the feed updated), against the whole build in
 *            the same run;
 *   apply    deltas of 10,000 list or exclude operations from an origin
 *            whose scope and authority hold BENCH_MERGE_AUTH (default
 *            1,000) prefixes, batched 4 deltas per fsync as in bench_core;
 *   why      a host inside a /16 whose 12,151 listings one exclusion
 *            removed, and "why 0.0.0.0/0" over 500,000 listings (first
 *            page, total counted), seconds and resident memory added.
 *
 * Medians of BENCH_RUNS (default 3).  BENCH_DIR (default /var/tmp) holds
 * the data directories.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc.h>

#include "../../agent/core/core.h"
#include "bench_util.h"

#define NOPS 10000u
#define T0 1767225600ULL

static int runs = 3;
static char basedir[512] = "/var/tmp";

static size_t
rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_merge: %s: %s\n", what, blf_strerror(rc));
	exit(2);
}

static char *
mkdir_tmp(void)
{
	char tmpl[600];

	snprintf(tmpl, sizeof(tmpl), "%s/blfed-bench-merge.XXXXXX", basedir);
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return strdup(tmpl);
}

static void
rm_tree(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_merge: could not remove %s\n", dir);
}

/* An origin that publishes through the bench. */
struct org {
	key_secret *ks;
	uint32_t epoch;
	uint64_t seq;
	uint8_t head[BLF_HASH_LEN];
};

static void
org_init(struct org *o, unsigned i)
{
	uint8_t seed[BLF_SEED_LEN];

	memset(o, 0, sizeof(*o));
	memset(seed, 0, sizeof(seed));
	seed[0] = (uint8_t)i;
	seed[1] = (uint8_t)(i >> 8);
	seed[2] = 0x5a;
	if (key_secret_from_seed(seed, "bench", &o->ks) != 0)
		exit(2);
	o->epoch = 1;
}

static void
org_seal(struct org *o, blf_op *ops, size_t n, uint64_t created, blf_buf *out)
{
	blf_delta d;
	blf_envelope env;

	memset(&d, 0, sizeof(d));
	memcpy(d.origin, o->ks->keyid, BLF_KEYID_LEN);
	d.epoch = o->epoch;
	d.seq = o->seq + 1;
	if (o->seq > 0)
		memcpy(d.prev, o->head, BLF_HASH_LEN);
	d.created = created;
	d.nops = n;
	d.ops = ops;
	out->len = 0;
	if (blf_delta_seal(&d, o->ks->sk, out) != 0)
		die("seal", 1);
	if (blf_envelope_parse(out->data, out->len, &env) != 0)
		die("parse", 1);
	blf_envelope_hash(&env, o->head);
	o->seq++;
}

/* ops[i] = list (or exclude) of the /32 at base + i. */
static void
fill_ops(blf_op *ops, size_t n, uint32_t base, unsigned type, uint64_t expires)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].type = (uint8_t)type;
		bench_v4(&ops[i].prefix, base + (uint32_t)i, 32);
		if (type == BLF_OP_LIST) {
			ops[i].reason = 1;
			ops[i].expires = expires;
		}
	}
}

static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } }, { BLF_AF_INET6, 0, { 0 } } };

static void
anchor_add(trust_store *st, const struct org *o, unsigned i, uint32_t weight,
	   blf_prefix *scope, size_t nscope)
{
	trust_anchor a;
	char name[32];

	snprintf(name, sizeof(name), "org-%u", i);
	trust_anchor_init(&a, name, o->ks->pk);
	a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
	a.scope = scope;
	a.nscope = nscope;
	a.authority = scope;
	a.nauthority = nscope;
	a.max4 = 8;
	a.weight = weight;
	if (trust_store_add(st, &a, NULL, 0) != 0)
		die("trust_store_add", 1);
}

/* Apply n ops from o in deltas of NOPS (no fsync), from base. */
static double
publish(core *c, struct org *o, blf_op *ops, size_t n, uint32_t base, unsigned type,
	blf_buf *buf)
{
	size_t k;
	double busy = 0;

	for (k = 0; k < n; k += NOPS) {
		size_t m = n - k < NOPS ? n - k : NOPS;
		double t;
		int rc;

		fill_ops(ops, m, base + (uint32_t)k, type, T0 + 30 * 86400);
		org_seal(o, ops, m, T0, buf);
		t = bench_now();
		if ((rc = core_apply(c, buf->data, buf->len, T0, NULL)) != 0)
			die("core_apply", rc);
		busy += bench_now() - t;
	}
	return busy;
}

/* ---- view build against origins x prefixes --------------------------------- */

struct rkey {
	uint64_t k;
	uint32_t r, pad;
};

static int
rkey_cmp(const void *a, const void *b)
{
	const struct rkey *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k;
}

/* Reference: qsort of n 16-byte keys given in the order the build collects
 * them (origin after origin, each ascending) and sorted the way it sorts
 * them (prefix-major), seconds. */
static double
ref_sort(size_t n, unsigned norigins)
{
	struct rkey *k = malloc(n * sizeof(*k));
	size_t i, per = n / norigins;
	double t;

	if (k == NULL)
		exit(2);
	for (i = 0; i < n; i++) {
		k[i].k = (uint64_t)(i % per) << 32 | (i / per);
		k[i].r = (uint32_t)i;
		k[i].pad = 0;
	}
	t = bench_now();
	qsort(k, n, sizeof(*k), rkey_cmp);
	t = bench_now() - t;
	free(k);
	return t;
}

static void
bench_origins(void)
{
	const char *e = getenv("BENCH_MERGE_ORIGINS");
	char list[256], *tok, *save = NULL;
	size_t nprefix = 100000;
	blf_op *ops = calloc(NOPS, sizeof(*ops));
	blf_buf buf = { 0 };

	if ((e = getenv("BENCH_MERGE_PREFIXES")) != NULL && atol(e) > 0)
		nprefix = (size_t)atol(e);
	snprintf(list, sizeof(list), "%s",
		 getenv("BENCH_MERGE_ORIGINS") ? getenv("BENCH_MERGE_ORIGINS")
					       : "10,100,300,1000");
	printf("view build: N origins each listing the same %zu /32s (weight 100, threshold "
	       "100)\n", nprefix);
	printf("  (ref: qsort of as many 16-byte keys, same run; build/ref is the load-free "
	       "figure)\n");
	printf("  %7s %10s %8s %8s %8s %9s %9s %9s %9s\n", "origins", "listings", "build s",
	       "walk s", "ref s", "build/ref", "ns/lst b", "state B/l", "+view B/l");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned n = (unsigned)atoi(tok), i;
		struct org *orgs = calloc(n, sizeof(*orgs));
		trust_store st = { 0 };
		core_config cfg = { 0 };
		double vb[16], vw[16], vr[16];
		size_t base, after_state, after_view = 0, nlist = (size_t)n * nprefix;
		char *dir = mkdir_tmp();
		core *c;
		int r, rc;

		for (i = 0; i < n; i++) {
			org_init(&orgs[i], i);
			anchor_add(&st, &orgs[i], i, 100, (blf_prefix *)(uintptr_t)all, 2);
		}
		cfg.no_fsync = 1;
		malloc_trim(0);
		base = rss();
		if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
			die("core_open", rc);
		for (i = 0; i < n; i++)
			publish(c, &orgs[i], ops, nprefix, 0x0a000000u, BLF_OP_LIST, &buf);
		after_state = rss();
		for (r = 0; r < runs; r++) {
			core_iter it;
			core_entry en;
			blf_prefix last;
			size_t cnt = 0;
			double t;

			vr[r] = ref_sort(nlist, n);
			/* a trust change makes the next begin build the view whole
			 * (a delta would have it updated) */
			if ((rc = core_set_trust(c, &st)) != 0)
				die("core_set_trust", rc);
			t = bench_now();
			if ((rc = core_iter_begin(c, T0, &it)) != 0)
				die("core_iter_begin", rc);
			vb[r] = bench_now() - t;
			after_view = rss();
			t = bench_now();
			while ((rc = core_iter_next(&it, &en)) > 0) {
				if (en.nprov != n ||
				    (cnt > 0 && blf_prefix_cmp(&last, &en.prefix) >= 0))
					die("view order or provenance", BLF_EINVAL);
				last = en.prefix;
				cnt++;
			}
			vw[r] = bench_now() - t;
			if (rc != 0 || cnt != nprefix)
				die("walk", rc ? it.err : 1);
			core_iter_end(&it);
		}
		{
			double b = bench_median(vb, runs), w = bench_median(vw, runs);
			double rf = bench_median(vr, runs);

			printf("  %7u %10zu %8.3f %8.3f %8.3f %9.2f %9.1f %9.1f %9.1f\n", n, nlist, b,
			       w, rf, b / rf, b * 1e9 / (double)nlist,
			       (double)(after_state - base) / (double)nlist,
			       (double)(after_view - base) / (double)nlist);
		}
		fflush(stdout);
		core_close(c);
		rm_tree(dir);
		free(dir);
		for (i = 0; i < n; i++)
			key_secret_free(orgs[i].ks);
		free(orgs);
		trust_store_free(&st);
	}
	free(ops);
	blf_buf_free(&buf);
}

/* ---- change feed ------------------------------------------------------------- */

static int
count_change(void *arg, int change, const blf_prefix *p, const core_entry *e)
{
	size_t *n = arg;

	(void)change;
	(void)p;
	(void)e;
	n[0]++;
	return 0;
}

static void
bench_feed(void)
{
	const char *e;
	size_t nlist = 10000000, nchg, k;
	blf_op *ops = calloc(NOPS, sizeof(*ops));
	blf_buf buf = { 0 };
	int mode;

	if ((e = getenv("BENCH_FEED_LISTINGS")) != NULL && atol(e) >= (long)NOPS)
		nlist = (size_t)atol(e);
	nlist -= nlist % NOPS;
	nchg = nlist / 100;
	printf("change feed: 1 origin, %zu listings, 1 %% changed (%zu delisted, %zu new)\n",
	       nlist, nchg / 2, nchg / 2);
	printf("  %-8s %10s %12s %12s %12s %10s\n", "feed", "build s", "rebuild s",
	       "changes s", "changes", "RSS MB");
	for (mode = 0; mode < 2; mode++) {
		struct org o;
		trust_store st = { 0 };
		core_config cfg = { 0 };
		double b[16], rb[16], ch[16];
		size_t nchanges = 0, base, after = 0;
		char *dir = mkdir_tmp();
		core *c;
		int r, rc;

		org_init(&o, 7000);
		anchor_add(&st, &o, 0, 100, (blf_prefix *)(uintptr_t)all, 2);
		cfg.no_fsync = 1;
		cfg.change_feed = mode;
		malloc_trim(0);
		base = rss();
		if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
			die("core_open", rc);
		publish(c, &o, ops, nlist, 0x10000000u, BLF_OP_LIST, &buf);
		for (r = 0; r < runs; r++) {
			uint64_t g0, g1, cur;
			double t;
			size_t i;

			/* fresh build, then 1 %: delist nchg/2 old, list nchg/2 new */
			if ((rc = core_set_trust(c, &st)) != 0)
				die("core_set_trust", rc);
			t = bench_now();
			if ((rc = core_view_generation(c, T0, &g0)) != 0)
				die("generation", rc);
			b[r] = bench_now() - t;
			for (k = 0; k < nchg / 2; k += NOPS) {
				size_t m = nchg / 2 - k < NOPS ? nchg / 2 - k : NOPS;

				fill_ops(ops, m, 0x10000000u + (uint32_t)(r * nchg + k * 2),
					 BLF_OP_DELIST, 0);
				org_seal(&o, ops, m, T0, &buf);
				if ((rc = core_apply(c, buf.data, buf.len, T0, NULL)) != 0)
					die("core_apply", rc);
				fill_ops(ops, m, 0x20000000u + (uint32_t)(r * nchg + k), BLF_OP_LIST,
					 T0 + 30 * 86400);
				for (i = 0; i < m; i++)
					ops[i].expires = T0 + 30 * 86400;
				org_seal(&o, ops, m, T0, &buf);
				if ((rc = core_apply(c, buf.data, buf.len, T0, NULL)) != 0)
					die("core_apply", rc);
			}
			t = bench_now();
			if ((rc = core_view_generation(c, T0, &g1)) != 0)
				die("generation", rc);
			rb[r] = bench_now() - t;
			after = rss();
			t = bench_now();
			nchanges = 0;
			if (mode) {
				if ((rc = core_changes_since(c, g0, T0, count_change, &nchanges,
							     &cur)) != 0)
					die("changes", rc);
			}
			ch[r] = bench_now() - t;
		}
		printf("  %-8s %10.2f %12.2f %12.3f %12zu %10.1f\n", mode ? "on" : "off",
		       bench_median(b, runs), bench_median(rb, runs),
		       mode ? bench_median(ch, runs) : 0.0, nchanges,
		       (double)(after - base) / 1e6);
		fflush(stdout);
		core_close(c);
		rm_tree(dir);
		free(dir);
		key_secret_free(o.ks);
		trust_store_free(&st);
	}
	free(ops);
	blf_buf_free(&buf);
}

/* ---- view update after a delta ---------------------------------------------- */

#define UPDATES 5 /* deltas applied and read after each build */

/*
 * One origin lists N /32s (consecutive from 16.0.0.0), the change feed on
 * as in the daemon; then a delta of K operations spread over the whole
 * range (half delist a listed /32, half list a new one beside it) and the
 * time of the read that follows (core_view_generation: the update of the
 * view and of the feed's fingerprints), UPDATES deltas after each build,
 * against the whole build measured in the same run (after a trust
 * change).
 */
static void
bench_update(void)
{
	const char *e = getenv("BENCH_UPDATE_LISTINGS");
	char list[256], *tok, *save = NULL;
	static const size_t ks[] = { 1, 1000 };
	blf_op *ops = calloc(NOPS, sizeof(*ops));
	blf_buf buf = { 0 };

	snprintf(list, sizeof(list), "%s", e != NULL ? e : "1000000,10000000");
	printf("view update after a delta of K ops at N entries (change feed on)\n");
	printf("  %12s %6s %12s %14s %10s\n", "N", "K", "update ms", "full build ms",
	       "full/upd");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t nlist = (size_t)atol(tok), ki, k;
		struct org o;
		trust_store st = { 0 };
		core_config cfg = { 0 };
		char *dir = mkdir_tmp();
		core *c;
		int rc;
		uint32_t next = 0;

		if (nlist < NOPS)
			nlist = NOPS;
		nlist -= nlist % NOPS;
		org_init(&o, 7100);
		anchor_add(&st, &o, 0, 100, (blf_prefix *)(uintptr_t)all, 2);
		cfg.no_fsync = 1;
		cfg.change_feed = 1;
		if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
			die("core_open", rc);
		/* every other /32: a new listing goes beside a listed one */
		for (k = 0; k < nlist; k += NOPS) {
			size_t i;

			fill_ops(ops, NOPS, 0, BLF_OP_LIST, T0 + 30 * 86400);
			for (i = 0; i < NOPS; i++)
				bench_v4(&ops[i].prefix, 0x10000000u + 2 * (uint32_t)(k + i), 32);
			org_seal(&o, ops, NOPS, T0, &buf);
			if ((rc = core_apply(c, buf.data, buf.len, T0, NULL)) != 0)
				die("core_apply", rc);
		}
		for (ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
			double up[16 * UPDATES], fb[16];
			int r, nu = 0, q;

			for (r = 0; r < runs; r++) {
				uint64_t g;
				double t;
				size_t i, K = ks[ki];

				if ((rc = core_set_trust(c, &st)) != 0)
					die("core_set_trust", rc);
				t = bench_now();
				if ((rc = core_view_generation(c, T0, &g)) != 0)
					die("generation", rc);
				fb[r] = bench_now() - t;
				for (q = 0; q < UPDATES; q++) {
				for (i = 0; i < K; i++) {
					/* spread over the listed range, a different place
					 * each time */
					uint32_t at = (uint32_t)((next++ * 2654435761u) % nlist);

					memset(&ops[i], 0, sizeof(ops[i]));
					if (i % 2 == 0 && K > 1) {
						ops[i].type = BLF_OP_DELIST;
						bench_v4(&ops[i].prefix, 0x10000000u + 2 * at, 32);
					} else {
						ops[i].type = BLF_OP_LIST;
						ops[i].reason = 1;
						ops[i].expires = T0 + 30 * 86400;
						bench_v4(&ops[i].prefix, 0x10000000u + 2 * at + 1, 32);
					}
				}
				org_seal(&o, ops, K, T0, &buf);
				if ((rc = core_apply(c, buf.data, buf.len, T0, NULL)) != 0)
					die("core_apply", rc);
				t = bench_now();
				if ((rc = core_view_generation(c, T0, &g)) != 0)
					die("generation", rc);
				up[nu++] = bench_now() - t;
				}
			}
			printf("  %12zu %6zu %12.3f %14.1f %10.0f\n", nlist, ks[ki],
			       bench_median(up, nu) * 1e3, bench_median(fb, runs) * 1e3,
			       bench_median(fb, runs) / bench_median(up, nu));
			fflush(stdout);
		}
		core_close(c);
		rm_tree(dir);
		free(dir);
		key_secret_free(o.ks);
		trust_store_free(&st);
	}
	free(ops);
	blf_buf_free(&buf);
}

/* ---- apply: listings against exclusions --------------------------------------- */

static void
bench_apply(void)
{
	const char *e;
	size_t nauth = 1000, nops = 2000000, i, k, pass;
	blf_prefix *scope;
	blf_op *ops = calloc(NOPS, sizeof(*ops));
	blf_buf *msgs;
	unsigned type;

	if ((e = getenv("BENCH_MERGE_AUTH")) != NULL && atol(e) > 0)
		nauth = (size_t)atol(e);
	if ((scope = calloc(nauth, sizeof(*scope))) == NULL || ops == NULL)
		exit(2);
	/* nauth /16s, the last one holding what is listed */
	for (i = 0; i < nauth; i++)
		bench_v4(&scope[i], 0x0b000000u + (uint32_t)(nauth - 1 - i) * 0x10000u, 16);
	bench_v4(&scope[nauth - 1], 0x0a000000u, 8);
	msgs = calloc(nops / NOPS, sizeof(*msgs));
	printf("apply: %zu operations in deltas of %u, 4 deltas per fsync\n", nops, NOPS);
	for (pass = 0; pass < 2; pass++)
	for (type = BLF_OP_LIST; type <= BLF_OP_EXCLUDE; type += 2) {
		blf_prefix *sc = pass ? scope : (blf_prefix *)(uintptr_t)all;
		size_t nsc = pass ? nauth : 2;
		char label[64];
		double v[16];
		int r;

		for (r = 0; r < runs; r++) {
			struct org o;
			trust_store st = { 0 };
			core_config cfg = { 0 };
			char *dir = mkdir_tmp();
			double busy = 0, t;
			core *c;
			int rc, rcs[4];

			org_init(&o, 7001);
			anchor_add(&st, &o, 0, 100, sc, nsc);
			for (k = 0; k < nops / NOPS; k++) {
				fill_ops(ops, NOPS, 0x0a000000u + (uint32_t)(k * NOPS), type,
					 T0 + 86400);
				org_seal(&o, ops, NOPS, T0, &msgs[k]);
			}
			if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
				die("core_open", rc);
			for (k = 0; k < nops / NOPS; k += 4) {
				const uint8_t *p[4];
				size_t l[4], j, m = nops / NOPS - k < 4 ? nops / NOPS - k : 4;

				for (j = 0; j < m; j++) {
					p[j] = msgs[k + j].data;
					l[j] = msgs[k + j].len;
				}
				t = bench_now();
				if ((rc = core_apply_batch(c, p, l, m, T0, rcs, NULL)) != 0)
					die("core_apply_batch", rc);
				busy += bench_now() - t;
				for (j = 0; j < m; j++)
					if (rcs[j] != 0)
						die("apply item", rcs[j]);
			}
			v[r] = (double)nops / busy;
			core_close(c);
			rm_tree(dir);
			free(dir);
			key_secret_free(o.ks);
			trust_store_free(&st);
		}
		snprintf(label, sizeof(label), "%s, %zu-prefix scope (ops/s)",
			 type == BLF_OP_LIST ? "listings" : "exclusions", nsc);
		printf("  %-40s %12.0f %12s\n", label, bench_median(v, runs), ">= 1000000");
		fflush(stdout);
	}
	for (k = 0; k < nops / NOPS; k++)
		blf_buf_free(&msgs[k]);
	free(msgs);
	free(scope);
	free(ops);
}

/* ---- why ------------------------------------------------------------------------ */

static void
bench_why(void)
{
	struct org lister, owner;
	trust_store st = { 0 };
	core_config cfg = { 0 };
	blf_op *ops = calloc(NOPS, sizeof(*ops));
	blf_buf buf = { 0 };
	char *dir = mkdir_tmp();
	double v[16], vw[16];
	size_t before = 0, peak = 0, total = 0;
	core *c;
	int r, rc;

	org_init(&lister, 7002);
	org_init(&owner, 7003);
	anchor_add(&st, &lister, 0, 100, (blf_prefix *)(uintptr_t)all, 2);
	anchor_add(&st, &owner, 1, 1, (blf_prefix *)(uintptr_t)all, 2);
	cfg.no_fsync = 1;
	if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
		die("core_open", rc);
	/* 12,151 listings in 10.1.0.0/16, one exclusion of the /16 */
	publish(c, &lister, ops, 12151, 0x0a010000u, BLF_OP_LIST, &buf);
	memset(&ops[0], 0, sizeof(ops[0]));
	ops[0].type = BLF_OP_EXCLUDE;
	bench_v4(&ops[0].prefix, 0x0a010000u, 16);
	org_seal(&owner, ops, 1, T0, &buf);
	if ((rc = core_apply(c, buf.data, buf.len, T0, NULL)) != 0)
		die("core_apply", rc);
	/* and 500,000 more elsewhere for the wide query */
	publish(c, &lister, ops, 500000, 0x14000000u, BLF_OP_LIST, &buf);
	for (r = 0; r < runs; r++) {
		blf_prefix q, q16, q0;
		core_why w;
		double t;
		int i, n = 200;

		bench_v4(&q, 0x0a010005u, 32);
		bench_v4(&q16, 0x0a010000u, 16);
		bench_v4(&q0, 0, 0);
		if ((rc = core_why_query(c, &q, T0, &w)) != 0 || w.verdict != CORE_EXCLUDED)
			die("why", rc ? rc : BLF_EINVAL);
		core_why_free(&w);
		t = bench_now();
		for (i = 0; i < n; i++) {
			if ((rc = core_why_query(c, &q16, T0, &w)) != 0 || w.total != 12152)
				die("why /16", rc ? rc : BLF_EINVAL);
			core_why_free(&w);
		}
		v[r] = (bench_now() - t) / n;
		malloc_trim(0);
		before = rss();
		t = bench_now();
		if ((rc = core_why_query(c, &q0, T0, &w)) != 0)
			die("why 0/0", rc);
		vw[r] = bench_now() - t;
		peak = rss();
		total = w.total;
		core_why_free(&w);
	}
	printf("why: 12,151 listings in a /16 removed by one exclusion; 512,151 listings\n");
	printf("  %-34s %14.2f\n", "why of the /16 (ms)", bench_median(v, runs) * 1e3);
	printf("  %-34s %14.2f\n", "why 0.0.0.0/0, first page (ms)", bench_median(vw, runs) * 1e3);
	printf("  %-34s %14zu\n", "  records counted (total)", total);
	printf("  %-34s %14.1f\n", "  resident memory added (MB)",
	       peak > before ? (double)(peak - before) / 1e6 : 0.0);
	core_close(c);
	rm_tree(dir);
	free(dir);
	key_secret_free(lister.ks);
	key_secret_free(owner.ks);
	trust_store_free(&st);
	free(ops);
	blf_buf_free(&buf);
}

int
main(void)
{
	const char *e, *only = getenv("BENCH_MERGE_ONLY");

	if ((e = getenv("BENCH_RUNS")) != NULL && atoi(e) > 0 && atoi(e) <= 15)
		runs = atoi(e);
	if ((e = getenv("BENCH_DIR")) != NULL)
		snprintf(basedir, sizeof(basedir), "%s", e);
	if (blf_init() != 0)
		return 2;
	if (only == NULL || strstr(only, "apply"))
		bench_apply();
	if (only == NULL || strstr(only, "why"))
		bench_why();
	if (only == NULL || strstr(only, "origins"))
		bench_origins();
	if (only == NULL || strstr(only, "feed"))
		bench_feed();
	if (only == NULL || strstr(only, "update"))
		bench_update();
	return 0;
}
