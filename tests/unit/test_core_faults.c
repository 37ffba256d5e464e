/*
 * test_core_faults.c - every core entry point under I/O faults.
 *
 * The way SQLite tests its I/O paths: run an operation once to count its
 * I/O calls, then again with the Nth call failing (EIO, then ENOSPC; once,
 * and from then on), for every N.  Each time the call must fail with
 * BLF_EIO (or succeed, when the failed call was one whose failure changes
 * nothing, such as removing a superseded file); a reopen without faults
 * must give the state of before or of after the operation, never a
 * mixture; and the operation retried on the reopened core must succeed
 * and give the state of after.  Run under ASan by `make check-asan`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "../../keys/fileio.h"
#include "test_core_util.h"

/* A scenario: prepare builds a data directory and leaves the core open;
 * op is the operation under test (run once, or retried after a reopen). */
struct scen {
	const char *name;
	void (*prepare)(struct fx *f);
	int (*op)(struct fx *f, int retry);
	int views_only;   /* compare the view and heads only (compaction,
			   * publish: why lines of purged listings may go) */
	int open_op;      /* op is core_open itself */
	int (*mid)(struct fx *f, int retry); /* a batch: the state after its
					      * first message is fine too */
};

static blf_buf pending; /* the message an op applies */

static void
apply_ok(struct fx *f, struct pub *p, uint64_t t, const blf_op *ops, size_t n)
{
	assert_int_equal(pub_next(p, t, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, t, NULL), 0);
}

/* A small history: two origins, a checkpoint, IPv4 and IPv6, an old
 * delta that compaction drops, an expired listing it purges. */
static void
prep_base(struct fx *f)
{
	blf_op o1[3] = { op_list("10.0.0.0/24", T0 + 90000, "case 1"),
			 op_list("2001:db8::/48", T0 + 90000, "case 2"),
			 op_list("192.0.2.0/24", T0 + 100, "short") };
	blf_op o2 = op_list("10.0.1.0/24", T0 + 90000, "case 3");
	blf_op o3 = op_simple(BLF_OP_EXCLUDE, "10.0.0.128/25", "customer");

	apply_ok(f, &f->a, T0, o1, 3);
	apply_ok(f, &f->b, T0 + 10, &o2, 1);
	assert_int_equal(core_checkpoint(f->core), 0);
	apply_ok(f, &f->a, T0 + 7200, &o3, 1);
	pending.len = 0;
}

static void
prep_next(struct fx *f)
{
	blf_op op = op_list("10.0.2.0/24", T0 + 90000, "next");

	prep_base(f);
	assert_int_equal(pub_next(&f->a, T0 + 7300, &op, 1, &pending), 0);
}

/* prep_next, and the snapshots compaction needs kept (snapstore.c) */
static void
prep_kept(struct fx *f)
{
	prep_next(f);
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 7300), 0);
	(void)core_snapshot_keep(f->core, f->b.ks, T0 + 7300);
}

static void
prep_epoch(struct fx *f)
{
	blf_op op = op_list("10.0.3.0/24", T0 + 90000, "epoch");

	prep_base(f);
	pub_new_epoch(&f->b);
	assert_int_equal(pub_next(&f->b, T0 + 7300, &op, 1, &pending), 0);
}

static void
prep_equiv(struct fx *f)
{
	blf_op op = op_list("10.9.0.0/24", T0 + 90000, NULL);

	prep_base(f);
	assert_int_equal(seal_raw(f->b.ks, f->b.origin, 1, 1, NULL, T0 + 10, &op, 1, &pending),
			 0);
}

static void
prep_frozen(struct fx *f)
{
	prep_equiv(f);
	assert_int_equal(core_apply(f->core, pending.data, pending.len, T0 + 7300, NULL),
			 BLF_EEQUIVOCATION);
}

static void
prep_closed(struct fx *f)
{
	prep_frozen(f);
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 7300), 0);
	assert_int_equal(core_compact(f->core, T0 + 7300), 0);
	core_close(f->core);
	f->core = NULL;
}

static blf_buf snap[2]; /* a snapshot of origin c at (1, 5), two chunks */

static void
prep_snapshot(struct fx *f)
{
	blf_op o0[2] = { op_list("10.5.0.0/24", T0 + 90000, "snap 1"),
			 op_list("2001:db8:5::/48", T0 + 90000, "snap 2") };
	blf_op o1 = op_simple(BLF_OP_EXCLUDE, "10.0.0.192/26", "snap 3");
	blf_snapshot sn;
	uint32_t k;

	prep_base(f);
	for (k = 0; k < 2; k++) {
		memset(&sn, 0, sizeof(sn));
		memcpy(sn.origin, f->c.origin, BLF_KEYID_LEN);
		sn.epoch = 1;
		sn.seq = 5;
		memset(sn.head, 0x5a, BLF_HASH_LEN);
		sn.created = T0 + 7000;
		sn.chunk = k;
		sn.nchunks = 2;
		sn.ops = k ? &o1 : o0;
		sn.nops = k ? 1 : 2;
		snap[k].len = 0;
		assert_int_equal(blf_snapshot_seal(&sn, f->c.ks->sk, &snap[k]), 0);
	}
}

static int
op_snapshot(struct fx *f, int retry)
{
	const uint8_t *m[2] = { snap[0].data, snap[1].data };
	size_t l[2] = { snap[0].len, snap[1].len };
	int rc = core_snapshot_apply(f->core, m, l, 2, T0 + 7300);

	return retry && rc == BLF_EDUPLICATE ? 0 : rc;
}

static int
op_apply(struct fx *f, int retry)
{
	int rc = core_apply(f->core, pending.data, pending.len, T0 + 7300, NULL);

	return retry && rc == BLF_EDUPLICATE ? 0 : rc;
}

static int
op_equiv(struct fx *f, int retry)
{
	int rc = core_apply(f->core, pending.data, pending.len, T0 + 7300, NULL);

	if (rc == BLF_EEQUIVOCATION || (retry && rc == BLF_EFROZEN))
		return 0;
	return rc;
}

static int
op_batch(struct fx *f, int retry)
{
	blf_op op = op_list("10.0.4.0/24", T0 + 90000, "batch");
	static blf_buf second;
	const uint8_t *msgs[2];
	size_t lens[2];
	int rc[2], r;
	struct pub p = f->a;

	/* the delta after `pending` (f->a stands after it), sealed the same
	 * way every time */
	assert_int_equal(pub_next(&p, T0 + 7301, &op, 1, &second), 0);
	msgs[0] = pending.data;
	msgs[1] = second.data;
	lens[0] = pending.len;
	lens[1] = second.len;
	r = core_apply_batch(f->core, msgs, lens, 2, T0 + 7301, rc, NULL);
	if (r == 0 && retry) {
		if ((rc[0] != 0 && rc[0] != BLF_EDUPLICATE) ||
		    (rc[1] != 0 && rc[1] != BLF_EDUPLICATE))
			r = rc[0] ? rc[0] : rc[1];
	} else if (r == 0 && (rc[0] != 0 || rc[1] != 0)) {
		r = rc[0] ? rc[0] : rc[1];
	}
	blf_buf_free(&second);
	return r;
}

static int
op_publish(struct fx *f, int retry)
{
	blf_op op = op_list("10.0.5.0/24", T0 + 90000, "ours");
	blf_buf out = { 0 };
	int rc = core_publish(f->core, f->c.ks, &op, 1, T0 + 7300, &out);

	(void)retry;
	blf_buf_free(&out);
	return rc;
}

static int
op_checkpoint(struct fx *f, int retry)
{
	(void)retry;
	return core_checkpoint(f->core);
}

static int
op_compact(struct fx *f, int retry)
{
	(void)retry;
	return core_compact(f->core, T0 + 7300);
}

static int
op_unfreeze(struct fx *f, int retry)
{
	int rc = core_unfreeze(f->core, f->b.origin);

	return retry && rc == BLF_ENOTFOUND ? 0 : rc;
}

static int
op_open(struct fx *f, int retry)
{
	(void)retry;
	return core_open(f->dir, &f->cfg, &f->st, &f->core);
}

static const struct scen scens[] = {
	{ "core_apply", prep_next, op_apply, 0, 0, NULL },
	{ "core_apply new epoch", prep_epoch, op_apply, 0, 0, NULL },
	{ "core_apply equivocation", prep_equiv, op_equiv, 0, 0, NULL },
	{ "core_apply_batch", prep_next, op_batch, 0, 0, op_apply },
	{ "core_publish", prep_base, op_publish, 1, 0, NULL },
	{ "core_checkpoint", prep_next, op_checkpoint, 0, 0, NULL },
	{ "core_compact", prep_kept, op_compact, 1, 0, NULL },
	{ "core_unfreeze", prep_frozen, op_unfreeze, 0, 0, NULL },
	{ "core_open", prep_closed, op_open, 0, 1, NULL },
	{ "core_snapshot_apply", prep_snapshot, op_snapshot, 0, 0, NULL },
};

/* dump_state without the why lines ("R ...") when views_only. */
static char *
state_of(struct fx *f, int views_only)
{
	char *s = dump_state(f->core, T0 + 7300), *r, *w, *nl;

	if (!views_only)
		return s;
	for (r = w = s; *r != '\0'; r = nl) {
		nl = strchr(r, '\n');
		nl = nl ? nl + 1 : r + strlen(r);
		if (r[0] == 'R')
			continue;
		memmove(w, r, (size_t)(nl - r));
		w += nl - r;
	}
	*w = '\0';
	return s;
}

static struct fx *
fresh(const struct scen *sc)
{
	struct fx *f = fx_new();

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "beta", 50);
	store_add(&f->st, &f->c, "ours", 60);
	f->cfg.window = 3600;
	if (sc->name != NULL && strstr(sc->name, "open") == NULL)
		f->cfg.no_fsync = 0; /* the sync calls are part of what fails */
	assert_int_equal(fx_open(f), 0);
	sc->prepare(f);
	return f;
}

static void
destroy(struct fx *f)
{
	void *st = f;

	fx_teardown(&st);
}

/* The states before and after sc's operation, from a run without faults. */
static void
reference(const struct scen *sc, char **before, char **after, unsigned long *calls)
{
	struct fx *f = fresh(sc);
	unsigned long c0;

	if (sc->open_op) {
		assert_int_equal(fx_open(f), 0);
		*before = state_of(f, sc->views_only);
		core_close(f->core);
		f->core = NULL;
	} else {
		*before = state_of(f, sc->views_only);
	}
	c0 = fio_calls();
	assert_int_equal(sc->op(f, 0), 0);
	*calls = fio_calls() - c0;
	*after = state_of(f, sc->views_only);
	assert_int_equal(fx_open(f), 0);
	{
		char *s = state_of(f, sc->views_only);

		assert_string_equal(s, *after);
		free(s);
	}
	destroy(f);
}

static void
sweep(const struct scen *sc, int err, int sticky)
{
	char *before, *after, *s, *mid = NULL;
	unsigned long calls, n;
	int rc, fired;

	reference(sc, &before, &after, &calls);
	if (sc->mid != NULL) {
		struct fx *f = fresh(sc);

		assert_int_equal(sc->mid(f, 0), 0);
		mid = state_of(f, sc->views_only);
		destroy(f);
	}
	for (n = 0; n <= calls; n++) {
		struct fx *f = fresh(sc);

		fio_fault_set(n, err, sticky);
		rc = sc->op(f, 0);
		fired = fio_fault_fired();
		fio_fault_clear();
		if (rc != 0 && rc != BLF_EIO)
			fail_msg("%s: fault %d at I/O call %lu: code %d (%s)", sc->name, err, n,
				 rc, blf_strerror(rc));
		if (!fired)
			assert_int_equal(rc, 0);
		/* a failed call is never ignored, but for the removal of a file
		 * that is superseded already (new epoch) and open's fallbacks */
		if (fired && rc == 0 && !sc->open_op && strstr(sc->name, "epoch") == NULL)
			fail_msg("%s: fault %d at I/O call %lu was ignored", sc->name, err, n);
		/* an I/O error is never taken for a damaged checkpoint */
		if (sc->open_op && rc == 0) {
			core_stats st;

			core_get_stats(f->core, &st);
			if (st.io.checkpoint != CORE_CKPT_OK)
				fail_msg("%s: fault %d at I/O call %lu: checkpoint state %d",
					 sc->name, err, n, st.io.checkpoint);
		}
		/* what is on disk now: before or after, nothing else */
		assert_int_equal(fx_open(f), 0);
		s = state_of(f, sc->views_only);
		if (strcmp(s, before) != 0 && strcmp(s, after) != 0 &&
		    (mid == NULL || strcmp(s, mid) != 0))
			fail_msg("%s: fault %d at I/O call %lu: state is neither before nor "
				 "after:\n%s---before\n%s---after\n%s", sc->name, err, n, s,
				 before, after);
		free(s);
		/* a retry after the fault succeeds */
		if (sc->open_op) {
			core_close(f->core);
			f->core = NULL;
		}
		if (rc != 0 || sc->open_op) {
			rc = sc->op(f, 1);
			if (rc != 0)
				fail_msg("%s: retry after fault %d at call %lu: code %d (%s)",
					 sc->name, err, n, rc, blf_strerror(rc));
		}
		s = state_of(f, sc->views_only);
		if (!sc->views_only || strcmp(sc->name, "core_publish") != 0)
			assert_string_equal(s, after);
		free(s);
		destroy(f);
	}
	free(before);
	free(after);
	free(mid);
}

static void
test_faults(void **state)
{
	const struct scen *sc = *state;

	sweep(sc, EIO, 0);
	sweep(sc, ENOSPC, 0);
	sweep(sc, EIO, 1);
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(scens) / sizeof(scens[0])];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(scens) / sizeof(scens[0]); i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = scens[i].name;
		tests[i].test_func = test_faults;
		tests[i].initial_state = (void *)(uintptr_t)&scens[i];
	}
	core_test_check_view(NULL, 1); /* every view update against a build */
	rc = _cmocka_run_group_tests("core faults", tests, i, NULL, NULL);
	blf_buf_free(&pending);
	blf_buf_free(&snap[0]);
	blf_buf_free(&snap[1]);
	return rc;
}
