/*
 * ctl.h - the control protocol between blfed (the CLI) and blfedd.
 *
 * The CLI sends one request and reads one reply over an nng req/rep pair
 * on a local ipc:// socket (mode 0600, or 0660 to an admin group).  Both
 * are plain text so that an administrator can read them in a trace:
 *
 *   request  = "blfctl 1 " VERB [" json"] "\n" *( ARG "\n" )
 *   reply    = "blfctl 1 " CODE "\n" MESSAGE "\n" BODY
 *
 * VERB is one of the names of enum ctl_verb; each ARG is one line of at
 * most CTL_MAX_ARG bytes of UTF-8 without control characters; a request
 * holds at most CTL_MAX_ARGS arguments and CTL_MAX_REQ bytes and ends with
 * a newline.  CODE is the CLI's exit status (0 yes, 1 no, 2 error), MESSAGE
 * a one-line explanation (empty on success) for stderr, BODY the output
 * for stdout, in JSON Lines when the request said "json".  Requests come
 * from local users in the admin group and are decoded as untrusted input.
 *
 * Functions return 0 or a positive BLF_E* code.
 */
#ifndef BLF_CTL_H
#define BLF_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "../../protocol/blf.h"

#define CTL_VERSION 1
#define CTL_MAX_REQ (4u << 20)     /* request bytes: a bulk list of BLF_MAX_OPS lines fits */
#define CTL_MAX_REPLY (64u << 20)  /* reply bytes the CLI accepts */
#define CTL_MAX_ARGS (BLF_MAX_OPS + 16u) /* arguments of one request */
#define CTL_MAX_ARG (128u << 10)   /* bytes of one argument (a hex statement fits) */
#define CTL_MAX_MSG 512u           /* bytes of a reply's message line */
#define CTL_TIMEOUT_MS 30000       /* how long the CLI waits for a reply */
#define CTL_DEFAULT_SOCKET "ipc:///run/blfed/control.sock"

enum ctl_verb {
	CTL_STATUS = 1,   /* no args: peers, origins, last export */
	CTL_PEERS,        /* no args: peers only */
	CTL_WHY,          /* ADDRESS|PREFIX */
	CTL_PUBLISH,      /* one arg per operation (ctl_op_parse) */
	CTL_ORIGIN_RESET, /* NAME|ORIGIN-ID */
	CTL_ORIGIN_UNFREEZE, /* NAME|ORIGIN-ID */
	CTL_EXPORT,       /* no args */
	CTL_RELOAD,       /* no args */
	CTL_ANNOUNCE,     /* HEX of a rollover or revocation statement */
	CTL_DISPUTES,     /* [open] [filed|against-us]: the disputes held */
	CTL_DISPUTE,      /* PREFIX CODE REF [ORIGIN]: file a dispute (SPEC 5.6) */
	CTL_ANSWER,       /* ID upheld|delist CODE REF [PREFIX]: answer one */
	CTL_VERB_MAX = CTL_ANSWER
};

/* A growable text buffer; data is always NUL-terminated once non-empty. */
typedef struct ctl_buf {
	char *data;
	size_t len;
	size_t cap;
	int failed; /* an append ran out of memory (or past max) */
} ctl_buf;

void ctl_buf_free(ctl_buf *b);
/* Append bytes / printf-formatted text; failures set b->failed. */
void ctl_buf_add(ctl_buf *b, const void *p, size_t n);
void ctl_buf_printf(ctl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s (n bytes) as a JSON string with the RFC 8259 escapes. */
void ctl_buf_json_str(ctl_buf *b, const char *s, size_t n);

/* A decoded request.  args point into buf, which the request owns. */
typedef struct ctl_req {
	int verb;          /* enum ctl_verb */
	int json;          /* reply in JSON Lines */
	size_t nargs;
	char **args;       /* NUL-terminated, owned via buf */
	char *buf;
} ctl_req;

/* Name of a verb ("status") or NULL; and back: 0 if unknown. */
const char *ctl_verb_name(int verb);
int ctl_verb_parse(const char *s, size_t n);

/* Append an encoded request to out (BLF_EINVAL for a bad verb or an
 * argument that breaks the rules above, BLF_ETOOBIG past the limits). */
int ctl_req_encode(int verb, int json, const char *const *args, size_t nargs, ctl_buf *out);

/* Decode untrusted bytes.  Returns BLF_OK, BLF_ETOOBIG (size, argument
 * length or count), BLF_EVERSION, BLF_EINVAL (syntax, unknown verb),
 * BLF_ESTRING (control characters or bad UTF-8), BLF_ENOMEM.  On error
 * out is empty; ctl_req_free is always safe. */
int ctl_req_decode(const uint8_t *buf, size_t len, ctl_req *out);
void ctl_req_free(ctl_req *r);

/* Encode a reply: code 0..2, msg one line (newlines become blanks). */
int ctl_reply_encode(int code, const char *msg, const char *body, size_t bodylen,
		     ctl_buf *out);

/* Decode a reply; msg and body point into buf (msg not NUL-terminated). */
int ctl_reply_decode(const uint8_t *buf, size_t len, int *code, const char **msg,
		     size_t *msglen, const char **body, size_t *bodylen);

/*
 * Client side: send req to the daemon at url and wait up to timeout_ms for
 * the reply, which is malloc'd into *reply (free()).  Returns BLF_OK or
 * BLF_EIO with a reason ("connection refused") in err.
 */
int ctl_call(const char *url, const ctl_buf *req, int timeout_ms, uint8_t **reply,
	     size_t *replylen, char *err, size_t errlen);

/* Hex helpers for statements carried as an argument. */
void ctl_hex_encode(const uint8_t *p, size_t n, char *out); /* 2n+1 bytes */
int ctl_hex_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen);

/*
 * One operation argument of CTL_PUBLISH, fields separated by one blank:
 *   "list PREFIX REASON TTL [REF]"  REASON a code or registered name, TTL
 *                                   seconds 1..BLF_MAX_TTL, REF the rest
 *   "delist PREFIX"   "exclude PREFIX [REF]"   "unexclude PREFIX"
 * PREFIX is strict text (SPEC 4.1).  op->ref points into s; *ttl is 0 for
 * other operations.  Returns BLF_OK, BLF_EOPTYPE, BLF_EINVAL (syntax),
 * BLF_EREASON, BLF_EEXPIRY (TTL), BLF_ETOOBIG (REF too long), or a
 * blf_prefix_parse code.
 */
int ctl_op_parse(const char *s, blf_op *op, uint64_t *ttl);

/* Format an operation argument into buf (at most CTL_MAX_OP bytes). */
#define CTL_MAX_OP (16u + BLF_PREFIX_STRLEN + 8u + 12u + BLF_MAX_REF_LEN + 1u)

/* Check UTF-8 without control characters (SPEC 3.1 rule 6): 0 or BLF_ESTRING. */
int ctl_text_check(const char *s, size_t n);

#endif /* BLF_CTL_H */
