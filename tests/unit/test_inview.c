/*
 * test_inview.c - the merged view updated for a delta instead of rebuilt.
 *
 * Each case builds a view, applies deltas (one or a batch) and reads the
 * view again, which then comes from the incremental update of merge.c: the
 * text of the view is asserted exactly, the update is asserted to have run
 * (core_test_view_updates), and the oracle (core_test_check_view, on for
 * every core here) builds the view from scratch after each update and
 * aborts on any difference of entries, pairs, provenance or change feed.
 * The cases are those where a change reaches beyond its own prefix: hidden
 * groups, a /8 over many entries, exclusions around nested listings, a
 * threshold crossed by a wider listing, expiry of the outermost listing, a
 * dispute lapse, overlapping changes in one batch, removal moving records;
 * in IPv4 and IPv6.
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

	f->cfg.change_feed = 1;
	*state = f;
	return 0;
}

static void
apply(struct fx *f, struct pub *p, uint64_t created, const blf_op *ops, size_t n)
{
	assert_int_equal(pub_next(p, created, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, created, NULL), 0);
}

/* The view at now as text lines "kind prefix weight expires". */
static char *
view_text(core *c, uint64_t now, size_t *count)
{
	core_iter it;
	core_entry e;
	size_t cap = 1 << 20, n = 0, k = 0;
	char *out = calloc(1, cap), pb[BLF_PREFIX_STRLEN];
	int rc;

	assert_non_null(out);
	assert_int_equal(core_iter_begin(c, now, &it), 0);
	while ((rc = core_iter_next(&it, &e)) > 0) {
		blf_prefix_format(&e.prefix, pb);
		if (n + 128 < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s %s %u %llu\n",
					      e.kind == CORE_ENTRY_LISTED ? "L" : "X", pb,
					      e.weight, (unsigned long long)e.expires);
		k++;
	}
	assert_int_equal(rc, 0);
	core_iter_end(&it);
	if (count != NULL)
		*count = k;
	return out;
}

#define ASSERT_VIEW(c, now, text)                              \
	do {                                                   \
		char *v_ = view_text((c), (now), NULL);        \
		assert_string_equal(v_, (text));               \
		free(v_);                                      \
	} while (0)

/* The view read after a change came from an update, not a build. */
#define ASSERT_UPDATED(f, before)                                                 \
	do {                                                                      \
		assert_true(core_test_view_updates((f)->core) > (before));        \
		(before) = core_test_view_updates((f)->core);                     \
	} while (0)

/* Every origin of the store has a log: a view is updated for a known
 * origin's deltas (a new origin changes the indices: a build). */
static void
hello(struct fx *f, int n)
{
	struct pub *p[3] = { &f->a, &f->b, &f->c };
	int i;

	for (i = 0; i < n; i++)
		apply(f, p[i], T0, NULL, 0);
}

static blf_op
op_excl(const char *prefix)
{
	return op_simple(BLF_OP_EXCLUDE, prefix, "clean");
}

/* A change inside a hidden group: the group stays, or goes, with the
 * entries it encloses. */
static void
test_hidden_group(void **state)
{
	struct fx *f = *state;
	blf_op a8 = op_list("10.0.0.0/8", T0 + 5000, "a");
	blf_op b16 = op_list("10.1.0.0/16", T0 + 4000, "b");
	blf_op c16 = op_list("10.2.0.0/16", T0 + 3000, "c");
	blf_op op;
	uint64_t u = 0, when;

	store_add(&f->st, &f->a, "alpha", 50);
	store_add(&f->st, &f->b, "beta", 50);
	store_add(&f->st, &f->c, "gamma", 50);
	assert_int_equal(fx_open(f), 0);
	hello(f, 3);
	apply(f, &f->a, T0, &a8, 1);
	apply(f, &f->b, T0, &b16, 1);
	apply(f, &f->c, T0, &c16, 1);
	ASSERT_VIEW(f->core, T0, "L 10.1.0.0/16 100 1700004000\n"
				 "L 10.2.0.0/16 100 1700003000\n");
	u = core_test_view_updates(f->core);
	op = op_list("10.1.0.0/16", T0 + 6000, "b2");
	apply(f, &f->b, T0 + 1, &op, 1);
	ASSERT_VIEW(f->core, T0 + 1, "L 10.1.0.0/16 100 1700005000\n"
				     "L 10.2.0.0/16 100 1700003000\n");
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_DELIST, "10.1.0.0/16", NULL);
	apply(f, &f->b, T0 + 2, &op, 1);
	ASSERT_VIEW(f->core, T0 + 2, "L 10.2.0.0/16 100 1700003000\n");
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_DELIST, "10.2.0.0/16", NULL);
	apply(f, &f->c, T0 + 3, &op, 1);
	ASSERT_VIEW(f->core, T0 + 3, "");
	ASSERT_UPDATED(f, u);
	op = op_list("10.2.3.0/24", T0 + 2500, "c2");
	apply(f, &f->c, T0 + 4, &op, 1);
	ASSERT_VIEW(f->core, T0 + 4, "L 10.2.3.0/24 100 1700002500\n");
	ASSERT_UPDATED(f, u);
	/* the update's listing expires first: the next change of the view */
	assert_int_equal(core_next_change(f->core, T0 + 4, &when), 0);
	assert_int_equal(when, T0 + 2500);
}

/* A /8 from a second origin over many entries of the first: each of them
 * crosses the threshold, and falls back when the /8 goes. */
static void
test_wide_listing(void **state)
{
	struct fx *f = *state;
	enum { N = 300 };
	blf_op ops[N], op;
	char buf[N][32], *v;
	size_t i, n;
	uint64_t u;

	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 50);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	for (i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "10.5.%zu.%zu/32", i / 200, i % 200 + 1);
		ops[i] = op_list(buf[i], T0 + 1000, "host");
	}
	apply(f, &f->a, T0, ops, N);
	v = view_text(f->core, T0, &n);
	assert_int_equal(n, 0);
	free(v);
	u = core_test_view_updates(f->core);
	op = op_list("10.0.0.0/8", T0 + 2000, "block");
	apply(f, &f->b, T0 + 1, &op, 1);
	v = view_text(f->core, T0 + 1, &n);
	assert_int_equal(n, N);
	assert_non_null(strstr(v, "L 10.5.0.1/32 110 1700001000\n"));
	assert_non_null(strstr(v, "L 10.5.1.100/32 110 1700001000\n"));
	assert_null(strstr(v, "10.0.0.0/8"));
	free(v);
	ASSERT_UPDATED(f, u);
	/* one host delisted under the /8 */
	op = op_simple(BLF_OP_DELIST, "10.5.0.7/32", NULL);
	apply(f, &f->a, T0 + 2, &op, 1);
	v = view_text(f->core, T0 + 2, &n);
	assert_int_equal(n, N - 1);
	assert_null(strstr(v, "10.5.0.7/32"));
	free(v);
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_DELIST, "10.0.0.0/8", NULL);
	apply(f, &f->b, T0 + 3, &op, 1);
	ASSERT_VIEW(f->core, T0 + 3, "");
	ASSERT_UPDATED(f, u);
}

/* core_config.view_rebuild (blfedd's `view-updates no`): no index is
 * kept, every read after a change builds the view whole, and the views
 * are those the updates give: a wide listing over hosts, a host delisted
 * under it, the wide one gone, and a listing that expires. */
static void
test_rebuild_mode(void **state)
{
	struct fx *f = *state;
	enum { N = 50 };
	blf_op ops[N], op;
	char buf[N][32], *v;
	size_t i, n;

	f->cfg.view_rebuild = 1;
	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 50);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	for (i = 0; i < N; i++) {
		snprintf(buf[i], sizeof(buf[i]), "10.5.0.%zu/32", i + 1);
		ops[i] = op_list(buf[i], T0 + 1000, "host");
	}
	apply(f, &f->a, T0, ops, N);
	ASSERT_VIEW(f->core, T0, "");
	op = op_list("10.0.0.0/8", T0 + 2000, "block");
	apply(f, &f->b, T0 + 1, &op, 1);
	v = view_text(f->core, T0 + 1, &n);
	assert_int_equal(n, N);
	assert_non_null(strstr(v, "L 10.5.0.1/32 110 1700001000\n"));
	free(v);
	op = op_simple(BLF_OP_DELIST, "10.5.0.7/32", NULL);
	apply(f, &f->a, T0 + 2, &op, 1);
	v = view_text(f->core, T0 + 2, &n);
	assert_int_equal(n, N - 1);
	assert_null(strstr(v, "10.5.0.7/32"));
	free(v);
	/* the hosts expire: nothing is left above the threshold */
	ASSERT_VIEW(f->core, T0 + 1000, "");
	op = op_simple(BLF_OP_DELIST, "10.0.0.0/8", NULL);
	apply(f, &f->b, T0 + 1001, &op, 1);
	ASSERT_VIEW(f->core, T0 + 1001, "");
	op = op_list("10.9.0.0/16", T0 + 3000, "again");
	apply(f, &f->a, T0 + 1002, &op, 1);
	ASSERT_VIEW(f->core, T0 + 1002, ""); /* 60: under the threshold */
	apply(f, &f->b, T0 + 1003, &op, 1);
	ASSERT_VIEW(f->core, T0 + 1003, "L 10.9.0.0/16 110 1700003000\n");
	assert_int_equal(core_test_view_updates(f->core), 0);
}

/* Exclusions added and removed around nested listings: a hole that is
 * exported, then a wider exclusion that makes it redundant, then back. */
static void
test_exclusion_nested(void **state)
{
	struct fx *f = *state;
	blf_op l[3] = { op_list("10.0.0.0/16", T0 + 1000, "a"),
			op_list("10.0.1.0/24", T0 + 1000, "a"),
			op_list("10.0.1.5/32", T0 + 1000, "a") };
	blf_op op;
	uint64_t u;
	const char *all = "L 10.0.0.0/16 100 1700001000\n"
			  "L 10.0.1.0/24 100 1700001000\n"
			  "L 10.0.1.5/32 100 1700001000\n";
	const char *hole = "L 10.0.0.0/16 100 1700001000\n"
			   "X 10.0.1.0/24 0 0\n";

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "gamma", 100);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	apply(f, &f->a, T0, l, 3);
	ASSERT_VIEW(f->core, T0, all);
	u = core_test_view_updates(f->core);
	op = op_excl("10.0.1.0/24");
	apply(f, &f->b, T0 + 1, &op, 1);
	ASSERT_VIEW(f->core, T0 + 1, hole);
	ASSERT_UPDATED(f, u);
	op = op_excl("10.0.0.0/8");
	apply(f, &f->b, T0 + 2, &op, 1);
	ASSERT_VIEW(f->core, T0 + 2, "");
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_UNEXCLUDE, "10.0.0.0/8", NULL);
	apply(f, &f->b, T0 + 3, &op, 1);
	ASSERT_VIEW(f->core, T0 + 3, hole);
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_UNEXCLUDE, "10.0.1.0/24", NULL);
	apply(f, &f->b, T0 + 4, &op, 1);
	ASSERT_VIEW(f->core, T0 + 4, all);
	ASSERT_UPDATED(f, u);
}

/* A second origin's wider listing takes a narrower one over the threshold;
 * the wider one is kept hidden, for provenance. */
static void
test_threshold_by_wider(void **state)
{
	struct fx *f = *state;
	blf_op a32 = op_list("192.0.2.5/32", T0 + 1000, "a");
	blf_op op;
	core_iter it;
	core_entry e;
	uint64_t u;

	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 50);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	apply(f, &f->a, T0, &a32, 1);
	ASSERT_VIEW(f->core, T0, "");
	u = core_test_view_updates(f->core);
	op = op_list("192.0.2.0/24", T0 + 2000, "b");
	apply(f, &f->b, T0 + 1, &op, 1);
	ASSERT_VIEW(f->core, T0 + 1, "L 192.0.2.5/32 110 1700001000\n");
	ASSERT_UPDATED(f, u);
	assert_int_equal(core_iter_begin(f->core, T0 + 1, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.nprov, 2);
	core_iter_end(&it);
	op = op_simple(BLF_OP_DELIST, "192.0.2.0/24", NULL);
	apply(f, &f->b, T0 + 2, &op, 1);
	ASSERT_VIEW(f->core, T0 + 2, "");
	ASSERT_UPDATED(f, u);
}

/* The outermost listing expires (a time-driven change, found by a pass
 * over the records and updated), and is listed again by a delta. */
static void
test_outer_expiry(void **state)
{
	struct fx *f = *state;
	blf_op a8 = op_list("10.0.0.0/8", T0 + 100, "a");
	blf_op b16 = op_list("10.1.0.0/16", T0 + 1000, "b");
	uint64_t u, when;

	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 50);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	apply(f, &f->a, T0, &a8, 1);
	apply(f, &f->b, T0, &b16, 1);
	ASSERT_VIEW(f->core, T0, "L 10.1.0.0/16 110 1700000100\n");
	assert_int_equal(core_next_change(f->core, T0, &when), 0);
	assert_int_equal(when, T0 + 100);
	u = core_test_view_updates(f->core);
	ASSERT_VIEW(f->core, T0 + 100, "");
	ASSERT_UPDATED(f, u);
	assert_int_equal(core_next_change(f->core, T0 + 100, &when), 0);
	assert_int_equal(when, T0 + 1000);
	a8 = op_list("10.0.0.0/8", T0 + 2000, "a2");
	apply(f, &f->a, T0 + 150, &a8, 1);
	ASSERT_VIEW(f->core, T0 + 150, "L 10.1.0.0/16 110 1700001000\n");
	ASSERT_UPDATED(f, u);
	assert_int_equal(core_next_change(f->core, T0 + 150, &when), 0);
	assert_int_equal(when, T0 + 1000);
}

/* A listing that lapsed under a dispute stays out of the updated view
 * when a delta lists inside it. */
static void
test_dispute_lapse(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_simple(BLF_OP_DISPUTE, "198.51.100.0/24", "https://asct.example/d/1");
	blf_op op;
	trust_anchor *b;
	char err[256];
	uint64_t u, when;

	store_add(&f->st, &f->a, "lister", 100);
	store_add(&f->st, &f->b, "asct", 100);
	assert_non_null(b = trust_store_find_origin_mut(&f->st, f->b.origin));
	b->perms |= TRUST_DISPUTE;
	assert_int_equal(trust_anchor_set(b, "authority", "198.51.0.0/16", err, sizeof(err)), 0);
	trust_store_find_origin_mut(&f->st, f->a.origin)->dispute_window = 3600;
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	d.reason = 2;
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0 + 10, &d, 1);
	ASSERT_VIEW(f->core, T0 + 10, "L 198.51.100.0/24 100 1700003610\n");
	assert_int_equal(core_next_change(f->core, T0 + 10, &when), 0);
	assert_int_equal(when, T0 + 3610);
	ASSERT_VIEW(f->core, T0 + 3610, "");
	u = core_test_view_updates(f->core);
	op = op_list("198.51.100.0/24", T0 + 86400, "spam again");
	apply(f, &f->a, T0 + 3620, &op, 1);
	ASSERT_VIEW(f->core, T0 + 3620, "");
	ASSERT_UPDATED(f, u);
	op = op_list("198.51.0.0/16", T0 + 86400, "spam");
	apply(f, &f->a, T0 + 3630, &op, 1);
	ASSERT_VIEW(f->core, T0 + 3630, "L 198.51.0.0/16 100 1700086400\n");
	ASSERT_UPDATED(f, u);
}

/* Several deltas before one read, touching nested and disjoint ranges. */
static void
test_batch_overlapping(void **state)
{
	struct fx *f = *state;
	blf_op l[3] = { op_list("10.1.0.0/16", T0 + 1000, "a"),
			op_list("10.1.2.0/24", T0 + 1000, "a"),
			op_list("192.0.2.0/24", T0 + 1000, "a") };
	blf_op d1[3] = { op_simple(BLF_OP_DELIST, "10.1.2.0/24", NULL),
			 op_list("10.1.2.128/25", T0 + 3000, "a"),
			 op_list("10.1.0.0/16", T0 + 3000, "a2") };
	blf_op d2[2] = { op_list("10.0.0.0/8", T0 + 2000, "b"),
			 op_list("192.0.2.64/26", T0 + 2000, "b") };
	blf_op d3 = op_simple(BLF_OP_DELIST, "192.0.2.0/24", NULL);
	uint64_t u;

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "beta", 50);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	apply(f, &f->a, T0, l, 3);
	ASSERT_VIEW(f->core, T0, "L 10.1.0.0/16 100 1700001000\n"
				 "L 10.1.2.0/24 100 1700001000\n"
				 "L 192.0.2.0/24 100 1700001000\n");
	u = core_test_view_updates(f->core);
	apply(f, &f->a, T0 + 1, d1, 3);
	apply(f, &f->b, T0 + 1, d2, 2);
	apply(f, &f->a, T0 + 1, &d3, 1);
	ASSERT_VIEW(f->core, T0 + 1, "L 10.1.0.0/16 150 1700003000\n"
				     "L 10.1.2.128/25 150 1700003000\n");
	ASSERT_UPDATED(f, u);
}

/* A removal moves the origin's last record into the hole: the entry of the
 * moved record, outside the changed range, must follow it. */
static void
test_removal_moves_record(void **state)
{
	struct fx *f = *state;
	blf_op l[3] = { op_list("10.0.0.1/32", T0 + 1000, "one"),
			op_list("10.0.0.2/32", T0 + 1000, "two"),
			op_list("2001:db8::3/128", T0 + 1000, "three") };
	/* the new record takes the index the moved one left */
	blf_op d[2] = { op_simple(BLF_OP_DELIST, "10.0.0.1/32", NULL),
			op_list("10.0.0.9/32", T0 + 1000, "nine") };
	core_iter it;
	core_entry e;
	uint64_t u;

	store_add(&f->st, &f->a, "alpha", 100);
	assert_int_equal(fx_open(f), 0);
	hello(f, 1);
	apply(f, &f->a, T0, l, 3);
	ASSERT_VIEW(f->core, T0, "L 10.0.0.1/32 100 1700001000\n"
				 "L 10.0.0.2/32 100 1700001000\n"
				 "L 2001:db8::3/128 100 1700001000\n");
	u = core_test_view_updates(f->core);
	apply(f, &f->a, T0 + 1, d, 2);
	ASSERT_VIEW(f->core, T0 + 1, "L 10.0.0.2/32 100 1700001000\n"
				     "L 10.0.0.9/32 100 1700001000\n"
				     "L 2001:db8::3/128 100 1700001000\n");
	ASSERT_UPDATED(f, u);
	assert_int_equal(core_iter_begin(f->core, T0 + 1, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.nprov, 1);
	assert_memory_equal(e.prov[0].ref, "two", 3);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_memory_equal(e.prov[0].ref, "nine", 4);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.nprov, 1);
	assert_memory_equal(e.prov[0].ref, "three", 5);
	core_iter_end(&it);
}

/* The hidden-group and exclusion cases in IPv6. */
static void
test_ipv6(void **state)
{
	struct fx *f = *state;
	blf_op a32 = op_list("2001:db8::/32", T0 + 5000, "a");
	blf_op b48 = op_list("2001:db8:1::/48", T0 + 4000, "b");
	blf_op op;
	uint64_t u;

	store_add(&f->st, &f->a, "alpha", 50);
	store_add(&f->st, &f->b, "beta", 50);
	store_add(&f->st, &f->c, "gamma", 100);
	assert_int_equal(fx_open(f), 0);
	hello(f, 3);
	apply(f, &f->a, T0, &a32, 1);
	ASSERT_VIEW(f->core, T0, "");
	u = core_test_view_updates(f->core);
	apply(f, &f->b, T0 + 1, &b48, 1);
	ASSERT_VIEW(f->core, T0 + 1, "L 2001:db8:1::/48 100 1700004000\n");
	ASSERT_UPDATED(f, u);
	op = op_excl("2001:db8:1:2::/64");
	apply(f, &f->c, T0 + 2, &op, 1);
	ASSERT_VIEW(f->core, T0 + 2, "L 2001:db8:1::/48 100 1700004000\n"
				     "X 2001:db8:1:2::/64 0 0\n");
	ASSERT_UPDATED(f, u);
	op = op_excl("2001:db8::/32");
	apply(f, &f->c, T0 + 3, &op, 1);
	ASSERT_VIEW(f->core, T0 + 3, "");
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_UNEXCLUDE, "2001:db8::/32", NULL);
	apply(f, &f->c, T0 + 4, &op, 1);
	ASSERT_VIEW(f->core, T0 + 4, "L 2001:db8:1::/48 100 1700004000\n"
				     "X 2001:db8:1:2::/64 0 0\n");
	ASSERT_UPDATED(f, u);
	op = op_simple(BLF_OP_DELIST, "2001:db8:1::/48", NULL);
	apply(f, &f->b, T0 + 5, &op, 1);
	ASSERT_VIEW(f->core, T0 + 5, "");
	ASSERT_UPDATED(f, u);
}

struct seen {
	int n, change;
	char p[BLF_PREFIX_STRLEN];
};

static int
count_change(void *arg, int change, const blf_prefix *p, const core_entry *e)
{
	struct seen *s = arg;

	(void)e;
	s->n++;
	s->change = change;
	blf_prefix_format(p, s->p);
	return 0;
}

/* The change feed reports what an update changed, and only that. */
static void
test_feed_after_update(void **state)
{
	struct fx *f = *state;
	blf_op l[2] = { op_list("10.0.0.1/32", T0 + 1000, "one"),
			op_list("10.0.0.2/32", T0 + 1000, "two") };
	blf_op op = op_list("10.0.0.2/32", T0 + 2000, "two");
	blf_op dl = op_simple(BLF_OP_DELIST, "10.0.0.1/32", NULL);
	uint64_t g0, g1, g2, cur;
	struct seen s = { 0, 0, "" };

	store_add(&f->st, &f->a, "alpha", 100);
	assert_int_equal(fx_open(f), 0);
	hello(f, 1);
	apply(f, &f->a, T0, l, 2);
	assert_int_equal(core_view_generation(f->core, T0, &g0), 0);
	apply(f, &f->a, T0 + 1, &op, 1);
	assert_int_equal(core_view_generation(f->core, T0 + 1, &g1), 0);
	assert_int_equal(g1, g0 + 1);
	assert_int_equal(core_test_view_updates(f->core), 1);
	assert_int_equal(core_changes_since(f->core, g0, T0 + 1, count_change, &s, &cur), 0);
	assert_int_equal(cur, g1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.change, CORE_CHANGE_CHANGED);
	assert_string_equal(s.p, "10.0.0.2/32");
	apply(f, &f->a, T0 + 2, &dl, 1);
	assert_int_equal(core_view_generation(f->core, T0 + 2, &g2), 0);
	assert_int_equal(g2, g1 + 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(core_changes_since(f->core, g1, T0 + 2, count_change, &s, &cur), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.change, CORE_CHANGE_REMOVED);
	assert_string_equal(s.p, "10.0.0.1/32");
	/* the same delta again changes nothing: no new generation */
	apply(f, &f->a, T0 + 3, &dl, 1);
	assert_int_equal(core_view_generation(f->core, T0 + 3, &g1), 0);
	assert_int_equal(g1, g2);
}

/* A view large enough for the build's radix sort and the splices' slack:
 * single listings after a load, each read (the daemon's export). */
static void
test_many_entries(void **state)
{
	struct fx *f = *state;
	enum { N = 20000, B = 1000 };
	static blf_op ops[B];
	static char pb[B][24];
	size_t i, k, n;
	char *v;
	uint64_t u, gen;

	store_add(&f->st, &f->a, "alpha", 100);
	assert_int_equal(fx_open(f), 0);
	hello(f, 1);
	for (k = 0; k < N; k += B) {
		for (i = 0; i < B; i++) {
			snprintf(pb[i], sizeof(pb[i]), "100.0.%zu.%zu/32", (k + i) / 250,
				 (k + i) % 250);
			ops[i] = op_list(pb[i], T0 + 86400, NULL);
		}
		apply(f, &f->a, T0, ops, B);
	}
	assert_int_equal(core_view_generation(f->core, T0, &gen), 0);
	u = core_test_view_updates(f->core);
	for (i = 1; i <= 300; i++) {
		snprintf(pb[0], sizeof(pb[0]), "100.200.%zu.%zu/32", i / 200, i % 200);
		ops[0] = op_list(pb[0], T0 + 86400, "single");
		apply(f, &f->a, T0 + i, ops, 1);
		assert_int_equal(core_view_generation(f->core, T0 + i, &gen), 0);
	}
	ASSERT_UPDATED(f, u);
	v = view_text(f->core, T0 + 300, &n);
	assert_int_equal(n, N + 300);
	assert_non_null(strstr(v, "L 100.200.1.100/32 100 1700086400\n"));
	free(v);
}

/* Out of memory at each allocation of an update in turn: the read falls
 * back to a whole build, and the view is what a build gives. */
static void
test_update_oom(void **state)
{
	struct fx *f = *state;
	blf_op l[3] = { op_list("10.0.0.0/8", T0 + 5000, "a"),
			op_list("10.1.0.0/16", T0 + 5000, "a"),
			op_list("2001:db8::/32", T0 + 5000, "a") };
	blf_op b[2] = { op_list("10.1.2.0/24", T0 + 4000, "b"),
			op_simple(BLF_OP_EXCLUDE, "10.1.2.3/32", "b") };
	unsigned n;
	uint64_t gen, u0;
	int failed = 0;

	store_add(&f->st, &f->a, "alpha", 50);
	store_add(&f->st, &f->b, "beta", 60);
	assert_int_equal(fx_open(f), 0);
	hello(f, 2);
	core_test_check_view(f->core, 0); /* the oracle allocates too */
	apply(f, &f->a, T0, l, 3);
	assert_int_equal(core_view_generation(f->core, T0, &gen), 0);
	for (n = 1; n < 80; n++) {
		char *upd, *built;

		b[0].expires = T0 + 4000 + n; /* a change each time */
		apply(f, &f->b, T0 + n, b, 2);
		u0 = core_test_view_updates(f->core);
		core_test_fail_alloc(f->core, n);
		assert_int_equal(core_view_generation(f->core, T0 + n, &gen), 0);
		failed += core_test_view_updates(f->core) == u0;
		core_test_fail_alloc(f->core, 0);
		upd = view_text(f->core, T0 + n, NULL);
		assert_int_equal(core_set_trust(f->core, &f->st), 0); /* a build */
		built = view_text(f->core, T0 + n, NULL);
		assert_string_equal(upd, built);
		free(upd);
		free(built);
	}
	/* the first allocations failed the update (a build took over), the
	 * last ones came after it */
	assert_true(failed > 0 && failed < 79);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hidden_group, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_wide_listing, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_mode, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exclusion_nested, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_threshold_by_wider, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_outer_expiry, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dispute_lapse, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_batch_overlapping, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_removal_moves_record, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_feed_after_update, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_oom, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_many_entries, setup, fx_teardown),
	};

	/* every update against a build; INVIEW_NO_ORACLE=1 leaves the cases'
	 * own assertions alone (to see them catch a broken update) */
	if (getenv("INVIEW_NO_ORACLE") == NULL)
		core_test_check_view(NULL, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
