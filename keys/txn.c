/*
 * txn.c - the trust store's lock and its transactions.
 *
 * Everyone who changes the store - `blfed trust` commands, the daemon
 * applying rollover and revocation statements received from the network -
 * does it as one transaction: take an exclusive flock(2) on "<store>.lock",
 * load the store, change it in memory, save it atomically, unlock.  Two
 * writers can then never each load the old store and lose one of the
 * updates.  Readers take a shared lock for the load only: the save is a
 * rename, so they see the old file or the new one; the lock spares them a
 * store that is being replaced while a writer validates it.
 *
 * The lock file is created beside the store (mode 0600, never through a
 * symlink) and never removed, so that every process locks the same inode.
 * A reader that cannot create or open it (a user without write access to
 * /etc/blfed running `blfed trust list`) goes on without a lock; a writer
 * cannot.  Locks are released by trust_store_txn_commit/abort, or when the
 * process exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "keys.h"
#include "keys_int.h"

/* Open and flock "<path>.lock"; the descriptor, or -1 with errno set. */
static int
lock_open(const char *path, int exclusive)
{
	char *lp;
	size_t n = strlen(path);
	int fd, e;

	if ((lp = malloc(n + 6)) == NULL)
		return -1;
	memcpy(lp, path, n);
	memcpy(lp + n, ".lock", 6);
	fd = open(lp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && !exclusive && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(lp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	free(lp);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
		if (errno != EINTR) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	return fd;
}

/*
 * Begin a transaction on the store at path; see keys.h.
 */
int
trust_store_txn_begin(trust_txn *t, const char *path, trust_store *st, char *err,
		      size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	memset(st, 0, sizeof(*st));
	if ((t->path = strdup(path)) == NULL)
		return BLF_ENOMEM;
	if ((t->fd = lock_open(path, 1)) < 0) {
		keys_seterr(err, errlen, "%s.lock: cannot lock the trust store: %s", path,
			    strerror(errno));
		free(t->path);
		t->path = NULL;
		return BLF_EIO;
	}
	t->held = 1;
	if ((rc = trust_store_load(path, st, err, errlen)) != BLF_OK)
		trust_store_txn_abort(t);
	return rc;
}

/*
 * Save st and end the transaction; see keys.h.
 */
int
trust_store_txn_commit(trust_txn *t, const trust_store *st, char *err, size_t errlen)
{
	int rc;

	if (!t->held) {
		keys_seterr(err, errlen, "trust store transaction not begun");
		return BLF_EINVAL;
	}
	rc = trust_store_save(st, t->path, err, errlen);
	trust_store_txn_abort(t);
	return rc;
}

/*
 * End the transaction without saving; see keys.h.
 */
void
trust_store_txn_abort(trust_txn *t)
{
	if (t->held) {
		close(t->fd); /* releases the flock */
		t->held = 0;
	}
	free(t->path);
	t->path = NULL;
}

/*
 * Load under a shared lock; see keys.h.
 */
int
trust_store_read(const char *path, trust_store *st, char *err, size_t errlen)
{
	int fd, rc;

	fd = lock_open(path, 0);
	rc = trust_store_load(path, st, err, errlen);
	if (fd >= 0)
		close(fd);
	return rc;
}
