/*
 * store.c - the trust store transaction used when a key statement arrives:
 * lock, load, apply, save, unlock.
 *
 * The lock is the one `blfed trust` takes (flock on "<store>.lock"), so
 * the daemon and an administrator editing the store never lose each
 * other's change.  This file is the only place that knows how: when keys/
 * offers a store transaction, store_apply_statement becomes a call to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "blfedd.h"

/*
 * Apply one rollover or revocation envelope to the store file.  Returns
 * BLF_OK (saved; *out holds the new store), BLF_ESTALE (already applied),
 * a verification or policy code from trust_apply_statement, or BLF_EIO;
 * err says why.  The file is unchanged on any error.
 */
int
store_apply_statement(const char *trustfile, const uint8_t *msg, size_t len, uint64_t now,
		      trust_store *out, unsigned *type, char *err, size_t errlen)
{
	trust_store st = {NULL, 0};
	char path[CONF_PATH_MAX + 8];
	int fd = -1, rc = BLF_EIO;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", trustfile) >= sizeof(path)) {
		snprintf(err, errlen, "%s: name too long", trustfile);
		goto out;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: lock: %s", path, strerror(errno));
			goto out;
		}
	}
	if ((rc = trust_store_load(trustfile, &st, err, errlen)) != BLF_OK)
		goto out;
	if ((rc = trust_apply_statement(&st, msg, len, now, type, err, errlen)) != BLF_OK)
		goto out;
	if ((rc = trust_store_save(&st, trustfile, err, errlen)) != BLF_OK)
		goto out;
	*out = st;
	st.anchors = NULL;
	st.nanchors = 0;
out:
	trust_store_free(&st);
	if (fd >= 0)
		close(fd); /* releases the lock */
	return rc;
}
