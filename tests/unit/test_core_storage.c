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

#include "../../keys/fileio.h"
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

static void __attribute__((format(printf, 4, 5)))
path_of(const struct fx *f, char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, cap, "%s/", f->dir);

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
}

static size_t
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
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 2000), 0);
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
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 2000), 0);
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

/* ---- defect 2: an unfreeze survives a restart -------------------------- */

/* Make origin a equivocate at seq 1 (its seq 1 lists 10.0.0.0/24). */
static void
equivocate(struct fx *f, const char *other, core_result *res)
{
	blf_op op1 = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_op op2 = op_list(other, T0 + 3600, NULL);
	blf_buf m = { 0 };

	if (f->a.seq == 0)
		apply_next(f, &f->a, T0, &op1, 1);
	assert_int_equal(seal_raw(f->a.ks, f->a.origin, 1, 1, NULL, T0, &op2, 1, &m), 0);
	assert_int_equal(core_apply(f->core, m.data, m.len, T0, res), BLF_EEQUIVOCATION);
	blf_buf_free(&m);
}

static size_t
view_n(core *c, uint64_t now)
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
test_defect2_unfreeze_survives_restart(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.1.0.0/24", T0 + 3600, NULL);
	core_result res;

	equivocate(f, "10.9.0.0/24", &res);
	assert_true(core_is_frozen(f->core, f->a.origin));
	assert_int_equal(core_checkpoint(f->core), 0);
	assert_int_equal(core_unfreeze(f->core, f->a.origin), 0);
	assert_int_equal(view_n(f->core, T0), 1);
	reopen(f);
	assert_false(core_is_frozen(f->core, f->a.origin));
	assert_int_equal(view_n(f->core, T0), 1);
	apply_next(f, &f->a, T0 + 1, &op, 1);
	assert_int_equal(view_n(f->core, T0 + 1), 2);
	/* and a freeze still survives one */
	equivocate(f, "10.8.0.0/24", &res);
	reopen(f);
	assert_true(core_is_frozen(f->core, f->a.origin));
}

/* ---- defect 4: evidence is never overwritten ---------------------------- */

static void
test_defect4_evidence_kept(void **state)
{
	struct fx *f = *state;
	core_result r1, r2;
	char p1[CORE_MAX_PATH], p2[CORE_MAX_PATH], dir[CORE_MAX_PATH];
	uint8_t *b1;
	size_t n1;
	FILE *fp;
	struct stat sb;

	equivocate(f, "10.9.0.0/24", &r1);
	assert_int_equal(core_evidence_path(f->core, &r1, p1, sizeof(p1)), 0);
	assert_int_equal(stat(p1, &sb), 0);
	n1 = (size_t)sb.st_size;
	b1 = malloc(n1);
	assert_non_null(b1);
	fp = fopen(p1, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(b1, 1, n1, fp), n1);
	fclose(fp);
	path_of(f, dir, sizeof(dir), "evidence");
	assert_int_equal(count_files(dir, ".msg"), 2);
	/* the administrator unfreezes; a third history at the same seq */
	assert_int_equal(core_unfreeze(f->core, f->a.origin), 0);
	equivocate(f, "10.7.0.0/24", &r2);
	assert_int_equal(core_evidence_path(f->core, &r2, p2, sizeof(p2)), 0);
	assert_string_not_equal(p1, p2);
	assert_int_equal(count_files(dir, ".msg"), 3);
	/* the first received message is still there, byte for byte */
	fp = fopen(p1, "rb");
	assert_non_null(fp);
	{
		uint8_t *b = malloc(n1 + 1);

		assert_non_null(b);
		assert_int_equal(fread(b, 1, n1 + 1, fp), n1);
		assert_memory_equal(b, b1, n1);
		free(b);
	}
	fclose(fp);
	free(b1);
}

/* ---- defect 9: superseded epochs leave no journal behind ---------------- */

static void
test_defect9_epochs_in_one_batch(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	blf_buf m[50];
	const uint8_t *msgs[50];
	size_t lens[50], i;
	int rc[50];
	char dir[CORE_MAX_PATH];
	blf_head h;

	apply_next(f, &f->a, T0, &op, 1);
	memset(m, 0, sizeof(m));
	for (i = 0; i < 50; i++) {
		pub_new_epoch(&f->a);
		assert_int_equal(pub_next(&f->a, T0 + 1 + i, &op, 1, &m[i]), 0);
		msgs[i] = m[i].data;
		lens[i] = m[i].len;
	}
	assert_int_equal(core_apply_batch(f->core, msgs, lens, 50, T0 + 100, rc, NULL), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(rc[i], 0);
	path_of(f, dir, sizeof(dir), "log");
	assert_int_equal(count_files(dir, ".jnl"), 1);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.epoch, 51);
	reopen(f);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.epoch, 51);
	assert_int_equal(count_files(dir, ".jnl"), 1);
	for (i = 0; i < 50; i++)
		blf_buf_free(&m[i]);
}

/* ---- defect 5: the checkpoint is a cache -------------------------------- */

/* Three deltas an hour apart, then compaction with a one-hour window
 * that drops the first two. */
static void
compacted(struct fx *f)
{
	blf_op o1[2] = { op_list("10.0.0.0/24", T0 + 90000, "case 1"),
			 op_list("2001:db8::/48", T0 + 90000, "case 2") };
	blf_op o2 = op_list("10.0.1.0/24", T0 + 90000, "case 3");
	blf_op o3 = op_simple(BLF_OP_DELIST, "2001:db8::/48", NULL);

	f->cfg.window = 3600;
	reopen(f);
	apply_next(f, &f->a, T0, o1, 2);
	apply_next(f, &f->a, T0 + 3600, &o2, 1);
	apply_next(f, &f->a, T0 + 7200, &o3, 1);
	apply_next(f, &f->b, T0 + 7200, &o2, 1);
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 7300), 0);
	assert_int_equal(core_snapshot_keep(f->core, f->b.ks, T0 + 7300), 0);
	assert_int_equal(core_compact(f->core, T0 + 7300), 0);
}

static void
test_defect5_checkpoint_lost_after_compaction(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.2.0/24", T0 + 90000, NULL);
	char path[CORE_MAX_PATH], *s1, *s;
	core_stats st;

	compacted(f);
	s1 = dump_state(f->core, T0 + 7300);
	path_of(f, path, sizeof(path), "checkpoint");
	assert_int_equal(unlink(path), 0);
	reopen(f);
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.checkpoint, CORE_CKPT_NONE);
	s = dump_state(f->core, T0 + 7300);
	assert_string_equal(s, s1);
	free(s);
	/* the origin goes on where it was: no gap, no reset */
	apply_next(f, &f->a, T0 + 7400, &op, 1);
	reopen(f);
	assert_int_equal(view_n(f->core, T0 + 7400), 3);
	free(s1);
}

static void
test_defect5_flipped_checkpoint_byte(void **state)
{
	struct fx *f = *state;
	char path[CORE_MAX_PATH], *s1, *s;
	core_stats st;
	struct stat sb;
	size_t i;

	compacted(f);
	s1 = dump_state(f->core, T0 + 7300);
	core_close(f->core);
	f->core = NULL;
	path_of(f, path, sizeof(path), "checkpoint");
	assert_int_equal(stat(path, &sb), 0);
	/* a flipped byte anywhere: reported, rebuilt, never refused */
	for (i = 0; i < (size_t)sb.st_size; i += 1 + (size_t)sb.st_size / 97) {
		int fd = open(path, O_RDWR);
		uint8_t b;

		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &sb), 0);
		if (i >= (size_t)sb.st_size) {
			close(fd);
			break;
		}
		assert_int_equal(pread(fd, &b, 1, (off_t)i), 1);
		b ^= 0x10;
		assert_int_equal(pwrite(fd, &b, 1, (off_t)i), 1);
		close(fd);
		reopen(f);
		core_get_stats(f->core, &st);
		assert_int_equal(st.io.checkpoint, CORE_CKPT_BAD);
		s = dump_state(f->core, T0 + 7300);
		assert_string_equal(s, s1);
		free(s);
		/* the next checkpoint replaces it */
		assert_int_equal(core_checkpoint(f->core), 0);
		reopen(f);
		core_get_stats(f->core, &st);
		assert_int_equal(st.io.checkpoint, CORE_CKPT_OK);
		core_close(f->core);
		f->core = NULL;
	}
	free(s1);
}

/* ---- defect 8: a hostile data directory --------------------------------- */

static void
put_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
assert_file(const char *path, const char *text)
{
	char b[256];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(b, 1, sizeof(b) - 1, fp);
	b[n] = '\0';
	fclose(fp);
	assert_string_equal(b, text);
}

static void
test_defect8_open_dirs(void **state)
{
	struct fx *f = *state;
	char path[CORE_MAX_PATH];

	core_close(f->core);
	f->core = NULL;
	assert_int_equal(chmod(f->dir, 0777), 0);
	errno = 0;
	assert_int_equal(fx_open(f), BLF_EIO);
	assert_int_equal(errno, EACCES);
	assert_int_equal(chmod(f->dir, 0700), 0);
	path_of(f, path, sizeof(path), "log");
	assert_int_equal(chmod(path, 0757), 0);
	assert_int_equal(fx_open(f), BLF_EIO);
	assert_int_equal(chmod(path, 0700), 0);
	/* a symlink for a sub-directory */
	path_of(f, path, sizeof(path), "evidence");
	rm_rf(path);
	assert_int_equal(symlink("/tmp", path), 0);
	assert_int_equal(fx_open(f), BLF_EIO);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(fx_open(f), 0);
}

static void
test_defect8_planted_symlinks(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.0.0.0/24", T0 + 3600, NULL);
	char victim[CORE_MAX_PATH], path[CORE_MAX_PATH], hex[BLF_KEYID_HEX_LEN + 1];
	core_result res;
	struct stat sb;
	mode_t old = umask(022);

	path_of(f, victim, sizeof(victim), "victim");
	put_file(victim, "victim\n");
	blf_keyid_hex(f->a.origin, hex);
	/* checkpoint: temporary names and the final name */
	path_of(f, path, sizeof(path), "checkpoint.tmp");
	assert_int_equal(symlink(victim, path), 0);
	path_of(f, path, sizeof(path), "checkpoint");
	assert_int_equal(symlink(victim, path), 0);
	apply_next(f, &f->a, T0, &op, 1);
	assert_int_equal(core_checkpoint(f->core), 0);
	assert_file(victim, "victim\n");
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* the journal of a new epoch */
	path_of(f, path, sizeof(path), "log/%s.2.jnl", hex);
	assert_int_equal(symlink(victim, path), 0);
	pub_new_epoch(&f->a);
	assert_int_equal(pub_next(&f->a, T0 + 1, &op, 1, &f->buf), 0);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 1, NULL), BLF_EIO);
	assert_file(victim, "victim\n");
	assert_int_equal(unlink(path), 0);
	/* temporary files of an interrupted write go at the next open */
	path_of(f, path, sizeof(path), ".checkpoint.abc123");
	put_file(path, "torn\n");
	reopen(f);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 1, NULL), 0);
	/* the freeze mark */
	path_of(f, path, sizeof(path), "evidence/%s.frozen", hex);
	assert_int_equal(symlink(victim, path), 0);
	{
		blf_op op2 = op_list("10.9.0.0/24", T0 + 3600, NULL);
		blf_buf m = { 0 };

		assert_int_equal(seal_raw(f->a.ks, f->a.origin, 2, 1, NULL, T0, &op2, 1, &m), 0);
		assert_int_equal(core_apply(f->core, m.data, m.len, T0 + 1, &res),
				 BLF_EEQUIVOCATION);
		blf_buf_free(&m);
	}
	assert_file(victim, "victim\n");
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	umask(old);
}

/* ---- journal byte limit per origin -------------------------------------- */

static void
test_journal_limit(void **state)
{
	struct fx *f = *state;
	blf_op *ops = v6_ops(200, 1, T0 + 90000);
	blf_buf refused = { 0 };
	blf_head h;
	core_stats st;
	char *s1, *s;
	size_t i;
	int rc = 0;

	f->cfg.journal_max = 64 * 1024;
	f->cfg.window = 3600;
	reopen(f);
	for (i = 0; i < 100; i++) {
		assert_int_equal(pub_next(&f->a, T0 + i, ops, 200, &f->buf), 0);
		rc = core_apply(f->core, f->buf.data, f->buf.len, T0 + i, NULL);
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, BLF_ELIMIT);
	assert_true(i > 0 && i < 100);
	refused = f->buf;
	memset(&f->buf, 0, sizeof(f->buf));
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.nlimit, 1);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, i);
	/* nothing of the refused delta is held, in memory or on disk */
	s1 = dump_state(f->core, T0 + 100);
	reopen(f);
	s = dump_state(f->core, T0 + 100);
	assert_string_equal(s, s1);
	free(s);
	free(s1);
	/* other origins are not affected */
	apply_next(f, &f->b, T0 + 100, ops, 10);
	/* compaction makes room again */
	assert_int_equal(core_snapshot_keep(f->core, f->a.ks, T0 + 7200), 0);
	assert_int_equal(core_compact(f->core, T0 + 7200), 0);
	assert_int_equal(core_apply(f->core, refused.data, refused.len, T0 + 7200, NULL), 0);
	blf_buf_free(&refused);
	free(ops);
}

/* Durable files damaged or missing: reported and set aside, never deleted,
 * never a refusal to open. */
static void
test_damaged_base_set_aside(void **state)
{
	struct fx *f = *state;
	char path[CORE_MAX_PATH], aside[CORE_MAX_PATH + 8], hex[BLF_KEYID_HEX_LEN + 1];
	core_stats st;
	blf_head h;
	int fd;
	uint8_t b;

	compacted(f);
	core_close(f->core);
	f->core = NULL;
	blf_keyid_hex(f->a.origin, hex);
	path_of(f, path, sizeof(path), "checkpoint");
	assert_int_equal(unlink(path), 0);
	path_of(f, path, sizeof(path), "log/%s.1.base", hex);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, 80), 1);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, 80), 1);
	close(fd);
	reopen(f);
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.nbroken, 2);
	assert_int_equal(core_head(f->core, f->a.origin, &h), BLF_ENOTFOUND);
	assert_int_equal(core_head(f->core, f->b.origin, &h), 0);
	snprintf(aside, sizeof(aside), "%s.broken", path);
	assert_int_equal(access(aside, F_OK), 0);
	path_of(f, path, sizeof(path), "log/%s.1.jnl.broken", hex);
	assert_int_equal(access(path, F_OK), 0);
}

static void
test_missing_base_set_aside(void **state)
{
	struct fx *f = *state;
	char path[CORE_MAX_PATH], hex[BLF_KEYID_HEX_LEN + 1];
	core_stats st;

	compacted(f);
	core_close(f->core);
	f->core = NULL;
	blf_keyid_hex(f->a.origin, hex);
	path_of(f, path, sizeof(path), "checkpoint");
	assert_int_equal(unlink(path), 0);
	path_of(f, path, sizeof(path), "log/%s.1.base", hex);
	assert_int_equal(unlink(path), 0);
	reopen(f);
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.nbroken, 1);
	path_of(f, path, sizeof(path), "log/%s.1.jnl.broken", hex);
	assert_int_equal(access(path, F_OK), 0);
}

/* A journal cut at open is counted with its origin, the offset and the
 * bytes dropped: a write torn at the end (a crash) apart from a whole
 * record that fails its checksum (damage). */
static void
test_journal_cut_counted(void **state)
{
	struct fx *f = *state;
	char path[CORE_MAX_PATH], hex[BLF_KEYID_HEX_LEN + 1];
	blf_op op = op_list("10.1.0.0/24", T0 + 3600, NULL);
	uint8_t hdr[4], b;
	uint64_t rec2, size;
	core_stats st;
	blf_head h;
	struct stat sb;
	int fd, i;

	for (i = 0; i < 3; i++)
		apply_next(f, &f->a, T0, &op, 1);
	core_close(f->core);
	f->core = NULL;
	blf_keyid_hex(f->a.origin, hex);
	path_of(f, path, sizeof(path), "log/%s.1.jnl", hex);
	assert_int_equal(stat(path, &sb), 0);
	size = (uint64_t)sb.st_size;
	/* a torn append: a header that promises more than follows */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x40\x00\x00\x00" "abcdefgh", 12), 12);
	close(fd);
	reopen(f);
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.ncut, 1);
	assert_int_equal(st.io.ndamaged, 0);
	assert_memory_equal(st.io.cuts[0].origin, f->a.origin, BLF_KEYID_LEN);
	assert_int_equal(st.io.cuts[0].epoch, 1);
	assert_int_equal(st.io.cuts[0].off, size);
	assert_int_equal(st.io.cuts[0].dropped, 12);
	assert_int_equal(st.io.cuts[0].damaged, 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 3);
	core_close(f->core);
	f->core = NULL;
	/* one byte of the second record flipped, the checkpoint gone */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, hdr, 4, 0), 4);
	rec2 = 4 + ((uint64_t)hdr[0] | (uint64_t)hdr[1] << 8 | (uint64_t)hdr[2] << 16) + 8;
	assert_int_equal(pread(fd, &b, 1, (off_t)rec2 + 20), 1);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)rec2 + 20), 1);
	close(fd);
	path_of(f, path, sizeof(path), "checkpoint");
	(void)unlink(path); /* if one was written */
	reopen(f);
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.ncut, 1);
	assert_int_equal(st.io.ndamaged, 1);
	assert_int_equal(st.io.cuts[0].off, rec2);
	assert_int_equal(st.io.cuts[0].dropped, size - rec2);
	assert_int_equal(st.io.cuts[0].damaged, 1);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 1);
	/* nothing to cut the next time */
	reopen(f);
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.ncut, 0);
}

/* A journal write that fails changes nothing and is told once per reason
 * (core_eio), until a write works again; a failed sync means stop. */
static void
test_journal_write_failure_told(void **state)
{
	struct fx *f = *state;
	blf_op op = op_list("10.1.0.0/24", T0 + 3600, NULL);
	core_stats st;
	blf_head h;
	int e = 0;

	f->cfg.no_fsync = 0; /* the sync must be an I/O call too */
	reopen(f);
	apply_next(f, &f->a, T0, &op, 1);
	assert_int_equal(pub_next(&f->a, T0 + 1, &op, 1, &f->buf), 0);
	/* a full disk: the write fails, the delta is not held, the reason
	 * is told the first time only */
	fio_fault_set(0, ENOSPC, 1);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 1, NULL), BLF_EIO);
	assert_int_equal(core_failed(f->core), 0);
	assert_int_equal(core_eio(f->core, &e), CORE_EIO_TELL);
	assert_int_equal(e, ENOSPC);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 1, NULL), BLF_EIO);
	assert_int_equal(core_eio(f->core, &e), CORE_EIO_QUIET);
	assert_int_equal(e, ENOSPC);
	/* another reason is told again */
	fio_fault_set(0, EIO, 1);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 1, NULL), BLF_EIO);
	assert_int_equal(core_eio(f->core, &e), CORE_EIO_TELL);
	assert_int_equal(e, EIO);
	fio_fault_clear();
	core_get_stats(f->core, &st);
	assert_int_equal(st.io.nwfailed, 3);
	assert_int_equal(st.io.werrno, EIO);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 1);
	/* room again: the same delta is taken, and the next failure told */
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 1, NULL), 0);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_int_equal(h.seq, 2);
	assert_int_equal(pub_next(&f->a, T0 + 2, &op, 1, &f->buf), 0);
	fio_fault_set(0, EIO, 1);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 2, NULL), BLF_EIO);
	assert_int_equal(core_eio(f->core, &e), CORE_EIO_TELL);
	/* the write works, the sync fails: memory is ahead of the disk */
	fio_fault_set(1, EIO, 1);
	assert_int_equal(core_apply(f->core, f->buf.data, f->buf.len, T0 + 2, NULL), BLF_EIO);
	fio_fault_clear();
	assert_int_not_equal(core_failed(f->core), 0);
	assert_int_equal(core_eio(f->core, &e), CORE_EIO_STOP);
	reopen(f);
	assert_int_equal(core_head(f->core, f->a.origin, &h), 0);
	assert_true(h.seq == 2 || h.seq == 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defect1_compact_after_checkpoint_load, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect1_compact_three_expired_deltas, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect2_unfreeze_survives_restart, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect4_evidence_kept, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect9_epochs_in_one_batch, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect5_checkpoint_lost_after_compaction,
						setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect5_flipped_checkpoint_byte, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect8_open_dirs, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_defect8_planted_symlinks, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_limit, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_base_set_aside, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_base_set_aside, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_cut_counted, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_write_failure_told, setup,
						fx_teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
