/*
 * ctl.c - encoding and decoding of control requests and replies (ctl.h),
 * and the client call over nng req/rep.
 *
 * The decoder reads untrusted bytes: it checks the total size first, then
 * walks the lines once, checking each argument's length, the argument count
 * and the text rules before it allocates the argument array, so that its
 * memory is bounded by CTL_MAX_REQ plus CTL_MAX_ARGS pointers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <sodium.h>

#include "ctl.h"

#define CTL_MAGIC "blfctl 1 "
#define CTL_MAGIC_LEN 9

static const char *const verb_names[CTL_VERB_MAX + 1] = {
	NULL, "status", "peers", "why", "publish", "origin-reset", "origin-unfreeze",
	"export", "reload", "announce", "disputes", "dispute", "answer",
};

/* The wire name of a verb, or NULL for a value outside enum ctl_verb. */
const char *
ctl_verb_name(int verb)
{
	return verb >= 1 && verb <= CTL_VERB_MAX ? verb_names[verb] : NULL;
}

/* The verb named by s (n bytes, not NUL-terminated), or 0. */
int
ctl_verb_parse(const char *s, size_t n)
{
	int v;

	for (v = 1; v <= CTL_VERB_MAX; v++)
		if (strlen(verb_names[v]) == n && memcmp(verb_names[v], s, n) == 0)
			return v;
	return 0;
}

/* Release the buffer and zero it; NULL is fine. */
void
ctl_buf_free(ctl_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int
buf_reserve(ctl_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->failed)
		return -1;
	if (extra > CTL_MAX_REPLY || b->len + extra + 1 > CTL_MAX_REPLY + 1) {
		b->failed = 1;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap > 0 ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes; on failure (memory, CTL_MAX_REPLY) only b->failed is set. */
void
ctl_buf_add(ctl_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append formatted text, as ctl_buf_add. */
void
ctl_buf_printf(ctl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) != 0) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Append s as a quoted JSON string; control bytes become u-escapes. */
void
ctl_buf_json_str(ctl_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	ctl_buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			ctl_buf_printf(b, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			ctl_buf_printf(b, "\\u%04x", p[i]);
		else
			ctl_buf_add(b, p + i, 1);
	}
	ctl_buf_add(b, "\"", 1);
}

/*
 * UTF-8 (RFC 3629) without C0, DEL or C1 control characters.
 */
int
ctl_text_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, need;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 || p[i] == 0x7f)
				return BLF_ESTRING;
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1, cp = p[i] & 0x1f, min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2, cp = p[i] & 0x0f, min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3, cp = p[i] & 0x07, min = 0x10000;
		} else {
			return BLF_ESTRING;
		}
		if (n - i - 1 < need)
			return BLF_ESTRING;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return BLF_ESTRING;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return BLF_ESTRING;
		i += need + 1;
	}
	return BLF_OK;
}

/* Append one request to out; every argument is checked as the decoder would. */
int
ctl_req_encode(int verb, int json, const char *const *args, size_t nargs, ctl_buf *out)
{
	size_t i, n, total;

	if (ctl_verb_name(verb) == NULL)
		return BLF_EINVAL;
	if (nargs > CTL_MAX_ARGS)
		return BLF_ETOOBIG;
	total = CTL_MAGIC_LEN + 32;
	for (i = 0; i < nargs; i++) {
		n = strlen(args[i]);
		if (n > CTL_MAX_ARG)
			return BLF_ETOOBIG;
		if (ctl_text_check(args[i], n) != BLF_OK)
			return BLF_EINVAL;
		total += n + 1;
	}
	if (total > CTL_MAX_REQ)
		return BLF_ETOOBIG;
	ctl_buf_printf(out, "%s%s%s\n", CTL_MAGIC, ctl_verb_name(verb), json ? " json" : "");
	for (i = 0; i < nargs; i++) {
		ctl_buf_add(out, args[i], strlen(args[i]));
		ctl_buf_add(out, "\n", 1);
	}
	return out->failed ? BLF_ENOMEM : BLF_OK;
}

/* Release a decoded request; safe on one that failed to decode. */
void
ctl_req_free(ctl_req *r)
{
	if (r == NULL)
		return;
	free(r->args);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/*
 * Decode: size, magic, verb line, then every argument line.
 */
int
ctl_req_decode(const uint8_t *buf, size_t len, ctl_req *out)
{
	const char *p = (const char *)buf, *nl, *end;
	size_t nargs = 0, i, n;
	char *copy = NULL, *q;
	int rc = BLF_EINVAL, verb;

	memset(out, 0, sizeof(*out));
	if (buf == NULL || len == 0)
		goto out;
	if (len > CTL_MAX_REQ) {
		rc = BLF_ETOOBIG;
		goto out;
	}
	if (len < CTL_MAGIC_LEN || memcmp(p, CTL_MAGIC, CTL_MAGIC_LEN) != 0) {
		rc = len >= 7 && memcmp(p, "blfctl ", 7) == 0 ? BLF_EVERSION : BLF_EINVAL;
		goto out;
	}
	if (p[len - 1] != '\n')
		goto out;
	end = p + len;
	/* verb line */
	nl = memchr(p, '\n', len);
	n = (size_t)(nl - p) - CTL_MAGIC_LEN;
	q = memchr(p + CTL_MAGIC_LEN, ' ', n);
	if (q != NULL) {
		if ((size_t)(nl - q) != 5 || memcmp(q, " json", 5) != 0)
			goto out;
		out->json = 1;
		n = (size_t)(q - (p + CTL_MAGIC_LEN));
	}
	if ((verb = ctl_verb_parse(p + CTL_MAGIC_LEN, n)) == 0)
		goto out;
	/* count and check the arguments before allocating */
	for (q = (char *)(uintptr_t)(nl + 1); q < end; q = (char *)(uintptr_t)(nl + 1)) {
		nl = memchr(q, '\n', (size_t)(end - q));
		n = (size_t)(nl - q);
		if (n > CTL_MAX_ARG || ++nargs > CTL_MAX_ARGS) {
			rc = BLF_ETOOBIG;
			goto out;
		}
		if (ctl_text_check(q, n) != BLF_OK) {
			rc = BLF_ESTRING;
			goto out;
		}
	}
	rc = BLF_ENOMEM;
	if ((copy = malloc(len + 1)) == NULL)
		goto out;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	if (nargs > 0 && (out->args = calloc(nargs, sizeof(*out->args))) == NULL)
		goto out;
	q = strchr(copy, '\n') + 1;
	for (i = 0; i < nargs; i++) {
		out->args[i] = q;
		q = strchr(q, '\n');
		*q++ = '\0';
	}
	out->verb = verb;
	out->nargs = nargs;
	out->buf = copy;
	copy = NULL;
	rc = BLF_OK;
out:
	free(copy);
	if (rc != BLF_OK) {
		free(out->args);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

/* Append one reply to out: status line, message line (newlines blanked), body. */
int
ctl_reply_encode(int code, const char *msg, const char *body, size_t bodylen, ctl_buf *out)
{
	size_t i, n = msg != NULL ? strlen(msg) : 0;

	if (code < 0 || code > 2)
		return BLF_EINVAL;
	if (n > CTL_MAX_MSG)
		n = CTL_MAX_MSG;
	ctl_buf_printf(out, "%s%d\n", CTL_MAGIC, code);
	for (i = 0; i < n; i++)
		ctl_buf_add(out, msg[i] == '\n' || msg[i] == '\r' ? " " : msg + i, 1);
	ctl_buf_add(out, "\n", 1);
	if (bodylen > 0)
		ctl_buf_add(out, body, bodylen);
	return out->failed ? BLF_ENOMEM : BLF_OK;
}

/* Split a reply; msg and body point into buf, nothing is copied. */
int
ctl_reply_decode(const uint8_t *buf, size_t len, int *code, const char **msg,
		 size_t *msglen, const char **body, size_t *bodylen)
{
	const char *p = (const char *)buf, *nl;

	if (len < CTL_MAGIC_LEN + 3 || memcmp(p, CTL_MAGIC, CTL_MAGIC_LEN) != 0)
		return BLF_EINVAL;
	if (p[CTL_MAGIC_LEN] < '0' || p[CTL_MAGIC_LEN] > '2' || p[CTL_MAGIC_LEN + 1] != '\n')
		return BLF_EINVAL;
	*code = p[CTL_MAGIC_LEN] - '0';
	*msg = p + CTL_MAGIC_LEN + 2;
	nl = memchr(*msg, '\n', len - CTL_MAGIC_LEN - 2);
	if (nl == NULL)
		return BLF_EINVAL;
	*msglen = (size_t)(nl - *msg);
	*body = nl + 1;
	*bodylen = len - (size_t)(*body - p);
	return BLF_OK;
}

/* One request, one reply over a fresh REQ socket; the caller frees *reply. */
int
ctl_call(const char *url, const ctl_buf *req, int timeout_ms, uint8_t **reply,
	 size_t *replylen, char *err, size_t errlen)
{
	nng_socket s = NNG_SOCKET_INITIALIZER;
	nng_msg *m = NULL;
	int rv, rc = BLF_EIO, opened = 0;

	*reply = NULL;
	*replylen = 0;
	if ((rv = nng_req0_open(&s)) != 0)
		goto fail;
	opened = 1;
	if ((rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, CTL_MAX_REPLY)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 0)) != 0)
		goto fail;
	if ((rv = nng_dial(s, url, NULL, 0)) != 0)
		goto fail;
	if ((rv = nng_send(s, req->data, req->len, 0)) != 0)
		goto fail;
	if ((rv = nng_recvmsg(s, &m, 0)) != 0)
		goto fail;
	if ((*reply = malloc(nng_msg_len(m) + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = BLF_ENOMEM;
		goto out;
	}
	memcpy(*reply, nng_msg_body(m), nng_msg_len(m));
	*replylen = nng_msg_len(m);
	rc = BLF_OK;
	goto out;
fail:
	snprintf(err, errlen, "%s", nng_strerror(rv));
out:
	if (m != NULL)
		nng_msg_free(m);
	if (opened)
		nng_close(s);
	return rc;
}

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated):
 * libsodium's constant-time codec. */
void
ctl_hex_encode(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

/* Hex text (either case, even length, nothing else) into out;
 * BLF_ETOOBIG past cap, BLF_EINVAL for anything that is not hex. */
int
ctl_hex_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	const char *end;
	size_t got;

	if (n % 2 != 0)
		return BLF_EINVAL;
	if (n / 2 > cap)
		return BLF_ETOOBIG;
	if (sodium_hex2bin(out, cap, s, n, NULL, &got, &end) != 0 || end != s + n ||
	    got != n / 2)
		return BLF_EINVAL;
	*outlen = got;
	return BLF_OK;
}
