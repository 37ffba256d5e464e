/*
 * recovery.c - bringing memory in line with the data directory at open.
 *
 * What is durable: per origin, the journal of its current epoch and, once
 * compaction or a snapshot made one, the base of that epoch (base.c):
 * base + the journal records after the base's seq give the state.  The
 * checkpoint (checkpoint.c) is a cache of the result.  Recovery
 *
 *   1. loads the checkpoint; a damaged one is reported (core_stats_io) and
 *      dropped, an unreadable one fails the open with BLF_EIO;
 *   2. lists log/, and for each origin takes its epochs in ascending order:
 *      - an epoch older than the origin's state: its files are removed;
 *      - the checkpoint's epoch: if the checkpoint's last indexed journal
 *        record is still at its offset with the same hash, only the
 *        records after it are replayed; otherwise the origin is rebuilt
 *        from its base and the whole journal;
 *      - a newer epoch replaces the state if it can start: a base of it,
 *        or a journal whose first record is seq 1.  A journal with no
 *        intact record is a torn start and is removed; one whose first
 *        record cannot start the epoch is kept and counted (never deleted:
 *        it may be all there is);
 *   3. cuts each journal at its first torn or damaged record (only after
 *      an accepted record or from a trusted position, so a file that
 *      cannot be replayed at all is never emptied);
 *   4. reads the freeze marks (evidence.c).
 *
 * Records are streamed (core_journal_scan) and handed to the replay function
 * that core.c supplies, which checks and applies them: recovery knows the
 * files, the core knows the rules.  Memory is bounded by the largest record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../keys/fileio.h"
#include "core_int.h"

struct lfile {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	int base;      /* 1: .base, 0: .jnl */
};

static int
lfile_cmp(const void *a, const void *b)
{
	const struct lfile *x = a, *y = b;
	int r = memcmp(x->origin, y->origin, BLF_KEYID_LEN);

	if (r != 0)
		return r;
	if (x->epoch != y->epoch)
		return x->epoch < y->epoch ? -1 : 1;
	return x->base - y->base;
}

/* "<hex>.<epoch>.jnl" or ".base": 0 and the fields, or -1. */
static int
parse_name(const char *name, struct lfile *f)
{
	const char *p = name + BLF_KEYID_HEX_LEN + 1;
	char *end;
	unsigned long e;

	if (strlen(name) < BLF_KEYID_HEX_LEN + 2 || name[BLF_KEYID_HEX_LEN] != '.' ||
	    blf_keyid_parse(name, BLF_KEYID_HEX_LEN, f->origin) != 0 || *p < '1' || *p > '9')
		return -1;
	errno = 0;
	e = strtoul(p, &end, 10);
	if (errno != 0 || e == 0 || e > UINT32_MAX)
		return -1;
	f->epoch = (uint32_t)e;
	if (strcmp(end, ".jnl") == 0)
		f->base = 0;
	else if (strcmp(end, ".base") == 0)
		f->base = 1;
	else
		return -1;
	return 0;
}

/* Remove leftover temporary files of atomic writes (fio_atomic names them
 * ".<name>.XXXXXX") whose names start with prefix, in the directory d. */
static void
remove_temps(int dfd, DIR *d, const char *prefix)
{
	struct dirent *de;
	size_t n = strlen(prefix);

	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, n) == 0 && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 && de->d_type != DT_DIR)
			(void)fio_unlinkat(dfd, de->d_name);
}

/* The same for a directory descriptor of ours (kept open). */
static int
remove_temps_at(int dfd, const char *prefix)
{
	DIR *d;
	int fd;

	if ((fd = dup(dfd)) < 0)
		return BLF_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return BLF_EIO;
	}
	remove_temps(dfd, d, prefix);
	closedir(d);
	return 0;
}

/* The journal and base files of log/, sorted by origin, epoch, kind. */
static int
list_log(core *c, struct lfile **out, size_t *nout)
{
	struct lfile *v = NULL, *nv, f;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	*out = NULL;
	*nout = 0;
	if ((fd = dup(c->logfd)) < 0)
		return BLF_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return BLF_EIO;
	}
	remove_temps(c->logfd, d, ".");
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (parse_name(de->d_name, &f) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*nv))) == NULL) {
				rc = BLF_ENOMEM;
				break;
			}
			v = nv;
		}
		v[n++] = f;
	}
	closedir(d);
	if (rc != 0) {
		free(v);
		return rc;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), lfile_cmp);
	*out = v;
	*nout = n;
	return 0;
}

struct scan {
	core *c;
	struct origin *o;
	uint32_t epoch;
	recovery_replay_fn replay;
	size_t accepted;
};

static int
scan_rec(void *ctx, const uint8_t *msg, size_t len, uint64_t off)
{
	struct scan *s = ctx;
	struct origin *o = s->o;
	uint64_t seq;
	uint8_t hash[BLF_HASH_LEN];
	uint32_t created;
	struct jrec j;
	int rc;

	rc = s->replay(s->c, o, msg, len, s->epoch, 0, 0, &seq, &created, hash);
	if (rc == BLF_ENOMEM)
		return rc; /* not the record's fault: keep the file as it is */
	if (rc != 0)
		return JSCAN_STOP;
	/* the index covers consecutive records: records at or below a base
	 * that a snapshot put ahead of them start it again (replay refused
	 * any gap after the state's seq already) */
	if (o->njrecs > 0 && seq != o->low_seq + o->njrecs)
		o->njrecs = 0;
	if (o->njrecs == 0)
		o->low_seq = seq;
	j.off = off;
	j.len = (uint32_t)len;
	j.created = created;
	memcpy(j.hash, hash, BLF_HASH_LEN);
	if ((rc = core_journal_jrec_push(o, &j)) != 0)
		return rc;
	s->accepted++;
	return 0;
}

/* Move a journal that cannot be replayed out of the way (never delete
 * it: it may be all there is of the origin) and count it. */
static void
set_aside(core *c, const char *name)
{
	char aside[JNAME_MAX + 8];

	snprintf(aside, sizeof(aside), "%s.broken", name);
	(void)fio_renameat(c->logfd, name, aside);
	c->io.nbroken++;
}

/* Count a cut of o's journal of epoch at off (size bytes long before):
 * damaged when the record at off was whole, torn when it ran past the end
 * (an interrupted append, no acknowledged data). */
static void
count_cut(core *c, const struct origin *o, int fd, uint32_t epoch, uint64_t off, uint64_t size)
{
	uint8_t hdr[JREC_HDR];
	uint64_t len;
	int damaged = 0;
	core_cut *k;

	if (size - off >= JREC_HDR && fio_pread_full(fd, hdr, JREC_HDR, off) == 0) {
		len = (uint64_t)hdr[0] | (uint64_t)hdr[1] << 8 | (uint64_t)hdr[2] << 16 |
		      (uint64_t)hdr[3] << 24;
		damaged = len == 0 || len > JREC_MAX || off + len + JREC_OVERHEAD <= size;
	}
	if (c->io.ncut < CORE_IO_CUTS_MAX) {
		k = &c->io.cuts[c->io.ncut];
		memcpy(k->origin, o->id, BLF_KEYID_LEN);
		k->epoch = epoch;
		k->off = off;
		k->dropped = size - off;
		k->damaged = damaged;
	}
	c->io.ncut++;
	if (damaged)
		c->io.ndamaged++;
}

/* Scan fd from `from` into o (epoch), then cut the file after the last
 * accepted record when cut_ok or a record was accepted (counted in
 * c->io).  *unusable is set if intact records were left that nothing
 * could accept. */
static int
scan_tail(core *c, struct origin *o, int fd, uint32_t epoch, uint64_t from, int cut_ok,
	  recovery_replay_fn replay, int *unusable)
{
	struct scan s = { c, o, epoch, replay, 0 };
	uint64_t end;
	off_t size;
	int rc;

	*unusable = 0;
	if ((rc = core_journal_scan(c, fd, from, scan_rec, &s, &end)) != 0)
		return rc;
	if ((size = lseek(fd, 0, SEEK_END)) < 0)
		return BLF_EIO;
	if ((uint64_t)size > end) {
		if (!cut_ok && s.accepted == 0) {
			*unusable = 1;
			return 0;
		}
		count_cut(c, o, fd, epoch, end, (uint64_t)size);
		if (fio_ftruncate(fd, end) != 0)
			return BLF_EIO;
		if (!c->cfg.no_fsync && fio_fdatasync(fd) != 0)
			return BLF_EIO;
	}
	o->jsize = end;
	if (o->njrecs == 0)
		o->low_seq = o->seq + 1;
	return 0;
}

/* Take fd as o's journal of epoch. */
static void
adopt(struct origin *o, int fd, uint32_t epoch)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
	o->jepoch = epoch;
	o->jfresh = 0;
}

/* Is the checkpoint's journal index of o still what fd holds? */
static int
index_holds(core *c, const struct origin *o, int fd)
{
	const struct jrec *last;
	blf_envelope env;
	uint8_t hash[BLF_HASH_LEN];
	size_t n;

	if (o->njrecs == 0)
		return o->jsize == 0;
	last = &o->jrecs[o->njrecs - 1];
	if (last->off + last->len + JREC_OVERHEAD != o->jsize)
		return 0;
	n = last->len + JREC_OVERHEAD;
	if (core_journal_scratch(c, n) != 0 || fio_pread_full(fd, c->scratch, n, last->off) != 0)
		return 0;
	if (((size_t)c->scratch[0] | (size_t)c->scratch[1] << 8 | (size_t)c->scratch[2] << 16 |
	     (size_t)c->scratch[3] << 24) != last->len ||
	    blf_envelope_parse(c->scratch + JREC_HDR, last->len, &env) != 0)
		return 0;
	blf_envelope_hash(&env, hash);
	return memcmp(hash, last->hash, BLF_HASH_LEN) == 0;
}

/* Forget o's state and journal index. */
static void
forget(core *c, struct origin *o)
{
	core_origin_clear(c, o);
	o->epoch = 0;
	o->seq = 0;
	memset(o->head, 0, BLF_HASH_LEN);
	o->njrecs = 0;
	o->jsize = 0;
	o->low_seq = 0;
	o->base_seq = 0;
}

struct peek {
	core *c;
	struct origin *o;
	uint32_t epoch;
	recovery_replay_fn replay;
	int intact;    /* the file has an intact first record */
	int starts;    /* and it is seq 1 of the epoch */
};

static int
peek_rec(void *ctx, const uint8_t *msg, size_t len, uint64_t off)
{
	struct peek *p = ctx;
	uint8_t hash[BLF_HASH_LEN];
	uint64_t seq = 0;
	uint32_t created;
	int rc;

	(void)off;
	p->intact = 1;
	rc = p->replay(p->c, p->o, msg, len, p->epoch, 0, 1, &seq, &created, hash);
	if (rc == BLF_ENOMEM)
		return rc;
	p->starts = rc == 0 && seq == 1;
	return JSCAN_STOP;
}

/*
 * Make epoch (newer than o's state) o's state if its files can start it:
 * a base, or a journal whose first record is seq 1.  *ok says whether it
 * did; o is untouched when it did not (a damaged base excepted: counted,
 * and o is left empty).
 */
static int
load_epoch(core *c, struct origin *o, uint32_t epoch, int has_base, int has_jnl,
	   recovery_replay_fn replay, int *ok)
{
	char name[JNAME_MAX];
	uint64_t end;
	int fd = -1, rc, unusable = 0;

	*ok = 0;
	core_journal_name(name, o->hex, epoch, ".jnl");
	if (has_jnl && (fd = fio_openat(c->logfd, name, O_RDWR, 0)) < 0)
		return BLF_EIO;
	if (has_base) {
		rc = core_base_load(c, o, epoch);
		if (rc == BLF_ECORRUPT) {
			/* durable data damaged: keep both files aside for the
			 * administrator, and let the log start again */
			char bname[JNAME_MAX];

			core_journal_name(bname, o->hex, epoch, ".base");
			set_aside(c, bname);
			if (fd >= 0) {
				close(fd);
				fd = -1;
				set_aside(c, name);
			}
			rc = 0;
		}
		if (rc != 0 || o->epoch != epoch)
			goto out;
		o->njrecs = 0;
		o->jsize = 0;
		o->low_seq = o->seq + 1;
	} else {
		struct peek p = { c, o, epoch, replay, 0, 0 };

		if (fd < 0) {
			rc = 0;
			goto out;
		}
		if ((rc = core_journal_scan(c, fd, 0, peek_rec, &p, &end)) != 0)
			goto out;
		if (!p.intact) {
			/* the epoch's first write was torn: it never started */
			close(fd);
			fd = -1;
			(void)fio_unlinkat(c->logfd, name);
			goto out;
		}
		if (!p.starts) {
			close(fd);
			fd = -1;
			set_aside(c, name);
			goto out;
		}
		forget(c, o);
	}
	if (fd >= 0) {
		if ((rc = scan_tail(c, o, fd, epoch, 0, !has_base, replay, &unusable)) != 0)
			goto out;
		if (unusable) {
			close(fd);
			fd = -1;
			set_aside(c, name);
		}
	}
	if (o->epoch == 0)
		o->epoch = epoch; /* a base and an unusable journal: the base stands */
	if (fd >= 0) {
		adopt(o, fd, epoch);
		fd = -1;
	}
	*ok = 1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* o's state came from the checkpoint at epoch: go on from its journal
 * index if it still holds, else rebuild the epoch from base + journal. */
static int
resume_epoch(core *c, struct origin *o, uint32_t epoch, int has_base, int has_jnl,
	     recovery_replay_fn replay)
{
	char name[JNAME_MAX];
	uint64_t bseq = 0;
	int fd, rc, ok, unusable, stale = 0;

	/* a base the checkpoint does not know (a snapshot or compaction after
	 * it) means its journal index may look right and still be stale */
	if (has_base) {
		rc = core_base_seq_of(c, o, epoch, &bseq);
		if (rc != 0 && rc != BLF_ECORRUPT)
			return rc;
		stale = rc != 0 || bseq != o->base_seq;
	}
	if (has_jnl && !stale) {
		core_journal_name(name, o->hex, epoch, ".jnl");
		if ((fd = fio_openat(c->logfd, name, O_RDWR, 0)) < 0)
			return BLF_EIO;
		if (index_holds(c, o, fd)) {
			if ((rc = scan_tail(c, o, fd, epoch, o->jsize, 1, replay, &unusable)) != 0) {
				close(fd);
				return rc;
			}
			adopt(o, fd, epoch);
			return 0;
		}
		close(fd);
	}
	c->io.nrebuilt++;
	forget(c, o);
	return load_epoch(c, o, epoch, has_base, has_jnl, replay, &ok);
}

/* Remove o's files of epochs in files[from..to) (all older than o's). */
static void
remove_older(core *c, const struct lfile *files, size_t from, size_t to)
{
	char name[JNAME_MAX], hex[BLF_KEYID_HEX_LEN + 1];
	size_t i;

	for (i = from; i < to; i++) {
		blf_keyid_hex(files[i].origin, hex);
		core_journal_name(name, hex, files[i].epoch, files[i].base ? ".base" : ".jnl");
		(void)fio_unlinkat(c->logfd, name);
	}
}

/* See the top of the file.  replay is core.c's record replay. */
int
core_recovery_run(core *c, recovery_replay_fn replay)
{
	struct lfile *files = NULL;
	struct origin *o;
	size_t nfiles = 0, i, j, g;
	int rc, ok, has_base, has_jnl;

	rc = core_checkpoint_load(c);
	if (rc == BLF_ENOTFOUND) {
		c->io.checkpoint = CORE_CKPT_NONE;
	} else if (rc == BLF_ECORRUPT) {
		c->io.checkpoint = CORE_CKPT_BAD;
	} else if (rc != 0) {
		return rc;
	} else {
		c->io.checkpoint = CORE_CKPT_OK;
	}
	if ((rc = remove_temps_at(c->dfd, ".checkpoint.")) != 0 ||
	    (rc = remove_temps_at(c->evfd, ".")) != 0 ||
	    (rc = list_log(c, &files, &nfiles)) != 0)
		goto out;
	for (g = 0; g < nfiles; g = j) {
		/* files[g..j): one origin */
		for (j = g; j < nfiles && memcmp(files[j].origin, files[g].origin,
						   BLF_KEYID_LEN) == 0; j++)
			;
		if ((rc = core_origin_get(c, files[g].origin, &o)) != 0)
			goto out;
		for (i = g; i < j;) {
			uint32_t e = files[i].epoch;
			size_t k = i;

			has_base = has_jnl = 0;
			for (; k < j && files[k].epoch == e; k++) {
				if (files[k].base)
					has_base = 1;
				else
					has_jnl = 1;
			}
			if (e < o->epoch) {
				remove_older(c, files, i, k);
			} else if (e == o->epoch) {
				if ((rc = resume_epoch(c, o, e, has_base, has_jnl, replay)) != 0)
					goto out;
			} else {
				if ((rc = load_epoch(c, o, e, has_base, has_jnl, replay, &ok)) != 0)
					goto out;
				if (ok)
					remove_older(c, files, g, i);
			}
			i = k;
		}
	}
	/* open the journal of each origin's current epoch for appends */
	for (i = 0; i < c->norigins; i++) {
		o = c->origins[i];
		if (o->epoch == 0 || (o->fd >= 0 && o->jepoch == o->epoch))
			continue;
		/* no journal: the checkpoint or the base alone holds this origin */
		o->njrecs = 0;
		o->jsize = 0;
		o->low_seq = o->seq + 1;
		if ((rc = core_journal_open(c, o, o->epoch)) != 0)
			goto out;
	}
	rc = core_evidence_load_marks(c);
out:
	free(files);
	return rc;
}
