/*
 * test_dispute.c - disputes (SPEC 5.6, 8.6): the codec of operations 5-8,
 * the dispute id vector, and the merge: lapse after the answer window,
 * uphold (with a narrower listing), concede, filtered disputes, the bound
 * per origin, and restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_core_util.h"

#define W 3600u /* the answer window used here */
#define REF "https://asct.example/d/1"

static int
setup(void **state)
{
	*state = fx_new();
	return 0;
}

static blf_op
op_dispute(const char *prefix, uint16_t code, const char *ref)
{
	blf_op op = op_simple(BLF_OP_DISPUTE, prefix, ref);

	op.reason = code;
	return op;
}

static blf_op
op_answer(unsigned type, const char *prefix, const uint8_t id[16], uint16_t code)
{
	blf_op op = op_simple(type, prefix, "https://lister.example/evidence");

	op.reason = code;
	op.id_len = 16;
	memcpy(op.id, id, 16);
	return op;
}

/* a lists, b may dispute inside 198.51.0.0/16, c may not dispute. */
static void
world(struct fx *f)
{
	trust_anchor *b;
	char err[256];

	store_add(&f->st, &f->a, "lister", 100);
	store_add(&f->st, &f->b, "asct", 100);
	store_add(&f->st, &f->c, "other", 100);
	assert_non_null(b = trust_store_find_origin_mut(&f->st, f->b.origin));
	b->perms |= TRUST_DISPUTE;
	assert_int_equal(trust_anchor_set(b, "authority", "198.51.0.0/16", err, sizeof(err)), 0);
	trust_store_find_origin_mut(&f->st, f->a.origin)->dispute_window = W;
	assert_int_equal(fx_open(f), 0);
}

static void
apply(struct fx *f, struct pub *p, uint64_t created, const blf_op *ops, size_t n)
{
	core_result res;

	assert_int_equal(pub_next(p, created, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, created, &res), 0);
}

static int
listed(core *c, const char *prefix, uint64_t now)
{
	core_iter it;
	core_entry e;
	blf_prefix p = pfx(prefix);
	int found = 0;

	assert_int_equal(core_iter_begin(c, now, &it), 0);
	while (core_iter_next(&it, &e) > 0)
		if (blf_prefix_cmp(&e.prefix, &p) == 0 && e.kind == CORE_ENTRY_LISTED)
			found = 1;
	core_iter_end(&it);
	return found;
}

static void
dispute_id_of(struct fx *f, const blf_op *op, uint8_t id[16])
{
	assert_int_equal(blf_dispute_id(f->b.origin, op, id), 0);
}

/* SPEC 5.6: the vector, and a delta of every new type round-trips. */
static void
test_codec(void **state)
{
	struct fx *f = *state;
	uint8_t filer[16], id[16];
	char hex[33];
	blf_op ops[4];
	blf_envelope env;
	blf_delta d;

	(void)f;
	/* SPEC 5.6: filer B, target A (the keys of SPEC 10.1) */
	assert_int_equal(blf_keyid_parse("373dbbe9a75cc382e99c814dee7abfb9", 32, filer), 0);
	ops[0] = op_dispute("198.51.100.0/24", 2, REF);
	ops[0].id_len = 16;
	assert_int_equal(blf_keyid_parse("9ddb0fadcb321f24710d6d97b69ed89d", 32, ops[0].id), 0);
	assert_int_equal(blf_dispute_id(filer, &ops[0], id), 0);
	blf_keyid_hex(id, hex);
	assert_string_equal(hex, "227da4b3b19bbe5a1c0073055791134c");
	/* without a target, another dispute */
	ops[0].id_len = 0;
	assert_int_equal(blf_dispute_id(filer, &ops[0], id), 0);
	blf_keyid_hex(id, hex);
	assert_string_not_equal(hex, "227da4b3b19bbe5a1c0073055791134c");
	ops[0].type = BLF_OP_LIST;
	assert_int_equal(blf_dispute_id(filer, &ops[0], id), BLF_EINVAL);
	ops[0] = op_dispute("198.51.100.0/24", 2, REF);
	ops[1] = op_answer(BLF_OP_UPHOLD, "198.51.100.7/32", id, 2);
	ops[2] = op_answer(BLF_OP_CONCEDE, "198.51.100.0/24", filer, 4);
	ops[3] = op_simple(BLF_OP_UNDISPUTE, "198.51.101.0/24", NULL);
	assert_int_equal(pub_next(&f->a, T0, ops, 4, &f->buf), 0);
	assert_int_equal(blf_envelope_parse(f->buf.data, f->buf.len, &env), 0);
	assert_int_equal(blf_delta_decode_body(env.body, env.body_len, &d), 0);
	assert_int_equal(d.nops, 4);
	assert_int_equal(d.ops[0].type, BLF_OP_DISPUTE);
	assert_int_equal(d.ops[0].reason, 2);
	assert_int_equal(d.ops[0].id_len, 0);
	assert_int_equal(d.ops[1].type, BLF_OP_UPHOLD);
	assert_memory_equal(d.ops[1].id, id, 16);
	assert_int_equal(d.ops[2].type, BLF_OP_CONCEDE);
	assert_int_equal(d.ops[3].type, BLF_OP_UNDISPUTE);
	blf_delta_free(&d);
	/* two answers of one dispute: duplicate-entry; code 0: range */
	ops[2] = op_answer(BLF_OP_CONCEDE, "198.51.100.0/24", id, 4);
	assert_int_equal(pub_next(&f->b, T0, ops, 3, &f->buf), BLF_EDUP);
	ops[2].reason = 0;
	assert_int_equal(blf_op_check(&ops[2], T0, 1), BLF_EREASON);
	/* no undispute in a snapshot */
	assert_int_equal(blf_op_check(&ops[3], T0, 0), BLF_EOPTYPE);
	assert_string_equal(blf_dispute_code_name(1), "host-cleaned");
	assert_string_equal(blf_answer_code_name(3), "narrowed");
	assert_int_equal(blf_dispute_code_parse("too-wide", &ops[0].reason), 0);
	assert_int_equal(ops[0].reason, 2);
	assert_int_equal(blf_dispute_code_parse("0", &ops[0].reason), BLF_EREASON);
}

/* The whole story: listed, disputed, upheld for one address, the rest lapses
 * at filed + W (the next change of the view), and it survives a restart. */
static void
test_lapse_and_uphold(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_dispute("198.51.100.0/24", 2, REF);
	blf_op up[2];
	uint8_t id[16];
	uint64_t when;
	core_dispute_info *v;
	core_listing_trail t;
	core_why w;
	blf_prefix q = pfx("198.51.100.9/32");
	size_t n;

	world(f);
	apply(f, &f->a, T0, &l, 1);
	assert_true(listed(f->core, "198.51.100.0/24", T0));
	apply(f, &f->b, T0 + 10, &d, 1);
	dispute_id_of(f, &d, id);
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 10));
	assert_int_equal(core_next_change(f->core, T0 + 10, &when), 0);
	assert_int_equal(when, T0 + 10 + W);
	assert_int_equal(core_disputes(f->core, NULL, f->a.origin, 1, T0 + 10, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(v[0].id, id, 16);
	assert_string_equal(v[0].filer_name, "asct");
	assert_int_equal(v[0].status, CORE_ACCEPTED);
	assert_int_equal(v[0].nagainst_us, 1);
	assert_int_equal(v[0].nopen_us, 1);
	assert_int_equal(v[0].ncovered, 1);
	assert_int_equal(v[0].lapse, T0 + 10 + W);
	core_disputes_free(v, n);
	/* the entry's expiry is the lapse (SPEC 8.3: its contribution ends) */
	{
		core_iter it;
		core_entry e;

		assert_int_equal(core_iter_begin(f->core, T0 + 10, &it), 0);
		assert_int_equal(core_iter_next(&it, &e), 1);
		assert_int_equal(e.expires, T0 + 10 + W);
		assert_int_equal(e.prov[0].until, T0 + 10 + W);
		core_iter_end(&it);
	}

	/* uphold for one address, listed on its own */
	up[0] = op_answer(BLF_OP_UPHOLD, "198.51.100.7/32", id, 3);
	up[1] = op_list("198.51.100.7/32", T0 + 86400, "spam");
	apply(f, &f->a, T0 + 20, up, 2);
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 10 + W - 1));
	assert_false(listed(f->core, "198.51.100.0/24", T0 + 10 + W));
	assert_true(listed(f->core, "198.51.100.7/32", T0 + 10 + W));
	assert_int_equal(core_listing_dispute(f->core, f->a.origin, &q, T0 + 10 + W, &t), 0);
	assert_true(t.disputed);
	assert_int_equal(t.state, CORE_DISPUTE_LAPSED);
	q = pfx("198.51.100.7/32");
	assert_int_equal(core_listing_dispute(f->core, f->a.origin, &q, T0 + 10 + W, &t), 0);
	assert_int_equal(t.state, CORE_DISPUTE_UPHELD);
	assert_int_equal(core_why_query(f->core, &q, T0 + 10 + W, &w), 0);
	assert_int_equal(w.verdict, CORE_LISTED);
	core_why_free(&w);
	q = pfx("198.51.100.9/32");
	assert_int_equal(core_why_query(f->core, &q, T0 + 10 + W, &w), 0);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	assert_int_equal(w.nitems, 1);
	assert_int_equal(w.items[0].status, CORE_LAPSED);
	core_why_free(&w);

	/* restart: the disputes file brings it back */
	assert_int_equal(core_checkpoint(f->core), 0);
	assert_int_equal(fx_open(f), 0);
	assert_false(listed(f->core, "198.51.100.0/24", T0 + 10 + W));
	assert_true(listed(f->core, "198.51.100.7/32", T0 + 10 + W));
	assert_int_equal(core_disputes(f->core, NULL, NULL, 1, T0 + 10 + W, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].nanswers, 1);
	assert_int_equal(v[0].answers[0].code, 3);
	assert_false(v[0].answers[0].concede);
	core_disputes_free(v, n);

	/* the filer withdraws: the /24 is back */
	d = op_simple(BLF_OP_UNDISPUTE, "198.51.100.0/24", NULL);
	apply(f, &f->b, T0 + 30, &d, 1);
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 10 + W));
}

/* A concede takes the listing out at once. */
static void
test_concede(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_dispute("198.51.100.0/24", 1, REF), c;
	core_dispute_info *v;
	size_t n, i, answered;
	uint8_t id[16];

	world(f);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0 + 10, &d, 1);
	dispute_id_of(f, &d, id);
	c = op_answer(BLF_OP_CONCEDE, "198.51.100.0/24", id, 4);
	apply(f, &f->a, T0 + 20, &c, 1);
	assert_false(listed(f->core, "198.51.100.0/24", T0 + 20));

	/* a second dispute, unanswered, listed beside the answered one (its
	 * answers were once addressed through a null array: UBSan) */
	d = op_dispute("198.51.100.128/25", 2, REF);
	apply(f, &f->b, T0 + 30, &d, 1);
	assert_int_equal(core_disputes(f->core, NULL, NULL, 0, T0 + 30, &v, &n), 0);
	assert_int_equal(n, 2);
	for (i = answered = 0; i < n; i++) {
		assert_true(v[i].nanswers <= 1);
		assert_true(v[i].nanswers == 0 || v[i].answers[0].concede);
		answered += v[i].nanswers;
	}
	assert_int_equal(answered, 1);
	core_disputes_free(v, n);
}

/* Without the permission, or outside the authority: filtered, nothing lapses. */
static void
test_filtered(void **state)
{
	struct fx *f = *state;
	blf_op l[2] = { op_list("198.51.100.0/24", T0 + 86400, "spam"),
			op_list("203.0.113.0/24", T0 + 86400, "spam") };
	blf_op d = op_dispute("198.51.100.0/24", 5, REF);
	blf_op out = op_dispute("203.0.113.0/24", 5, REF);
	core_dispute_info *v;
	size_t n, i;

	world(f);
	apply(f, &f->a, T0, l, 2);
	apply(f, &f->c, T0, &d, 1);   /* c: no dispute permission */
	apply(f, &f->b, T0, &out, 1); /* b: outside its authority */
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 2 * W));
	assert_true(listed(f->core, "203.0.113.0/24", T0 + 2 * W));
	assert_int_equal(core_disputes(f->core, NULL, NULL, 1, T0, &v, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].status, CORE_FILTERED);
		assert_int_equal(v[i].verdict, memcmp(v[i].filer, f->c.origin, 16) == 0 ?
				 TRUST_NO_PERMISSION : TRUST_OUT_OF_SCOPE);
	}
	core_disputes_free(v, n);
}

/* Equivocate: a second, different delta for o's last seq (freezes o). */
static void
equivocate(struct fx *f, struct pub *p, uint64_t now)
{
	blf_op x = op_list("192.0.2.0/24", now + 600, "fork");
	core_result res;

	assert_int_equal(seal_raw(p->ks, p->origin, p->epoch, p->seq,
				  p->seq > 1 ? p->head : NULL, now, &x, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, now, &res),
			 BLF_EEQUIVOCATION);
}

/* SPEC 8.6: a frozen filer's dispute counts for nothing; a dispute against a
 * frozen origin changes nothing while it is frozen, and its window runs on. */
static void
test_frozen(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_dispute("198.51.100.0/24", 1, REF);
	core_dispute_info *v;
	size_t n;

	world(f);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0, &d, 1);
	equivocate(f, &f->b, T0 + 1);
	assert_true(core_is_frozen(f->core, f->b.origin));
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 2 * W));
	assert_int_equal(core_disputes(f->core, NULL, NULL, 1, T0, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].status, CORE_FROZEN);
	core_disputes_free(v, n);
	/* unfrozen: the window ran from the filing */
	assert_int_equal(core_unfreeze(f->core, f->b.origin), 0);
	assert_false(listed(f->core, "198.51.100.0/24", T0 + W));

	/* against a frozen origin: nothing while frozen, lapsed once back */
	equivocate(f, &f->a, T0 + 2);
	assert_false(listed(f->core, "198.51.100.0/24", T0 + 10));
	assert_int_equal(core_unfreeze(f->core, f->a.origin), 0);
	assert_true(listed(f->core, "198.51.100.0/24", T0 + W - 1));
	assert_false(listed(f->core, "198.51.100.0/24", T0 + W));
}

/* A relay-only filer's dispute is carried, not counted; a dispute against a
 * relay-only origin covers nothing that is merged. */
static void
test_relay_only(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_dispute("198.51.100.0/24", 1, REF);
	core_dispute_info *v;
	size_t n;

	world(f);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0, &d, 1);
	trust_store_find_origin_mut(&f->st, f->b.origin)->perms = TRUST_RELAY_ONLY;
	assert_int_equal(core_set_trust(f->core, &f->st), 0);
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 2 * W));
	assert_int_equal(core_disputes(f->core, NULL, NULL, 1, T0, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].status, CORE_RELAY_ONLY);
	core_disputes_free(v, n);
}

/* A new epoch drops the origin's disputes, on disk too: a restart without a
 * checkpoint does not bring them back. */
static void
test_new_epoch(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_dispute("198.51.100.0/24", 1, REF);
	blf_op other = op_list("203.0.113.0/24", T0 + 86400, "x");
	core_dispute_info *v;
	size_t n;

	world(f);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0, &d, 1);
	pub_new_epoch(&f->b);
	apply(f, &f->b, T0 + 1, &other, 1);
	assert_int_equal(core_disputes(f->core, NULL, NULL, 1, T0 + 1, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(core_disputes(f->core, NULL, NULL, 1, T0 + 1, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_true(listed(f->core, "198.51.100.0/24", T0 + 2 * W));
}

/* why of an address under an exclusion and a lapsed listing: not listed,
 * not "excluded" (the lapsed listing does not count as a removed
 * candidate).  Found by fuzz_apply. */
static void
test_why_lapsed_under_exclusion(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op x = op_simple(BLF_OP_EXCLUDE, "198.51.100.0/23", "clean");
	blf_op d = op_dispute("198.51.100.0/24", 2, REF);
	blf_prefix q = pfx("198.51.100.9");
	core_why w;

	world(f);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->c, T0, &x, 1);
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.verdict, CORE_EXCLUDED);
	core_why_free(&w);
	apply(f, &f->b, T0, &d, 1);
	assert_int_equal(core_why_query(f->core, &q, T0 + W, &w), 0);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	core_why_free(&w);
}

struct snap {
	uint8_t *m[4];
	size_t l[4];
	size_t n;
};

static int
keep(void *ctx, const uint8_t *msg, size_t len)
{
	struct snap *k = ctx;

	if (k->n == 4 || (k->m[k->n] = malloc(len)) == NULL)
		return BLF_ENOMEM;
	memcpy(k->m[k->n], msg, len);
	k->l[k->n++] = len;
	return 0;
}

/* SPEC 5.6, 6.5: the filer's and the lister's snapshots carry the dispute
 * and the answer; a core that starts from them lapses the same listing. */
static void
test_snapshot(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("198.51.100.0/24", T0 + 86400, "spam");
	blf_op d = op_dispute("198.51.100.0/24", 2, REF), up[2];
	struct snap sa = { { 0 }, { 0 }, 0 }, sb = { { 0 }, { 0 }, 0 };
	core_dispute_info *v;
	uint8_t id[16];
	char *dir2 = tmp_dir();
	core *c2 = NULL;
	size_t n, i;

	world(f);
	apply(f, &f->a, T0, &l, 1);
	apply(f, &f->b, T0 + 10, &d, 1);
	dispute_id_of(f, &d, id);
	up[0] = op_answer(BLF_OP_UPHOLD, "198.51.100.7/32", id, 3);
	up[1] = op_list("198.51.100.7/32", T0 + 86400, "spam");
	apply(f, &f->a, T0 + 20, up, 2);
	assert_int_equal(core_snapshot_make(f->core, f->a.ks, T0 + 30, keep, &sa), 0);
	assert_int_equal(core_snapshot_make(f->core, f->b.ks, T0 + 30, keep, &sb), 0);
	assert_non_null(dir2);
	assert_int_equal(core_open(dir2, &f->cfg, &f->st, &c2), 0);
	assert_int_equal(core_snapshot_apply(c2, (const uint8_t *const *)sa.m, sa.l, sa.n,
					     T0 + 30), 0);
	assert_int_equal(core_snapshot_apply(c2, (const uint8_t *const *)sb.m, sb.l, sb.n,
					     T0 + 30), 0);
	assert_int_equal(core_disputes(c2, NULL, NULL, 1, T0 + 30, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(v[0].id, id, 16);
	assert_int_equal(v[0].filed, T0 + 30); /* dated by the snapshot */
	assert_int_equal(v[0].nanswers, 1);
	core_disputes_free(v, n);
	/* the window runs from the snapshot's time there */
	assert_true(listed(c2, "198.51.100.0/24", T0 + 30 + W - 1));
	assert_false(listed(c2, "198.51.100.0/24", T0 + 30 + W));
	assert_true(listed(c2, "198.51.100.7/32", T0 + 30 + W));
	core_close(c2);
	rm_rf(dir2);
	free(dir2);
	for (i = 0; i < sa.n; i++)
		free(sa.m[i]);
	for (i = 0; i < sb.n; i++)
		free(sb.m[i]);
}

/* A flood of disputes is refused whole past CORE_MAX_DISPUTES. */
static void
test_flood(void **state)
{
	struct fx *f = *state;
	blf_op *ops = calloc(CORE_MAX_DISPUTES + 1, sizeof(*ops));
	char (*pb)[32] = calloc(CORE_MAX_DISPUTES + 1, 32);
	core_result res;
	size_t i;

	assert_non_null(ops);
	assert_non_null(pb);
	world(f);
	for (i = 0; i <= CORE_MAX_DISPUTES; i++) {
		snprintf(pb[i], 32, "198.51.%zu.%zu/32", i / 256, i % 256);
		ops[i] = op_dispute(pb[i], 6, "");
	}
	assert_int_equal(pub_next(&f->b, T0, ops, CORE_MAX_DISPUTES + 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), BLF_ELIMIT);
	f->b.seq--; /* refused: publish the bound instead */
	memset(f->b.head, 0, sizeof(f->b.head));
	apply(f, &f->b, T0, ops, CORE_MAX_DISPUTES);
	free(ops);
	free(pb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_codec, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lapse_and_uphold, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_concede, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_filtered, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_frozen, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_relay_only, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_new_epoch, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_why_lapsed_under_exclusion, setup, fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
