/*
 * bench_recovery.c - recovery's peak memory against the journal's size.
 *
 * One origin re-lists the same 10,000 prefixes (each with its own evidence
 * reference) in D deltas of 10,000 operations: the state stays at 10,000
 * listings while the journal grows with D.  core_open then recovers it
 * with no checkpoint (the whole journal replayed: the worst case) in a
 * child process, which reports its peak resident size (getrusage
 * ru_maxrss) and whether the open also succeeds under an address-space
 * limit of 400 MB (setrlimit RLIMIT_AS, as `ulimit -v 400000`).
 *
 * Reference, same run: the peak of a child that opens an empty data
 * directory.  The figure is the peak above it; it must not grow with D
 * (bounded by the largest record, 4 MiB, plus the state).
 *
 * BENCH_DELTAS="50 200 800" sets the journal sizes; BENCH_DIR (default
 * /var/tmp) holds the data directories.
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

static char basedir[512] = "/var/tmp";
static trust_store st;

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_recovery: %s: %s\n", what, blf_strerror(rc));
	exit(2);
}

/* In a child: open dir (limit: RLIMIT_AS bytes, 0 none), report the peak
 * RSS in KiB, or -1 if the open failed. */
static long
child_open(const char *dir, rlim_t limit)
{
	int fds[2], status;
	long kib = -1;
	pid_t pid;

	if (pipe(fds) != 0)
		exit(2);
	if ((pid = fork()) < 0)
		exit(2);
	if (pid == 0) {
		core_config cfg = { 0 };
		struct rusage ru;
		core *c;
		long v = -1;

		close(fds[0]);
		if (limit != 0) {
			struct rlimit rl = { limit, limit };

			setrlimit(RLIMIT_AS, &rl);
		}
		cfg.no_fsync = 1;
		if (core_open(dir, &cfg, &st, &c) == 0) {
			getrusage(RUSAGE_SELF, &ru);
			v = ru.ru_maxrss;
			core_close(c);
		}
		if (write(fds[1], &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &kib, sizeof(kib)) != (ssize_t)sizeof(kib))
		kib = -1;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return kib;
}

/* Reference per listing, of realistic shape (see bench_core.c). */
static void
ref_of(size_t i, char *buf, size_t cap)
{
	static const char *orgs[] = { "abuse-cn", "spamhaus", "cert-eu", "asct", "jpcert" };

	snprintf(buf, cap, "https://%s.example/evidence/%lx", orgs[i % 5],
		 (unsigned long)(i * 2654435761u));
}

int
main(void)
{
	static const blf_prefix all[2] = { { BLF_AF_INET, 0, { 0 } },
					   { BLF_AF_INET6, 0, { 0 } } };
	const char *e, *list = "50 200 800";
	uint8_t seed[BLF_SEED_LEN], prev[BLF_HASH_LEN];
	char (*refs)[64], tmpl[600], cmd[800];
	key_secret *ks = NULL;
	trust_anchor a;
	blf_op *ops;
	blf_buf msg = { 0 };
	long base;
	size_t i;

	if ((e = getenv("BENCH_DELTAS")) != NULL)
		list = e;
	if ((e = getenv("BENCH_DIR")) != NULL)
		snprintf(basedir, sizeof(basedir), "%s", e);
	if (blf_init() != 0)
		return 2;
	memset(seed, 0x43, sizeof(seed));
	if (key_secret_from_seed(seed, "bench", &ks) != 0)
		return 2;
	trust_anchor_init(&a, "bench-origin", ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)all;
	a.nscope = 2;
	if (trust_store_add(&st, &a, NULL, 0) != 0)
		return 2;
	ops = calloc(NOPS, sizeof(*ops));
	refs = calloc(NOPS, sizeof(*refs));
	if (ops == NULL || refs == NULL)
		return 2;
	for (i = 0; i < NOPS; i++) {
		uint32_t ad = 0x0a000000u + (uint32_t)i * 256u;

		ops[i].type = BLF_OP_LIST;
		ops[i].prefix.af = BLF_AF_INET;
		ops[i].prefix.len = 24;
		ops[i].prefix.addr[0] = (uint8_t)(ad >> 24);
		ops[i].prefix.addr[1] = (uint8_t)(ad >> 16);
		ops[i].prefix.addr[2] = (uint8_t)(ad >> 8);
		ops[i].reason = 1;
		ops[i].expires = T0 + 30 * 86400;
		ref_of(i, refs[i], sizeof(refs[i]));
		ops[i].ref = refs[i];
		ops[i].ref_len = (uint16_t)strlen(refs[i]);
	}
	snprintf(tmpl, sizeof(tmpl), "%s/blfed-bench-rec.XXXXXX", basedir);
	if (mkdtemp(tmpl) == NULL)
		return 2;
	base = child_open(tmpl, 0);
	printf("recovery: one origin, 10,000 listings re-listed in D deltas of %u ops, "
	       "no checkpoint\n", NOPS);
	printf("  reference: peak RSS opening an empty data directory %ld KiB\n", base);
	printf("  %8s %12s %14s %14s %10s\n", "deltas", "journal MB", "peak KiB",
	       "above ref KiB", "AS 400MB");
	while (*list != '\0') {
		char *end;
		unsigned long d = strtoul(list, &end, 10), k;
		core_config cfg = { 0 };
		core *c;
		char jdir[700];
		long peak, lim;
		double mb;
		int rc;

		if (end == list)
			break;
		list = end;
		snprintf(jdir, sizeof(jdir), "%s/d%lu", tmpl, d);
		cfg.no_fsync = 1;
		cfg.journal_max = 1ull << 40;
		if ((rc = core_open(jdir, &cfg, &st, &c)) != 0)
			die("core_open", rc);
		memset(prev, 0, sizeof(prev));
		for (k = 0; k < d; k++) {
			blf_delta dl;
			blf_envelope env;

			memset(&dl, 0, sizeof(dl));
			memcpy(dl.origin, ks->keyid, BLF_KEYID_LEN);
			dl.epoch = 1;
			dl.seq = k + 1;
			if (k > 0)
				memcpy(dl.prev, prev, BLF_HASH_LEN);
			dl.created = T0;
			dl.nops = NOPS;
			dl.ops = ops;
			msg.len = 0;
			if (blf_delta_seal(&dl, ks->sk, &msg) != 0)
				die("seal", 1);
			if (blf_envelope_parse(msg.data, msg.len, &env) != 0)
				die("parse", 1);
			blf_envelope_hash(&env, prev);
			if ((rc = core_apply(c, msg.data, msg.len, T0, NULL)) != 0)
				die("core_apply", rc);
		}
		core_close(c);
		mb = (double)d * (double)(msg.len + 12) / 1e6;
		peak = child_open(jdir, 0);
		lim = child_open(jdir, (rlim_t)400000 * 1024);
		printf("  %8lu %12.1f %14ld %14ld %10s\n", d, mb, peak, peak - base,
		       lim >= 0 ? "opens" : "FAILS");
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", jdir);
		if (system(cmd) != 0)
			return 2;
		while (*list == ' ')
			list++;
	}
	rmdir(tmpl);
	blf_buf_free(&msg);
	free(ops);
	free(refs);
	trust_store_free(&st);
	key_secret_free(ks);
	return 0;
}
