/*
 * test_fileio.c - the file-I/O layer: full transfers, private directories,
 * symlink-safe opens, atomic replacement, and the fault counter itself.
 *
 * The atomic-replacement test sweeps a fault over every I/O call of one
 * replacement, with EIO and ENOSPC: each time the call fails, the target
 * keeps its old content byte for byte and no temporary file is left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../keys/fileio.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/blf-fileio-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	fio_fault_clear();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Number of entries in dir other than . and .. */
static int
count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dp);
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static void
read_file(int dfd, const char *name, char *buf, size_t cap, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fio_read_upto(fd, buf, cap, len), 0);
	close(fd);
}

static void
test_full_transfers(void **state)
{
	char path[128], buf[16];
	size_t got;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fio_write_full(fd, "hello", 5), 0);
	assert_int_equal(fio_pwrite_full(fd, "J", 1, 0), 0);
	assert_int_equal(fio_pread_full(fd, buf, 5, 0), 0);
	assert_memory_equal(buf, "Jello", 5);
	/* reading past the end is ENODATA, not a silent short read */
	errno = 0;
	assert_int_equal(fio_pread_full(fd, buf, 6, 0), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fio_read_upto(fd, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, 5);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	errno = 0;
	assert_int_equal(fio_read_full(fd, buf, 6), -1);
	assert_int_equal(errno, ENODATA);
	close(fd);
}

static void
test_private_dir(void **state)
{
	char path[128], target[128];
	int dfd, sub;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	dfd = fio_dir_open_private(path, 1, 0700);
	assert_true(dfd >= 0);

	/* a sub-directory writable by others is refused */
	assert_int_equal(mkdirat(dfd, "open", 0700), 0);
	assert_int_equal(fchmodat(dfd, "open", 0777, 0), 0);
	errno = 0;
	assert_int_equal(fio_subdir_open(dfd, "open", 0, 0700), -1);
	assert_int_equal(errno, EACCES);

	/* a symlink is refused, even to a good directory */
	snprintf(target, sizeof(target), "%s/data", dir);
	assert_int_equal(symlinkat(target, dfd, "link"), 0);
	errno = 0;
	assert_int_equal(fio_subdir_open(dfd, "link", 0, 0700), -1);
	assert_int_equal(errno, ELOOP);

	/* a good one is created and opened */
	sub = fio_subdir_open(dfd, "log", 1, 0700);
	assert_true(sub >= 0);
	close(sub);

	/* one it creates has the mode asked for under any umask (an export
	 * directory stays 0755 under systemd's UMask=0077); one that exists
	 * keeps its own */
	{
		mode_t old = umask(077);
		struct stat sb;

		sub = fio_subdir_open(dfd, "export", 1, 0755);
		umask(old);
		assert_true(sub >= 0);
		assert_int_equal(fstat(sub, &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0755);
		close(sub);
		assert_int_equal(fchmodat(dfd, "export", 0750, 0), 0);
		sub = fio_subdir_open(dfd, "export", 1, 0755);
		assert_true(sub >= 0);
		assert_int_equal(fstat(sub, &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0750);
		close(sub);
	}

	/* files are opened without following symlinks */
	assert_int_equal(symlinkat("/etc/passwd", dfd, "victim"), 0);
	errno = 0;
	assert_int_equal(fio_openat(dfd, "victim", O_WRONLY | O_TRUNC, 0), -1);
	assert_int_equal(errno, ELOOP);
	close(dfd);

	/* the top directory itself: 0777 refused */
	assert_int_equal(chmod(path, 0777), 0);
	errno = 0;
	assert_int_equal(fio_dir_open_private(path, 0, 0700), -1);
	assert_int_equal(errno, EACCES);
}

static void
test_atomic_replace(void **state)
{
	char path[128], buf[64];
	struct stat sb;
	size_t len;
	mode_t old;
	int dfd;

	(void)state;
	snprintf(path, sizeof(path), "%s/atomic", dir);
	dfd = fio_dir_open_private(path, 1, 0700);
	assert_true(dfd >= 0);

	/* mode is exactly what was asked for, whatever the umask */
	old = umask(022);
	assert_int_equal(fio_replace(dfd, "f", "one", 3, 0600, 0), 0);
	umask(old);
	assert_int_equal(fstatat(dfd, "f", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	read_file(dfd, "f", buf, sizeof(buf), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "one", 3);

	/* a symlink planted at the target is replaced, never followed */
	assert_int_equal(symlinkat("/nonexistent-victim", dfd, "g"), 0);
	assert_int_equal(fio_replace(dfd, "g", "two", 3, 0600, 0), 0);
	assert_int_equal(fstatat(dfd, "g", &sb, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(count_entries(path), 2);

	/* abort leaves nothing behind */
	{
		fio_atomic a;
		assert_int_equal(fio_atomic_begin(&a, dfd, "h", 0600), 0);
		assert_int_equal(fio_atomic_write(&a, "x", 1), 0);
		fio_atomic_abort(&a);
		assert_int_equal(count_entries(path), 2);
	}
	close(dfd);
}

/* A large write through the buffer and past it comes out whole. */
static void
test_atomic_large(void **state)
{
	char path[128];
	unsigned char *big, *back;
	size_t n = 3 * FIO_BUF_SIZE + 17, i, got;
	fio_atomic a;
	int dfd, fd;

	(void)state;
	big = malloc(n);
	back = malloc(n + 1);
	assert_non_null(big);
	assert_non_null(back);
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 7);
	snprintf(path, sizeof(path), "%s/large", dir);
	dfd = fio_dir_open_private(path, 1, 0700);
	assert_true(dfd >= 0);
	assert_int_equal(fio_atomic_begin(&a, dfd, "f", 0600), 0);
	assert_int_equal(fio_atomic_write(&a, big, 10), 0);
	assert_int_equal(fio_atomic_write(&a, big + 10, FIO_BUF_SIZE + 5), 0);
	for (i = 10 + FIO_BUF_SIZE + 5; i < n; i += 1000)
		assert_int_equal(fio_atomic_write(&a, big + i, i + 1000 <= n ? 1000 : n - i), 0);
	assert_int_equal(a.size, n);
	assert_int_equal(fio_atomic_commit(&a, 1), 0);
	fd = openat(dfd, "f", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fio_read_upto(fd, back, n + 1, &got), 0);
	assert_int_equal(got, n);
	assert_memory_equal(back, big, n);
	close(fd);
	close(dfd);
	free(big);
	free(back);
}

/*
 * A hole left by fio_atomic_skip and filled later with fio_pwrite_full:
 * the file comes out as if written in order; the bytes the transfers
 * moved are counted by fio_bytes; a failing skip is remembered like a
 * failing write and leaves nothing behind.
 */
static void
test_atomic_skip(void **state)
{
	char path[128], back[64];
	fio_atomic a;
	uint64_t b0;
	size_t got;
	int dfd, fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/skip", dir);
	dfd = fio_dir_open_private(path, 1, 0700);
	assert_true(dfd >= 0);
	b0 = fio_bytes();
	assert_int_equal(fio_atomic_begin(&a, dfd, "f", 0600), 0);
	assert_int_equal(fio_atomic_write(&a, "ab", 2), 0);
	assert_int_equal(fio_atomic_skip(&a, 5), 0);
	assert_int_equal(fio_atomic_write(&a, "xyz", 3), 0);
	assert_int_equal(a.size, 10);
	assert_int_equal(fio_atomic_flush(&a), 0);
	assert_int_equal(fio_pwrite_full(a.fd, "HOLE!", 5, 2), 0);
	assert_int_equal(fio_bytes() - b0, 10);
	assert_int_equal(fio_atomic_commit(&a, 1), 0);
	fd = openat(dfd, "f", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fio_read_upto(fd, back, sizeof(back), &got), 0);
	assert_int_equal(got, 10);
	assert_memory_equal(back, "abHOLE!xyz", 10);
	assert_int_equal(fio_bytes() - b0, 20);
	close(fd);

	/* the skip's own call fails: sticky like a write error */
	assert_int_equal(fio_atomic_begin(&a, dfd, "g", 0600), 0);
	fio_fault_set(0, ENOSPC, 0);
	errno = 0;
	assert_int_equal(fio_atomic_skip(&a, 4096), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fio_atomic_write(&a, "z", 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fio_atomic_commit(&a, 1), -1);
	fio_fault_clear();
	assert_int_equal(count_entries(path), 1);
	close(dfd);
}

/* Fail each I/O call of a replacement in turn: the old content survives. */
static void
test_atomic_fault_sweep(void **state)
{
	static const int errs[] = { EIO, ENOSPC };
	char path[128], buf[64];
	unsigned long before, calls, k;
	size_t len, e;
	int dfd, rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/sweep", dir);
	dfd = fio_dir_open_private(path, 1, 0700);
	assert_true(dfd >= 0);
	assert_int_equal(fio_replace(dfd, "f", "old", 3, 0600, 0), 0);

	before = fio_calls();
	assert_int_equal(fio_replace(dfd, "t", "new", 3, 0600, 0), 0);
	calls = fio_calls() - before;
	assert_true(calls >= 5); /* open, write, fsync, rename, dir fsync */

	for (e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
		for (k = 0; k < calls; k++) {
			fio_fault_set(k, errs[e], 0);
			errno = 0;
			rc = fio_replace(dfd, "f", "new", 3, 0600, 0);
			assert_true(fio_fault_fired());
			fio_fault_clear();
			read_file(dfd, "f", buf, sizeof(buf), &len);
			assert_int_equal(rc, -1);
			assert_int_equal(errno, errs[e]);
			/* before the rename: old content; the dir fsync is last */
			if (k + 1 < calls) {
				assert_int_equal(len, 3);
				assert_memory_equal(buf, "old", 3);
			}
			assert_int_equal(count_entries(path), 2);
			/* reset for the next round */
			assert_int_equal(fio_replace(dfd, "f", "old", 3, 0600, 0), 0);
		}
	}
	/* a sticky fault keeps failing until cleared */
	fio_fault_set(0, EIO, 1);
	assert_int_equal(fio_replace(dfd, "f", "x", 1, 0600, 0), -1);
	assert_int_equal(fio_replace(dfd, "f", "x", 1, 0600, 0), -1);
	fio_fault_clear();
	assert_int_equal(fio_replace(dfd, "f", "x", 1, 0600, 0), 0);
	close(dfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_transfers),
		cmocka_unit_test(test_private_dir),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_atomic_large),
		cmocka_unit_test(test_atomic_skip),
		cmocka_unit_test(test_atomic_fault_sweep),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
