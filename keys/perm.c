/*
 * perm.c - will the user a daemon drops to be able to use its files?
 *
 * blfedd starts as root, reads its key, trust store and configuration,
 * binds its sockets and then becomes the configured `user`.  From then on
 * that user re-reads the configuration and the key (SIGHUP), rewrites the
 * trust store (rollover and revocation statements from the network) and
 * owns the data and export directories.  A file that only root can use
 * would fail hours later, on the first statement or reload; keys_user_check
 * says so at start-up instead, with the fix.
 *
 * The judgement is made from owners and mode bits as the kernel applies
 * them (the owner's bits if the user owns it, else the group's if one of
 * the user's groups owns it, else the others'), for the file, the
 * directory holding it and every directory above, which the user must be
 * able to search.  ACLs are not consulted: where they grant more than the
 * bits, the check is stricter than the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "keys_int.h"

#define MAY_R 4
#define MAY_W 2
#define MAY_X 1

/* May u do `want` (MAY_* bits) to what sb describes, by its mode bits? */
static int
may(const struct stat *sb, const keys_user *u, unsigned want)
{
	unsigned bits;
	int i, member = sb->st_gid == u->gid;

	for (i = 0; i < u->ngroups && !member; i++)
		member = sb->st_gid == u->groups[i];
	if (sb->st_uid == u->uid)
		bits = (unsigned)(sb->st_mode >> 6) & 7;
	else if (member)
		bits = (unsigned)(sb->st_mode >> 3) & 7;
	else
		bits = (unsigned)sb->st_mode & 7;
	return (bits & want) == want;
}

/* The directory holding path, resolved (malloc'd), or NULL with errno. */
static char *
parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d, *r;

	if (slash == NULL)
		return realpath(".", NULL);
	if (slash == path)
		return realpath("/", NULL);
	if ((d = strndup(path, (size_t)(slash - path))) == NULL)
		return NULL;
	r = realpath(d, NULL);
	free(d);
	return r;
}

/* Every directory from / down to dir (resolved) must be searchable by u. */
static int
reach(const char *dir, const char *path, const char *what, const keys_user *u, char *err,
      size_t errlen)
{
	char *p;
	size_t i, n = strlen(dir);
	struct stat sb;
	int rc = BLF_OK;

	if ((p = malloc(n + 2)) == NULL)
		return BLF_ENOMEM;
	for (i = 1; i <= n; i++) {
		if (i < n && dir[i] != '/')
			continue;
		memcpy(p, dir, i);
		p[i] = '\0';
		if (stat(p, &sb) != 0) {
			keys_seterr(err, errlen, "%s %s: %s: %s", what, path, p, strerror(errno));
			rc = BLF_EIO;
			break;
		}
		if (!may(&sb, u, MAY_X)) {
			keys_seterr(err, errlen, "%s %s: user %s cannot reach it after the privilege "
				    "drop: directory %s (mode %04o) is closed to it; chmod o+x %s",
				    what, path, u->name, p, (unsigned)(sb.st_mode & 07777), p);
			rc = BLF_EPOLICY;
			break;
		}
		if (i == 1 && n == 1)
			break;
	}
	free(p);
	return rc;
}

/* See keys.h. */
int
keys_user_check(const char *path, const char *what, int use, const keys_user *u,
		char *err, size_t errlen)
{
	struct stat sb, db, lb;
	char *dir = NULL, *lock = NULL;
	int rc = BLF_EIO, have;

	if (u->uid == 0)
		return BLF_OK;
	if ((dir = parent_of(path)) == NULL) {
		keys_seterr(err, errlen, "%s %s: its directory: %s", what, path, strerror(errno));
		goto out;
	}
	if ((rc = reach(dir, path, what, u, err, errlen)) != BLF_OK)
		goto out;
	rc = BLF_EIO;
	have = stat(path, &sb) == 0;
	if ((!have && errno != ENOENT) || stat(dir, &db) != 0) {
		keys_seterr(err, errlen, "%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	rc = BLF_EPOLICY;
	switch (use) {
	case KEYS_USE_READ:
		if (have && !may(&sb, u, MAY_R)) {
			keys_seterr(err, errlen, "%s %s: user %s cannot read it after the privilege "
				    "drop (a reload reads it again); chown %s %s", what, path,
				    u->name, u->name, path);
			goto out;
		}
		break;
	case KEYS_USE_REWRITE:
		if (!may(&db, u, MAY_W | MAY_X)) {
			keys_seterr(err, errlen, "%s %s: user %s cannot rewrite it after the "
				    "privilege drop (key statements from the network are saved "
				    "there): directory %s is not writable by it; chown %s %s %s",
				    what, path, u->name, dir, u->name, dir, path);
			goto out;
		}
		if (have && (db.st_mode & S_ISVTX) != 0 && sb.st_uid != u->uid &&
		    db.st_uid != u->uid) {
			keys_seterr(err, errlen, "%s %s: user %s cannot rewrite it after the "
				    "privilege drop: directory %s is sticky and the file is not "
				    "its own; chown %s %s", what, path, u->name, dir, u->name, path);
			goto out;
		}
		if (have && !may(&sb, u, MAY_R)) {
			keys_seterr(err, errlen, "%s %s: user %s cannot read it after the privilege "
				    "drop; chown %s %s", what, path, u->name, u->name, path);
			goto out;
		}
		rc = BLF_ENOMEM;
		if ((lock = malloc(strlen(path) + sizeof(".lock"))) == NULL)
			goto out;
		memcpy(lock, path, strlen(path));
		memcpy(lock + strlen(path), ".lock", sizeof(".lock"));
		rc = BLF_EPOLICY;
		if (stat(lock, &lb) == 0 && !may(&lb, u, MAY_R | MAY_W)) {
			keys_seterr(err, errlen, "%s %s: user %s cannot lock it after the privilege "
				    "drop: %s is not writable by it; chown %s %s", what, path,
				    u->name, lock, u->name, lock);
			goto out;
		}
		break;
	case KEYS_USE_DIR:
		if (!have && !may(&db, u, MAY_W | MAY_X)) {
			keys_seterr(err, errlen, "%s %s does not exist and user %s cannot create it "
				    "in %s; mkdir %s && chown %s %s", what, path, u->name, dir, path,
				    u->name, path);
			goto out;
		}
		if (have && sb.st_uid != u->uid) {
			keys_seterr(err, errlen, "%s %s belongs to uid %u, not to user %s (uid %u) "
				    "who uses it after the privilege drop; chown %s %s", what, path,
				    (unsigned)sb.st_uid, u->name, (unsigned)u->uid, u->name, path);
			goto out;
		}
		if (have && !may(&sb, u, MAY_R | MAY_W | MAY_X)) {
			keys_seterr(err, errlen, "%s %s (mode %04o) is not writable by user %s; "
				    "chmod u+rwx %s", what, path, (unsigned)(sb.st_mode & 07777),
				    u->name, path);
			goto out;
		}
		break;
	default:
		rc = BLF_EINVAL;
		goto out;
	}
	rc = BLF_OK;
out:
	free(dir);
	free(lock);
	return rc;
}
