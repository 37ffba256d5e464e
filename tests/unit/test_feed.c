/*
 * test_feed.c - view generations, the change feed and the next change
 * time: what exporters and the daemon's timer rely on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_core_util.h"

static int
setup(void **state)
{
	struct fx *f = fx_new();

	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 60);
	f->cfg.change_feed = 1;
	assert_int_equal(fx_open(f), 0);
	*state = f;
	return 0;
}

static void
apply(struct fx *f, struct pub *p, uint64_t created, const blf_op *ops, size_t n)
{
	assert_int_equal(pub_next(p, created, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, created, NULL), 0);
}

/* Collects changes as text "A|R|C prefix weight". */
struct got {
	char text[4096];
	size_t n;
};

static int
collect(void *arg, int change, const blf_prefix *prefix, const core_entry *e)
{
	struct got *g = arg;
	char pb[BLF_PREFIX_STRLEN];
	const char *k = change == CORE_CHANGE_ADDED ? "A" : change == CORE_CHANGE_REMOVED ? "R"
											 : "C";

	blf_prefix_format(prefix, pb);
	if (e != NULL)
		assert_int_equal(blf_prefix_cmp(&e->prefix, prefix), 0);
	else
		assert_int_equal(change, CORE_CHANGE_REMOVED);
	g->n += (size_t)snprintf(g->text + g->n, sizeof(g->text) - g->n, "%s %s %u\n", k, pb,
				 e ? e->weight : 0);
	return 0;
}

static const char *
changes(struct fx *f, uint64_t gen, uint64_t now, uint64_t *cur)
{
	static struct got g;

	memset(&g, 0, sizeof(g));
	assert_int_equal(core_changes_since(f->core, gen, now, collect, &g, cur), 0);
	return g.text;
}

static void
test_generations_and_changes(void **state)
{
	struct fx *f = *state;
	blf_op a1[2] = { op_list("192.0.2.0/24", T0 + 100, NULL),
			 op_list("198.51.100.7/32", T0 + 1000, NULL) };
	blf_op b1 = op_list("192.0.2.0/24", T0 + 200, NULL);
	blf_op b2 = op_list("198.51.100.0/24", T0 + 1000, NULL);
	blf_op d = op_simple(BLF_OP_DELIST, "192.0.2.0/24", NULL);
	blf_op x = op_simple(BLF_OP_EXCLUDE, "203.0.113.0/24", NULL);
	uint64_t g0, g1, g2, g3, cur, when;

	assert_int_equal(core_view_generation(f->core, T0, &g0), 0);
	assert_string_equal(changes(f, g0, T0, &cur), "");
	assert_int_equal(cur, g0);
	/* below the threshold: nothing exported, the generation stays */
	apply(f, &f->a, T0, a1, 2);
	assert_int_equal(core_view_generation(f->core, T0, &g1), 0);
	assert_int_equal(g1, g0);
	apply(f, &f->b, T0, &b1, 1);
	apply(f, &f->b, T0, &b2, 1);
	assert_string_equal(changes(f, g0, T0, &g1), "A 192.0.2.0/24 120\n"
						     "A 198.51.100.7/32 120\n");
	assert_true(g1 != g0);
	assert_string_equal(changes(f, g1, T0, &cur), "");
	assert_int_equal(cur, g1);
	/* an exclusion elsewhere with nothing to cut: no change */
	apply(f, &f->a, T0 + 1, &x, 1);
	assert_int_equal(core_view_generation(f->core, T0 + 1, &cur), 0);
	assert_int_equal(cur, g1);
	/* the next change on its own: alpha's /24 at T0+100 */
	assert_int_equal(core_next_change(f->core, T0 + 1, &when), 0);
	assert_int_equal(when, T0 + 100);
	/* time alone removes it */
	assert_string_equal(changes(f, g1, T0 + 100, &g2), "R 192.0.2.0/24 0\n");
	/* beta delists: its /24 was below the threshold already; but the /32
	 * changes when beta's wider listing goes */
	apply(f, &f->b, T0 + 101, &d, 1);
	assert_string_equal(changes(f, g2, T0 + 101, &g3), "");
	assert_int_equal(g3, g2);
	blf_op db = op_simple(BLF_OP_DELIST, "198.51.100.0/24", NULL);
	apply(f, &f->b, T0 + 102, &db, 1);
	assert_string_equal(changes(f, g2, T0 + 102, &g3), "R 198.51.100.7/32 0\n");
	/* from the start: net effect only */
	assert_string_equal(changes(f, g0, T0 + 102, &cur), "");
	apply(f, &f->b, T0 + 103, &b2, 1);
	assert_string_equal(changes(f, g0, T0 + 103, &cur), "A 198.51.100.7/32 120\n");
	assert_string_equal(changes(f, g3, T0 + 103, &cur), "A 198.51.100.7/32 120\n");
	/* a changed entry: alpha re-lists with a new expiry */
	a1[1].expires = T0 + 2000;
	apply(f, &f->a, T0 + 104, &a1[1], 1);
	assert_string_equal(changes(f, cur, T0 + 104, &g3), "C 198.51.100.7/32 120\n");
	/* bad generations */
	{
		struct got g;

		assert_int_equal(core_changes_since(f->core, g0 - 1, T0 + 104, collect, &g, &cur),
				 BLF_ESTALE);
		assert_int_equal(core_changes_since(f->core, g3 + 1, T0 + 104, collect, &g, &cur),
				 BLF_ESTALE);
	}
}

/* The log is bounded: old generations go, and asking for them says so. */
static void
test_feed_log_bound(void **state)
{
	struct fx *f = *state;
	char ps[40][24];
	uint64_t g0, g, cur;
	struct got got;
	int i;

	trust_store_free(&f->st);
	store_add(&f->st, &f->a, "alpha", 100);
	f->cfg.feed_log_max = 8;
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(core_view_generation(f->core, T0, &g0), 0);
	for (i = 0; i < 20; i++) {
		blf_op l;

		snprintf(ps[i], sizeof(ps[i]), "10.0.%d.0/24", i);
		l = op_list(ps[i], T0 + 1000, NULL);
		apply(f, &f->a, T0, &l, 1);
		assert_int_equal(core_view_generation(f->core, T0, &g), 0);
	}
	assert_int_equal(core_changes_since(f->core, g0, T0, collect, &got, &cur), BLF_ESTALE);
	memset(&got, 0, sizeof(got));
	assert_int_equal(core_changes_since(f->core, g - 2, T0, collect, &got, &cur), 0);
	assert_string_equal(got.text, "A 10.0.18.0/24 100\nA 10.0.19.0/24 100\n");
	/* one build with more changes than the log holds */
	{
		blf_op ops[20];

		for (i = 0; i < 20; i++)
			ops[i] = op_simple(BLF_OP_DELIST, ps[i], NULL);
		apply(f, &f->a, T0, ops, 20);
	}
	assert_int_equal(core_changes_since(f->core, g, T0, collect, &got, &cur), BLF_ESTALE);
	memset(&got, 0, sizeof(got));
	assert_int_equal(core_changes_since(f->core, cur, T0, collect, &got, &cur), 0);
	assert_string_equal(got.text, "");
}

/* Without the feed the generation still moves; diffs are refused. */
static void
test_no_feed(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("192.0.2.0/24", T0 + 100, NULL);
	uint64_t g0, g1, cur;
	struct got got;

	f->cfg.change_feed = 0;
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(core_view_generation(f->core, T0, &g0), 0);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0, &l, 1);
	assert_int_equal(core_view_generation(f->core, T0, &g1), 0);
	assert_true(g1 != g0);
	assert_int_equal(core_changes_since(f->core, g0, T0, collect, &got, &cur), BLF_EINVAL);
}

/* Prefixes only, as an exporter asks: no entry, each prefix once, a
 * superset of the differences (what came and went since gen included). */
static int
collect_prefix(void *arg, int change, const blf_prefix *prefix, const core_entry *e)
{
	struct got *g = arg;
	char pb[BLF_PREFIX_STRLEN];

	assert_null(e);
	assert_true(change == CORE_CHANGE_ADDED || change == CORE_CHANGE_CHANGED);
	blf_prefix_format(prefix, pb);
	g->n += (size_t)snprintf(g->text + g->n, sizeof(g->text) - g->n, "%s %s\n",
				 change == CORE_CHANGE_ADDED ? "A" : "C", pb);
	return 0;
}

static void
test_changed_prefixes(void **state)
{
	struct fx *f = *state;
	blf_op l1 = op_list("192.0.2.0/24", T0 + 1000, NULL);
	blf_op l2 = op_list("198.51.100.7/32", T0 + 1000, NULL);
	blf_op d2 = op_simple(BLF_OP_DELIST, "198.51.100.7/32", NULL);
	blf_op d1 = op_simple(BLF_OP_DELIST, "192.0.2.0/24", NULL);
	uint64_t g0, g1, cur;
	struct got got;

	assert_int_equal(core_view_generation(f->core, T0, &g0), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(core_changed_prefixes_since(f->core, g0, T0, collect_prefix, &got, &cur), 0);
	assert_string_equal(got.text, "");
	assert_int_equal(cur, g0);
	apply(f, &f->a, T0, &l1, 1);
	apply(f, &f->b, T0, &l1, 1);
	assert_int_equal(core_view_generation(f->core, T0, &g1), 0);
	apply(f, &f->a, T0 + 1, &l2, 1);
	apply(f, &f->b, T0 + 1, &l2, 1);
	assert_int_equal(core_view_generation(f->core, T0 + 1, &cur), 0); /* seen listed */
	apply(f, &f->b, T0 + 2, &d2, 1);
	/* the /32 came and went: not a difference, but a place that changed */
	assert_string_equal(changes(f, g0, T0 + 2, &cur), "A 192.0.2.0/24 120\n");
	memset(&got, 0, sizeof(got));
	assert_int_equal(core_changed_prefixes_since(f->core, g0, T0 + 2, collect_prefix, &got, &cur),
			 0);
	assert_string_equal(got.text, "A 192.0.2.0/24\nA 198.51.100.7/32\n");
	/* since g1: the /24 is not named again; the /32 once */
	memset(&got, 0, sizeof(got));
	assert_int_equal(core_changed_prefixes_since(f->core, g1, T0 + 2, collect_prefix, &got, &cur),
			 0);
	assert_string_equal(got.text, "A 198.51.100.7/32\n");
	/* a listing that leaves the view was in it at gen: "changed" */
	apply(f, &f->b, T0 + 3, &d1, 1);
	memset(&got, 0, sizeof(got));
	assert_int_equal(core_changed_prefixes_since(f->core, cur, T0 + 3, collect_prefix, &got, &g1),
			 0);
	assert_string_equal(got.text, "C 192.0.2.0/24\n");
	assert_int_equal(core_changed_prefixes_since(f->core, g0 - 1, T0 + 3, collect_prefix, &got,
						     &cur),
			 BLF_ESTALE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generations_and_changes, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_feed_log_bound, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_changed_prefixes, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_feed, setup, fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
