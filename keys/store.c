/*
 * store.c - the trust store file: parse, format, atomic save, lookups.
 *
 * The file is a sequence of stanzas (blfed-trust.5):
 *
 *     anchor NAME
 *         key blfed-ed25519 <keyid> <base64>
 *         FIELD VALUE...
 *
 * Blank lines and lines starting with '#' are ignored, indentation is free.
 * Each field line is handed to trust_anchor_set(), so the parser knows only
 * about stanzas, duplicates and line numbers.  Every error names
 * "FILE:LINE: reason: `line`" and leaves the output store empty.
 *
 * trust_store_format() writes every field of every anchor in a fixed order,
 * so that load(save(x)) == x and save(load(save(x))) is byte-identical.
 * Comments in a hand-edited file do not survive a save.
 *
 * trust_store_save() writes a temporary file beside the target, fsyncs it,
 * renames it over the target and fsyncs the directory: readers see the old
 * file or the new one, never a mixture, and a failure leaves the old file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "keys.h"
#include "keys_int.h"

#define STORE_HEADER "# blfed trust anchors, see blfed-trust(5).  Written by blfed trust.\n"

/* Names are what a shell and a log line carry without quoting. */
static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > KEYS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		      c == '@'))
			return 0;
	}
	return 1;
}

/*
 * Release everything; the store is empty afterwards.  NULL is fine.
 */
void
trust_store_free(trust_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nanchors; i++)
		trust_anchor_clear(&st->anchors[i]);
	free(st->anchors);
	keys_keyindex_free(st->kidx);
	st->anchors = NULL;
	st->nanchors = 0;
	st->kidx = NULL;
}

static int
anchor_copy(const trust_anchor *src, trust_anchor *dst)
{
	size_t i;

	*dst = *src;
	dst->scope = NULL;
	dst->authority = NULL;
	dst->revoked = NULL;
	dst->revoked_id = NULL;
	dst->chain = NULL;
	dst->note = NULL;
	dst->scope_file = NULL;
	dst->authority_file = NULL;
	dst->scope_idx = NULL;
	dst->auth_idx = NULL;
	if (src->nscope > 0 &&
	    (dst->scope = malloc(src->nscope * sizeof(blf_prefix))) == NULL)
		goto fail;
	if (src->nauthority > 0 &&
	    (dst->authority = malloc(src->nauthority * sizeof(blf_prefix))) == NULL)
		goto fail;
	if (src->nrevoked > 0 &&
	    ((dst->revoked = malloc(src->nrevoked * sizeof(*src->revoked))) == NULL ||
	     (dst->revoked_id = malloc(src->nrevoked * sizeof(*src->revoked_id))) == NULL))
		goto fail;
	if (src->nchain > 0 &&
	    (dst->chain = malloc(src->nchain * sizeof(*src->chain))) == NULL)
		goto fail;
	if (src->note != NULL && (dst->note = strdup(src->note)) == NULL)
		goto fail;
	dst->scope_file = NULL;
	dst->authority_file = NULL;
	dst->scope_idx = NULL;
	dst->auth_idx = NULL;
	if (src->scope_file != NULL && (dst->scope_file = strdup(src->scope_file)) == NULL)
		goto fail;
	if (src->authority_file != NULL &&
	    (dst->authority_file = strdup(src->authority_file)) == NULL)
		goto fail;
	if (keys_pindex_copy(src->scope_idx, &dst->scope_idx) != BLF_OK ||
	    keys_pindex_copy(src->auth_idx, &dst->auth_idx) != BLF_OK)
		goto fail;

	if (src->nchain > 0)
		memcpy(dst->chain, src->chain, src->nchain * sizeof(*src->chain));
	if (src->nscope > 0)
		memcpy(dst->scope, src->scope, src->nscope * sizeof(blf_prefix));
	if (src->nauthority > 0)
		memcpy(dst->authority, src->authority, src->nauthority * sizeof(blf_prefix));
	/* The key ids are computed afresh: src may have been built by hand,
	 * without them. */
	blf_keyid(dst->pk, dst->keyid);
	for (i = 0; i < src->nold; i++)
		blf_keyid(src->old[i].pk, dst->old[i].keyid);
	if (src->nrevoked > 0)
		memcpy(dst->revoked, src->revoked, src->nrevoked * sizeof(*src->revoked));
	for (i = 0; i < src->nrevoked; i++)
		blf_keyid(src->revoked[i], dst->revoked_id[i]);
	/* lists set by hand get their index here (if one cannot be built,
	 * trust_anchor_allows scans) */
	(void)keys_anchor_index(dst, NULL, NULL, NULL, 0);
	return BLF_OK;
fail:
	trust_anchor_clear(dst);
	return BLF_ENOMEM;
}

/*
 * Deep copy src into dst (which is overwritten, not freed).
 */
int
trust_store_copy(const trust_store *src, trust_store *dst)
{
	size_t i;

	dst->anchors = NULL;
	dst->nanchors = 0;
	dst->kidx = NULL;
	if (src->nanchors == 0)
		return BLF_OK;
	if ((dst->anchors = calloc(src->nanchors, sizeof(trust_anchor))) == NULL)
		return BLF_ENOMEM;
	for (i = 0; i < src->nanchors; i++) {
		if (anchor_copy(&src->anchors[i], &dst->anchors[i]) != BLF_OK) {
			trust_store_free(dst);
			return BLF_ENOMEM;
		}
		dst->nanchors++;
	}
	(void)trust_store_reindex(dst); /* without an index, lookups scan */
	return BLF_OK;
}

/*
 * Lookups: linear scans, stores hold at most KEYS_MAX_ANCHORS anchors.
 * By display name here.
 */
const trust_anchor *
trust_store_find_name(const trust_store *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->nanchors; i++)
		if (strcmp(st->anchors[i].name, name) == 0)
			return &st->anchors[i];
	return NULL;
}

/*
 * By display name, else by origin id in hex.
 */
const trust_anchor *
trust_store_find_named(const trust_store *st, const char *s)
{
	uint8_t id[BLF_KEYID_LEN];
	const trust_anchor *a = trust_store_find_name(st, s);

	if (a == NULL && blf_keyid_parse(s, strlen(s), id) == BLF_OK)
		a = trust_store_find_origin(st, id);
	return a;
}

/*
 * The same in a store the caller may change.
 */
trust_anchor *
trust_store_find_name_mut(trust_store *st, const char *name)
{
	const trust_anchor *a = trust_store_find_name(st, name);

	return a != NULL ? &st->anchors[a - st->anchors] : NULL;
}

/*
 * By origin id (stable across rotations).
 */
const trust_anchor *
trust_store_find_origin(const trust_store *st, const uint8_t origin[BLF_KEYID_LEN])
{
	size_t i;

	for (i = 0; i < st->nanchors; i++)
		if (memcmp(st->anchors[i].origin, origin, BLF_KEYID_LEN) == 0)
			return &st->anchors[i];
	return NULL;
}

/*
 * The same in a store the caller may change.
 */
trust_anchor *
trust_store_find_origin_mut(trust_store *st, const uint8_t origin[BLF_KEYID_LEN])
{
	const trust_anchor *a = trust_store_find_origin(st, origin);

	return a != NULL ? &st->anchors[a - st->anchors] : NULL;
}

/* See keys_int.h. */
int
keys_pk_has_id(const uint8_t pk[BLF_PK_LEN], const uint8_t keyid[BLF_KEYID_LEN])
{
	uint8_t id[BLF_KEYID_LEN];

	blf_keyid(pk, id);
	return memcmp(id, keyid, BLF_KEYID_LEN) == 0;
}

/* keys_store_each_key callback: the anchor of the first current, old or
 * revoked key (not a chain key) found. */
static int
anchor_hit(void *ctx, size_t anchor, int kind, size_t slot, const uint8_t *pk)
{
	(void)slot; /* the callback type's */
	(void)pk;
	if (kind > 2)
		return 0;
	*(size_t *)ctx = anchor;
	return 1;
}

/*
 * By the id of any key: current first, then old and revoked keys.  One
 * lookup in the key id index.
 */
const trust_anchor *
trust_store_find_keyid(const trust_store *st, const uint8_t keyid[BLF_KEYID_LEN])
{
	size_t i = 0;

	if (keys_store_each_key(st, keyid, anchor_hit, &i) == 0)
		return NULL;
	return &st->anchors[i];
}

/* See keys_int.h. */
int
keys_anchor_uses(const trust_anchor *a, const uint8_t pk[BLF_PK_LEN])
{
	size_t j;

	if (memcmp(a->pk, pk, BLF_PK_LEN) == 0)
		return 1;
	for (j = 0; j < a->nold; j++)
		if (memcmp(a->old[j].pk, pk, BLF_PK_LEN) == 0)
			return 1;
	return 0;
}

/* Check anchor b against anchor a (a != b) for the store invariants. */
static int
pair_check(const trust_anchor *a, const trust_anchor *b, char *err, size_t errlen)
{
	size_t j;

	if (strcmp(a->name, b->name) == 0) {
		keys_seterr(err, errlen, "anchor %s: name already used", b->name);
		return BLF_EEXIST;
	}
	if (keys_anchor_uses(a, b->pk)) {
		keys_seterr(err, errlen, "anchor %s: key already belongs to anchor %s", b->name,
			    a->name);
		return BLF_EEXIST;
	}
	if (trust_anchor_is_revoked(a, b->pk)) {
		keys_seterr(err, errlen, "anchor %s: key was revoked (anchor %s); a revoked key "
			    "is never accepted again", b->name, a->name);
		return BLF_EREVOKED;
	}
	for (j = 0; j < b->nold; j++) {
		if (trust_anchor_is_revoked(a, b->old[j].pk)) {
			keys_seterr(err, errlen, "anchor %s: old key was revoked (anchor %s)",
				    b->name, a->name);
			return BLF_EREVOKED;
		}
	}
	if (memcmp(a->origin, b->origin, BLF_KEYID_LEN) == 0) {
		keys_seterr(err, errlen, "anchor %s: same origin as anchor %s", b->name, a->name);
		return BLF_EEXIST;
	}
	for (j = 0; j < b->nold; j++) {
		if (keys_anchor_uses(a, b->old[j].pk)) {
			keys_seterr(err, errlen, "anchor %s: old key belongs to anchor %s", b->name,
				    a->name);
			return BLF_EEXIST;
		}
	}
	return BLF_OK;
}

/*
 * Invariants between anchors; O(n^2) in the number of anchors.
 */
int
trust_store_check(const trust_store *st, size_t *bad, char *err, size_t errlen)
{
	size_t i, j;
	int rc;

	/* Report against the later anchor of a pair: that is the one just added
	 * or the one further down the file. */
	for (i = 1; i < st->nanchors; i++) {
		for (j = 0; j < i; j++) {
			rc = pair_check(&st->anchors[j], &st->anchors[i], err, errlen);
			if (rc == BLF_OK)
				rc = pair_check(&st->anchors[i], &st->anchors[j], err, errlen);
			if (rc != BLF_OK) {
				if (bad != NULL)
					*bad = i;
				return rc;
			}
		}
	}
	return BLF_OK;
}

/*
 * Append a deep copy of a after checking it against every anchor.
 */
int
trust_store_add(trust_store *st, const trust_anchor *a, char *err, size_t errlen)
{
	trust_anchor *v;
	size_t i;
	int rc;

	if (!name_ok(a->name, strlen(a->name))) {
		keys_seterr(err, errlen, "name \"%s\": use 1 to %d letters, digits, '.', '-', "
			    "'_' or '@'", a->name, KEYS_NAME_MAX);
		return BLF_EINVAL;
	}
	if (st->nanchors >= KEYS_MAX_ANCHORS) {
		keys_seterr(err, errlen, "store holds %d anchors already", KEYS_MAX_ANCHORS);
		return BLF_ELIMIT;
	}
	for (i = 0; i < st->nanchors; i++) {
		if ((rc = pair_check(&st->anchors[i], a, err, errlen)) != BLF_OK)
			return rc;
		/* and the other direction: a's revoked keys against the others */
		if ((rc = pair_check(a, &st->anchors[i], err, errlen)) != BLF_OK)
			return rc;
	}
	if ((v = realloc(st->anchors, (st->nanchors + 1) * sizeof(*v))) == NULL)
		return BLF_ENOMEM;
	st->anchors = v;
	if ((rc = anchor_copy(a, &st->anchors[st->nanchors])) != BLF_OK)
		return rc;
	st->nanchors++;
	(void)trust_store_reindex(st); /* without an index, lookups scan */
	return BLF_OK;
}

/*
 * Remove by name, keeping the order of the others.
 */
int
trust_store_remove(trust_store *st, const char *name)
{
	trust_anchor *a = trust_store_find_name_mut(st, name);
	size_t i;

	if (a == NULL)
		return BLF_ENOTFOUND;
	i = (size_t)(a - st->anchors);
	trust_anchor_clear(a);
	memmove(&st->anchors[i], &st->anchors[i + 1],
		(st->nanchors - i - 1) * sizeof(trust_anchor));
	st->nanchors--;
	(void)trust_store_reindex(st); /* without an index, lookups scan */
	return BLF_OK;
}

/* ---- Parsing -------------------------------------------------------------- */

/* Keywords that may appear only once per stanza, with their bit. */
static const char *const single_kw[] = {
	"key", "origin", "permissions", "scope-file", "authority-file", "max-prefix",
	"weight", "expires", "rollover", "note",
};

#define PREFIXES_PER_LINE 64 /* scope / authority lines written by format */

struct parser {
	const char *name;       /* file name for messages */
	unsigned lineno;
	const char *line;       /* current line, NUL-terminated */
	char *err;
	size_t errlen;
};

static int perr(struct parser *ps, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The first 80 bytes of s for a message: what is not text by the text rule
 * (controls, bidi controls, broken UTF-8) becomes '?'. */
static void
quote(const char *s, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	while (u[i] != '\0' && i < 80 && o + 5 < cap) {
		k = u[i] < 0x80 ? 1 : u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : 2;
		if (i + k <= 80 && strnlen(s + i, k) == k &&
		    trust_text_check(s + i, k) == BLF_OK) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			out[o++] = '?';
			i++;
		}
	}
	out[o] = '\0';
}

static int
perr(struct parser *ps, int rc, const char *fmt, ...)
{
	char reason[KEYS_ERRLEN], shown[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	quote(ps->line, shown, sizeof(shown));
	keys_seterr(ps->err, ps->errlen, "%s:%u: %s: `%s%s`", ps->name, ps->lineno, reason,
		    shown, strlen(ps->line) > 80 ? "..." : "");
	return rc;
}

/* Close a stanza: it needs a key; the origin defaults to the key id. */
static int
stanza_end(struct parser *ps, trust_anchor *a, unsigned line, int have_key, int have_origin,
	   unsigned *const plines[2])
{
	size_t dup = 0;
	int dup_auth = 0;
	char shown[KEYS_NAME_MAX + 8], reason[KEYS_ERRLEN];
	int rc;

	if (!have_key) {
		snprintf(shown, sizeof(shown), "anchor %s", a->name);
		ps->lineno = line;
		ps->line = shown;
		return perr(ps, BLF_EINVAL, "anchor %s has no key", a->name);
	}
	if (!have_origin)
		memcpy(a->origin, a->keyid, BLF_KEYID_LEN);
	if ((rc = keys_anchor_index(a, &dup, &dup_auth, reason, sizeof(reason))) != BLF_OK) {
		/* a duplicate is reported at the line that repeats it */
		snprintf(shown, sizeof(shown), "%s", dup_auth ? "authority ..." : "scope ...");
		ps->lineno = rc == BLF_EEXIST && plines[dup_auth] != NULL ? plines[dup_auth][dup]
									    : line;
		ps->line = shown;
		return perr(ps, rc, "%s", reason);
	}
	return BLF_OK;
}

/*
 * Parse a whole store from memory.  See the file comment for the format.
 */
int
trust_store_parse(const char *text, size_t len, const char *name, trust_store *out,
		  char *err, size_t errlen)
{
	struct parser ps = {name, 0, "", err, errlen};
	trust_store st = {NULL, 0, NULL};
	trust_anchor *cur = NULL;
	unsigned *stanza_line = NULL;
	unsigned *plines[2] = {NULL, NULL}; /* line of each scope / authority prefix */
	const char *p = text, *end = text + len, *eol;
	char *line = NULL, *kw, *val, *e, *basedir = NULL;
	char reason[KEYS_ERRLEN];
	char shown[96];         /* the line as quoted in messages */
	unsigned seen = 0;
	uint8_t zero[BLF_PK_LEN] = {0};
	size_t n, i, bad;
	int rc = BLF_EINVAL, have_key = 0, have_origin = 0;

	out->anchors = NULL;
	out->nanchors = 0;
	out->kidx = NULL;
	if (blf_init() != BLF_OK)
		return BLF_ENOMEM;
	if (len > KEYS_MAX_FILE) {
		keys_seterr(err, errlen, "%s: larger than %u bytes", name, KEYS_MAX_FILE);
		return BLF_ETOOBIG;
	}
	if ((line = malloc(KEYS_LINE_MAX + 1)) == NULL)
		return BLF_ENOMEM;
	/* scope-file paths are relative to the store's directory */
	n = strlen(name);
	if ((basedir = malloc(n + 2)) == NULL) {
		free(line);
		return BLF_ENOMEM;
	}
	memcpy(basedir, name, n + 1);
	if ((e = strrchr(basedir, '/')) == NULL)
		strcpy(basedir, ".");
	else if (e == basedir)
		basedir[1] = '\0';
	else
		*e = '\0';
	keys_changed_hold(1); /* these anchors are in no indexed store yet */
	while (p < end) {
		ps.lineno++;
		ps.line = "";
		eol = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((eol != NULL ? eol : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > KEYS_LINE_MAX) {
			/* quote the start of the line, control bytes shown as '?' */
			for (i = 0; i < 81 && i < n; i++)
				shown[i] = ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) ? '?' : p[i];
			shown[i] = '\0';
			ps.line = shown;
			rc = perr(&ps, BLF_ETOOBIG, "line longer than %d bytes", KEYS_LINE_MAX);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = eol != NULL ? eol + 1 : end;
		ps.line = line;
		if (strlen(line) != n) {
			ps.line = "";
			rc = perr(&ps, BLF_ESTRING, "NUL byte in line");
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
				ps.line = "";
				rc = perr(&ps, BLF_ESTRING, "control character in line");
				goto out;
			}
		}
		kw = line;
		while (*kw == ' ' || *kw == '\t')
			kw++;
		if (*kw == '\0' || *kw == '#')
			continue;
		n = strlen(kw) < sizeof(shown) - 1 ? strlen(kw) : sizeof(shown) - 1;
		memcpy(shown, kw, n);
		shown[n] = '\0';
		ps.line = shown;
		for (val = kw; *val != '\0' && *val != ' ' && *val != '\t'; val++)
			;
		if (*val != '\0') {
			*val++ = '\0';
			while (*val == ' ' || *val == '\t')
				val++;
		}
		e = val + strlen(val);
		while (e > val && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (trust_text_check(val, strlen(val)) != BLF_OK) {
			rc = perr(&ps, BLF_ESTRING, "%s: not UTF-8 text, or control or "
				  "bidirectional characters in the value", kw);
			goto out;
		}
		if (strcmp(kw, "anchor") == 0) {
			trust_anchor *v;
			unsigned *sl;

			if (cur != NULL &&
			    (rc = stanza_end(&ps, cur, stanza_line[st.nanchors - 1], have_key,
					     have_origin, plines)) != BLF_OK)
				goto out;
			if (!name_ok(val, strlen(val)) || strchr(val, ' ') != NULL) {
				rc = perr(&ps, BLF_EINVAL, "anchor name \"%.64s\": use 1 to %d "
					  "letters, digits, '.', '-', '_' or '@'", val,
					  KEYS_NAME_MAX);
				goto out;
			}
			if (trust_store_find_name(&st, val) != NULL) {
				rc = perr(&ps, BLF_EEXIST, "anchor %s defined twice", val);
				goto out;
			}
			if (st.nanchors >= KEYS_MAX_ANCHORS) {
				rc = perr(&ps, BLF_ELIMIT, "more than %d anchors",
					  KEYS_MAX_ANCHORS);
				goto out;
			}
			v = realloc(st.anchors, (st.nanchors + 1) * sizeof(*v));
			if (v == NULL) {
				rc = BLF_ENOMEM;
				goto out;
			}
			st.anchors = v;
			sl = realloc(stanza_line, (st.nanchors + 1) * sizeof(*sl));
			if (sl == NULL) {
				rc = BLF_ENOMEM;
				goto out;
			}
			stanza_line = sl;
			stanza_line[st.nanchors] = ps.lineno;
			cur = &st.anchors[st.nanchors++];
			trust_anchor_init(cur, val, zero);
			free(plines[0]);
			free(plines[1]);
			plines[0] = plines[1] = NULL;
			seen = 0;
			have_key = have_origin = 0;
			continue;
		}
		if (cur == NULL) {
			rc = perr(&ps, BLF_EINVAL, "\"%.40s\" before the first anchor line", kw);
			goto out;
		}
		for (i = 0; i < sizeof(single_kw) / sizeof(single_kw[0]); i++) {
			if (strcmp(kw, single_kw[i]) != 0)
				continue;
			if (seen & (1u << i)) {
				rc = perr(&ps, BLF_EEXIST, "%s given twice in anchor %s", kw,
					  cur->name);
				goto out;
			}
			seen |= 1u << i;
		}
		if (strcmp(kw, "scope") == 0 || strcmp(kw, "authority") == 0) {
			/* repeatable: each line appends; indexed at the stanza's end */
			blf_prefix *pl = NULL;
			size_t npl = 0;
			int auth = kw[0] == 'a';

			if (*val == '\0') {
				rc = perr(&ps, BLF_EINVAL, "%s: missing value", kw);
				goto out;
			}
			if ((auth ? cur->authority_file : cur->scope_file) != NULL) {
				rc = perr(&ps, BLF_EEXIST, "%s and %s-file in anchor %s", kw, kw,
					  cur->name);
				goto out;
			}
			rc = keys_prefix_list_parse(kw, val, &pl, &npl, reason, sizeof(reason));
			if (rc == BLF_OK)
				rc = keys_anchor_append(cur, auth, pl, npl, reason, sizeof(reason));
			free(pl);
			if (rc == BLF_OK && npl > 0) {
				/* the line of each prefix, for duplicate messages */
				size_t have = auth ? cur->nauthority : cur->nscope;
				unsigned *nl = realloc(plines[auth], have * sizeof(*nl));

				if (nl == NULL) {
					rc = BLF_ENOMEM;
					goto out;
				}
				plines[auth] = nl;
				for (i = have - npl; i < have; i++)
					nl[i] = ps.lineno;
			}
			if (rc != BLF_OK) {
				rc = perr(&ps, rc, "%s", reason);
				goto out;
			}
			continue;
		}
		if ((strcmp(kw, "scope-file") == 0 && cur->nscope > 0) ||
		    (strcmp(kw, "authority-file") == 0 && cur->nauthority > 0)) {
			rc = perr(&ps, BLF_EEXIST, "%s and %.*s in anchor %s", kw,
				  (int)(strlen(kw) - 5), kw, cur->name);
			goto out;
		}
		if (strcmp(kw, "scope-file") == 0 || strcmp(kw, "authority-file") == 0)
			rc = keys_anchor_set_file(cur, kw[0] == 'a', val, basedir, reason,
						  sizeof(reason));
		else
			rc = trust_anchor_set(cur, kw, val, reason, sizeof(reason));
		if (rc != BLF_OK) {
			rc = perr(&ps, rc, "%s", reason);
			goto out;
		}
		if (strcmp(kw, "key") == 0)
			have_key = 1;
		else if (strcmp(kw, "origin") == 0)
			have_origin = 1;
	}
	if (cur != NULL && (rc = stanza_end(&ps, cur, stanza_line[st.nanchors - 1], have_key,
					    have_origin, plines)) != BLF_OK)
		goto out;
	if ((rc = trust_store_check(&st, &bad, reason, sizeof(reason))) != BLF_OK) {
		keys_seterr(err, errlen, "%s:%u: %s: `anchor %s`", name, stanza_line[bad], reason,
			    st.anchors[bad].name);
		goto out;
	}
	(void)trust_store_reindex(&st); /* without an index, lookups scan */
	*out = st;
	st.anchors = NULL;
	st.nanchors = 0;
	st.kidx = NULL;
	rc = BLF_OK;
out:
	keys_changed_hold(0);
	trust_store_free(&st);
	free(stanza_line);
	free(plines[0]);
	free(plines[1]);
	free(line);
	free(basedir);
	return rc;
}

/*
 * Load path; a missing file is an empty store.  The file must pass
 * keys_file_check (not writable by group or others, ours or root's).
 */
int
trust_store_load(const char *path, trust_store *out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat sb;
	int fd, rc = BLF_EIO;

	out->anchors = NULL;
	out->nanchors = 0;
	out->kidx = NULL;
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return BLF_OK;
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return BLF_EIO;
	}
	/* whoever may write the store decides whom we trust */
	if ((rc = keys_file_check(fd, path, "trust store", 0, err, errlen)) != BLF_OK)
		goto out;
	rc = BLF_EIO;
	if (fstat(fd, &sb) != 0) {
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (sb.st_size > (off_t)KEYS_MAX_FILE) {
		keys_seterr(err, errlen, "%s: larger than %u bytes", path, KEYS_MAX_FILE);
		rc = BLF_ETOOBIG;
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = BLF_ENOMEM;
		goto out;
	}
	if (fio_read_upto(fd, buf, (size_t)sb.st_size + 1, &len) != 0) {
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > (size_t)sb.st_size) {
		keys_seterr(err, errlen, "%s: file grew while read", path);
		goto out;
	}
	rc = trust_store_parse(buf, len, path, out, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- Formatting and saving ------------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t ncap = b->cap * 2 + (size_t)n + 1;
			char *np = realloc(b->p, ncap);

			if (np == NULL) {
				b->oom = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

/* A list as "    KW P P ..." lines of PREFIXES_PER_LINE prefixes, or the
 * file it came from. */
static void
sb_prefixes(struct sbuf *b, const char *kw, const blf_prefix *v, size_t n, const char *file)
{
	char buf[BLF_PREFIX_STRLEN];
	size_t i;

	if (file != NULL) {
		sb_add(b, "    %s-file %s\n", kw, file);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i % PREFIXES_PER_LINE == 0)
			sb_add(b, "%s    %s", i > 0 ? "\n" : "", kw);
		blf_prefix_format(&v[i], buf);
		sb_add(b, " %s", buf);
	}
	if (n > 0)
		sb_add(b, "\n");
}

static void
b64(const uint8_t pk[BLF_PK_LEN], char *out)
{
	char line[KEYS_PUBLIC_STRLEN];

	/* the third field of the public line is the base64 key */
	key_public_format(pk, NULL, line, sizeof(line));
	memcpy(out, line + 14 + BLF_KEYID_HEX_LEN + 1, KEYS_B64_LEN);
	out[KEYS_B64_LEN] = '\0';
}

/*
 * Text of the whole store, fields in a fixed order.
 */
int
trust_store_format(const trust_store *st, char **out, size_t *outlen)
{
	struct sbuf b = {NULL, 0, 0, 0};
	char line[KEYS_PUBLIC_STRLEN], tbuf[KEYS_TIME_STRLEN];
	char hex[BLF_KEYID_HEX_LEN + 1], k64[KEYS_B64_LEN + 1];
	char perms[64];
	size_t i, j;

	*out = NULL;
	*outlen = 0;
	if ((b.p = malloc(4096)) == NULL)
		return BLF_ENOMEM;
	b.cap = 4096;
	sb_add(&b, "%s", STORE_HEADER);
	for (i = 0; i < st->nanchors; i++) {
		const trust_anchor *a = &st->anchors[i];

		sb_add(&b, "\nanchor %s\n", a->name);
		key_public_format(a->pk, NULL, line, sizeof(line));
		sb_add(&b, "    key %s\n", line);
		if (memcmp(a->origin, a->keyid, BLF_KEYID_LEN) != 0) {
			blf_keyid_hex(a->origin, hex);
			sb_add(&b, "    origin %s\n", hex);
		}
		trust_perms_format(a->perms, " ", perms, sizeof(perms));
		sb_add(&b, "    permissions %s\n", perms);
		sb_prefixes(&b, "scope", a->scope, a->nscope, a->scope_file);
		sb_prefixes(&b, "authority", a->authority, a->nauthority, a->authority_file);
		sb_add(&b, "    max-prefix %u %u\n", a->max4, a->max6);
		sb_add(&b, "    weight %u\n", (unsigned)a->weight);
		if (a->expires == 0) {
			sb_add(&b, "    expires never\n");
		} else {
			trust_time_format(a->expires, tbuf);
			sb_add(&b, "    expires %s\n", tbuf);
		}
		sb_add(&b, "    rollover %s\n", a->accept_rollover ? "accept" : "refuse");
		if (a->dispute_window != 0)
			sb_add(&b, "    dispute-window %lus\n", (unsigned long)a->dispute_window);
		for (j = 0; j < a->nold; j++) {
			b64(a->old[j].pk, k64);
			trust_time_format(a->old[j].until, tbuf);
			sb_add(&b, "    old-key %s until %s\n", k64, tbuf);
		}
		for (j = 0; j < a->nchain; j++) {
			b64(a->chain[j], k64);
			sb_add(&b, "    chain %s\n", k64);
		}
		for (j = 0; j < a->nrevoked; j++) {
			b64(a->revoked[j], k64);
			sb_add(&b, "    revoked-key %s\n", k64);
		}
		if (a->note != NULL && a->note[0] != '\0')
			sb_add(&b, "    note %s\n", a->note);
	}
	if (b.oom) {
		free(b.p);
		return BLF_ENOMEM;
	}
	*out = b.p;
	*outlen = b.len;
	return BLF_OK;
}

/*
 * Atomic replace of path with the formatted store, mode 0644 (fileio.h:
 * exclusive temporary file, fsync, rename, directory fsync).
 */
int
trust_store_save(const trust_store *st, const char *path, char *err, size_t errlen)
{
	fio_atomic fa;
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = trust_store_format(st, &text, &len)) != BLF_OK)
		return rc;
	rc = BLF_EIO;
	if (fio_atomic_begin_path(&fa, path, 0644) != 0) {
		keys_seterr(err, errlen, "%s: cannot create a temporary file: %s", path,
			    strerror(errno));
		goto out;
	}
	if (fio_atomic_write(&fa, text, len) != 0 || fio_atomic_commit(&fa, 0) != 0) {
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		fio_atomic_abort(&fa);
		goto out;
	}
	rc = BLF_OK;
out:
	free(text);
	return rc;
}
