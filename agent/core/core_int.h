/*
 * core_int.h - internals of the agent core, shared by its files only.
 *
 * Memory layout (the budget is 64 bytes per (origin, prefix) listing):
 *  - each origin keeps its listings and exclusions as 24-byte records in
 *    one array; an IPv6 record stores an index into a side array of 16-byte
 *    addresses instead of the address itself;
 *  - an open-addressing index of u32 slots (linear probing, load <= 3/4;
 *    26 bits of record index + 1 and a 6-bit hash fingerprint) maps
 *    (prefix, kind) to a record; deletion swaps the last record in, so an
 *    origin holds at most 2^26 - 2 records;
 *  - references are interned once per distinct string with a refcount,
 *    split into a shared stem (up to the last '/') and a tail: about 24
 *    bytes per distinct evidence URL (refs.c);
 *  - the merged view is an array of (origin, record) pairs sorted by prefix
 *    plus an array of entries (exported entries, and listing groups below
 *    the threshold kept "hidden" for the provenance of entries inside
 *    them), built lazily when asked for and updated for the prefixes that
 *    changed since (merge.c), with the sorted keys of the accepted records
 *    kept for the update (8 bytes per IPv4 record, 24 per IPv6 one); with
 *    the change feed, 12-byte (IPv4) or 24-byte fingerprints of the
 *    exported entries and a change log (feed.c).
 * Times are stored as u32 unix seconds (valid until 2106); the protocol's
 * decoders refuse larger values (BLF_MAX_TIME, SPEC 3.1 rule 5) with
 * BLF_ERANGE, and times_fit (core.c) checks again before storing.
 */
#ifndef BLF_CORE_INT_H
#define BLF_CORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../../keys/fileio.h"
#include "core.h"

#define REC_V6 0x01u   /* IPv6: a is an index into a6[] */
#define REC_EXCL 0x02u /* exclusion (else listing) */
#define REC_VSHIFT 4   /* cached trust verdict (enum trust_verdict) in bits 4..6 */
#define REC_VMASK 0x70u

struct rec {
	uint32_t a;       /* IPv4 address, host order; or a6[] index */
	uint8_t len;      /* prefix length */
	uint8_t flags;    /* REC_* */
	uint16_t reason;  /* listing reason code */
	uint32_t expires; /* listing expiry */
	uint32_t first;   /* first listed/excluded since last absent */
	uint32_t changed; /* created of the last delta that touched it */
	uint32_t ref;     /* interned reference id, 0 = none */
};

/* One journaled delta of the current epoch. */
struct jrec {
	uint64_t off;              /* offset of the record's length field */
	uint32_t len;              /* envelope bytes */
	uint32_t created;
	uint8_t hash[BLF_HASH_LEN];
};

struct origin {
	uint8_t id[BLF_KEYID_LEN];
	char hex[BLF_KEYID_HEX_LEN + 1];
	const trust_anchor *anchor; /* in c->trust, NULL if absent */
	int frozen;
	uint64_t maxrecs;           /* record limit, 0 until computed (trust change) */
	uint32_t epoch;             /* 0: no delta yet */
	uint64_t seq;               /* last applied seq */
	uint8_t head[BLF_HASH_LEN]; /* hash of delta seq */

	struct rec *recs;
	uint32_t nrecs, caprecs;
	uint32_t nlist;             /* listings among recs */
	uint8_t (*a6)[16];
	uint32_t n6, cap6;
	uint32_t *free6;            /* unused a6 slots */
	uint32_t nfree6, capfree6;
	uint32_t *slots;            /* rec index + 1, 0 empty */
	uint32_t mask;              /* slot count - 1, 0 if no table */

	/* journal of the current epoch */
	int fd;
	uint32_t jepoch;            /* epoch of the open journal file */
	uint32_t drop_epoch;        /* older epoch file to unlink after sync */
	int jdirty;                 /* appended since the last sync */
	int jfresh;                 /* file created since the last sync */
	uint64_t jsize;             /* valid bytes */
	uint64_t low_seq;           /* seq of jrecs[0] */
	struct jrec *jrecs;
	size_t njrecs, capjrecs;
	uint64_t base_seq;          /* seq of the durable base of jepoch, 0: none */
};

struct istr {
	uint32_t off;   /* in the table's arena */
	uint32_t refs;  /* 0: free id */
};

/* A table of reference-counted byte strings (refs.c). */
struct strtab {
	struct istr *e;             /* id 0 unused */
	uint8_t *arena;             /* per string: 1-2 byte length, bytes */
	size_t used, acap, dead;    /* arena bytes used, allocated, dead */
	uint32_t n, cap;            /* ids in use (with 0), allocated */
	uint32_t *free;             /* free ids (room for cap) */
	uint32_t nfree;
	uint32_t *slots;            /* index: id, 0 empty */
	uint32_t mask;              /* slot count - 1 */
};

struct vpair {
	uint32_t o;       /* origin index */
	uint32_t r;       /* record index */
};

/*
 * An entry of the merged view: a group of (origin, record) pairs with one
 * prefix.  Most entries have one pair, and those hold it inline (8 bytes,
 * no vpair): VENT_ONE set, the origin index in the low bits of n and the
 * record index in start.  An entry with several pairs has start = its first
 * pair in c->vpairs and n = their count.  Read pairs only through
 * vent_npairs and vent_pair.
 */
struct vent {
	uint32_t start;   /* first pair in c->vpairs; VENT_ONE: record index */
	uint32_t n;       /* VENT_* flags in the top bits; pairs, or VENT_ONE:
			   * origin index */
};
#define VENT_EXCL 0x80000000u   /* an exported exclusion */
#define VENT_HIDDEN 0x40000000u /* a listing group below the threshold, kept
				 * because it contributes to an entry inside it */
#define VENT_ONE 0x20000000u    /* one pair, held inline */
#define VENT_N 0x1fffffffu      /* pair count, or origin index */
/* Origin index of a pair whose record was removed since the view was built:
 * r indexes c->vghost, which holds its prefix until the update (merge.c). */
#define VPAIR_GHOST VENT_N

/* Deepest chain of nested listing groups: one per prefix length. */
#define VIEW_DEPTH 129

/* The sorted keys of the accepted records of a built view, kept between
 * builds for the incremental update (merge.c): IPv4 as addr << 32 | len << 24
 * | origin index, IPv6 as the address and len << 24 | origin index. */
struct vkey6 {
	uint64_t hi, lo;
	uint32_t lo2;
	uint32_t r;       /* record index while building; stale after */
};

struct vindex {
	uint64_t *k4;
	size_t n4, cap4;
	struct vkey6 *k6;
	size_t n6, cap6;
	uint64_t lens[2][3];        /* lengths present (a superset), per family */
};

/* A (origin, prefix, kind) whose record changed since the view was built. */
struct vdirt {
	blf_prefix p;
	uint8_t excl;
	uint32_t o;       /* origin index */
};

/* Change-feed fingerprint of one exported entry (kept only with
 * core_config.change_feed): IPv6 entries. */
struct vfp {
	blf_prefix p;
	uint8_t kind;     /* enum core_entry_kind */
	uint32_t h;       /* hash of weight, expiry and provenance */
};

/* The same for an IPv4 entry, in 12 bytes rather than 24. */
struct vfp4 {
	uint32_t a;       /* address, host order */
	uint32_t h;       /* hash of weight, expiry and provenance */
	uint8_t len;      /* prefix length */
	uint8_t kind;     /* enum core_entry_kind */
};

/* The fingerprints of one build, in view order: IPv4 entries, then IPv6. */
struct vfps {
	struct vfp4 *v4;
	size_t n4, cap4;
	struct vfp *v6;
	size_t n6, cap6;
};

/* One change-log record: p changed in the build that made generation gen. */
struct vlog {
	uint64_t gen;
	blf_prefix p;
	uint8_t existed;  /* p was in the view before that build */
};

struct core {
	char *dir;                  /* data directory, for paths shown to people */
	int dfd, logfd, evfd;       /* the data directory, log/ and evidence/ */
	core_config cfg;
	trust_store trust;
	int failed;                 /* a journal sync failed: reopen to go on */
	int wtold;                  /* errno core_eio told; 0 once a write works */
	uint8_t *scratch;           /* one journal record, reused */
	size_t scratchcap;
	core_stats_io io;           /* storage counters for core_get_stats */

	struct origin **origins;
	size_t norigins;

	struct strtab refs;         /* interned references: stem id, tail */
	struct strtab stems;        /* their stems */
	uint32_t stem_recent[16];   /* stems met lately, by stem_slot (refs.c) */

	/* merged view cache */
	int vdirty;
	uint64_t vnow;              /* built for now in [vnow, vuntil) */
	uint64_t vuntil;
	uint64_t vuntil_x;          /* the part of vuntil that anchors and
				     * disputes set (listing expiries apart) */
	uint64_t vbuild;            /* counts builds: iterators detect a rebuild */
	struct vpair *vpairs;
	size_t nvpairs, capvpairs;
	struct vent *vents;         /* exported entries and hidden groups */
	size_t nvents, capvents;
	size_t nview;               /* exported entries among vents */
	uint64_t vlens[2][3];       /* lengths of listing groups, per family
				     * (a superset after updates) */
	int vlive;                  /* a view was built: it can be updated */
	struct vindex lidx, xidx;   /* accepted listings and exclusions */
	struct vdirt *dirt;         /* changed since the view, to update */
	size_t ndirt, capdirt;
	blf_prefix *vghost;         /* prefixes of removed records (VPAIR_GHOST) */
	size_t nvghost, capvghost;
	size_t vgarbage;            /* vpairs no vent points to */
	const struct origin *vnote_o; /* the last origin noted, and its index */
	uint32_t vnote_oi;
	int vcheck;                 /* testing: compare each update with a build */
	uint64_t vnupdates;         /* incremental updates made */

	/* generations and the change feed (feed.c) */
	uint64_t vgen;              /* generation of the built view */
	uint64_t feed_oldest;       /* oldest generation the log can diff from */
	struct vfps fps;            /* fingerprints of the built view */
	int fps_lost;               /* the last build could not keep them */
	struct vlog *log;           /* changes, in generation order */
	size_t nlog, caplog;

	size_t nlimited;            /* deltas refused by the record limit */
	struct dstore *disp;        /* disputes and answers (dispute.c), or NULL */
	unsigned fail_alloc;        /* testing: fail the n-th merge allocation */
};

/* Per-walk scratch for materialising entries (merge.c). */
struct core_walk;

/* ---- state.c ------------------------------------------------------------ */
struct origin *core_origin_find(const core *c, const uint8_t id[BLF_KEYID_LEN]);
int core_origin_get(core *c, const uint8_t id[BLF_KEYID_LEN], struct origin **out);
void core_origin_free(struct origin *o);
void core_origin_clear(core *c, struct origin *o);
int core_origin_reserve(struct origin *o, size_t extra);
/* Ask for huge pages under a large table about to be filled at random (a
 * hint: its misses then cost no page walk).  Before the first touch. */
void core_hugepages(void *p, size_t n);
int core_origin_fit_free6(struct origin *o);
int core_origin_put_rec(core *c, struct origin *o, const blf_prefix *p, int excl, uint16_t reason,
		   uint32_t expires, uint32_t first, uint32_t changed, const char *ref,
		   size_t reflen);
int core_origin_apply_ops(core *c, struct origin *o, const blf_delta *d, size_t *nfiltered);
void core_origin_rec_prefix(const struct origin *o, const struct rec *r, blf_prefix *p);
int core_origin_lookup(const struct origin *o, const blf_prefix *p, int excl);
void core_origin_set_verdicts(core *c, struct origin *o);
int core_rec_verdict(const struct rec *r);
size_t core_origin_purge_expired(core *c, struct origin *o, uint64_t now);


/* ---- refs.c ------------------------------------------------------------- */
/* What core_intern_prefetch learnt of a reference, for core_intern_add to reuse. */
struct ref_hint {
	const char *s;    /* the text it is about */
	size_t len;
	uint64_t h;       /* hash of its stored form */
	uint32_t sid;     /* its stem's id then, 0: none */
	uint16_t sl;      /* its stem's length */
	uint8_t ok;       /* the fields are set */
};
uint32_t core_intern_add(core *c, const char *s, size_t len, const struct ref_hint *hint);
void core_intern_prefetch(const core *c, const char *s, size_t len, struct ref_hint *hint);
void core_intern_reserve(core *c, size_t n);
void core_intern_drop(core *c, uint32_t id);
int core_intern_valid(const core *c, uint32_t id);
size_t core_intern_get(const core *c, uint32_t id, char *buf);
size_t core_intern_count(const core *c);
int core_intern_load(core *c, const struct strtab *refs, const struct strtab *stems);
void core_intern_recount(core *c);
void core_intern_free_all(core *c);

/* ---- journal.c ---------------------------------------------------------- */
#define JREC_HDR 4u   /* u32 length, little-endian */
#define JREC_SUM 8u   /* BLAKE2b-128 of header and envelope, first 8 bytes */
#define JREC_OVERHEAD (JREC_HDR + JREC_SUM)
#define JREC_MAX BLF_MAX_DELTA_SIZE /* largest envelope a journal holds */
#define JNAME_MAX 64u /* "<hex>.<epoch>.jnl" and the like, NUL included */

void core_journal_name(char name[JNAME_MAX], const char *hex, uint32_t epoch, const char *ext);
int core_journal_scratch(core *c, size_t len);
int core_journal_append(core *c, struct origin *o, uint32_t epoch, uint64_t seq,
		   const uint8_t *msg, size_t len, uint64_t created,
		   const uint8_t hash[BLF_HASH_LEN]);
int core_journal_sync(core *c, struct origin *o);
int core_journal_read(const struct origin *o, size_t i, uint8_t **buf, size_t *len);
int core_journal_jrec_push(struct origin *o, const struct jrec *j);
int core_journal_open(core *c, struct origin *o, uint32_t epoch);

/* Called by core_journal_scan for each intact record: its envelope and the file
 * offset of its length field.  Return 0 to go on, JSCAN_STOP to end the
 * scan before this record, or a positive BLF_E* code to abort. */
#define JSCAN_STOP (-1)
typedef int (*journal_rec_fn)(void *ctx, const uint8_t *msg, size_t len, uint64_t off);
int core_journal_scan(core *c, int fd, uint64_t from, journal_rec_fn fn, void *ctx,
		 uint64_t *end);

/* ---- recovery.c --------------------------------------------------------- */
/* Replays one journal record into o (see core.c's replay for the rules). */
typedef int (*recovery_replay_fn)(core *c, struct origin *o, const uint8_t *msg,
				  size_t len, uint32_t epoch, uint64_t expect, int dry,
				  uint64_t *seq, uint32_t *created,
				  uint8_t hash[BLF_HASH_LEN]);
int core_recovery_run(core *c, recovery_replay_fn replay);

/* ---- evidence.c --------------------------------------------------------- */
int core_evidence_keep(core *c, const struct origin *o, uint32_t epoch, uint64_t seq,
		  const uint8_t *msg, size_t len, const uint8_t hash[BLF_HASH_LEN]);
int core_evidence_freeze_mark(core *c, const struct origin *o, int on);
int core_evidence_load_marks(core *c);

/* ---- base.c ------------------------------------------------------------- */
int core_base_write(core *c, const struct origin *o);

/* snapstore.c: the kept snapshot of each origin (log/<hex>.snap) */
int core_snapshot_rec_in(const struct rec *x, uint64_t now);
int core_snapstore_info(core *c, const uint8_t origin[BLF_KEYID_LEN], core_snap_info *info);
int core_snapstore_write(core *c, const blf_snapshot *s, const uint8_t *const *chunks,
		    const size_t *lens, size_t n);
void core_snapstore_remove(core *c, const uint8_t origin[BLF_KEYID_LEN]);
int core_snapstore_spool_begin(core *c, const uint8_t origin[BLF_KEYID_LEN], fio_atomic *a);
int core_snapstore_spool_add(fio_atomic *a, const blf_snapshot *s, const uint8_t *msg, size_t len);
int core_snapstore_spool_open(core *c, fio_atomic *a, fio_reader *r);
int core_snapstore_spool_next(fio_reader *r, uint8_t *buf, size_t cap, size_t *len);
int core_snapstore_covered(core *c, const struct origin *o, uint64_t *seq);
int core_base_load(core *c, struct origin *o, uint32_t epoch);
int core_base_seq_of(core *c, const struct origin *o, uint32_t epoch, uint64_t *seq);

/* ---- compact.c ---------------------------------------------------------- */
int core_compact_origin(core *c, struct origin *o, uint64_t now);

/* ---- checkpoint.c ------------------------------------------------------- */
int core_checkpoint_write(core *c);
int core_checkpoint_load(core *c);

/* ---- merge.c ------------------------------------------------------------ */
int core_view_build(core *c, uint64_t now);
long core_view_find(const core *c, const blf_prefix *p);
struct core_walk *core_walk_new(core *c);
void core_walk_free(struct core_walk *w);
int core_walk_entry_at(core *c, struct core_walk *w, size_t vi, core_entry *e);
int core_walk_step(const core *c, struct core_walk *w, size_t vi, core_entry *e);
void *core_merge_alloc(core *c, void *p, size_t n);
/* Room for one more element in *arr (n of *cap used, sz bytes each): when
 * full, the array doubles (to first elements at least) through
 * core_merge_alloc.  0, or BLF_ENOMEM with *arr and *cap unchanged. */
int core_grow(core *c, void **arr, size_t n, size_t *cap, size_t sz, size_t first);
/* Record (o, p, kind) as changed since the view was built, for the next
 * update; falls back to a full rebuild (vdirty) when too many or out of
 * memory.  Never fails. */
void core_view_note(core *c, const struct origin *o, const blf_prefix *p, int excl);
/* Record ri of o is about to be removed (the last record moving into its
 * place): keep the view readable until its update. */
void core_view_rec_removed(core *c, const struct origin *o, uint32_t ri);
/* 1 if the view must be rebuilt or updated before it is read. */
static inline int
core_view_stale(const core *c)
{
	return c->vdirty || c->ndirt > 0;
}
void core_view_free(core *c);
void core_prefix_end(const blf_prefix *p, blf_prefix *e);
/* In the array *arr of *n elements of size sz (room for *cap), replace the
 * spans [oa[k], ob[k]) by the spans [na[k], nb[k]) of nw, for k < nr (spans
 * sorted, not overlapping): block moves in place, the array grown when it
 * must.  0, or BLF_ENOMEM with nothing changed. */
int core_splice(core *c, void **arr, size_t *n, size_t *cap, size_t sz, const size_t *oa,
		const size_t *ob, const void *nw, const size_t *na, const size_t *nb, size_t nr);
extern int core_view_check_all; /* testing: core_test_check_view(NULL, on) */

/* Number of (origin, record) pairs of view entry v (1 or more). */
static inline uint32_t
vent_npairs(const struct vent *v)
{
	return (v->n & VENT_ONE) ? 1 : v->n & VENT_N;
}

/* Pair i (< vent_npairs(v)) of view entry v of c's view: the one inline,
 * or one of the entry's run in c->vpairs.  Pairs come in origin order. */
static inline struct vpair
vent_pair(const core *c, const struct vent *v, uint32_t i)
{
	struct vpair p;

	if (v->n & VENT_ONE) {
		p.o = v->n & VENT_N;
		p.r = v->start;
		return p;
	}
	return c->vpairs[v->start + i];
}

/* ---- dispute.c ---------------------------------------------------------- */
/* BLF_ELIMIT if applying d would take origin past CORE_MAX_DISPUTES (reset:
 * its state is dropped first, a new epoch); else reserves room so that
 * core_dispute_apply cannot fail.  0, BLF_ELIMIT or BLF_ENOMEM. */
int core_dispute_check(core *c, const uint8_t origin[BLF_KEYID_LEN], const blf_delta *d, int reset);
/* The disputes and answers of a verified snapshot set (n chunks): BLF_ELIMIT
 * past CORE_MAX_DISPUTES, BLF_EDUP for a key in two chunks; else reserves
 * room so that applying them cannot fail.  0, or those, or BLF_ENOMEM. */
int core_dispute_snapshot_check(core *c, const blf_snapshot *s, size_t n);
/* Apply the dispute, answer and withdrawal operations of a checked delta;
 * 1 if anything changed (the file is then dirty), else 0. */
int core_dispute_apply(core *c, const blf_delta *d);
/* Drop what origin filed and answered (a new epoch, a reset). */
void core_dispute_forget(core *c, const uint8_t origin[BLF_KEYID_LEN]);
/* Mark which disputes count at now; before core_dispute_lapsed calls. */
void core_dispute_prepare(core *c, uint64_t now);
/* 1 if listing r of o lapsed under a dispute at now (SPEC 8.6); lowers
 * *until (if not NULL) to the time an open dispute would lapse it. */
int core_dispute_lapsed(const core *c, const struct origin *o, const struct rec *r, uint64_t now,
		   uint64_t *until);
/* Write the disputes file if it changed; 0 or BLF_EIO/BLF_ENOMEM. */
int core_dispute_save(core *c);
/* Load the disputes file (none: 0); BLF_ECORRUPT, BLF_EIO, BLF_ENOMEM. */
int core_dispute_load(core *c);
void core_dispute_free(core *c);
/* The operations that restate origin's disputes and answers, for its
 * snapshot (ref points into the core); at most max, returns the count. */
size_t core_dispute_ops_of(core *c, const uint8_t origin[BLF_KEYID_LEN], blf_op *ops, size_t max);

/* ---- feed.c ------------------------------------------------------------- */
void core_feed_init(core *c);
void core_feed_update(core *c);
/* An update replaced the entries inside the nr ranges rng (sorted,
 * disjoint); range i's entries are now vents [a[i], b[i]).  Updates the
 * fingerprints and the log for those ranges only. */
void core_feed_update_ranges(core *c, const blf_prefix *rng, const size_t *a, const size_t *b,
			     size_t nr);
void core_feed_free(core *c);
/* Fingerprints of every exported entry of c's view, whether or not the
 * feed is on (the update's oracle); 0 or BLF_ENOMEM. */
int core_feed_fingerprints(core *c, struct vfps *out);
void core_vfps_free(struct vfps *s);


/* A 64-bit finaliser (MurmurHash3's fmix64): hash-table slots and the
 * checkpoint's fast checksum.  Not a cryptographic hash. */
static inline uint64_t
core_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#endif /* BLF_CORE_INT_H */
