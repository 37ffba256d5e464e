/*
 * test_export.c - the export writers and their publication: every format
 * byte for byte against tests/corpus/export/ for a small view, the MANIFEST
 * signature vector (SPEC "Export manifest"), MANIFEST parsing and
 * verify, shard skipping, the mtime advance, TXT truncation and hostile
 * references, normalisation against a brute-force longest match, and a
 * fault sweeps: whichever I/O call of an export fails, current is the
 * previous generation or the new one, complete and verified; and the
 * layout of generations (links, modes, what is kept, what is followed).
 *
 * The view comes from a synthetic export_source (an array of entries), so
 * that the writers are tested without a core; test_export_core runs the
 * same through a real core.  Set BLF_UPDATE_GOLDEN=1 to rewrite the golden
 * files after a deliberate format change (then review the diff).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../agent/export/export.h"
#include "../../agent/export/export_int.h"
#include "../../keys/fileio.h"

#define T0 1767225600ull
#define DAY 86400ull
#define GOLDEN "tests/corpus/export/"
#define MAXE 64

static const uint8_t OA[BLF_KEYID_LEN] = { 0xa1 };
static const uint8_t OB[BLF_KEYID_LEN] = { 0xb2 };

struct view {
	core_entry e[MAXE];
	core_prov p[MAXE][4];
	size_t n, pos;
	int fail_at; /* next() returns -1 at this position (-1: never) */
	int bare;    /* entries without provenance (v_provenance) */
	char *rename;            /* v_next: at rename_at, rename_to copied here */
	size_t rename_at;
	const char *rename_to;
	unsigned asked[2]; /* v_provenance calls with prov 0 and 1 */
	int first_ask;     /* prov of the first call (-1: none) */
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

	if ((int)v->pos == v->fail_at)
		return -1;
	if (v->pos >= v->n)
		return 0;
	if (v->rename != NULL && v->pos == v->rename_at)
		strcpy(v->rename, v->rename_to); /* another name at the same address */
	*e = v->e[v->pos++];
	if (v->bare) { /* as the core's core_iter_bare */
		e->weight = 0;
		e->expires = 0;
		e->nprov = 0;
		e->prov = NULL;
	}
	return 1;
}

static void
v_provenance(void *ctx, int prov)
{
	struct view *v = ctx;

	if (v->asked[0] + v->asked[1] == 0)
		v->first_ask = prov;
	v->asked[prov != 0]++;
	v->bare = !prov;
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
	keyid[15] = 0x55; /* a rotated key: signer differs from origin */
	return 0;
}

static blf_prefix
pfx(const char *s)
{
	blf_prefix p;

	assert_int_equal(blf_prefix_parse(s, strlen(s), 0, &p), 0);
	return p;
}

static core_prov *
add(struct view *v, int kind, const char *prefix)
{
	core_entry *e = &v->e[v->n];

	assert_true(v->n < MAXE);
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->prefix = pfx(prefix);
	e->prov = v->p[v->n];
	v->n++;
	return v->p[v->n - 1];
}

static void
prov(struct view *v, const char *name, const uint8_t *origin, uint16_t reason, uint64_t first,
     uint64_t expires, const char *ref)
{
	core_entry *e = &v->e[v->n - 1];
	core_prov *p = &v->p[v->n - 1][e->nprov++];

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->origin = origin;
	p->weight = 100;
	p->reason = reason;
	p->first = first;
	p->changed = first + 60;
	p->expires = expires;
	p->ref = ref;
	p->ref_len = ref != NULL ? strlen(ref) : 0;
	e->weight += e->kind == CORE_ENTRY_LISTED ? 100 : 0;
	if (e->kind == CORE_ENTRY_LISTED && (e->expires == 0 || expires < e->expires))
		e->expires = expires;
}

/* The small view of the golden files (sorted as the core sorts). */
static void
small_view(struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->fail_at = -1;
	add(v, CORE_ENTRY_LISTED, "192.0.2.0/24");
	prov(v, "alpha", OA, 2, T0, T0 + 7 * DAY, "range 17");
	add(v, CORE_ENTRY_EXCLUDED, "192.0.2.129/32");
	prov(v, "alpha", OA, 0, T0 + 10, 0, "customer verified clean");
	add(v, CORE_ENTRY_LISTED, "198.51.100.7/32");
	prov(v, "alpha", OA, 1, T0, T0 + 7 * DAY, "ticket 4711");
	prov(v, "beta", OB, 3, T0 + 60, T0 + DAY, "beta-77");
	add(v, CORE_ENTRY_LISTED, "203.0.113.0/24");
	prov(v, "beta", OB, 4, T0 + 60, T0 + DAY, NULL);
	add(v, CORE_ENTRY_LISTED, "2001:db8:1::/48");
	prov(v, "alpha", OA, 3, T0, T0 + 30 * DAY, NULL);
	add(v, CORE_ENTRY_EXCLUDED, "2001:db8:1:2::/64");
	prov(v, "alpha", OA, 0, T0, 0, NULL);
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
		seed[i] = (uint8_t)i;
	assert_int_equal(blf_init(), 0);
	assert_int_equal(key_secret_from_seed(seed, "agent", &agent), 0);
	snprintf(dir, sizeof(dir), "/tmp/blf-export-XXXXXX");
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

static export_source
src_of(struct view *v)
{
	export_source s = { v, v_begin, v_next, v_end, v_signer, NULL, NULL, NULL, NULL, NULL };

	return s;
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

/* The published generation of an export directory: DIR/current. */
static const char *
cur_of(const export_config *c)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/current", c->dir);
	return path;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void
golden(const char *outdir, const char *name)
{
	char a[256], g[256];
	char *x, *y;
	size_t lx, ly;

	snprintf(a, sizeof(a), "%s/%s", outdir, name);
	snprintf(g, sizeof(g), GOLDEN "%s", name);
	x = slurp(a, &lx);
	assert_non_null(x);
	if (getenv("BLF_UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(g, "wb");

		assert_non_null(f);
		fwrite(x, 1, lx, f);
		fclose(f);
	}
	y = slurp(g, &ly);
	if (y == NULL)
		fail_msg("missing golden file %s", g);
	if (lx != ly || memcmp(x, y, lx) != 0)
		fail_msg("%s differs from %s", a, g);
	free(x);
	free(y);
}

static void
test_golden(void **state)
{
	static const char *const files[] = {
		"rbldnsd-ip4.head", "rbldnsd-ip4.s00", "rbldnsd-ip6.head", "rbldnsd-ip6.s00",
		"postfix.cidr",     "plain-ip4.s00",   "plain-ip6.s00",    "ipset-ip4.head",
		"ipset-ip4.s00",    "ipset-ip6.head",  "ipset-ip6.s00",    "jsonl-ip4.s00",
		"jsonl-ip6.s00",
	};
	struct view v;
	export_source s;
	export_config c = cfg_of("golden");
	export_stats st;
	export_verify_result r;
	char err[256];
	size_t i;

	(void)state;
	small_view(&v);
	s = src_of(&v);
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 3600, &st), 0);
	assert_int_equal(st.files, 13);
	assert_int_equal(st.written, 13);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.listed4, 3);
	assert_int_equal(st.listed6, 1);
	assert_int_equal(st.excluded, 2);
	assert_int_equal(st.serial, T0 + 3600);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		golden(cur_of(&c), files[i]);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nfiles, 13);
	assert_int_equal(r.serial, T0 + 3600);
	assert_int_equal(r.time, T0 + 3600);
}

/* The exporter asks a source for provenance only where a format shows it:
 * never for the plain lists, not for the walk that only counts the
 * Postfix table; and a source that then leaves it out gives the golden
 * files all the same. */
static void
test_provenance_asked(void **state)
{
	static const struct {
		unsigned formats;
		const char *files[4];
		unsigned asked0, asked1; /* 0: none, 1: some */
		int first;
	} cases[] = {
		{ EXPORT_PLAIN, { "plain-ip4.s00", "plain-ip6.s00" }, 1, 0, 0 },
		{ EXPORT_IPSET, { "ipset-ip4.s00", "ipset-ip6.s00" }, 0, 1, 1 },
		{ EXPORT_RBLDNSD, { "rbldnsd-ip4.s00", "rbldnsd-ip6.s00" }, 0, 1, 1 },
		{ EXPORT_JSONL, { "jsonl-ip4.s00", "jsonl-ip6.s00" }, 0, 1, 1 },
		{ EXPORT_POSTFIX, { "postfix.cidr" }, 1, 1, 0 },
		{ EXPORT_PLAIN | EXPORT_POSTFIX, { "plain-ip4.s00", "postfix.cidr" }, 1, 1, 0 },
		{ EXPORT_ALL, { "rbldnsd-ip4.s00", "plain-ip4.s00", "postfix.cidr",
				"ipset-ip6.s00" }, 0, 1, 1 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sub[32];
		struct view v;
		export_source s;
		export_config c;
		export_stats st;

		snprintf(sub, sizeof(sub), "prov%zu", i);
		c = cfg_of(sub);
		c.formats = cases[i].formats;
		small_view(&v);
		v.first_ask = -1;
		s = src_of(&v);
		s.provenance = v_provenance;
		assert_int_equal(export_run_source(&s, &c, agent, T0 + 3600, &st), 0);
		assert_int_equal(v.asked[0] > 0, cases[i].asked0);
		assert_int_equal(v.asked[1] > 0, cases[i].asked1);
		assert_int_equal(v.first_ask, cases[i].first);
		for (k = 0; k < 4 && cases[i].files[k] != NULL; k++)
			golden(cur_of(&c), cases[i].files[k]);
	}
}

/* ipset comments come from a cache of safe names: names a few bytes
 * apart each keep their own, a name changed in place at the same address
 * never shows the old text, and quotes are made safe. */
static void
test_ipset_tags(void **state)
{
	static const char block[] = "ab\0cd\0e\"\0gh";
	static char mutable[KEYS_NAME_MAX + 1] = "first";
	static const char *const want =
		"add blfed4 10.0.0.1/32 comment \"ab spam-source\"\n"
		"add blfed4 10.0.0.3/32 comment \"cd spam-source\"\n"
		"add blfed4 10.0.0.5/32 comment \"e_ spam-source\"\n"
		"add blfed4 10.0.0.7/32 comment \"gh 999\"\n"
		"add blfed4 10.0.0.9/32 comment \"ab spam-source\"\n"
		"add blfed4 10.0.0.11/32 comment \"first snowshoe\"\n"
		"add blfed4 10.0.0.13/32 comment \"first snowshoe\"\n"
		"add blfed4 10.0.0.15/32 comment \"second snowshoe\"\n"
		"add blfed4 10.0.0.17/32 comment \"cd spam-source\"\n";
	struct view v;
	export_source s;
	export_config c = cfg_of("tags");
	const char *names[9] = { block, block + 3, block + 6, block + 9, block,
				 mutable, mutable, mutable, block + 3 };
	uint16_t reasons[9] = { 1, 1, 1, 999, 1, 2, 2, 2, 1 };
	char path[256], pfxs[32], *b, *body;
	size_t i, len;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.fail_at = -1;
	for (i = 0; i < 9; i++) {
		snprintf(pfxs, sizeof(pfxs), "10.0.0.%zu/32", 2 * i + 1);
		add(&v, CORE_ENTRY_LISTED, pfxs);
		prov(&v, names[i], OA, reasons[i], T0, T0 + DAY, NULL);
	}
	v.rename = mutable;
	v.rename_at = 7;
	v.rename_to = "second";
	s = src_of(&v);
	c.formats = EXPORT_IPSET;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	snprintf(path, sizeof(path), "%s/ipset-ip4.s00", cur_of(&c));
	b = slurp(path, &len);
	assert_non_null(b);
	body = strchr(b, '\n');
	assert_non_null(body);
	assert_string_equal(body + 1, want);
	free(b);
}

/* A values per reason, through the job's table below 256 and the
 * configuration above: an override, a registered reason, unregistered
 * ones below and above 256 (the default value), in the merged zone and in
 * the origin's. */
static void
test_avals(void **state)
{
	static const char *const want[] = {
		"10.0.0.1/32 :127.0.0.2:$ listed by alpha: spam-source since 2026-01-01\n",
		"10.0.0.2/32 :127.0.0.9:$ listed by alpha: snowshoe since 2026-01-01\n",
		"10.0.0.3/32 :127.0.0.10:$ listed by alpha: reason-200 since 2026-01-01\n",
		"10.0.0.4/32 :127.0.0.10:$ listed by alpha: reason-999 since 2026-01-01\n",
	};
	static const uint16_t reasons[] = { 1, 2, 200, 999 };
	struct view v;
	export_source s;
	export_config c = cfg_of("avals");
	char path[256], pfxs[32], *b;
	size_t i, len;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.fail_at = -1;
	for (i = 0; i < 4; i++) {
		snprintf(pfxs, sizeof(pfxs), "10.0.0.%zu/32", i + 1);
		add(&v, CORE_ENTRY_LISTED, pfxs);
		prov(&v, "alpha", OA, reasons[i], T0, T0 + DAY, NULL);
	}
	s = src_of(&v);
	c.formats = EXPORT_RBLDNSD;
	c.a_default = 0x7f00000au;
	c.avals[0].reason = 2;
	c.avals[0].a = 0x7f000009u;
	c.navals = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	snprintf(path, sizeof(path), "%s/rbldnsd-ip4.s00", cur_of(&c));
	b = slurp(path, &len);
	assert_non_null(b);
	for (i = 0; i < 4; i++)
		assert_non_null(strstr(b, want[i]));
	free(b);
}

/* SPEC "Export manifest" test vector: key A, tests/vectors/manifest.txt. */
static void
test_manifest_vector(void **state)
{
	uint8_t sig[BLF_SIG_LEN];
	char line[EXPORT_SIG_LINE_LEN + 1];
	char *m, *want;
	size_t ml, wl;
	xman x;

	(void)state;
	m = slurp("tests/vectors/manifest.txt", &ml);
	want = slurp("tests/vectors/manifest.sig", &wl);
	assert_non_null(m);
	assert_non_null(want);
	export_manifest_sign(agent->sk, (const uint8_t *)m, ml, sig);
	assert_int_equal(export_manifest_sig_format(agent->keyid, sig, line), wl);
	assert_memory_equal(line, want, wl);
	assert_int_equal(export_manifest_verify(agent->pk, (const uint8_t *)m, ml, want, wl), 0);
	/* the tag is part of what is signed: a plain signature does not verify */
	crypto_sign_detached(sig, NULL, (const uint8_t *)m, ml, agent->sk);
	export_manifest_sig_format(agent->keyid, sig, line);
	assert_int_equal(export_manifest_verify(agent->pk, (const uint8_t *)m, ml, line, wl),
			 BLF_EBADSIG);
	/* one byte of the manifest changed */
	m[30] ^= 1;
	assert_int_equal(export_manifest_verify(agent->pk, (const uint8_t *)m, ml, want, wl),
			 BLF_EBADSIG);
	m[30] ^= 1;
	/* malformed signature line */
	assert_int_equal(export_manifest_verify(agent->pk, (const uint8_t *)m, ml, want, wl - 1),
			 BLF_EINVAL);
	/* and the manifest parses */
	assert_int_equal(export_man_parse(m, ml, &x, NULL, 0), 0);
	assert_int_equal(x.nfiles, 1);
	assert_int_equal(x.serial, T0);
	assert_int_equal(x.time, T0);
	assert_string_equal(x.files[0].name, "plain-ip4.s00");
	assert_int_equal(x.files[0].size, 16);
	export_man_free(&x);
	free(m);
	free(want);
}

static void
test_manifest_parse_hostile(void **state)
{
	static const char head[] = "# blfed export manifest 1\n# serial 5\n"
				   "# time 2026-01-01T00:00:00Z\n"
				   "# agent 9ddb0fadcb321f24710d6d97b69ed89d\n";
	static const char sum[] =
		"5fe8b5d501843c4326e818f877ca4c5145d36b4e5d2b23be44db75894a87ad5c  ";
	static const char *const bad[] = {
		"# file ../etc/passwd 16 - 0\n",  "# file .hidden 16 - 0\n",
		"# file MANIFEST 16 - 0\n",       "# file a/b 16 - 0\n",
		"# file a 016 - 0\n",             "# file a 16 xyz 0\n",
		"# file a 16 - 0 7\n",                "garbage\n",
	};
	char buf[1024];
	char err[256];
	xman x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s%sa\n", head, bad[i], sum);
		assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), BLF_ECORRUPT);
	}
	/* not sorted, duplicate, missing sum, no final newline, bad magic */
	snprintf(buf, sizeof(buf), "%s# file b 1 - 0\n%sb\n# file a 1 - 0\n%sa\n", head, sum, sum);
	assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), BLF_ECORRUPT);
	snprintf(buf, sizeof(buf), "%s# file a 1 - 0\n%sa\n# file a 1 - 0\n%sa\n", head, sum, sum);
	assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), BLF_ECORRUPT);
	snprintf(buf, sizeof(buf), "%s# file a 1 - 0\n", head);
	assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), BLF_ECORRUPT);
	snprintf(buf, sizeof(buf), "%s# file a 1 - 0\n%sa", head, sum);
	assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), BLF_ECORRUPT);
	/* a time that parses but is not the one spelling (fuzz finding) */
	memcpy(buf, head, sizeof(head));
	memcpy(buf + 44 + 10, "\0\0\0\xed", 4);
	assert_int_equal(export_man_parse(buf, sizeof(head) - 1, &x, err, sizeof(err)), BLF_ECORRUPT);
	snprintf(buf, sizeof(buf), "# blfed export manifest 2\n");
	assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), BLF_ECORRUPT);
	snprintf(buf, sizeof(buf), "%s# file a 1 - 0\n%sa\n", head, sum);
	assert_int_equal(export_man_parse(buf, strlen(buf), &x, err, sizeof(err)), 0);
	export_man_free(&x);
}

static void
test_verify_detects(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("verify");
	export_verify_result r;
	char err[256], path[256];
	uint8_t other[BLF_PK_LEN];
	FILE *f;

	(void)state;
	small_view(&v);
	s = src_of(&v);
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), 0);
	memcpy(other, agent->pk, BLF_PK_LEN);
	other[0] ^= 1;
	assert_int_equal(export_verify(c.dir, other, &r, err, sizeof(err)), BLF_EBADSIG);
	/* a changed byte in one file, same size */
	snprintf(path, sizeof(path), "%s/current/plain-ip4.s00", c.dir);
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, -2, SEEK_END);
	fputc('9', f);
	fclose(f);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), BLF_ECORRUPT);
	assert_int_equal(r.nbad, 1);
	assert_string_equal(err, "plain-ip4.s00: SHA-256 differs");
	/* a missing file */
	snprintf(path, sizeof(path), "%s/current/jsonl-ip6.s00", c.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), BLF_ECORRUPT);
	assert_int_equal(r.nbad, 2);
	/* the next export repairs both (their size or key no longer match) */
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 1, NULL), 0);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), 0);
	/* a missing signature */
	snprintf(path, sizeof(path), "%s/current/MANIFEST.sig", c.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), BLF_EBADSIG);
}

static void
stat_of(const char *d, const char *name, struct stat *sb)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", d, name);
	assert_int_equal(lstat(p, sb), 0);
}

/* Many IPv4 entries over four shards; one change rewrites one shard. */
static void
test_shard_skip(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("shards");
	export_stats st;
	struct stat before[4], after[4];
	char name[32];
	int i;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.fail_at = -1;
	add(&v, CORE_ENTRY_LISTED, "10.0.0.1/32");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	add(&v, CORE_ENTRY_LISTED, "70.0.0.1/32");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	add(&v, CORE_ENTRY_LISTED, "130.0.0.1/32");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	add(&v, CORE_ENTRY_LISTED, "200.0.0.1/32");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	s = src_of(&v);
	c.shard4_bits = 2;
	c.formats = EXPORT_RBLDNSD | EXPORT_PLAIN | EXPORT_JSONL;
	assert_int_equal(export_run_source(&s, &c, agent, T0, &st), 0);
	/* rbldnsd: 2 heads + 4 + 1 shards; plain and jsonl 4 + 1 each */
	assert_int_equal(st.files, 17);
	assert_int_equal(st.written, 17);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "rbldnsd-ip4.s%02x", i);
		stat_of(cur_of(&c), name, &before[i]);
	}
	/* nothing changed: only the two heads are written */
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 10, &st), 0);
	assert_int_equal(st.written, 2);
	assert_int_equal(st.skipped, 15);
	/* a new reason in shard 2 (128.0.0.0/2): its rbldnsd and JSON files
	 * change; the plain list holds addresses only and stays */
	v.p[2][0].reason = 3;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 20, &st), 0);
	assert_int_equal(st.written, 2 + 2);
	assert_int_equal(st.skipped, 13);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "rbldnsd-ip4.s%02x", i);
		stat_of(cur_of(&c), name, &after[i]);
		if (i == 2) {
			assert_int_not_equal(after[i].st_ino, before[i].st_ino);
		} else {
			assert_int_equal(after[i].st_ino, before[i].st_ino);
			assert_int_equal(after[i].st_mtim.tv_sec, before[i].st_mtim.tv_sec);
			assert_int_equal(after[i].st_mtim.tv_nsec, before[i].st_mtim.tv_nsec);
		}
	}
	/* a shard file changed behind our back (size) is rewritten */
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/current/plain-ip4.s01", c.dir);
		assert_int_equal(truncate(p, 3), 0);
	}
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 30, &st), 0);
	assert_int_equal(st.written, 3);
	/* fewer shards: the old shard files are removed */
	c.shard4_bits = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 40, &st), 0);
	assert_int_equal(st.files, 2 + 2 + 1 + 2 + 1 + 2 + 1);
	assert_int_equal(st.removed, 6);
	assert_int_equal(access("/nonexistent", F_OK), -1);
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/current/rbldnsd-ip4.s03", c.dir);
		assert_int_equal(access(p, F_OK), -1);
	}
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
}

/* A rewrite in the same second as the old file still moves the mtime. */
static void
test_mtime_advance(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("mtime");
	struct stat sb;
	struct timespec ts[2];
	char p[256];
	time_t future = time(NULL) + 1000;

	(void)state;
	small_view(&v);
	s = src_of(&v);
	c.formats = EXPORT_PLAIN;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	/* pretend the old file is newer than anything we write now */
	snprintf(p, sizeof(p), "%s/current/plain-ip4.s00", c.dir);
	ts[0].tv_sec = future;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	v.e[0].prefix = pfx("192.0.3.0/24"); /* same length of text: same size */
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 1, NULL), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_mtim.tv_sec > future);
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
}

static size_t
count_char(const char *s, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* Hostile references and long provenance: every format stays intact. */
static void
test_hostile_text(void **state)
{
	static const char evil[] = "a\"b\\c\nd$e#f\xe4\xb8\xad\xff'g\r%s";
	static char longref[BLF_MAX_REF_LEN + 1];
	static const char *const names[] = { "n1", "n2", "n3", "n4" };
	struct view v;
	export_source s;
	export_config c = cfg_of("hostile");
	char path[256], *b, *line, *txt;
	size_t len, i;

	(void)state;
	memset(longref, 'x', BLF_MAX_REF_LEN);
	memset(&v, 0, sizeof(v));
	v.fail_at = -1;
	add(&v, CORE_ENTRY_LISTED, "10.0.0.0/24");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, evil);
	add(&v, CORE_ENTRY_LISTED, "2001:db8::/48");
	for (i = 0; i < 4; i++)
		prov(&v, names[i], OA, 3, T0 + i, T0 + DAY, longref);
	s = src_of(&v);
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);

	/* rbldnsd: one line, no "$" or "#" from the data, ASCII only */
	snprintf(path, sizeof(path), "%s/current/rbldnsd-ip4.s00", c.dir);
	b = slurp(path, &len);
	line = strchr(b, '\n') + 1;
	assert_string_equal(line, "10.0.0.0/24 :127.0.0.2:$ listed by alpha: spam-source since "
				  "2026-01-01 (a\"b\\c?d_e_f???" "?'g?%s)\n");
	free(b);
	/* TXT at most 255 bytes with "$" as the longest IPv6 address */
	snprintf(path, sizeof(path), "%s/current/rbldnsd-ip6.s00", c.dir);
	b = slurp(path, &len);
	line = strchr(b, '\n') + 1;
	txt = strstr(line, " :");
	txt = strchr(txt + 2, ':') + 1;
	assert_int_equal(strlen(txt) - 1 - 1 + 39, EXPORT_TXT_MAX);
	assert_memory_equal(txt + strlen(txt) - 4, "...\n", 4);
	free(b);
	/* ipset: the comment holds no quote or backslash */
	snprintf(path, sizeof(path), "%s/current/ipset-ip4.s00", c.dir);
	b = slurp(path, &len);
	assert_non_null(strstr(b, "add blfed4 10.0.0.0/24 comment \"alpha spam-source\"\n"));
	assert_int_equal(count_char(b, len, '"'), 2);
	free(b);
	/* postfix: one line per entry, printable ASCII */
	snprintf(path, sizeof(path), "%s/current/postfix.cidr", c.dir);
	b = slurp(path, &len);
	assert_int_equal(count_char(b, len, '\n'), 3);
	for (i = 0; i < len; i++)
		assert_true(b[i] == '\n' || (b[i] >= 0x20 && b[i] < 0x7f));
	free(b);
	/* JSON: escaped, UTF-8 as \u, the invalid byte as \ufffd */
	snprintf(path, sizeof(path), "%s/current/jsonl-ip4.s00", c.dir);
	b = slurp(path, &len);
	assert_non_null(strstr(b, "\"ref\":\"a\\\"b\\\\c\\u000ad$e#f\\u4e2d\\ufffd'g\\u000d%s\""));
	assert_int_equal(count_char(b, len, '\n'), 1);
	free(b);
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
}

/* Normalisation against a brute-force longest match in a window that a
 * shard boundary cuts (64.0.0.0 with two shard bits). */
static void
test_normalise(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("norm");
	uint32_t base = 0x3ffff800u; /* 63.255.248.0 */
	unsigned char want[4096], got[4096];
	char path[256], *b, *line;
	size_t len, i, k;
	int sh;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.fail_at = -1;
	/* nested listings and exclusions (core order: address, shorter first) */
	add(&v, CORE_ENTRY_LISTED, "63.255.248.0/21");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	add(&v, CORE_ENTRY_EXCLUDED, "63.255.250.0/23");
	prov(&v, "alpha", OA, 0, T0, 0, NULL);
	add(&v, CORE_ENTRY_LISTED, "63.255.252.0/24");
	prov(&v, "beta", OB, 2, T0, T0 + DAY, NULL);
	add(&v, CORE_ENTRY_EXCLUDED, "63.255.255.255/32");
	prov(&v, "alpha", OA, 0, T0, 0, NULL);
	add(&v, CORE_ENTRY_LISTED, "64.0.0.0/22");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	add(&v, CORE_ENTRY_EXCLUDED, "64.0.0.0/32");
	prov(&v, "alpha", OA, 0, T0, 0, NULL);
	add(&v, CORE_ENTRY_EXCLUDED, "64.0.1.128/25");
	prov(&v, "alpha", OA, 0, T0, 0, NULL);
	add(&v, CORE_ENTRY_LISTED, "64.0.4.0/24");
	prov(&v, "alpha", OA, 1, T0, T0 + DAY, NULL);
	s = src_of(&v);
	c.shard4_bits = 2;
	c.formats = EXPORT_PLAIN | EXPORT_IPSET;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	/* brute force: longest match over the window */
	for (i = 0; i < 4096; i++) {
		uint32_t a = base + (uint32_t)i;
		int best = -1, kind = 0;

		for (k = 0; k < v.n; k++) {
			const blf_prefix *p = &v.e[k].prefix;
			uint32_t lo = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
				      (uint32_t)p->addr[2] << 8 | p->addr[3];
			uint32_t mask = p->len == 0 ? 0 : ~0u << (32 - p->len);

			if ((a & mask) == lo && p->len > best) {
				best = p->len;
				kind = v.e[k].kind;
			}
		}
		want[i] = kind == CORE_ENTRY_LISTED;
	}
	memset(got, 0, sizeof(got));
	for (sh = 0; sh < 4; sh++) {
		size_t lines = 0;

		snprintf(path, sizeof(path), "%s/current/plain-ip4.s%02x", c.dir, sh);
		b = slurp(path, &len);
		assert_non_null(b);
		for (line = strtok(b, "\n"); line != NULL; line = strtok(NULL, "\n")) {
			blf_prefix p;
			uint32_t lo, n;

			if (line[0] == '#')
				continue;
			lines++;
			assert_int_equal(blf_prefix_parse(line, strlen(line), 1, &p), 0);
			lo = (uint32_t)p.addr[0] << 24 | (uint32_t)p.addr[1] << 16 |
			     (uint32_t)p.addr[2] << 8 | p.addr[3];
			assert_int_equal(lo >> 30, (uint32_t)sh); /* inside its shard */
			n = 1u << (32 - p.len);
			for (i = 0; i < n; i++) {
				assert_true(lo + i >= base && lo + i < base + 4096);
				assert_int_equal(got[lo + i - base], 0); /* no overlap */
				got[lo + i - base] = 1;
			}
		}
		if (sh == 0)
			assert_int_equal(lines, 11); /* 248/23 252/23 254/24 255.0/25 .. 255.254/32 */
		free(b);
	}
	assert_memory_equal(got, want, sizeof(want));
}

/* Hosts outside every open prefix, the common case the walk takes at
 * once: adjacent ones merged (in ipset only under the same comment), an
 * exclusion among them, a host right after a listed prefix, and the last
 * address of the family. */
static void
test_norm_hosts(void **state)
{
	static const char *const plain =
		"10.0.0.1/32\n10.0.0.2/31\n10.0.0.4/32\n10.0.0.7/32\n10.0.1.0/30\n10.0.1.4/32\n"
		"10.0.1.6/31\n10.0.1.8/29\n10.0.1.16/28\n10.0.1.32/27\n10.0.1.64/26\n"
		"10.0.1.128/25\n10.0.2.0/32\n255.255.255.255/32\n";
	static const char *const ipset =
		"add blfed4 10.0.0.1/32 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.0.2/31 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.0.4/32 comment \"beta spam-source\"\n"
		"add blfed4 10.0.0.7/32 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.0/30 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.4/32 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.6/31 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.8/29 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.16/28 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.32/27 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.64/26 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.1.128/25 comment \"alpha spam-source\"\n"
		"add blfed4 10.0.2.0/32 comment \"alpha spam-source\"\n"
		"add blfed4 255.255.255.255/32 comment \"alpha spam-source\"\n";
	static const struct {
		int kind;
		const char *p, *name;
	} es[] = {
		{ CORE_ENTRY_LISTED, "10.0.0.1/32", "alpha" },
		{ CORE_ENTRY_LISTED, "10.0.0.2/32", "alpha" },
		{ CORE_ENTRY_LISTED, "10.0.0.3/32", "alpha" },
		{ CORE_ENTRY_LISTED, "10.0.0.4/32", "beta" },
		{ CORE_ENTRY_EXCLUDED, "10.0.0.6/32", "alpha" },
		{ CORE_ENTRY_LISTED, "10.0.0.7/32", "alpha" },
		{ CORE_ENTRY_LISTED, "10.0.1.0/24", "alpha" },
		{ CORE_ENTRY_EXCLUDED, "10.0.1.5/32", "alpha" },
		{ CORE_ENTRY_LISTED, "10.0.2.0/32", "alpha" },
		{ CORE_ENTRY_LISTED, "255.255.255.255/32", "alpha" },
	};
	struct view v;
	export_source s;
	export_config c = cfg_of("hosts");
	char path[256], *b, *body;
	size_t i, len;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.fail_at = -1;
	for (i = 0; i < sizeof(es) / sizeof(es[0]); i++) {
		add(&v, es[i].kind, es[i].p);
		prov(&v, es[i].name, es[i].name[0] == 'a' ? OA : OB, 1, T0, T0 + DAY, NULL);
	}
	s = src_of(&v);
	c.formats = EXPORT_PLAIN | EXPORT_IPSET;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	snprintf(path, sizeof(path), "%s/plain-ip4.s00", cur_of(&c));
	b = slurp(path, &len);
	assert_non_null(b);
	body = strstr(b, ")\n"); /* after the two header lines */
	assert_non_null(body);
	assert_string_equal(body + 2, plain);
	free(b);
	snprintf(path, sizeof(path), "%s/ipset-ip4.s00", cur_of(&c));
	b = slurp(path, &len);
	assert_non_null(b);
	body = strchr(b, '\n');
	assert_non_null(body);
	assert_string_equal(body + 1, ipset);
	free(b);
}

/* Fault sweep: each I/O call of an export fails once in turn. */
static void
test_fault_sweep(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("faults");
	export_verify_result r;
	unsigned long start, calls, n;
	int failed_before = 0, failed_publish = 0;

	(void)state;
	small_view(&v);
	s = src_of(&v);
	c.shard4_bits = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	/* count the calls of one changing export */
	v.p[0][0].reason = 5;
	start = fio_calls();
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 1, NULL), 0);
	calls = fio_calls() - start;
	assert_true(calls > 20);
	for (n = 0; n < calls + 2; n++) {
		uint64_t serial_before;
		int rc;

		/* start from a good set at T0 + 2n */
		v.p[0][0].reason = 1;
		fio_fault_clear();
		assert_int_equal(export_run_source(&s, &c, agent, T0 + 10 + 2 * n, NULL), 0);
		assert_int_equal(export_verify(c.dir, agent->pk, &r, NULL, 0), 0);
		serial_before = r.serial;
		v.p[0][0].reason = 5;
		fio_fault_set(n, n % 2 ? ENOSPC : EIO, 1);
		rc = export_run_source(&s, &c, agent, T0 + 11 + 2 * n, NULL);
		fio_fault_clear();
		if (rc == 0)
			continue;
		assert_int_equal(rc, BLF_EIO);
		/* the published set is always complete: the old one, or the new
		 * one when only the clean-up after the swap failed */
		assert_int_equal(export_verify(c.dir, agent->pk, &r, NULL, 0), 0);
		if (r.serial == serial_before)
			failed_before++;
		else
			failed_publish++;
	}
	assert_true(failed_before > 0);
	print_message("fault sweep: %lu calls, %d failures kept the old set, "
		      "%d came after the swap\n",
		      calls, failed_before, failed_publish);
}

/* A source error aborts the export and leaves no generation behind. */
static void
test_source_error(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("srcerr");
	char p[256];

	(void)state;
	small_view(&v);
	s = src_of(&v);
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	v.fail_at = 3;
	v.p[0][0].reason = 5;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 1, NULL), BLF_ENOMEM);
	/* the unfinished generation is gone */
	snprintf(p, sizeof(p), "%s/gen.%llu", c.dir, (unsigned long long)(T0 + 1));
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(export_verify(c.dir, agent->pk, NULL, NULL, 0), 0);
}

/* The serial of the generation current names, 0 if none. */
static uint64_t
current_serial(const export_config *c)
{
	char p[256], t[64];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/current", c->dir);
	if ((n = readlink(p, t, sizeof(t) - 1)) < 0)
		return 0;
	t[n] = '\0';
	assert_int_equal(strncmp(t, "gen.", 4), 0);
	return strtoull(t + 4, NULL, 10);
}

/* The entries of an export directory, sorted, each followed by a space. */
static void
entries(const export_config *c, char *out, size_t cap)
{
	char cmd[300];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | sort | tr '\\n' ' '", c->dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	pclose(f);
}

/*
 * Publication under faults: an export whose every I/O call fails in turn
 * (files and directories really synced).  Whatever fails, current is the
 * old generation or the new one, verifies and passes sha256sum -c, and no
 * other generation is left than the two kept.
 */
static void
test_publication_faults(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("pubfaults");
	export_verify_result r;
	unsigned long start, calls, n;
	int kept_old = 0, got_new = 0, ok = 0;
	char ls[512], want[512], cmd[400];

	(void)state;
	small_view(&v);
	s = src_of(&v);
	c.shard4_bits = 1;
	c.nosync = 0;
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	v.p[0][0].reason = 5;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 1, NULL), 0);
	/* the calls of an export as the loop makes them: after two others,
	 * what it compares with and what it removes included */
	v.p[0][0].reason = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 5 * EXPORT_GEN_KEEP, NULL), 0);
	v.p[0][0].reason = 5;
	start = fio_calls();
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 5 * EXPORT_GEN_KEEP + 1, NULL), 0);
	calls = fio_calls() - start;
	assert_true(calls > 20);
	for (n = 0; n < calls + 2; n++) {
		/* exports EXPORT_GEN_KEEP apart: only the replaced one stays */
		uint64_t before, after, t = T0 + 10 * EXPORT_GEN_KEEP * (n + 1), prev;
		int rc;

		v.p[0][0].reason = 1;
		fio_fault_clear();
		prev = current_serial(&c);
		assert_int_equal(export_run_source(&s, &c, agent, t, NULL), 0);
		before = current_serial(&c);
		assert_int_equal(before, t);
		/* after a clean export: its generation and the one it replaced,
		 * whatever the faulted export before left */
		entries(&c, ls, sizeof(ls));
		snprintf(want, sizeof(want), "current gen.%llu gen.%llu ", (unsigned long long)prev,
			 (unsigned long long)t);
		assert_string_equal(ls, want);
		v.p[0][0].reason = 5;
		fio_fault_set(n, n % 2 ? ENOSPC : EIO, 1);
		rc = export_run_source(&s, &c, agent, t + 1, NULL);
		fio_fault_clear();
		after = current_serial(&c);
		assert_int_equal(export_verify(c.dir, agent->pk, &r, NULL, 0), 0);
		assert_int_equal(r.serial, after);
		snprintf(cmd, sizeof(cmd),
			 "cd '%s/current' && sha256sum -c --strict --quiet MANIFEST >/dev/null", c.dir);
		assert_int_equal(system(cmd), 0);
		if (rc == 0) {
			ok++;
			assert_int_equal(after, t + 1);
		} else {
			assert_int_equal(rc, BLF_EIO);
			assert_true(after == before || after == t + 1);
			if (after == before)
				kept_old++;
			else
				got_new++; /* the fault came after the swap */
		}
		/* a failed export leaves no temporary link; it may leave its
		 * unfinished generation when the fault also hits the clean-up
		 * (the fault is sticky): the next export removes it */
		entries(&c, ls, sizeof(ls));
		assert_null(strstr(ls, ".current.new"));
	}
	assert_true(kept_old > 0);
	assert_true(got_new > 0);
	print_message("publication faults: %lu calls, %d kept the old generation, "
		      "%d failed after the swap (new generation), %d unhurt\n",
		      calls, kept_old, got_new, ok);
}

/*
 * The layout: generations, links for unchanged files, modes whatever the
 * umask, two generations kept, verify on the directory, a generation and a
 * flat copy, and nothing followed but current.
 */
static void
test_generations(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("gens");
	export_stats st;
	export_verify_result r;
	struct stat a, b;
	char p[300], q[300], ls[512], want[512], cmd[700];
	mode_t um;

	(void)state;
	small_view(&v);
	s = src_of(&v);
	c.shard4_bits = 1;
	um = umask(077);
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	v.p[0][0].reason = 5;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 1, &st), 0);
	umask(um);
	assert_true(st.skipped > 0);
	/* modes */
	snprintf(p, sizeof(p), "%s/gen.%llu", c.dir, (unsigned long long)(T0 + 1));
	assert_int_equal(lstat(p, &a), 0);
	assert_true(S_ISDIR(a.st_mode));
	assert_int_equal(a.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/gen.%llu/MANIFEST", c.dir, (unsigned long long)(T0 + 1));
	assert_int_equal(lstat(p, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0644);
	snprintf(p, sizeof(p), "%s/gen.%llu/rbldnsd-ip4.s00", c.dir, (unsigned long long)(T0 + 1));
	assert_int_equal(lstat(p, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0644);
	/* an unchanged file is the previous generation's inode */
	snprintf(p, sizeof(p), "%s/gen.%llu/rbldnsd-ip6.s00", c.dir, (unsigned long long)T0);
	snprintf(q, sizeof(q), "%s/current/rbldnsd-ip6.s00", c.dir);
	assert_int_equal(lstat(p, &a), 0);
	assert_int_equal(stat(q, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	/* a changed one is not */
	snprintf(p, sizeof(p), "%s/gen.%llu/rbldnsd-ip4.s01", c.dir, (unsigned long long)T0);
	snprintf(q, sizeof(q), "%s/current/rbldnsd-ip4.s01", c.dir);
	assert_int_equal(lstat(p, &a), 0);
	assert_int_equal(stat(q, &b), 0);
	assert_int_not_equal(a.st_ino, b.st_ino);
	/* a third export soon after: the first generation, replaced a second
	 * ago, stays for the transfers that may still read it */
	v.p[0][0].reason = 6;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 2, NULL), 0);
	entries(&c, ls, sizeof(ls));
	snprintf(want, sizeof(want), "current gen.%llu gen.%llu gen.%llu ", (unsigned long long)T0,
		 (unsigned long long)(T0 + 1), (unsigned long long)(T0 + 2));
	assert_string_equal(ls, want);
	/* EXPORT_GEN_KEEP later: only current and the one it replaced */
	v.p[0][0].reason = 7;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 2 + EXPORT_GEN_KEEP, NULL), 0);
	entries(&c, ls, sizeof(ls));
	snprintf(want, sizeof(want), "current gen.%llu gen.%llu ", (unsigned long long)(T0 + 2),
		 (unsigned long long)(T0 + 2 + EXPORT_GEN_KEEP));
	assert_string_equal(ls, want);
	v.p[0][0].reason = 6;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 3 + EXPORT_GEN_KEEP, NULL), 0);
	/* verify: the directory, a generation, a flat copy */
	assert_int_equal(export_verify(c.dir, agent->pk, &r, NULL, 0), 0);
	assert_int_equal(r.serial, T0 + 3 + EXPORT_GEN_KEEP);
	snprintf(p, sizeof(p), "%s/gen.%llu", c.dir, (unsigned long long)(T0 + 2 + EXPORT_GEN_KEEP));
	assert_int_equal(export_verify(p, agent->pk, &r, NULL, 0), 0);
	assert_int_equal(r.serial, T0 + 2 + EXPORT_GEN_KEEP);
	snprintf(cmd, sizeof(cmd), "mkdir '%s/flat' && cp -p '%s/current/'* '%s/flat/'", dir, c.dir,
		 dir);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/flat", dir);
	assert_int_equal(export_verify(p, agent->pk, &r, NULL, 0), 0);
	assert_int_equal(r.serial, T0 + 3 + EXPORT_GEN_KEEP);
	/* an unfinished generation (newer than current) is removed by the
	 * next export; a symlink named like a generation is not followed */
	snprintf(cmd, sizeof(cmd),
		 "mkdir '%s/gen.%llu' && touch '%s/gen.%llu/x' && mkdir '%s/victim' && "
		 "touch '%s/victim/y' && ln -s '%s/victim' '%s/gen.%llu'",
		 c.dir, (unsigned long long)(T0 + 5000), c.dir, (unsigned long long)(T0 + 5000), dir,
		 dir, dir, c.dir, (unsigned long long)(T0 + 6000));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 4 + EXPORT_GEN_KEEP, NULL), 0);
	snprintf(p, sizeof(p), "%s/gen.%llu", c.dir, (unsigned long long)(T0 + 5000));
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/victim/y", dir);
	assert_int_equal(access(p, F_OK), 0);
	/* a current that points outside is not followed: verify refuses it,
	 * the next export replaces it with a full set */
	snprintf(p, sizeof(p), "%s/current", c.dir);
	assert_int_equal(unlink(p), 0);
	snprintf(q, sizeof(q), "%s/victim", dir);
	assert_int_equal(symlink(q, p), 0);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, NULL, 0), BLF_ECORRUPT);
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 5 + EXPORT_GEN_KEEP, &st), 0);
	assert_int_equal(st.skipped, 0);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, NULL, 0), 0);
	assert_int_equal(r.serial, T0 + 5 + EXPORT_GEN_KEEP);
	snprintf(p, sizeof(p), "%s/victim/y", dir);
	assert_int_equal(access(p, F_OK), 0);
}

/* A flat export directory of an earlier version becomes a generation:
 * its unchanged files are linked (not rewritten), then the flat set goes. */
static void
test_flat_migration(void **state)
{
	struct view v;
	export_source s;
	export_config c = cfg_of("old");
	export_config m;
	export_stats st;
	export_verify_result r;
	char cmd[600], p[300], ls[512];
	struct stat a, b;

	(void)state;
	small_view(&v);
	s = src_of(&v);
	assert_int_equal(export_run_source(&s, &c, agent, T0, NULL), 0);
	snprintf(cmd, sizeof(cmd), "mkdir -m 755 '%s/migrated' && cp -p '%s/current/'* '%s/migrated/'",
		 dir, c.dir, dir);
	assert_int_equal(system(cmd), 0);
	m = cfg_of("migrated");
	snprintf(p, sizeof(p), "%s/plain-ip6.s00", m.dir);
	assert_int_equal(lstat(p, &a), 0);
	v.p[0][0].reason = 5;
	assert_int_equal(export_run_source(&s, &m, agent, T0 + 1, &st), 0);
	assert_true(st.skipped > 0);
	entries(&m, ls, sizeof(ls));
	snprintf(p, sizeof(p), "current gen.%llu ", (unsigned long long)(T0 + 1));
	assert_string_equal(ls, p);
	snprintf(p, sizeof(p), "%s/current/plain-ip6.s00", m.dir);
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(export_verify(m.dir, agent->pk, &r, NULL, 0), 0);
	assert_int_equal(r.serial, T0 + 1);
}

static void
test_config_check(void **state)
{
	export_config c = cfg_of("cfg");
	char err[256];

	(void)state;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), 0);
	c.a_default = 0x7f000001u; /* 127.0.0.1 */
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	c.a_default = 0x7fffff05u; /* 127.255.255.5 */
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	c.a_default = 0x0a000002u;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	c.a_default = 0x7f000a02u;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), 0);
	c.shard4_bits = 9;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	c.shard4_bits = 0;
	c.zone = "bad zone";
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	c.zone = NULL;
	c.source = "a\"b";
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	c.source = NULL;
	c.formats = 0x100;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
}

/* ---- the per-origin view ------------------------------------------------ */

struct orec {
	int origin;                     /* index into porigins */
	core_origin_rec r;
	const char *ref;
};

static const uint8_t OC[BLF_KEYID_LEN] = { 0xc3, 0x01 };
static const struct {
	const char *name;
	const uint8_t *id;
} porigins[] = { { "alpha", OA }, { "ops@cert.example", OC }, { "gamma", OB } };

struct pview {
	struct view v;                  /* the merged view (small_view) */
	struct orec rec[16];
	size_t n, cur, pos;
};

static int
pv_begin(void *ctx, uint64_t now)
{
	return v_begin(&((struct pview *)ctx)->v, now);
}

static int
pv_next(void *ctx, core_entry *e)
{
	return v_next(&((struct pview *)ctx)->v, e);
}

static int
pv_origin_begin(void *ctx, size_t i, uint64_t now, uint8_t origin[BLF_KEYID_LEN],
		const char **name)
{
	struct pview *p = ctx;

	(void)now;
	if (i >= sizeof(porigins) / sizeof(porigins[0]))
		return 1;
	memcpy(origin, porigins[i].id, BLF_KEYID_LEN);
	*name = porigins[i].name;
	p->cur = i;
	p->pos = 0;
	return 0;
}

static int
pv_origin_next(void *ctx, core_origin_rec *r)
{
	struct pview *p = ctx;

	for (; p->pos < p->n; p->pos++) {
		if (p->rec[p->pos].origin != (int)p->cur)
			continue;
		*r = p->rec[p->pos].r;
		r->ref = p->rec[p->pos].ref;
		r->ref_len = r->ref != NULL ? strlen(r->ref) : 0;
		p->pos++;
		return 1;
	}
	return 0;
}

static void
orec(struct pview *p, int origin, int excl, const char *prefix, uint16_t reason,
     uint64_t first, const char *ref)
{
	struct orec *o = &p->rec[p->n++];

	memset(o, 0, sizeof(*o));
	o->origin = origin;
	o->r.exclusion = excl;
	o->r.prefix = pfx(prefix);
	o->r.reason = reason;
	o->r.expires = excl ? 0 : first + 7 * DAY;
	o->r.first = o->r.changed = first;
	o->ref = ref;
}

static void
per_origin_view(struct pview *p)
{
	memset(p, 0, sizeof(*p));
	small_view(&p->v);
	orec(p, 0, 0, "192.0.2.0/24", 2, T0, "range 17");
	orec(p, 0, 0, "2001:db8:1::/48", 3, T0, NULL);
	orec(p, 0, 1, "192.0.2.129/32", 0, T0 + 10, "customer verified clean");
	orec(p, 0, 0, "198.51.100.7/32", 1, T0, "ticket 4711 $cost #1");
	orec(p, 1, 0, "203.0.113.0/25", 4, T0 + 60, NULL); /* below the threshold */
	orec(p, 2, 1, "2001:db8:1:2::/64", 0, T0, NULL);   /* exclusions only: no zone */
}

static export_source
psrc_of(struct pview *p)
{
	export_source s = { p, pv_begin, pv_next, v_end, v_signer, NULL, NULL,
			    pv_origin_begin, pv_origin_next, NULL };

	return s;
}

/* Per origin with accepted listings, an ip4trie/ip6trie zone of its own
 * records, byte for byte; names made safe; an unchanged origin's zone is
 * kept, a changed one rewritten; the MANIFEST covers them. */
static void
test_per_origin(void **state)
{
	static const char *const files[] = {
		"origin.alpha.ip4", "origin.alpha.ip6", "origin.ops_cert.example-c3010000.ip4",
	};
	struct pview pv;
	export_source s;
	export_config c = cfg_of("origins");
	export_stats st;
	export_verify_result r;
	struct stat sb;
	char err[256], path[256];
	size_t i;

	(void)state;
	per_origin_view(&pv);
	s = psrc_of(&pv);
	c.per_origin = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 3600, &st), 0);
	assert_int_equal(st.files, 16);
	assert_int_equal(st.written, 16);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		golden(cur_of(&c), files[i]);
	snprintf(path, sizeof(path), "%s/current/origin.gamma.ip6", c.dir);
	assert_int_equal(stat(path, &sb), -1);
	snprintf(path, sizeof(path), "%s/current/origin.ops_cert.example-c3010000.ip6", c.dir);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nfiles, 16);

	/* nothing changed: the zones stay (only the head files are rewritten) */
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 7200, &st), 0);
	assert_int_equal(st.files, 16);
	assert_int_equal(st.written, 4);
	assert_int_equal(st.skipped, 12);

	/* one origin changed: its zone of that family alone is rewritten */
	pv.rec[4].r.reason = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 10800, &st), 0);
	assert_int_equal(st.written, 5);
	assert_int_equal(st.skipped, 11);

	/* its last listing gone: its zone is removed */
	pv.rec[4].origin = 2;
	pv.rec[4].r.exclusion = 1;
	assert_int_equal(export_run_source(&s, &c, agent, T0 + 14400, &st), 0);
	assert_int_equal(st.files, 15);
	assert_int_equal(st.removed, 1);
	assert_int_equal(export_verify(c.dir, agent->pk, &r, err, sizeof(err)), 0);

	/* per-origin zones need the head files of the rbldnsd format */
	c.formats = EXPORT_PLAIN;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), BLF_EINVAL);
	assert_string_equal(err, "export config: per-origin zones need the rbldnsd format");
	c.formats = EXPORT_PLAIN | EXPORT_RBLDNSD;
	assert_int_equal(export_config_check(&c, err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provenance_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_avals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipset_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_parse_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_detects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shard_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtime_advance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_normalise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_norm_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publication_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flat_migration, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
