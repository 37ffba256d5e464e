/*
 * evidence.c - equivocation evidence and freeze marks.
 *
 * evidence/<origin-hex>.<epoch>.<seq>.<hash-hex>.msg holds one envelope of
 * an equivocation, named by its message hash (SPEC 3.4): the one the
 * journal held and every different one received for the same (origin,
 * epoch, seq).  A name is never reused for other bytes, so evidence is
 * never overwritten: a file that exists already holds exactly these bytes
 * and is left alone; a new one is written to an exclusive temporary file
 * and renamed in (keys/fileio.h), so a crash leaves no half file.
 *
 * evidence/<origin-hex>.frozen marks a frozen origin.  The marks are the
 * only record of freezes: recovery reads them, the checkpoint does not
 * hold them, so an unfreeze (the mark removed and the directory synced)
 * survives any restart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../../keys/fileio.h"
#include "core_int.h"

#define EV_NAME_MAX 160u /* "<32 hex>.<epoch>.<seq>.<64 hex>.msg" fits */

static void
ev_name(char name[EV_NAME_MAX], const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch,
	uint64_t seq, const uint8_t hash[BLF_HASH_LEN])
{
	char hex[BLF_KEYID_HEX_LEN + 1], hh[2 * BLF_HASH_LEN + 1];

	blf_keyid_hex(origin, hex);
	sodium_bin2hex(hh, sizeof(hh), hash, BLF_HASH_LEN);
	snprintf(name, EV_NAME_MAX, "%s.%u.%llu.%s.msg", hex, epoch, (unsigned long long)seq,
		 hh);
}

/* See core.h. */
int
core_evidence_path(const core *c, const core_result *res, char *buf, size_t cap)
{
	char name[EV_NAME_MAX];
	int n;

	ev_name(name, res->origin, res->epoch, res->seq, res->evidence);
	n = snprintf(buf, cap, "%s/evidence/%s", c->dir, name);
	return n < 0 || (size_t)n >= cap ? BLF_EINVAL : 0;
}

/* Keep msg (whose message hash is hash) as evidence for (o, epoch, seq);
 * nothing to do if it is kept already.  The file is durable on return. */
int
core_evidence_keep(core *c, const struct origin *o, uint32_t epoch, uint64_t seq,
	      const uint8_t *msg, size_t len, const uint8_t hash[BLF_HASH_LEN])
{
	char name[EV_NAME_MAX];
	struct stat sb;

	ev_name(name, o->id, epoch, seq, hash);
	if (fstatat(c->evfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return S_ISREG(sb.st_mode) ? 0 : BLF_EEXIST;
	if (errno != ENOENT)
		return BLF_EIO;
	return fio_replace(c->evfd, name, msg, len, 0600, c->cfg.no_fsync) == 0 ? 0 : BLF_EIO;
}

/* Create (on) or remove (off) the freeze mark of o, durably. */
int
core_evidence_freeze_mark(core *c, const struct origin *o, int on)
{
	char name[BLF_KEYID_HEX_LEN + 8];

	snprintf(name, sizeof(name), "%s.frozen", o->hex);
	if (on) {
		if (fio_replace(c->evfd, name, "frozen\n", 7, 0600, c->cfg.no_fsync) != 0)
			return BLF_EIO;
		return 0;
	}
	if (fio_unlinkat(c->evfd, name) != 0 && errno != ENOENT)
		return BLF_EIO;
	if (!c->cfg.no_fsync && fio_fsync_dirfd(c->evfd) != 0)
		return BLF_EIO;
	return 0;
}

/* Set every origin's freeze flag from the marks (creating origins that
 * have a mark only).  Called by recovery. */
int
core_evidence_load_marks(core *c)
{
	uint8_t id[BLF_KEYID_LEN];
	struct dirent *de;
	struct origin *o;
	size_t i;
	DIR *d;
	int fd, rc = 0;

	for (i = 0; i < c->norigins; i++)
		c->origins[i]->frozen = 0;
	if ((fd = dup(c->evfd)) < 0)
		return BLF_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return BLF_EIO;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n != BLF_KEYID_HEX_LEN + 7 || strcmp(de->d_name + BLF_KEYID_HEX_LEN, ".frozen") != 0 ||
		    blf_keyid_parse(de->d_name, BLF_KEYID_HEX_LEN, id) != 0)
			continue;
		if ((rc = core_origin_get(c, id, &o)) != 0)
			break;
		o->frozen = 1;
	}
	closedir(d);
	return rc;
}
