/*
 * test_export_close.c - closing a large shard file takes bounded steps.
 *
 * A file of a dirty shard is compared with the previous generation's as it
 * is rendered; its header (with the item count) is known only at the end.
 * Closing it copies the part in common with the previous file, writes the
 * header and hashes the whole file: here every export_job_step is measured
 * by the bytes the file-I/O layer moved in it (fio_bytes), and none may
 * move more than a couple of chunks (export_config.chunk) beyond what one
 * piece of the walk renders, however large the file.  Each path of the
 * close is taken: a first file (no previous one, the header's room
 * guessed wrong: the body moved behind it), a change in the middle and at
 * the start (the common part copied into the hole left for it), entries
 * appended, and a guess of the wrong length with a previous file; each
 * export is compared byte for byte with the same export in default steps,
 * and verified (sizes and SHA-256 of the MANIFEST).
 *
 * Then faults across the close: each I/O call of an export in small
 * chunks fails in turn; the job fails with BLF_EIO, the directory holds
 * what it held before (the previous generation current and verified, no
 * staged file anywhere).
 *
 * Last, the generations no longer kept are removed after the swap in
 * steps of a bounded number of entries.
 *
 * The view is generated: n listed /32s 10.0.0.0 + 2i with a reference
 * per entry, and a change feed over the changes the test makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/export/export.h"
#include "../../agent/export/export_int.h"
#include "../../keys/fileio.h"

#define T0 1767225600ull
#define DAY 86400ull
#define MAXCH 64

static const uint8_t OA[BLF_KEYID_LEN] = { 0xa1 };

struct view {
	size_t n, pos;
	uint32_t ver[MAXCH];    /* entry idx[k] has version ver[k] in its reference */
	size_t idx[MAXCH];
	uint64_t cgen[MAXCH];   /* generation of each change (appends included) */
	size_t nch;
	uint64_t gen;
	core_prov p;
	char ref[32];
};

static uint32_t
version_of(const struct view *v, size_t i)
{
	uint32_t ver = 0;
	size_t k;

	for (k = 0; k < v->nch; k++)
		if (v->idx[k] == i)
			ver = v->ver[k];
	return ver;
}

static void
prefix_of(size_t i, blf_prefix *p)
{
	uint32_t a = 0x0a000000u + 2u * (uint32_t)i;

	memset(p, 0, sizeof(*p));
	p->af = BLF_AF_INET;
	p->len = 32;
	p->addr[0] = (uint8_t)(a >> 24);
	p->addr[1] = (uint8_t)(a >> 16);
	p->addr[2] = (uint8_t)(a >> 8);
	p->addr[3] = (uint8_t)a;
}

static int
v_begin(void *ctx, uint64_t now)
{
	struct view *v = ctx;

	(void)now;
	v->pos = 0;
	return 0;
}

/* "ticket %07zu-%c" of i (below 10,000,000) and c, without printf: this
 * source has no begin_at, so the exporter filters its whole iterations and
 * it is read many times over. */
static void
ref_text(char out[32], size_t i, char c)
{
	int d;

	memcpy(out, "ticket 0000000-", 15);
	for (d = 13; d >= 7; d--, i /= 10)
		out[d] = (char)('0' + i % 10);
	out[15] = c;
	out[16] = '\0';
}

static int
v_next(void *ctx, core_entry *e)
{
	struct view *v = ctx;
	size_t i = v->pos;

	if (i >= v->n)
		return 0;
	v->pos++;
	ref_text(v->ref, i, 'a' + (char)version_of(v, i));
	memset(&v->p, 0, sizeof(v->p));
	v->p.name = "alpha";
	v->p.origin = OA;
	v->p.weight = 100;
	v->p.reason = 2;
	v->p.first = T0;
	v->p.changed = T0 + 60;
	v->p.expires = v->p.until = T0 + 7 * DAY;
	v->p.ref = v->ref;
	v->p.ref_len = strlen(v->ref);
	memset(e, 0, sizeof(*e));
	e->kind = CORE_ENTRY_LISTED;
	prefix_of(i, &e->prefix);
	e->weight = 100;
	e->expires = T0 + 7 * DAY;
	e->nprov = 1;
	e->prov = &v->p;
	return 1;
}

static void
v_end(void *ctx)
{
	(void)ctx;
}

static int
v_signer(void *ctx, const uint8_t origin[BLF_KEYID_LEN], uint8_t keyid[BLF_KEYID_LEN])
{
	(void)ctx;
	memcpy(keyid, origin, BLF_KEYID_LEN);
	return 0;
}

static int
v_changes(void *ctx, int have, uint64_t gen, uint64_t now,
	  void (*fn)(void *arg, const blf_prefix *p), void *arg, uint64_t *cur)
{
	struct view *v = ctx;
	blf_prefix p;
	size_t k;

	(void)now;
	*cur = v->gen;
	if (!have)
		return 1;
	for (k = 0; k < v->nch; k++) {
		if (v->cgen[k] <= gen)
			continue;
		prefix_of(v->idx[k], &p);
		fn(arg, &p);
	}
	return 0;
}

static export_source
src_of(struct view *v)
{
	export_source s = { v, v_begin, v_next, v_end, v_signer, NULL, v_changes, NULL, NULL,
			    NULL };

	return s;
}

static void
view_init(struct view *v, size_t n)
{
	memset(v, 0, sizeof(*v));
	v->n = n;
	v->gen = 1;
}

/* Entry i gets a new reference (of the same length). */
static void
bump(struct view *v, size_t i)
{
	size_t k;

	v->gen++;
	for (k = 0; k < v->nch && v->idx[k] != i; k++)
		;
	if (k == v->nch) {
		assert_true(v->nch < MAXCH);
		v->idx[v->nch++] = i;
		v->ver[k] = 0;
	}
	v->ver[k] = (v->ver[k] + 1) % 26;
	v->cgen[k] = v->gen;
}

/* m entries appended. */
static void
append(struct view *v, size_t m)
{
	size_t i;

	v->gen++;
	for (i = 0; i < m; i++) {
		assert_true(v->nch < MAXCH);
		v->idx[v->nch] = v->n + i;
		v->ver[v->nch] = 0;
		v->cgen[v->nch++] = v->gen;
	}
	v->n += m;
}

static char dir[64];
static key_secret *agent;

static int
setup(void **state)
{
	uint8_t seed[BLF_SEED_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < BLF_SEED_LEN; i++)
		seed[i] = (uint8_t)(i + 3);
	assert_int_equal(blf_init(), 0);
	assert_int_equal(key_secret_from_seed(seed, "agent", &agent), 0);
	snprintf(dir, sizeof(dir), "/tmp/blf-xclose-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	fio_fault_clear();
	key_secret_free(agent);
	agent = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static export_config
cfg_of(const char *sub, char *path, size_t cap)
{
	export_config c;

	memset(&c, 0, sizeof(c));
	snprintf(path, cap, "%s/%s", dir, sub);
	c.dir = path;
	c.nosync = 1;
	c.zone = "bl.example.org";
	return c;
}

/* What one export did, step by step. */
struct run {
	uint64_t max;           /* most bytes moved by one step */
	size_t steps;
	export_stats st;
};

/* An export as a job, each step measured with fio_bytes. */
static int
job(const export_source *s, const export_config *c, export_state *es, uint64_t now,
    struct run *r)
{
	export_job *j;
	int rc, done = 0;

	memset(r, 0, sizeof(*r));
	if ((rc = export_job_start(s, c, agent, now, es, &j)) != 0)
		return rc;
	while (rc == 0 && !done) {
		uint64_t b0 = fio_bytes(), d;

		rc = export_job_step(j, now, &done);
		d = fio_bytes() - b0;
		if (d > r->max)
			r->max = d;
		r->steps++;
	}
	export_job_stats(j, &r->st);
	export_job_free(j);
	return rc;
}

/* The size of DIR/current/name, 0 when missing. */
static uint64_t
size_of(const char *d, const char *name)
{
	char p[300];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/current/%s", d, name);
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* Every file of a's current generation but the MANIFEST is b's, byte for
 * byte, and both have the same files. */
static void
same_files(const char *a, const char *b)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd),
		 "diff -r -x MANIFEST -x MANIFEST.sig '%s/current/' '%s/current/' >/dev/null", a,
		 b);
	assert_int_equal(system(cmd), 0);
}

/* No entry of the directory d starts with '.' (a staged file). */
static void
no_staged(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;

	assert_non_null(dp);
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, ".current.new") != 0 && e->d_name[0] == '.')
			fail_msg("staged file %s left in %s", e->d_name, d);
	closedir(dp);
}

#define NBIG 30000u
#define CHUNK (32u * 1024u)
/* a step of the walk (64 entries) renders less than one flush per writer,
 * which may hand the writer's buffer on (XO_CAP, compared with the
 * previous file: read as much) and open the next file (its first XO_CAP
 * bytes read); closing reads a chunk and writes as much */
#define STEP_MAX (2u * CHUNK + 3u * 6u * XO_CAP)

/*
 * Every step of exports over a large shard moves at most STEP_MAX bytes,
 * while the shard's JSON Lines file alone is many times that: the first
 * export, a change in the middle, an append, a change at the start, and a
 * change without export_state (the header's room guessed from nothing);
 * each export's files are those of the same export in default steps.
 */
static void
test_close_bounded(void **state)
{
	struct view v;
	export_source s;
	char pa[128], pb[128];
	export_config c = cfg_of("small", pa, sizeof(pa)), ref = cfg_of("ref", pb, sizeof(pb));
	export_state *es = export_state_new(), *eref = export_state_new();
	struct run r, rr;
	struct stat before, after;
	char p[300];
	uint64_t t = T0, big;
	int i;

	(void)state;
	assert_non_null(es);
	assert_non_null(eref);
	view_init(&v, NBIG);
	s = src_of(&v);
	c.shard4_bits = ref.shard4_bits = 0; /* the whole view in one shard */
	c.piece = 64;
	c.chunk = CHUNK;
	for (i = 0; i < 6; i++) {
		export_state *use = i == 5 ? NULL : es, *useref = i == 5 ? NULL : eref;

		switch (i) {
		case 0: /* the first export: no previous file */
			break;
		case 1: /* nothing changed: the files are kept */
			snprintf(p, sizeof(p), "%s/current/jsonl-ip4.s00", c.dir);
			assert_int_equal(stat(p, &before), 0);
			break;
		case 2:
			bump(&v, NBIG / 2);
			break;
		case 3:
			append(&v, 10);
			break;
		case 4:
			bump(&v, 0);
			break;
		case 5: /* no state: the header's room guessed as for no entry */
			bump(&v, 100);
			break;
		}
		t += 10;
		assert_int_equal(job(&s, &c, use, t, &r), 0);
		assert_int_equal(job(&s, &ref, useref, t, &rr), 0);
		same_files(c.dir, ref.dir);
		assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
		big = size_of(c.dir, "jsonl-ip4.s00");
		print_message("export %d: %zu steps, at most %llu bytes a step "
			      "(jsonl %llu bytes; in default steps: %zu steps, at most %llu)\n",
			      i, r.steps, (unsigned long long)r.max, (unsigned long long)big,
			      rr.steps, (unsigned long long)rr.max);
		assert_true(big > 4 * STEP_MAX);
		assert_true(r.max <= STEP_MAX);
		if (i == 1) {
			assert_int_equal(stat(p, &after), 0);
			assert_int_equal(after.st_ino, before.st_ino);
		} else {
			assert_true(r.st.written >= 2);
		}
	}
	export_state_free(es);
	export_state_free(eref);
}

/*
 * Fault sweep across the close in chunks: each I/O call of an export
 * fails once in turn, with and without export_state (the header written
 * into its room, or the body moved behind it).  A failed job leaves the
 * directory as it was: the same entries, the previous generation current
 * and verified, no staged file in it.
 */
static void
test_close_faults(void **state)
{
	struct view v;
	export_source s;
	char pa[128], ls0[600], ls1[600], cmd[300], cur[300];
	export_config c = cfg_of("faults", pa, sizeof(pa));
	struct run r;
	unsigned long start, calls, n;
	uint64_t t = T0;
	int withstate, failed = 0;

	(void)state;
	view_init(&v, 600);
	s = src_of(&v);
	c.formats = EXPORT_JSONL | EXPORT_POSTFIX | EXPORT_RBLDNSD;
	c.shard4_bits = 0;
	c.piece = 64;
	c.chunk = 4096;
	snprintf(cur, sizeof(cur), "%s/current/", c.dir);
	for (withstate = 0; withstate < 2; withstate++) {
		export_state *es = withstate ? export_state_new() : NULL;

		/* the calls of one export that changes the middle */
		assert_int_equal(job(&s, &c, es, t += 10, &r), 0);
		bump(&v, 300);
		start = fio_calls();
		assert_int_equal(job(&s, &c, es, t += 10, &r), 0);
		calls = fio_calls() - start;
		print_message("fault sweep over an export of %lu I/O calls\n", calls);
		assert_true(calls > 50);
		for (n = 0; n < calls + 2; n++) {
			export_state *fresh = withstate ? export_state_new() : NULL;
			uint64_t serial;
			export_verify_result vr;
			FILE *f;
			size_t got;
			int rc;

			assert_int_equal(job(&s, &c, fresh, t += 10, &r), 0);
			assert_int_equal(export_verify(c.dir, agent->pk, &vr, NULL, 0), 0);
			serial = vr.serial;
			snprintf(cmd, sizeof(cmd), "ls -A '%s'", c.dir);
			f = popen(cmd, "r");
			got = fread(ls0, 1, sizeof(ls0) - 1, f);
			ls0[got] = '\0';
			pclose(f);
			bump(&v, 300);
			fio_fault_set(n, n % 2 ? ENOSPC : EIO, 0);
			rc = job(&s, &c, fresh, t += 10, &r);
			fio_fault_clear();
			export_state_free(fresh);
			if (rc == 0)
				continue;
			failed++;
			assert_int_equal(rc, BLF_EIO);
			assert_int_equal(export_verify(c.dir, agent->pk, &vr, NULL, 0), 0);
			if (vr.serial != serial)
				continue; /* the fault came after the swap: the new set is whole */
			f = popen(cmd, "r");
			got = fread(ls1, 1, sizeof(ls1) - 1, f);
			ls1[got] = '\0';
			pclose(f);
			assert_string_equal(ls1, ls0);
			no_staged(cur);
		}
		export_state_free(es);
	}
	assert_true(failed > 50);
	print_message("close faults: %d failed exports, each left the directory as it was\n",
		      failed);
}

/* An export as a job, the most I/O calls one step made into *max. */
static int
job_calls(const export_source *s, const export_config *c, uint64_t now, unsigned long *max)
{
	export_job *j;
	int rc, done = 0;

	*max = 0;
	if ((rc = export_job_start(s, c, agent, now, NULL, &j)) != 0)
		return rc;
	while (rc == 0 && !done) {
		unsigned long c0 = fio_calls();

		rc = export_job_step(j, now, &done);
		if (fio_calls() - c0 > *max)
			*max = fio_calls() - c0;
	}
	export_job_free(j);
	return rc;
}

/*
 * A generation no longer kept, of 2053 files, is removed after the swap in
 * steps of at most 512 entries (each step here makes at most 512 I/O
 * calls and a few more), before the job is done.
 */
static void
test_tidy_steps(void **state)
{
	struct view v;
	export_source s;
	char pa[128], p[300];
	export_config c = cfg_of("tidy", pa, sizeof(pa));
	unsigned long max;

	(void)state;
	view_init(&v, 2000);
	s = src_of(&v);
	c.shard4_bits = c.shard6_bits = 8;
	assert_int_equal(job_calls(&s, &c, T0, &max), 0);
	bump(&v, 5);
	assert_int_equal(job_calls(&s, &c, T0 + 2 * EXPORT_GEN_KEEP, &max), 0);
	bump(&v, 6);
	/* gen.T0, replaced 2 * EXPORT_GEN_KEEP s ago, goes */
	snprintf(p, sizeof(p), "%s/gen.%llu", c.dir, (unsigned long long)T0);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(job_calls(&s, &c, T0 + 4 * EXPORT_GEN_KEEP, &max), 0);
	assert_int_equal(access(p, F_OK), -1);
	print_message("tidy: at most %lu I/O calls in a step\n", max);
	assert_true(max <= 512 + 32);
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_close_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tidy_steps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
