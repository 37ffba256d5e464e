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
 * Functions return 0 or a positive BLF_E* code (protocol/blf.h), except
 * core_iter_next (1 entry, 0 end, -1 error) and the few that return a
 * value, as their comments say.
 *
 * The merged view (SPEC 8) is built lazily and cached until the state, the
 * trust store or the clock moves past the next expiry; every build has a
 * generation, and with core_config.change_feed the core keeps what an
 * exporter needs to ask only for the differences since the generation it
 * last wrote (core_changes_since).  core_next_change tells the daemon when
 * the view may change with no input at all.
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
 *   <datadir>/log/<origin-hex>.snap          the newest verified snapshot of
 *                                            the origin that we keep to
 *                                            serve (its signed chunks as
 *                                            received or made: snapstore.c);
 *                                            compaction never drops a
 *                                            record it does not cover
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

/* Records (listings and exclusions) one origin may hold when neither the
 * configuration nor its anchor's scope says otherwise: see
 * core_config.max_records. */
#define CORE_RECORD_SLACK 4096u
#define CORE_MAX_RECORDS ((1u << 26) - 2) /* the index's hard limit per origin */
/* A new epoch may be at most this far above the one held (SPEC 5.3). */
#define CORE_MAX_EPOCH_STEP 16u
/* Change-log records kept for core_changes_since (32 bytes each). */
#define CORE_DEFAULT_FEED_LOG (1u << 20)
/* Items core_why_query returns at most (core_why_page pages further). */
#define CORE_WHY_MAX_ITEMS 1000u

/* Configuration; zero fields take their defaults. */
typedef struct core_config {
	uint32_t threshold;    /* merge threshold (default 100) */
	uint64_t window;       /* journal window kept by compaction, seconds (24 h) */
	int no_fsync;          /* tests only: skip fsync (never in production) */
	uint64_t journal_max;  /* journal bytes per origin (CORE_DEFAULT_JOURNAL_MAX) */
	/* Records one origin may hold.  0: a default from its anchor's scope:
	 * every prefix its anchor lets it list or exclude, plus
	 * CORE_RECORD_SLACK for what policy filters, at most CORE_MAX_RECORDS.
	 * A delta that would take an origin past its limit is refused with
	 * BLF_ELIMIT (core_stats.nlimited counts them).  Records that policy
	 * filters (out of scope, too wide) are stored and count: the state
	 * stays what the deltas say, a trust change needs no journal replay,
	 * and why explains them; the limit bounds what they can cost. */
	uint64_t max_records;
	/* Keep the fingerprints that core_changes_since needs (12 bytes per
	 * exported IPv4 entry, 24 per IPv6 one, and 32-byte change-log
	 * records).  Without it the generation still moves, but no
	 * differences can be asked for. */
	int change_feed;
	size_t feed_log_max;   /* change-log records kept (CORE_DEFAULT_FEED_LOG) */
	/* Keep no index of the accepted records between reads of the view
	 * (8 bytes per IPv4 listing, 24 per IPv6 one): the view is built
	 * whole after any change, as it was before it could be updated for
	 * the prefixes a delta touched.  Less memory, for an agent that
	 * reads its view rarely (no export); each read after a change then
	 * costs a build (about 1 s of CPU at 10 M listings). */
	int view_rebuild;
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
	      core **out);

/* Close without writing a checkpoint; NULL is fine. */
void core_close(core *c);

/* Replace the trust store (a copy is kept) and recompute policy verdicts of
 * every stored listing.  Logs are not touched. */
int core_set_trust(core *c, const trust_store *st);

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
 *   BLF_EEPOCH (a new epoch more than CORE_MAX_EPOCH_STEP above the one
 *   held, or than that for an origin with no log yet: SPEC 5.3),
 *   BLF_ELIMIT (the origin would hold more records than its limit,
 *   core_config.max_records; counted in core_stats.nlimited),
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

/*
 * Administrator's reset of one origin on this agent (SPEC 5.3): forget its
 * log, state and freeze, delete its journals, and write the checkpoint, so
 * that its next delta is taken as the first one ever seen (any epoch up to
 * CORE_MAX_EPOCH_STEP).  For an origin locked out by a bogus epoch or a
 * stolen key; peers are not affected.  BLF_ENOTFOUND if the core holds
 * nothing for origin; BLF_EIO (then close and reopen).  Durable on return.
 */
int core_origin_reset(core *c, const uint8_t origin[BLF_KEYID_LEN]);

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
 * older than the window and covered by the snapshot kept of its epoch
 * (core_snapshot_keep, core_snapshot_take: never a record that no kept
 * snapshot covers, so that a peer that far behind can be served one),
 * write its base (its state now, durably), then
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
 * seq differs), BLF_EEPOCH (an epoch more than CORE_MAX_EPOCH_STEP above
 * the one held, or above 0: SPEC 5.3).  The state is durable on return (a base file and an empty
 * journal of its epoch), and the chunks are kept, unchanged, to serve
 * (log/<hex>.snap, written first: core_snapshot_chunk); BLF_EIO otherwise,
 * with nothing changed when the kept file could not be written.
 */
int core_snapshot_apply(core *c, const uint8_t *const *chunks, const size_t *lens, size_t n,
			uint64_t now);

/*
 * Accept a served snapshot as core_snapshot_apply does (same checks, same
 * codes) and keep its chunks to serve (log/<hex>.snap); *applied tells
 * whether it became the log's base.  With keep_older, a snapshot that is
 * not newer than the log held but agrees with it (same epoch; the same
 * hash at its seq where we still hold that delta; else BLF_EPREV) is only
 * kept, when newer than the one kept (else BLF_ESTALE): a relay keeps a
 * snapshot of each origin it carries so that compaction can proceed and a
 * peer behind it can be served.  core_snapshot_apply(...) is
 * core_snapshot_take(..., 0, &applied).  BLF_EIO follows the rule of
 * core_eio: a write that failed (a full disk) changed nothing, the
 * snapshot is dropped and may be fetched again; only when core_failed()
 * is the disk ahead of memory.
 */
int core_snapshot_take(core *c, const uint8_t *const *chunks, const size_t *lens, size_t n,
		       uint64_t now, int keep_older, int *applied);

/*
 * A served snapshot gathered chunk by chunk into a file instead of memory
 * (SPEC 6.8: the requester of a large origin's snapshot), then accepted
 * from that file as core_snapshot_take accepts one: the file is the
 * temporary of the kept file (log/.<hex>.snap.XXXXXX, created exclusively,
 * mode 0600, no symlink followed) and is renamed into place when accepted,
 * so the chunks are written once.  Memory stays one chunk and the state.
 */
typedef struct core_spool core_spool;

/* Start gathering origin's snapshot: 0 and *out (core_spool_free it),
 * BLF_EIO (the file cannot be created, or the core has failed), BLF_ENOMEM. */
int core_spool_begin(core *c, const uint8_t origin[BLF_KEYID_LEN], core_spool **out);

/*
 * Verify one chunk on its own (the codes of core_snapshot_apply per chunk,
 * and BLF_ECLOCK, BLF_ERANGE), check that it is the next one (chunk 0
 * first, then 1, 2...) of the snapshot chunk 0 began, of the origin asked
 * for (else BLF_ECHUNK), and append it to the file (BLF_EIO).  After an
 * error the spool takes nothing more: free it.
 */
int core_spool_add(core_spool *sp, const uint8_t *msg, size_t len, uint64_t now);

/* Chunks gathered so far, and of how many (0 before chunk 0). */
void core_spool_count(const core_spool *sp, uint32_t *have, uint32_t *nchunks);

/*
 * All chunks in: accept the snapshot as core_snapshot_take(..., keep_older,
 * applied) does, reading the chunks back from the file one at a time (each
 * verified again: the trust store may have changed meanwhile).  The same
 * codes, and BLF_ECHUNK when chunks are missing.  Free the spool after.
 */
int core_spool_take(core_spool *sp, uint64_t now, int keep_older, int *applied);

/* Remove the file unless it was accepted, and free; NULL is fine. */
void core_spool_free(core_spool *sp);

/* What a kept snapshot is of. */
typedef struct core_snap_info {
	uint32_t epoch;
	uint64_t seq;
	uint32_t nchunks;
} core_snap_info;

/*
 * Make our own origin's snapshot now (as core_snapshot_make) and keep it
 * to serve, replacing the kept one.  0, the codes of core_snapshot_make,
 * BLF_EIO.
 */
int core_snapshot_keep(core *c, const key_secret *ks, uint64_t now);

/* The snapshot kept of origin: 0 and *info, or BLF_ENOTFOUND. */
int core_snapshot_kept(core *c, const uint8_t origin[BLF_KEYID_LEN], core_snap_info *info);

/*
 * Chunk number `chunk` of the kept snapshot of origin (the exact signed
 * envelope, malloc'd: free()), and what the kept snapshot is of.
 * BLF_ENOTFOUND (none kept, or chunk >= info->nchunks; *info is filled in
 * the latter case), BLF_EIO (a damaged file), BLF_ENOMEM.
 */
int core_snapshot_chunk(core *c, const uint8_t origin[BLF_KEYID_LEN], uint32_t chunk,
			core_snap_info *info, uint8_t **msg, size_t *len);

/*
 * The origins whose compaction waits for a snapshot (journal records older
 * than the window that the kept snapshot does not cover), at most max, as
 * our heads of them.  The transport makes our own (core_snapshot_keep) and
 * asks peers for the others'.
 */
size_t core_snapshot_needed(core *c, uint64_t now, blf_head *out, size_t max);

/* One record of one origin's state (ref points into the iterator and stays
 * valid until its next call, the core must not change meanwhile; ref is not
 * NUL-terminated). */
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
	char ref[BLF_MAX_REF_LEN];     /* the last record's reference text */
} core_origin_iter;

/* BLF_ENOTFOUND if the origin is unknown. */
int core_origin_iter_begin(const core *c, const uint8_t origin[BLF_KEYID_LEN],
			   core_origin_iter *it);
/* 1 and *r filled, or 0 at the end. */
int core_origin_iter_next(core_origin_iter *it, core_origin_rec *r);
/* Whether the record core_origin_iter_next gave last counts in the merged
 * view at now (origin anchored, not frozen or relay-only, anchor unexpired,
 * the record allowed by the anchor and unexpired): CORE_ACCEPTED, or the
 * CORE_* status that keeps it out. */
int core_origin_iter_status(const core_origin_iter *it, uint64_t now);

/* What recovery found of the checkpoint at core_open. */
enum core_ckpt_state {
	CORE_CKPT_NONE = 0,    /* there was none */
	CORE_CKPT_OK,          /* loaded */
	CORE_CKPT_BAD          /* damaged: ignored, state rebuilt from the logs;
				* the next core_checkpoint replaces it */
};

#define CORE_IO_CUTS_MAX 16u /* cut journals itemised in core_stats_io.cuts */

/* A journal recovery cut at open: the records from off on were dropped
 * (the peers' catch-up brings them back). */
typedef struct core_cut {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t off;          /* where the journal ends now */
	uint64_t dropped;      /* bytes removed from there to the old end */
	int damaged;           /* 1: a whole record failed its checksum or
				* framing; 0: a write torn at the end (a crash) */
} core_cut;

/* Storage events since core_open, for the daemon to log. */
typedef struct core_stats_io {
	int checkpoint;        /* enum core_ckpt_state */
	uint64_t nrebuilt;     /* origins rebuilt because the checkpoint no
				* longer matched their journal */
	uint64_t nbroken;      /* files set aside as <name>.broken: journals
				* that could not be replayed, damaged bases */
	uint64_t nlimit;       /* deltas refused: origin's journal_max reached */
	uint64_t nwfailed;     /* journal writes that failed and changed
				* nothing (a full disk): deltas dropped */
	int werrno;            /* errno of the last of them (0: none yet) */
	uint64_t ncut;         /* journals cut at open, torn or damaged */
	uint64_t ndamaged;     /* of them, cut at a damaged record */
	core_cut cuts[CORE_IO_CUTS_MAX]; /* the first min(ncut, MAX) of them */
} core_stats_io;

/* Statistics. */
typedef struct core_stats {
	size_t norigins;
	size_t nlistings;   /* (origin, prefix) listings held, expired included */
	size_t nexclusions;
	size_t nrefs;       /* distinct interned references */
	size_t nview;       /* entries of the last built view */
	core_stats_io io;   /* storage events */
	size_t nlimited;    /* deltas refused with BLF_ELIMIT since open */
} core_stats;
void core_get_stats(const core *c, core_stats *s);

/* Non-zero once a journal sync failed: memory is ahead of the disk and
 * every change returns BLF_EIO until the core is closed and reopened.  A
 * BLF_EIO with this still zero was a failed write that changed nothing (a
 * full disk): the caller may go on. */
int core_failed(const core *c);

/* What a caller does after BLF_EIO from a change (core_apply,
 * core_apply_batch, core_publish): see core_eio. */
enum core_eio_action {
	CORE_EIO_STOP = 1, /* a sync failed (core_failed): memory is ahead of
			    * the disk; stop, a restart recovers */
	CORE_EIO_TELL,     /* a journal write failed and changed nothing:
			    * drop what failed and log the reason once */
	CORE_EIO_QUIET     /* the same failure again, already told: drop it */
};

/*
 * The one rule for a failing journal, for the daemon's publish and the
 * net's deltas alike.  A failed sync stops (CORE_EIO_STOP).  A failed
 * write left memory and disk consistent: the delta it carried is dropped
 * -- not relayed, not acknowledged, so catch-up fetches it again once the
 * disk has room -- and the reason (*err, an errno) is told once: the first
 * failure with a given errno returns CORE_EIO_TELL, the next ones
 * CORE_EIO_QUIET, until a journal write works again.  *err is set in
 * every case (EIO when nothing better is known).
 */
int core_eio(core *c, int *err);

/* ---- Merged view ------------------------------------------------------ */

enum core_entry_kind {
	CORE_ENTRY_LISTED = 1,  /* export as listed */
	CORE_ENTRY_EXCLUDED = 2 /* export as an explicit exclusion (rbldnsd "!") */
};

/* One origin's contribution to an entry.  name and origin point into the
 * core and stay valid until the next call that changes it; ref points into
 * the iterator (or walk) that gave the entry and stays valid until the next
 * entry is asked of it; ref is NOT NUL-terminated. */
typedef struct core_prov {
	const char *name;              /* anchor display name */
	const uint8_t *origin;         /* BLF_KEYID_LEN bytes */
	uint32_t weight;
	uint16_t reason;               /* listings only */
	uint64_t first;                /* first listed / excluded */
	uint64_t changed;              /* last changed */
	uint64_t expires;              /* listings only; 0 for exclusions */
	/* listings: until when this origin counts for the entry -- the latest
	 * expiry among its listings containing the entry, capped by its
	 * anchor's expiry (SPEC 8.3); 0 for exclusions */
	uint64_t until;
	const char *ref;
	size_t ref_len;
} core_prov;

/*
 * One exported entry (SPEC 8.3).  For LISTED, weight is the sum of the
 * weights of the origins with an accepted listing containing the prefix,
 * each once; prov has one item per such origin, in origin id order, with
 * its most specific listing containing the prefix; expires is the earliest
 * time at which the summed weight drops below the threshold, each origin
 * leaving at its prov[].until.  EXCLUDED entries carry expires 0
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

struct core_walk;

/* Iterator over the merged view at time now, sorted by blf_prefix_cmp with
 * no duplicate prefixes.  Fields are internal but for err. */
typedef struct core_iter {
	core *c;
	int err;                       /* BLF_E* after core_iter_next gave -1 */
	uint64_t build;
	struct core_walk *w;
	int ranged;                    /* core_iter_begin_at */
	blf_prefix within, after;
	unsigned anc;
} core_iter;

/* Build the view for now (cached until the state, trust or now changes)
 * and allocate everything the walk needs.  0, or BLF_ENOMEM (nothing to
 * end then; core_iter_end is harmless). */
int core_iter_begin(core *c, uint64_t now, core_iter *it);
/*
 * 1 and *e filled; 0 at the end; -1 on error, it->err telling which, and
 * -1 again on every later call: BLF_ESTALE if the core changed or rebuilt
 * its view since core_iter_begin (apply, trust change, a why or iterator
 * for another time), BLF_EINVAL for an iterator that did not begin.  Loop
 * with `while ((rc = core_iter_next(&it, &e)) > 0)` and check rc after:
 * an exporter must never take an error for the end of the feed.  Filling
 * an entry never allocates (begin sized the scratch).  *e points into the
 * iterator until the next call.
 */
int core_iter_next(core_iter *it, core_entry *e);
void core_iter_end(core_iter *it);
/*
 * With bare non-zero, the entries core_iter_next gives from now on carry
 * kind and prefix only (weight, expires and nprov 0, prov NULL): the same
 * entries in the same order, without the cost of their provenance, for a
 * reader that shows none (plain lists, counting).  Zero gives complete
 * entries again (the default after begin).  Harmless on an iterator that
 * did not begin.
 */
void core_iter_bare(core_iter *it, int bare);
/*
 * Like core_iter_begin, for the entries of the view that overlap `within`
 * only: first those that contain it (shorter prefixes), then those inside
 * it, in the order core_iter_next gives them for the whole view.  With
 * after (not NULL), only the entries inside `within` that come after the
 * prefix `after` in that order: a walk of a range resumed in a later
 * iteration.  Cost: one binary search plus a lookup per length shorter
 * than within->len (or than the first entry, with after); nothing outside
 * the range is walked.  Same returns as core_iter_begin.
 */
int core_iter_begin_at(core *c, uint64_t now, const blf_prefix *within, const blf_prefix *after,
		       core_iter *it);

/* ---- generations, change feed, timer -------------------------------------- */

/*
 * The generation of the view at now (building it if needed): a number that
 * changes whenever the merged view changes.  With core_config.change_feed
 * it moves only when an exported entry was added, removed or changed (its
 * weight, expiry or provenance); without, on every rebuild after a change
 * of state or trust or an expiry, which may leave the view the same.
 * Generations are not comparable across core_open (a reopened core starts
 * at a new random base): after opening, export everything once.  With the
 * feed, every build also fingerprints the view (a walk as long as a full
 * iteration; see BENCHMARKS.md for what a build with and without costs);
 * a view updated for deltas or listing expiries fingerprints only the
 * ranges it changed.  *gen is set; returns 0 or BLF_ENOMEM.
 */
int core_view_generation(core *c, uint64_t now, uint64_t *gen);

enum core_change {
	CORE_CHANGE_ADDED = 1,   /* e: the new entry */
	CORE_CHANGE_REMOVED = 2, /* e NULL: prefix left the view */
	CORE_CHANGE_CHANGED = 3  /* e: the entry now (kind may have changed) */
};

/* Called for each change, in prefix order; a non-zero return stops the
 * walk and is returned by core_changes_since.  e and its strings are valid
 * during the call only; the callback must not call into the core. */
typedef int (*core_change_fn)(void *arg, int change, const blf_prefix *prefix,
			      const core_entry *e);

/*
 * The differences between the view of generation gen and the view at now
 * (built if needed; *cur receives its generation): one call of fn per
 * prefix whose entry was added, removed or changed, in prefix order.  An
 * entry that changed and changed back may be reported as changed.  The
 * core keeps a bounded change log (core_config.feed_log_max): BLF_ESTALE
 * when gen is older than the log reaches, or not a generation of this open
 * core -- export everything and continue from *cur.  BLF_EINVAL without
 * core_config.change_feed.  Cost: O(changes x log(changes)) plus, per
 * change, O(prefix length x log(view)) lookups; nothing else is walked.
 */
int core_changes_since(core *c, uint64_t gen, uint64_t now, core_change_fn fn, void *arg,
		       uint64_t *cur);

/*
 * Like core_changes_since, for a caller that needs only where the view
 * changed (an exporter marking its shards dirty): each prefix of the
 * change log after gen once, in prefix order, with e NULL and change
 * CORE_CHANGE_ADDED or CORE_CHANGE_CHANGED (whether it was in the view
 * of gen), nothing looked up in the view.  A superset of what
 * core_changes_since reports: a prefix added and removed again since gen
 * is reported too.  Same errors.  Cost: O(changes x log(changes)); at a
 * million entries the lookups of core_changes_since cost some 30 us a
 * change, which held an exporting daemon for over 100 ms after a few
 * thousand single-listing deltas.
 */
int core_changed_prefixes_since(core *c, uint64_t gen, uint64_t now, core_change_fn fn,
				void *arg, uint64_t *cur);

/*
 * The next time after now at which the view may change with no new delta
 * and no trust change: the earliest expiry of an accepted listing or of an
 * anchor with accepted records (it may turn out to change nothing, e.g. a
 * listing below the threshold).  UINT64_MAX if nothing expires.  For the
 * daemon's timer.  Returns 0 or BLF_ENOMEM.
 */
int core_next_change(core *c, uint64_t now, uint64_t *when);

/* Testing only: make the n-th allocation of the merge engine from now on
 * fail (view, iterator, why and change feed); 0 turns this off. */
void core_test_fail_alloc(core *c, unsigned n);

/* Testing only: after every incremental update of c's view (c NULL: of
 * every core opened from now on), build the view from scratch and compare
 * them entry by entry (prefix, kind, flags, pairs, weight, expiry and
 * provenance) with the change feed's fingerprints and log; a difference
 * is printed and aborts.  Costs a full build per update. */
void core_test_check_view(core *c, int on);
/* Testing only: incremental view updates made since c was opened. */
uint64_t core_test_view_updates(const core *c);

/* ---- why ---------------------------------------------------------------- */

enum core_status {
	CORE_ACCEPTED = 0,    /* counted in the merge */
	CORE_FILTERED,        /* refused by the trust anchor: verdict says why */
	CORE_EXPIRED,         /* listing past its expiry */
	CORE_RELAY_ONLY,      /* origin is relay-only */
	CORE_FROZEN,          /* origin frozen after equivocation */
	CORE_NO_ANCHOR,       /* origin no longer in the trust store */
	CORE_LAPSED           /* listing lapsed under a dispute (SPEC 8.6) */
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
	blf_prefix via;                /* the view entry (or exclusion) that decided */
	uint32_t weight;               /* weight of `via` (listed, SPEC 8.3) */
	uint32_t threshold;
	size_t total;                  /* records covering q, in all */
	size_t first;                  /* index of items[0] among them */
	int truncated;                 /* more follow items: first + nitems < total */
	size_t nitems;
	core_why_item *items;          /* owned; core_why_free */
} core_why;

/*
 * Every listing and exclusion of every origin that covers q (prefixes that
 * contain q and, when q is wider than a host, those inside it), what policy
 * does with each, and the final verdict (longest match in the merged view;
 * if no entry matches but a candidate of SPEC 8.3 that reached the
 * threshold was removed by an exclusion, the verdict is CORE_EXCLUDED, via
 * the widest such exclusion).  For a listed verdict, the decisive items
 * are each contributing origin's most specific listing containing `via`.
 *
 * The records come in a fixed order while the core does not change
 * (origins by id; per origin the listing then exclusion prefixes that
 * contain q, shortest first, then those inside q in storage order);
 * core_why_page returns at most max of them starting at index first, and
 * always counts them all (total), so memory is bounded by max whatever q
 * covers.  Verdict and weight do not depend on the page.  Cost: lookups of
 * q's prefix lengths per origin, plus one scan of every record when q is a
 * network.  core_why_query is core_why_page(c, q, now, 0,
 * CORE_WHY_MAX_ITEMS, out).  Free with core_why_free.
 */
int core_why_page(core *c, const blf_prefix *q, uint64_t now, size_t first, size_t max,
		  core_why *out);
int core_why_query(core *c, const blf_prefix *q, uint64_t now, core_why *out);
void core_why_free(core_why *w);

/* ---- disputes (SPEC 5.6, 8.6) ------------------------------------------- */

/* Disputes and answers one origin may hold; a delta past it is BLF_ELIMIT. */
#define CORE_MAX_DISPUTES 1024u

enum core_dispute_state {
	CORE_DISPUTE_OPEN = 1,     /* within the answer window, unanswered */
	CORE_DISPUTE_UPHELD,       /* the listing origin upheld it */
	CORE_DISPUTE_CONCEDED,     /* the listing origin answered by delisting */
	CORE_DISPUTE_LAPSED        /* the window passed without an uphold */
};

/* One answer to a dispute. */
typedef struct core_answer_info {
	char name[KEYS_NAME_MAX + 1];  /* answering origin's name, or hex id */
	uint8_t origin[BLF_KEYID_LEN];
	int concede;                   /* 1: delist, 0: upheld */
	blf_prefix prefix;             /* what it upholds or delists */
	uint16_t code;                 /* answer code (SPEC 7.2) */
	uint64_t when;
	char ref[BLF_MAX_REF_LEN + 1];
} core_answer_info;

/* One dispute as this agent holds it. */
typedef struct core_dispute_info {
	uint8_t id[BLF_DISPUTE_ID_LEN];
	char filer_name[KEYS_NAME_MAX + 1];
	uint8_t filer[BLF_KEYID_LEN];
	blf_prefix prefix;
	int has_target;
	uint8_t target[BLF_KEYID_LEN];
	char target_name[KEYS_NAME_MAX + 1];
	uint16_t code;                 /* dispute code (SPEC 7.1) */
	uint64_t filed, changed;
	char ref[BLF_MAX_REF_LEN + 1];
	int status;                    /* enum core_status of the filer's right to it */
	int verdict;                   /* enum trust_verdict when CORE_FILTERED */
	int ours;                      /* filed by the self origin */
	size_t ncovered;               /* unexpired listings it covers (all: every
					* origin's, else the self origin's) */
	size_t nopen;                  /* of which open: unanswered, in the window */
	size_t nagainst_us;            /* covered listings of the self origin */
	size_t nopen_us;               /* of which open */
	uint64_t lapse;                /* earliest lapse of an open one of ours, 0 */
	size_t nanswers;
	core_answer_info *answers;     /* owned; core_disputes_free */
} core_dispute_info;

/*
 * The disputes held, or those over or inside q (q NULL: all).  self, if
 * not NULL, is our origin id: `ours`, `nagainst_us`, `nopen_us` and `lapse`
 * are filled for it.  all: also count the covered listings of every origin
 * (one pass over every record per dispute; without it only self's records
 * are read).  *out is owned by the caller (core_disputes_free).  0 or
 * BLF_ENOMEM.
 */
int core_disputes(core *c, const blf_prefix *q, const uint8_t *self, int all, uint64_t now,
		  core_dispute_info **out, size_t *n);
void core_disputes_free(core_dispute_info *d, size_t n);

/* A number that changes whenever the disputes or answers held change. */
uint64_t core_disputes_generation(const core *c);

/* The prefix of the dispute with this id: 0, or BLF_ENOTFOUND. */
int core_dispute_find(core *c, const uint8_t id[BLF_DISPUTE_ID_LEN], blf_prefix *prefix);

/* Where a dispute leaves one listing (origin, q) at now. */
typedef struct core_listing_trail {
	int disputed;                  /* 0: no counting dispute covers it */
	uint8_t id[BLF_DISPUTE_ID_LEN];
	uint64_t filed;
	int state;                     /* enum core_dispute_state */
	uint64_t lapse;                /* open: when it lapses; lapsed: when it
					* did; conceded: the answer's time */
} core_listing_trail;
int core_listing_dispute(core *c, const uint8_t origin[BLF_KEYID_LEN], const blf_prefix *q,
			 uint64_t now, core_listing_trail *t);
const char *core_dispute_state_str(int state);

/* Short names for enum core_status / core_verdict. */
const char *core_status_str(int status);
const char *core_verdict_str(int verdict);

#endif /* BLF_CORE_H */
