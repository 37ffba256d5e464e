/*
 * fileio.h - the one file-I/O layer of blfed.
 *
 * Everything that writes or reads a file of ours goes through here: keys/
 * (key files, the trust store), agent/core/ (journals, checkpoint,
 * evidence) and the exporters.  It gives:
 *   - full read/write loops that retry EINTR and short transfers;
 *   - symlink-safe opens relative to a directory descriptor;
 *   - a private-directory check (ours, not writable by others, no symlink);
 *   - atomic replacement: an exclusive temporary file beside the target,
 *     written through a buffer, fsynced, renamed over the target, and the
 *     directory fsynced;
 *   - fault injection for tests: every call that reaches the kernel passes
 *     one counter, and a test can make the Nth such call fail with a chosen
 *     errno (EIO, ENOSPC...), once or from then on, the way SQLite tests its
 *     I/O paths.
 *
 * All functions return 0 (or a descriptor) on success and -1 with errno set
 * on failure; none of them logs.  A short read at end of file sets errno to
 * ENODATA.  The fault state is process-global and meant for single-threaded
 * tests; production code never arms it.
 */
#ifndef BLF_FILEIO_H
#define BLF_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- fault injection (tests) ------------------------------------------- */

/*
 * Arm the fault: the (after+1)-th I/O call from now fails with errno err;
 * with sticky, every call after it fails too, until fio_fault_clear().
 */
void fio_fault_set(unsigned long after, int err, int sticky);

/* Disarm the fault. */
void fio_fault_clear(void);

/* Number of I/O calls made so far (to size a fault sweep); never reset. */
unsigned long fio_calls(void);

/* Non-zero once an armed fault has fired (since the last fio_fault_set). */
int fio_fault_fired(void);

/* Bytes moved so far by the transfer calls (fio_read_*, fio_pread_full,
 * fio_write_full, fio_pwrite_full, and so fio_atomic's writes), reads and
 * writes together; never reset.  Tests take differences of it to bound
 * the I/O of one step of a job. */
uint64_t fio_bytes(void);

/* ---- whole transfers ---------------------------------------------------- */

/* read(2) exactly len bytes (ENODATA at an early end of file). */
int fio_read_full(int fd, void *buf, size_t len);

/* read(2) until end of file or cap bytes; *got gets the count (got == cap
 * means "maybe more": the caller's size limit). */
int fio_read_upto(int fd, void *buf, size_t cap, size_t *got);

/* pread(2) exactly len bytes at off (ENODATA at an early end of file). */
int fio_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* write(2) / pwrite(2) all of buf. */
int fio_write_full(int fd, const void *buf, size_t len);
int fio_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

/* fsync(2), fdatasync(2), ftruncate(2) through the fault counter. */
int fio_fsync(int fd);
int fio_fdatasync(int fd);
int fio_ftruncate(int fd, uint64_t len);

/* ---- directories and opens --------------------------------------------- */

/*
 * Open (creating it with exactly mode, whatever the umask, when create is
 * set and it is missing) the directory at path for use as a private data
 * directory: it must be a real
 * directory (a symlink is refused with ELOOP), owned by the effective user
 * (EPERM otherwise) and not writable by group or others (EACCES otherwise).
 * Returns a descriptor (O_DIRECTORY|O_CLOEXEC) or -1.  The same checks for
 * a sub-directory of an open directory: fio_subdir_open.
 */
int fio_dir_open_private(const char *path, int create, mode_t mode);
int fio_subdir_open(int dfd, const char *name, int create, mode_t mode);

/* openat(2) with O_NOFOLLOW|O_CLOEXEC added: a symlink at name is refused
 * (ELOOP).  mode applies when flags create the file. */
int fio_openat(int dfd, const char *name, int flags, mode_t mode);

/* unlinkat(2), renameat(2) through the fault counter. */
int fio_unlinkat(int dfd, const char *name);
int fio_renameat(int dfd, const char *from, const char *to);

/* linkat(2) from (odfd, from) to (ndfd, to), never following a symlink at
 * from: the same inode, so bytes, size and mtime are the same. */
int fio_linkat(int odfd, const char *from, int ndfd, const char *to);

/* symlinkat(2): a symlink name in dfd whose content is target. */
int fio_symlinkat(const char *target, int dfd, const char *name);

/* readlinkat(2) into buf (cap bytes), NUL-terminated; ENAMETOOLONG when
 * the link's content does not fit, EINVAL when name is not a symlink. */
int fio_readlinkat(int dfd, const char *name, char *buf, size_t cap);

/* unlinkat(2) with AT_REMOVEDIR: remove the empty directory name in dfd. */
int fio_rmdirat(int dfd, const char *name);

/* fsync of a directory, by descriptor or by path. */
int fio_fsync_dirfd(int dfd);
int fio_fsync_dir(const char *path);

/* ---- atomic replacement ------------------------------------------------ */

#define FIO_NAME_MAX 255u
#define FIO_BUF_SIZE (64u * 1024u)

/* A file being written to replace `name` in a directory. */
typedef struct fio_atomic {
	int dfd;                        /* directory (owned when own_dfd) */
	int own_dfd;
	int fd;                         /* the temporary file, -1 when closed */
	int err;                        /* first errno met while writing, sticky */
	char name[FIO_NAME_MAX + 1];    /* target name in dfd */
	char tmp[FIO_NAME_MAX + 1];     /* ".name.XXXXXX" */
	unsigned char *buf;             /* FIO_BUF_SIZE bytes */
	size_t used;
	uint64_t size;                  /* bytes written so far */
	int renamed;                    /* commit renamed over the target */
} fio_atomic;

/*
 * Start replacing name in the directory dfd (which stays the caller's):
 * create an exclusive temporary file ".name.XXXXXX" (O_EXCL, no symlink
 * followed) with mode.  On failure nothing is left behind.
 */
int fio_atomic_begin(fio_atomic *a, int dfd, const char *name, mode_t mode);

/* The same for a path: the parent directory is opened (and owned by a). */
int fio_atomic_begin_path(fio_atomic *a, const char *path, mode_t mode);

/* Append len bytes (buffered).  An error is remembered and returned again
 * by every later call and by commit. */
int fio_atomic_write(fio_atomic *a, const void *buf, size_t len);

/*
 * Leave a hole of len bytes: what is buffered is written out, then the
 * file's offset moves len bytes on, so that the next write lands after
 * the hole (a->size counts it).  The caller fills the hole with
 * fio_pwrite_full on a->fd before commit; a hole at the end is not part
 * of the file until something is written after it.  0, or -1 as
 * fio_atomic_write (the error is remembered the same way).
 */
int fio_atomic_skip(fio_atomic *a, uint64_t len);

/* Write out what is buffered, so that the temporary file (a->tmp in
 * a->dfd) can be read back before commit.  0, or -1 as fio_atomic_write. */
int fio_atomic_flush(fio_atomic *a);

/*
 * Flush, fsync the file (unless nosync), rename it over the target, fsync
 * the directory (unless nosync) and release everything.  On failure the
 * temporary file is removed and the target is untouched, unless only the
 * directory's fsync failed: then a->renamed is set (the new file may be in
 * place or not after a crash).
 */
int fio_atomic_commit(fio_atomic *a, int nosync);

/* Give up: remove the temporary file and release everything.  Safe to call
 * after commit or on a zeroed struct with fd -1. */
void fio_atomic_abort(fio_atomic *a);

/* Write buf as the whole new content of name in dfd, atomically. */
int fio_replace(int dfd, const char *name, const void *buf, size_t len, mode_t mode,
		int nosync);

/* ---- buffered sequential reading --------------------------------------- */

/* Reads a file front to back through one buffer with pread(2), so that a
 * loader makes one system call per buffer, not one per field. */
typedef struct fio_reader {
	int fd;                 /* not owned */
	uint64_t off;           /* file offset of buf[0] */
	unsigned char *buf;
	size_t cap, pos, fill;  /* buf holds fill bytes, pos of them consumed */
} fio_reader;

/* Start reading fd at off with a buffer of bufsize bytes (FIO_BUF_SIZE if
 * 0).  -1 with ENOMEM if the buffer cannot be allocated. */
int fio_reader_init(fio_reader *r, int fd, uint64_t off, size_t bufsize);

/* Read exactly n bytes; at an early end of file -1 with errno ENODATA
 * (*got, if not NULL, says how many came).  Reads of at least the buffer's
 * size bypass it. */
int fio_reader_read(fio_reader *r, void *out, size_t n, size_t *got);

/* File offset of the next byte read. */
uint64_t fio_reader_tell(const fio_reader *r);

/* Release the buffer; safe on a zeroed struct. */
void fio_reader_free(fio_reader *r);

#endif /* BLF_FILEIO_H */
