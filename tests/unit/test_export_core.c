/*
 * test_export_core.c - export_run on a real core: what the files say
 * agrees with core_why for every exported prefix, the JSON names the
 * signing key of each origin, and an export after a delisting and after
 * the listings expire follows the view (and keeps what did not change).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../agent/export/export.h"
#include "test_core_util.h"

struct efx {
	char *dir;
	char out[512];
	struct pub a, b;
	trust_store st;
	core *c;
	blf_buf buf;
	key_secret *agent;
};

static int
setup(void **state)
{
	struct efx *f = calloc(1, sizeof(*f));
	core_config cfg = { 0 };
	char data[600];

	assert_non_null(f);
	assert_int_equal(blf_init(), 0);
	f->dir = tmp_dir();
	pub_init(&f->a, 0x11);
	pub_init(&f->b, 0x22);
	{
		uint8_t seed[BLF_SEED_LEN];

		memset(seed, 0x33, sizeof(seed));
		assert_int_equal(key_secret_from_seed(seed, "agent", &f->agent), 0);
	}
	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "beta", 100);
	cfg.no_fsync = 1;
	snprintf(data, sizeof(data), "%s/data", f->dir);
	assert_int_equal(mkdir(data, 0700), 0);
	assert_int_equal(core_open(data, &cfg, &f->st, &f->c), 0);
	snprintf(f->out, sizeof(f->out), "%s/export", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct efx *f = *state;

	core_close(f->c);
	trust_store_free(&f->st);
	pub_free(&f->a);
	pub_free(&f->b);
	key_secret_free(f->agent);
	blf_buf_free(&f->buf);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void
apply(struct efx *f, struct pub *p, uint64_t t, const blf_op *ops, size_t n)
{
	assert_int_equal(pub_next(p, t, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->c, f->buf.data, f->buf.len, t, NULL), 0);
}

/* A file of the published generation (DIR/current/NAME), malloc'd. */
static char *
slurp(const char *dir, const char *name)
{
	char path[700];
	FILE *fp;
	char *b;
	long n;

	snprintf(path, sizeof(path), "%s/current/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	b[n] = '\0';
	fclose(fp);
	return b;
}

/* Every prefix of the plain list is listed by why; every "!" line of the
 * rbldnsd shard is an exclusion by why. */
static void
agree_with_why(struct efx *f, uint64_t now, size_t *nplain, size_t *nexcl)
{
	char *plain = slurp(f->out, "plain-ip4.s00"), *rbl = slurp(f->out, "rbldnsd-ip4.s00");
	char *line, *save = NULL;

	assert_non_null(plain);
	assert_non_null(rbl);
	*nplain = *nexcl = 0;
	for (line = strtok_r(plain, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		blf_prefix q;
		core_why w;

		if (line[0] == '#')
			continue;
		assert_int_equal(blf_prefix_parse(line, strlen(line), 1, &q), 0);
		assert_int_equal(core_why_query(f->c, &q, now, &w), 0);
		assert_int_equal(w.verdict, CORE_LISTED);
		core_why_free(&w);
		(*nplain)++;
	}
	save = NULL;
	for (line = strtok_r(rbl, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		blf_prefix q;
		core_why w;

		if (line[0] != '!')
			continue;
		assert_int_equal(blf_prefix_parse(line + 1, strlen(line + 1), 1, &q), 0);
		assert_int_equal(core_why_query(f->c, &q, now, &w), 0);
		assert_int_equal(w.verdict, CORE_EXCLUDED);
		core_why_free(&w);
		(*nexcl)++;
	}
	free(plain);
	free(rbl);
}

static void
test_core_export(void **state)
{
	struct efx *f = *state;
	blf_op la[3] = { op_list("192.0.2.0/24", T0 + 3600, "t1"),
			 op_list("198.51.100.7/32", T0 + 7200, NULL),
			 op_list("2001:db8::/48", T0 + 3600, NULL) };
	blf_op xa = op_simple(BLF_OP_EXCLUDE, "192.0.2.128/25", "clean");
	blf_op lb = op_list("198.51.100.7/32", T0 + 600, "b");
	blf_op db = op_simple(BLF_OP_DELIST, "198.51.100.7/32", NULL);
	export_config cfg;
	export_stats st;
	char hex[BLF_KEYID_HEX_LEN + 1], want[128], *j;
	size_t np, nx;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->out;
	cfg.nosync = 1;
	apply(f, &f->a, T0, la, 3);
	apply(f, &f->a, T0 + 1, &xa, 1);
	apply(f, &f->b, T0 + 2, &lb, 1);
	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 10, &st), 0);
	assert_int_equal(st.listed4, 2);
	assert_int_equal(st.listed6, 1);
	assert_int_equal(st.excluded, 1); /* "!192.0.2.128/25" inside the /24 */
	agree_with_why(f, T0 + 10, &np, &nx);
	assert_int_equal(np, 2); /* 192.0.2.0/25 and 198.51.100.7/32 */
	assert_int_equal(nx, 1);
	/* JSON: beta's contribution names beta's key */
	j = slurp(f->out, "jsonl-ip4.s00");
	blf_keyid_hex(f->b.ks->keyid, hex);
	snprintf(want, sizeof(want), "\"name\":\"beta\",\"origin\":\"%s\",\"signer\":\"%s\"", hex,
		 hex);
	assert_non_null(strstr(j, want));
	free(j);
	assert_int_equal(export_verify(f->out, f->agent->pk, NULL, NULL, 0), 0);

	/* beta delists: alpha still lists the address, so the set (plain, ipset
	 * with alpha's comment) stays; rbldnsd, JSON and Postfix change; the
	 * four IPv6 shards are kept */
	apply(f, &f->b, T0 + 20, &db, 1);
	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 30, &st), 0);
	assert_int_equal(st.listed4, 2);
	assert_int_equal(st.skipped, 4 + 2);
	assert_int_equal(st.written, 2 + 2 + 1 + 2);
	/* the /24 and the /48 expire at T0 + 3600 */
	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 3601, &st), 0);
	assert_int_equal(st.listed4, 1);
	assert_int_equal(st.listed6, 0);
	assert_int_equal(st.excluded, 0);
	agree_with_why(f, T0 + 3601, &np, &nx);
	assert_int_equal(np, 1);
	assert_int_equal(nx, 0);
	/* and alpha's /32 at T0 + 7200 */
	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 7201, &st), 0);
	assert_int_equal(st.listed4 + st.listed6 + st.excluded, 0);
	assert_int_equal(export_verify(f->out, f->agent->pk, NULL, NULL, 0), 0);
}


/* The "# file NAME SIZE KEY MTIME" lines of a MANIFEST as "NAME KEY\n",
 * head files (key "-", rewritten every time) left out. */
static char *
manifest_keys(const char *dir)
{
	char *m = slurp(dir, "MANIFEST"), *line, *save = NULL, *out;
	size_t len = 0;

	assert_non_null(m);
	out = calloc(1, strlen(m) + 1);
	assert_non_null(out);
	for (line = strtok_r(m, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[300], key[80];
		unsigned long long size;

		if (sscanf(line, "# file %299s %llu %79s", name, &size, key) != 3 ||
		    strcmp(key, "-") == 0)
			continue;
		len += (size_t)sprintf(out + len, "%s %s\n", name, key);
	}
	free(m);
	return out;
}

/* A fresh export of the view at now into DIR/fresh: its keys must be
 * those of the incremental export in f->out. */
static void
same_as_fresh(struct efx *f, const export_config *cfg, uint64_t now)
{
	export_config c2 = *cfg;
	char fresh[600], *a, *b;

	snprintf(fresh, sizeof(fresh), "%s/fresh", f->dir);
	rm_rf(fresh);
	c2.dir = fresh;
	assert_int_equal(export_run(f->c, &c2, f->agent, now, NULL), 0);
	a = manifest_keys(f->out);
	b = manifest_keys(fresh);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* Run a job to its end at now; returns its stats. */
static export_stats
job_run(struct efx *f, const export_config *cfg, export_state *es, uint64_t now)
{
	export_job *j;
	export_stats st;
	int done = 0;

	assert_int_equal(export_job_start_core(f->c, cfg, f->agent, now, es, &j), 0);
	while (!done)
		assert_int_equal(export_job_step(j, now, &done), 0);
	export_job_stats(j, &st);
	export_job_free(j);
	return st;
}

static int
setup_feed(void **state)
{
	struct efx *f;
	core_config cfg = { 0 };
	char data[600];

	assert_int_equal(setup(state), 0);
	f = *state;
	core_close(f->c);
	/* listings as wide as /4, so that one spans several shards */
	f->st.anchors[0].max4 = 4;
	f->st.anchors[1].max4 = 4;
	cfg.no_fsync = 1;
	cfg.change_feed = 1;
	snprintf(data, sizeof(data), "%s/data", f->dir);
	assert_int_equal(core_open(data, &cfg, &f->st, &f->c), 0);
	return 0;
}


/* A shard walked in pieces of a few entries (nested listings and
 * exclusions across the cuts) gives the same files as in one piece. */
static void
test_pieces(void **state)
{
	struct efx *f = *state;
	blf_op ops[64];
	char pf[64][40];
	export_config cfg;
	export_stats st;
	char d2[600], cmd[1400];
	size_t n = 0, i;

	for (i = 0; i < 40; i++) {
		snprintf(pf[n], sizeof(pf[n]), "198.51.%zu.%zu/32", i / 8, 3 * i);
		ops[n] = op_list(pf[n], T0 + 3600, i % 3 ? "r" : NULL);
		n++;
	}
	ops[n++] = op_list("198.51.0.0/16", T0 + 3600, "wide");
	ops[n++] = op_list("198.51.2.0/24", T0 + 3600, NULL);
	ops[n++] = op_list("16.0.0.0/4", T0 + 3600, NULL);
	ops[n++] = op_list("2001:db8::/32", T0 + 3600, NULL);
	ops[n++] = op_list("2001:db8:0:1::/64", T0 + 3600, NULL);
	apply(f, &f->a, T0, ops, n);
	n = 0;
	ops[n++] = op_simple(BLF_OP_EXCLUDE, "198.51.1.0/26", "clean");
	ops[n++] = op_simple(BLF_OP_EXCLUDE, "198.51.3.9/32", "clean");
	ops[n++] = op_simple(BLF_OP_EXCLUDE, "17.0.0.0/8", "clean");
	ops[n++] = op_list("198.51.3.0/24", T0 + 3600, NULL);
	apply(f, &f->b, T0 + 1, ops, n);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->out;
	cfg.nosync = 1;
	cfg.shard4_bits = 4;
	cfg.shard6_bits = 2;
	size_t steps;

	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 10, &st), 0);
	steps = st.steps;
	snprintf(d2, sizeof(d2), "%s/pieces", f->dir);
	cfg.dir = d2;
	cfg.piece = 3;
	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 10, &st), 0);
	assert_true(st.steps > steps + 20);
	snprintf(cmd, sizeof(cmd), "diff -r -x MANIFEST -x MANIFEST.sig '%s/current' '%s/current'", f->out, d2);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(export_verify(d2, f->agent->pk, NULL, NULL, 0), 0);
}

/* core_iter_begin_at gives, for any range, exactly the entries of the
 * whole iteration that overlap it, in the same order, with the same
 * provenance. */
static void
test_iter_begin_at(void **state)
{
	struct efx *f = *state;
	blf_op la[6] = { op_list("16.0.0.0/4", T0 + 3600, "wide"),
			 op_list("17.1.0.0/16", T0 + 3600, NULL),
			 op_list("17.1.2.3/32", T0 + 3600, NULL),
			 op_list("192.0.2.0/24", T0 + 3600, NULL),
			 op_list("2001:db8::/32", T0 + 3600, NULL),
			 op_list("2001:db8:1::/48", T0 + 3600, NULL) };
	blf_op xa[2] = { op_simple(BLF_OP_EXCLUDE, "17.1.2.128/25", "clean"),
			 op_simple(BLF_OP_EXCLUDE, "192.0.2.7/32", "clean") };
	blf_op lb[2] = { op_list("17.1.2.0/24", T0 + 3600, "b"),
			 op_list("16.0.0.0/4", T0 + 3600, "b") };
	static const char *const ranges[] = { "0.0.0.0/0", "16.0.0.0/8", "17.0.0.0/8",
					       "17.1.0.0/16", "17.1.2.3/32", "18.0.0.0/7",
					       "192.0.0.0/8", "192.0.2.0/25", "10.0.0.0/8",
					       "::/0", "2000::/4", "2001:db8:1::/48",
					       "2001:db8:2::/48", "3000::/4", "255.0.0.0/8" };
	size_t r;

	apply(f, &f->a, T0, la, 6);
	apply(f, &f->a, T0 + 1, xa, 2);
	apply(f, &f->b, T0 + 2, lb, 2);
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		blf_prefix w = pfx(ranges[r]);
		core_iter all, at;
		core_entry e, g;
		int n1, n2;
		size_t k = 0;

		assert_int_equal(core_iter_begin(f->c, T0 + 10, &all), 0);
		assert_int_equal(core_iter_begin_at(f->c, T0 + 10, &w, NULL, &at), 0);
		while ((n1 = core_iter_next(&all, &e)) == 1) {
			size_t i;

			if (!blf_prefix_contains(&w, &e.prefix) && !blf_prefix_contains(&e.prefix, &w))
				continue;
			assert_int_equal(core_iter_next(&at, &g), 1);
			assert_int_equal(blf_prefix_cmp(&e.prefix, &g.prefix), 0);
			assert_int_equal(e.kind, g.kind);
			assert_int_equal(e.weight, g.weight);
			assert_int_equal(e.expires, g.expires);
			assert_int_equal(e.nprov, g.nprov);
			for (i = 0; i < e.nprov; i++) {
				assert_memory_equal(e.prov[i].origin, g.prov[i].origin, BLF_KEYID_LEN);
				assert_int_equal(e.prov[i].reason, g.prov[i].reason);
				assert_int_equal(e.prov[i].until, g.prov[i].until);
				assert_int_equal(e.prov[i].ref_len, g.prov[i].ref_len);
			}
			k++;
		}
		assert_int_equal(n1, 0);
		n2 = core_iter_next(&at, &g);
		assert_int_equal(n2, 0);
		core_iter_end(&all);
		core_iter_end(&at);
		if (strcmp(ranges[r], "17.1.0.0/16") == 0)
			assert_int_equal(k, 5); /* 16/4, 17.1/16, 17.1.2/24, 17.1.2.3, !17.1.2.128/25 */
		if (strcmp(ranges[r], "10.0.0.0/8") == 0)
			assert_int_equal(k, 0);
	}
}

/* core_iter_bare: the same entries in the same order, kind and prefix
 * only, whole or ranged; complete entries again once it is turned off. */
static void
test_iter_bare(void **state)
{
	struct efx *f = *state;
	blf_op la[3] = { op_list("16.0.0.0/4", T0 + 3600, "wide"),
			 op_list("17.1.2.3/32", T0 + 3600, NULL),
			 op_list("2001:db8::/32", T0 + 3600, NULL) };
	blf_op xa[1] = { op_simple(BLF_OP_EXCLUDE, "17.1.2.128/25", "clean") };
	static const char *const ranges[] = { "", "17.0.0.0/8", "17.1.2.0/24", "::/0" };
	size_t r;

	apply(f, &f->a, T0, la, 3);
	apply(f, &f->a, T0 + 1, xa, 1);
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		core_iter all, bare;
		core_entry e, g;
		size_t k = 0;
		int n1;

		if (ranges[r][0] == '\0') {
			assert_int_equal(core_iter_begin(f->c, T0 + 10, &all), 0);
			assert_int_equal(core_iter_begin(f->c, T0 + 10, &bare), 0);
		} else {
			blf_prefix w = pfx(ranges[r]);

			assert_int_equal(core_iter_begin_at(f->c, T0 + 10, &w, NULL, &all), 0);
			assert_int_equal(core_iter_begin_at(f->c, T0 + 10, &w, NULL, &bare), 0);
		}
		core_iter_bare(&bare, 1);
		while ((n1 = core_iter_next(&all, &e)) == 1) {
			assert_true(e.nprov > 0);
			if (k == 1) /* complete again */
				core_iter_bare(&bare, 0);
			assert_int_equal(core_iter_next(&bare, &g), 1);
			assert_int_equal(blf_prefix_cmp(&e.prefix, &g.prefix), 0);
			assert_int_equal(e.kind, g.kind);
			if (k == 0) {
				assert_int_equal(g.nprov, 0);
				assert_null(g.prov);
				assert_int_equal(g.weight, 0);
				assert_int_equal(g.expires, 0);
			} else {
				assert_int_equal(g.nprov, e.nprov);
				assert_int_equal(g.weight, e.weight);
				assert_int_equal(g.expires, e.expires);
				assert_int_equal(g.prov[0].reason, e.prov[0].reason);
			}
			k++;
		}
		assert_int_equal(n1, 0);
		assert_int_equal(core_iter_next(&bare, &g), 0);
		assert_true(k >= 1);
		core_iter_end(&all);
		core_iter_end(&bare);
	}
}

/* With the state and the change feed, a job reads only the shards that
 * hold a changed prefix, and ends where a fresh export of the view does. */
static void
test_incremental(void **state)
{
	struct efx *f = *state;
	blf_op la[5] = { op_list("16.0.0.0/4", T0 + 3600, "wide"),
			 op_list("17.1.2.3/32", T0 + 3600, NULL),
			 op_list("192.0.2.0/24", T0 + 3600, NULL),
			 op_list("198.51.100.7/32", T0 + 7200, NULL),
			 op_list("2001:db8::/48", T0 + 3600, NULL) };
	blf_op one = op_list("198.51.100.9/32", T0 + 7200, NULL);
	blf_op wide = op_simple(BLF_OP_DELIST, "16.0.0.0/4", NULL);
	export_state *es = export_state_new();
	export_config cfg;
	export_stats st;

	assert_non_null(es);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->out;
	cfg.nosync = 1;
	cfg.shard4_bits = 8;
	cfg.shard6_bits = 4;
	apply(f, &f->a, T0, la, 5);
	st = job_run(f, &cfg, es, T0 + 10);
	assert_int_equal(st.walked, 256 + 16); /* no state: every shard */
	same_as_fresh(f, &cfg, T0 + 10);
	/* nothing changed: no shard is read, nothing but the heads written */
	st = job_run(f, &cfg, es, T0 + 11);
	assert_int_equal(st.walked, 0);
	assert_int_equal(st.written, 4); /* rbldnsd, ipset: a head per family */
	/* one /32 in 198/8: that shard only */
	apply(f, &f->b, T0 + 12, &one, 1);
	st = job_run(f, &cfg, es, T0 + 13);
	assert_int_equal(st.walked, 1);
	assert_int_equal(st.written, 4 + 4 + 1); /* heads, 4 shard files, Postfix */
	same_as_fresh(f, &cfg, T0 + 13);
	assert_int_equal(export_verify(f->out, f->agent->pk, NULL, NULL, 0), 0);
	/* the /4 goes: its 16 shards */
	apply(f, &f->a, T0 + 14, &wide, 1);
	st = job_run(f, &cfg, es, T0 + 15);
	assert_int_equal(st.walked, 16);
	same_as_fresh(f, &cfg, T0 + 15);
	/* expiry moves the view with no delta */
	st = job_run(f, &cfg, es, T0 + 3601);
	assert_true(st.walked >= 2 && st.walked <= 3);
	same_as_fresh(f, &cfg, T0 + 3601);
	/* a lost state (restart): every shard again, same result */
	export_state_reset(es);
	st = job_run(f, &cfg, es, T0 + 3602);
	assert_int_equal(st.walked, 256 + 16);
	assert_int_equal(st.written, 4);
	export_state_free(es);
}

/* The job asks the change feed for the changed prefixes alone, with no
 * view lookup per prefix (some 30 us each at a million entries, paid at
 * the start of the job): a listing that came and went since the last
 * export still names its shard, which is read, compared and kept. */
static void
test_incremental_prefixes(void **state)
{
	struct efx *f = *state;
	blf_op l = op_list("203.0.113.5/32", T0 + 7200, NULL);
	blf_op d = op_simple(BLF_OP_DELIST, "203.0.113.5/32", NULL);
	blf_op keep = op_list("192.0.2.0/24", T0 + 7200, NULL);
	export_state *es = export_state_new();
	export_config cfg;
	export_stats st;
	uint64_t gen;

	assert_non_null(es);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->out;
	cfg.nosync = 1;
	cfg.shard4_bits = 8;
	cfg.shard6_bits = 4;
	apply(f, &f->b, T0, &keep, 1);
	st = job_run(f, &cfg, es, T0 + 10);
	assert_int_equal(st.walked, 256 + 16);
	apply(f, &f->b, T0 + 11, &l, 1);
	assert_int_equal(core_view_generation(f->c, T0 + 11, &gen), 0); /* seen listed */
	apply(f, &f->b, T0 + 12, &d, 1);
	st = job_run(f, &cfg, es, T0 + 13);
	assert_int_equal(st.walked, 1);  /* 203/8, though the view is as it was */
	assert_int_equal(st.written, 4); /* the heads only: its files are kept */
	same_as_fresh(f, &cfg, T0 + 13);
	export_state_free(es);
}

/* Deltas applied between the steps of a job: every file stays complete
 * and verifies, each shard is the view at the step that read it, and the
 * next job brings every change in. */
static void
test_job_interleaved(void **state)
{
	struct efx *f = *state;
	blf_op la[2] = { op_list("10.0.0.1/32", T0 + 7200, NULL),
			 op_list("200.0.0.1/32", T0 + 7200, NULL) };
	blf_op early = op_list("10.0.0.2/32", T0 + 7200, "early");
	blf_op late = op_list("200.0.0.2/32", T0 + 7200, "late");
	export_state *es = export_state_new();
	export_config cfg;
	export_stats st;
	export_job *j;
	int done = 0, steps = 0;
	char *p;

	assert_non_null(es);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->out;
	cfg.nosync = 1;
	cfg.shard4_bits = 8;
	cfg.shard6_bits = 1;
	apply(f, &f->a, T0, la, 2);
	(void)job_run(f, &cfg, es, T0 + 10);
	apply(f, &f->a, T0 + 11, &early, 1);
	apply(f, &f->b, T0 + 11, &late, 1);
	/* both shards are dirty; after one step (10/8 walked once, its files
	 * rendered and compared) both change again */
	assert_int_equal(export_job_start_core(f->c, &cfg, f->agent, T0 + 12, es, &j), 0);
	assert_int_equal(export_job_step(j, T0 + 12, &done), 0);
	{
		blf_op e2 = op_list("10.0.0.3/32", T0 + 7200, NULL);
		blf_op l2 = op_list("200.0.0.3/32", T0 + 7200, NULL);

		apply(f, &f->a, T0 + 13, &e2, 1);
		apply(f, &f->a, T0 + 13, &l2, 1);
	}
	while (!done) {
		assert_int_equal(export_job_step(j, T0 + 13, &done), 0);
		steps++;
	}
	export_job_stats(j, &st);
	export_job_free(j);
	assert_int_equal(export_verify(f->out, f->agent->pk, NULL, NULL, 0), 0);
	/* 10/8 was read before 10.0.0.3 came, 200/8 after 200.0.0.3 */
	p = slurp(f->out, "plain-ip4.s0a");
	assert_non_null(strstr(p, "10.0.0.1/32\n10.0.0.2/32\n"));
	assert_null(strstr(p, "10.0.0.2/31"));
	free(p);
	p = slurp(f->out, "plain-ip4.sc8");
	assert_non_null(strstr(p, "200.0.0.1/32\n200.0.0.2/31"));
	free(p);
	/* the next job takes 10/8 again (changed since this job began) */
	st = job_run(f, &cfg, es, T0 + 14);
	assert_int_equal(st.walked, 2);
	same_as_fresh(f, &cfg, T0 + 14);
	export_state_free(es);
}

/* The per-origin view through a real core: an origin's zone holds its
 * records that count (whatever the threshold), not those its anchor
 * refuses or that expired, and an origin without listings has none. */
static void
test_core_per_origin(void **state)
{
	struct efx *f = *state;
	blf_op la[4] = { op_list("192.0.2.0/24", T0 + 3600, "t1"),
			 op_list("16.0.0.0/8", T0 + 3600, NULL), /* wider than max4 */
			 op_list("198.51.100.9/32", T0 + 60, NULL), /* expires */
			 op_list("2001:db8::/48", T0 + 3600, NULL) };
	blf_op xa = op_simple(BLF_OP_EXCLUDE, "192.0.2.128/25", "clean");
	blf_op lb = op_list("203.0.113.0/24", T0 + 3600, "b-1");
	trust_anchor *b;
	export_config cfg;
	export_stats st;
	char *z, *m;

	b = trust_store_find_name_mut(&f->st, "beta");
	assert_non_null(b);
	b->weight = 50; /* alone below the threshold (100) */
	trust_store_find_name_mut(&f->st, "alpha")->max4 = 16;
	assert_int_equal(core_set_trust(f->c, &f->st), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = f->out;
	cfg.nosync = 1;
	cfg.per_origin = 1;
	apply(f, &f->a, T0, la, 4);
	apply(f, &f->a, T0 + 1, &xa, 1);
	apply(f, &f->b, T0 + 2, &lb, 1);
	assert_int_equal(export_run(f->c, &cfg, f->agent, T0 + 600, &st), 0);
	assert_int_equal(st.listed4, 1); /* 192.0.2.0/24 alone */

	z = slurp(f->out, "origin.alpha.ip4");
	assert_non_null(z);
	assert_non_null(strstr(z, "\n192.0.2.0/24 :127.0.0.2:$ listed by alpha: spam-source since "
				  "2023-11-14 (t1)\n"));
	assert_non_null(strstr(z, "\n!192.0.2.128/25\n"));
	assert_null(strstr(z, "16.0.0.0/8"));
	assert_null(strstr(z, "198.51.100.9"));
	assert_non_null(strstr(z, ": blfed, serial "));
	assert_non_null(strstr(z, ", 2 entries\n"));
	free(z);
	z = slurp(f->out, "origin.alpha.ip6");
	assert_non_null(z);
	assert_non_null(strstr(z, "\n2001:db8::/48 :127.0.0.2:$ listed by alpha"));
	free(z);
	z = slurp(f->out, "origin.beta.ip4");
	assert_non_null(z);
	assert_non_null(strstr(z, "\n203.0.113.0/24 :127.0.0.2:$ listed by beta: spam-source since "
				  "2023-11-14 (b-1)\n"));
	free(z);
	assert_null(slurp(f->out, "origin.beta.ip6"));
	m = slurp(f->out, "MANIFEST");
	assert_non_null(strstr(m, "  origin.beta.ip4\n"));
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_core_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iter_begin_at, setup_feed, teardown),
		cmocka_unit_test_setup_teardown(test_iter_bare, setup_feed, teardown),
		cmocka_unit_test_setup_teardown(test_incremental, setup_feed, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_prefixes, setup_feed, teardown),
		cmocka_unit_test_setup_teardown(test_job_interleaved, setup_feed, teardown),
		cmocka_unit_test_setup_teardown(test_pieces, setup_feed, teardown),
		cmocka_unit_test_setup_teardown(test_core_per_origin, setup, teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
