/*
 * store.c - the trust store transaction used when a key statement arrives:
 * lock, load, apply, save, unlock.
 *
 * The lock is keys/' store transaction, the one `blfed trust` takes, so
 * the daemon and an administrator editing the store never lose each
 * other's change.
 *
 * Applied statements are also kept in <datadir>/statements/, so that the
 * daemon republishes them now and then, across restarts (net_seen).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "blfedd.h"
#include "../../keys/fileio.h"

/*
 * Apply one rollover or revocation envelope to the store file under the
 * store transaction of keys/ (the lock `blfed trust` takes).  Returns
 * BLF_OK (saved; *out holds the new store), BLF_ESTALE (already applied),
 * a verification or policy code from trust_apply_statement, or BLF_EIO;
 * err says why.  The file is unchanged on any error.
 */
int
store_apply_statement(const char *trustfile, const uint8_t *msg, size_t len, uint64_t now,
		      trust_store *out, unsigned *type, char *err, size_t errlen)
{
	trust_store st = { 0 };
	trust_txn txn = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if ((rc = trust_store_txn_begin(&txn, trustfile, &st, err, errlen)) != BLF_OK)
		return rc;
	if ((rc = trust_apply_statement(&st, msg, len, now, type, err, errlen)) != BLF_OK) {
		trust_store_txn_abort(&txn);
		trust_store_free(&st);
		return rc;
	}
	if ((rc = trust_store_txn_commit(&txn, &st, err, errlen)) != BLF_OK) {
		trust_store_free(&st);
		return rc;
	}
	*out = st;
	return BLF_OK;
}

/*
 * Keep an applied statement in <datadir>/statements/<hash>.stmt (exclusive
 * temporary file, fsync, rename, directory fsync; the directory must be
 * ours and closed to others, no symlink followed), so that after a restart
 * the daemon can still republish it to agents that missed it.  Returns 0
 * or -1 after logging.
 */
int
store_keep_statement(const char *datadir, const uint8_t *msg, size_t len)
{
	char name[2 * BLF_HASH_LEN + 8];
	char hex[2 * BLF_HASH_LEN + 1];
	uint8_t h[BLF_HASH_LEN];
	blf_envelope env;
	int dfd = -1, sfd = -1, rc = -1;

	if (len > NET_MAX_STATEMENT || blf_envelope_parse(msg, len, &env) != BLF_OK)
		return -1;
	blf_envelope_hash(&env, h);
	ctl_hex_encode(h, sizeof(h), hex);
	snprintf(name, sizeof(name), "%s.stmt", hex);
	if ((dfd = fio_dir_open_private(datadir, 0, 0700)) < 0 ||
	    (sfd = fio_subdir_open(dfd, "statements", 1, 0700)) < 0 ||
	    fio_replace(sfd, name, msg, len, 0600, 0) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		log_msg(LOG_WARNING, "%s/statements/%s: %s", datadir, name, strerror(errno));
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/*
 * Hand the kept statements (at most NET_KEPT_STATEMENTS, each at most
 * NET_MAX_STATEMENT bytes; they were verified before they were kept) to the
 * net, which republishes them with its heads.
 */
void
store_load_statements(const char *datadir, net *n)
{
	uint8_t buf[NET_MAX_STATEMENT + 1];
	struct dirent *e;
	size_t count = 0, got;
	DIR *dh;
	int fd, r, dfd, sfd;

	if ((dfd = fio_dir_open_private(datadir, 0, 0700)) < 0)
		return;
	sfd = fio_subdir_open(dfd, "statements", 0, 0700);
	close(dfd);
	if (sfd < 0 || (dh = fdopendir(sfd)) == NULL) {
		if (sfd >= 0)
			close(sfd);
		return;
	}
	while (count < NET_KEPT_STATEMENTS && (e = readdir(dh)) != NULL) {
		size_t nl = strlen(e->d_name);

		if (nl < 6 || strcmp(e->d_name + nl - 5, ".stmt") != 0)
			continue;
		if ((fd = fio_openat(sfd, e->d_name, O_RDONLY, 0)) < 0)
			continue;
		r = fio_read_upto(fd, buf, sizeof(buf), &got);
		close(fd);
		if (r != 0 || got == 0 || got > NET_MAX_STATEMENT)
			continue;
		net_seen(n, buf, got);
		count++;
	}
	closedir(dh); /* closes sfd */
	if (count > 0)
		log_msg(LOG_INFO, "%zu key statement(s) kept for republishing", count);
}
