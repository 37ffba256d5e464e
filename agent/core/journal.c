/*
 * journal.c - the data directory: journals, checkpoint, evidence, compaction.
 *
 * Journal: one append-only file per (origin, epoch),
 * <datadir>/log/<origin-hex>.<epoch>.jnl.  Each record is
 *
 *     u32 length (little-endian) || envelope bytes || 8-byte checksum
 *
 * where the envelope is the exact signed message as received (so it can be
 * re-served and re-verified) and the checksum is the first 8 bytes of
 * BLAKE2b-128 over the length field and the envelope.  A record counts once
 * it has been fsynced.  Recovery reads each file, stops at the first record
 * whose framing or checksum fails (a torn tail after a crash) or that does
 * not continue the origin's hash chain, truncates the file there, and
 * replays the records the checkpoint does not already cover.  When a newer
 * epoch's file holds a valid first record, the older epoch files are
 * removed: the newer epoch replaces the origin's state.
 *
 * Checkpoint: <datadir>/checkpoint, written to a temporary file, fsynced
 * and renamed.  It is a local cache in host byte order (an endianness
 * marker rejects a foreign one) holding every origin's head, freeze flag,
 * records, hash index, journal index and the interned references, followed
 * by a fast 64-bit checksum of everything before it.  A restart loads it
 * with bulk reads straight into the final arrays (no index rebuild) and
 * replays only journal records after its position.  The trust store's
 * hash is kept so that unchanged policy needs no verdict recomputation.
 *
 * Compaction keeps the checkpoint as the local base and rewrites each
 * journal without the records older than the window that the checkpoint
 * covers; the lowest seq still held answers catch-up requests for older
 * ones with BLF_CATCHUP_COMPACTED.
 *
 * Evidence: <datadir>/evidence/<origin-hex>.<epoch>.<seq>.{stored,received}
 * hold the two conflicting envelopes of an equivocation, and
 * <origin-hex>.frozen marks a frozen origin (removed by core_unfreeze).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sodium.h>

#include "core_int.h"

#define REC_HDR 4u
#define REC_SUM 8u
#define REC_OVERHEAD (REC_HDR + REC_SUM)
#define CKPT_MAGIC "BLFCKPT1"
#define CKPT_ENDIAN 0x01020304u
#define CKPT_VERSION 1u

/* Format a path inside the data directory; BLF_EINVAL if it does not fit. */
int
core_path(const core *c, char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n, m;

	n = snprintf(buf, cap, "%s/", c->dir);
	if (n < 0 || (size_t)n >= cap)
		return BLF_EINVAL;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= cap - (size_t)n)
		return BLF_EINVAL;
	return 0;
}

/* fsync a directory so that a creation or rename in it is durable. */
int
fsync_dir(const char *path)
{
	int fd, rc = BLF_EIO;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return BLF_EIO;
	if (fsync(fd) == 0)
		rc = 0;
	close(fd);
	return rc;
}

static void
rec_sum(const uint8_t hdr[REC_HDR], const uint8_t *msg, size_t len, uint8_t sum[REC_SUM])
{
	crypto_generichash_state st;
	uint8_t h[16];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, hdr, REC_HDR);
	crypto_generichash_update(&st, msg, len);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(sum, h, REC_SUM);
}

static int
write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return BLF_EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return BLF_EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
jrec_push(struct origin *o, const struct jrec *j)
{
	struct jrec *nj;
	size_t cap;

	if (o->njrecs == o->capjrecs) {
		cap = o->capjrecs ? o->capjrecs * 2 : 64;
		if ((nj = realloc(o->jrecs, cap * sizeof(*nj))) == NULL)
			return BLF_ENOMEM;
		o->jrecs = nj;
		o->capjrecs = cap;
	}
	o->jrecs[o->njrecs++] = *j;
	return 0;
}

static int
journal_open_file(core *c, struct origin *o, uint32_t epoch, int create)
{
	char path[CORE_MAX_PATH], dir[CORE_MAX_PATH];
	int fd, rc;

	if ((rc = core_path(c, path, sizeof(path), "log/%s.%u.jnl", o->hex, epoch)) != 0)
		return rc;
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0)
		return BLF_EIO;
	if (create && !c->cfg.no_fsync) {
		if ((rc = core_path(c, dir, sizeof(dir), "log")) != 0 ||
		    (rc = fsync_dir(dir)) != 0) {
			close(fd);
			return rc;
		}
	}
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
	o->jepoch = epoch;
	return 0;
}

/*
 * Append one record for (epoch, seq).  A new epoch starts a new file (the
 * old one is unlinked by journal_sync once the new one is durable) and a
 * new journal index.  The record is not durable until journal_sync.
 */
int
journal_append(core *c, struct origin *o, uint32_t epoch, uint64_t seq, const uint8_t *msg,
	       size_t len, uint64_t created, const uint8_t hash[BLF_HASH_LEN])
{
	uint8_t hdr[REC_HDR], sum[REC_SUM];
	struct iovec iov[3];
	struct jrec j;
	uint64_t off;
	ssize_t n;
	int rc, i;

	if (len > BLF_MAX_MSG_SIZE)
		return BLF_ETOOBIG;
	if (o->fd < 0 || o->jepoch != epoch) {
		if (o->fd >= 0 && o->jepoch < epoch && o->drop_epoch == 0)
			o->drop_epoch = o->jepoch;
		if ((rc = journal_open_file(c, o, epoch, 1)) != 0)
			return rc;
		o->jsize = 0;
		o->njrecs = 0;
		o->low_seq = seq;
	}
	hdr[0] = (uint8_t)len;
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 24);
	rec_sum(hdr, msg, len, sum);
	j.off = o->jsize;
	j.len = (uint32_t)len;
	j.created = (uint32_t)created;
	memcpy(j.hash, hash, BLF_HASH_LEN);
	if ((rc = jrec_push(o, &j)) != 0)
		return rc;
	iov[0].iov_base = hdr;
	iov[0].iov_len = REC_HDR;
	iov[1].iov_base = (void *)(uintptr_t)msg;
	iov[1].iov_len = len;
	iov[2].iov_base = sum;
	iov[2].iov_len = REC_SUM;
	off = o->jsize;
	i = 0;
	while (i < 3) {
		n = pwritev(o->fd, iov + i, 3 - i, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* a torn record is cut off again by recovery or overwritten by
			 * the next append at the same offset */
			o->njrecs--;
			return BLF_EIO;
		}
		off += (uint64_t)n;
		while (i < 3 && (size_t)n >= iov[i].iov_len) {
			n -= (ssize_t)iov[i].iov_len;
			i++;
		}
		if (i < 3) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + n;
			iov[i].iov_len -= (size_t)n;
		}
	}
	o->jsize = off;
	o->jdirty = 1;
	return 0;
}

/* Make the appended records durable; then drop a superseded epoch file. */
int
journal_sync(core *c, struct origin *o)
{
	char path[CORE_MAX_PATH];

	if (!o->jdirty)
		return 0;
	if (!c->cfg.no_fsync && fdatasync(o->fd) != 0)
		return BLF_EIO;
	o->jdirty = 0;
	if (o->drop_epoch != 0) {
		if (core_path(c, path, sizeof(path), "log/%s.%u.jnl", o->hex,
			      o->drop_epoch) == 0)
			unlink(path);
		o->drop_epoch = 0;
	}
	return 0;
}

/* Read the envelope of journal record i into a malloc'd buffer. */
int
journal_read(const struct origin *o, size_t i, uint8_t **buf, size_t *len)
{
	const struct jrec *j = &o->jrecs[i];
	uint8_t *b;

	*buf = NULL;
	if ((b = malloc(j->len ? j->len : 1)) == NULL)
		return BLF_ENOMEM;
	if (read_all(o->fd, b, j->len, j->off + REC_HDR) != 0) {
		free(b);
		return BLF_EIO;
	}
	*buf = b;
	*len = j->len;
	return 0;
}

/* ---- recovery ------------------------------------------------------------ */

/* Length of the valid record at off, or 0 if the framing or checksum fails. */
static size_t
rec_check(const uint8_t *b, size_t size, size_t off)
{
	uint8_t sum[REC_SUM];
	size_t len;

	if (size - off < REC_OVERHEAD)
		return 0;
	len = (size_t)b[off] | (size_t)b[off + 1] << 8 | (size_t)b[off + 2] << 16 |
	      (size_t)b[off + 3] << 24;
	if (len == 0 || len > BLF_MAX_MSG_SIZE || size - off - REC_OVERHEAD < len)
		return 0;
	rec_sum(b + off, b + off + REC_HDR, len, sum);
	if (memcmp(sum, b + off + REC_HDR + len, REC_SUM) != 0)
		return 0;
	return len;
}

/*
 * Scan one journal file of o for epoch.  Records at seq <= o->seq (covered
 * by the checkpoint) are indexed, later ones replayed.  The file is cut at
 * the first bad record.  *used is 0 if the file held nothing usable.
 */
static int
scan_file(core *c, struct origin *o, uint32_t epoch, int *used)
{
	char path[CORE_MAX_PATH];
	uint8_t *b = NULL, hash[BLF_HASH_LEN];
	size_t size = 0, off = 0, len;
	uint64_t seq, base = 0, fsize;
	uint32_t created;
	struct jrec j;
	struct stat sb;
	int fd = -1, rc, fresh = epoch > o->epoch, trusted = 0;

	*used = 0;
	if ((rc = core_path(c, path, sizeof(path), "log/%s.%u.jnl", o->hex, epoch)) != 0)
		return rc;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return BLF_EIO;
	rc = BLF_EIO;
	if (fstat(fd, &sb) != 0)
		goto out;
	fsize = (uint64_t)sb.st_size;
	if (!fresh && o->njrecs > 0 && o->jsize <= fsize) {
		/* the checkpoint's index: check that its last record still stands,
		 * then read only what follows it */
		const struct jrec *last = &o->jrecs[o->njrecs - 1];
		size_t n = last->len + REC_OVERHEAD;

		if (last->off + n == o->jsize) {
			rc = BLF_ENOMEM;
			if ((b = malloc(n)) == NULL)
				goto out;
			if (read_all(fd, b, n, last->off) == 0 && rec_check(b, n, 0) == last->len)
				trusted = 1;
			free(b);
			b = NULL;
		}
	}
	if (trusted)
		base = o->jsize;
	size = (size_t)(fsize - base);
	rc = BLF_ENOMEM;
	if ((b = malloc(size ? size : 1)) == NULL)
		goto out;
	rc = BLF_EIO;
	if (read_all(fd, b, size, base) != 0)
		goto out;
	if (fresh) {
		/* a newer epoch replaces the state only if its first record
		 * would be accepted; otherwise the file is left to the caller */
		rc = 0;
		if ((len = rec_check(b, size, 0)) == 0 ||
		    core_replay(c, o, b + REC_HDR, len, epoch, 0, 1, &seq, &created, hash) != 0)
			goto out;
		o->njrecs = 0;
		o->jsize = 0;
	} else if (!trusted) {
		o->njrecs = 0;
	}
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
	o->jepoch = epoch;
	fd = -1;
	while ((len = rec_check(b, size, off)) != 0) {
		uint64_t expect = o->njrecs > 0 ? o->low_seq + o->njrecs : 0;

		rc = core_replay(c, o, b + off + REC_HDR, len, epoch, expect, 0, &seq, &created,
				 hash);
		if (rc == BLF_ENOMEM)
			goto out; /* not the record's fault: keep the file as it is */
		if (rc != 0)
			break;
		if (o->njrecs == 0)
			o->low_seq = seq;
		j.off = base + off;
		j.len = (uint32_t)len;
		j.created = created;
		memcpy(j.hash, hash, BLF_HASH_LEN);
		if ((rc = jrec_push(o, &j)) != 0)
			goto out;
		off += len + REC_OVERHEAD;
	}
	rc = 0;
	if (off < size && ftruncate(o->fd, (off_t)(base + off)) != 0) {
		rc = BLF_EIO;
		goto out;
	}
	if (off < size && !c->cfg.no_fsync)
		fdatasync(o->fd);
	o->jsize = base + off;
	*used = o->njrecs > 0;
	if (o->njrecs == 0)
		o->low_seq = o->seq + 1;
	if (!fresh && o->njrecs > 0 &&
	    o->low_seq + o->njrecs - 1 < o->seq) {
		/* the journal ends before the checkpoint: keep the checkpoint's
		 * state, forget the index (requests get COMPACTED) */
		o->njrecs = 0;
		o->low_seq = o->seq + 1;
	}
out:
	if (fd >= 0)
		close(fd);
	free(b);
	return rc;
}

struct jfile {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
};

static int
jfile_cmp(const void *a, const void *b)
{
	const struct jfile *x = a, *y = b;
	int r = memcmp(x->origin, y->origin, BLF_KEYID_LEN);

	if (r != 0)
		return r;
	return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

static int
parse_name(const char *name, const char *suffix, uint8_t origin[BLF_KEYID_LEN],
	   uint32_t *epoch)
{
	const char *dot;
	char *end;
	unsigned long e;

	if (strlen(name) < BLF_KEYID_HEX_LEN + 1 || name[BLF_KEYID_HEX_LEN] != '.')
		return -1;
	if (blf_keyid_parse(name, BLF_KEYID_HEX_LEN, origin) != 0)
		return -1;
	if (epoch == NULL)
		return strcmp(name + BLF_KEYID_HEX_LEN, suffix) == 0 ? 0 : -1;
	dot = name + BLF_KEYID_HEX_LEN + 1;
	errno = 0;
	e = strtoul(dot, &end, 10);
	if (errno != 0 || end == dot || e == 0 || e > UINT32_MAX || strcmp(end, suffix) != 0)
		return -1;
	*epoch = (uint32_t)e;
	return 0;
}

/*
 * Recover every journal after checkpoint_load: older epochs than an
 * origin's state are removed, its own epoch is indexed and its tail
 * replayed, newer epochs replace the state.  Freeze marks are read too.
 */
int
journal_recover(core *c)
{
	char path[CORE_MAX_PATH];
	struct jfile *files = NULL, *nf;
	size_t nfiles = 0, cap = 0, i;
	struct dirent *de;
	struct origin *o;
	DIR *d = NULL;
	uint8_t id[BLF_KEYID_LEN];
	uint32_t epoch;
	int rc = BLF_EIO, used;

	if (core_path(c, path, sizeof(path), "log") != 0 || (d = opendir(path)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (parse_name(de->d_name, ".jnl", id, &epoch) != 0)
			continue;
		if (nfiles == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nf = realloc(files, cap * sizeof(*nf))) == NULL) {
				rc = BLF_ENOMEM;
				goto out;
			}
			files = nf;
		}
		memcpy(files[nfiles].origin, id, BLF_KEYID_LEN);
		files[nfiles++].epoch = epoch;
	}
	closedir(d);
	d = NULL;
	if (nfiles > 1)
		qsort(files, nfiles, sizeof(*files), jfile_cmp);
	for (i = 0; i < nfiles; i++) {
		if ((rc = origin_get(c, files[i].origin, &o)) != 0)
			goto out;
		if (core_path(c, path, sizeof(path), "log/%s.%u.jnl", o->hex,
			      files[i].epoch) != 0)
			continue;
		if (files[i].epoch < o->epoch) {
			unlink(path);
			continue;
		}
		if ((rc = scan_file(c, o, files[i].epoch, &used)) != 0)
			goto out;
		if (!used && files[i].epoch > o->epoch) {
			/* nothing valid in a newer epoch: it never started */
			unlink(path);
			continue;
		}
		/* a newer usable epoch replaced older ones */
		if (files[i].epoch == o->epoch && i > 0 &&
		    memcmp(files[i - 1].origin, files[i].origin, BLF_KEYID_LEN) == 0 &&
		    files[i - 1].epoch < o->epoch &&
		    core_path(c, path, sizeof(path), "log/%s.%u.jnl", o->hex,
			      files[i - 1].epoch) == 0)
			unlink(path);
	}
	/* reopen the journal of each origin's current epoch for appends */
	for (i = 0; i < c->norigins; i++) {
		o = c->origins[i];
		if (o->epoch != 0 && (o->fd < 0 || o->jepoch != o->epoch)) {
			if (journal_open_file(c, o, o->epoch, 0) != 0) {
				/* no file: the checkpoint alone holds this origin */
				o->njrecs = 0;
				o->jsize = 0;
				o->low_seq = o->seq + 1;
				if ((rc = journal_open_file(c, o, o->epoch, 1)) != 0)
					goto out;
			}
		}
	}
	/* freeze marks */
	if (core_path(c, path, sizeof(path), "evidence") != 0 || (d = opendir(path)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (parse_name(de->d_name, ".frozen", id, NULL) != 0)
			continue;
		if ((rc = origin_get(c, id, &o)) != 0)
			goto out;
		o->frozen = 1;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	free(files);
	return rc;
}

/* ---- evidence ------------------------------------------------------------ */

static int
write_file(core *c, const char *path, const uint8_t *b, size_t len)
{
	int fd, rc = BLF_EIO;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return BLF_EIO;
	if (write_all(fd, b, len, 0) == 0 && (c->cfg.no_fsync || fsync(fd) == 0))
		rc = 0;
	if (close(fd) != 0)
		rc = BLF_EIO;
	return rc;
}

/* Store both messages of an equivocation; path receives the received one. */
int
journal_write_evidence(core *c, const struct origin *o, uint32_t epoch, uint64_t seq,
		       const uint8_t *stored, size_t slen, const uint8_t *msg, size_t len,
		       char *path, size_t pathlen)
{
	char p[CORE_MAX_PATH], dir[CORE_MAX_PATH];
	int rc;

	if ((rc = core_path(c, dir, sizeof(dir), "evidence")) != 0)
		return rc;
	if (stored != NULL &&
	    ((rc = core_path(c, p, sizeof(p), "evidence/%s.%u.%llu.stored", o->hex, epoch,
			     (unsigned long long)seq)) != 0 ||
	     (rc = write_file(c, p, stored, slen)) != 0))
		return rc;
	if ((rc = core_path(c, p, sizeof(p), "evidence/%s.%u.%llu.received", o->hex, epoch,
			    (unsigned long long)seq)) != 0 ||
	    (rc = write_file(c, p, msg, len)) != 0)
		return rc;
	if (path != NULL)
		snprintf(path, pathlen, "%s", p);
	return c->cfg.no_fsync ? 0 : fsync_dir(dir);
}

/* Create (on) or remove (off) the freeze mark of o. */
int
journal_freeze_mark(core *c, const struct origin *o, int on)
{
	char p[CORE_MAX_PATH], dir[CORE_MAX_PATH];
	int rc;

	if ((rc = core_path(c, dir, sizeof(dir), "evidence")) != 0 ||
	    (rc = core_path(c, p, sizeof(p), "evidence/%s.frozen", o->hex)) != 0)
		return rc;
	if (on)
		rc = write_file(c, p, (const uint8_t *)"frozen\n", 7);
	else if (unlink(p) != 0 && errno != ENOENT)
		rc = BLF_EIO;
	if (rc == 0 && !c->cfg.no_fsync)
		rc = fsync_dir(dir);
	return rc;
}

/* ---- compaction ---------------------------------------------------------- */

/* Rewrite o's journal keeping the records from keep_seq on. */
int
journal_compact(core *c, struct origin *o, uint64_t keep_seq)
{
	char path[CORE_MAX_PATH], tmp[CORE_MAX_PATH], dir[CORE_MAX_PATH];
	uint8_t *b = NULL;
	size_t k, i;
	uint64_t base, n;
	int fd = -1, rc;

	if (o->fd < 0 || o->njrecs == 0 || keep_seq <= o->low_seq)
		return 0;
	k = (size_t)(keep_seq - o->low_seq);
	if (k > o->njrecs)
		k = o->njrecs;
	base = k < o->njrecs ? o->jrecs[k].off : o->jsize;
	n = o->jsize - base;
	if ((rc = core_path(c, path, sizeof(path), "log/%s.%u.jnl", o->hex, o->jepoch)) != 0 ||
	    (rc = core_path(c, tmp, sizeof(tmp), "log/%s.%u.tmp", o->hex, o->jepoch)) != 0 ||
	    (rc = core_path(c, dir, sizeof(dir), "log")) != 0)
		return rc;
	rc = BLF_ENOMEM;
	if ((b = malloc(n ? n : 1)) == NULL)
		goto out;
	rc = BLF_EIO;
	if (read_all(o->fd, b, n, base) != 0)
		goto out;
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto out;
	if (write_all(fd, b, n, 0) != 0 || (!c->cfg.no_fsync && fsync(fd) != 0))
		goto out;
	if (rename(tmp, path) != 0)
		goto out;
	if (!c->cfg.no_fsync)
		fsync_dir(dir);
	close(o->fd);
	o->fd = fd;
	fd = -1;
	memmove(o->jrecs, o->jrecs + k, (o->njrecs - k) * sizeof(*o->jrecs));
	o->njrecs -= k;
	for (i = 0; i < o->njrecs; i++)
		o->jrecs[i].off -= base;
	o->jsize = n;
	o->low_seq += k;
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(b);
	return rc;
}

/* ---- checkpoint ---------------------------------------------------------- */

/*
 * Checksum of the checkpoint: a 4-lane multiply-xor hash over 64-bit
 * words, folded per written section.  It detects torn and corrupted files
 * at several GB/s; it is not a defence against forgery (the file is local
 * and only this agent writes it).
 */
static uint64_t
ck_update(uint64_t h, const void *p, size_t n)
{
	const uint64_t k = 0x9fb21c651e98df25ULL;
	const uint8_t *b = p;
	uint64_t l0 = h ^ 0x9e3779b97f4a7c15ULL, l1 = h + n, l2 = ~h, l3 = h * 31, w[4], t = 0;
	size_t left = n;

	while (left >= 32) {
		memcpy(w, b, 32);
		l0 = (l0 ^ w[0]) * k;
		l1 = (l1 ^ w[1]) * k;
		l2 = (l2 ^ w[2]) * k;
		l3 = (l3 ^ w[3]) * k;
		l0 ^= l0 >> 29;
		l1 ^= l1 >> 29;
		l2 ^= l2 >> 29;
		l3 ^= l3 >> 29;
		b += 32;
		left -= 32;
	}
	while (left >= 8) {
		memcpy(w, b, 8);
		l0 = (l0 ^ w[0]) * k;
		l0 ^= l0 >> 29;
		b += 8;
		left -= 8;
	}
	if (left > 0)
		memcpy(&t, b, left);
	l1 = (l1 ^ t) * k;
	return core_mix64(l0 ^ core_mix64(l1) ^ (core_mix64(l2) << 1) ^ (core_mix64(l3) >> 1) ^ n);
}

struct wr {
	FILE *f;
	uint64_t ck;
	int err;
};

static void
wr_put(struct wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > 0 && fwrite(p, 1, n, w->f) != n)
		w->err = 1;
	w->ck = ck_update(w->ck, p, n);
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	wr_put(w, &v, sizeof(v));
}

static void
wr_u64(struct wr *w, uint64_t v)
{
	wr_put(w, &v, sizeof(v));
}

/* Hash of the trust store's text form (all zero if it cannot be formed). */
static void
trust_hash(const core *c, uint8_t h[32])
{
	char *text = NULL;
	size_t len = 0;

	memset(h, 0, 32);
	if (trust_store_format(&c->trust, &text, &len) == 0)
		crypto_generichash(h, 32, (const uint8_t *)text, len, NULL, 0);
	free(text);
}

/* Write the checkpoint: temporary file, fsync, rename, fsync of the dir.
 * Layout (host byte order): magic, endian marker, version, trust hash,
 * origin count, interned strings (id, refs, len, bytes; id 0 ends), then
 * per origin its head, counts, records, IPv6 addresses, free list, journal
 * index and hash index; finally the 8-byte checksum. */
int
checkpoint_write(core *c)
{
	char path[CORE_MAX_PATH], tmp[CORE_MAX_PATH];
	uint8_t th[32];
	struct wr w;
	size_t i;
	uint32_t id;
	int rc;

	memset(&w, 0, sizeof(w));
	if ((rc = core_path(c, path, sizeof(path), "checkpoint")) != 0 ||
	    (rc = core_path(c, tmp, sizeof(tmp), "checkpoint.tmp")) != 0)
		return rc;
	if ((w.f = fopen(tmp, "wbe")) == NULL)
		return BLF_EIO;
	setvbuf(w.f, NULL, _IOFBF, 1 << 20);
	wr_put(&w, CKPT_MAGIC, 8);
	wr_u32(&w, CKPT_ENDIAN);
	wr_u32(&w, CKPT_VERSION);
	trust_hash(c, th);
	wr_put(&w, th, sizeof(th));
	wr_u64(&w, c->norigins);
	for (id = 1; id < c->nstrs; id++) {
		if (c->strs[id].refs == 0)
			continue;
		wr_u32(&w, id);
		wr_u32(&w, c->strs[id].refs);
		wr_u32(&w, c->strs[id].len);
		wr_put(&w, c->strs[id].s, c->strs[id].len);
	}
	wr_u32(&w, 0);
	for (i = 0; i < c->norigins; i++) {
		const struct origin *o = c->origins[i];

		wr_put(&w, o->id, BLF_KEYID_LEN);
		wr_u32(&w, o->epoch);
		wr_u32(&w, (uint32_t)o->frozen);
		wr_u64(&w, o->seq);
		wr_put(&w, o->head, BLF_HASH_LEN);
		wr_u32(&w, o->nrecs);
		wr_u32(&w, o->nlist);
		wr_u32(&w, o->n6);
		wr_u32(&w, o->nfree6);
		wr_u64(&w, o->jsize);
		wr_u64(&w, o->low_seq);
		wr_u64(&w, o->njrecs);
		wr_u32(&w, o->mask ? o->mask + 1 : 0);
		wr_put(&w, o->recs, (size_t)o->nrecs * sizeof(*o->recs));
		wr_put(&w, o->a6, (size_t)o->n6 * 16);
		wr_put(&w, o->free6, (size_t)o->nfree6 * sizeof(*o->free6));
		wr_put(&w, o->jrecs, o->njrecs * sizeof(*o->jrecs));
		wr_put(&w, o->slots, o->mask ? ((size_t)o->mask + 1) * sizeof(*o->slots) : 0);
	}
	if (!w.err && fwrite(&w.ck, 1, sizeof(w.ck), w.f) != sizeof(w.ck))
		w.err = 1;
	if (fflush(w.f) != 0 || (!c->cfg.no_fsync && fsync(fileno(w.f)) != 0))
		w.err = 1;
	if (fclose(w.f) != 0)
		w.err = 1;
	if (w.err || rename(tmp, path) != 0) {
		unlink(tmp);
		return BLF_EIO;
	}
	if (!c->cfg.no_fsync)
		return fsync_dir(c->dir);
	return 0;
}

struct rd {
	int fd;
	uint64_t off;
	uint64_t left; /* bytes before the trailing checksum */
	uint64_t ck;
};

static int
rd_get(struct rd *r, void *out, size_t n)
{
	if (r->left < n)
		return BLF_ECORRUPT;
	if (n > 0 && read_all(r->fd, out, n, r->off) != 0)
		return BLF_EIO;
	r->ck = ck_update(r->ck, out, n);
	r->off += n;
	r->left -= n;
	return 0;
}

/* Allocate n bytes (refusing counts the file cannot hold) and read them. */
static int
rd_alloc(struct rd *r, void **out, size_t n)
{
	*out = NULL;
	if (r->left < n)
		return BLF_ECORRUPT;
	if ((*out = malloc(n ? n : 1)) == NULL)
		return BLF_ENOMEM;
	return rd_get(r, *out, n);
}

/* Check a loaded hash index: every slot names a record, each record once
 * (so lookups can never leave the arrays). */
static int
slots_check(const struct origin *o)
{
	uint64_t sum = 0, want;
	uint32_t i, idx, cnt = 0;

	for (i = 0; i <= o->mask; i++) {
		if (o->slots[i] == 0)
			continue;
		idx = o->slots[i] & ((1u << 26) - 1);
		if (idx == 0 || idx > o->nrecs)
			return BLF_ECORRUPT;
		sum += idx;
		cnt++;
	}
	want = (uint64_t)o->nrecs * (o->nrecs + 1) / 2;
	return cnt == o->nrecs && sum == want ? 0 : BLF_ECORRUPT;
}

/*
 * Load the checkpoint if there is one (none is not an error).  The trust
 * store must be set; verdicts are recomputed if it changed since.
 */
int
checkpoint_load(core *c)
{
	char path[CORE_MAX_PATH], str[BLF_MAX_REF_LEN];
	uint8_t th[32], th2[32], magic[8];
	struct rd r;
	struct stat sb;
	uint64_t norigins, i, nj, ck;
	uint32_t v, id, refs, len, nrecs, nslots;
	struct origin *o;
	int fd = -1, rc;

	if ((rc = core_path(c, path, sizeof(path), "checkpoint")) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : BLF_EIO;
	rc = BLF_EIO;
	if (fstat(fd, &sb) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (sb.st_size < 8 + 8 + 32 + 8 + 4 + 8)
		goto out;
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.left = (uint64_t)sb.st_size - 8;
	if ((rc = rd_get(&r, magic, 8)) != 0)
		goto out;
	rc = BLF_ECORRUPT;
	if (memcmp(magic, CKPT_MAGIC, 8) != 0)
		goto out;
	if (rd_get(&r, &v, 4) != 0 || v != CKPT_ENDIAN || rd_get(&r, &v, 4) != 0 ||
	    v != CKPT_VERSION || rd_get(&r, th, 32) != 0 || rd_get(&r, &norigins, 8) != 0 ||
	    norigins > CORE_MAX_ORIGINS)
		goto out;
	for (;;) {
		if ((rc = rd_get(&r, &id, 4)) != 0)
			goto out;
		if (id == 0)
			break;
		if ((rc = rd_get(&r, &refs, 4)) != 0 || (rc = rd_get(&r, &len, 4)) != 0)
			goto out;
		rc = BLF_ECORRUPT;
		if (len > BLF_MAX_REF_LEN || id > r.left || id > (1u << 28))
			goto out;
		if ((rc = rd_get(&r, str, len)) != 0 ||
		    (rc = intern_put(c, id, str, len, refs)) != 0)
			goto out;
	}
	intern_load_done(c);
	for (i = 0; i < norigins; i++) {
		uint8_t oid[BLF_KEYID_LEN];
		uint32_t frozen, nlist, n6, nfree6;
		uint64_t jsize, low, seq;

		if ((rc = rd_get(&r, oid, BLF_KEYID_LEN)) != 0)
			goto out;
		rc = BLF_ECORRUPT;
		if (origin_find(c, oid) != NULL)
			goto out; /* the same origin twice */
		if ((rc = origin_get(c, oid, &o)) != 0)
			goto out;
		rc = BLF_ECORRUPT;
		if (rd_get(&r, &o->epoch, 4) || rd_get(&r, &frozen, 4) ||
		    rd_get(&r, &seq, 8) || rd_get(&r, o->head, BLF_HASH_LEN) ||
		    rd_get(&r, &nrecs, 4) || rd_get(&r, &nlist, 4) || rd_get(&r, &n6, 4) ||
		    rd_get(&r, &nfree6, 4) || rd_get(&r, &jsize, 8) || rd_get(&r, &low, 8) ||
		    rd_get(&r, &nj, 8) || rd_get(&r, &nslots, 4))
			goto out;
		if (nrecs >= (1u << 26) - 1 || nlist > nrecs || n6 > nrecs + nfree6 ||
		    nfree6 > n6 || nj > r.left / sizeof(struct jrec) ||
		    nslots > r.left / 4 || (nslots & (nslots - 1)) != 0 ||
		    (uint64_t)nslots * 3 / 4 < (uint64_t)nrecs + 1)
			goto out;
		o->seq = seq;
		o->frozen = frozen != 0;
		o->nrecs = o->caprecs = nrecs;
		o->nlist = nlist;
		o->n6 = o->cap6 = n6;
		o->nfree6 = o->capfree6 = nfree6;
		o->jsize = jsize;
		o->low_seq = low;
		o->njrecs = o->capjrecs = (size_t)nj;
		free(o->slots);
		o->slots = NULL;
		o->mask = 0;
		if ((rc = rd_alloc(&r, (void **)&o->recs, (size_t)nrecs * sizeof(struct rec))) ||
		    (rc = rd_alloc(&r, (void **)&o->a6, (size_t)n6 * 16)) ||
		    (rc = rd_alloc(&r, (void **)&o->free6, (size_t)nfree6 * 4)) ||
		    (rc = rd_alloc(&r, (void **)&o->jrecs, (size_t)nj * sizeof(struct jrec))) ||
		    (rc = rd_alloc(&r, (void **)&o->slots, (size_t)nslots * 4)))
			goto out;
		o->mask = nslots - 1;
		for (v = 0; v < nrecs; v++) {
			const struct rec *x = &o->recs[v];

			rc = BLF_ECORRUPT;
			if ((x->flags & REC_V6) ? (x->a >= n6 || x->len > 128) : x->len > 32)
				goto out;
			if (x->ref != 0 && (x->ref >= c->nstrs || c->strs[x->ref].refs == 0))
				goto out;
		}
		for (v = 0; v < nfree6; v++)
			if (o->free6[v] >= n6)
				goto out;
		if ((rc = slots_check(o)) != 0)
			goto out;
	}
	rc = BLF_ECORRUPT;
	if (r.left != 0 || read_all(fd, &ck, 8, r.off) != 0 || ck != r.ck)
		goto out;
	intern_recount(c);
	trust_hash(c, th2);
	if (memcmp(th, th2, 32) != 0 || sodium_is_zero(th, 32))
		for (i = 0; i < c->norigins; i++)
			origin_set_verdicts(c, c->origins[i]);
	c->vdirty = 1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
