/*
 * test_core_storage.c - the core's data directory across its lifecycle:
 * compaction, restarts with and without the checkpoint, freezes, evidence,
 * epochs, a hostile directory, journal limits and snapshots.  Each defect
 * of the storage side has its regression test here (named after it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>

#include "test_core_util.h"

static int
setup(void **state)
{
	struct fx *f = fx_new();

	store_add(&f->st, &f->a, "alpha", 100);
	store_add(&f->st, &f->b, "beta", 50);
	assert_int_equal(fx_open(f), 0);
	*state = f;
	return 0;
}

static void
reopen(struct fx *f)
{
	assert_int_equal(fx_open(f), 0);
}

static void
apply_next(struct fx *f, struct pub *p, uint64_t created, const blf_op *ops, size_t n)
{
	assert_int_equal(pub_next(p, created, ops, n, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, created, NULL), 0);
}

/* n IPv6 /64 listings 2001:db8:<base+i>::/64 expiring at exp. */
static blf_op *
v6_ops(size_t n, unsigned base, uint64_t exp)
{
	blf_op *ops = calloc(n, sizeof(*ops));
	char s[64];
	size_t i;

	assert_non_null(ops);
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "2001:db8:%x:%x::/64", (unsigned)(base + i / 65536),
			 (unsigned)(i % 65536));
		ops[i] = op_list(s, exp, NULL);
	}
	return ops;
}

static void __attribute__((unused, format(printf, 4, 5)))
path_of(const struct fx *f, char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, cap, "%s/", f->dir);

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
}

static size_t __attribute__((unused))
count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, sl = strlen(suffix);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ---- defect 1: heap overflow in compaction ------------------------------ */

static void
test_defect1_compact_after_checkpoint_load(void **state)
{
	struct fx *f = *state;
	blf_op *ops = v6_ops(100, 1, T0 + 1000);
	core_stats s;

	apply_next(f, &f->a, T0, ops, 100);
	assert_int_equal(core_checkpoint(f->core), 0);
	reopen(f);
	assert_int_equal(core_compact(f->core, T0 + 2000), 0);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 0);
	/* and the origin goes on, after a restart too */
	free(ops);
	ops = v6_ops(1, 9, T0 + 5000);
	apply_next(f, &f->a, T0 + 2001, ops, 1);
	reopen(f);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 1);
	free(ops);
}

static void
test_defect1_compact_three_expired_deltas(void **state)
{
	struct fx *f = *state;
	blf_op *o1 = v6_ops(1000, 1, T0 + 1000), *o2 = v6_ops(1000, 2, T0 + 1000),
	       *o3 = v6_ops(1000, 3, T0 + 1000);
	core_stats s;

	apply_next(f, &f->a, T0, o1, 1000);
	apply_next(f, &f->a, T0 + 1, o2, 1000);
	apply_next(f, &f->a, T0 + 2, o3, 1000);
	assert_int_equal(core_compact(f->core, T0 + 2000), 0);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 0);
	free(o1);
	o1 = v6_ops(1000, 9, T0 + 5000);
	apply_next(f, &f->a, T0 + 2001, o1, 1000);
	reopen(f);
	core_get_stats(f->core, &s);
	assert_int_equal(s.nlistings, 1000);
	free(o1);
	free(o2);
	free(o3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defect1_compact_after_checkpoint_load, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect1_compact_three_expired_deltas, setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
