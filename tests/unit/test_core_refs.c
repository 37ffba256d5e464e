/*
 * test_core_refs.c - reference storage: every reference comes back as the
 * exact text that was listed, through why, the view iterator, the origin
 * iterator and snapshots, before and after a checkpoint and a replay.
 *
 * References are stored as a shared stem (up to the last '/') and a tail
 * (agent/core/refs.c), so the cases are the edges of that split: no '/',
 * a '/' first or last, an empty tail, the longest reference, one tail under
 * several stems, text that is no URL, multi-byte UTF-8 around the '/', and
 * references shared by neighbouring listings (refcounts).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_core_util.h"

#define NCASES 16

static char long_url[BLF_MAX_REF_LEN + 1];   /* 255 bytes, '/' inside */
static char long_plain[BLF_MAX_REF_LEN + 1]; /* 255 bytes, no '/' */
static char long_stem[BLF_MAX_REF_LEN + 1];  /* 255 bytes ending in '/' */

static const char *cases[NCASES];

static void
cases_init(void)
{
	size_t i;

	/* "https://" + 'a'... + "/" + tail: a 200-byte stem, 55-byte tail */
	memset(long_url, 'a', BLF_MAX_REF_LEN);
	memcpy(long_url, "https://", 8);
	long_url[199] = '/';
	long_url[BLF_MAX_REF_LEN] = '\0';
	memset(long_plain, 'z', BLF_MAX_REF_LEN);
	long_plain[BLF_MAX_REF_LEN] = '\0';
	memset(long_stem, 's', BLF_MAX_REF_LEN);
	long_stem[BLF_MAX_REF_LEN - 1] = '/';
	long_stem[BLF_MAX_REF_LEN] = '\0';
	i = 0;
	cases[i++] = "https://spamhaus.example/evidence/3k9x2a";
	cases[i++] = "https://cert-eu.example/evidence/3k9x2a";   /* same tail */
	cases[i++] = "https://spamhaus.example/evidence/q0";       /* same stem */
	cases[i++] = "ticket 1";                                   /* no '/' */
	cases[i++] = "https://spamhaus.example/evidence/";         /* empty tail */
	cases[i++] = "/";                                          /* stem only */
	cases[i++] = "/x";                                         /* '/' first */
	cases[i++] = "x";
	cases[i++] = "see ticket #42 / spam wave of 3/11";         /* no URL */
	cases[i++] = "\xc3\xa9vidence/\xc3\xa9t\xc3\xa9";          /* UTF-8 */
	cases[i++] = "3k9x2a";                                     /* a bare tail */
	cases[i++] = long_url;
	cases[i++] = long_plain;
	cases[i++] = long_stem;
	cases[i++] = "https://spamhaus.example//";                 /* two '/' */
	cases[i++] = "https://spamhaus.example/evidence/3k9x2a?x=/"; /* '/' in query */
	assert_int_equal(i, NCASES);
}

static void
prefix_of(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "10.%zu.%zu.0/24", i / 256, i % 256);
}

/* The reference a why query for listing i reports (NUL-terminated). */
static void
why_ref(core *c, size_t i, char *out)
{
	char pb[32];
	blf_prefix q;
	core_why w;

	prefix_of(i, pb, sizeof(pb));
	q = pfx(pb);
	assert_int_equal(core_why_query(c, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_LISTED);
	assert_int_equal(w.nitems, 1);
	strcpy(out, w.items[0].ref);
	core_why_free(&w);
}

/* Check that listing i (of n, prefixes in order) carries want[i] (NULL:
 * none) through why, the view iterator and the origin iterator. */
static void
check_refs(struct fx *f, const char *const *want, size_t n)
{
	char got[BLF_MAX_REF_LEN + 1];
	core_origin_iter oi;
	core_origin_rec r;
	core_iter it;
	core_entry e;
	size_t i, seen = 0;

	for (i = 0; i < n; i++) {
		why_ref(f->core, i, got);
		assert_string_equal(got, want[i] ? want[i] : "");
	}
	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(core_iter_next(&it, &e), 1);
		assert_int_equal(e.nprov, 1);
		if (want[i] == NULL) {
			assert_int_equal(e.prov[0].ref_len, 0);
		} else {
			assert_int_equal(e.prov[0].ref_len, strlen(want[i]));
			assert_memory_equal(e.prov[0].ref, want[i], e.prov[0].ref_len);
		}
	}
	assert_int_equal(core_iter_next(&it, &e), 0);
	core_iter_end(&it);
	assert_int_equal(core_origin_iter_begin(f->core, f->a.origin, &oi), 0);
	while (core_origin_iter_next(&oi, &r) == 1) {
		size_t k = (size_t)r.prefix.addr[1] * 256 + r.prefix.addr[2];

		assert_true(k < n);
		if (want[k] == NULL) {
			assert_int_equal(r.ref_len, 0);
		} else {
			assert_int_equal(r.ref_len, strlen(want[k]));
			assert_memory_equal(r.ref, want[k], r.ref_len);
		}
		seen++;
	}
	assert_int_equal(seen, n);
}

static size_t
nrefs(core *c)
{
	core_stats s;

	core_get_stats(c, &s);
	return s.nrefs;
}

/* Apply one delta listing prefix i with refs[i] for i in [0, n). */
static void
apply_all(struct fx *f, const char *const *refs, size_t n)
{
	blf_op *ops = calloc(n, sizeof(*ops));
	char pb[32];
	size_t i;

	assert_non_null(ops);
	for (i = 0; i < n; i++) {
		prefix_of(i, pb, sizeof(pb));
		ops[i] = op_list(pb, T0 + 3600, refs[i]);
	}
	assert_int_equal(pub_next(&f->a, T0, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	free(ops);
}

static int
setup(void **state)
{
	struct fx *f = fx_new();

	store_add(&f->st, &f->a, "alpha", 100);
	assert_int_equal(fx_open(f), 0);
	cases_init();
	*state = f;
	return 0;
}

/* Every edge case comes back exactly, also after a checkpoint (loaded as
 * is) and after a replay of the journal (the checkpoint removed). */
static void
test_edge_cases_round_trip(void **state)
{
	struct fx *f = *state;
	const char *want[NCASES + 1];
	char ck[4096];

	memcpy(want, cases, sizeof(cases));
	want[NCASES] = NULL; /* no reference */
	apply_all(f, want, NCASES + 1);
	check_refs(f, want, NCASES + 1);
	assert_int_equal(nrefs(f->core), NCASES);

	assert_int_equal(core_checkpoint(f->core), 0);
	assert_int_equal(fx_open(f), 0);
	check_refs(f, want, NCASES + 1);
	assert_int_equal(nrefs(f->core), NCASES);

	snprintf(ck, sizeof(ck), "%s/checkpoint", f->dir);
	assert_int_equal(unlink(ck), 0);
	assert_int_equal(fx_open(f), 0);
	check_refs(f, want, NCASES + 1);
	assert_int_equal(nrefs(f->core), NCASES);
}

/* Neighbours sharing one reference hold one copy; re-listing with the
 * same reference keeps it, replacing or delisting frees it only when the
 * last holder goes; a freed reference can be interned again. */
static void
test_shared_neighbours(void **state)
{
	struct fx *f = *state;
	const char *want[6] = { cases[0], cases[0], cases[1], cases[1], cases[2], NULL };
	blf_op ops[3];

	apply_all(f, want, 6);
	assert_int_equal(nrefs(f->core), 3);
	apply_all(f, want, 6); /* the same again: nothing new */
	assert_int_equal(nrefs(f->core), 3);
	check_refs(f, want, 6);

	/* listing 0 moves to cases[1]: cases[0] is still held by listing 1 */
	ops[0] = op_list("10.0.0.0/24", T0 + 3600, cases[1]);
	assert_int_equal(pub_next(&f->a, T0, ops, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	want[0] = cases[1];
	assert_int_equal(nrefs(f->core), 3);
	check_refs(f, want, 6);

	/* listing 1 moves too: cases[0] is gone */
	ops[0] = op_list("10.0.1.0/24", T0 + 3600, cases[1]);
	assert_int_equal(pub_next(&f->a, T0, ops, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	want[1] = cases[1];
	assert_int_equal(nrefs(f->core), 2);
	check_refs(f, want, 6);

	/* delist listing 4, the only holder of cases[2]; then list it again */
	ops[0] = op_simple(BLF_OP_DELIST, "10.0.4.0/24", NULL);
	assert_int_equal(pub_next(&f->a, T0, ops, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(nrefs(f->core), 1);
	ops[0] = op_list("10.0.4.0/24", T0 + 3600, cases[2]);
	ops[1] = op_list("10.0.5.0/24", T0 + 3600, cases[0]);
	assert_int_equal(pub_next(&f->a, T0, ops, 2, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	want[5] = cases[0];
	assert_int_equal(nrefs(f->core), 3);
	check_refs(f, want, 6);

	assert_int_equal(core_checkpoint(f->core), 0);
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(nrefs(f->core), 3);
	check_refs(f, want, 6);
}

/* A long random run: references from a few stems, a third of them shared
 * with a neighbour, re-listed, replaced and delisted at random so that
 * strings and stems are freed and reused and the arenas compacted; the
 * state after a checkpoint and after a replay says the same as a model. */
static void
test_random_churn(void **state)
{
	struct fx *f = *state;
	enum { N = 600, ROUNDS = 12, PER = 300 };
	static char text[N][64];
	const char *model[N];
	blf_op ops[PER];
	char pb[PER][32], ck[4096];
	const char *listed[N];
	size_t nl, i, k, r;
	uint64_t x = 12345;

	memset(model, 0, sizeof(model));
	for (r = 0; r < ROUNDS; r++) {
		for (k = 0; k < PER; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			i = (size_t)(x >> 33) % N;
			prefix_of(i, pb[k], sizeof(pb[k]));
			/* an op per prefix and delta: skip repeats */
			if (k > 0) {
				size_t j;

				for (j = 0; j < k && strcmp(pb[j], pb[k]) != 0; j++)
					;
				if (j < k) {
					k--;
					continue;
				}
			}
			if ((x >> 20) % 5 == 0) {
				ops[k] = op_simple(BLF_OP_DELIST, pb[k], NULL);
				model[i] = NULL;
				continue;
			}
			/* stem from 1 of 5 (or none), tail shared by neighbours */
			switch ((x >> 40) % 6) {
			case 5:
				snprintf(text[i], sizeof(text[i]), "note %llu",
					 (unsigned long long)((x >> 45) % 97));
				break;
			default:
				snprintf(text[i], sizeof(text[i]), "https://org%llu.example/e/%llx",
					 (unsigned long long)((x >> 40) % 6),
					 (unsigned long long)((x >> 48) % 400 / 3));
				break;
			}
			ops[k] = op_list(pb[k], T0 + 3600, text[i]);
			model[i] = text[i];
		}
		assert_int_equal(pub_next(&f->a, T0, ops, PER, &f->buf), 0);
		assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
		/* model[] points at text[], which later ops may overwrite only
		 * for the same prefix: the model holds current texts */
		if (r == ROUNDS / 2)
			assert_int_equal(core_checkpoint(f->core), 0);
	}
	for (k = 0; k < 3; k++) {
		core_origin_iter oi;
		core_origin_rec rec;
		size_t distinct = 0, j;

		nl = 0;
		for (i = 0; i < N; i++)
			if (model[i] != NULL)
				listed[nl++] = model[i];
		for (i = 0; i < nl; i++) {
			for (j = 0; j < i && strcmp(listed[j], listed[i]) != 0; j++)
				;
			distinct += j == i;
		}
		assert_int_equal(nrefs(f->core), distinct);
		assert_int_equal(core_origin_iter_begin(f->core, f->a.origin, &oi), 0);
		j = 0;
		while (core_origin_iter_next(&oi, &rec) == 1) {
			i = (size_t)rec.prefix.addr[1] * 256 + rec.prefix.addr[2];
			assert_true(i < N);
			assert_non_null(model[i]);
			assert_int_equal(rec.ref_len, strlen(model[i]));
			assert_memory_equal(rec.ref, model[i], rec.ref_len);
			j++;
		}
		assert_int_equal(j, nl);
		if (k == 0) {
			assert_int_equal(fx_open(f), 0); /* checkpoint + journal tail */
		} else if (k == 1) {
			snprintf(ck, sizeof(ck), "%s/checkpoint", f->dir);
			assert_int_equal(unlink(ck), 0);
			assert_int_equal(fx_open(f), 0); /* the whole journal */
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_edge_cases_round_trip, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shared_neighbours, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_random_churn, setup, fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
