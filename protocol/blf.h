/*
 * blf.h - the blfed wire protocol as a library (SPEC.md v1).
 *
 * This library knows the bytes: address prefixes, the msgpack layout of every
 * message, signed envelopes, key ids, message hashes and the protocol limits.
 * It performs no I/O, keeps no global state (apart from libsodium's own
 * initialisation, see blf_init) and never exits or aborts on peer data.
 *
 * Conventions:
 *  - Functions return 0 (BLF_OK) or a positive BLF_E* code; blf_strerror()
 *    names each.  Results come back through out-parameters, which are left
 *    untouched, or zeroed, on error as each contract says.
 *  - Decoded messages are zero-copy: byte strings (references, nested
 *    envelopes) point into the caller's input buffer, which must outlive the
 *    decoded structure.  Arrays the decoder allocates are released by the
 *    matching *_free function, which accepts NULL.
 *  - Every limit a decoder enforces is a BLF_MAX_* constant below; SPEC.md
 *    section 9 lists the same numbers.
 */
#ifndef BLF_H
#define BLF_H

#include <stddef.h>
#include <stdint.h>

#define BLF_VERSION 1 /* protocol version carried by every envelope */

/* ---- Sizes of fixed fields (SPEC 3) ---------------------------------- */
#define BLF_PK_LEN 32    /* Ed25519 public key */
#define BLF_SK_LEN 64    /* Ed25519 secret key (seed || pk), libsodium form */
#define BLF_SEED_LEN 32  /* Ed25519 seed */
#define BLF_SIG_LEN 64   /* Ed25519 signature */
#define BLF_KEYID_LEN 16 /* BLAKE2b-128 key id */
#define BLF_HASH_LEN 32  /* BLAKE2b-256 message hash */
#define BLF_KEYID_HEX_LEN (2 * BLF_KEYID_LEN)

/* ---- Limits (SPEC 9): every decoder checks these before allocating --- */
#define BLF_MAX_MSG_SIZE (16u << 20)   /* one encoded envelope, any type */
#define BLF_MAX_DELTA_SIZE (4u << 20)  /* one encoded delta envelope */
#define BLF_MAX_OPS 10000u             /* operations in one delta or snapshot chunk */
#define BLF_MAX_REF_LEN 255u           /* evidence reference / note, bytes of UTF-8 */
#define BLF_MAX_HEADS 4096u            /* entries in one heads announcement */
#define BLF_MAX_CATCHUP_DELTAS 1024u   /* deltas in one catch-up response */
#define BLF_MAX_CATCHUP_ASK 1024u      /* deltas one catch-up request may ask for */
#define BLF_MAX_SNAPSHOT_CHUNKS 65536u /* chunks in one snapshot */
#define BLF_MAX_TTL (400u * 86400u)    /* a listing expires at most 400 days after creation */
#define BLF_MAX_CLOCK_SKEW 600u        /* seconds a message may be dated in the future */
#define BLF_MAX_OVERLAP (90u * 86400u) /* longest rollover overlap window */
#define BLF_MAX_TIME 4294967295u       /* latest time a message carries: 2^32-1, 2106-02-07 */
#define BLF_MAX_DEPTH 4u               /* no body nests deeper (the per-type depths follow) */
#define BLF_MAX_PREFIX_TEXT 64u        /* longest prefix text accepted by blf_prefix_parse */
#define BLF_PREFIX_STRLEN 44u          /* buffer for blf_prefix_format, NUL included */

/* Nesting depth of each structure (SPEC 3.1 rule 8, SPEC 9): an array is one
 * level, an array inside it two, whether empty or not; a scalar is zero. */
#define BLF_DEPTH_ENVELOPE 1u     /* [version, type, signer, body, sig] */
#define BLF_DEPTH_DELTA 3u        /* body, ops, one operation */
#define BLF_DEPTH_SNAPSHOT 3u     /* body, ops, one operation */
#define BLF_DEPTH_HEADS 3u        /* body, heads, one head */
#define BLF_DEPTH_CATCHUP_REQ 1u  /* body */
#define BLF_DEPTH_CATCHUP_RESP 2u /* body, deltas (each a bin) */
#define BLF_DEPTH_ROLLOVER 1u     /* body */
#define BLF_DEPTH_REVOCATION 1u   /* body */

/* Most msgpack objects one input may hold (SPEC 3.1 rule 4, SPEC 9): the
 * largest valid message of the kind, with room to spare, so that memory is
 * bounded whatever the input and an input with a few fields too many still
 * gets the field-count outcome.  Every object counts, arrays included. */
#define BLF_MAX_OBJECTS_FIXED 16u /* envelope, catch-up request, rollover, revocation */
#define BLF_MAX_OBJECTS_OPS (16u + 6u * BLF_MAX_OPS)       /* delta or snapshot body */
#define BLF_MAX_OBJECTS_HEADS (4u + 5u * BLF_MAX_HEADS)    /* heads body */
#define BLF_MAX_OBJECTS_CATCHUP (8u + BLF_MAX_CATCHUP_DELTAS) /* catch-up response body */

/* ---- Error codes ------------------------------------------------------ */
enum blf_err {
	BLF_OK = 0,
	BLF_ENOMEM,         /* out of memory */
	BLF_EINVAL,         /* invalid argument (caller's mistake) */
	BLF_ETOOBIG,        /* input exceeds a size limit */
	BLF_ETRUNC,         /* input ends inside a msgpack object */
	BLF_ETRAILING,      /* bytes follow the message */
	BLF_EMSGPACK,       /* malformed or forbidden msgpack (map, ext, float, nil, signed int) */
	BLF_ENONCANON,      /* msgpack value not in its shortest encoding */
	BLF_EDEPTH,         /* msgpack nesting deeper than BLF_MAX_DEPTH */
	BLF_ETYPE,          /* a field has the wrong msgpack type */
	BLF_EFIELDS,        /* an array has the wrong number of fields */
	BLF_ESIZE,          /* a fixed-size field has the wrong length */
	BLF_ERANGE,         /* an integer field is out of its range */
	BLF_EVERSION,       /* unsupported protocol version */
	BLF_EUNKTYPE,       /* unknown message type */
	BLF_EWRONGTYPE,     /* a valid message, but not of the expected type */
	BLF_EUNKKEY,        /* signer key id not known */
	BLF_EBADSIG,        /* signature does not verify */
	BLF_EKEYID,         /* a key id does not match its public key */
	BLF_EPREFIX,        /* prefix text: bad syntax */
	BLF_EPREFIXLEN,     /* prefix length out of range for its family */
	BLF_EHOSTBITS,      /* prefix has bits set beyond its length */
	BLF_EMAPPED,        /* IPv4-mapped/compatible IPv6 form, not allowed */
	BLF_EOPTYPE,        /* unknown operation type */
	BLF_EREASON,        /* reason code not in the registry */
	BLF_EEXPIRY,        /* expiry not after creation, or beyond BLF_MAX_TTL */
	BLF_ESTRING,        /* string not UTF-8, or holds control characters */
	BLF_ELIMIT,         /* a count exceeds its limit */
	BLF_ESEQ,           /* sequence number zero or otherwise invalid */
	BLF_EPREV,          /* prev-hash invalid for seq (SPEC 5.2) */
	BLF_ECOUNTERSIG,    /* rollover counter-signature does not verify */
	BLF_EDUP,           /* duplicate entry: a prefix twice in one delta, an origin twice in heads */
	BLF_ECHUNK,         /* snapshot chunk index/count inconsistent */
	BLF_EITEM,          /* catch-up item: not a delta envelope, or not the one asked for */
	/* Log-level outcomes (SPEC 5), used by the agent core. */
	BLF_EGAP,           /* seq > last + 1: earlier deltas missing */
	BLF_EDUPLICATE,     /* exactly this delta was already applied */
	BLF_ESTALE,         /* seq <= last or older epoch, with a matching hash: nothing to do */
	BLF_EEQUIVOCATION,  /* two different deltas for one (origin, epoch, seq) */
	BLF_EFROZEN,        /* origin frozen after equivocation */
	BLF_EREVOKED,       /* signer key revoked */
	BLF_EEXPIREDKEY,    /* signer key outside its validity window */
	BLF_ECLOCK,         /* message dated too far in the future */
	BLF_EPOLICY,        /* refused by local policy (trust anchor) */
	BLF_EIO,            /* I/O error (agent code only; errno has more) */
	BLF_ECORRUPT,       /* stored data fails its checksum */
	BLF_ENOTFOUND,      /* no such object */
	BLF_EEXIST,         /* object already exists */
	BLF_EEPOCH,         /* a new epoch too far above the current one (SPEC 5.3) */
	BLF_ERR_MAX
};

/* Return a static, human-readable name for an error code; never NULL. */
const char *blf_strerror(int err);

/* Return the SPEC 3.6 outcome name of an error code: the language-neutral
 * word ("malformed", "bad-signature", "gap", ...) that every implementation
 * reports for the same input, and that the conformance suite
 * (tests/conformance/) expects.  BLF_OK is "ok".  Several codes may share
 * one name; each code has exactly one.  Codes that describe the local
 * machine rather than the input (BLF_ENOMEM, BLF_EINVAL, BLF_EIO,
 * BLF_ECORRUPT, BLF_ENOTFOUND, BLF_EEXIST) and unknown codes are
 * "local-error".  Static string, never NULL, safe from any thread. */
const char *blf_outcome_name(int err);

/* Initialise libsodium; returns BLF_OK or BLF_ENOMEM.  Safe to call more
 * than once and from several threads. */
int blf_init(void);

/* ---- Prefixes (prefix.c, SPEC 4) ------------------------------------- */

enum blf_af { BLF_AF_INET = 4, BLF_AF_INET6 = 6 };

/* An IPv4 or IPv6 CIDR prefix.  IPv4 addresses use addr[0..3]; all bytes
 * past the prefix length are zero, so memcmp() on equal families works. */
typedef struct blf_prefix {
	uint8_t af;       /* BLF_AF_INET or BLF_AF_INET6 */
	uint8_t len;      /* prefix length: 0..32 or 0..128 */
	uint8_t addr[16]; /* network byte order */
} blf_prefix;

/* Parse "a.b.c.d/n" or an IPv6 "x::y/n".  Without "/n" the text is a host
 * address (/32 or /128) unless require_len is non-zero.  Strict: no leading
 * zeros in IPv4 octets or in the length, no host bits, no trailing bytes, no
 * IPv4-mapped or IPv4-compatible IPv6 forms (::ffff:a.b.c.d, ::a.b.c.d).
 * n is the text length (the text need not be NUL-terminated).
 * Returns BLF_OK, BLF_EPREFIX, BLF_EPREFIXLEN, BLF_EHOSTBITS or BLF_EMAPPED. */
int blf_prefix_parse(const char *s, size_t n, int require_len, blf_prefix *out);

/* Parse an address or prefix for lookups: like blf_prefix_parse, but host
 * bits are cleared instead of rejected ("10.1.2.3/8" means 10.0.0.0/8). */
int blf_prefix_parse_loose(const char *s, size_t n, blf_prefix *out);

/* Write the canonical text form (RFC 5952 for IPv6, always with "/len") into
 * buf (at least BLF_PREFIX_STRLEN bytes).  Returns the length written. */
size_t blf_prefix_format(const blf_prefix *p, char *buf);

/* Write only the address part, without "/len".  Returns the length. */
size_t blf_prefix_format_addr(const blf_prefix *p, char *buf);

/* Non-zero if outer contains inner (same family, outer->len <= inner->len,
 * leading bits equal).  A prefix contains itself. */
int blf_prefix_contains(const blf_prefix *outer, const blf_prefix *inner);

/* Total order: family (IPv4 first), then address bytes, then length
 * (shorter first).  Returns <0, 0, >0. */
int blf_prefix_cmp(const blf_prefix *a, const blf_prefix *b);

/* Validate a prefix structure (family, length, host bits). */
int blf_prefix_check(const blf_prefix *p);

/* Wire form (SPEC 4.2): 5 bytes for IPv4, 17 for IPv6: address || length. */
size_t blf_prefix_wire_len(const blf_prefix *p);
int blf_prefix_from_wire(const uint8_t *b, size_t n, blf_prefix *out);
void blf_prefix_to_wire(const blf_prefix *p, uint8_t *b);

/* ---- Text (utf8.c) ---------------------------------------------------- */

/* Length (1-4) of the well-formed UTF-8 sequence at the start of s[0..n),
 * its code point in *cp; 0 when s does not start one (RFC 3629: overlong
 * forms, surrogates, values past U+10FFFF and sequences cut by n are not). */
size_t blf_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* ---- Keys and hashes (crypto.c, SPEC 3) ------------------------------ */

/* keyid = BLAKE2b-128("BLFED-KEYID" 0x00 || pk). */
void blf_keyid(const uint8_t pk[BLF_PK_LEN], uint8_t keyid[BLF_KEYID_LEN]);

/* Lower-case hex of a key id into buf (BLF_KEYID_HEX_LEN + 1 bytes). */
void blf_keyid_hex(const uint8_t keyid[BLF_KEYID_LEN], char *buf);

/* Parse 32 hex digits (either case) into a key id: BLF_OK or BLF_EINVAL. */
int blf_keyid_parse(const char *s, size_t n, uint8_t keyid[BLF_KEYID_LEN]);

/* ---- Reason codes (SPEC 7) ------------------------------------------- */

/* Short English name of a registered reason code, or NULL if unregistered. */
const char *blf_reason_name(uint16_t code);
/* Look a reason up by name ("spam-source") or decimal number; BLF_EREASON. */
int blf_reason_parse(const char *s, uint16_t *code);
/* Number of registered reasons and the i-th code, for listing them. */
size_t blf_reason_count(void);
uint16_t blf_reason_at(size_t i);

/* ---- Dispute and answer codes (SPEC 7.1, 7.2) ------------------------- */

/* Short English name of a registered dispute code, or NULL. */
const char *blf_dispute_code_name(uint16_t code);
/* By name ("host-cleaned") or decimal number 1..65535; BLF_EREASON. */
int blf_dispute_code_parse(const char *s, uint16_t *code);
/* Short English name of a registered answer code, or NULL. */
const char *blf_answer_code_name(uint16_t code);
/* By name ("evidence") or decimal number 1..65535; BLF_EREASON. */
int blf_answer_code_parse(const char *s, uint16_t *code);

/* ---- Messages (SPEC 5 and 6) ----------------------------------------- */

enum blf_msg_type {
	BLF_MSG_DELTA = 1,
	BLF_MSG_HEADS = 2,
	BLF_MSG_CATCHUP_REQ = 3,
	BLF_MSG_CATCHUP_RESP = 4,
	BLF_MSG_SNAPSHOT = 5,
	BLF_MSG_ROLLOVER = 6,
	BLF_MSG_REVOCATION = 7,
	BLF_MSG_SNAPSHOT_REQ = 8,
	BLF_MSG_TYPE_MAX = 8  /* highest type this version understands */
};

/* Name of a message type ("delta"...) or "unknown". */
const char *blf_msg_type_name(unsigned type);

enum blf_op_type {
	BLF_OP_LIST = 1,      /* list prefix with reason, expiry, reference */
	BLF_OP_DELIST = 2,    /* withdraw this origin's listing of prefix */
	BLF_OP_EXCLUDE = 3,   /* declare prefix clean (authority required) */
	BLF_OP_UNEXCLUDE = 4, /* withdraw this origin's exclusion of prefix */
	/* Disputes (SPEC 5.6, document 1.2). */
	BLF_OP_DISPUTE = 5,   /* dispute the listings of or inside prefix */
	BLF_OP_UPHOLD = 6,    /* answer a dispute: the listing stands for prefix */
	BLF_OP_CONCEDE = 7,   /* answer a dispute: the listings inside prefix go */
	BLF_OP_UNDISPUTE = 8  /* withdraw this origin's dispute of exactly prefix */
};
#define BLF_OP_TYPE_MAX 8     /* highest operation type this version knows */

/* One operation.  ref points into the decoded buffer and is NOT
 * NUL-terminated; ref_len may be 0.  For delist/unexclude only prefix is
 * meaningful; for exclude, reason and expires are unused (0). */
typedef struct blf_op {
	uint8_t type;       /* enum blf_op_type */
	blf_prefix prefix;
	uint16_t reason;    /* list: reason code (SPEC 7) */
	uint64_t expires;   /* list: unix seconds */
	const char *ref;    /* list/exclude/dispute/answers: evidence reference or note */
	uint16_t ref_len;
	/* dispute: the target origin id (id_len 0: every origin's listings);
	 * uphold/concede: the id of the dispute answered (id_len 16) */
	uint8_t id_len;
	uint8_t id[BLF_KEYID_LEN];
} blf_op;
/* Dispute and answer codes travel in blf_op.reason (SPEC 7.1, 7.2). */
#define BLF_DISPUTE_ID_LEN BLF_KEYID_LEN

/* A delta: one entry of an origin's log. */
typedef struct blf_delta {
	uint8_t origin[BLF_KEYID_LEN]; /* origin id: key id of its first key */
	uint32_t epoch;                /* log epoch, starts at 1 (SPEC 5.3) */
	uint64_t seq;                  /* 1, 2, 3... within an epoch */
	uint8_t prev[BLF_HASH_LEN];    /* hash of delta seq-1; zero for seq 1 */
	uint64_t created;              /* unix seconds */
	size_t nops;
	blf_op *ops;                   /* owned; blf_delta_free */
} blf_delta;

/* One head: the newest delta an agent holds for an origin. */
typedef struct blf_head {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t seq;
	uint8_t hash[BLF_HASH_LEN];
} blf_head;

typedef struct blf_heads {
	uint64_t created;
	size_t nheads;
	blf_head *heads; /* owned; blf_heads_free */
} blf_heads;

typedef struct blf_catchup_req {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t after_seq; /* send deltas with seq > after_seq */
	uint32_t max;       /* at most this many, 1..BLF_MAX_CATCHUP_ASK */
} blf_catchup_req;

/* Snapshot request (SPEC 6.8): one chunk of the newest snapshot of origin
 * that the responder keeps, of epoch `epoch` or later. */
typedef struct blf_snapshot_req {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;     /* 1..2^32-1: the lowest epoch wanted */
	uint64_t seq;       /* 0: the newest kept; else the seq of the snapshot
			     * being paged, 1..2^64-2 */
	uint32_t chunk;     /* 0..BLF_MAX_SNAPSHOT_CHUNKS-1; 0 when seq is 0 */
} blf_snapshot_req;

enum blf_catchup_status {
	BLF_CATCHUP_OK = 0,        /* deltas follow (possibly none: up to date) */
	BLF_CATCHUP_UNKNOWN = 1,   /* responder holds no log for this origin/epoch */
	BLF_CATCHUP_COMPACTED = 2, /* asked-for deltas compacted: fetch a snapshot */
	BLF_CATCHUP_STATUS_MAX = 2
};

/* A complete, still-encoded delta envelope carried inside another message. */
typedef struct blf_blob {
	const uint8_t *ptr; /* points into the decoded buffer */
	size_t len;
} blf_blob;

typedef struct blf_catchup_resp {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t after_seq;
	uint32_t status;   /* enum blf_catchup_status */
	int more;          /* non-zero: responder holds more after the last one */
	size_t ndeltas;
	blf_blob *deltas;  /* owned array; blf_catchup_resp_free */
} blf_catchup_resp;

/* One signed chunk of an origin's full state at (epoch, seq). Contains only
 * list and exclude operations. */
typedef struct blf_snapshot {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t seq;                /* state after applying delta seq */
	uint8_t head[BLF_HASH_LEN];  /* hash of delta seq */
	uint64_t created;
	uint32_t chunk;              /* 0..nchunks-1 */
	uint32_t nchunks;            /* 1..BLF_MAX_SNAPSHOT_CHUNKS */
	size_t nops;
	blf_op *ops;                 /* owned; blf_snapshot_free */
} blf_snapshot;

/* Key rollover: old key hands the origin over to new key.  Signed by the
 * old key (envelope) and counter-signed by the new key (SPEC 6.6). */
typedef struct blf_rollover {
	uint8_t origin[BLF_KEYID_LEN];
	uint8_t old_pk[BLF_PK_LEN];
	uint8_t new_pk[BLF_PK_LEN];
	uint64_t created;
	uint64_t overlap_until; /* old key stays valid until this time */
	uint8_t counter_sig[BLF_SIG_LEN];
} blf_rollover;

typedef struct blf_revocation {
	uint8_t origin[BLF_KEYID_LEN];
	uint8_t revoked_pk[BLF_PK_LEN];
	uint64_t created;
	uint32_t reason; /* enum blf_revoke_reason */
} blf_revocation;

enum blf_revoke_reason {
	BLF_REVOKE_UNSPECIFIED = 0,
	BLF_REVOKE_COMPROMISED = 1,
	BLF_REVOKE_SUPERSEDED = 2,
	BLF_REVOKE_RETIRED = 3,
	BLF_REVOKE_REASON_MAX = 3
};

void blf_delta_free(blf_delta *d);
void blf_heads_free(blf_heads *h);
void blf_catchup_resp_free(blf_catchup_resp *r);
void blf_snapshot_free(blf_snapshot *s);

/* ---- Envelopes (envelope.c, SPEC 3.3) -------------------------------- */

/* A decoded envelope.  body and sig point into the input buffer. */
typedef struct blf_envelope {
	uint32_t version;
	uint32_t type;
	uint8_t signer[BLF_KEYID_LEN];
	const uint8_t *body;
	size_t body_len;
	const uint8_t *sig;  /* BLF_SIG_LEN bytes */
} blf_envelope;

/* A growable byte buffer owned by the caller; blf_buf_free releases it. */
typedef struct blf_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
} blf_buf;

void blf_buf_free(blf_buf *b);

/* Parse the outer envelope only: structure, version, sizes.  Nothing in the
 * body is trusted yet.  Unknown types are reported as BLF_EUNKTYPE after the
 * structure is checked, so that callers can log and drop them cleanly. */
int blf_envelope_parse(const uint8_t *buf, size_t len, blf_envelope *env);

/* Verify env's signature with pk; pk's key id must equal env->signer
 * (BLF_EKEYID otherwise).  Returns BLF_OK or BLF_EBADSIG. */
int blf_envelope_verify(const blf_envelope *env, const uint8_t pk[BLF_PK_LEN]);

/* BLAKE2b-256 message hash of a parsed envelope (over its signing input,
 * SPEC 3.4).  This is the value deltas chain with and heads announce. */
void blf_envelope_hash(const blf_envelope *env, uint8_t hash[BLF_HASH_LEN]);

/* Key lookup used by the *_open functions: fill pk for keyid and return
 * BLF_OK, or return BLF_EUNKKEY (or another code, passed through). */
typedef int (*blf_key_lookup_fn)(void *ctx, const uint8_t keyid[BLF_KEYID_LEN],
				 uint8_t pk[BLF_PK_LEN]);

/* Parse, check the type, look up the signer, verify the signature - and only
 * then decode the body.  On success env describes the envelope; body
 * structures point into buf.  On error the out structure is zeroed. */
int blf_delta_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		   blf_envelope *env, blf_delta *out);
int blf_heads_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		   blf_envelope *env, blf_heads *out);
int blf_catchup_req_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup,
			 void *ctx, blf_envelope *env, blf_catchup_req *out);
int blf_catchup_resp_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup,
			  void *ctx, blf_envelope *env, blf_catchup_resp *out);
int blf_snapshot_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		      blf_envelope *env, blf_snapshot *out);
int blf_snapshot_req_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup,
			  void *ctx, blf_envelope *env, blf_snapshot_req *out);
/* A rollover is verified with the old key (looked up) and the counter-
 * signature with the new key carried in the body. */
int blf_rollover_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup, void *ctx,
		      blf_envelope *env, blf_rollover *out);
int blf_revocation_open(const uint8_t *buf, size_t len, blf_key_lookup_fn lookup,
			void *ctx, blf_envelope *env, blf_revocation *out);

/* Tie carried item i of a decoded catch-up response to the request it
 * answers (SPEC 6.4), after the receiver has opened the item as a delta
 * (blf_delta_open, d): d must be of the response's origin and epoch with
 * seq = after_seq + 1 + i.  Returns BLF_OK, BLF_EITEM, or BLF_EINVAL for a
 * NULL argument or i out of range.  The decoder has already refused items
 * that are not delta envelopes. */
int blf_catchup_item_check(const blf_catchup_resp *r, size_t i, const blf_delta *d);

/* Body decoders for bytes whose signature has already been verified (e.g.
 * journal replay of stored, verified messages, and the fuzz targets).  They
 * validate everything except the signature. */
int blf_delta_decode_body(const uint8_t *body, size_t len, blf_delta *out);
int blf_heads_decode_body(const uint8_t *body, size_t len, blf_heads *out);
int blf_catchup_req_decode_body(const uint8_t *body, size_t len, blf_catchup_req *out);
int blf_catchup_resp_decode_body(const uint8_t *body, size_t len, blf_catchup_resp *out);
int blf_snapshot_decode_body(const uint8_t *body, size_t len, blf_snapshot *out);
int blf_snapshot_req_decode_body(const uint8_t *body, size_t len, blf_snapshot_req *out);
int blf_rollover_decode_body(const uint8_t *body, size_t len, blf_rollover *out);
int blf_revocation_decode_body(const uint8_t *body, size_t len, blf_revocation *out);

/* Encoders: validate the structure (the same checks a decoder applies), then
 * append one complete signed envelope to out.  sk is the signer's libsodium
 * secret key (64 bytes); the signer key id is derived from it.  On error out
 * is unchanged. */
int blf_delta_seal(const blf_delta *d, const uint8_t sk[BLF_SK_LEN], blf_buf *out);
int blf_heads_seal(const blf_heads *h, const uint8_t sk[BLF_SK_LEN], blf_buf *out);
int blf_catchup_req_seal(const blf_catchup_req *r, const uint8_t sk[BLF_SK_LEN],
			 blf_buf *out);
int blf_catchup_resp_seal(const blf_catchup_resp *r, const uint8_t sk[BLF_SK_LEN],
			  blf_buf *out);
int blf_snapshot_seal(const blf_snapshot *s, const uint8_t sk[BLF_SK_LEN], blf_buf *out);
int blf_snapshot_req_seal(const blf_snapshot_req *r, const uint8_t sk[BLF_SK_LEN],
			  blf_buf *out);
/* Signs the envelope with old_sk and the counter-signature with new_sk;
 * r->old_pk, r->new_pk and r->counter_sig are filled in from the keys. */
int blf_rollover_seal(blf_rollover *r, const uint8_t old_sk[BLF_SK_LEN],
		      const uint8_t new_sk[BLF_SK_LEN], blf_buf *out);
int blf_revocation_seal(const blf_revocation *r, const uint8_t sk[BLF_SK_LEN],
			blf_buf *out);

/* Validate one operation as a decoder would, given the delta's creation
 * time (for the expiry rule).  allow_withdraw: delist/unexclude allowed
 * (not in snapshots). */
int blf_op_check(const blf_op *op, uint64_t created, int allow_withdraw);

/* The identity of a dispute (SPEC 5.6): BLAKE2b-128 of "BLFED-DISPUTE",
 * a zero byte, the filer's origin id and the canonical encoding of the
 * dispute operation.  Every agent computes the same id from a delta or a
 * snapshot.  BLF_EINVAL unless op is a valid dispute; BLF_ENOMEM. */
int blf_dispute_id(const uint8_t filer[BLF_KEYID_LEN], const blf_op *op,
		   uint8_t id[BLF_DISPUTE_ID_LEN]);

#endif /* BLF_H */
