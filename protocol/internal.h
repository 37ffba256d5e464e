/*
 * internal.h - helpers shared by the protocol library's own files.
 * Not installed, not for use outside protocol/.
 */
#ifndef BLF_INTERNAL_H
#define BLF_INTERNAL_H

#include <msgpack.h>

#include "blf.h"

/* Envelope signing input prefix (SPEC 3.3): tag || version || type || signer. */
#define BLF_SIG_TAG "BLFED-SIG"            /* followed by one 0x00 byte */
#define BLF_SIG_TAG_LEN 10                 /* strlen + the NUL */
#define BLF_SIGN_PREFIX_LEN (BLF_SIG_TAG_LEN + 2 + BLF_KEYID_LEN)
#define BLF_KEYID_TAG "BLFED-KEYID"        /* followed by one 0x00 byte */
#define BLF_KEYID_TAG_LEN 12
#define BLF_ROLLOVER_TAG "BLFED-ROLLOVER"  /* followed by one 0x00 byte */
#define BLF_ROLLOVER_TAG_LEN 15
#define BLF_ROLLOVER_INPUT_LEN \
	(BLF_ROLLOVER_TAG_LEN + BLF_KEYID_LEN + 2 * BLF_PK_LEN + 8 + 8)

/* ---- decoding (mpread.c) ---- */

/* Structural pre-check of untrusted msgpack bytes before msgpack-c sees them:
 * exactly one object filling buf, nesting <= max_depth, no map / ext / float /
 * nil / signed int / reserved bytes, values in shortest form, at most
 * max_objects objects, and every declared array or string length no larger
 * than the bytes that remain.  The last rule bounds what msgpack-c allocates
 * (it sizes an array's storage from the declared count before reading it). */
int blf_mp_precheck(const uint8_t *buf, size_t len, unsigned max_depth, size_t max_objects);

/* A decoded msgpack document: owns msgpack-c's zone.  Strings and binaries
 * point into the input buffer. */
typedef struct mp_doc {
	msgpack_unpacked up;
	const msgpack_object *root;
} mp_doc;

/* Pre-check, then unpack buf into doc.  doc is always safe to blf_mp_doc_free. */
int blf_mp_doc_parse(mp_doc *doc, const uint8_t *buf, size_t len, unsigned max_depth,
		 size_t max_objects);
void blf_mp_doc_free(mp_doc *doc);

/* Field readers: exact msgpack types and sizes, range-checked. */
int blf_mp_array(const msgpack_object *o, uint32_t want, const msgpack_object **items);
int blf_mp_array_max(const msgpack_object *o, uint32_t max, const msgpack_object **items,
		 uint32_t *n);
int blf_mp_uint(const msgpack_object *o, uint64_t max, uint64_t *v);
int blf_mp_u32(const msgpack_object *o, uint32_t *v);
/* A uint within [min, max]: BLF_ETYPE for another type, range_err (BLF_ERANGE
 * or BLF_ESEQ) outside the range.  Decoders check each field completely,
 * type and range, before the next (SPEC 3.3, order of checks). */
int blf_mp_uint_in(const msgpack_object *o, uint64_t min, uint64_t max, int range_err,
	       uint64_t *v);
int blf_mp_u32_in(const msgpack_object *o, uint32_t min, uint32_t max, int range_err,
	      uint32_t *v);
int blf_mp_bool(const msgpack_object *o, int *v);
int blf_mp_bin_fixed(const msgpack_object *o, uint8_t *dst, size_t n);
int blf_mp_bin(const msgpack_object *o, size_t max, const uint8_t **p, size_t *n);
int blf_mp_str(const msgpack_object *o, size_t max, const char **p, size_t *n);
int blf_mp_prefix(const msgpack_object *o, blf_prefix *p);

/* UTF-8 well-formed (RFC 3629: no overlongs, no surrogates, <= U+10FFFF) and
 * no C0 / DEL / C1 control characters.  BLF_OK or BLF_ESTRING. */
int blf_text_check(const char *s, size_t n);

/* ---- encoding (mpwrite.c) ---- */

typedef struct mp_out {
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int failed; /* set by the first failed write (out of memory) */
} mp_out;

void blf_mp_out_init(mp_out *o);
void blf_mp_out_free(mp_out *o);
void blf_mp_w_array(mp_out *o, uint32_t n);
void blf_mp_w_uint(mp_out *o, uint64_t v);
void blf_mp_w_bool(mp_out *o, int v);
void blf_mp_w_bin(mp_out *o, const void *p, size_t n);
void blf_mp_w_str(mp_out *o, const char *p, size_t n);
void blf_mp_w_raw(mp_out *o, const void *p, size_t n); /* bytes as they are */
void blf_mp_w_prefix(mp_out *o, const blf_prefix *p);

/* ---- envelopes (envelope.c) ---- */

/* Encode and sign: body_enc writes the body into an mp_out that already
 * holds the signing prefix; the envelope is appended to out. */
typedef int (*body_encoder)(const void *msg, mp_out *o);
int blf_envelope_seal(unsigned type, const void *msg, body_encoder enc,
		  const uint8_t sk[BLF_SK_LEN], blf_buf *out);

/* Build the signing prefix for (type, signer) into p (BLF_SIGN_PREFIX_LEN). */
void blf_envelope_sign_prefix(unsigned type, const uint8_t signer[BLF_KEYID_LEN], uint8_t *p);

/* Parse + type check + lookup + verify: the shared front half of *_open. */
int blf_envelope_open(const uint8_t *buf, size_t len, size_t max_len, unsigned type,
		  blf_key_lookup_fn lookup, void *ctx, blf_envelope *env);

/* The whole of a *_open function: blf_envelope_open, then dec(body, out); on a
 * body error env is zeroed too.  out must already be zeroed. */
typedef int (*body_decoder)(const uint8_t *body, size_t len, void *out);
int blf_envelope_open_body(const uint8_t *buf, size_t len, size_t max_len, unsigned type,
		       blf_key_lookup_fn lookup, void *ctx, blf_envelope *env,
		       body_decoder dec, void *out);

/* The common start of a body decoder: NULL and size checks, then
 * blf_mp_doc_parse.  doc is always safe to blf_mp_doc_free afterwards. */
int blf_body_begin(mp_doc *doc, const uint8_t *body, size_t len, size_t max_len,
	       unsigned depth, size_t max_objects);

int blf_buf_append(blf_buf *b, const void *p, size_t n);

#endif /* BLF_INTERNAL_H */
