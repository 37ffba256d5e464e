/*
 * bench_snapshot.c - bootstrap of a large origin from its snapshot (SPEC
 * 6.5, 6.8) against catch-up of the same state as deltas.
 *
 * An origin holding N listings (BENCH_LISTINGS, default 1,000,000; /24s
 * with realistic evidence references) is published in deltas of 10,000
 * operations; it keeps its snapshot (core_snapshot_keep), and the chunks
 * are read back as a relay serves them (core_snapshot_chunk).  Then, each
 * in a child process of its own, on a fresh data directory with fsync on:
 *
 *   snapshot   core_snapshot_take of all the chunks (every signature
 *              verified, the state built, base and kept file written)
 *   spooled    the same snapshot as blfedd gathers it: core_spool_add of
 *              each chunk as it comes (verified, written to a file in the
 *              data directory), then core_spool_take (applied from the
 *              file one chunk at a time, the file kept to serve)
 *   catch-up   core_apply_batch of the N / 10,000 deltas, 256 at a time
 *              (what a new agent does when the deltas are still held:
 *              the reference)
 *
 * Each child reports its wall time and peak resident size (getrusage
 * ru_maxrss), which includes the chunks and deltas it inherited from the
 * parent (read before the clock starts); the reference is a child that
 * only opens an empty data directory, with the same inheritance.  Runs BENCH_RUNS (default 3) times; medians.
 * BENCH_DIR (default /var/tmp) holds the data directories.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../agent/core/core.h"
#include "bench_util.h"

#define NOPS 10000u
#define T0 1767225600ULL

static trust_store st;
static uint8_t **msgs;   /* the deltas */
static size_t *lens, nmsgs;
static uint8_t **chunks; /* the snapshot's chunks as served */
static size_t *clens, nchunks;
static uint8_t ks_keyid[BLF_KEYID_LEN]; /* the origin */

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_snapshot: %s: %s\n", what, blf_strerror(rc));
	exit(2);
}

struct res {
	double secs;
	long kib;
	int rc;
};

/* In a child: bootstrap dir from the snapshot held in memory (mode 0),
 * from the deltas (1), from the snapshot gathered chunk by chunk into a
 * file as blfedd does (3: core_spool), or only open it (2: the reference). */
static struct res
child(const char *dir, int mode)
{
	struct res r = { 0, -1, -1 };
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		exit(2);
	if (pid == 0) {
		core_config cfg = { 0 };
		struct rusage ru;
		struct res v = { 0, -1, 0 };
		core *c;
		double t;
		int applied;

		close(fds[0]);
		cfg.journal_max = 1ull << 40;
		if ((v.rc = core_open(dir, &cfg, &st, &c)) == 0) {
			t = bench_now();
			if (mode == 2) {
				/* the reference: nothing but the open */
			} else if (mode == 0) {
				v.rc = core_snapshot_take(c, (const uint8_t *const *)chunks, clens,
							  nchunks, T0 + 60, 0, &applied);
			} else if (mode == 3) {
				core_spool *sp = NULL;
				size_t i;

				v.rc = core_spool_begin(c, ks_keyid, &sp);
				for (i = 0; i < nchunks && v.rc == 0; i++)
					v.rc = core_spool_add(sp, chunks[i], clens[i], T0 + 60);
				if (v.rc == 0)
					v.rc = core_spool_take(sp, T0 + 60, 0, &applied);
				core_spool_free(sp);
			} else {
				static int rcs[256];
				size_t i, k;

				for (i = 0; i < nmsgs && v.rc == 0; i += k) {
					k = nmsgs - i < 256 ? nmsgs - i : 256;
					v.rc = core_apply_batch(c, (const uint8_t *const *)msgs + i,
								lens + i, k, T0 + 60, rcs, NULL);
					if (v.rc == 0 && rcs[k - 1] != 0)
						v.rc = rcs[k - 1];
				}
			}
			v.secs = bench_now() - t;
			getrusage(RUSAGE_SELF, &ru);
			v.kib = ru.ru_maxrss;
			core_close(c);
		}
		if (write(fds[1], &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		r.rc = -1;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return r;
}

static int
lcmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } },
					   { BLF_AF_INET6, 0, { 0 } } };
	const char *e, *basedir = "/var/tmp";
	size_t n = 1000000, i, k;
	int runs = 3, run, rc;
	uint8_t seed[BLF_SEED_LEN];
	char (*refs)[64], tmpl[600], dir[700], cmd[800];
	key_secret *ks = NULL;
	trust_anchor a;
	blf_op *ops;
	core_config cfg = { 0 };
	core_snap_info info;
	core *c;
	double ts[4][16];
	long ks_[4][16];
	uint64_t bytes = 0, dbytes = 0;

	if ((e = getenv("BENCH_LISTINGS")) != NULL)
		n = strtoul(e, NULL, 10);
	if ((e = getenv("BENCH_RUNS")) != NULL)
		runs = atoi(e);
	if (runs < 1 || runs > 16)
		runs = 3;
	if ((e = getenv("BENCH_DIR")) != NULL)
		basedir = e;
	if (blf_init() != 0)
		return 2;
	memset(seed, 0x44, sizeof(seed));
	if (key_secret_from_seed(seed, "bench", &ks) != 0)
		return 2;
	trust_anchor_init(&a, "bench-origin", ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)all;
	a.nscope = 2;
	if (trust_store_add(&st, &a, NULL, 0) != 0)
		return 2;
	ops = calloc(NOPS, sizeof(*ops));
	refs = calloc(NOPS, sizeof(*refs));
	nmsgs = (n + NOPS - 1) / NOPS;
	msgs = calloc(nmsgs, sizeof(*msgs));
	lens = calloc(nmsgs, sizeof(*lens));
	if (ops == NULL || refs == NULL || msgs == NULL || lens == NULL)
		return 2;
	snprintf(tmpl, sizeof(tmpl), "%s/blfed-bench-snap.XXXXXX", basedir);
	if (mkdtemp(tmpl) == NULL)
		return 2;
	snprintf(dir, sizeof(dir), "%s/origin", tmpl);
	cfg.no_fsync = 1;
	cfg.journal_max = 1ull << 40;
	if ((rc = core_open(dir, &cfg, &st, &c)) != 0)
		die("core_open", rc);
	for (k = 0; k < nmsgs; k++) {
		blf_buf out = { 0 };
		size_t m = n - k * NOPS < NOPS ? n - k * NOPS : NOPS;

		for (i = 0; i < m; i++) {
			uint32_t ad = 0x01000000u + (uint32_t)(k * NOPS + i) * 256u;

			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].type = BLF_OP_LIST;
			ops[i].prefix.af = BLF_AF_INET;
			ops[i].prefix.len = 24;
			ops[i].prefix.addr[0] = (uint8_t)(ad >> 24);
			ops[i].prefix.addr[1] = (uint8_t)(ad >> 16);
			ops[i].prefix.addr[2] = (uint8_t)(ad >> 8);
			ops[i].reason = 1;
			ops[i].expires = T0 + 30 * 86400;
			snprintf(refs[i], sizeof(refs[i]), "https://cert.example/evidence/%lx",
				 (unsigned long)((k * NOPS + i) * 2654435761u));
			ops[i].ref = refs[i];
			ops[i].ref_len = (uint16_t)strlen(refs[i]);
		}
		if ((rc = core_publish(c, ks, ops, m, T0, &out)) != 0)
			die("core_publish", rc);
		msgs[k] = out.data;
		lens[k] = out.len;
		dbytes += out.len;
	}
	if ((rc = core_snapshot_keep(c, ks, T0 + 30)) != 0)
		die("core_snapshot_keep", rc);
	if ((rc = core_snapshot_kept(c, ks->keyid, &info)) != 0)
		die("core_snapshot_kept", rc);
	nchunks = info.nchunks;
	chunks = calloc(nchunks, sizeof(*chunks));
	clens = calloc(nchunks, sizeof(*clens));
	if (chunks == NULL || clens == NULL)
		return 2;
	for (i = 0; i < nchunks; i++) {
		if ((rc = core_snapshot_chunk(c, ks->keyid, (uint32_t)i, &info, &chunks[i],
					      &clens[i])) != 0)
			die("core_snapshot_chunk", rc);
		bytes += clens[i];
	}
	core_close(c);
	memcpy(ks_keyid, ks->keyid, BLF_KEYID_LEN);
	for (run = 0; run < runs; run++) {
		for (k = 0; k < 4; k++) {
			struct res r;

			snprintf(dir, sizeof(dir), "%s/boot%d%zu", tmpl, run, k);
			r = child(dir, (int)k);
			if (r.rc != 0)
				die(k == 0 ? "snapshot bootstrap" : k == 1 ? "catch-up bootstrap"
					    : k == 3 ? "spooled snapshot bootstrap" : "reference open",
				    r.rc);
			ts[k][run] = r.secs;
			ks_[k][run] = r.kib;
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
			if (system(cmd) != 0)
				return 2;
		}
	}
	printf("bootstrap of one origin with %zu listings (fsync on), %d runs, medians\n", n,
	       runs);
	for (k = 0; k < 4; k++)
		qsort(ks_[k], (size_t)runs, sizeof(long), lcmp);
	printf("  reference: a child that only opens an empty data directory: peak RSS "
	       "%ld KiB\n", ks_[2][runs / 2]);
	for (k = 0; k < 2; k++) {
		printf("  %-9s %6zu %-7s %8.1f MB  %8.2f s  peak RSS %7ld KiB\n",
		       k == 0 ? "snapshot" : "catch-up", k == 0 ? nchunks : nmsgs,
		       k == 0 ? "chunks" : "deltas", (double)(k == 0 ? bytes : dbytes) / 1e6,
		       bench_median(ts[k], runs), ks_[k][runs / 2]);
	}
	printf("  %-9s %6zu %-7s %8.1f MB  %8.2f s  peak RSS %7ld KiB\n", "spooled", nchunks,
	       "chunks", (double)bytes / 1e6, bench_median(ts[3], runs), ks_[3][runs / 2]);
	printf("  peak RSS above the reference: snapshot %ld KiB, catch-up %ld KiB, spooled "
	       "%ld KiB\n", ks_[0][runs / 2] - ks_[2][runs / 2],
	       ks_[1][runs / 2] - ks_[2][runs / 2], ks_[3][runs / 2] - ks_[2][runs / 2]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	return system(cmd) != 0 ? 2 : 0;
}
