/*
 * test_export_pass.c - the export's single walk: a dirty shard's files
 * compared with the previous generation's, kept (same inode and mtime)
 * when their bytes would not change and replaced when they would, with
 * an export_state and a change feed as with none; and the Postfix table
 * in one sweep, whose first matching line is, for every address, the
 * longest match of the view (checked against a brute-force model over
 * random nested listings and exclusions, across shards and pieces).
 *
 * The view is a synthetic export_source with a change feed: every change
 * made through the helpers below bumps its generation and records the
 * prefix, as the core's change feed does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/export/export.h"
#include "../../keys/fileio.h"

#define T0 1767225600ull
#define DAY 86400ull
#define MAXV 512

static const uint8_t OA[BLF_KEYID_LEN] = { 0xa1 };

struct rec {
	core_entry e;
	core_prov p;
	char ref[16];
	uint64_t gen;           /* generation of its last change */
};

struct view {
	struct rec r[MAXV];     /* sorted by prefix */
	size_t n, pos;
	uint64_t gen;           /* the view's generation */
	blf_prefix gone[MAXV];  /* removed prefixes and when */
	uint64_t ggen[MAXV];
	size_t ngone;
};

static int
v_begin(void *ctx, uint64_t now)
{
	struct view *v = ctx;

	(void)now;
	v->pos = 0;
	return 0;
}

static int
v_next(void *ctx, core_entry *e)
{
	struct view *v = ctx;

	if (v->pos >= v->n)
		return 0;
	*e = v->r[v->pos++].e;
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
	size_t i;

	(void)now;
	*cur = v->gen;
	if (!have)
		return 1;
	for (i = 0; i < v->n; i++)
		if (v->r[i].gen > gen)
			fn(arg, &v->r[i].e.prefix);
	for (i = 0; i < v->ngone; i++)
		if (v->ggen[i] > gen)
			fn(arg, &v->gone[i]);
	return 0;
}

static export_source
src_of(struct view *v)
{
	export_source s = { v, v_begin, v_next, v_end, v_signer, NULL, v_changes, NULL, NULL,
			    NULL };

	return s;
}

static blf_prefix
pfx(const char *s)
{
	blf_prefix p;

	assert_int_equal(blf_prefix_parse(s, strlen(s), 0, &p), 0);
	return p;
}

static int
rec_cmp(const void *a, const void *b)
{
	return blf_prefix_cmp(&((const struct rec *)a)->e.prefix,
			      &((const struct rec *)b)->e.prefix);
}

/* Sort the records and point every entry at its own provenance. */
static void
relink(struct view *v)
{
	size_t i;

	qsort(v->r, v->n, sizeof(v->r[0]), rec_cmp);
	for (i = 0; i < v->n; i++) {
		v->r[i].e.prov = &v->r[i].p;
		v->r[i].p.ref = v->r[i].ref;
		v->r[i].p.ref_len = strlen(v->r[i].ref);
	}
}

static struct rec *
find(struct view *v, const char *p)
{
	blf_prefix q = pfx(p);
	size_t i;

	for (i = 0; i < v->n; i++)
		if (blf_prefix_cmp(&v->r[i].e.prefix, &q) == 0)
			return &v->r[i];
	fail_msg("no entry %s", p);
	return NULL;
}

/* Add an entry with one contribution (a prefix already there is kept). */
static void
put(struct view *v, int kind, const blf_prefix *p, uint16_t reason, const char *ref)
{
	struct rec *r;
	size_t i;

	assert_true(v->n < MAXV);
	for (i = 0; i < v->n; i++)
		if (blf_prefix_cmp(&v->r[i].e.prefix, p) == 0)
			return;
	r = &v->r[v->n++];
	memset(r, 0, sizeof(*r));
	r->e.kind = kind;
	r->e.prefix = *p;
	r->e.nprov = 1;
	r->e.weight = kind == CORE_ENTRY_LISTED ? 100 : 0;
	r->e.expires = kind == CORE_ENTRY_LISTED ? T0 + 7 * DAY : 0;
	r->p.name = "alpha";
	r->p.origin = OA;
	r->p.weight = 100;
	r->p.reason = reason;
	r->p.first = T0;
	r->p.changed = T0 + 60;
	r->p.expires = r->e.expires;
	snprintf(r->ref, sizeof(r->ref), "%s", ref != NULL ? ref : "");
	r->gen = ++v->gen;
	relink(v);
}

static void
put_s(struct view *v, int kind, const char *p, uint16_t reason, const char *ref)
{
	blf_prefix q = pfx(p);

	put(v, kind, &q, reason, ref);
}

/* Change the reference of the entry p: a change the plain and ipset
 * lists do not show. */
static void
set_ref(struct view *v, const char *p, const char *ref)
{
	struct rec *r = find(v, p);

	snprintf(r->ref, sizeof(r->ref), "%s", ref);
	r->gen = ++v->gen;
	relink(v);
}

static void
drop(struct view *v, const char *p)
{
	struct rec *r = find(v, p);

	v->gone[v->ngone] = r->e.prefix;
	v->ggen[v->ngone++] = ++v->gen;
	*r = v->r[--v->n];
	relink(v);
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
		seed[i] = (uint8_t)(i + 7);
	assert_int_equal(blf_init(), 0);
	assert_int_equal(key_secret_from_seed(seed, "agent", &agent), 0);
	snprintf(dir, sizeof(dir), "/tmp/blf-xpass-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	key_secret_free(agent);
	agent = NULL;
	if (getenv("XPASS_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static export_config
cfg_of(const char *sub)
{
	static char path[128];
	export_config c;

	memset(&c, 0, sizeof(c));
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	c.dir = path;
	c.nosync = 1;
	c.zone = "bl.example.org";
	return c;
}

static void
stat_cur(const export_config *c, const char *name, struct stat *sb)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/current/%s", c->dir, name);
	assert_int_equal(lstat(p, sb), 0);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_size == b->st_size;
}

static int
job(const export_source *s, const export_config *c, export_state *es, uint64_t now,
    export_stats *st)
{
	export_job *j;
	int rc, done = 0;

	if ((rc = export_job_start(s, c, agent, now, es, &j)) != 0)
		return rc;
	while (rc == 0 && !done)
		rc = export_job_step(j, now, &done);
	export_job_stats(j, st);
	export_job_free(j);
	return rc;
}

/* The shard files of 198.0.0.0/8 (shard 0xc6 with 8 bits). */
static const char *const S198[] = {
	"rbldnsd-ip4.sc6", "plain-ip4.sc6", "ipset-ip4.sc6", "jsonl-ip4.sc6",
};

/*
 * A dirty shard whose change only some formats show: a new reference
 * changes the rbldnsd TXT and the JSON provenance (files replaced, new
 * inode), not the plain and ipset lists (files kept: same inode, mtime
 * and size), whether the state names the shard or no state exists.
 */
static void
test_dirty_keeps_unchanged(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("dirty");
	export_state *es = export_state_new();
	export_stats st;
	struct stat b[4], a[4], pb, pa;
	size_t i;

	(void)state;
	assert_non_null(es);
	memset(&v, 0, sizeof(v));
	put_s(&v, CORE_ENTRY_LISTED, "10.0.0.1/32", 1, "t-1");
	put_s(&v, CORE_ENTRY_LISTED, "198.51.100.0/24", 2, "t-2");
	put_s(&v, CORE_ENTRY_EXCLUDED, "198.51.100.9/32", 0, NULL);
	put_s(&v, CORE_ENTRY_LISTED, "2001:db8::/48", 3, NULL);
	s = src_of(&v);
	c.shard4_bits = 8;
	c.shard6_bits = 2;
	assert_int_equal(job(&s, &c, es, T0, &st), 0);
	for (i = 0; i < 4; i++)
		stat_cur(&c, S198[i], &b[i]);
	stat_cur(&c, "plain-ip4.s0a", &pb);

	/* (a), (b): the reference changes; the change feed names one shard */
	set_ref(&v, "198.51.100.0/24", "t-3");
	assert_int_equal(job(&s, &c, es, T0 + 10, &st), 0);
	assert_int_equal(st.walked, 1);
	/* 4 heads, the rbldnsd and JSON shard files, the Postfix table */
	assert_int_equal(st.written, 4 + 2 + 1);
	for (i = 0; i < 4; i++)
		stat_cur(&c, S198[i], &a[i]);
	assert_false(same_file(&a[0], &b[0])); /* rbldnsd: TXT has the reference */
	assert_true(same_file(&a[1], &b[1]));  /* plain */
	assert_true(same_file(&a[2], &b[2]));  /* ipset: "alpha name" comments */
	assert_false(same_file(&a[3], &b[3])); /* JSON Lines */
	stat_cur(&c, "plain-ip4.s0a", &pa);
	assert_true(same_file(&pa, &pb)); /* a clean shard: not read at all */
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);

	/* (b): an entry more in the shard: every file of the shard changes,
	 * its header's count with it */
	memcpy(b, a, sizeof(b));
	put_s(&v, CORE_ENTRY_LISTED, "198.51.101.7/32", 1, NULL);
	assert_int_equal(job(&s, &c, es, T0 + 20, &st), 0);
	assert_int_equal(st.walked, 1);
	assert_int_equal(st.written, 4 + 4 + 1);
	for (i = 0; i < 4; i++) {
		stat_cur(&c, S198[i], &a[i]);
		assert_false(same_file(&a[i], &b[i]));
	}
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);

	/* the same without a state: every shard read, the same files kept */
	memcpy(b, a, sizeof(b));
	set_ref(&v, "198.51.100.0/24", "t-4");
	assert_int_equal(job(&s, &c, NULL, T0 + 30, &st), 0);
	assert_int_equal(st.walked, 256 + 4);
	assert_int_equal(st.written, 4 + 2 + 1);
	for (i = 0; i < 4; i++)
		stat_cur(&c, S198[i], &a[i]);
	assert_false(same_file(&a[0], &b[0]));
	assert_true(same_file(&a[1], &b[1]));
	assert_true(same_file(&a[2], &b[2]));
	assert_false(same_file(&a[3], &b[3]));

	/* an entry goes: its shard's files change again */
	drop(&v, "198.51.101.7/32");
	memcpy(b, a, sizeof(b));
	assert_int_equal(job(&s, &c, es, T0 + 40, &st), 0);
	for (i = 0; i < 4; i++) {
		stat_cur(&c, S198[i], &a[i]);
		assert_false(same_file(&a[i], &b[i]));
	}
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
	export_state_free(es);
}

/* Every file of the export directory's current generation. */
struct snap {
	char name[64][128];
	struct stat sb[64];
	size_t n;
};

static void
snap_of(const export_config *c, struct snap *sn)
{
	char cmd[300], line[128];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls '%s/current' | grep -v '^MANIFEST'", c->dir);
	assert_non_null(f = popen(cmd, "r"));
	sn->n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		assert_true(sn->n < 64);
		snprintf(sn->name[sn->n], sizeof(sn->name[0]), "%s", line);
		stat_cur(c, line, &sn->sb[sn->n]);
		sn->n++;
	}
	pclose(f);
}

/*
 * (c) A re-export without a state over an unchanged view (a restart):
 * every shard is read and compared, nothing but the heads is written,
 * and every other file, the Postfix table included, keeps its inode and
 * mtime.  Then the same with few entries per step (pieces) and, with a
 * header whose count grows by a digit, the body moved behind it.
 */
static void
test_nostate_keeps_all(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("nostate");
	export_stats st;
	struct snap before, after;
	size_t i, heads = 0;
	char p[32];

	(void)state;
	memset(&v, 0, sizeof(v));
	for (i = 0; i < 9; i++) {
		snprintf(p, sizeof(p), "192.0.2.%zu/32", 2 * i);
		put_s(&v, CORE_ENTRY_LISTED, p, 1 + (uint16_t)(i % 3), i % 2 ? "r" : NULL);
	}
	put_s(&v, CORE_ENTRY_LISTED, "100.64.0.0/24", 2, NULL);
	put_s(&v, CORE_ENTRY_EXCLUDED, "100.64.0.64/26", 0, NULL);
	put_s(&v, CORE_ENTRY_LISTED, "2001:db8::/32", 3, NULL);
	s = src_of(&v);
	c.shard4_bits = 2;
	c.shard6_bits = 1;
	c.piece = 2;
	assert_int_equal(export_run_source(&s, &c, agent, T0, &st), 0);
	snap_of(&c, &before);
	assert_int_equal(st.files, before.n);
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 10, &st), 0);
	assert_int_equal(st.walked, 4 + 2);
	snap_of(&c, &after);
	assert_int_equal(after.n, before.n);
	for (i = 0; i < after.n; i++) {
		int head = strstr(after.name[i], ".head") != NULL;

		heads += head;
		if (!head && !same_file(&after.sb[i], &before.sb[i]))
			fail_msg("%s was rewritten", after.name[i]);
	}
	assert_int_equal(st.written, heads);
	assert_int_equal(st.skipped, after.n - heads);

	/* a tenth entry in 192/8: its counts go from 9 to 10 (a digit more
	 * than the header's room): the files are complete and verify */
	put_s(&v, CORE_ENTRY_LISTED, "192.0.2.100/32", 1, NULL);
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 20, &st), 0);
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
	{
		char path[256], cmd[700];

		snprintf(path, sizeof(path), "%s/current/rbldnsd-ip4.s03", c.dir);
		snprintf(cmd, sizeof(cmd),
			 "head -1 '%s' | grep -q ', 10 entries$' && grep -c '^192' '%s' | grep -qx 10",
			 path, path);
		assert_int_equal(system(cmd), 0);
	}
}

/* ---- Postfix: the first match is the longest match ---------------------- */

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

struct pline {
	blf_prefix p;
	int reject;
};

/* The lines of a cidr table (comments skipped). */
static size_t
read_table(const char *path, struct pline *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp;

		if (line[0] == '#')
			continue;
		assert_non_null(sp = strchr(line, ' '));
		assert_true(n < cap);
		assert_int_equal(blf_prefix_parse(line, (size_t)(sp - line), 0, &out[n].p), 0);
		if (strncmp(sp, " REJECT ", 8) == 0)
			out[n].reject = 1;
		else if (strcmp(sp, " DUNNO\n") == 0)
			out[n].reject = 0;
		else
			fail_msg("bad line %s", line);
		n++;
	}
	fclose(f);
	return n;
}

static void
host_of(uint32_t a, blf_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->af = BLF_AF_INET;
	p->len = 32;
	p->addr[0] = (uint8_t)(a >> 24);
	p->addr[1] = (uint8_t)(a >> 16);
	p->addr[2] = (uint8_t)(a >> 8);
	p->addr[3] = (uint8_t)a;
}

/*
 * (e) Random nested listings and exclusions (prefixes /14../32 around
 * 10.0.0.0/20, a few wider ones that span shards, IPv6 too), exported with
 * 4 IPv4 shards in pieces of 3 entries: for every address of the region,
 * the first line of the table that matches it is the view's longest
 * match, and the table has one line per entry.
 */
static void
test_postfix_longest_first(void **state)
{
	static struct pline t[MAXV];
	export_config c = cfg_of("postfix");
	export_source s;
	struct view *v = calloc(1, sizeof(*v));
	size_t round, i, n;
	char path[256];

	(void)state;
	assert_non_null(v);
	for (round = 0; round < 8; round++) {
		memset(v, 0, sizeof(*v));
		put_s(v, CORE_ENTRY_LISTED, "0.0.0.0/1", 1, NULL);
		put_s(v, CORE_ENTRY_EXCLUDED, "10.0.0.0/8", 0, NULL);
		put_s(v, CORE_ENTRY_LISTED, "100.0.0.0/8", 1, NULL); /* a second shard */
		put_s(v, CORE_ENTRY_LISTED, "2001:db8::/32", 1, NULL);
		put_s(v, CORE_ENTRY_EXCLUDED, "2001:db8::/48", 0, NULL);
		for (i = 0; i < 120; i++) {
			unsigned len = 14 + rnd() % 19;
			uint32_t a = 0x0a000000u | (rnd() & 0xfffu);
			blf_prefix p;

			a &= len == 0 ? 0 : ~0u << (32 - len);
			host_of(a, &p);
			p.len = (uint8_t)len;
			put(v, rnd() % 3 ? CORE_ENTRY_LISTED : CORE_ENTRY_EXCLUDED, &p, 1, NULL);
		}
		s = src_of(v);
		c.shard4_bits = 2;
		c.piece = 3;
		c.formats = EXPORT_POSTFIX;
		assert_int_equal(export_run_source(&s, &c, agent, T0 + round, NULL), 0);
		snprintf(path, sizeof(path), "%s/current/postfix.cidr", c.dir);
		n = read_table(path, t, MAXV);
		assert_int_equal(n, v->n);
		for (i = 0; i < 0x2000; i++) {
			blf_prefix h;
			size_t k, best = v->n;

			host_of(0x0a000000u + (uint32_t)i, &h);
			for (k = 0; k < v->n; k++)
				if (blf_prefix_contains(&v->r[k].e.prefix, &h) &&
				    (best == v->n || v->r[k].e.prefix.len > v->r[best].e.prefix.len))
					best = k;
			assert_true(best < v->n); /* 10/8 at least */
			for (k = 0; k < n; k++)
				if (blf_prefix_contains(&t[k].p, &h))
					break;
			assert_true(k < n);
			if (blf_prefix_cmp(&t[k].p, &v->r[best].e.prefix) != 0 ||
			    t[k].reject != (v->r[best].e.kind == CORE_ENTRY_LISTED))
				fail_msg("round %zu address %zu: first match is line %zu", round, i, k);
		}
	}
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dirty_keeps_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nostate_keeps_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_postfix_longest_first, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
