/*
 * test_merge.c - merge rules, policy on top of origin state, expiry, why,
 * and a randomized comparison with a brute-force reference model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "test_core_util.h"

static int
setup(void **state)
{
	struct fx *f = fx_new();

	*state = f;
	return 0;
}

static void
open_core(struct fx *f)
{
	assert_int_equal(fx_open(f), 0);
}

static void
apply(struct fx *f, struct pub *p, uint64_t created, const blf_op *ops, size_t n,
      core_result *res)
{
	assert_int_equal(pub_next(p, created, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, created, res), 0);
}

/* The view at now as text lines "kind prefix weight expires". */
static char *
view_text(core *c, uint64_t now)
{
	core_iter it;
	core_entry e;
	char *out = calloc(1, 8192), pb[BLF_PREFIX_STRLEN];
	size_t n = 0;

	assert_non_null(out);
	assert_int_equal(core_iter_begin(c, now, &it), 0);
	while (core_iter_next(&it, &e) > 0) {
		blf_prefix_format(&e.prefix, pb);
		n += (size_t)snprintf(out + n, 8192 - n, "%s %s %u %llu\n",
				      e.kind == CORE_ENTRY_LISTED ? "L" : "X", pb, e.weight,
				      (unsigned long long)e.expires);
	}
	core_iter_end(&it);
	return out;
}

#define ASSERT_VIEW(c, now, text)                        \
	do {                                             \
		char *v_ = view_text((c), (now));        \
		assert_string_equal(v_, (text));         \
		free(v_);                                \
	} while (0)

static void
test_threshold_weights(void **state)
{
	struct fx *f = *state;
	blf_op la = op_list("192.0.2.0/24", T0 + 100, "A");
	blf_op lb = op_list("192.0.2.0/24", T0 + 200, "B");
	blf_op lc = op_list("198.51.100.0/24", T0 + 300, "C");
	core_why w;
	blf_prefix q = pfx("192.0.2.7");

	store_add(&f->st, &f->a, "alpha", 60);
	store_add(&f->st, &f->b, "beta", 50);
	store_add(&f->st, &f->c, "gamma", 100);
	open_core(f);
	apply(f, &f->a, T0, &la, 1, NULL);
	ASSERT_VIEW(f->core, T0, "");
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	assert_int_equal(w.nitems, 1);
	assert_int_equal(w.items[0].status, CORE_ACCEPTED);
	core_why_free(&w);
	apply(f, &f->b, T0, &lb, 1, NULL);
	apply(f, &f->c, T0, &lc, 1, NULL);
	/* 110 >= 100 until alpha's listing expires at T0+100 */
	ASSERT_VIEW(f->core, T0, "L 192.0.2.0/24 110 1700000100\n"
				 "L 198.51.100.0/24 100 1700000300\n");
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_LISTED);
	assert_int_equal(w.weight, 110);
	assert_int_equal(blf_prefix_cmp(&w.via, &la.prefix), 0);
	assert_true(w.items[0].decisive && w.items[1].decisive);
	core_why_free(&w);
	/* expiry with no new delta */
	ASSERT_VIEW(f->core, T0 + 99, "L 192.0.2.0/24 110 1700000100\n"
				      "L 198.51.100.0/24 100 1700000300\n");
	ASSERT_VIEW(f->core, T0 + 100, "L 198.51.100.0/24 100 1700000300\n");
	assert_int_equal(core_why_query(f->core, &q, T0 + 100, &w), 0);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	assert_int_equal(w.nitems, 2);
	assert_int_equal(w.items[strcmp(w.items[0].name, "alpha") == 0 ? 0 : 1].status,
			 CORE_EXPIRED);
	assert_int_equal(w.items[strcmp(w.items[0].name, "alpha") == 0 ? 1 : 0].status,
			 CORE_ACCEPTED);
	core_why_free(&w);
	ASSERT_VIEW(f->core, T0 + 300, "");
}

static void
test_relist_delist(void **state)
{
	struct fx *f = *state;
	blf_op l1 = op_list("192.0.2.0/24", T0 + 1000, "first");
	blf_op l2 = op_list("192.0.2.0/24", T0 + 2000, "second");
	blf_op d = op_simple(BLF_OP_DELIST, "192.0.2.0/24", NULL);
	core_iter it;
	core_entry e;
	core_stats s;

	store_add(&f->st, &f->a, "alpha", 100);
	open_core(f);
	apply(f, &f->a, T0, &l1, 1, NULL);
	apply(f, &f->a, T0 + 10, &l2, 1, NULL);
	assert_int_equal(core_iter_begin(f->core, T0 + 10, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.prov[0].first, T0);
	assert_int_equal(e.prov[0].changed, T0 + 10);
	assert_int_equal(e.prov[0].expires, T0 + 2000);
	assert_memory_equal(e.prov[0].ref, "second", 6);
	core_iter_end(&it);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nrefs, 1); /* "first" was released */
	apply(f, &f->a, T0 + 20, &d, 1, NULL);
	ASSERT_VIEW(f->core, T0 + 20, "");
	apply(f, &f->a, T0 + 30, &d, 1, NULL); /* delisting nothing is fine */
	apply(f, &f->a, T0 + 40, &l1, 1, NULL);
	assert_int_equal(core_iter_begin(f->core, T0 + 40, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.prov[0].first, T0 + 40);
	core_iter_end(&it);
	/* a re-list after expiry starts a new "first listed" */
	apply(f, &f->a, T0 + 1500, &l2, 1, NULL);
	assert_int_equal(core_iter_begin(f->core, T0 + 1500, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.prov[0].first, T0 + 1500);
	core_iter_end(&it);
}

static void
test_exclusions(void **state)
{
	struct fx *f = *state;
	blf_op wide = op_list("10.0.0.0/8", T0 + 1000, "wide");
	blf_op narrow = op_list("10.1.2.0/24", T0 + 1000, "narrow");
	blf_op x1 = op_simple(BLF_OP_EXCLUDE, "10.1.2.3/32", "mail server");
	blf_op x2 = op_simple(BLF_OP_EXCLUDE, "10.1.2.0/24", "customer");
	blf_op x3 = op_simple(BLF_OP_EXCLUDE, "10.9.0.0/16", "elsewhere");
	blf_op ux2 = op_simple(BLF_OP_UNEXCLUDE, "10.1.2.0/24", NULL);
	blf_prefix q = pfx("10.1.2.3"), q2 = pfx("10.1.2.4"), q3 = pfx("10.1.0.0/16");
	core_why w;
	size_t i, nx = 0;

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->c, "gamma", 100);
	open_core(f);
	apply(f, &f->a, T0, &wide, 1, NULL);
	apply(f, &f->a, T0, &narrow, 1, NULL);
	/* a host excluded inside both listings: an explicit hole */
	apply(f, &f->c, T0, &x1, 1, NULL);
	ASSERT_VIEW(f->core, T0, "L 10.0.0.0/8 100 1700001000\n"
				 "L 10.1.2.0/24 100 1700001000\n"
				 "X 10.1.2.3/32 0 0\n");
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_EXCLUDED);
	assert_int_equal(blf_prefix_cmp(&w.via, &x1.prefix), 0);
	for (i = 0; i < w.nitems; i++)
		if (w.items[i].exclusion) {
			nx++;
			assert_true(w.items[i].decisive);
			assert_string_equal(w.items[i].name, "gamma");
			assert_string_equal(w.items[i].ref, "mail server");
		}
	assert_int_equal(nx, 1);
	assert_int_equal(w.nitems, 3);
	core_why_free(&w);
	assert_int_equal(core_why_query(f->core, &q2, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_LISTED);
	assert_int_equal(blf_prefix_cmp(&w.via, &narrow.prefix), 0);
	core_why_free(&w);
	/* excluding the whole /24 removes that listing; the /32 hole is now
	 * inside another exclusion and redundant */
	apply(f, &f->c, T0 + 1, &x2, 1, NULL);
	apply(f, &f->c, T0 + 1, &x3, 1, NULL);
	ASSERT_VIEW(f->core, T0 + 1, "L 10.0.0.0/8 100 1700001000\n"
				     "X 10.1.2.0/24 0 0\n"
				     "X 10.9.0.0/16 0 0\n");
	/* a prefix query shows what lies inside it */
	assert_int_equal(core_why_query(f->core, &q3, T0 + 1, &w), 0);
	assert_int_equal(w.nitems, 4); /* wide, narrow, x1, x2 */
	assert_int_equal(w.verdict, CORE_LISTED);
	core_why_free(&w);
	apply(f, &f->c, T0 + 2, &ux2, 1, NULL);
	ASSERT_VIEW(f->core, T0 + 2, "L 10.0.0.0/8 100 1700001000\n"
				     "L 10.1.2.0/24 100 1700001000\n"
				     "X 10.1.2.3/32 0 0\n"
				     "X 10.9.0.0/16 0 0\n");
}

static void
test_exclusion_removes_without_hole(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("10.1.2.0/24", T0 + 1000, NULL);
	blf_op x = op_simple(BLF_OP_EXCLUDE, "10.1.0.0/16", "our range");
	blf_prefix q = pfx("10.1.2.3");
	core_why w;

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->c, "gamma", 100);
	open_core(f);
	apply(f, &f->a, T0, &l, 1, NULL);
	apply(f, &f->c, T0, &x, 1, NULL);
	ASSERT_VIEW(f->core, T0, "");
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_EXCLUDED);
	assert_int_equal(blf_prefix_cmp(&w.via, &x.prefix), 0);
	core_why_free(&w);
}

static const blf_prefix scope10[2] = {
	{ BLF_AF_INET, 8, { 10 } },
	{ BLF_AF_INET6, 32, { 0x20, 0x01, 0x0d, 0xb8 } },
};

static void
test_policy_filtering_and_trust_change(void **state)
{
	struct fx *f = *state;
	blf_op ops[4] = { op_list("10.0.0.0/16", T0 + 1000, "too wide"),
			  op_list("11.0.0.0/24", T0 + 1000, "out of scope"),
			  op_list("10.1.2.0/24", T0 + 1000, "fine"),
			  op_simple(BLF_OP_EXCLUDE, "10.1.2.3/32", "no authority") };
	trust_anchor a;
	trust_store wide = { 0 };
	core_result res;
	core_why w;
	blf_prefix q = pfx("10.0.0.0/8"), q11 = pfx("11.0.0.1");
	char path[CORE_MAX_PATH], hex[BLF_KEYID_HEX_LEN + 1];
	struct stat sb1, sb2;
	blf_head h1, h2;
	size_t i;

	trust_anchor_init(&a, "alpha", f->a.ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)scope10;
	a.nscope = 2;
	assert_int_equal(trust_store_add(&f->st, &a, NULL, 0), 0);
	open_core(f);
	apply(f, &f->a, T0, ops, 4, &res);
	assert_int_equal(res.nops, 4);
	assert_int_equal(res.nfiltered, 3);
	ASSERT_VIEW(f->core, T0, "L 10.1.2.0/24 100 1700001000\n");
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.nitems, 3);
	for (i = 0; i < w.nitems; i++) {
		if (strcmp(w.items[i].ref, "too wide") == 0) {
			assert_int_equal(w.items[i].status, CORE_FILTERED);
			assert_int_equal(w.items[i].verdict, TRUST_TOO_WIDE);
		} else if (strcmp(w.items[i].ref, "no authority") == 0) {
			assert_int_equal(w.items[i].status, CORE_FILTERED);
			assert_int_equal(w.items[i].verdict, TRUST_NO_PERMISSION);
		} else {
			assert_string_equal(w.items[i].ref, "fine");
			assert_int_equal(w.items[i].status, CORE_ACCEPTED);
		}
	}
	core_why_free(&w);
	assert_int_equal(core_why_query(f->core, &q11, T0, &w), 0);
	assert_int_equal(w.nitems, 1);
	assert_int_equal(w.items[0].verdict, TRUST_OUT_OF_SCOPE);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	core_why_free(&w);

	/* a wider trust store: recomputed, logs untouched */
	blf_keyid_hex(f->a.origin, hex);
	snprintf(path, sizeof(path), "%s/log/%s.1.jnl", f->dir, hex);
	assert_int_equal(stat(path, &sb1), 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h1), 0);
	store_add(&wide, &f->a, "alpha", 100);
	assert_int_equal(core_set_trust(f->core, &wide), 0);
	ASSERT_VIEW(f->core, T0, "L 10.0.0.0/16 100 1700001000\n"
				 "L 10.1.2.0/24 100 1700001000\n"
				 "X 10.1.2.3/32 0 0\n"
				 "L 11.0.0.0/24 100 1700001000\n");
	assert_int_equal(stat(path, &sb2), 0);
	assert_int_equal(sb1.st_size, sb2.st_size);
	assert_int_equal(sb1.st_mtime, sb2.st_mtime);
	assert_int_equal(core_head(f->core, f->a.origin, &h2), 0);
	assert_int_equal(h1.seq, h2.seq);
	assert_memory_equal(h1.hash, h2.hash, BLF_HASH_LEN);
	/* and back */
	assert_int_equal(core_set_trust(f->core, &f->st), 0);
	ASSERT_VIEW(f->core, T0, "L 10.1.2.0/24 100 1700001000\n");
	/* an origin removed from the store keeps its log but leaves the view */
	trust_store_free(&wide);
	assert_int_equal(core_set_trust(f->core, &wide), 0);
	ASSERT_VIEW(f->core, T0, "");
	assert_int_equal(core_why_query(f->core, &q11, T0, &w), 0);
	assert_int_equal(w.items[0].status, CORE_NO_ANCHOR);
	core_why_free(&w);
}

static void
test_relay_only_and_anchor_expiry(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("192.0.2.0/24", T0 + 1000, NULL);
	trust_anchor a;
	core_why w;
	blf_prefix q = pfx("192.0.2.1");

	trust_anchor_init(&a, "relayed", f->a.ks->pk);
	a.perms = TRUST_RELAY_ONLY;
	assert_int_equal(trust_store_add(&f->st, &a, NULL, 0), 0);
	trust_anchor_init(&a, "expiring", f->b.ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)all_scope;
	a.nscope = 2;
	a.expires = T0 + 50;
	assert_int_equal(trust_store_add(&f->st, &a, NULL, 0), 0);
	open_core(f);
	apply(f, &f->a, T0, &l, 1, NULL);
	apply(f, &f->b, T0, &l, 1, NULL);
	/* the entry leaves with its anchor at T0+50, and says so */
	ASSERT_VIEW(f->core, T0, "L 192.0.2.0/24 100 1700000050\n");
	ASSERT_VIEW(f->core, T0 + 50, "");
	assert_int_equal(core_why_query(f->core, &q, T0 + 50, &w), 0);
	assert_int_equal(w.nitems, 2);
	assert_int_equal(w.items[0].status + w.items[1].status,
			 CORE_RELAY_ONLY + CORE_FILTERED);
	core_why_free(&w);
}

/* ---- randomized comparison with a reference model ----------------------- */

#define M_MAX 64

struct mrec {
	blf_prefix p;
	int excl;
	uint64_t expires, first, changed;
	char ref[32];
};

struct morigin {
	struct mrec r[M_MAX];
	size_t n;
	const trust_anchor *a;
};

static const char *pool[] = {
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.1.2.128/25",
	"10.1.3.0/24", "10.2.0.0/16", "11.0.0.0/24", "2001:db8::/32",
	"2001:db8:1::/48", "2001:db8:1::1/128", "2001:db8:2::/48",
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static const char *queries[] = {
	"10.1.2.3", "10.1.2.4", "10.1.2.200", "10.1.3.9", "10.2.0.1", "10.3.0.1",
	"11.0.0.5", "2001:db8:1::1", "2001:db8:1::2", "2001:db8:2::9", "2001:db8:3::1",
	"10.1.0.0/16", "2001:db8::/32",
};

static uint64_t mrng = 12345;

static uint32_t
mrnd(uint32_t n)
{
	mrng = mrng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(mrng >> 33) % n;
}

static void
model_apply(struct morigin *o, const blf_op *ops, size_t n, uint64_t created)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		int excl = ops[i].type == BLF_OP_EXCLUDE || ops[i].type == BLF_OP_UNEXCLUDE;
		struct mrec *r = NULL;

		for (j = 0; j < o->n; j++)
			if (o->r[j].excl == excl && blf_prefix_cmp(&o->r[j].p, &ops[i].prefix) == 0)
				r = &o->r[j];
		if (ops[i].type == BLF_OP_DELIST || ops[i].type == BLF_OP_UNEXCLUDE) {
			if (r != NULL)
				*r = o->r[--o->n];
			continue;
		}
		if (r == NULL) {
			r = &o->r[o->n++];
			memset(r, 0, sizeof(*r));
			r->p = ops[i].prefix;
			r->excl = excl;
			r->first = created;
		} else if (!excl && r->expires <= created) {
			r->first = created;
		}
		r->changed = created;
		snprintf(r->ref, sizeof(r->ref), "%.*s", ops[i].ref_len,
			 ops[i].ref ? ops[i].ref : "");
		if (!excl)
			r->expires = ops[i].expires;
	}
}

static int
m_counts(const struct morigin *o, const struct mrec *r, uint64_t now)
{
	if (trust_anchor_allows(o->a, r->excl ? BLF_OP_EXCLUDE : BLF_OP_LIST, &r->p, now) !=
	    TRUST_OK)
		return 0;
	return r->excl || r->expires > now;
}

struct ment {
	blf_prefix p;
	int excl;
	uint32_t weight;
	uint64_t expires;
	int removed;
};

static int
ment_cmp(const void *a, const void *b)
{
	return blf_prefix_cmp(&((const struct ment *)a)->p, &((const struct ment *)b)->p);
}

/* Listed candidates (weight >= thr) and counted exclusions, brute force. */
static size_t
model_view(struct morigin *o, size_t no, uint64_t now, uint32_t thr, struct ment *out,
	   struct ment *cand, size_t *ncand)
{
	size_t i, j, k, n = 0, nc = 0, nx = 0;
	struct ment xs[M_MAX * 4];

	for (k = 0; k < NPOOL; k++) {
		blf_prefix p = pfx(pool[k]);
		uint32_t w = 0;
		uint64_t ex[8];
		uint32_t ew[8];
		size_t ne = 0;
		int anyx = 0, exact = 0;

		/* SPEC 8.3: P is a candidate when some origin lists exactly P; it
		 * weighs every origin with an accepted listing containing P, once,
		 * counting until its latest such listing expires (or its anchor) */
		for (i = 0; i < no; i++) {
			uint64_t until = 0;

			for (j = 0; j < o[i].n; j++) {
				const struct mrec *r = &o[i].r[j];

				if (!m_counts(&o[i], r, now))
					continue;
				if (r->excl) {
					if (blf_prefix_cmp(&r->p, &p) == 0)
						anyx = 1;
					continue;
				}
				if (!blf_prefix_contains(&r->p, &p))
					continue;
				if (blf_prefix_cmp(&r->p, &p) == 0)
					exact = 1;
				if (r->expires > until)
					until = r->expires;
			}
			if (until == 0)
				continue;
			if (o[i].a->expires != 0 && o[i].a->expires < until)
				until = o[i].a->expires;
			w += o[i].a->weight;
			ex[ne] = until;
			ew[ne++] = o[i].a->weight;
		}
		if (anyx) {
			memset(&xs[nx], 0, sizeof(xs[nx]));
			xs[nx].p = p;
			xs[nx++].excl = 1;
		}
		if (exact && w >= thr) {
			/* expiry: the first expiry time after which weight < thr */
			uint64_t best = 0;
			size_t t;

			for (t = 0; t < ne; t++) {
				uint32_t left = 0;
				size_t u;

				for (u = 0; u < ne; u++)
					if (ex[u] > ex[t])
						left += ew[u];
				if (left < thr && (best == 0 || ex[t] < best))
					best = ex[t];
			}
			memset(&cand[nc], 0, sizeof(cand[nc]));
			cand[nc].p = p;
			cand[nc].weight = w;
			cand[nc++].expires = best;
		}
	}
	for (i = 0; i < nc; i++)
		for (j = 0; j < nx; j++)
			if (blf_prefix_contains(&xs[j].p, &cand[i].p))
				cand[i].removed = 1;
	for (i = 0; i < nc; i++)
		if (!cand[i].removed)
			out[n++] = cand[i];
	for (j = 0; j < nx; j++) {
		int inner = 0, covered = 0;

		for (k = 0; k < nx; k++)
			if (k != j && blf_prefix_contains(&xs[k].p, &xs[j].p))
				inner = 1;
		for (i = 0; i < nc; i++)
			if (!cand[i].removed && cand[i].p.len < xs[j].p.len &&
			    blf_prefix_contains(&cand[i].p, &xs[j].p))
				covered = 1;
		if (!inner && covered)
			out[n++] = xs[j];
	}
	qsort(out, n, sizeof(*out), ment_cmp);
	*ncand = nc;
	return n;
}

static void
test_random_model(void **state)
{
	struct fx *f = *state;
	struct pub *pubs[3] = { &f->a, &f->b, &f->c };
	struct morigin mo[3];
	trust_anchor a;
	static const blf_prefix auth[2] = {
		{ BLF_AF_INET, 16, { 10, 1 } },
		{ BLF_AF_INET6, 48, { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01 } },
	};
	static const char *refs[] = { "", "r1", "r2", "ticket 3" };
	struct ment view[64], cand[64];
	size_t step, steps = getenv("BLF_TEST_SMALL") ? 150 : 600, i, k, nv, nc;
	uint64_t now = T0;

	store_add(&f->st, &f->a, "alpha", 60);
	trust_anchor_init(&a, "beta", f->b.ks->pk);
	a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
	a.scope = (blf_prefix *)(uintptr_t)scope10;
	a.nscope = 2;
	a.weight = 50;
	assert_int_equal(trust_store_add(&f->st, &a, NULL, 0), 0);
	trust_anchor_init(&a, "gamma", f->c.ks->pk);
	a.perms = TRUST_LIST | TRUST_DELIST | TRUST_EXCLUDE;
	a.scope = (blf_prefix *)(uintptr_t)all_scope;
	a.nscope = 2;
	a.authority = (blf_prefix *)(uintptr_t)auth;
	a.nauthority = 2;
	a.max4 = 16;
	a.weight = 100;
	assert_int_equal(trust_store_add(&f->st, &a, NULL, 0), 0);
	open_core(f);
	memset(mo, 0, sizeof(mo));
	for (i = 0; i < 3; i++)
		mo[i].a = trust_store_find_origin(core_trust(f->core), pubs[i]->origin);

	for (step = 0; step < steps; step++) {
		blf_op ops[6];
		size_t n = 0, nops = 1 + mrnd(4);
		unsigned o = mrnd(3);

		now += mrnd(40);
		for (i = 0; i < nops; i++) {
			const char *ps = pool[mrnd(NPOOL)];
			unsigned t = 1 + mrnd(4);
			int dup = 0;

			ops[n] = t == BLF_OP_LIST ? op_list(ps, now + 1 + mrnd(1200), refs[mrnd(4)])
						  : op_simple(t, ps, t == BLF_OP_EXCLUDE ?
								      refs[mrnd(4)] : NULL);
			for (k = 0; k < n; k++)
				if (blf_prefix_cmp(&ops[k].prefix, &ops[n].prefix) == 0)
					dup = 1;
			if (!dup)
				n++;
		}
		apply(f, pubs[o], now, ops, n, NULL);
		model_apply(&mo[o], ops, n, now);
		if (step % 97 == 96) {
			/* restarts, from the journal alone or a checkpoint, change nothing */
			if (step % 2)
				assert_int_equal(core_checkpoint(f->core), 0);
			core_close(f->core);
			f->core = NULL;
			open_core(f);
			for (i = 0; i < 3; i++)
				mo[i].a = trust_store_find_origin(core_trust(f->core),
								  pubs[i]->origin);
		}

		/* compare the view at a time a little ahead */
		{
			uint64_t at = now + mrnd(60);
			core_iter it;
			core_entry e;

			nv = model_view(mo, 3, at, 100, view, cand, &nc);
			assert_int_equal(core_iter_begin(f->core, at, &it), 0);
			for (i = 0; i < nv; i++) {
				assert_int_equal(core_iter_next(&it, &e), 1);
				assert_int_equal(blf_prefix_cmp(&e.prefix, &view[i].p), 0);
				assert_int_equal(e.kind, view[i].excl ? CORE_ENTRY_EXCLUDED
								       : CORE_ENTRY_LISTED);
				if (!view[i].excl) {
					assert_int_equal(e.weight, view[i].weight);
					assert_int_equal(e.expires, view[i].expires);
				}
			}
			assert_int_equal(core_iter_next(&it, &e), 0);
			core_iter_end(&it);

			for (k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
				blf_prefix q = pfx(queries[k]);
				core_why w;
				int verdict = CORE_NOT_LISTED, best = -1;
				size_t nitems = 0, j;

				/* model verdict: longest view entry containing q */
				for (i = 0; i < nv; i++)
					if (blf_prefix_contains(&view[i].p, &q) &&
					    (best < 0 || view[i].p.len > view[best].p.len))
						best = (int)i;
				if (best >= 0)
					verdict = view[best].excl ? CORE_EXCLUDED : CORE_LISTED;
				else
					for (i = 0; i < nc; i++)
						if (cand[i].removed &&
						    blf_prefix_contains(&cand[i].p, &q))
							verdict = CORE_EXCLUDED;
				for (i = 0; i < 3; i++)
					for (j = 0; j < mo[i].n; j++)
						if (blf_prefix_contains(&mo[i].r[j].p, &q) ||
						    blf_prefix_contains(&q, &mo[i].r[j].p))
							nitems++;
				assert_int_equal(core_why_query(f->core, &q, at, &w), 0);
				assert_int_equal(w.verdict, verdict);
				assert_int_equal(w.nitems, nitems);
				if (best >= 0)
					assert_int_equal(blf_prefix_cmp(&w.via, &view[best].p), 0);
				core_why_free(&w);
			}
		}
	}
}


/* ---- SPEC 8.3 across prefix lengths (defect 15) ------------------------- */

/* The provenance item of the origin named name in e, or NULL. */
static const core_prov *
prov_of(const core_entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nprov; i++)
		if (strcmp(e->prov[i].name, name) == 0)
			return &e->prov[i];
	return NULL;
}

static void
test_consensus_across_lengths(void **state)
{
	struct fx *f = *state;
	blf_op eu = op_list("198.51.100.0/24", T0 + 1000, "eu case");
	blf_op us = op_list("198.51.100.7/32", T0 + 400, "us case");
	blf_op us24 = op_list("198.51.100.0/24", T0 + 2000, "us wide");
	blf_prefix q = pfx("198.51.100.7"), q8 = pfx("198.51.100.8");
	const core_prov *pv;
	core_iter it;
	core_entry e;
	core_why w;
	size_t i, ndec = 0;

	store_add(&f->st, &f->a, "europe", 60);
	store_add(&f->st, &f->b, "america", 60);
	open_core(f);
	apply(f, &f->a, T0, &eu, 1, NULL);
	apply(f, &f->b, T0, &us, 1, NULL);
	/* both flagged the host: 120 at the /32; the /24 alone stays at 60 */
	ASSERT_VIEW(f->core, T0, "L 198.51.100.7/32 120 1700000400\n");
	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.nprov, 2);
	/* provenance in origin id order, each with its own listing */
	assert_true(memcmp(e.prov[0].origin, e.prov[1].origin, BLF_KEYID_LEN) < 0);
	assert_non_null(pv = prov_of(&e, "europe"));
	assert_memory_equal(pv->ref, "eu case", 7);
	assert_int_equal(pv->expires, T0 + 1000);
	assert_int_equal(pv->until, T0 + 1000);
	assert_non_null(pv = prov_of(&e, "america"));
	assert_memory_equal(pv->ref, "us case", 7);
	assert_int_equal(pv->until, T0 + 400);
	assert_int_equal(core_iter_next(&it, &e), 0);
	core_iter_end(&it);
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_LISTED);
	assert_int_equal(w.weight, 120);
	assert_int_equal(blf_prefix_cmp(&w.via, &us.prefix), 0);
	for (i = 0; i < w.nitems; i++)
		ndec += w.items[i].decisive;
	assert_int_equal(ndec, 2);
	core_why_free(&w);
	assert_int_equal(core_why_query(f->core, &q8, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	core_why_free(&w);

	/* america also lists the /24: it counts once at the /32, with its most
	 * specific listing, until its latest listing containing the /32 */
	apply(f, &f->b, T0 + 1, &us24, 1, NULL);
	ASSERT_VIEW(f->core, T0 + 1, "L 198.51.100.0/24 120 1700001000\n"
				     "L 198.51.100.7/32 120 1700001000\n");
	assert_int_equal(core_iter_begin(f->core, T0 + 1, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.nprov, 2);
	assert_non_null(pv = prov_of(&e, "america"));
	assert_memory_equal(pv->ref, "us case", 7);
	assert_int_equal(pv->expires, T0 + 400);
	assert_int_equal(pv->until, T0 + 2000);
	core_iter_end(&it);
	/* after the /32 expires the /24 carries the host */
	ASSERT_VIEW(f->core, T0 + 400, "L 198.51.100.0/24 120 1700001000\n");
	assert_int_equal(core_why_query(f->core, &q, T0 + 400, &w), 0);
	assert_int_equal(w.verdict, CORE_LISTED);
	assert_int_equal(blf_prefix_cmp(&w.via, &eu.prefix), 0);
	core_why_free(&w);
}

static void
test_consensus_excluded(void **state)
{
	struct fx *f = *state;
	blf_op eu = op_list("198.51.100.0/24", T0 + 1000, NULL);
	blf_op us = op_list("198.51.100.7/32", T0 + 1000, NULL);
	blf_op x = op_simple(BLF_OP_EXCLUDE, "198.51.100.0/28", "our host");
	blf_prefix q = pfx("198.51.100.7");
	core_why w;

	store_add(&f->st, &f->a, "europe", 60);
	store_add(&f->st, &f->b, "america", 60);
	store_add(&f->st, &f->c, "owner", 10);
	open_core(f);
	apply(f, &f->a, T0, &eu, 1, NULL);
	apply(f, &f->b, T0, &us, 1, NULL);
	apply(f, &f->c, T0, &x, 1, NULL);
	/* the /32 reached 120 but lies inside the exclusion; no entry is left
	 * for the exclusion to punch a hole into */
	ASSERT_VIEW(f->core, T0, "");
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_EXCLUDED);
	assert_int_equal(blf_prefix_cmp(&w.via, &x.prefix), 0);
	assert_int_equal(w.nitems, 3);
	core_why_free(&w);
}

/* ---- defect 3: the anchor's expiry caps every contribution -------------- */

static void
test_anchor_expiry_caps_entry(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("192.0.2.0/24", T0 + 1000, NULL);
	trust_anchor a;
	core_iter it;
	core_entry e;
	uint64_t when;

	trust_anchor_init(&a, "expiring", f->a.ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)all_scope;
	a.nscope = 2;
	a.expires = T0 + 500;
	assert_int_equal(trust_store_add(&f->st, &a, NULL, 0), 0);
	store_add(&f->st, &f->b, "lasting", 50);
	open_core(f);
	apply(f, &f->a, T0, &l, 1, NULL);
	ASSERT_VIEW(f->core, T0, "L 192.0.2.0/24 100 1700000500\n");
	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.prov[0].expires, T0 + 1000); /* the listing says so */
	assert_int_equal(e.prov[0].until, T0 + 500);    /* its anchor ends sooner */
	core_iter_end(&it);
	assert_int_equal(core_next_change(f->core, T0, &when), 0);
	assert_int_equal(when, T0 + 500);
	/* with a second origin below the threshold alone: still T0+500 */
	apply(f, &f->b, T0, &l, 1, NULL);
	ASSERT_VIEW(f->core, T0, "L 192.0.2.0/24 150 1700000500\n");
	ASSERT_VIEW(f->core, T0 + 500, "");
	assert_int_equal(core_next_change(f->core, T0 + 500, &when), 0);
	assert_int_equal(when, T0 + 1000);
}

/* ---- defect 11: many origins, an exclusion over everything, wide why ---- */

static void
test_expiry_many_origins(void **state)
{
	struct fx *f = *state;
	enum { N = 64 };
	struct pub p[N];
	uint64_t ex[N], best = 0;
	uint32_t wt[N], left;
	core_iter it;
	core_entry e;
	int i, j;

	for (i = 0; i < N; i++) {
		char name[16];

		pub_init(&p[i], 10 + i);
		snprintf(name, sizeof(name), "o%d", i);
		wt[i] = 5 + (uint32_t)(i * 7) % 23;
		store_add(&f->st, &p[i], name, wt[i]);
	}
	open_core(f);
	for (i = 0; i < N; i++) {
		blf_op l = op_list(i % 2 ? "203.0.113.0/24" : "203.0.113.9/32",
				   T0 + 100 + (uint64_t)((i * 37) % 50) * 10, NULL);

		ex[i] = l.expires;
		apply(f, &p[i], T0, &l, 1, NULL);
	}
	/* brute force: the first expiry after which the rest weighs < 100 */
	for (i = 0; i < N; i++) {
		left = 0;
		for (j = 0; j < N; j++)
			if (ex[j] > ex[i])
				left += wt[j];
		if (left < 100 && (best == 0 || ex[i] < best))
			best = ex[i];
	}
	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1); /* the /24: odd origins */
	assert_int_equal(core_iter_next(&it, &e), 1); /* the /32: all of them */
	assert_int_equal(e.nprov, N);
	assert_int_equal(e.expires, best);
	core_iter_end(&it);
	for (i = 0; i < N; i++)
		pub_free(&p[i]);
}

static void
test_why_paged(void **state)
{
	struct fx *f = *state;
	blf_op ops[300];
	char ps[300][24];
	blf_op x = op_simple(BLF_OP_EXCLUDE, "10.0.0.0/8", NULL);
	blf_prefix all = pfx("0.0.0.0/0"), q = pfx("10.0.1.44");
	core_why w;
	size_t i, seen = 0;
	int k;

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "owner", 1);
	open_core(f);
	for (i = 0; i < 300; i++) {
		snprintf(ps[i], sizeof(ps[i]), "10.0.%zu.%zu/32", i / 200, i % 200);
		ops[i] = op_list(ps[i], T0 + 1000, NULL);
	}
	apply(f, &f->a, T0, ops, 300, NULL);
	ops[0] = op_list("10.0.1.0/24", T0 + 1000, NULL);
	apply(f, &f->a, T0, ops, 1, NULL);
	apply(f, &f->b, T0, &x, 1, NULL);
	ASSERT_VIEW(f->core, T0, "");
	/* pages of 64: every record once, the same verdict on each page */
	for (k = 0; k < 10; k++) {
		assert_int_equal(core_why_page(f->core, &all, T0, seen, 64, &w), 0);
		assert_int_equal(w.total, 302);
		assert_int_equal(w.first, seen);
		assert_int_equal(w.verdict, CORE_NOT_LISTED);
		seen += w.nitems;
		assert_int_equal(w.truncated, seen < 302);
		core_why_free(&w);
		if (seen == 302)
			break;
	}
	assert_int_equal(seen, 302);
	/* count only */
	assert_int_equal(core_why_page(f->core, &all, T0, 0, 0, &w), 0);
	assert_int_equal(w.total, 302);
	assert_int_equal(w.nitems, 0);
	assert_null(w.items);
	core_why_free(&w);
	/* the exclusion removed every listing covering q: decided in one pass */
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_EXCLUDED);
	assert_int_equal(blf_prefix_cmp(&w.via, &x.prefix), 0);
	assert_int_equal(w.nitems, 3);
	for (i = 0; i < w.nitems; i++)
		assert_int_equal(w.items[i].decisive, w.items[i].exclusion);
	core_why_free(&w);
}

/* ---- defect 12: an error is not the end --------------------------------- */

static void
test_iter_errors(void **state)
{
	struct fx *f = *state;
	blf_op ops[3] = { op_list("192.0.2.0/24", T0 + 1000, NULL),
			  op_list("192.0.2.9/32", T0 + 1000, NULL),
			  op_list("198.51.100.0/24", T0 + 1000, NULL) };
	core_iter it;
	core_entry e;
	unsigned n;
	int rc, ok = 0;

	store_add(&f->st, &f->a, "alpha", 100);
	open_core(f);
	apply(f, &f->a, T0, ops, 3, NULL);
	/* every allocation of a fresh build and iteration fails in turn: the
	 * call that failed says so, and a feed is never cut short */
	for (n = 1; n < 64 && !ok; n++) {
		size_t cnt = 0;

		/* a trust change: the next view is built whole */
		assert_int_equal(core_set_trust(f->core, &f->st), 0);
		core_test_fail_alloc(f->core, n);
		rc = core_iter_begin(f->core, T0, &it);
		if (rc != 0) {
			assert_int_equal(rc, BLF_ENOMEM);
			core_iter_end(&it);
			continue;
		}
		while ((rc = core_iter_next(&it, &e)) > 0)
			cnt++;
		assert_int_equal(rc, 0);
		assert_int_equal(cnt, 3);
		core_iter_end(&it);
		ok = n > 1;
	}
	assert_true(ok);
	core_test_fail_alloc(f->core, 0);
	/* the core changes under an iterator: an error, every time */
	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	apply(f, &f->a, T0 + 1, &ops[1], 1, NULL); /* a change: updated, not built */
	assert_int_equal(core_iter_next(&it, &e), -1);
	assert_int_equal(it.err, BLF_ESTALE);
	assert_int_equal(core_iter_next(&it, &e), -1);
	core_iter_end(&it);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The rest of an iteration as text lines "kind prefix weight expires
 * names", the provenance names sorted. */
static char *
iter_text(core_iter *it)
{
	char *out = calloc(1, 8192), pb[BLF_PREFIX_STRLEN];
	const char *names[8];
	core_entry e;
	size_t n = 0, i;

	assert_non_null(out);
	while (core_iter_next(it, &e) > 0) {
		blf_prefix_format(&e.prefix, pb);
		n += (size_t)snprintf(out + n, 8192 - n, "%s %s %u %llu",
				      e.kind == CORE_ENTRY_LISTED ? "L" : "X", pb, e.weight,
				      (unsigned long long)e.expires);
		assert_true(e.nprov >= 1 && e.nprov <= 8);
		for (i = 0; i < e.nprov; i++)
			names[i] = e.prov[i].name;
		qsort(names, e.nprov, sizeof(*names), name_cmp);
		for (i = 0; i < e.nprov; i++)
			n += (size_t)snprintf(out + n, 8192 - n, "%s%s", i ? "," : " ", names[i]);
		n += (size_t)snprintf(out + n, 8192 - n, "\n");
	}
	assert_int_equal(it->err, 0);
	core_iter_end(it);
	return out;
}

#define ASSERT_ITER(it, text)                            \
	do {                                             \
		char *v_ = iter_text(it);                \
		assert_string_equal(v_, (text));         \
		free(v_);                                \
	} while (0)

/* Collects changes as text "A|R|C prefix weight". */
struct got {
	char text[2048];
	size_t n;
};

static int
collect(void *arg, int change, const blf_prefix *prefix, const core_entry *e)
{
	struct got *g = arg;
	char pb[BLF_PREFIX_STRLEN];
	const char *k = change == CORE_CHANGE_ADDED	? "A"
			: change == CORE_CHANGE_REMOVED ? "R"
							: "C";

	blf_prefix_format(prefix, pb);
	g->n += (size_t)snprintf(g->text + g->n, sizeof(g->text) - g->n, "%s %s %u\n", k, pb,
				 e ? e->weight : 0);
	return 0;
}

#define ASSERT_CHANGES(f, gen, now, cur, want)                                           \
	do {                                                                             \
		struct got g_;                                                           \
		memset(&g_, 0, sizeof(g_));                                              \
		assert_int_equal(core_changes_since((f)->core, (gen), (now), collect, &g_, \
						    (cur)),                              \
				 0);                                                     \
		assert_string_equal(g_.text, (want));                                    \
	} while (0)

/* why q at now: verdict, via and weight, and the decisive items as
 * "name prefix" lines, sorted. */
static void
check_why(core *c, const char *q, uint64_t now, int verdict, const char *via, uint32_t weight,
	  const char *decisive)
{
	blf_prefix p = pfx(q), v;
	char lines[8][KEYS_NAME_MAX + BLF_PREFIX_STRLEN + 4], *sorted[8], text[1024] = "", pb[BLF_PREFIX_STRLEN];
	size_t i, k = 0, n = 0;
	core_why w;

	assert_int_equal(core_why_query(c, &p, now, &w), 0);
	assert_int_equal(w.verdict, verdict);
	if (via != NULL) {
		v = pfx(via);
		assert_int_equal(blf_prefix_cmp(&w.via, &v), 0);
	}
	if (verdict == CORE_LISTED)
		assert_int_equal(w.weight, weight);
	for (i = 0; i < w.nitems; i++)
		if (w.items[i].decisive) {
			assert_true(k < 8);
			blf_prefix_format(&w.items[i].prefix, pb);
			snprintf(lines[k], sizeof(lines[k]), "%s %s\n", w.items[i].name, pb);
			sorted[k] = lines[k];
			k++;
		}
	core_why_free(&w);
	qsort(sorted, k, sizeof(*sorted), name_cmp);
	for (i = 0; i < k; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", sorted[i]);
	assert_string_equal(text, decisive);
}

/*
 * Entries of one pair (held inline in the view) and of several (held
 * apart) side by side: single- and multi-origin listings and exclusions, a
 * hidden group of one origin that gives provenance to an entry inside it,
 * IPv6; then an entry going from one contributor to two and back, and a
 * hidden group becoming a listed entry of two and hidden again, and IPv6
 * entries changed, added and removed beside them.  Why, the iterator
 * (whole and ranged) and the change feed must agree throughout.
 */
static void
test_single_and_multi_pair_entries(void **state)
{
	struct fx *f = *state;
	blf_op a1[4] = { op_list("192.0.2.0/24", T0 + 1000, "a-doc"),
			 op_list("10.0.1.0/24", T0 + 1000, "a-ten"),
			 op_list("198.51.100.0/24", T0 + 1000, "a-net"),
			 op_list("2001:db8::/48", T0 + 1000, "a-six") };
	blf_op ax = op_simple(BLF_OP_EXCLUDE, "10.0.1.9/32", "a-clean");
	blf_op b1[2] = { op_list("198.51.100.0/24", T0 + 2000, "b-net"),
			 op_simple(BLF_OP_EXCLUDE, "10.0.1.9/32", "b-clean") };
	blf_op c1[2] = { op_list("10.0.0.0/16", T0 + 3000, "c-wide"),
			 op_simple(BLF_OP_EXCLUDE, "198.51.100.7/32", "c-clean") };
	blf_op b2[4] = { op_list("192.0.2.0/24", T0 + 2000, "b-doc"),
			 op_list("10.0.0.0/16", T0 + 2000, "b-wide"),
			 op_list("2001:db8::/48", T0 + 2000, "b-six"),
			 op_list("2001:db8:1::/48", T0 + 2000, "b-six2") };
	blf_op bd[4] = { op_simple(BLF_OP_DELIST, "192.0.2.0/24", NULL),
			 op_simple(BLF_OP_DELIST, "10.0.0.0/16", NULL),
			 op_simple(BLF_OP_DELIST, "2001:db8::/48", NULL),
			 op_simple(BLF_OP_DELIST, "2001:db8:1::/48", NULL) };
	blf_prefix within = pfx("10.0.1.0/25"), net = pfx("198.51.100.0/24");
	const char *view1 = "L 10.0.1.0/24 160 1700001000 alpha,gamma\n"
			    "X 10.0.1.9/32 0 0 alpha,beta\n"
			    "L 192.0.2.0/24 100 1700001000 alpha\n"
			    "L 198.51.100.0/24 200 1700002000 alpha,beta\n"
			    "X 198.51.100.7/32 0 0 gamma\n"
			    "L 2001:db8::/48 100 1700001000 alpha\n";
	uint64_t g1, g2, g3;
	core_iter it;

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "beta", 100);
	store_add(&f->st, &f->c, "gamma", 60);
	f->cfg.change_feed = 1;
	open_core(f);
	apply(f, &f->a, T0, a1, 4, NULL);
	apply(f, &f->a, T0, &ax, 1, NULL);
	apply(f, &f->b, T0, b1, 2, NULL);
	apply(f, &f->c, T0, c1, 2, NULL);

	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	ASSERT_ITER(&it, view1);
	assert_int_equal(core_view_generation(f->core, T0, &g1), 0);
	/* ranged: the entry containing the range (its provenance from the
	 * hidden group of one), then what lies inside */
	assert_int_equal(core_iter_begin_at(f->core, T0, &within, NULL, &it), 0);
	ASSERT_ITER(&it, "L 10.0.1.0/24 160 1700001000 alpha,gamma\n"
			 "X 10.0.1.9/32 0 0 alpha,beta\n");
	assert_int_equal(core_iter_begin_at(f->core, T0, &net, NULL, &it), 0);
	ASSERT_ITER(&it, "L 198.51.100.0/24 200 1700002000 alpha,beta\n"
			 "X 198.51.100.7/32 0 0 gamma\n");
	assert_int_equal(core_iter_begin_at(f->core, T0, &net, &net, &it), 0);
	ASSERT_ITER(&it, "X 198.51.100.7/32 0 0 gamma\n");

	check_why(f->core, "10.0.1.5", T0, CORE_LISTED, "10.0.1.0/24", 160,
		  "alpha 10.0.1.0/24\ngamma 10.0.0.0/16\n");
	check_why(f->core, "10.0.2.1", T0, CORE_NOT_LISTED, NULL, 0, "");
	check_why(f->core, "10.0.1.9", T0, CORE_EXCLUDED, "10.0.1.9/32", 0,
		  "alpha 10.0.1.9/32\nbeta 10.0.1.9/32\n");
	check_why(f->core, "198.51.100.7", T0, CORE_EXCLUDED, "198.51.100.7/32", 0,
		  "gamma 198.51.100.7/32\n");
	check_why(f->core, "198.51.100.8", T0, CORE_LISTED, "198.51.100.0/24", 200,
		  "alpha 198.51.100.0/24\nbeta 198.51.100.0/24\n");
	check_why(f->core, "192.0.2.1", T0, CORE_LISTED, "192.0.2.0/24", 100,
		  "alpha 192.0.2.0/24\n");
	check_why(f->core, "2001:db8::1", T0, CORE_LISTED, "2001:db8::/48", 100,
		  "alpha 2001:db8::/48\n");

	/* one contributor to two: beta joins alpha's /24 and gamma's hidden
	 * /16, which now reaches the threshold itself */
	apply(f, &f->b, T0 + 10, b2, 4, NULL);
	assert_int_equal(core_iter_begin(f->core, T0 + 10, &it), 0);
	ASSERT_ITER(&it, "L 10.0.0.0/16 160 1700002000 beta,gamma\n"
			 "L 10.0.1.0/24 260 1700002000 alpha,beta,gamma\n"
			 "X 10.0.1.9/32 0 0 alpha,beta\n"
			 "L 192.0.2.0/24 200 1700002000 alpha,beta\n"
			 "L 198.51.100.0/24 200 1700002000 alpha,beta\n"
			 "X 198.51.100.7/32 0 0 gamma\n"
			 "L 2001:db8::/48 200 1700002000 alpha,beta\n"
			 "L 2001:db8:1::/48 100 1700002000 beta\n");
	ASSERT_CHANGES(f, g1, T0 + 10, &g2, "A 10.0.0.0/16 160\n"
					   "C 10.0.1.0/24 260\n"
					   "C 192.0.2.0/24 200\n"
					   "C 2001:db8::/48 200\n"
					   "A 2001:db8:1::/48 100\n");
	assert_true(g2 != g1);
	check_why(f->core, "10.0.2.1", T0 + 10, CORE_LISTED, "10.0.0.0/16", 160,
		  "beta 10.0.0.0/16\ngamma 10.0.0.0/16\n");
	check_why(f->core, "192.0.2.1", T0 + 10, CORE_LISTED, "192.0.2.0/24", 200,
		  "alpha 192.0.2.0/24\nbeta 192.0.2.0/24\n");
	assert_int_equal(core_iter_begin_at(f->core, T0 + 10, &within, NULL, &it), 0);
	ASSERT_ITER(&it, "L 10.0.0.0/16 160 1700002000 beta,gamma\n"
			 "L 10.0.1.0/24 260 1700002000 alpha,beta,gamma\n"
			 "X 10.0.1.9/32 0 0 alpha,beta\n");

	/* and back to one: the view of the start again */
	apply(f, &f->b, T0 + 20, bd, 4, NULL);
	assert_int_equal(core_iter_begin(f->core, T0 + 20, &it), 0);
	ASSERT_ITER(&it, view1);
	ASSERT_CHANGES(f, g2, T0 + 20, &g3, "R 10.0.0.0/16 0\n"
					   "C 10.0.1.0/24 160\n"
					   "C 192.0.2.0/24 100\n"
					   "C 2001:db8::/48 100\n"
					   "R 2001:db8:1::/48 0\n");
	assert_true(g3 != g2);
	check_why(f->core, "10.0.2.1", T0 + 20, CORE_NOT_LISTED, NULL, 0, "");
	check_why(f->core, "10.0.1.5", T0 + 20, CORE_LISTED, "10.0.1.0/24", 160,
		  "alpha 10.0.1.0/24\ngamma 10.0.0.0/16\n");
	check_why(f->core, "192.0.2.1", T0 + 20, CORE_LISTED, "192.0.2.0/24", 100,
		  "alpha 192.0.2.0/24\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_threshold_weights, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_relist_delist, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exclusions, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exclusion_removes_without_hole, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_policy_filtering_and_trust_change, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_relay_only_and_anchor_expiry, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_consensus_across_lengths, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_consensus_excluded, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_anchor_expiry_caps_entry, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_expiry_many_origins, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_why_paged, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_iter_errors, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_single_and_multi_pair_entries, setup,
						fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
