/*
 * bench_core.c - the agent core against the figures, beside the
 * library limits measured in the same run.
 *
 *   apply    deltas of 10,000 list operations, signature checked and the
 *            journal fsynced (one fsync per delta, and a batch of
 *            BENCH_BATCH deltas under one fsync), operations per second;
 *   restart  core_open from checkpoint + journal tail, seconds;
 *   memory   resident bytes per (origin, prefix) listing after the restart
 *            and after the merged view is built (real RSS, /proc/self/statm);
 *   view     time to build the merged view (wall clock and CPU time of
 *            the process); why lookups per second.
 *
 * Workload references are realistic (as a run on 2 M listings sampled from
 * real allocations had them): 0.86 distinct evidence references per
 * listing, each of the shape "https://<org>.example/evidence/<base36 id>"
 * (8 organisations, 40 to 46 bytes); listing i carries reference
 * floor(i * 86 / 100), so 14 % of the references are shared by two
 * neighbouring listings.
 *
 *   restart (journal only): core_open with the checkpoint removed, every
 *            delta replayed; the checkpoint must beat it.
 *
 * References: Ed25519 verify of 64 bytes, msgpack_unpack_next over one
 * 10,000-op delta body, fsync latency (median of 50 fsyncs of a 4 KiB
 * append in the bench directory).  Each figure is the median of BENCH_RUNS
 * runs (default 3).  BENCH_LISTINGS (default 10,000,000) scales the sizes
 * down; BENCH_DIR (default /var/tmp) holds the data directories.
 * BENCH_FEED=1 opens the core with core_config.change_feed, as the daemon
 * does when it exports: the view build then also fingerprints the view,
 * and the memory figures include the fingerprints.  BENCH_VIEW_REBUILD=1
 * opens it with core_config.view_rebuild (blfedd's `view-updates no`): no
 * index of the accepted records is kept between reads of the view.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

#include "../../agent/core/core.h"
#include "bench_util.h"

#define NOPS 10000u
#define T0 1767225600ULL
#define REF_MAX 64u

static int runs = 3;

/* CPU seconds of this process (user + system): on a shared machine the
 * wall clock also counts the time others held the CPU. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static size_t nlist = 10000000;
static size_t batch = 4;
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
rm_tree(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_core: could not remove %s\n", dir);
}

static char *
mkdir_tmp(void)
{
	char tmpl[600];

	snprintf(tmpl, sizeof(tmpl), "%s/blfed-bench-core.XXXXXX", basedir);
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return strdup(tmpl);
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_core: %s: %s\n", what, blf_strerror(rc));
	exit(2);
}

/* ---- references ---------------------------------------------------------- */

static double
ref_verify(const key_secret *ks)
{
	uint8_t m[64], sig[64];
	double v[16];
	int r, i, n = 3000;

	memset(m, 7, sizeof(m));
	crypto_sign_detached(sig, NULL, m, sizeof(m), ks->sk);
	for (r = 0; r < runs; r++) {
		double t = bench_now();

		for (i = 0; i < n; i++)
			if (crypto_sign_verify_detached(sig, m, sizeof(m), ks->pk) != 0)
				exit(2);
		v[r] = n / (bench_now() - t);
	}
	return bench_median(v, runs);
}

/* msgpack_unpack_next over a delta body: operations per second. */
static double
ref_unpack(const blf_buf *msg)
{
	blf_envelope env;
	msgpack_unpacked u;
	double v[16];
	int r, i, reps = 20;

	if (blf_envelope_parse(msg->data, msg->len, &env) != 0)
		exit(2);
	msgpack_unpacked_init(&u);
	for (r = 0; r < runs; r++) {
		double t = bench_now();

		for (i = 0; i < reps; i++) {
			size_t off = 0;

			if (msgpack_unpack_next(&u, (const char *)env.body, env.body_len, &off) !=
			    MSGPACK_UNPACK_SUCCESS)
				exit(2);
		}
		v[r] = (double)NOPS * reps / (bench_now() - t);
	}
	msgpack_unpacked_destroy(&u);
	return bench_median(v, runs);
}

/* Median latency of 50 fsyncs of a 4 KiB append, seconds. */
static double
ref_fsync(const char *dir)
{
	char path[700];
	uint8_t blk[4096];
	double v[50];
	int fd, i;

	snprintf(path, sizeof(path), "%s/fsync.tmp", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		exit(2);
	memset(blk, 1, sizeof(blk));
	for (i = 0; i < 50; i++) {
		double t;

		if (write(fd, blk, sizeof(blk)) != (ssize_t)sizeof(blk))
			exit(2);
		t = bench_now();
		fsync(fd);
		v[i] = bench_now() - t;
	}
	close(fd);
	unlink(path);
	return bench_median(v, 50);
}

/* ---- workload ------------------------------------------------------------ */

static char (*refs)[REF_MAX]; /* one delta's references */

/* The reference of listing i (see the top of the file). */
static void
ref_of(uint64_t i, char *buf)
{
	static const char *orgs[8] = { "spamhaus", "abuse-cn", "cert-eu", "asct",
				       "jpcert", "krcert", "surbl", "uceprotect" };
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint64_t id = i * 86 / 100, v = (id * 0x9e3779b97f4a7c15ULL) >> 24;
	char tail[16];
	int n = 0;

	do {
		tail[n++] = digits[v % 36];
		v /= 36;
	} while (v != 0 && n < 9);
	snprintf(buf, REF_MAX, "https://%s.example/evidence/%.*s", orgs[id % 8], n, tail);
}

/* Seal delta k (listings k*NOPS ... +NOPS-1: /32s from 1.0.0.0 up). */
static void
make_delta(const key_secret *ks, blf_op *ops, uint64_t k, const uint8_t prev[BLF_HASH_LEN],
	   size_t n, blf_buf *out)
{
	blf_delta d;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t a = 0x01000000u + (uint32_t)(k * NOPS + i);

		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].type = BLF_OP_LIST;
		ops[i].prefix.af = BLF_AF_INET;
		ops[i].prefix.len = 32;
		ops[i].prefix.addr[0] = (uint8_t)(a >> 24);
		ops[i].prefix.addr[1] = (uint8_t)(a >> 16);
		ops[i].prefix.addr[2] = (uint8_t)(a >> 8);
		ops[i].prefix.addr[3] = (uint8_t)a;
		ops[i].reason = 1;
		ops[i].expires = T0 + 30 * 86400;
		ref_of(k * NOPS + i, refs[i]);
		ops[i].ref = refs[i];
		ops[i].ref_len = (uint16_t)strlen(ops[i].ref);
	}
	memset(&d, 0, sizeof(d));
	memcpy(d.origin, ks->keyid, BLF_KEYID_LEN);
	d.epoch = 1;
	d.seq = k + 1;
	if (prev != NULL)
		memcpy(d.prev, prev, BLF_HASH_LEN);
	d.created = T0;
	d.nops = n;
	d.ops = ops;
	out->len = 0;
	if (blf_delta_seal(&d, ks->sk, out) != 0)
		die("seal", 1);
}

int
main(void)
{
	const char *e;
	uint8_t seed[BLF_SEED_LEN];
	key_secret *ks = NULL;
	trust_store st = { 0 };
	trust_anchor a;
	static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } },
					   { BLF_AF_INET6, 0, { 0 } } };
	blf_buf *msgs;
	blf_op *ops;
	size_t ndeltas, i, k, base, after_open, after_view, nview = 0;
	uint8_t prev[BLF_HASH_LEN];
	double t, v_verify, v_unpack, v_fsync, v_seal;
	double ap1[16], apb[16], rs[16], vb[16], vbc[16], tv, why_rate = 0, ck_time = 0, replay = 0;
	double cp1[16], cpb[16];
	size_t nrefs = 0;
	char *dir;
	core *c;
	core_config cfg = { 0 };
	int r, rc;

	if ((e = getenv("BENCH_RUNS")) != NULL && atoi(e) > 0 && atoi(e) <= 15)
		runs = atoi(e);
	if ((e = getenv("BENCH_LISTINGS")) != NULL && atol(e) >= (long)NOPS)
		nlist = (size_t)atol(e);
	if ((e = getenv("BENCH_BATCH")) != NULL && atoi(e) > 0)
		batch = (size_t)atoi(e);
	if ((e = getenv("BENCH_DIR")) != NULL)
		snprintf(basedir, sizeof(basedir), "%s", e);
	if ((e = getenv("BENCH_FEED")) != NULL && atoi(e) > 0)
		cfg.change_feed = 1;
	if ((e = getenv("BENCH_VIEW_REBUILD")) != NULL && atoi(e) > 0)
		cfg.view_rebuild = 1;
	ndeltas = nlist / NOPS;
	nlist = ndeltas * NOPS;
	if (blf_init() != 0)
		return 2;
	if ((refs = calloc(NOPS, sizeof(*refs))) == NULL)
		return 2;
	memset(seed, 0x42, sizeof(seed));
	if (key_secret_from_seed(seed, "bench", &ks) != 0)
		return 2;
	trust_anchor_init(&a, "bench-origin", ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)all;
	a.nscope = 2;
	if (trust_store_add(&st, &a, NULL, 0) != 0)
		return 2;

	/* the workload: ndeltas chained deltas of NOPS list operations */
	ops = calloc(NOPS, sizeof(*ops));
	msgs = calloc(ndeltas, sizeof(*msgs));
	if (ops == NULL || msgs == NULL)
		return 2;
	t = bench_now();
	for (k = 0; k < ndeltas; k++) {
		blf_envelope env;

		make_delta(ks, ops, k, k ? prev : NULL, NOPS, &msgs[k]);
		if (blf_envelope_parse(msgs[k].data, msgs[k].len, &env) != 0)
			return 2;
		blf_envelope_hash(&env, prev);
	}
	v_seal = (double)nlist / (bench_now() - t);

	dir = mkdir_tmp();
	v_verify = ref_verify(ks);
	v_unpack = ref_unpack(&msgs[0]);
	v_fsync = ref_fsync(dir);
	rm_tree(dir);
	free(dir);

	printf("agent core: %zu listings in %zu deltas of %u list ops, %d runs, batch %zu\n",
	       nlist, ndeltas, NOPS, runs, batch);
	if (cfg.change_feed)
		printf("  (change feed on, as in the daemon)\n");
	if (cfg.view_rebuild)
		printf("  (view rebuilt after changes: no index kept, view-updates no)\n");
	printf("  delta envelope size          %zu bytes (%.1f per op)\n", msgs[0].len,
	       (double)msgs[0].len / NOPS);
	printf("  (workload sealing            %.0f ops/s, not a target)\n", v_seal);

	/* apply: one fsync per delta, then batches under one fsync */
	for (r = 0; r < runs; r++) {
		int mode;

		for (mode = 0; mode < 2; mode++) {
			int last = r == runs - 1 && mode == 1;
			double busy = 0, cpu = 0, tc0;
			int ckdone = 0;

			dir = mkdir_tmp();
			if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
				die("core_open", rc);
			for (k = 0; k < ndeltas; k += mode ? batch : 1) {
				size_t n = mode ? (ndeltas - k < batch ? ndeltas - k : batch) : 1;
				const uint8_t *p[64];
				size_t l[64];
				int rcs[64];

				if (last && !ckdone && k >= ndeltas - ndeltas / 10) {
					/* the restart test's checkpoint: 90 % in it */
					double tc = bench_now();

					if ((rc = core_checkpoint(c)) != 0)
						die("checkpoint", rc);
					ck_time = bench_now() - tc;
					ckdone = 1;
				}
				t = bench_now();
				tc0 = cpu_now();
				if (mode == 0) {
					if ((rc = core_apply(c, msgs[k].data, msgs[k].len, T0, NULL)) != 0)
						die("core_apply", rc);
				} else {
					for (i = 0; i < n && i < 64; i++) {
						p[i] = msgs[k + i].data;
						l[i] = msgs[k + i].len;
					}
					if ((rc = core_apply_batch(c, p, l, n, T0, rcs, NULL)) != 0)
						die("core_apply_batch", rc);
					for (i = 0; i < n; i++)
						if (rcs[i] != 0)
							die("core_apply_batch item", rcs[i]);
				}
				busy += bench_now() - t;
				cpu += cpu_now() - tc0;
			}
			(mode ? apb : ap1)[r] = (double)nlist / busy;
			(mode ? cpb : cp1)[r] = (double)nlist / cpu;
			core_close(c);
			if (!last) {
				rm_tree(dir);
				free(dir);
			}
		}
		if (r < runs - 1)
			continue;
	}
	/* restart from checkpoint + journal tail; memory after */
	for (k = 0; k < ndeltas; k++)
		blf_buf_free(&msgs[k]);
	free(msgs);
	free(ops);
	malloc_trim(0); /* freed workload memory must not hide in the baseline */
	base = rss();
	after_open = after_view = base;
	for (r = 0; r < runs; r++) {
		core_iter it;
		core_entry en;
		core_stats s;

		t = bench_now();
		if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
			die("restart", rc);
		rs[r] = bench_now() - t;
		core_get_stats(c, &s);
		if (s.nlistings != nlist) {
			fprintf(stderr, "bench_core: restart holds %zu listings, not %zu\n",
				s.nlistings, nlist);
			return 2;
		}
		after_open = rss();
		nrefs = s.nrefs;
		t = bench_now();
		tv = cpu_now();
		if ((rc = core_iter_begin(c, T0, &it)) != 0)
			die("view", rc);
		vb[r] = bench_now() - t;
		vbc[r] = cpu_now() - tv;
		after_view = rss();
		nview = 0;
		while (core_iter_next(&it, &en) > 0)
			nview++;
		core_iter_end(&it);
		if (r == runs - 1) {
			blf_prefix q;
			core_why w;
			int n = 20000;

			t = bench_now();
			for (i = 0; i < (size_t)n; i++) {
				uint32_t addr = 0x01000000u + (uint32_t)((i * 7919) % nlist);

				memset(&q, 0, sizeof(q));
				q.af = BLF_AF_INET;
				q.len = 32;
				q.addr[0] = (uint8_t)(addr >> 24);
				q.addr[1] = (uint8_t)(addr >> 16);
				q.addr[2] = (uint8_t)(addr >> 8);
				q.addr[3] = (uint8_t)addr;
				if (core_why_query(c, &q, T0, &w) != 0 || w.verdict != CORE_LISTED)
					die("why", 1);
				core_why_free(&w);
			}
			why_rate = n / (bench_now() - t);
		}
		core_close(c);
	}
	/* the same restart with the checkpoint gone: the whole journal replayed */
	{
		char ck[700];
		core_stats s;

		snprintf(ck, sizeof(ck), "%s/checkpoint", dir);
		(void)unlink(ck); /* none if the run was too short to take one */
		t = bench_now();
		if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
			die("replay", rc);
		replay = bench_now() - t;
		core_get_stats(c, &s);
		if (s.nlistings != nlist)
			die("replay holds too few listings", BLF_ECORRUPT);
		core_close(c);
	}
	rm_tree(dir);
	free(dir);

	{
		double a1 = bench_median(ap1, runs), ab = bench_median(apb, runs), rst = bench_median(rs, runs);
		double vbt = bench_median(vb, runs);
		double mem_state = (double)(after_open - base) / (double)nlist;
		double mem_view = (double)(after_view - base) / (double)nlist;

		printf("  %-34s %14s %14s\n", "figure", "measured", "target");
		printf("  %-34s %14.0f %14s\n", "apply, fsync per delta (ops/s)", a1, ">= 1000000");
		printf("  %-34s %14.0f %14s\n", "apply, batched fsync (ops/s)", ab, ">= 1000000");
		printf("  %-34s %14.0f %14s\n", "apply, per CPU second, fsync/delta",
		       bench_median(cp1, runs), "");
		printf("  %-34s %14.0f %14s\n", "apply, per CPU second, batched",
		       bench_median(cpb, runs), "");
		printf("  %-34s %14.2f %14s\n", "restart ckpt+10% journal (s)", rst, "<= 3");
		printf("  %-34s %14.2f %14s\n", "restart journal only (s)", replay, "> ckpt");
		printf("  %-34s %14.3f %14s\n", "distinct refs per listing",
		       (double)nrefs / (double)nlist, "");
		printf("  %-34s %14.1f %14s\n", "memory: state (B/listing)", mem_state, "");
		printf("  %-34s %14.1f %14s\n", "memory: state+view (B/listing)", mem_view,
		       "<= 64");
		printf("  %-34s %14.2f %14s\n", "view build (s)", vbt, "");
		printf("  %-34s %14.2f %14s\n", "view build, CPU (s)", bench_median(vbc, runs), "");
		printf("  %-34s %14zu %14s\n", "view entries", nview, "");
		printf("  %-34s %14.0f %14s\n", "why lookups (/s)", why_rate, "");
		printf("  %-34s %14.2f %14s\n", "checkpoint write at 90% (s)", ck_time, "");
		printf("  references, same run:\n");
		printf("  %-34s %14.0f\n", "Ed25519 verify 64 B (/s)", v_verify);
		printf("  %-34s %14.0f\n", "msgpack_unpack_next (ops/s)", v_unpack);
		printf("  %-34s %14.2f\n", "fsync 4 KiB append, median (ms)", v_fsync * 1e3);
		printf("  ratios:\n");
		printf("  %-34s %14.2f\n", "apply(fsync/delta) / unpack", a1 / v_unpack);
		printf("  %-34s %14.2f\n", "apply(batched) / unpack", ab / v_unpack);
		printf("  %-34s %14.1f\n", "deltas/s, fsync per delta", a1 / NOPS);
		printf("  %-34s %14.2f\n", "time per delta / fsync latency",
		       ((double)NOPS / a1) / v_fsync);
	}
	free(refs);
	trust_store_free(&st);
	key_secret_free(ks);
	return 0;
}
