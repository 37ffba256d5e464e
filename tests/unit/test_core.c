/*
 * test_core.c - the apply pipeline: every log rule with its exact code,
 * signer checks, freeze and evidence, our own origin, catch-up service.
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

	assert_int_equal(core_iter_begin(c, now, &it), 0);
	while (core_iter_next(&it, &e) > 0)
		n++;
	core_iter_end(&it);
	return n;
}

static void
test_apply_and_view(void **state)
{
	struct fx *f = *state;
	blf_op ops[2] = { op_list("10.0.0.0/24", T0 + 3600, "ticket 1"),
			  op_list("2001:db8::/48", T0 + 7200, NULL) };
	core_result res;
	core_iter it;
	core_entry e;
	blf_head h;

	assert_int_equal(pub_next(&f->a, T0, ops, 2, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), 0);
	assert_int_equal(res.nops, 2);
	assert_int_equal(res.nfiltered, 0);
	assert_int_equal(res.seq, 1);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 1);
	assert_memory_equal(h.hash, f->a.head, BLF_HASH_LEN);

	assert_int_equal(core_iter_begin(f->core, T0, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.kind, CORE_ENTRY_LISTED);
	assert_int_equal(blf_prefix_cmp(&e.prefix, &ops[0].prefix), 0);
	assert_int_equal(e.nprov, 1);
	assert_string_equal(e.prov[0].name, "alpha");
	assert_int_equal(e.prov[0].ref_len, 8);
	assert_memory_equal(e.prov[0].ref, "ticket 1", 8);
	assert_int_equal(e.prov[0].first, T0);
	assert_int_equal(e.expires, T0 + 3600);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(e.prefix.af, BLF_AF_INET6);
	assert_int_equal(e.prov[0].ref_len, 0);
	assert_int_equal(core_iter_next(&it, &e), 0);
	core_iter_end(&it);
}

static void
test_gap(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	core_result res;
	blf_head h;

	/* first delta ever at seq 2: seq 1 is missing */
	f->a.seq = 1;
	memset(f->a.head, 7, BLF_HASH_LEN);
	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), BLF_EGAP);
	assert_int_equal(res.gap_epoch, 1);
	assert_int_equal(res.gap_from, 1);
	assert_int_equal(res.gap_to, 1);
	assert_int_equal(core_head(f->core, f->a.origin, &h), BLF_ENOTFOUND);

	/* seq 1 then seq 4: 2..3 missing, nothing stored */
	f->a.seq = 0;
	memset(f->a.head, 0, BLF_HASH_LEN);
	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	f->a.seq = 3;
	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), BLF_EGAP);
	assert_int_equal(res.gap_from, 2);
	assert_int_equal(res.gap_to, 3);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 1);
}

static void
test_duplicate_and_stale(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_buf first = { 0 };

	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EDUPLICATE);
	first.len = 0;
	assert_int_equal(seal_raw(f->a.ks, f->a.origin, 1, 1, NULL, T0, &op, 1, &first), 0);
	/* new epoch: the old epoch's messages are stale */
	pub_new_epoch(&f->a);
	assert_int_equal(pub_next(&f->a, T0 + 10, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 10, NULL), 0);
	assert_int_equal(core_apply(f->core, first.data, first.len, T0 + 10, NULL), BLF_ESTALE);
	blf_buf_free(&first);
}

static void
test_equivocation(void **state)
{
	struct fx *f = *state;
	blf_op op1 = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_op op2 = op_list("10.9.0.0/24", T0 + 3600, NULL);
	core_config cfg = { 0 };
	core_result res;
	struct stat sb;
	core_why w;
	blf_prefix q = pfx("10.0.0.1");

	assert_int_equal(pub_next(&f->a, T0, &op1, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	/* a different seq 1 from the same origin */
	assert_int_equal(seal_raw(f->a.ks, f->a.origin, 1, 1, NULL, T0, &op2, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res),
			 BLF_EEQUIVOCATION);
	assert_true(core_is_frozen(f->core, f->a.origin));
	{
		char p[CORE_MAX_PATH];
		core_result held = res;

		assert_int_equal(core_evidence_path(f->core, &res, p, sizeof(p)), 0);
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal((size_t)sb.st_size, f->buf.len);
		assert_int_equal(sb.st_mode & 0777, 0600);
		/* the stored one is kept beside it, named by its own hash */
		{
			blf_buf one = { 0 };

			assert_int_equal(seal_raw(f->a.ks, f->a.origin, 1, 1, NULL, T0, &op1, 1,
						  &one), 0);
			msg_hash(&one, held.evidence);
			blf_buf_free(&one);
		}
		assert_int_equal(core_evidence_path(f->core, &held, p, sizeof(p)), 0);
		assert_int_equal(stat(p, &sb), 0);
	}
	/* every later delta is refused, the listing leaves the view */
	assert_int_equal(pub_next(&f->a, T0, &op2, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EFROZEN);
	assert_int_equal(view_count(f->core, T0), 0);
	assert_int_equal(core_why_query(f->core, &q, T0, &w), 0);
	assert_int_equal(w.nitems, 1);
	assert_int_equal(w.items[0].status, CORE_FROZEN);
	assert_int_equal(w.verdict, CORE_NOT_LISTED);
	core_why_free(&w);

	/* the freeze survives a restart */
	core_close(f->core);
	cfg.no_fsync = 1;
	assert_int_equal(core_open(f->dir, &cfg, &f->st, &f->core), 0);
	assert_true(core_is_frozen(f->core, f->a.origin));
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EFROZEN);
	/* until the administrator clears it */
	assert_int_equal(core_unfreeze(f->core, f->a.origin), 0);
	assert_int_equal(core_unfreeze(f->core, f->a.origin), BLF_ENOTFOUND);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(view_count(f->core, T0), 2);
	core_close(f->core);
	assert_int_equal(core_open(f->dir, &cfg, &f->st, &f->core), 0);
	assert_false(core_is_frozen(f->core, f->a.origin));
}

static void
test_prev_mismatch(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	core_result res;
	blf_head h;

	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	f->a.head[0] ^= 1;
	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, &res), BLF_EPREV);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 1);
}

static void
test_signers(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	uint8_t seed[BLF_SEED_LEN];
	key_secret *rk = NULL;
	trust_store st2 = { 0 };
	trust_anchor a;
	uint8_t (*rev)[BLF_PK_LEN];

	/* beta's key signing for alpha's origin */
	assert_int_equal(seal_raw(f->b.ks, f->a.origin, 1, 1, NULL, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EUNKKEY);
	/* a key nobody trusts */
	assert_int_equal(pub_next(&f->c, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EUNKKEY);
	/* a revoked key of alpha */
	memset(seed, 9, sizeof(seed));
	assert_int_equal(key_secret_from_seed(seed, "old", &rk), 0);
	trust_anchor_init(&a, "alpha", f->a.ks->pk);
	a.scope = (blf_prefix *)(uintptr_t)all_scope;
	a.nscope = 2;
	rev = malloc(sizeof(*rev));
	assert_non_null(rev);
	memcpy(rev[0], rk->pk, BLF_PK_LEN);
	a.revoked = rev;
	a.nrevoked = 1;
	assert_int_equal(trust_store_add(&st2, &a, NULL, 0), 0);
	free(rev);
	assert_int_equal(core_set_trust(f->core, &st2), 0);
	assert_int_equal(seal_raw(rk, f->a.origin, 1, 1, NULL, T0, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EREVOKED);
	/* a corrupted signature */
	assert_int_equal(pub_next(&f->a, T0, &op, 1, &f->buf), 0);
	f->buf.data[f->buf.len - 1] ^= 1;
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EBADSIG);
	f->buf.data[f->buf.len - 1] ^= 1;
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	key_secret_free(rk);
	trust_store_free(&st2);
}

static void
test_new_epoch(void **state)
{
	struct fx *f = *state;
	blf_op ops[2] = { op_list("10.0.0.0/24", T0 + 3600, "x"),
			  op_list("10.0.1.0/24", T0 + 3600, "y") };
	blf_op z = op_list("10.0.2.0/24", T0 + 3600, "z");
	core_iter it;
	core_entry e;
	blf_head h;
	char p[CORE_MAX_PATH], hex[BLF_KEYID_HEX_LEN + 1];
	core_stats s;

	assert_int_equal(pub_next(&f->a, T0, ops, 2, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	assert_int_equal(view_count(f->core, T0), 2);
	/* epoch 3 with seq 5: gap in the new epoch */
	pub_new_epoch(&f->a);
	pub_new_epoch(&f->a);
	f->a.seq = 4;
	memset(f->a.head, 1, BLF_HASH_LEN);
	assert_int_equal(pub_next(&f->a, T0, &z, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_EGAP);
	f->a.seq = 0;
	memset(f->a.head, 0, BLF_HASH_LEN);
	assert_int_equal(pub_next(&f->a, T0 + 5, &z, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 5, NULL), 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.epoch, 3);
	assert_int_equal(h.seq, 1);
	assert_int_equal(core_iter_begin(f->core, T0 + 5, &it), 0);
	assert_int_equal(core_iter_next(&it, &e), 1);
	assert_int_equal(blf_prefix_cmp(&e.prefix, &z.prefix), 0);
	assert_int_equal(core_iter_next(&it, &e), 0);
	core_iter_end(&it);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 1);
	assert_int_equal(s.nrefs, 1);
	/* the old epoch's journal is gone */
	blf_keyid_hex(f->a.origin, hex);
	snprintf(p, sizeof(p), "%s/log/%s.1.jnl", f->dir, hex);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/log/%s.3.jnl", f->dir, hex);
	assert_int_equal(access(p, F_OK), 0);
}

static void
test_clock_and_type(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 86400, NULL);
	blf_heads hd = { 0 };

	assert_int_equal(pub_next(&f->a, T0 + BLF_MAX_CLOCK_SKEW + 1, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), BLF_ECLOCK);
	f->a.seq = 0;
	assert_int_equal(pub_next(&f->a, T0 + BLF_MAX_CLOCK_SKEW, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL), 0);
	hd.created = T0;
	f->buf.len = 0;
	assert_int_equal(blf_heads_seal(&hd, f->a.ks->sk, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0, NULL),
			 BLF_EWRONGTYPE);
	assert_int_equal(core_apply(f->core, f->buf.data, 3, T0, NULL) != 0, 1);
}

static void
test_publish(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, "own");
	blf_op op2 = op_simple(BLF_OP_DELIST, "10.0.0.0/24", NULL);
	blf_buf out = { 0 };
	core_config cfg = { 0 };
	core *other = NULL;
	char *dir2 = tmp_dir();
	blf_head h;
	size_t first_len;

	assert_int_equal(core_publish(f->core, f->a.ks, &op, 1, T0, &out), 0);
	first_len = out.len;
	assert_int_equal(core_publish(f->core, f->a.ks, &op2, 1, T0 + 1, &out), 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.epoch, 1);
	assert_int_equal(h.seq, 2);
	assert_int_equal(view_count(f->core, T0 + 1), 0);
	/* the envelopes are valid for anyone trusting alpha */
	assert_int_equal(core_apply(f->core, out.data, first_len, T0, NULL), BLF_EDUPLICATE);
	cfg.no_fsync = 1;
	assert_int_equal(core_open(dir2, &cfg, &f->st, &other), 0);
	assert_int_equal(core_apply(other, out.data, first_len, T0, NULL), 0);
	assert_int_equal(view_count(other, T0), 1);
	assert_int_equal(core_apply(other, out.data + first_len, out.len - first_len, T0 + 1,
				    NULL), 0);
	assert_int_equal(view_count(other, T0 + 1), 0);
	/* a key without an anchor cannot publish */
	assert_int_equal(core_publish(f->core, f->c.ks, &op, 1, T0, &out), BLF_EUNKKEY);
	core_close(other);
	rm_rf(dir2);
	free(dir2);
	blf_buf_free(&out);
}

static void
test_catchup(void **state)
{
	struct fx *f = *state;
	blf_buf msgs[5];
	blf_blob *blobs;
	size_t n, i;
	uint32_t status;
	int more;
	blf_head *heads;
	char name[32];

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < 5; i++) {
		blf_op op;

		snprintf(name, sizeof(name), "10.0.%zu.0/24", i);
		op = op_list(name, T0 + 3600, NULL);
		assert_int_equal(pub_next(&f->a, T0, &op, 1, &msgs[i]), 0);
		assert_int_equal(core_apply(f->core, msgs[i].data, msgs[i].len, T0, NULL), 0);
	}
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 2, 2, &status, &more, &blobs,
					 &n), 0);
	assert_int_equal(status, BLF_CATCHUP_OK);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(blobs[0].len, msgs[2].len);
	assert_memory_equal(blobs[0].ptr, msgs[2].data, msgs[2].len);
	assert_memory_equal(blobs[1].ptr, msgs[3].data, msgs[3].len);
	core_blobs_free(blobs, n);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 0, 100, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(n, 5);
	assert_false(more);
	core_blobs_free(blobs, n);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 5, 100, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(status, BLF_CATCHUP_OK);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 2, 0, 100, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(status, BLF_CATCHUP_UNKNOWN);
	assert_int_equal(core_get_deltas(f->core, f->b.origin, 1, 0, 100, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(status, BLF_CATCHUP_UNKNOWN);
	assert_int_equal(core_heads(f->core, &heads, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(heads[0].seq, 5);
	assert_memory_equal(heads[0].hash, f->a.head, BLF_HASH_LEN);
	free(heads);
	for (i = 0; i < 5; i++)
		blf_buf_free(&msgs[i]);
}

static void
test_batch(void **state)
{
	struct fx *f = *state;
	blf_buf m[3];
	const uint8_t *p[3];
	size_t l[3], i;
	int rc[3];
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_op op2 = op_list("10.0.1.0/24", T0 + 3600, NULL);
	core_result res[3];

	memset(m, 0, sizeof(m));
	assert_int_equal(pub_next(&f->a, T0, &op, 1, &m[0]), 0);
	assert_int_equal(pub_next(&f->a, T0, &op2, 1, &m[1]), 0);
	f->a.seq++; /* skip one: a gap */
	assert_int_equal(pub_next(&f->a, T0, &op2, 1, &m[2]), 0);
	for (i = 0; i < 3; i++) {
		p[i] = m[i].data;
		l[i] = m[i].len;
	}
	assert_int_equal(core_apply_batch(f->core, p, l, 3, T0, rc, res), 0);
	assert_int_equal(rc[0], 0);
	assert_int_equal(rc[1], 0);
	assert_int_equal(rc[2], BLF_EGAP);
	assert_int_equal(res[2].gap_from, 3);
	assert_int_equal(view_count(f->core, T0), 2);
	for (i = 0; i < 3; i++)
		blf_buf_free(&m[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_and_view, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gap, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_and_stale, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_equivocation, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_prev_mismatch, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signers, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_new_epoch, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clock_and_type, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_catchup, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
