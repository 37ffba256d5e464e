/*
 * fileio.c - full transfers, safe opens, atomic replacement and fault
 * injection; see fileio.h for the contract.
 *
 * Every wrapper calls fault() first: a test arms a countdown with
 * fio_fault_set() and the call that reaches zero fails without touching the
 * kernel, exactly as the real call would fail (-1, errno).  The counter is a
 * plain global: the layer is used by one thread at a time in tests.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long ncalls;     /* I/O calls made */
static uint64_t nbytes;          /* bytes read and written by the transfers */
static unsigned long countdown;  /* calls left before the fault */
static int fault_err;            /* 0: disarmed */
static int fault_sticky;
static int fault_fired;

void
fio_fault_set(unsigned long after, int err, int sticky)
{
	countdown = after;
	fault_err = err;
	fault_sticky = sticky;
	fault_fired = 0;
}

void
fio_fault_clear(void)
{
	fault_err = 0;
	fault_sticky = 0;
}

unsigned long
fio_calls(void)
{
	return ncalls;
}

int
fio_fault_fired(void)
{
	return fault_fired;
}

uint64_t
fio_bytes(void)
{
	return nbytes;
}

/* -1 with errno set when the armed fault fires for this call. */
static int
fault(void)
{
	ncalls++;
	if (fault_err == 0)
		return 0;
	if (fault_fired && fault_sticky) {
		errno = fault_err;
		return -1;
	}
	if (fault_fired)
		return 0;
	if (countdown > 0) {
		countdown--;
		return 0;
	}
	fault_fired = 1;
	errno = fault_err;
	if (!fault_sticky)
		fault_err = 0;
	return -1;
}

int
fio_read_full(int fd, void *buf, size_t len)
{
	size_t got;

	if (fio_read_upto(fd, buf, len, &got) != 0)
		return -1;
	if (got != len) {
		errno = ENODATA;
		return -1;
	}
	return 0;
}

int
fio_read_upto(int fd, void *buf, size_t cap, size_t *got)
{
	unsigned char *p = buf;
	size_t n = 0;
	ssize_t r;

	*got = 0;
	if (fault() != 0)
		return -1;
	while (n < cap) {
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		nbytes += (uint64_t)r;
	}
	*got = n;
	return 0;
}

/* pread(2) up to len bytes at off through the fault counter; *got may be
 * short only at end of file. */
static int
pread_upto(int fd, unsigned char *p, size_t len, uint64_t off, size_t *got)
{
	size_t n = 0;
	ssize_t r;

	*got = 0;
	if (fault() != 0)
		return -1;
	while (n < len) {
		r = pread(fd, p + n, len - n, (off_t)(off + n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		nbytes += (uint64_t)r;
	}
	*got = n;
	return 0;
}

int
fio_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got;

	if (pread_upto(fd, buf, len, off, &got) != 0)
		return -1;
	if (got != len) {
		errno = ENODATA;
		return -1;
	}
	return 0;
}

int
fio_write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n = 0;
	ssize_t r;

	if (fault() != 0)
		return -1;
	while (n < len) {
		r = write(fd, p + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		n += (size_t)r;
		nbytes += (uint64_t)r;
	}
	return 0;
}

int
fio_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const unsigned char *p = buf;
	size_t n = 0;
	ssize_t r;

	if (fault() != 0)
		return -1;
	while (n < len) {
		r = pwrite(fd, p + n, len - n, (off_t)(off + n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		n += (size_t)r;
		nbytes += (uint64_t)r;
	}
	return 0;
}

int
fio_fsync(int fd)
{
	if (fault() != 0)
		return -1;
	return fsync(fd);
}

int
fio_fdatasync(int fd)
{
	if (fault() != 0)
		return -1;
	return fdatasync(fd);
}

int
fio_ftruncate(int fd, uint64_t len)
{
	if (fault() != 0)
		return -1;
	return ftruncate(fd, (off_t)len);
}

/* The checks of a private directory on an open descriptor. */
static int
check_private(int dfd)
{
	struct stat sb;

	if (fstat(dfd, &sb) != 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		errno = EPERM;
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		errno = EACCES;
		return -1;
	}
	return 0;
}

int
fio_subdir_open(int dfd, const char *name, int create, mode_t mode)
{
	int fd, e, made = 0;

	if (fault() != 0)
		return -1;
	if (create && mkdirat(dfd, name, mode) == 0)
		made = 1;
	else if (create && errno != EEXIST)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* O_NOFOLLOW|O_DIRECTORY on a symlink gives ENOTDIR or ELOOP */
		struct stat sb;
		if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
			errno = ELOOP;
		return -1;
	}
	/* a directory we made has the mode asked for, whatever the umask
	 * (an export directory under systemd's UMask=0077 must stay 0755) */
	if ((made && fchmod(fd, mode) != 0) || check_private(fd) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
fio_dir_open_private(const char *path, int create, mode_t mode)
{
	return fio_subdir_open(AT_FDCWD, path, create, mode);
}

int
fio_openat(int dfd, const char *name, int flags, mode_t mode)
{
	if (fault() != 0)
		return -1;
	return openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

int
fio_unlinkat(int dfd, const char *name)
{
	if (fault() != 0)
		return -1;
	return unlinkat(dfd, name, 0);
}

int
fio_renameat(int dfd, const char *from, const char *to)
{
	if (fault() != 0)
		return -1;
	return renameat(dfd, from, dfd, to);
}

int
fio_linkat(int odfd, const char *from, int ndfd, const char *to)
{
	if (fault() != 0)
		return -1;
	return linkat(odfd, from, ndfd, to, 0);
}

int
fio_symlinkat(const char *target, int dfd, const char *name)
{
	if (fault() != 0)
		return -1;
	return symlinkat(target, dfd, name);
}

int
fio_readlinkat(int dfd, const char *name, char *buf, size_t cap)
{
	ssize_t n;

	if (fault() != 0)
		return -1;
	if (cap == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = readlinkat(dfd, name, buf, cap);
	if (n < 0)
		return -1;
	if ((size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

int
fio_rmdirat(int dfd, const char *name)
{
	if (fault() != 0)
		return -1;
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

int
fio_fsync_dirfd(int dfd)
{
	if (fault() != 0)
		return -1;
	return fsync(dfd);
}

int
fio_fsync_dir(const char *path)
{
	int fd, rc, e;

	if (fault() != 0)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* ---- atomic replacement ------------------------------------------------ */

/* Fill a->tmp with ".name.XXXXXX" from a counter and the pid. */
static void
tmp_name(fio_atomic *a, unsigned attempt)
{
	static unsigned long serial;
	unsigned long v = ((unsigned long)getpid() << 20) ^ (++serial * 2654435761u) ^ attempt;

	snprintf(a->tmp, sizeof(a->tmp), ".%.*s.%06lx", (int)(FIO_NAME_MAX - 12), a->name,
		 v & 0xffffffUL);
}

int
fio_atomic_begin(fio_atomic *a, int dfd, const char *name, mode_t mode)
{
	size_t n = strlen(name);
	unsigned attempt;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->dfd = dfd;
	if (n == 0 || n > FIO_NAME_MAX - 12 || strchr(name, '/') != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(a->name, name, n + 1);
	a->buf = malloc(FIO_BUF_SIZE);
	if (a->buf == NULL)
		return -1;
	for (attempt = 0; attempt < 16; attempt++) {
		tmp_name(a, attempt);
		a->fd = fio_openat(dfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
		if (a->fd >= 0 || errno != EEXIST)
			break;
	}
	if (a->fd < 0) {
		free(a->buf);
		a->buf = NULL;
		return -1;
	}
	/* the umask must not widen or narrow what the caller asked for */
	if (fchmod(a->fd, mode) != 0) {
		fio_atomic_abort(a);
		return -1;
	}
	return 0;
}

int
fio_atomic_begin_path(fio_atomic *a, const char *path, mode_t mode)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dfd, e;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else if (slash == path) {
		dir[0] = '/';
		dir[1] = '\0';
	} else if ((size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	} else {
		errno = ENAMETOOLONG;
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	if (fio_atomic_begin(a, dfd, base, mode) != 0) {
		e = errno;
		close(dfd);
		errno = e;
		return -1;
	}
	a->own_dfd = 1;
	return 0;
}

static int
flush(fio_atomic *a)
{
	if (a->used > 0 && a->err == 0 && fio_write_full(a->fd, a->buf, a->used) != 0)
		a->err = errno ? errno : EIO;
	a->used = 0;
	return a->err ? -1 : 0;
}

int
fio_atomic_flush(fio_atomic *a)
{
	if (flush(a) != 0) {
		errno = a->err;
		return -1;
	}
	return 0;
}

int
fio_atomic_skip(fio_atomic *a, uint64_t len)
{
	if (flush(a) != 0) {
		errno = a->err;
		return -1;
	}
	if (fault() != 0 || lseek(a->fd, (off_t)len, SEEK_CUR) < 0) {
		a->err = errno ? errno : EIO;
		errno = a->err;
		return -1;
	}
	a->size += len;
	return 0;
}

int
fio_atomic_write(fio_atomic *a, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (a->err) {
		errno = a->err;
		return -1;
	}
	a->size += len;
	if (len >= FIO_BUF_SIZE) {
		if (flush(a) != 0 || fio_write_full(a->fd, p, len) != 0) {
			if (a->err == 0)
				a->err = errno ? errno : EIO;
			errno = a->err;
			return -1;
		}
		return 0;
	}
	if (a->used + len > FIO_BUF_SIZE && flush(a) != 0) {
		errno = a->err;
		return -1;
	}
	memcpy(a->buf + a->used, p, len);
	a->used += len;
	return 0;
}

void
fio_atomic_abort(fio_atomic *a)
{
	int e = errno;

	if (a->fd >= 0) {
		close(a->fd);
		a->fd = -1;
		unlinkat(a->dfd, a->tmp, 0);
	}
	if (a->own_dfd && a->dfd >= 0)
		close(a->dfd);
	a->own_dfd = 0;
	a->dfd = -1;
	free(a->buf);
	a->buf = NULL;
	errno = e;
}

int
fio_atomic_commit(fio_atomic *a, int nosync)
{
	int rc = -1;

	if (flush(a) != 0) {
		errno = a->err;
		goto out;
	}
	if (!nosync && fio_fsync(a->fd) != 0)
		goto out;
	if (close(a->fd) != 0) {
		a->fd = -1;
		unlinkat(a->dfd, a->tmp, 0);
		goto out;
	}
	a->fd = -1;
	if (fio_renameat(a->dfd, a->tmp, a->name) != 0) {
		int e = errno;
		unlinkat(a->dfd, a->tmp, 0);
		errno = e;
		goto out;
	}
	a->renamed = 1;
	if (!nosync && fio_fsync_dirfd(a->dfd) != 0)
		goto out;
	rc = 0;
out:
	fio_atomic_abort(a);
	return rc;
}

int
fio_replace(int dfd, const char *name, const void *buf, size_t len, mode_t mode, int nosync)
{
	fio_atomic a;

	if (fio_atomic_begin(&a, dfd, name, mode) != 0)
		return -1;
	if (fio_atomic_write(&a, buf, len) != 0) {
		fio_atomic_abort(&a);
		return -1;
	}
	return fio_atomic_commit(&a, nosync);
}

/* ---- buffered sequential reading --------------------------------------- */

int
fio_reader_init(fio_reader *r, int fd, uint64_t off, size_t bufsize)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->off = off;
	r->cap = bufsize ? bufsize : FIO_BUF_SIZE;
	if ((r->buf = malloc(r->cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
fio_reader_read(fio_reader *r, void *out, size_t n, size_t *got)
{
	unsigned char *p = out;
	size_t done = 0, k, g;

	if (got != NULL)
		*got = 0;
	while (done < n) {
		if (r->pos == r->fill) {
			r->off += r->fill;
			r->pos = r->fill = 0;
			if (n - done >= r->cap) {
				/* a large read goes straight to the caller */
				if (pread_upto(r->fd, p + done, n - done, r->off, &g) != 0)
					return -1;
				r->off += g;
				done += g;
				if (got != NULL)
					*got = done;
				if (done < n) {
					errno = ENODATA;
					return -1;
				}
				return 0;
			}
			if (pread_upto(r->fd, r->buf, r->cap, r->off, &g) != 0)
				return -1;
			if (g == 0) {
				if (got != NULL)
					*got = done;
				errno = ENODATA;
				return -1;
			}
			r->fill = g;
		}
		k = r->fill - r->pos;
		if (k > n - done)
			k = n - done;
		memcpy(p + done, r->buf + r->pos, k);
		r->pos += k;
		done += k;
	}
	if (got != NULL)
		*got = done;
	return 0;
}

uint64_t
fio_reader_tell(const fio_reader *r)
{
	return r->off + r->pos;
}

void
fio_reader_free(fio_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->pos = r->fill = r->cap = 0;
}
