/*
 * store.c - the trust store transaction used when a key statement arrives:
 * lock, load, apply, save, unlock.
 *
 * The lock is the one `blfed trust` takes (flock on "<store>.lock"), so
 * the daemon and an administrator editing the store never lose each
 * other's change.  This file is the only place that knows how: when keys/
 * offers a store transaction, store_apply_statement becomes a call to it.
 *
 * Applied statements are also kept in <datadir>/statements/, so that the
 * daemon republishes them now and then, across restarts (net_seen).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
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

/*
 * Keep an applied statement in <datadir>/statements/<hash>.stmt (temporary
 * file, fsync, rename), so that after a restart the daemon can still
 * republish it to agents that missed it.  Returns 0 or -1 after logging.
 */
int
store_keep_statement(const char *datadir, const uint8_t *msg, size_t len)
{
	char dir[CONF_PATH_MAX + 16], path[CONF_PATH_MAX + 128], tmp[CONF_PATH_MAX + 160];
	char hex[2 * BLF_HASH_LEN + 1];
	uint8_t h[BLF_HASH_LEN];
	blf_envelope env;
	int fd = -1, rc = -1;

	if (len > NET_MAX_STATEMENT || blf_envelope_parse(msg, len, &env) != BLF_OK)
		return -1;
	blf_envelope_hash(&env, h);
	ctl_hex_encode(h, sizeof(h), hex);
	snprintf(dir, sizeof(dir), "%s/statements", datadir);
	snprintf(path, sizeof(path), "%s/%s.stmt", dir, hex);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto out;
	if (write(fd, msg, len) != (ssize_t)len || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		log_msg(LOG_WARNING, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
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
	char dir[CONF_PATH_MAX + 16], path[CONF_PATH_MAX + 300];
	uint8_t buf[NET_MAX_STATEMENT + 1];
	struct dirent *e;
	size_t count = 0;
	ssize_t r;
	DIR *dh;
	int fd;

	snprintf(dir, sizeof(dir), "%s/statements", datadir);
	if ((dh = opendir(dir)) == NULL)
		return;
	while (count < NET_KEPT_STATEMENTS && (e = readdir(dh)) != NULL) {
		size_t nl = strlen(e->d_name);

		if (nl < 6 || strcmp(e->d_name + nl - 5, ".stmt") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		close(fd);
		if (r <= 0 || (size_t)r > NET_MAX_STATEMENT)
			continue;
		net_seen(n, buf, (size_t)r);
		count++;
	}
	closedir(dh);
	if (count > 0)
		log_msg(LOG_INFO, "%zu key statement(s) kept for republishing", count);
}
