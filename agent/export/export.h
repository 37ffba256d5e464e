/*
 * export.h - the merged feed as files for DNSBL servers, mail servers and
 * firewalls (blfed-export.5), published into a directory an rsync module
 * serves.
 *
 * One call, export_run, writes every selected format from the merged view
 * of the core: rbldnsd ip4trie/ip6trie zones, a Postfix cidr: table, plain
 * CIDR lists, ipset restore files and JSON Lines.  Large formats are split
 * into shards by the leading bits of the address, so that rsync moves only
 * the shards that changed; a shard whose content did not change is not
 * rewritten (its mtime stays), and a changed file's mtime always advances
 * (rbldnsd polls mtime and size).  Every file goes through the project's
 * file-I/O layer (keys/fileio.h).  Each export is a generation directory
 * "gen.<serial>" (changed files written and fsynced, unchanged ones hard
 * links to the previous generation's, then the MANIFEST: serial, time,
 * size and SHA-256 of every file, in sha256sum -c form, and MANIFEST.sig:
 * Ed25519 by the agent key, SPEC "Export manifest"), published by renaming
 * a symlink "current" over the old one: consumers read DIR/current, which
 * is always one complete set (blfed-export.5 "Layout").
 *
 * The exporter reads the view through export_source, a narrow interface
 * (begin/next/end and the signer of an origin); export_run adapts a core to
 * it.  Functions return 0 or a positive BLF_E* code (protocol/blf.h).
 */
#ifndef BLF_EXPORT_H
#define BLF_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../../protocol/blf.h"
#include "../../keys/keys.h"
#include "../core/core.h"

/* Formats (export_config.formats bits). */
#define EXPORT_RBLDNSD 0x01u /* rbldnsd-ip4.*, rbldnsd-ip6.* */
#define EXPORT_POSTFIX 0x02u /* postfix.cidr */
#define EXPORT_PLAIN 0x04u   /* plain-ip4.*, plain-ip6.* */
#define EXPORT_IPSET 0x08u   /* ipset-ip4.*, ipset-ip6.* */
#define EXPORT_JSONL 0x10u   /* jsonl-ip4.*, jsonl-ip6.* */
#define EXPORT_ALL 0x1fu

#define EXPORT_MAX_SHARD_BITS 8u        /* at most 256 shards per family */
#define EXPORT_MAX_NS 8u                /* $NS names */
#define EXPORT_MAX_AVALS 64u            /* per-reason A value overrides */
#define EXPORT_NAME_MAX 253u            /* DNS names in the config */
#define EXPORT_SOURCE_MAX 63u           /* feed name in headers */
#define EXPORT_TXT_MAX 255u             /* one TXT string, after "$" expansion */
#define EXPORT_MAX_MANIFEST (16u << 20) /* largest MANIFEST read */
#define EXPORT_MAX_FILES 4096u          /* files in one export directory */
#define EXPORT_SIG_TAG "BLFED-MANIFEST" /* domain separation of MANIFEST.sig */
#define EXPORT_GEN_KEEP 600u            /* s a replaced generation stays (transfers) */
#define EXPORT_GEN_MAX 32u              /* replaced generations kept at most */

#define EXPORT_DEFAULT_ZONE "bl.blfed.invalid"
#define EXPORT_DEFAULT_TTL 900u
#define EXPORT_DEFAULT_STALE (3u * 86400u) /* $TIMESTAMP expiry after the export */
#define EXPORT_DEFAULT_A 0x7f000002u       /* 127.0.0.2 */

/* One per-reason A value: reason code -> 127.x.y.z (host order). */
typedef struct export_aval {
	uint16_t reason;
	uint32_t a;
} export_aval;

/*
 * What to write and how.  Zero fields take their defaults; strings are
 * borrowed for the duration of the call.
 */
typedef struct export_config {
	const char *dir;              /* export directory (created 0755 if missing) */
	unsigned formats;             /* EXPORT_* bits; 0 = EXPORT_ALL */
	const char *source;           /* feed name in headers ("blfed") */
	const char *zone;             /* DNSBL zone (EXPORT_DEFAULT_ZONE) */
	const char *ns[EXPORT_MAX_NS];/* $NS names ("ns.<zone>") */
	size_t nns;
	const char *hostmaster;       /* $SOA person ("hostmaster.<zone>") */
	uint32_t ttl;                 /* $TTL and record TTLs (900) */
	uint32_t soa_refresh;         /* $SOA timers (600, 300, 604800, ttl) */
	uint32_t soa_retry;
	uint32_t soa_expire;
	uint32_t soa_minttl;
	uint64_t stale_after;         /* $TIMESTAMP expiry offset (3 days) */
	int no_stale;                 /* no $TIMESTAMP expiry at all */
	unsigned shard4_bits;         /* IPv4 shards: 2^bits by leading bits (0: one) */
	unsigned shard6_bits;         /* IPv6 shards likewise */
	uint32_t a_default;           /* A for reasons without a value (127.0.0.2) */
	export_aval avals[EXPORT_MAX_AVALS]; /* overrides of the default map */
	size_t navals;
	const char *ipset_name;       /* set names <name>4 / <name>6 ("blfed") */
	int per_origin;               /* also origin.NAME.ip4/.ip6 zones (needs rbldnsd) */
	int nosync;                   /* tests only: no fsync */
	size_t piece;                 /* tests only: entries per step (0: 1024) */
	size_t chunk;                 /* tests only: bytes copied and hashed per step
				       * when closing a file (0: 1 MiB) */
} export_config;

/* What a run did. */
typedef struct export_stats {
	uint64_t serial;         /* serial of this export */
	size_t listed4, listed6; /* listed view entries per family */
	size_t excluded;         /* exclusion entries */
	size_t files;            /* files in the MANIFEST */
	size_t written;          /* of which rewritten by this run */
	size_t skipped;          /* of which unchanged and kept */
	size_t removed;          /* files of the previous set not in this one */
	uint64_t bytes;          /* bytes written, MANIFEST included */
	size_t walked;           /* shards read from the view (the others: change feed) */
	size_t steps;            /* export_job_step calls */
} export_stats;

/*
 * The view as the exporter reads it.  begin starts an iteration over the
 * merged view at now (sorted by blf_prefix_cmp, no duplicates; it may be
 * called several times per run); next returns 1 with *e filled, 0 at the
 * end, or a negative value on error; end releases the iteration.  signer
 * fills the key id currently signing for origin (0) or returns non-zero if
 * unknown.  The entry and its strings stay valid until the next call.
 */
typedef struct export_source {
	void *ctx;
	int (*begin)(void *ctx, uint64_t now);
	int (*next)(void *ctx, core_entry *e);
	void (*end)(void *ctx);
	int (*signer)(void *ctx, const uint8_t origin[BLF_KEYID_LEN],
		      uint8_t keyid[BLF_KEYID_LEN]);
	/* Optional (NULL: the exporter filters whole iterations).  Like begin,
	 * for the entries that overlap `within` only: those containing it,
	 * then those inside it, in the same order; with after (not NULL) only
	 * those inside it that come after the prefix after. */
	int (*begin_at)(void *ctx, uint64_t now, const blf_prefix *within,
			const blf_prefix *after);
	/* Optional change feed.  With have, call fn for every prefix whose
	 * entry changed since generation gen (more prefixes do no harm: their
	 * shards are read, compared and kept) and return 0; return 1 when that
	 * is unknown (everything may have changed), -1 on error.  *cur
	 * receives the generation of the view at now (with 0 and 1); fn is
	 * NULL and unused without have. */
	int (*changes)(void *ctx, int have, uint64_t gen, uint64_t now,
		       void (*fn)(void *arg, const blf_prefix *p), void *arg, uint64_t *cur);
	/* Optional per-origin view (export_config.per_origin).  origin_begin
	 * starts on the i-th origin of the trust store (0, 1, ...): its id and
	 * display name (valid until the next origin_begin) and an iteration
	 * over its records that count at now (accepted, unexpired), in an
	 * order that stays the same while its state does; 0, or 1 past the
	 * last origin, -1 on error.  origin_next gives 1 and *r (its strings
	 * valid until the next call), or 0 at the end. */
	int (*origin_begin)(void *ctx, size_t i, uint64_t now, uint8_t origin[BLF_KEYID_LEN],
			    const char **name);
	int (*origin_next)(void *ctx, core_origin_rec *r);
	/* Optional (NULL: entries always complete).  With prov 0, the
	 * iterations begun from now on may give entries without provenance:
	 * kind and prefix filled, weight, expires and nprov 0 (what the plain
	 * lists and a walk that only counts read); with 1, complete entries.
	 * Called before begin or begin_at. */
	void (*provenance)(void *ctx, int prov);
} export_source;

/*
 * Check a configuration: names are DNS names of printable ASCII, A values
 * inside 127.0.0.0/8 but never 127.0.0.0, 127.0.0.1 or 127.255.255.0/24,
 * shard bits at most EXPORT_MAX_SHARD_BITS, formats known.  Returns 0 or
 * BLF_EINVAL with one line in err.
 */
int export_config_check(const export_config *cfg, char *err, size_t errlen);

/*
 * Write every selected format for the view of c at now into a new
 * generation of cfg->dir, then MANIFEST and MANIFEST.sig signed with
 * agent_key, and make it current.  Unchanged shards are linked from the
 * previous generation.  On any failure current names the previous set or,
 * when only the clean-up after the swap failed, the new one: always a
 * complete set; an unfinished generation is removed (at the latest by the
 * next export).  st may be NULL.  Returns 0, BLF_EINVAL (config;
 * err-free: call export_config_check for a message), BLF_EIO (errno tells
 * more), BLF_ENOMEM, or an error of the source.
 */
int export_run(core *c, const export_config *cfg, const key_secret *agent_key, uint64_t now,
	       export_stats *st);

/* export_run over any source (tests, benchmarks). */
int export_run_source(const export_source *src, const export_config *cfg,
		      const key_secret *agent_key, uint64_t now, export_stats *st);

/* ---- incremental and resumable exports ---------------------------------- */

/*
 * What an export remembers for the next one in the same process: the
 * configuration, the MANIFEST serial it wrote, the view generation it
 * started at and every shard's counts.  With it, and a source with a
 * change feed, a job reads and renders only the shards that hold a
 * changed prefix; without (NULL, or after a failure, a restart, another
 * directory or configuration) it goes over every shard, and keeps every
 * file whose bytes did not change.
 */
typedef struct export_state export_state;
export_state *export_state_new(void);   /* NULL without memory */
void export_state_reset(export_state *s); /* forget: the next job goes over all */
void export_state_free(export_state *s);  /* safe with NULL */

/*
 * An export as a job of small steps, so that a caller with other work
 * (the daemon applying deltas) can run it between its own turns.  Each
 * step reads the view as it is then (now), through a fresh iteration:
 * a shard is the view at one instant between the start and the end of
 * the job, every file is complete, and the MANIFEST, written by the last
 * step after every file is in place, describes exactly the files there.
 * A change made while a job runs is in the next job at the latest (the
 * next job's change feed starts at the generation this one started at).
 *
 * export_job_start plans the job (nothing is written); cfg's strings, the
 * key, the state and the source's context are borrowed until
 * export_job_free.  Returns 0 and *out, or export_run's codes.
 */
typedef struct export_job export_job;
int export_job_start(const export_source *src, const export_config *cfg,
		     const key_secret *agent_key, uint64_t now, export_state *state,
		     export_job **out);
/* export_job_start over the merged view of c (its change feed when the
 * core keeps one). */
int export_job_start_core(core *c, const export_config *cfg, const key_secret *agent_key,
			  uint64_t now, export_state *state, export_job **out);
/*
 * One step: up to cfg->piece entries of a dirty shard (its files
 * rendered, each compared with the previous one), or of the whole-feed
 * file's sweep, or up to cfg->chunk bytes of closing the files just
 * rendered (copied from the previous file, hashed), or a step of the
 * publication.  *done is set
 * when the new generation is current.  On an error the job is over (free
 * it); the previous export stays published unless the swap was done.
 */
int export_job_step(export_job *j, uint64_t now, int *done);
/*
 * What the last step of j did, for a caller that times its steps: "walk"
 * (a piece of a shard), "close" (a chunk of closing files: copying the
 * part in common with the previous file, hashing), "sweep" (the
 * whole-feed file), "origin", "heads", "sync" (write-back waited for),
 * "place", "publish" (MANIFEST and the swap), "tidy" (generations no
 * longer kept removed, after the swap), or "none".  A static string.
 */
const char *export_job_step_kind(const export_job *j);
void export_job_stats(const export_job *j, export_stats *st);
/* Release; an unfinished job's staged files are removed.  NULL is safe. */
void export_job_free(export_job *j);

/* ---- MANIFEST (manifest.c, SPEC "Export manifest") --------------------- */

/*
 * Sign manifest bytes: sig = Ed25519(sk, EXPORT_SIG_TAG || 0x00 || bytes).
 * The MANIFEST.sig file is one line "blfed-manifest-sig 1 <keyid> <sig>\n"
 * (hex), written by export_manifest_sig_format into buf (at least
 * EXPORT_SIG_LINE_LEN + 1 bytes); returns its length.
 */
#define EXPORT_SIG_LINE_LEN (21 + BLF_KEYID_HEX_LEN + 1 + 2 * BLF_SIG_LEN + 1)
void export_manifest_sign(const uint8_t sk[BLF_SK_LEN], const uint8_t *m, size_t len,
			  uint8_t sig[BLF_SIG_LEN]);
size_t export_manifest_sig_format(const uint8_t keyid[BLF_KEYID_LEN],
				  const uint8_t sig[BLF_SIG_LEN], char *buf);

/*
 * Verify manifest bytes m against the content of a MANIFEST.sig file and the
 * agent public key pk: BLF_OK, BLF_EBADSIG (signature or its key id does not
 * match), BLF_EINVAL (the .sig text is malformed).
 */
int export_manifest_verify(const uint8_t pk[BLF_PK_LEN], const uint8_t *m, size_t len,
			   const char *sigtext, size_t siglen);

/* Result of export_verify, per failure one line in err. */
typedef struct export_verify_result {
	uint64_t serial;
	uint64_t time;
	size_t nfiles;     /* files listed */
	size_t nbad;       /* files missing or with a wrong size or hash */
} export_verify_result;

/*
 * Check an export directory (the generation its symlink "current" names;
 * a directory without one, such as a generation or a pulled copy, in
 * place): MANIFEST.sig verifies with pk over MANIFEST,
 * the MANIFEST is well formed, and every listed file exists (no symlink)
 * with the listed size and SHA-256.  Returns BLF_OK; BLF_EBADSIG (bad or
 * missing signature); BLF_ECORRUPT (malformed MANIFEST, a "current" that is
 * not a symlink to a generation name, or res->nbad files
 * wrong, the first one named in err); BLF_EIO (cannot read the directory or
 * MANIFEST).  err receives one line describing the first problem.
 */
int export_verify(const char *dir, const uint8_t pk[BLF_PK_LEN], export_verify_result *res,
		  char *err, size_t errlen);

#endif /* BLF_EXPORT_H */
