/*
 * core.h - the agent core: per-origin logs, journal, merge engine and why.
 *
 * The core takes signed delta envelopes, checks them completely (signature,
 * signer, epoch, seq, prev-hash, clock) before any state change, journals the
 * exact signed bytes with fsync, and applies their operations to the state of
 * the origin that signed them.  Each origin's state is what its own deltas
 * say; local policy (the trust store) is applied on top when the merged view
 * or a why answer is computed, so that a trust change never touches a log.
 *
 * No networking, no threads, no clock: every call that needs the time takes
 * `now` (unix seconds).  A core is used by one thread at a time.
 *
 * Functions return 0 or a positive BLF_E* code (protocol/blf.h).
 *
 * Data directory layout.  The directory and its sub-directories must be
 * owned by the agent's user and not writable by group or others (core_open
 * refuses them otherwise); every file is opened without following symlinks
 * and created 0600; whole files are written to an exclusive temporary file,
 * fsynced and renamed in.
 *   <datadir>/log/<origin-hex>.<epoch>.jnl   append-only journal per log
 *   <datadir>/log/<origin-hex>.<epoch>.base  the origin's durable state at
 *                                            one seq (written by compaction
 *                                            and by an accepted snapshot);
 *                                            base + the journal records
 *                                            after its seq = the state
 *   <datadir>/log/<name>.broken               a journal recovery could not
 *                                            replay, set aside (never deleted)
 *   <datadir>/checkpoint                     a cache of the whole state in
 *                                            host byte order; losing or
 *                                            damaging it costs only a replay
 *   <datadir>/evidence/<origin-hex>.<epoch>.<seq>.<hash-hex>.msg
 *                                            each envelope of an
 *                                            equivocation, named by its
 *                                            message hash, never overwritten
 *   <datadir>/evidence/<origin-hex>.frozen   freeze mark (the only record
 *                                            of a freeze)
 */
#ifndef BLF_CORE_H
#define BLF_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "../../protocol/blf.h"
#include "../../keys/keys.h"

#define CORE_DEFAULT_THRESHOLD 100u
#define CORE_DEFAULT_WINDOW (24u * 3600u) /* journal kept for catch-up, seconds */
#define CORE_MAX_ORIGINS KEYS_MAX_ANCHORS /* origin logs held at once */
#define CORE_MAX_PATH 4096u
/* Journal bytes held per origin (its current epoch's file).  Compaction
 * keeps about a window (a day) of deltas; 1 GiB holds a bootstrap of 10 M
 * listings with 45-byte references (580 MB) with room to spare, and stops
 * an origin that floods us long before the disk fills.  The trust anchor
 * should carry its own value, fitted to its scope (a keys/ setting:
 * trust_anchor.journal_max); until it does, every origin gets
 * core_config.journal_max. */
#define CORE_DEFAULT_JOURNAL_MAX (1ull << 30)

typedef struct core core;

/* Configuration; zero fields take their defaults. */
typedef struct core_config {
	uint32_t threshold;    /* merge threshold (default 100) */
	uint64_t window;       /* journal window kept by compaction, seconds (24 h) */
	int no_fsync;          /* tests only: skip fsync (never in production) */
	uint64_t journal_max;  /* journal bytes per origin (CORE_DEFAULT_JOURNAL_MAX) */
} core_config;

/* What core_apply found out, filled on success and on log-level errors. */
typedef struct core_result {
	uint8_t origin[BLF_KEYID_LEN]; /* origin of the delta (once decoded) */
	uint32_t epoch;
	uint64_t seq;
	size_t nops;                   /* operations applied */
	size_t nfiltered;              /* of which filtered by local policy */
	/* BLF_EGAP: ask peers for (gap_epoch, seq gap_from..gap_to). */
	uint32_t gap_epoch;
	uint64_t gap_from;
	uint64_t gap_to;
	/* BLF_EEQUIVOCATION: the message hash of the received conflicting
	 * message; core_evidence_path names its file. */
	uint8_t evidence[BLF_HASH_LEN];
} core_result;

/*
 * The path of the evidence file that res (from a BLF_EEQUIVOCATION) names:
 * <datadir>/evidence/<origin-hex>.<epoch>.<seq>.<hash-hex>.msg.  The
 * message the journal held lies beside it, named by its own hash.
 * BLF_EINVAL if cap is too small.
 */
int core_evidence_path(const core *c, const core_result *res, char *buf, size_t cap);

/*
 * Open (creating it 0700 if needed) the data directory and recover: load
 * the checkpoint if it is sound, stream every journal (memory bounded by
 * the largest record, not the file), truncate a torn or corrupt tail,
 * replay what the checkpoint does not cover; an origin whose journal no
 * longer matches the checkpoint, or every origin when the checkpoint is
 * missing or damaged, is rebuilt from its base and journal (a damaged
 * checkpoint is reported in core_stats_io, never refused).  st is copied
 * (the caller keeps ownership of its store).  On success *out is freed
 * with core_close.  Returns BLF_EIO (errno tells more: EACCES, EPERM or
 * ELOOP for a data directory or sub-directory that is writable by others,
 * owned by another user or a symlink; an I/O error reading any file,
 * the checkpoint included), BLF_ENOMEM.
 */
int core_open(const char *datadir, const core_config *cfg, const trust_store *st,
	      uint64_t now, core **out);

/* Close without writing a checkpoint; NULL is fine. */
void core_close(core *c);

/* Replace the trust store (a copy is kept) and recompute policy verdicts of
 * every stored listing.  Logs are not touched. */
int core_set_trust(core *c, const trust_store *st, uint64_t now);

/* The trust store in use (owned by the core). */
const trust_store *core_trust(const core *c);

/*
 * Apply one signed delta envelope received from anywhere.  All checks run
 * before any state change; on success the envelope is journaled (fsync)
 * and its operations applied.  Returns 0 or:
 *   parse/signature codes from blf_envelope_parse / blf_delta_open,
 *   BLF_EWRONGTYPE (not a delta), BLF_EUNKKEY (unknown signer, or signer not
 *   a key of the delta's origin), BLF_EREVOKED, BLF_EEXPIREDKEY,
 *   BLF_EFROZEN, BLF_ECLOCK, BLF_ERANGE (times beyond 2106),
 *   BLF_EGAP (res->gap_* say what is missing), BLF_EDUPLICATE, BLF_ESTALE
 *   (older epoch, or compacted seq), BLF_EEQUIVOCATION (origin frozen,
 *   res->evidence is the received message's hash: core_evidence_path;
 *   the stored one lies beside it), BLF_EPREV, BLF_ELIMIT (the origin's journal would pass
 *   core_config.journal_max; counted in core_stats_io), BLF_EIO.  A higher
 *   epoch not starting at seq 1 is a gap (res->gap_epoch, from 1).
 * BLF_EIO: if the journal write failed, nothing changed and the core goes
 * on; if the sync failed, memory is ahead of what is durable and every
 * later change (apply, publish, checkpoint, compact, unfreeze, snapshot)
 * returns BLF_EIO until the core is closed and reopened: recovery then
 * gives the state before or after the delta, and the delta can be applied
 * again.  res may be NULL.
 */
int core_apply(core *c, const uint8_t *msg, size_t len, uint64_t now, core_result *res);

/*
 * Apply several envelopes under one fsync per journal file.  Each message
 * is checked as by core_apply against the state left by the previous ones;
 * rc[i] receives its code (res may be NULL or an array of n).  Each message
 * that passes is written to its journal and applied in memory in turn; then
 * every touched journal is synced once, and only then does the call return,
 * so nothing is acknowledged before it is on disk.  Returns 0, or BLF_EIO if
 * a journal could not be written or synced (see core_apply): after a
 * reopen each message is either held or can be applied again.  Epochs
 * superseded within the batch leave no journal behind.
 */
int core_apply_batch(core *c, const uint8_t *const *msgs, const size_t *lens, size_t n,
		     uint64_t now, int *rc, core_result *res);

/*
 * Our own origin: build the next delta of the origin that ks belongs to
 * (its anchor must be in the trust store: BLF_EUNKKEY otherwise) with
 * created = now, sign it, journal and apply it, and append the envelope to
 * out for the transport.  The first delta ever starts epoch 1.
 */
int core_publish(core *c, const key_secret *ks, const blf_op *ops, size_t nops,
		 uint64_t now, blf_buf *out);

/* Clear an origin's freeze (after the administrator looked at the evidence),
 * durably: the freeze mark is removed and the directory synced, so the
 * unfreeze survives a restart.  BLF_ENOTFOUND if the origin is unknown or
 * not frozen; BLF_EIO (still frozen). */
int core_unfreeze(core *c, const uint8_t origin[BLF_KEYID_LEN]);

/* Non-zero if the origin is frozen. */
int core_is_frozen(const core *c, const uint8_t origin[BLF_KEYID_LEN]);

/*
 * Catch-up service: the stored envelopes of (origin, epoch) with seq >
 * after_seq, at most max (capped at BLF_MAX_CATCHUP_DELTAS).  *status is an
 * enum blf_catchup_status; *more is set when more deltas follow.  Each blob
 * is a malloc'd copy: free with core_blobs_free(blobs, n).
 */
int core_get_deltas(core *c, const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch,
		    uint64_t after_seq, uint32_t max, uint32_t *status, int *more,
		    blf_blob **blobs, size_t *nblobs);
void core_blobs_free(blf_blob *blobs, size_t n);

/* Heads of every origin log held (for the heads announcement); *heads is
 * malloc'd (free()).  Origins with no delta yet are omitted. */
int core_heads(const core *c, blf_head **heads, size_t *nheads);

/* The head of one origin: BLF_ENOTFOUND if none. */
int core_head(const core *c, const uint8_t origin[BLF_KEYID_LEN], blf_head *head);

/* Write the checkpoint (exclusive temp file, fsync, rename, fsync of the
 * directory).  BLF_EIO leaves the previous checkpoint in place. */
int core_checkpoint(core *c);

/* Purge listings that expired by now; for each origin with journal records
 * older than the window, write its base (its state now, durably), then
 * rewrite its journal without those records; then checkpoint.  Requests
 * for dropped records get BLF_CATCHUP_COMPACTED (serve a snapshot).  The
 * state never depends on the checkpoint: base + journal give it.  BLF_EIO
 * leaves every origin's files consistent (old or new). */
int core_compact(core *c, uint64_t now);

/* ---- snapshots (SPEC 6.5) and one origin's records --------------------- */

/* Receives one sealed snapshot chunk envelope (valid during the call).
 * Return 0 to go on; anything else stops core_snapshot_make with it. */
typedef int (*core_chunk_fn)(void *ctx, const uint8_t *msg, size_t len);

/*
 * Snapshot of our own origin (the one ks signs for; its anchor must be in
 * the trust store) at its current head: fn receives chunks 0..nchunks-1 in
 * order, each of at most BLF_MAX_OPS list and exclude operations, created
 * = now; listings expired by now are left out.  Returns 0, BLF_ENOTFOUND
 * (no delta published yet), the codes of trust_store_resolve, BLF_ELIMIT
 * (more than BLF_MAX_SNAPSHOT_CHUNKS chunks), BLF_ENOMEM, or fn's code.
 */
int core_snapshot_make(core *c, const key_secret *ks, uint64_t now, core_chunk_fn fn,
		       void *ctx);

/*
 * Accept a served snapshot of any origin, all of its n chunks (any order),
 * as the base of that origin's log: the origin's state becomes the
 * snapshot's and the log continues at seq + 1 with prev = head.  Every
 * check runs before any change: per chunk the envelope, type
 * (BLF_EWRONGTYPE), signer (BLF_EUNKKEY also when the key belongs to
 * another origin, BLF_EREVOKED, BLF_EEXPIREDKEY), signature (BLF_EBADSIG)
 * and body codes; across chunks BLF_ECHUNK (fields differ, a chunk missing
 * or twice, n != nchunks) and BLF_EDUP (a prefix in two chunks); then
 * BLF_ECLOCK, BLF_ERANGE, BLF_EFROZEN, BLF_ESTALE (not newer than the log
 * held), BLF_EDUPLICATE (exactly our head), BLF_EPREV (our head at that
 * seq differs).  The state is durable on return (a base file and an empty
 * journal of its epoch); BLF_EIO otherwise.
 */
int core_snapshot_apply(core *c, const uint8_t *const *chunks, const size_t *lens, size_t n,
			uint64_t now);

/* One record of one origin's state (strings point into the core and stay
 * valid until the next call that changes it; ref is not NUL-terminated). */
typedef struct core_origin_rec {
	int exclusion;                 /* 0 listing, 1 exclusion */
	blf_prefix prefix;
	uint16_t reason;               /* listings */
	uint64_t expires;              /* listings; 0 for exclusions */
	uint64_t first, changed;
	const char *ref;
	size_t ref_len;
} core_origin_rec;

/* Iterator over one origin's records (expired listings included), in no
 * particular order; the core must not change while iterating.  epoch, seq
 * and head tell the log position the records are the state of. */
typedef struct core_origin_iter {
	const core *c;
	const void *o;
	size_t pos;
	uint32_t epoch;
	uint64_t seq;
	uint8_t head[BLF_HASH_LEN];
} core_origin_iter;

/* BLF_ENOTFOUND if the origin is unknown. */
int core_origin_iter_begin(const core *c, const uint8_t origin[BLF_KEYID_LEN],
			   core_origin_iter *it);
/* 1 and *r filled, or 0 at the end. */
int core_origin_iter_next(core_origin_iter *it, core_origin_rec *r);

/* What recovery found of the checkpoint at core_open. */
enum core_ckpt_state {
	CORE_CKPT_NONE = 0,    /* there was none */
	CORE_CKPT_OK,          /* loaded */
	CORE_CKPT_BAD          /* damaged: ignored, state rebuilt from the logs;
				* the next core_checkpoint replaces it */
};

/* Storage events since core_open, for the daemon to log. */
typedef struct core_stats_io {
	int checkpoint;        /* enum core_ckpt_state */
	uint64_t nrebuilt;     /* origins rebuilt because the checkpoint no
				* longer matched their journal */
	uint64_t nbroken;      /* files set aside as <name>.broken: journals
				* that could not be replayed, damaged bases */
	uint64_t nlimit;       /* deltas refused: origin's journal_max reached */
} core_stats_io;

/* Statistics. */
typedef struct core_stats {
	size_t norigins;
	size_t nlistings;   /* (origin, prefix) listings held, expired included */
	size_t nexclusions;
	size_t nrefs;       /* distinct interned references */
	size_t nview;       /* entries of the last built view */
	core_stats_io io;   /* storage events */
} core_stats;
void core_get_stats(const core *c, core_stats *s);

/* ---- Merged view ------------------------------------------------------ */

enum core_entry_kind {
	CORE_ENTRY_LISTED = 1,  /* export as listed */
	CORE_ENTRY_EXCLUDED = 2 /* export as an explicit exclusion (rbldnsd "!") */
};

/* One origin's contribution to an entry.  Strings point into the core and
 * stay valid until the next call that changes it; ref is NOT NUL-terminated. */
typedef struct core_prov {
	const char *name;              /* anchor display name */
	const uint8_t *origin;         /* BLF_KEYID_LEN bytes */
	uint32_t weight;
	uint16_t reason;               /* listings only */
	uint64_t first;                /* first listed / excluded */
	uint64_t changed;              /* last changed */
	uint64_t expires;              /* listings only; 0 for exclusions */
	const char *ref;
	size_t ref_len;
} core_prov;

/*
 * One exported entry.  For LISTED, expires is the earliest time at which the
 * summed weight of the contributing listings drops below the threshold
 * (contributions leave in expiry order).  EXCLUDED entries carry expires 0
 * (exclusions do not expire) and weight 0.
 */
typedef struct core_entry {
	int kind;                      /* enum core_entry_kind */
	blf_prefix prefix;
	uint32_t weight;
	uint64_t expires;
	size_t nprov;
	const core_prov *prov;         /* nprov contributions, internal buffer */
} core_entry;

/* Iterator over the merged view at time now, sorted by blf_prefix_cmp with
 * no duplicate prefixes.  The core must not change while iterating. */
typedef struct core_iter {
	core *c;
	size_t pos;
	core_prov *prov;
	size_t provcap;
} core_iter;

/* Build the view for now (cached until the state, trust or now changes). */
int core_iter_begin(core *c, uint64_t now, core_iter *it);
/* 1 and *e filled, or 0 at the end (also if the provenance buffer cannot
 * be allocated: compare it->pos with core_get_stats' nview to tell). */
int core_iter_next(core_iter *it, core_entry *e);
void core_iter_end(core_iter *it);

/* ---- why ---------------------------------------------------------------- */

enum core_status {
	CORE_ACCEPTED = 0,    /* counted in the merge */
	CORE_FILTERED,        /* refused by the trust anchor: verdict says why */
	CORE_EXPIRED,         /* listing past its expiry */
	CORE_RELAY_ONLY,      /* origin is relay-only */
	CORE_FROZEN,          /* origin frozen after equivocation */
	CORE_NO_ANCHOR        /* origin no longer in the trust store */
};

enum core_verdict {
	CORE_NOT_LISTED = 0,
	CORE_LISTED,          /* listed via `via` */
	CORE_EXCLUDED         /* an exclusion covers the query */
};

typedef struct core_why_item {
	char name[KEYS_NAME_MAX + 1];  /* origin display name, or its hex id */
	uint8_t origin[BLF_KEYID_LEN];
	int exclusion;                 /* 0 listing, 1 exclusion */
	blf_prefix prefix;
	uint16_t reason;
	uint64_t first;
	uint64_t changed;
	uint64_t expires;              /* 0 for exclusions */
	char ref[BLF_MAX_REF_LEN + 1]; /* NUL-terminated copy */
	uint32_t weight;               /* anchor weight (0 without anchor) */
	int status;                    /* enum core_status */
	int verdict;                   /* enum trust_verdict when CORE_FILTERED */
	int decisive;                  /* contributes to the final verdict */
} core_why_item;

typedef struct core_why {
	blf_prefix query;
	int verdict;                   /* enum core_verdict */
	blf_prefix via;                /* the view entry that decided */
	uint32_t weight;               /* summed weight of `via` (listed) */
	uint32_t threshold;
	size_t nitems;
	core_why_item *items;          /* owned; core_why_free */
} core_why;

/*
 * Every listing and exclusion of every origin that covers q (prefixes that
 * contain q and, when q is wider than a host, those inside it), what policy
 * does with each, and the final verdict (longest match in the merged view;
 * if no entry matches but a listing that reached the threshold was removed
 * by an exclusion, the verdict is CORE_EXCLUDED).  Free with core_why_free.
 */
int core_why_query(core *c, const blf_prefix *q, uint64_t now, core_why *out);
void core_why_free(core_why *w);

/* Short names for enum core_status / core_verdict. */
const char *core_status_str(int status);
const char *core_verdict_str(int verdict);

#endif /* BLF_CORE_H */
