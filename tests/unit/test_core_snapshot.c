/*
 * test_core_snapshot.c - snapshots as the base of a log (SPEC 6.5).
 *
 * A compacted agent can no longer serve the start of its own origin's log;
 * it serves a snapshot instead, and a fresh agent bootstraps from it, then
 * follows the log.  Tampered, incomplete, foreign and stale snapshots are
 * refused with exact codes and change nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../keys/fileio.h"
#include "test_core_util.h"

#define NSNAP 8 /* chunks a test keeps */

struct chunks {
	blf_buf b[NSNAP];
	size_t n;
};

static int
keep_chunk(void *ctx, const uint8_t *msg, size_t len)
{
	struct chunks *k = ctx;
	blf_buf *b;

	if (k->n == NSNAP)
		return BLF_ELIMIT;
	b = &k->b[k->n++];
	b->len = 0;
	b->data = malloc(len);
	if (b->data == NULL)
		return BLF_ENOMEM;
	memcpy(b->data, msg, len);
	b->len = b->cap = len;
	return 0;
}

static void
chunks_free(struct chunks *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		blf_buf_free(&k->b[i]);
	k->n = 0;
}

static int
apply_chunks(core *c, const struct chunks *k, const size_t *order, size_t n, uint64_t now)
{
	const uint8_t *m[NSNAP];
	size_t l[NSNAP], i;

	for (i = 0; i < n; i++) {
		m[i] = k->b[order ? order[i] : i].data;
		l[i] = k->b[order ? order[i] : i].len;
	}
	return core_snapshot_apply(c, m, l, n, now);
}

struct two {
	struct fx *x;  /* the serving agent; origin c is its own */
	struct fx *y;  /* a fresh agent */
	blf_buf last;  /* our latest published delta */
};

static int
setup(void **state)
{
	struct two *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->x = fx_new();
	t->y = fx_new();
	store_add(&t->x->st, &t->x->a, "alpha", 100);
	store_add(&t->x->st, &t->x->c, "ours", 100);
	store_add(&t->y->st, &t->y->a, "alpha", 100);
	store_add(&t->y->st, &t->y->c, "ours", 100);
	t->x->cfg.window = 3600;
	assert_int_equal(fx_open(t->x), 0);
	assert_int_equal(fx_open(t->y), 0);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct two *t = *state;
	void *p;

	p = t->x;
	fx_teardown(&p);
	p = t->y;
	fx_teardown(&p);
	blf_buf_free(&t->last);
	free(t);
	return 0;
}

/* Our origin publishes 25,000 listings in three deltas an hour apart (and
 * an exclusion), then compacts: the first deltas are gone. */
static void
publish_and_compact(struct two *t)
{
	static blf_op ops[10000];
	static char refs[10000][48];
	size_t d, i;
	uint32_t st;
	int more;
	blf_blob *blobs;
	size_t nb;

	for (d = 0; d < 3; d++) {
		size_t n = d < 2 ? 10000 : 5000;

		for (i = 0; i < n; i++) {
			char p[32];

			snprintf(p, sizeof(p), "10.%zu.%zu.0/24", d * 40 + i / 256, i % 256);
			snprintf(refs[i], sizeof(refs[i]), "https://ours.example/evidence/%zx",
				 d * 10000 + i);
			ops[i] = op_list(p, T0 + 90000, refs[i]);
		}
		if (d == 2)
			ops[n++] = op_simple(BLF_OP_EXCLUDE, "192.0.2.0/24", "customer");
		t->last.len = 0;
		assert_int_equal(core_publish(t->x->core, t->x->c.ks, ops, n, T0 + d * 3600,
					      &t->last), 0);
	}
	/* compaction drops only what a kept snapshot covers */
	assert_int_equal(core_compact(t->x->core, T0 + 2 * 3600 + 10), 0);
	assert_int_equal(core_get_deltas(t->x->core, t->x->c.origin, 1, 0, 10, &st, &more,
					 &blobs, &nb), 0);
	assert_int_equal(st, BLF_CATCHUP_OK);
	core_blobs_free(blobs, nb);
	assert_int_equal(core_snapshot_keep(t->x->core, t->x->c.ks, T0 + 2 * 3600 + 10), 0);
	assert_int_equal(core_compact(t->x->core, T0 + 2 * 3600 + 10), 0);
	assert_int_equal(core_get_deltas(t->x->core, t->x->c.origin, 1, 0, 10, &st, &more,
					 &blobs, &nb), 0);
	assert_int_equal(st, BLF_CATCHUP_COMPACTED);
}

/* One origin's records as sorted text lines (first/changed left out: a
 * snapshot does not carry them). */
static char *
records_of(core *c, const uint8_t origin[BLF_KEYID_LEN], size_t *n)
{
	struct lines l = { 0 };
	core_origin_iter it;
	core_origin_rec r;
	char line[512], pb[BLF_PREFIX_STRLEN], *out;
	size_t i, total = 1, at = 0;

	assert_int_equal(core_origin_iter_begin(c, origin, &it), 0);
	while (core_origin_iter_next(&it, &r)) {
		blf_prefix_format(&r.prefix, pb);
		snprintf(line, sizeof(line), "%d %s %u %llu [%.*s]", r.exclusion, pb, r.reason,
			 (unsigned long long)r.expires, (int)r.ref_len, r.ref ? r.ref : "");
		lines_add(&l, line);
	}
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), lines_cmp);
	for (i = 0; i < l.n; i++)
		total += strlen(l.v[i]) + 1;
	out = malloc(total);
	assert_non_null(out);
	for (i = 0; i < l.n; i++) {
		size_t k = strlen(l.v[i]);

		memcpy(out + at, l.v[i], k);
		out[at + k] = '\n';
		at += k + 1;
		free(l.v[i]);
	}
	out[at] = '\0';
	free(l.v);
	*n = l.n;
	return out;
}

static void
same_records(core *a, core *b, const uint8_t origin[BLF_KEYID_LEN])
{
	core_stats sa, sb;
	blf_head ha, hb;
	char *ra, *rb;
	size_t na, nb;

	assert_int_equal(core_head(a, origin, &ha), 0);
	assert_int_equal(core_head(b, origin, &hb), 0);
	assert_int_equal(ha.epoch, hb.epoch);
	assert_int_equal(ha.seq, hb.seq);
	assert_memory_equal(ha.hash, hb.hash, BLF_HASH_LEN);
	core_get_stats(a, &sa);
	core_get_stats(b, &sb);
	assert_int_equal(sa.nlistings, sb.nlistings);
	assert_int_equal(sa.nexclusions, sb.nexclusions);
	ra = records_of(a, origin, &na);
	rb = records_of(b, origin, &nb);
	assert_int_equal(na, sa.nlistings + sa.nexclusions);
	assert_string_equal(ra, rb);
	free(ra);
	free(rb);
}

static void
test_bootstrap_from_snapshot(void **state)
{
	struct two *t = *state;
	struct chunks k = { 0 };
	blf_op op = op_list("198.51.100.0/24", T0 + 90000, "later");
	size_t order[3] = { 2, 0, 1 };
	blf_buf next = { 0 };

	publish_and_compact(t);
	assert_int_equal(core_snapshot_make(t->x->core, t->x->c.ks, T0 + 7300, keep_chunk, &k),
			 0);
	assert_int_equal(k.n, 3); /* 25,001 records in chunks of 10,000 */
	/* the fresh agent cannot start the log from the last delta ... */
	assert_int_equal(core_apply(t->y->core, t->last.data, t->last.len, T0 + 7300, NULL),
			 BLF_EGAP);
	/* ... but from the snapshot, its chunks in any order */
	assert_int_equal(apply_chunks(t->y->core, &k, order, 3, T0 + 7300), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	/* it survives a restart, without the checkpoint too */
	assert_int_equal(fx_open(t->y), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	/* and follows the log from seq + 1 */
	assert_int_equal(core_publish(t->x->core, t->x->c.ks, &op, 1, T0 + 7400, &next), 0);
	assert_int_equal(core_apply(t->y->core, next.data, next.len, T0 + 7400, NULL), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	assert_int_equal(fx_open(t->y), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	/* the same snapshot again: exactly a state we went past */
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, 3, T0 + 7400), BLF_ESTALE);
	chunks_free(&k);
	blf_buf_free(&next);
}

static void
test_snapshot_refusals(void **state)
{
	struct two *t = *state;
	struct chunks k = { 0 };
	size_t dup[3] = { 0, 0, 1 };
	char *s0, *s;

	publish_and_compact(t);
	assert_int_equal(core_snapshot_make(t->x->core, t->x->c.ks, T0 + 7300, keep_chunk, &k),
			 0);
	s0 = dump_state(t->y->core, T0 + 7300);
	/* a chunk missing, a chunk twice */
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, 2, T0 + 7300), BLF_ECHUNK);
	assert_int_equal(apply_chunks(t->y->core, &k, dup, 3, T0 + 7300), BLF_ECHUNK);
	/* a flipped bit in a signature */
	k.b[1].data[k.b[1].len - 1] ^= 1;
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, 3, T0 + 7300), BLF_EBADSIG);
	k.b[1].data[k.b[1].len - 1] ^= 1;
	/* dated in the future */
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, 3, T0), BLF_ECLOCK);
	s = dump_state(t->y->core, T0 + 7300);
	assert_string_equal(s, s0);
	free(s);
	/* the same agent: nothing newer than what it holds */
	assert_int_equal(apply_chunks(t->x->core, &k, NULL, 3, T0 + 7300), BLF_EDUPLICATE);
	chunks_free(&k);
	/* a known key signing a snapshot for another origin */
	{
		blf_snapshot sn;
		blf_op op = op_list("10.0.0.0/24", T0 + 90000, NULL);

		memset(&sn, 0, sizeof(sn));
		memcpy(sn.origin, t->x->c.origin, BLF_KEYID_LEN);
		sn.epoch = 1;
		sn.seq = 9;
		sn.created = T0;
		sn.nchunks = 1;
		sn.nops = 1;
		sn.ops = &op;
		k.n = 1;
		assert_int_equal(blf_snapshot_seal(&sn, t->x->a.ks->sk, &k.b[0]), 0);
		assert_int_equal(apply_chunks(t->y->core, &k, NULL, 1, T0), BLF_EUNKKEY);
		/* an unknown signer */
		k.b[0].len = 0;
		assert_int_equal(blf_snapshot_seal(&sn, t->x->b.ks->sk, &k.b[0]), 0);
		assert_int_equal(apply_chunks(t->y->core, &k, NULL, 1, T0), BLF_EUNKKEY);
		/* not a snapshot */
		k.b[0].len = 0;
		assert_int_equal(seal_raw(t->x->c.ks, t->x->c.origin, 1, 1, NULL, T0, &op, 1,
					  &k.b[0]), 0);
		assert_int_equal(apply_chunks(t->y->core, &k, NULL, 1, T0), BLF_EWRONGTYPE);
		chunks_free(&k);
	}
	s = dump_state(t->y->core, T0 + 7300);
	assert_string_equal(s, s0);
	free(s);
	free(s0);
}

/* Files in log/ whose name starts with what (".": a temporary). */
static size_t
log_files(const struct fx *f, const char *what)
{
	char path[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/log", f->dir);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		     strncmp(de->d_name, what, strlen(what)) == 0;
	closedir(d);
	return n;
}

/* Spool k's chunks (in the order given) into a new spool of y. */
static int
spool_chunks(struct two *t, const struct chunks *k, const size_t *order, size_t n,
	     const uint8_t origin[BLF_KEYID_LEN], core_spool **sp)
{
	size_t i;
	int rc = 0;

	assert_int_equal(core_spool_begin(t->y->core, origin, sp), 0);
	for (i = 0; i < n && rc == 0; i++)
		rc = core_spool_add(*sp, k->b[order ? order[i] : i].data,
				    k->b[order ? order[i] : i].len, T0 + 7300);
	return rc;
}

/* A snapshot gathered chunk by chunk into a file (core_spool): verified as
 * each chunk comes, applied from the file, the file kept to serve; every
 * refusal leaves the state and the log directory as they were. */
static void
test_snapshot_spool(void **state)
{
	struct two *t = *state;
	struct chunks k = { 0 };
	size_t swapped[3] = { 1, 0, 2 };
	core_spool *sp = NULL;
	core_snap_info info;
	uint32_t have, nch;
	uint8_t *m;
	size_t ml;
	int applied;
	char *s0, *s;

	publish_and_compact(t);
	assert_int_equal(core_snapshot_make(t->x->core, t->x->c.ks, T0 + 7300, keep_chunk, &k),
			 0);
	assert_int_equal(k.n, 3);
	s0 = dump_state(t->y->core, T0 + 7300);
	/* chunk 1 first; and after a refusal nothing more is taken */
	assert_int_equal(spool_chunks(t, &k, swapped, 1, t->x->c.origin, &sp), BLF_ECHUNK);
	assert_int_equal(core_spool_add(sp, k.b[0].data, k.b[0].len, T0 + 7300), BLF_ECHUNK);
	assert_int_equal(log_files(t->y, "."), 1); /* the spool file */
	core_spool_free(sp);
	assert_int_equal(log_files(t->y, "."), 0);
	/* another origin's snapshot for the one asked */
	assert_int_equal(spool_chunks(t, &k, NULL, 1, t->x->a.origin, &sp), BLF_ECHUNK);
	core_spool_free(sp);
	/* a flipped signature bit: refused as the chunk comes */
	k.b[1].data[k.b[1].len - 1] ^= 1;
	assert_int_equal(spool_chunks(t, &k, NULL, 3, t->x->c.origin, &sp), BLF_EBADSIG);
	core_spool_count(sp, &have, &nch);
	assert_int_equal(have, 1);
	assert_int_equal(nch, 3);
	core_spool_free(sp);
	k.b[1].data[k.b[1].len - 1] ^= 1;
	/* two of three: not a snapshot */
	assert_int_equal(spool_chunks(t, &k, NULL, 2, t->x->c.origin, &sp), 0);
	assert_int_equal(core_spool_take(sp, T0 + 7300, 0, &applied), BLF_ECHUNK);
	assert_int_equal(applied, 0);
	core_spool_free(sp);
	s = dump_state(t->y->core, T0 + 7300);
	assert_string_equal(s, s0);
	free(s);
	assert_int_equal(log_files(t->y, "."), 0);
	assert_int_equal(core_snapshot_kept(t->y->core, t->x->c.origin, &info), BLF_ENOTFOUND);
	/* the whole snapshot: the same state as the origin's, kept to serve */
	assert_int_equal(spool_chunks(t, &k, NULL, 3, t->x->c.origin, &sp), 0);
	assert_int_equal(core_spool_take(sp, T0 + 7300, 0, &applied), 0);
	assert_int_equal(applied, 1);
	core_spool_free(sp);
	assert_int_equal(log_files(t->y, "."), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	assert_int_equal(core_snapshot_kept(t->y->core, t->x->c.origin, &info), 0);
	assert_int_equal(info.nchunks, 3);
	assert_int_equal(core_snapshot_chunk(t->y->core, t->x->c.origin, 2, &info, &m, &ml), 0);
	assert_int_equal(ml, k.b[2].len);
	assert_memory_equal(m, k.b[2].data, ml);
	free(m);
	assert_int_equal(fx_open(t->y), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	/* again: exactly our head */
	assert_int_equal(spool_chunks(t, &k, NULL, 3, t->x->c.origin, &sp), 0);
	assert_int_equal(core_spool_take(sp, T0 + 7300, 0, &applied), BLF_EDUPLICATE);
	core_spool_free(sp);
	assert_int_equal(log_files(t->y, "."), 0);
	chunks_free(&k);
	free(s0);
}

/* A fresh agent y, syncing for real (every fsync is an I/O call). */
static void
fresh_y(struct two *t)
{
	void *p = t->y;

	fx_teardown(&p);
	t->y = fx_new();
	store_add(&t->y->st, &t->y->a, "alpha", 100);
	store_add(&t->y->st, &t->y->c, "ours", 100);
	t->y->cfg.no_fsync = 0;
	assert_int_equal(fx_open(t->y), 0);
}

/* A full disk while a gathered snapshot is stored (core_spool_take), at
 * each of its I/O calls in turn.  Either the core has failed (the new base
 * may be on disk: memory is behind it, core_eio says stop, and a reopen
 * finds the old state or the snapshot's), or nothing changed: core_eio
 * tells ENOSPC once, the disk holds the old state (a reopen shows it), no
 * file is left, and the same snapshot is taken once there is room. */
static void
test_snapshot_store_full_disk(void **state)
{
	struct two *t = *state;
	struct chunks k = { 0 };
	unsigned long after;
	unsigned nkept = 0, nfailed = 0;
	core_spool *sp = NULL;
	int applied, rc, e;
	char *s0, *s;

	publish_and_compact(t);
	assert_int_equal(core_snapshot_make(t->x->core, t->x->c.ks, T0 + 7300, keep_chunk, &k),
			 0);
	fresh_y(t);
	s0 = dump_state(t->y->core, T0 + 7300);
	for (after = 0;; after++) {
		fresh_y(t);
		assert_int_equal(spool_chunks(t, &k, NULL, k.n, t->x->c.origin, &sp), 0);
		fio_fault_set(after, ENOSPC, 1);
		rc = core_spool_take(sp, T0 + 7300, 0, &applied);
		if (!fio_fault_fired()) {
			fio_fault_clear();
			assert_int_equal(rc, 0);
			core_spool_free(sp);
			break;
		}
		fio_fault_clear();
		core_spool_free(sp);
		assert_int_equal(rc, BLF_EIO);
		assert_int_equal(applied, 0);
		if (core_failed(t->y->core)) {
			nfailed++;
			assert_int_equal(core_eio(t->y->core, &e), CORE_EIO_STOP);
			assert_int_equal(fx_open(t->y), 0);
			s = dump_state(t->y->core, T0 + 7300);
			if (strcmp(s, s0) != 0)
				same_records(t->x->core, t->y->core, t->x->c.origin);
			free(s);
			continue;
		}
		nkept++;
		assert_int_equal(core_eio(t->y->core, &e), CORE_EIO_TELL);
		assert_int_equal(e, ENOSPC);
		assert_int_equal(core_eio(t->y->core, &e), CORE_EIO_QUIET);
		s = dump_state(t->y->core, T0 + 7300);
		assert_string_equal(s, s0);
		free(s);
		assert_int_equal(log_files(t->y, "."), 0);
		/* what is on disk is the old state too */
		assert_int_equal(fx_open(t->y), 0);
		s = dump_state(t->y->core, T0 + 7300);
		assert_string_equal(s, s0);
		free(s);
		/* room again: the same snapshot is taken */
		assert_int_equal(spool_chunks(t, &k, NULL, k.n, t->x->c.origin, &sp), 0);
		assert_int_equal(core_spool_take(sp, T0 + 7300, 0, &applied), 0);
		assert_int_equal(applied, 1);
		core_spool_free(sp);
		same_records(t->x->core, t->y->core, t->x->c.origin);
	}
	/* the sweep reached both kinds of failure, then the end */
	assert_true(nkept > 0);
	assert_true(nfailed > 0);
	assert_true(after > nkept + nfailed - 1);
	chunks_free(&k);
	free(s0);
}

/* SPEC 5.3, 6.5: a snapshot cannot burn the epoch space either.  Holding
 * nothing of an origin, a snapshot at epoch 17 is refused and changes
 * nothing; one at epoch 16 is taken. */
static void
test_snapshot_epoch_step(void **state)
{
	struct two *t = *state;
	struct chunks k = { 0 };
	blf_op op = op_list("10.0.0.0/24", T0 + 90000, NULL);
	blf_snapshot sn;
	char *s0, *s;

	memset(&sn, 0, sizeof(sn));
	memcpy(sn.origin, t->x->c.origin, BLF_KEYID_LEN);
	sn.epoch = CORE_MAX_EPOCH_STEP + 1;
	sn.seq = 3;
	sn.created = T0;
	sn.nchunks = 1;
	sn.nops = 1;
	sn.ops = &op;
	k.n = 1;
	s0 = dump_state(t->y->core, T0);
	assert_int_equal(blf_snapshot_seal(&sn, t->x->c.ks->sk, &k.b[0]), 0);
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, 1, T0), BLF_EEPOCH);
	s = dump_state(t->y->core, T0);
	assert_string_equal(s, s0);
	free(s);
	free(s0);
	k.b[0].len = 0;
	sn.epoch = CORE_MAX_EPOCH_STEP;
	assert_int_equal(blf_snapshot_seal(&sn, t->x->c.ks->sk, &k.b[0]), 0);
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, 1, T0), 0);
	chunks_free(&k);
}

/* A checkpoint taken right after a snapshot (empty journal), then a newer
 * snapshot, then a restart: the newer base wins over the checkpoint. */
static void
test_snapshot_after_checkpoint(void **state)
{
	struct two *t = *state;
	struct chunks k = { 0 };
	blf_op op = op_list("198.51.100.0/24", T0 + 90000, "later");
	blf_buf next = { 0 };

	publish_and_compact(t);
	assert_int_equal(core_snapshot_make(t->x->core, t->x->c.ks, T0 + 7300, keep_chunk, &k),
			 0);
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, k.n, T0 + 7300), 0);
	chunks_free(&k);
	assert_int_equal(core_checkpoint(t->y->core), 0);
	assert_int_equal(core_publish(t->x->core, t->x->c.ks, &op, 1, T0 + 7400, &next), 0);
	assert_int_equal(core_snapshot_make(t->x->core, t->x->c.ks, T0 + 7400, keep_chunk, &k),
			 0);
	assert_int_equal(apply_chunks(t->y->core, &k, NULL, k.n, T0 + 7400), 0);
	chunks_free(&k);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	assert_int_equal(fx_open(t->y), 0);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	blf_buf_free(&next);
}

/* The kept snapshot (snapstore.c): what the origin keeps is served chunk
 * by chunk, unchanged; an agent that applies it keeps the same bytes to
 * serve in turn; a tampered or older set changes nothing (the keep-only
 * path is exercised by tests/integration/snapshot.sh, where B keeps A's). */
static void
test_kept_snapshot_relayed(void **state)
{
	struct two *t = *state;
	core_snap_info ix, iy;
	uint8_t *cx[3], *cy;
	size_t lx[3], ly, i;
	const uint8_t *ptrs[3];
	int applied = -1;
	blf_op op = op_list("198.51.100.0/24", T0 + 90000, "later");
	blf_buf next = { 0 };

	publish_and_compact(t); /* keeps x's own snapshot, then compacts */
	assert_int_equal(core_snapshot_kept(t->x->core, t->x->c.origin, &ix), 0);
	assert_int_equal(ix.epoch, 1);
	assert_int_equal(ix.nchunks, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(core_snapshot_chunk(t->x->core, t->x->c.origin, (uint32_t)i, &ix,
						     &cx[i], &lx[i]), 0);
		ptrs[i] = cx[i];
	}
	assert_int_equal(core_snapshot_chunk(t->x->core, t->x->c.origin, 3, &ix, &cy, &ly),
			 BLF_ENOTFOUND);
	assert_int_equal(core_snapshot_kept(t->y->core, t->x->c.origin, &iy), BLF_ENOTFOUND);
	/* a flipped signature byte: refused, nothing held, nothing kept */
	cx[1][lx[1] - 1] ^= 1;
	assert_int_equal(core_snapshot_take(t->y->core, ptrs, lx, 3, T0 + 7300, 1, &applied),
			 BLF_EBADSIG);
	assert_int_equal(applied, 0);
	assert_int_equal(core_snapshot_kept(t->y->core, t->x->c.origin, &iy), BLF_ENOTFOUND);
	{
		blf_head h;

		assert_int_equal(core_head(t->y->core, t->x->c.origin, &h), BLF_ENOTFOUND);
	}
	cx[1][lx[1] - 1] ^= 1;
	/* the genuine set becomes y's base, and y keeps the same bytes */
	assert_int_equal(core_snapshot_take(t->y->core, ptrs, lx, 3, T0 + 7300, 1, &applied), 0);
	assert_int_equal(applied, 1);
	same_records(t->x->core, t->y->core, t->x->c.origin);
	assert_int_equal(fx_open(t->y), 0);
	assert_int_equal(core_snapshot_kept(t->y->core, t->x->c.origin, &iy), 0);
	assert_memory_equal(&ix, &iy, sizeof(ix));
	for (i = 0; i < 3; i++) {
		assert_int_equal(core_snapshot_chunk(t->y->core, t->x->c.origin, (uint32_t)i, &iy,
						     &cy, &ly), 0);
		assert_int_equal(ly, lx[i]);
		assert_memory_equal(cy, cx[i], ly);
		free(cy);
	}
	/* y follows the log; the same snapshot again is older than y's log and
	 * no newer than the one kept: stale, kept or not */
	assert_int_equal(core_publish(t->x->core, t->x->c.ks, &op, 1, T0 + 7400, &next), 0);
	assert_int_equal(core_apply(t->y->core, next.data, next.len, T0 + 7400, NULL), 0);
	assert_int_equal(core_snapshot_take(t->y->core, ptrs, lx, 3, T0 + 7400, 1, &applied),
			 BLF_ESTALE);
	assert_int_equal(core_snapshot_take(t->y->core, ptrs, lx, 3, T0 + 7400, 0, &applied),
			 BLF_ESTALE);
	/* y has nothing old to compact: compaction keeps its journal */
	assert_int_equal(core_compact(t->y->core, T0 + 7400), 0);
	/* a reset forgets the kept snapshot too */
	assert_int_equal(core_origin_reset(t->y->core, t->x->c.origin), 0);
	assert_int_equal(core_snapshot_kept(t->y->core, t->x->c.origin, &iy), BLF_ENOTFOUND);
	for (i = 0; i < 3; i++)
		free(cx[i]);
	blf_buf_free(&next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bootstrap_from_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_store_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_epoch_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_after_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_snapshot_relayed, setup, teardown),
	};

	core_test_check_view(NULL, 1); /* every view update against a build */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
