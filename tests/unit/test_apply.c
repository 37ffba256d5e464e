/*
 * test_apply.c - apply-side rules that bound what one origin can do to an
 * agent: the epoch step (SPEC 5.3), the administrator's reset of one
 * origin, and per-origin record limits.
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

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "beta", 100);
	assert_int_equal(fx_open(f), 0);
	*state = f;
	return 0;
}

static size_t
view_count(core *c, uint64_t now)
{
	core_iter it;
	core_entry e;
	size_t n = 0;
	int rc;

	assert_int_equal(core_iter_begin(c, now, &it), 0);
	while ((rc = core_iter_next(&it, &e)) > 0)
		n++;
	assert_int_equal(rc, 0);
	core_iter_end(&it);
	return n;
}

/* Seal seq 1 of epoch for p (p follows it on success of apply). */
static int
apply_epoch(struct fx *f, struct pub *p, uint32_t epoch, const blf_op *ops, size_t n)
{
	int rc;

	assert_int_equal(seal_raw(p->ks, p->origin, epoch, 1, NULL, T0, ops, n, &f->buf), 0);
	rc = core_apply(f->core, f->buf.data, f->buf.len, T0, NULL);
	if (rc == 0) {
		p->epoch = epoch;
		p->seq = 1;
		msg_hash(&f->buf, p->head);
	}
	return rc;
}

/* Defect 6: one signed delta at epoch 2^32-1 must not lock the origin out. */
static void
test_epoch_step(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_op l2 = op_list("10.0.1.0/24", T0 + 3600, NULL);
	blf_head h;

	assert_int_equal(apply_epoch(f, &f->a, 1, &l, 1), 0);
	assert_int_equal(apply_epoch(f, &f->a, UINT32_MAX, &l2, 1), BLF_EEPOCH);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.epoch, 1);
	assert_int_equal(view_count(f->core, T0), 1);
	/* the genuine restart is not stale */
	assert_int_equal(apply_epoch(f, &f->a, 2, &l2, 1), 0);
	/* at most CORE_MAX_EPOCH_STEP ahead */
	assert_int_equal(apply_epoch(f, &f->a, 2 + CORE_MAX_EPOCH_STEP + 1, &l, 1), BLF_EEPOCH);
	assert_int_equal(apply_epoch(f, &f->a, 2 + CORE_MAX_EPOCH_STEP, &l, 1), 0);
	/* a gap in a far epoch is refused for the epoch, not reported as a gap */
	assert_int_equal(seal_raw(f->a.ks, f->a.origin, UINT32_MAX, 5, f->a.head, T0, &l, 1,
				  &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EEPOCH);
	/* first contact: the same bound from epoch 0 */
	assert_int_equal(apply_epoch(f, &f->b, CORE_MAX_EPOCH_STEP + 1, &l, 1), BLF_EEPOCH);
	assert_int_equal(core_head(f->core, f->b.origin, &h), BLF_ENOTFOUND);
	assert_int_equal(apply_epoch(f, &f->b, CORE_MAX_EPOCH_STEP, &l, 1), 0);
	assert_string_equal(blf_strerror(BLF_EEPOCH), "new epoch too far ahead");
}

static int
count_journals(const char *dir, const uint8_t origin[BLF_KEYID_LEN])
{
	char p[4096], hex[BLF_KEYID_HEX_LEN + 1];
	struct dirent *de;
	DIR *d;
	int n = 0;

	blf_keyid_hex(origin, hex);
	snprintf(p, sizeof(p), "%s/log", dir);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, hex, strlen(hex)) == 0;
	closedir(d);
	return n;
}

/* The administrator resets one origin: log, state and freeze go; its next
 * delta starts afresh; other origins and a restart are not affected. */
static void
test_origin_reset(void **state)
{
	struct fx *f = *state;
	blf_op l = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_op l2 = op_list("10.0.1.0/24", T0 + 3600, NULL);
	blf_op lb = op_list("192.0.2.0/24", T0 + 3600, NULL);
	blf_head h;
	core_stats s;

	assert_int_equal(apply_epoch(f, &f->a, 1, &l, 1), 0);
	assert_int_equal(apply_epoch(f, &f->b, 1, &lb, 1), 0);
	/* equivocate: frozen */
	assert_int_equal(seal_raw(f->a.ks, f->a.origin, 1, 1, NULL, T0, &l2, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL),
			 BLF_EEQUIVOCATION);
	assert_true(core_is_frozen(f->core, f->a.origin));
	assert_int_equal(count_journals(f->dir, f->a.origin), 1);

	assert_int_equal(core_origin_reset(f->core, f->a.origin), 0);
	assert_int_equal(core_origin_reset(f->core, f->a.origin), BLF_ENOTFOUND);
	assert_false(core_is_frozen(f->core, f->a.origin));
	assert_int_equal(core_head(f->core, f->a.origin, &h), BLF_ENOTFOUND);
	assert_int_equal(count_journals(f->dir, f->a.origin), 0);
	assert_int_equal(view_count(f->core, T0), 1); /* beta's */
	core_get_stats(f->core, &s);
	assert_int_equal(s.norigins, 1);
	assert_int_equal(s.nrefs, 0);
	/* durable: a restart does not bring it back */
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h), BLF_ENOTFOUND);
	assert_false(core_is_frozen(f->core, f->a.origin));
	assert_int_equal(view_count(f->core, T0), 1);
	/* the origin's next history is taken from its start */
	assert_int_equal(apply_epoch(f, &f->a, 3, &l2, 1), 0);
	assert_int_equal(view_count(f->core, T0), 2);
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.epoch, 3);
	assert_int_equal(view_count(f->core, T0), 2);
}

static const blf_prefix one24[1] = { { BLF_AF_INET, 24, { 192, 0, 2 } } };

/* Defect 7: an anchor scoped to one /24 cannot make us store 2,000,000
 * listings outside it (here 10,000 show the rule). */
static void
test_record_limit_scope(void **state)
{
	struct fx *f = *state;
	trust_store st = { 0 };
	trust_anchor a;
	blf_op *ops = calloc(10000, sizeof(*ops));
	char (*ps)[24] = calloc(10000, 24);
	core_stats s;
	core_result res;
	blf_head h;
	size_t i;

	assert_non_null(ops);
	assert_non_null(ps);
	trust_anchor_init(&a, "small", f->c.ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)one24;
	a.nscope = 1;
	assert_int_equal(trust_store_add(&st, &a, NULL, 0), 0);
	assert_int_equal(core_set_trust(f->core, &st), 0);
	for (i = 0; i < 10000; i++) {
		snprintf(ps[i], 24, "10.%zu.%zu.0/24", i / 250, i % 250);
		ops[i] = op_list(ps[i], T0 + 3600, NULL);
	}
	/* the default limit: 511 prefixes in scope + CORE_RECORD_SLACK */
	assert_int_equal(pub_next(&f->c, T0, ops, 10000, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), BLF_ELIMIT);
	assert_int_equal(core_head(f->core, f->c.origin, &h), BLF_ENOTFOUND);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 0);
	assert_int_equal(s.nlimited, 1);
	/* what fits is taken, filtered or not */
	f->c.seq = 0;
	memset(f->c.head, 0, sizeof(f->c.head));
	assert_int_equal(pub_next(&f->c, T0, ops, 4000, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), 0);
	assert_int_equal(res.nfiltered, 4000);
	assert_int_equal(pub_next(&f->c, T0, ops + 4000, 1000, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_ELIMIT);
	f->c.seq--;
	/* re-listing what is held adds nothing and passes; so does a delist */
	assert_int_equal(core_head(f->core, f->c.origin, &h), 0);
	memcpy(f->c.head, h.hash, BLF_HASH_LEN);
	assert_int_equal(pub_next(&f->c, T0, ops, 4000, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 4000);
	assert_int_equal(s.nlimited, 2);
	trust_store_free(&st);
	free(ops);
	free(ps);
}

/* The configured limit wins over the scope's. */
static void
test_record_limit_config(void **state)
{
	struct fx *f = *state;
	blf_op ops[3] = { op_list("10.0.0.0/24", T0 + 3600, NULL),
			  op_list("10.0.1.0/24", T0 + 3600, NULL),
			  op_list("10.0.2.0/24", T0 + 3600, NULL) };
	blf_op d = op_simple(BLF_OP_DELIST, "10.0.0.0/24", NULL);

	f->cfg.max_records = 2;
	assert_int_equal(fx_open(f), 0);
	assert_int_equal(pub_next(&f->a, T0, ops, 3, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_ELIMIT);
	f->a.seq = 0;
	memset(f->a.head, 0, sizeof(f->a.head));
	assert_int_equal(pub_next(&f->a, T0, ops, 2, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(pub_next(&f->a, T0, &d, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(pub_next(&f->a, T0, ops + 2, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(view_count(f->core, T0), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_epoch_step, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_origin_reset, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_record_limit_scope, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_record_limit_config, setup, fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
