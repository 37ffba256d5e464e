/*
 * test_journal.c - crash recovery, checkpoint restarts and compaction.
 *
 * The crash test cuts the journal at every byte offset of its last record
 * (and flips a byte inside it): a reopen must give exactly the state before
 * that record, and applying the record again must work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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
apply_next(struct fx *f, struct pub *p, uint64_t created, const blf_op *ops, size_t n,
	   blf_buf *b)
{
	assert_int_equal(pub_next(p, created, ops, n, b), 0);
	assert_int_equal(core_apply(f->core, b->data, b->len, T0 + 1000, NULL), 0);
}

static uint8_t *
read_whole(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return b;
}

static void
write_whole(const char *path, const uint8_t *b, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
jpath(const struct fx *f, const struct pub *p, uint32_t epoch, char *buf, size_t cap)
{
	char hex[BLF_KEYID_HEX_LEN + 1];

	blf_keyid_hex(p->origin, hex);
	snprintf(buf, cap, "%s/log/%s.%u.jnl", f->dir, hex, epoch);
}

static void
crash_every_offset(struct fx *f, int with_checkpoint)
{
	blf_op a1[3] = { op_list("10.0.0.0/24", T0 + 5000, "case 1"),
			 op_list("2001:db8:1::/48", T0 + 5000, "case 2"),
			 op_list("192.0.2.0/24", T0 + 50, "short") };
	blf_op b1[2] = { op_simple(BLF_OP_EXCLUDE, "10.0.0.128/25", "our customer"),
			 op_list("10.0.0.0/24", T0 + 9000, "case 1") };
	blf_op a2[2] = { op_simple(BLF_OP_DELIST, "2001:db8:1::/48", NULL),
			 op_list("198.51.100.0/24", T0 + 5000, "case 3") };
	blf_op a3[3] = { op_list("203.0.113.0/24", T0 + 6000, "case 4"),
			 op_simple(BLF_OP_DELIST, "10.0.0.0/24", NULL),
			 op_list("2001:db8:2::/48", T0 + 6000, "case 2") };
	blf_buf m = { 0 }, last = { 0 };
	char path[CORE_MAX_PATH], *s2, *s3, *s;
	uint8_t *file;
	size_t flen, start, t;

	apply_next(f, &f->a, T0, a1, 3, &m);
	apply_next(f, &f->b, T0 + 1, b1, 2, &m);
	if (with_checkpoint)
		assert_int_equal(core_checkpoint(f->core), 0);
	apply_next(f, &f->a, T0 + 2, a2, 2, &m);
	s2 = dump_state(f->core, T0 + 10);
	apply_next(f, &f->a, T0 + 3, a3, 3, &last);
	s3 = dump_state(f->core, T0 + 10);
	assert_string_not_equal(s2, s3);
	core_close(f->core);
	f->core = NULL;

	jpath(f, &f->a, 1, path, sizeof(path));
	file = read_whole(path, &flen);
	start = flen - (last.len + 12);
	for (t = start; t < flen; t++) {
		write_whole(path, file, t);
		assert_int_equal(core_open(f->dir, &f->cfg, &f->st, &f->core), 0);
		s = dump_state(f->core, T0 + 10);
		if (strcmp(s, s2) != 0)
			fprintf(stderr, "offset %zu of %zu..%zu:\n%s---\n%s", t, start, flen, s, s2);
		assert_string_equal(s, s2);
		free(s);
		assert_int_equal(core_apply(f->core, last.data, last.len, T0 + 1000, NULL), 0);
		s = dump_state(f->core, T0 + 10);
		assert_string_equal(s, s3);
		free(s);
		core_close(f->core);
		f->core = NULL;
	}
	/* a flipped byte inside the last record: the same as a torn one */
	file[start + 4 + last.len / 2] ^= 0x40;
	write_whole(path, file, flen);
	assert_int_equal(core_open(f->dir, &f->cfg, &f->st, &f->core), 0);
	s = dump_state(f->core, T0 + 10);
	assert_string_equal(s, s2);
	free(s);
	core_close(f->core);
	/* the intact file gives the full state */
	file[start + 4 + last.len / 2] ^= 0x40;
	write_whole(path, file, flen);
	assert_int_equal(core_open(f->dir, &f->cfg, &f->st, &f->core), 0);
	s = dump_state(f->core, T0 + 10);
	assert_string_equal(s, s3);
	free(s);
	free(s2);
	free(s3);
	free(file);
	blf_buf_free(&m);
	blf_buf_free(&last);
}

static void
test_crash_journal_only(void **state)
{
	crash_every_offset(*state, 0);
}

static void
test_crash_with_checkpoint(void **state)
{
	crash_every_offset(*state, 1);
}

/* Deterministic pseudo-random ops over a small prefix pool. */
static uint64_t rng = 42;

static uint32_t
rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33) % n;
}

static void
random_ops(blf_op *ops, size_t *nops, char names[][48], uint64_t created)
{
	size_t n = 1 + rnd(6), i, j;
	static const char *refs[] = { NULL, "a", "ticket 7", "https://example.org/e/1" };

	*nops = 0;
	for (i = 0; i < n; i++) {
		unsigned t = 1 + rnd(4), x = rnd(24);
		int dup = 0;

		if (x < 16)
			snprintf(names[i], 48, "10.%u.%u.0/24", x / 4, x % 4);
		else
			snprintf(names[i], 48, "2001:db8:%x::/48", x);
		for (j = 0; j < *nops; j++)
			if (strcmp(names[j], names[i]) == 0)
				dup = 1;
		if (dup)
			continue;
		if (t == BLF_OP_LIST)
			ops[*nops] = op_list(names[i], created + 100 + rnd(5000),
					     refs[rnd(4)]);
		else
			ops[*nops] = op_simple(t, names[i], t == BLF_OP_EXCLUDE ? refs[rnd(4)]
									 : NULL);
		memmove(names[*nops], names[i], 48);
		ops[*nops].prefix = pfx(names[*nops]);
		(*nops)++;
	}
}

static void
test_checkpoint_restart(void **state)
{
	struct fx *f = *state;
	blf_op ops[8];
	char names[8][48];
	size_t n, i;
	blf_buf m = { 0 };
	char *s1, *s, path[CORE_MAX_PATH];

	for (i = 0; i < 60; i++) {
		struct pub *p = rnd(2) ? &f->a : &f->b;

		random_ops(ops, &n, names, T0 + i);
		apply_next(f, p, T0 + i, ops, n, &m);
		if (i == 30)
			assert_int_equal(core_checkpoint(f->core), 0);
	}
	s1 = dump_state(f->core, T0 + 100);
	reopen(f);
	s = dump_state(f->core, T0 + 100);
	assert_string_equal(s, s1);
	free(s);
	/* a fresh checkpoint, then a restart from it alone */
	assert_int_equal(core_checkpoint(f->core), 0);
	reopen(f);
	s = dump_state(f->core, T0 + 100);
	assert_string_equal(s, s1);
	free(s);
	/* without the checkpoint: a full replay gives the same */
	snprintf(path, sizeof(path), "%s/checkpoint", f->dir);
	assert_int_equal(unlink(path), 0);
	reopen(f);
	s = dump_state(f->core, T0 + 100);
	assert_string_equal(s, s1);
	free(s);
	/* and the logs continue */
	random_ops(ops, &n, names, T0 + 100);
	apply_next(f, &f->a, T0 + 100, ops, n, &m);
	free(s1);
	blf_buf_free(&m);
}

/* The "V" (view) lines of dump_state. */
static char *
view_only(core *c, uint64_t now)
{
	char *d = dump_state(c, now), *v = strstr(d, "\nV ");

	if (v == NULL) {
		d[0] = '\0';
		return d;
	}
	memmove(d, v + 1, strlen(v + 1) + 1);
	return d;
}

static void
test_compaction(void **state)
{
	struct fx *f = *state;
	blf_op op[4] = { op_list("10.0.0.0/24", T0 + 200000, NULL),
			 op_list("10.0.1.0/24", T0 + 200000, NULL),
			 op_list("10.0.2.0/24", T0 + 200000, NULL),
			 op_list("10.0.3.0/24", T0 + 3600, "short-lived") };
	core_stats st;
	blf_buf m1 = { 0 }, m = { 0 };
	blf_blob *blobs;
	size_t n;
	uint32_t status;
	int more;
	char *s1, *s;
	const uint64_t h = 3600;

	blf_op first[2] = { op[0], op[3] };

	assert_int_equal(pub_next(&f->a, T0, first, 2, &m1), 0);
	assert_int_equal(core_apply(f->core, m1.data, m1.len, T0, NULL), 0);
	assert_int_equal(pub_next(&f->a, T0 + 10 * h, &op[1], 1, &m), 0);
	assert_int_equal(core_apply(f->core, m.data, m.len, T0 + 10 * h, NULL), 0);
	assert_int_equal(pub_next(&f->a, T0 + 30 * h, &op[2], 1, &m), 0);
	assert_int_equal(core_apply(f->core, m.data, m.len, T0 + 30 * h, NULL), 0);
	s1 = view_only(f->core, T0 + 30 * h);
	core_get_stats(f->core, &st);
	assert_int_equal(st.nlistings, 4);
	/* window 24 h: seq 1 (30 h old) goes, seq 2 (20 h old) stays; the
	 * expired listing is purged, the view stays the same */
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 30 * h + 1), 0);
	assert_int_equal(core_compact(f->core, T0 + 30 * h + 1), 0);
	core_get_stats(f->core, &st);
	assert_int_equal(st.nlistings, 3);
	assert_int_equal(st.nrefs, 0);
	s = view_only(f->core, T0 + 30 * h);
	assert_string_equal(s, s1);
	free(s);
	free(s1);
	s1 = dump_state(f->core, T0 + 30 * h);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 0, 10, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(status, BLF_CATCHUP_COMPACTED);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 1, 10, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(status, BLF_CATCHUP_OK);
	assert_int_equal(n, 2);
	core_blobs_free(blobs, n);
	assert_int_equal(core_apply(f->core, m1.data, m1.len, T0 + 30 * h, NULL), BLF_ESTALE);
	s = dump_state(f->core, T0 + 30 * h);
	assert_string_equal(s, s1);
	free(s);
	reopen(f);
	s = dump_state(f->core, T0 + 30 * h);
	assert_string_equal(s, s1);
	free(s);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 0, 10, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(status, BLF_CATCHUP_COMPACTED);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 1, 10, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(blobs[1].ptr, m.data, m.len);
	core_blobs_free(blobs, n);
	/* the log goes on */
	assert_int_equal(pub_next(&f->a, T0 + 31 * h, &op[0], 1, &m), 0);
	assert_int_equal(core_apply(f->core, m.data, m.len, T0 + 31 * h, NULL), 0);
	reopen(f);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 1, 10, &status, &more,
					 &blobs, &n), 0);
	assert_int_equal(n, 3);
	core_blobs_free(blobs, n);
	free(s1);
	blf_buf_free(&m);
	blf_buf_free(&m1);
}

static void
test_bad_new_epoch_file(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 5000, NULL);
	blf_buf m = { 0 };
	char path[CORE_MAX_PATH], *s1, *s;
	static const uint8_t junk[] = "\x10\x00\x00\x00not a record at all";
	blf_blob *blobs;
	size_t n;
	uint32_t status;
	int more;

	apply_next(f, &f->a, T0, &op, 1, &m);
	s1 = dump_state(f->core, T0);
	core_close(f->core);
	f->core = NULL;
	jpath(f, &f->a, 2, path, sizeof(path));
	write_whole(path, junk, sizeof(junk) - 1);
	assert_int_equal(core_open(f->dir, &f->cfg, &f->st, &f->core), 0);
	s = dump_state(f->core, T0);
	assert_string_equal(s, s1);
	free(s);
	assert_int_equal(access(path, F_OK), -1);
	/* the epoch 1 journal is intact and goes on */
	apply_next(f, &f->a, T0 + 1, &op, 1, &m);
	reopen(f);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 1, 0, 10, &status, &more, &blobs,
					 &n), 0);
	assert_int_equal(status, BLF_CATCHUP_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(blobs[1].ptr, m.data, m.len);
	core_blobs_free(blobs, n);
	/* a newer epoch whose first record is a valid seq 1 replaces it */
	pub_new_epoch(&f->a);
	apply_next(f, &f->a, T0 + 2, &op, 1, &m);
	reopen(f);
	assert_int_equal(core_get_deltas(f->core, f->a.origin, 2, 0, 10, &status, &more, &blobs,
					 &n), 0);
	assert_int_equal(n, 1);
	core_blobs_free(blobs, n);
	jpath(f, &f->a, 1, path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	free(s1);
	blf_buf_free(&m);
}

static void
test_fsync_path(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 5000, "synced");
	blf_buf m = { 0 };
	char *s1, *s;

	f->cfg.no_fsync = 0;
	reopen(f);
	apply_next(f, &f->a, T0, &op, 1, &m);
	assert_int_equal(core_checkpoint(f->core), 0);
	apply_next(f, &f->a, T0 + 1, &op, 1, &m);
	s1 = dump_state(f->core, T0);
	reopen(f);
	s = dump_state(f->core, T0);
	assert_string_equal(s, s1);
	free(s);
	free(s1);
	blf_buf_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crash_journal_only, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_crash_with_checkpoint, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_restart, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_new_epoch_file, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fsync_path, setup, fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
