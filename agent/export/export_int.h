/*
 * export_int.h - internals shared by the export driver (export.c), the
 * format writers (export_<format>.c), the text helpers (export_text.c) and
 * the MANIFEST code (manifest.c).
 *
 * A writer is one row of export_writers[]: {name, flag, input, layout,
 * begin, entry, end}.  The driver opens each file the writer produces (a
 * shard, a head file or the whole feed), calls begin (header), entry once
 * per item, and end (trailer), and takes care of staging, hashing, skipping
 * unchanged shards and publication.  Writers only format text into the
 * file's output buffer with the xo_* helpers, which never call snprintf on
 * the hot path.
 */
#ifndef BLF_EXPORT_INT_H
#define BLF_EXPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "../../keys/fileio.h"
#include "export.h"

typedef unsigned __int128 u128;

#define XO_FLUSH FIO_BUF_SIZE    /* handed to fio above this: written without a copy */
#define XO_CAP (XO_FLUSH + 4096u)/* room for one formatted line beyond it */
#define X_TAG_MAX 63u            /* ipset comment: "name reason" of the listing */
#define X_TIME_LEN 20u           /* "YYYY-MM-DDTHH:MM:SSZ" */
#define X_KEY_HEX 32u            /* shard key shown in the MANIFEST */
#define X_LEAD_MAX 32u           /* xfile.lead: "add " NAME "4 ", ipset names of 24 bytes */

#define XSHA_BUF 16384u /* small updates are gathered before EVP sees them */

/*
 * SHA-256 through OpenSSL's EVP (SHA-NI where the CPU has it: about 20
 * times libsodium's portable code, which would dominate an export), with a
 * buffer so that many small updates cost one call.
 */
typedef struct xsha {
	EVP_MD_CTX *ctx;
	size_t len;
	unsigned char buf[XSHA_BUF];
} xsha;

/* Allocate (once) and start a hash: 0, or -1 when out of memory. */
int export_sha_init(xsha *h);
void export_sha_update(xsha *h, const void *p, size_t n);
/* Finish into out (32 bytes); the context stays allocated for reuse. */
void export_sha_final(xsha *h, uint8_t out[32]);
/* Release the context; safe on a zeroed struct. */
void export_sha_free(xsha *h);

struct xsink;

/* Output of one file: a line buffer in front of fio_atomic, hashed; or,
 * with sink, in front of the driver's output of a shard or whole-feed
 * file (export.c: compared with the previous file, staged when it
 * differs, hashed once its header is known). */
typedef struct xout {
	char buf[XO_CAP];
	size_t len;
	int active;                     /* 0: counting only, bytes are dropped */
	fio_atomic fa;
	xsha sha;
	uint64_t size;
	int err;                        /* errno of the first failure */
	struct xsink *sink;             /* NULL: fa and sha as above */
	void (*sink_flush)(struct xout *o); /* export_out_flush with a sink */
} xout;

void export_out_flush(xout *o);
static inline void
xo_maybe_flush(xout *o)
{
	if (o->len >= XO_FLUSH)
		export_out_flush(o);
}

/*
 * A line in one bounds check: xo_reserve makes room for n bytes (n at most
 * XO_CAP - XO_FLUSH, the room a line always has below XO_CAP) and returns
 * where to write them with the unchecked export_put_* helpers; xo_commit
 * takes the end of what was written and hands the buffer on once it is
 * XO_FLUSH full.  A reservation includes the X_PUT_SLACK bytes the helpers
 * may store past their text.
 */
#define X_PUT_SLACK 4u       /* bytes past the text an export_put_* may store */
#define X_PREFIX_MAX 43u     /* longest prefix text: 8 groups of 4, 7 ':', "/128" */
#define X_REASON_TXT 48u     /* "NAME since " of a reason, "reason-65535 since " */
/* One part of the provenance text ("; NAME: REASON since DATE (REF)") and
 * what export_put_prov may store past it. */
#define X_PROV_PART (2u + KEYS_NAME_MAX + 2u + X_REASON_TXT + 10u + 2u + BLF_MAX_REF_LEN + 1u)
/* The JSON fragment of an origin, '{"name":...,"weight":', of a name of
 * at most KEYS_NAME_MAX bytes. */
#define X_JORIGIN_MAX (8u + 6u * KEYS_NAME_MAX + 2u + 11u + 32u + 12u + 32u + 11u)
#define X_JSON_PIECE 512u    /* input bytes escaped per reservation (6 out each) */

/* Whether a and b are the same string (inline: the names compared in the
 * writers' caches are a few bytes). */
static inline int
export_same_str(const char *a, const char *b)
{
	while (*a == *b) {
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
	return 0;
}

static inline char *
xo_reserve(xout *o, size_t n)
{
	if (XO_CAP - o->len < n)
		export_out_flush(o);
	return o->buf + o->len;
}

static inline void
xo_commit(xout *o, char *end)
{
	o->len = (size_t)(end - o->buf);
	if (o->len >= XO_FLUSH)
		export_out_flush(o);
}

/* The unchecked writers: each stores its text at d and returns its end.
 * Decimal (at most 20 bytes); n bytes as lower-case hex; an address or
 * prefix (canonical, RFC 5952 for IPv6; at most X_PREFIX_MAX); an A value
 * as a dotted quad (at most 15); "YYYY-MM-DDTHH:MM:SSZ" and "YYYY-MM-DD"
 * (UTC, years past 9999 clamped); a JSON string with its quotes (at most
 * 6n + 2, as export_out_json). */
char *export_put_u64(char *d, uint64_t v);
char *export_put_hex(char *d, const uint8_t *b, size_t n);
char *export_put_addr(char *d, const blf_prefix *p);
char *export_put_prefix(char *d, const blf_prefix *p);
char *export_put_a(char *d, uint32_t a);
char *export_put_time(char *d, uint64_t t);
char *export_put_date(char *d, uint64_t t);
char *export_put_json(char *d, const char *s, size_t n);
/* The provenance text of export_prov_text at d (no NUL): at most cap-1
 * bytes, and d needs room for cap - 1 + X_PROV_PART. */
char *export_put_prov(char *d, const core_entry *e, const char *drop, size_t cap);
/* The JSON Lines fragment of p's origin, '{"name":NAME,"origin":"HEX",
 * "signer":"HEX","weight":' (signer NULL: "signer":null), cached per name
 * and ids; names longer than KEYS_NAME_MAX through the checked writers. */
void export_out_jorigin(xout *o, const core_prov *p, const uint8_t *signer);
void export_out_mem(xout *o, const void *p, size_t n);
void export_out_str(xout *o, const char *s);
void export_out_chr(xout *o, char c);
void export_out_u64(xout *o, uint64_t v);
void export_out_hex(xout *o, const uint8_t *b, size_t n);
/* Address or prefix text (canonical, RFC 5952 for IPv6), fast path. */
void export_out_prefix(xout *o, const blf_prefix *p);
void export_out_addr(xout *o, const blf_prefix *p);
/* A value (host order) as a dotted quad: "127.0.0.2". */
void export_out_a(xout *o, uint32_t a);
/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) and "YYYY-MM-DD". */
void export_out_time(xout *o, uint64_t t);
void export_out_date(xout *o, uint64_t t);
/* A JSON string (quotes included) from arbitrary bytes: ASCII only, control
 * characters, quotes and backslashes escaped, UTF-8 as \uXXXX, invalid
 * bytes as \ufffd. */
void export_out_json(xout *o, const char *s, size_t n);

/* The text helpers that every format uses (export_text.c). */
void export_time_str(uint64_t t, char buf[X_TIME_LEN + 1]);
/* Copy s[0..n) to dst as printable ASCII: bytes outside 0x20..0x7e become
 * '?', and every byte in `drop` becomes '_'.  Returns the length (< cap). */
size_t export_safe_ascii(const char *s, size_t n, const char *drop, char *dst, size_t cap);
/* The provenance text of a listed entry: "alpha: spam-source since
 * 2026-01-01 (ticket 4711); beta: ..." in printable ASCII, `drop` bytes
 * replaced by '_', at most cap-1 bytes (cut with "..."). */
size_t export_prov_text(const core_entry *e, const char *drop, char *buf, size_t cap);
/* blf_reason_name through a table (NULL if unregistered); *len its length. */
const char *export_reason_name(uint16_t code, size_t *len);
/* Reason of the entry's strongest contribution (weight, then earliest). */
uint16_t export_main_reason(const core_entry *e);

/* Run-wide state the writers read. */
struct export_job;

typedef struct xfile {
	struct export_job *x;                 /* the run (its signer cache) */
	const export_config *cfg;       /* defaults applied */
	int kind;                       /* XF_SHARD, XF_HEAD, XF_WHOLE */
	int af;                         /* BLF_AF_INET/INET6; 0 for XF_WHOLE */
	unsigned shard;                 /* shard index */
	unsigned bits;                  /* shard bits of the family */
	size_t count;                   /* items of this file */
	size_t total;                   /* items of the family (all shards) */
	uint64_t serial;
	uint64_t now;
	int phase;                      /* XF_WHOLE: 0 exclusions, 1 listings */
	xout *o;
	char lead[X_LEAD_MAX];          /* the writer's text of every line, made by begin */
	size_t leadlen;                 /* 0: none made */
	const uint32_t *aval;           /* A per reason below 256 (export_aval_of), or NULL */
} xfile;

enum { XF_SHARD = 1, XF_HEAD = 2, XF_WHOLE = 3, XF_ORIGIN = 4 };
enum { XI_ENTRIES = 1, XI_NETS = 2, XI_TAGGED_NETS = 3 };

/* One item for a writer: a view entry (XI_ENTRIES) or a normalised
 * network (XI_NETS / XI_TAGGED_NETS) with the tag of its listing. */
typedef struct xitem {
	const core_entry *e;
	blf_prefix net;
	const char *tag;                /* taglen bytes; X_TAG_MAX readable when taglen fits */
	size_t taglen;
} xitem;

typedef struct export_writer {
	const char *name;        /* file names: "<name>-ip4.s00", "<name>.cidr"... */
	unsigned flag;           /* EXPORT_* */
	int input;               /* XI_* */
	int whole;               /* one file for the whole feed (no shards) */
	int head;                /* a head file per family before its shards */
	int (*begin)(xfile *f);  /* before the entries; NULL: nothing to write */
	int (*entry)(xfile *f, const xitem *it);
	int (*end)(xfile *f);    /* after the entries; NULL: nothing to write */
} export_writer;

extern const export_writer export_writer_rbldnsd;
extern const export_writer export_writer_postfix;
extern const export_writer export_writer_plain;
extern const export_writer export_writer_ipset;
extern const export_writer export_writer_jsonl;

/* Key id signing for an origin now (through the source), or NULL. */
const uint8_t *export_signer(struct export_job *x, const uint8_t origin[BLF_KEYID_LEN]);

/* A value for a reason (defaults applied): 127.0.0.(r+1) for registered
 * reasons up to 254, cfg->a_default otherwise, overrides first. */
uint32_t export_aval_of(const export_config *cfg, uint16_t reason);
/* The same through the file's table (xfile.aval) when it has one. */
static inline uint32_t
export_aval_for(const struct xfile *f, uint16_t reason)
{
	return f->aval != NULL && reason < 256 ? f->aval[reason] : export_aval_of(f->cfg, reason);
}

/* The stamp of the header lines (export_text.c): "SOURCE, " (with_source),
 * then "serial S, TIME, COUNT"; the caller writes what comes before and
 * after. */
void export_stamp(xfile *f, int with_source, uint64_t count);

/* ---- the per-origin view (export_origin.c) ----------------------------- */

#define X_ORIGIN_DIGEST 16u

/* One origin during its step: what pass 1 found. */
struct xorigin {
	uint8_t origin[BLF_KEYID_LEN];
	char name[KEYS_NAME_MAX + 1];     /* display name, as the source gave it */
	size_t n[2], nlisted[2];          /* records, listings per family */
	uint8_t digest[2][X_ORIGIN_DIGEST];
	xsha h[2];                        /* pass 1; freed with export_sha_free */
};

/* The file name of origin's zone of family af into out (FIO_NAME_MAX + 1
 * bytes): "origin.NAME.ip4", NAME made safe (export_origin.c).  Returns
 * its length. */
size_t export_origin_file(const char *name, const uint8_t origin[BLF_KEYID_LEN], int af,
			  char *out);
/* One pass over the i-th origin of src at now: with out NULL, fill *or
 * (id, name, counts, digests per family); otherwise write the zone of
 * each family whose out[fam] is not NULL.  0, 1 past the last origin,
 * -1 on error (source or memory). */
int export_origin_pass(const export_source *src, size_t i, uint64_t now, struct xorigin *or,
		  xfile *out[2]);

/* ---- MANIFEST internals (manifest.c) ---------------------------------- */

typedef struct xman_file {
	char name[FIO_NAME_MAX + 1];
	uint64_t size;
	uint8_t sha[32];
	char key[X_KEY_HEX + 1];     /* shard key, "-" when not a shard */
	uint64_t mtime;              /* mtime in the exporting directory, ns */
} xman_file;

typedef struct xman {
	uint64_t serial;
	uint64_t time;
	uint8_t agent[BLF_KEYID_LEN];
	xman_file *files;            /* sorted by name */
	size_t nfiles;
} xman;

/* Non-zero if name may appear in a MANIFEST: [A-Za-z0-9._-], not starting
 * with '.', not MANIFEST or MANIFEST.sig, at most FIO_NAME_MAX bytes. */
int export_name_ok(const char *name, size_t n);
/* Parse MANIFEST text strictly; BLF_ECORRUPT with a reason in err. */
int export_man_parse(const char *text, size_t len, xman *m, char *err, size_t errlen);
/* Format (files must be sorted); *out malloc'd. */
int export_man_format(const xman *m, char **out, size_t *outlen);
void export_man_free(xman *m);
/* Read and parse the MANIFEST of the directory dfd: BLF_ENOTFOUND if there
 * is none, BLF_EIO, or export_man_parse's codes. */
int export_manifest_load(int dfd, xman *m, char *err, size_t errlen);

/* ---- generations (export.c, manifest.c; blfed-export.5 "Layout") ------ */

#define X_CURRENT "current"          /* symlink to the published generation */
#define X_CURRENT_TMP ".current.new" /* the new link before it is renamed over */
#define X_GEN_PREFIX "gen."          /* generation directories: "gen.<serial>" */
#define X_GEN_NAME_MAX 24u           /* "gen." and at most 20 digits */

/* Non-zero if name is a generation name we create: "gen." then the
 * decimal serial without leading zeros (1..UINT64_MAX); *serial gets it. */
int export_gen_name(const char *name, uint64_t *serial);
/* Read the symlink "current" of the export directory dfd without following
 * it: 0 with its target (a generation name) in name and its serial, or -1
 * with errno ENOENT (no such link), EINVAL (not a symlink, or a target that
 * is not a generation name) or the error of the read. */
int export_current_read(int dfd, char name[X_GEN_NAME_MAX + 1], uint64_t *serial);

#endif /* BLF_EXPORT_INT_H */
