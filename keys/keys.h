/*
 * keys.h - key files, key ids and trust anchors.
 *
 * Secret keys live in sodium_malloc() memory, are read from files that only
 * their owner may read (0600) and are wiped on free.  Public keys travel as a
 * one-line text form that is easy to paste into an email:
 *
 *     blfed-ed25519 <keyid-hex> <base64 public key> [comment...]
 *
 * The trust store is a text file of stanzas, one per origin (blfed-trust.5),
 * written atomically (temporary file, fsync, rename, fsync of the directory).
 * Loading never changes anything; an edit builds a new store in memory and
 * only a successful save replaces the file.
 *
 * Functions return 0 or a positive BLF_E* code (protocol/blf.h); where a
 * human needs to know what was wrong, an err buffer receives one line that
 * names the file, the line and the reason.
 */
#ifndef BLF_KEYS_H
#define BLF_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../protocol/blf.h"

#define KEYS_ERRLEN 256          /* size of the err buffers below */
#define KEYS_NAME_MAX 63         /* display name bytes */
#define KEYS_COMMENT_MAX 200     /* public key comment bytes */
#define KEYS_MAX_SCOPE 262144    /* prefixes in one scope or authority list */
#define KEYS_MAX_PREFIX_FILE (16u << 20) /* largest scope-file / authority-file */
#define KEYS_PATH_MAX 4095       /* longest scope-file / authority-file path */
#define KEYS_MAX_ANCHORS 4096    /* anchors in one store */
#define KEYS_MAX_OLD_KEYS 16     /* previous (rolled-over) keys kept per anchor */
#define KEYS_MAX_FILE (4u << 20) /* largest trust store or key file read */
#define KEYS_DEFAULT_MAX4 24     /* widest IPv4 listing allowed by default */
#define KEYS_DEFAULT_MAX6 48     /* widest IPv6 listing allowed by default */
#define KEYS_DEFAULT_WEIGHT 100
#define KEYS_MAX_WEIGHT 1000000u   /* largest weight accepted */
#define KEYS_NOTE_MAX 255          /* note bytes */
#define KEYS_MAX_REVOKED 1024      /* revoked keys remembered per anchor */
#define KEYS_MAX_CHAIN 256         /* in-band rollovers remembered since the last re-key */
#define KEYS_LINE_MAX 65536        /* longest trust store line (a full scope fits) */
#define KEYS_MAX_SECRET_FILE 4096  /* largest secret key file read */
#define KEYS_PUBLIC_STRLEN (14 + BLF_KEYID_HEX_LEN + 1 + 44 + 1 + KEYS_COMMENT_MAX + 1)
#define KEYS_B64_LEN 44            /* base64 text of a 32-byte key, padding included */
#define KEYS_TIME_STRLEN 21        /* "YYYY-MM-DDTHH:MM:SSZ" and NUL */
#define KEYS_TIME_MAX 253402300799ull /* 9999-12-31T23:59:59Z, latest time stored */

/* ---- Secret keys --------------------------------------------------------- */

/* A secret key in guarded memory (sodium_malloc).  Never copy it out. */
typedef struct key_secret {
	uint8_t sk[BLF_SK_LEN]; /* libsodium form: seed || pk */
	uint8_t pk[BLF_PK_LEN];
	uint8_t keyid[BLF_KEYID_LEN];
	uint8_t origin[BLF_KEYID_LEN]; /* origin id: keyid, or the first key's id after rotations */
	char comment[KEYS_COMMENT_MAX + 1];
} key_secret;

/* Generate a new key pair.  *out is freed with key_secret_free. */
int key_secret_generate(const char *comment, key_secret **out);

/* Derive a key pair from a 32-byte seed (test vectors, reproducible tests). */
int key_secret_from_seed(const uint8_t seed[BLF_SEED_LEN], const char *comment,
			 key_secret **out);

/* Wipe and release; NULL is fine. */
void key_secret_free(key_secret *k);

/* Write the secret key file at path, created 0600 with O_EXCL (an existing
 * file is never overwritten: BLF_EEXIST), fsynced.  BLF_EPOLICY if the
 * directory is not one key_secret_load accepts. */
int key_secret_save(const key_secret *k, const char *path, char *err, size_t errlen);

/* Load a secret key file.  Refuses (BLF_EPOLICY, with the reason in err) a
 * file that group or others may read or write, that is not a regular file,
 * that does not belong to the effective user, or whose directory is not
 * owned by that user or root or is writable by group or others (any
 * directory above it likewise, unless sticky, as /tmp), as ssh does. */
int key_secret_load(const char *path, key_secret **out, char *err, size_t errlen);

/*
 * The one rule for a file that decides what blfed trusts, checked on the
 * open descriptor fd of path (what names it in messages: "key file",
 * "trust store", "config file").  It must be a regular file.  A secret key
 * (secret set) is accessible by its owner only (0600) and owned by the
 * effective user (or the one keys_set_owner names, throughout); any other
 * such file is writable by nobody but its owner (chmod go-w) and owned by
 * the effective user or root.  The directory holding it and every one
 * above must be owned by the effective user or root and not writable by group or others unless sticky (as /tmp); a
 * secret key's own directory not even then.  Returns BLF_OK, BLF_EPOLICY
 * with the file, the reason and the fix in err, or BLF_EIO.
 */
int keys_file_check(int fd, const char *path, const char *what, int secret, char *err,
		    size_t errlen);

/*
 * Whose files keys_file_check accepts (with root's): by default, uid
 * (uid_t)-1, the effective user's.  A daemon started as root that drops
 * to another user sets that user before it reads its files, so that the
 * same files pass before and after the drop: owned by root or that user,
 * a secret key by that user.  Set once at start-up (a plain global).
 */
void keys_set_owner(uid_t uid);

#define KEYS_MAX_GROUPS 64       /* groups of a keys_user considered */

/* A user a daemon will run as, for keys_user_check (perm.c). */
typedef struct keys_user {
	char name[64];                  /* for messages and the fix */
	uid_t uid;
	gid_t gid;                      /* primary group */
	gid_t groups[KEYS_MAX_GROUPS];  /* supplementary groups */
	int ngroups;
} keys_user;

/* What a daemon does with a file after it dropped to a keys_user. */
enum keys_use {
	KEYS_USE_READ = 1, /* reads it again (SIGHUP): the key, the config */
	KEYS_USE_REWRITE,  /* replaces it as the store transaction does:
			    * "<path>.lock" opened read-write (or created), a
			    * temporary file beside it renamed over it */
	KEYS_USE_DIR       /* a directory it owns and writes (fio's private
			    * directory rule): or, missing, creates */
};

/*
 * Will the user u be able to `use` path after the privilege drop?  Judged
 * as root, before anything is bound, from the owners and mode bits of
 * path, the directory holding it and every directory above (which u must
 * be able to search); ACLs are not consulted.  what names the file in
 * messages ("trust store").  Returns BLF_OK (also for u root, and for a
 * missing file that is only read), BLF_EPOLICY with what u lacks and the
 * fix in err, or BLF_EIO.
 */
int keys_user_check(const char *path, const char *what, int use, const keys_user *u,
		    char *err, size_t errlen);

/* ---- Public keys --------------------------------------------------------- */

/* Format the one-line public key (no newline) into buf; returns its length,
 * or 0 if cap is too small. */
size_t key_public_format(const uint8_t pk[BLF_PK_LEN], const char *comment, char *buf,
			 size_t cap);

/* Parse a public key line or a bare base64 key.  If the line carries a key
 * id it must match (BLF_EKEYID).  comment may be NULL. */
int key_public_parse(const char *line, uint8_t pk[BLF_PK_LEN], char *comment,
		     size_t comment_cap, char *err, size_t errlen);

/* Read a public key from a file (first non-comment line) or from a secret
 * key file's public half. */
int key_public_load(const char *path, uint8_t pk[BLF_PK_LEN], char *err, size_t errlen);

/* The same, also returning the comment (may be NULL) and the origin id (may
 * be NULL; a secret key file records it after a rotation, otherwise it is
 * the key id). */
int key_public_load_info(const char *path, uint8_t pk[BLF_PK_LEN], char *comment,
			 size_t comment_cap, uint8_t origin[BLF_KEYID_LEN], char *err,
			 size_t errlen);

/* ---- Trust anchors ------------------------------------------------------- */

enum trust_perm {
	TRUST_LIST = 1 << 0,
	TRUST_DELIST = 1 << 1,
	TRUST_EXCLUDE = 1 << 2,
	TRUST_RELAY_ONLY = 1 << 3, /* carried and relayed, never merged */
	TRUST_DISPUTE = 1 << 4     /* may dispute listings inside its authority */
};
/* Answer window of a dispute against an origin's listings (SPEC 8.6),
 * seconds, when its anchor sets no dispute-window. */
#define KEYS_DEFAULT_DISPUTE_WINDOW (7u * 86400u)
#define KEYS_MAX_DISPUTE_WINDOW (400u * 86400u)

/* A key that the origin has rolled away from; valid until `until`. */
typedef struct trust_oldkey {
	uint8_t pk[BLF_PK_LEN];
	uint64_t until; /* unix seconds; 0 = no longer valid */
	uint8_t keyid[BLF_KEYID_LEN]; /* key id of pk, kept by keys/ */
} trust_oldkey;

struct trust_pindex; /* prefix index (scope.c), built by keys/ */

typedef struct trust_anchor {
	char name[KEYS_NAME_MAX + 1];     /* display name, unique in the store */
	uint8_t origin[BLF_KEYID_LEN];    /* origin id (key id of its first key) */
	uint8_t pk[BLF_PK_LEN];           /* current key */
	uint8_t keyid[BLF_KEYID_LEN];     /* key id of pk */
	unsigned perms;                   /* enum trust_perm bits */
	blf_prefix *scope;                /* list/delist allowed within these */
	size_t nscope;
	blf_prefix *authority;            /* exclude allowed within these */
	size_t nauthority;
	char *scope_file;                 /* scope read from this file, or NULL */
	char *authority_file;             /* authority read from this file, or NULL */
	struct trust_pindex *scope_idx;   /* index of scope (NULL: none or stale) */
	struct trust_pindex *auth_idx;    /* index of authority */
	uint8_t max4;                     /* widest IPv4 listing: len >= max4 */
	uint8_t max6;                     /* widest IPv6 listing: len >= max6 */
	uint32_t weight;                  /* merge weight */
	uint64_t expires;                 /* anchor expiry, unix seconds; 0 = never */
	int accept_rollover;              /* in-band rollover statements accepted */
	uint32_t dispute_window;          /* answer window for disputes of its
					   * listings, seconds; 0 = the default */
	trust_oldkey old[KEYS_MAX_OLD_KEYS]; /* rolled-over keys */
	size_t nold;
	uint8_t (*revoked)[BLF_PK_LEN];   /* revoked keys: never accepted again */
	uint8_t (*revoked_id)[BLF_KEYID_LEN]; /* their key ids, kept by keys/ */
	size_t nrevoked;
	uint8_t (*chain)[BLF_PK_LEN];     /* rollover chain, oldest first: chain[i]
					   * handed over to chain[i+1], the last
					   * one to pk; emptied by a re-key */
	size_t nchain;
	char *note;                       /* free text, may be NULL */
} trust_anchor;

struct trust_keyindex; /* sorted key ids of a store (keyindex.c) */

/* Initialise with {0} (or memset) before handing it to keys/ functions. */
typedef struct trust_store {
	trust_anchor *anchors;
	size_t nanchors;
	struct trust_keyindex *kidx; /* every key id, sorted; built by keys/ */
} trust_store;

/* Load a store; a missing file is an empty store.  err names file, line and
 * reason.  A store that others may write (keys_file_check) is refused with
 * BLF_EPOLICY, by the daemon and the CLI alike.  On error *out is left
 * empty. */
int trust_store_load(const char *path, trust_store *out, char *err, size_t errlen);

/* Parse a store from memory (fuzz target, tests); name is used in messages. */
int trust_store_parse(const char *text, size_t len, const char *name, trust_store *out,
		      char *err, size_t errlen);

/* Write atomically: temporary file in the same directory, fsync, rename,
 * fsync of the directory.  On error the old file is untouched. */
int trust_store_save(const trust_store *st, const char *path, char *err, size_t errlen);

/* Serialise to text (what save writes).  *out is malloc'd. */
int trust_store_format(const trust_store *st, char **out, size_t *outlen);

void trust_store_free(trust_store *st);

/* A transaction on the store file: exclusive flock(2) on "<path>.lock",
 * load, change in memory, atomic save, unlock (txn.c).  The daemon applies
 * statements from the network this way, as `blfed trust` edits do. */
typedef struct trust_txn {
	int fd;     /* the lock file, while held */
	int held;   /* non-zero between begin and commit/abort */
	char *path; /* the store */
} trust_txn;

/* Lock the store at path exclusively (waiting for other writers) and load
 * it into st (a missing file is an empty store).  On success the lock is
 * held until trust_store_txn_commit or _abort; on error nothing is held and
 * st is empty: BLF_EIO (the lock file cannot be created or locked), or a
 * trust_store_load code. */
int trust_store_txn_begin(trust_txn *t, const char *path, trust_store *st, char *err,
			  size_t errlen);

/* Save st atomically over the store and release the lock, saved or not
 * (st stays the caller's).  Returns a trust_store_save code. */
int trust_store_txn_commit(trust_txn *t, const trust_store *st, char *err,
			   size_t errlen);

/* Release the lock without saving.  Safe to call twice, after commit, and
 * on a zeroed trust_txn. */
void trust_store_txn_abort(trust_txn *t);

/* Load for reading under a shared lock, released before returning (without
 * a lock if the lock file cannot be opened: a reader without write access).
 * Codes as trust_store_load. */
int trust_store_read(const char *path, trust_store *st, char *err, size_t errlen);

/* Deep copy (for a reload that may fail). */
int trust_store_copy(const trust_store *src, trust_store *dst);

/* Rebuild the key id index after anchors were changed in place (with
 * trust_anchor_set, say).  Until then lookups stay correct but scan every
 * key id instead of one binary search.  BLF_OK or BLF_ENOMEM. */
int trust_store_reindex(trust_store *st);

/* Find by display name, by origin id, or by any key (current, old or
 * revoked) id.  NULL if absent.  A const store gives const anchors; the
 * _mut forms take a store the caller may change. */
const trust_anchor *trust_store_find_name(const trust_store *st, const char *name);
const trust_anchor *trust_store_find_origin(const trust_store *st,
					    const uint8_t origin[BLF_KEYID_LEN]);
const trust_anchor *trust_store_find_keyid(const trust_store *st,
					   const uint8_t keyid[BLF_KEYID_LEN]);
trust_anchor *trust_store_find_name_mut(trust_store *st, const char *name);
/* By display name, else by origin id in hex (how operators name one). */
const trust_anchor *trust_store_find_named(const trust_store *st, const char *s);
trust_anchor *trust_store_find_origin_mut(trust_store *st,
					  const uint8_t origin[BLF_KEYID_LEN]);

/* Add a copy of a (validated) anchor: BLF_EEXIST on a duplicate name, origin
 * or key. */
int trust_store_add(trust_store *st, const trust_anchor *a, char *err, size_t errlen);

/* Remove by name: BLF_ENOTFOUND if absent. */
int trust_store_remove(trust_store *st, const char *name);

/* Initialise an anchor with defaults (list+delist, empty scope, /24 and /48,
 * weight 100, no expiry, rollover accepted) for key pk.  Neither this nor
 * trust_anchor_clear touches any store's key id index: building or freeing
 * anchors and stores leaves the index of every other store current.  To
 * re-initialise an anchor inside a store, call trust_store_reindex after
 * (until then the anchor's new keys are not found: lookups fail closed). */
void trust_anchor_init(trust_anchor *a, const char *name, const uint8_t pk[BLF_PK_LEN]);
void trust_anchor_clear(trust_anchor *a);

/* Resolve the signer of a message at time now: fills *anchor and pk.
 * BLF_EUNKKEY (no anchor has the key), BLF_EREVOKED, BLF_EEXPIREDKEY (old key
 * past its overlap, or anchor expired). */
int trust_store_resolve(const trust_store *st, const uint8_t keyid[BLF_KEYID_LEN],
			uint64_t now, const trust_anchor **anchor, uint8_t pk[BLF_PK_LEN]);

/* blf_key_lookup_fn adapter: ctx is a struct trust_lookup_ctx. */
struct trust_lookup_ctx {
	const trust_store *store;
	uint64_t now;
};
int trust_key_lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN]);

/* The policy decision for one operation of an anchor's origin at time now. */
enum trust_verdict {
	TRUST_OK = 0,
	TRUST_NO_PERMISSION,  /* the anchor lacks the permission for this op */
	TRUST_OUT_OF_SCOPE,   /* prefix not inside scope (or authority) */
	TRUST_TOO_WIDE,       /* listing shorter than max4/max6 */
	TRUST_ANCHOR_EXPIRED, /* the anchor itself has expired */
	TRUST_RELAY_ONLY_V    /* relay-only origin: carried, not merged */
};
int trust_anchor_allows(const trust_anchor *a, unsigned op_type, const blf_prefix *p,
			uint64_t now);
const char *trust_verdict_str(int verdict);

/* Apply a verified rollover / revocation statement to the store according to
 * the anchor's policy.  BLF_EPOLICY if the anchor refuses in-band rollover;
 * BLF_ELIMIT if the anchor's rollover chain holds KEYS_MAX_CHAIN keys (an
 * administrator re-keys it).  A rollover appends the outgoing key to the
 * anchor's chain.
 *
 * trust_apply_revocation is trust_apply_revocation_signed with the statement
 * signed by the revoked key itself.  A revocation for reason compromised
 * (SPEC 6.7) also revokes every key that the compromised key handed over to,
 * directly or through later rollovers (its successors in the chain, the
 * current key included): the anchor is then suspended (state "revoked")
 * until an administrator re-keys it (trust_anchor_rekey).  When the
 * statement is signed by one of those successors (signer_pk, NULL = the
 * revoked key), that key and the keys after it are kept: its holder vouches
 * for them.  A compromised revocation of a key already revoked still revokes
 * its successors not yet revoked; BLF_ESTALE when nothing changes. */
int trust_apply_rollover(trust_store *st, const blf_rollover *r, char *err, size_t errlen);
int trust_apply_revocation(trust_store *st, const blf_revocation *r, char *err,
			   size_t errlen);
int trust_apply_revocation_signed(trust_store *st, const blf_revocation *r,
				  const uint8_t *signer_pk, char *err, size_t errlen);

/* Re-key an anchor (administrator action): set its current key from the text
 * form of a "key" line, as trust_anchor_set does, and forget its rollover
 * chain, so that a later compromised revocation of an older key cannot
 * reach the key the administrator chose.  Codes as trust_anchor_set. */
int trust_anchor_rekey(trust_anchor *a, const char *value, char *err, size_t errlen);

/* ---- Helpers shared by the store, the CLI and the agent ----------------- */

/* The text rule for notes, key comments and every store value: the
 * protocol's (SPEC 3.1 rule 6: strict UTF-8, no C0, DEL or C1 control
 * characters) plus no bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069), which can make a line read differently
 * from what it says.  BLF_OK or BLF_ESTRING. */
int trust_text_check(const char *s, size_t n);

/* Parse the text of a prefix file (scope-file, authority-file): one prefix
 * per line, blank lines and '#' comments ignored, at most KEYS_MAX_SCOPE
 * prefixes.  *out (malloc'd, NULL when empty) gets them in file order.
 * Errors name "NAME:LINE": BLF_EPREFIX* / BLF_EHOSTBITS / BLF_EMAPPED,
 * BLF_ESTRING (control character), BLF_ELIMIT, BLF_ENOMEM.  Duplicates are
 * found when the list is set on an anchor. */
int trust_prefixes_parse(const char *text, size_t len, const char *name, blf_prefix **out,
			 size_t *nout, char *err, size_t errlen);

/* Set one field of an anchor from its text form, exactly as a trust store
 * line "FIELD VALUE" would (blfed-trust.5): key, origin, permissions, scope,
 * authority, scope-file, authority-file (a file of prefixes, read now; a
 * relative path is relative to the working directory), max-prefix, weight, expires, rollover, old-key, revoked-key,
 * chain, note.  Lists may be separated by blanks or commas, max-prefix also
 * by "/" ("24/48").  old-key, revoked-key and chain append, the others
 * replace.  Returns
 * BLF_OK, or an error with "FIELD VALUE: reason" in err, leaving a unchanged:
 * BLF_EINVAL (syntax, unknown field), BLF_ERANGE (number out of range),
 * BLF_ESIZE (key of wrong length), BLF_EKEYID, BLF_EPREFIX* / BLF_EHOSTBITS /
 * BLF_EMAPPED (from blf_prefix_parse), BLF_EEXIST (duplicate entry),
 * BLF_ELIMIT (too many entries), BLF_ESTRING (control characters),
 * BLF_EREVOKED (key is revoked in this anchor), BLF_ENOMEM. */
int trust_anchor_set(trust_anchor *a, const char *field, const char *value, char *err,
		     size_t errlen);

/* Check the invariants between anchors: unique names and origins, no key
 * used by two anchors, no key current or old in one anchor and revoked in
 * another.  Returns BLF_OK or BLF_EEXIST / BLF_EREVOKED with the reason in
 * err; *bad (may be NULL) receives the index of the offending anchor. */
int trust_store_check(const trust_store *st, size_t *bad, char *err, size_t errlen);

/* Non-zero if pk is in a's revoked list. */
int trust_anchor_is_revoked(const trust_anchor *a, const uint8_t pk[BLF_PK_LEN]);

/* State of an anchor at time now, for display: "expired", "revoked" (its
 * current key is revoked), "overlap" (an old key is still valid) or
 * "active".  Static string. */
const char *trust_anchor_state(const trust_anchor *a, uint64_t now);

/* Permission bits as text ("list delist exclude", "relay-only"), sep between
 * words.  Returns the length; buf of at least 32 bytes. */
size_t trust_perms_format(unsigned perms, const char *sep, char *buf, size_t cap);

/* Name of an operation type ("list", "delist", "exclude", "unexclude") and
 * its inverse; trust_op_parse returns BLF_EOPTYPE for anything else. */
const char *trust_op_name(unsigned op_type);
int trust_op_parse(const char *s, unsigned *op_type);

/* A duration: decimal seconds with an optional unit s, m, h or d ("7d").
 * BLF_OK, BLF_EINVAL (syntax) or BLF_ERANGE (above 2^32-1 seconds). */
int trust_duration_parse(const char *s, uint64_t *out);

/* RFC 3339 UTC times: "YYYY-MM-DDTHH:MM:SSZ" (or a bare "YYYY-MM-DD",
 * midnight) to unix seconds, BLF_EINVAL otherwise; and back (buf of
 * KEYS_TIME_STRLEN bytes). */
int trust_time_parse(const char *s, uint64_t *out);
void trust_time_format(uint64_t t, char *buf);

/* Any key of anchor a (current, old or revoked, whatever its state) whose
 * key id is keyid: BLF_OK and pk filled, or BLF_EUNKKEY. */
int trust_anchor_key(const trust_anchor *a, const uint8_t keyid[BLF_KEYID_LEN],
		     uint8_t pk[BLF_PK_LEN]);

/* blf_key_lookup_fn for revocation statements: any key the store knows for
 * an anchor (current, old whatever its window, or already revoked), so that
 * a key can always revoke itself.  ctx is a struct trust_lookup_ctx. */
int trust_key_lookup_any(void *ctx, const uint8_t keyid[BLF_KEYID_LEN],
			 uint8_t pk[BLF_PK_LEN]);

/* Verify and apply one signed rollover or revocation envelope (raw bytes) to
 * st at time now.  A rollover must be signed by the anchor's current, valid
 * key (and counter-signed by the new one); a revocation must be signed by the
 * key it revokes.  *type (may be NULL) receives the message type.  Returns
 * BLF_OK, BLF_ESTALE (already applied: nothing changed), BLF_EWRONGTYPE
 * (another message type), BLF_ECLOCK (dated more than BLF_MAX_CLOCK_SKEW
 * after now), any blf_*_open code, or a trust_apply_* code;
 * err says what happened.  On error st is unchanged. */
int trust_apply_statement(trust_store *st, const uint8_t *buf, size_t len, uint64_t now,
			  unsigned *type, char *err, size_t errlen);

#endif /* BLF_KEYS_H */
