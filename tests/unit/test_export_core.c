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

static char *
slurp(const char *dir, const char *name)
{
	char path[700];
	FILE *fp;
	char *b;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_core_export, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
