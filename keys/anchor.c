/*
 * anchor.c - one trust anchor: its fields, their text forms and validation.
 *
 * Every field of an anchor has exactly one text form, the value of a trust
 * store line "FIELD VALUE" (blfed-trust.5).  trust_anchor_set() parses it and
 * is shared by the store parser, `blfed trust add` and `blfed trust set`, so
 * the file, the command line and the messages all speak the same language.
 * A value is parsed completely into temporaries before the anchor changes:
 * an error leaves the anchor as it was.
 *
 * Times are RFC 3339 in UTC ("2027-12-31T00:00:00Z"), converted with
 * timegm(3); prefixes go through blf_prefix_parse (strict: host bits, mapped
 * forms and leading zeros are errors).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys.h"
#include "keys_int.h"

static int
is_sep(char c, const char *seps)
{
	return c == ' ' || c == '\t' || (c != '\0' && strchr(seps, c) != NULL);
}

/* Next token of s separated by blanks or any of seps; NULL at the end. */
static const char *
token(const char **s, const char *seps, size_t *n)
{
	const char *p = *s, *t;

	while (*p != '\0' && is_sep(*p, seps))
		p++;
	if (*p == '\0') {
		*s = p;
		return NULL;
	}
	t = p;
	while (*p != '\0' && !is_sep(*p, seps))
		p++;
	*n = (size_t)(p - t);
	*s = p;
	return t;
}

/* Strict unsigned decimal: digits only, no sign, no leading zero. */
static int
parse_uint(const char *t, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && t[0] == '0'))
		return BLF_EINVAL;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return BLF_EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(t[i] - '0')) / 10)
			return BLF_ERANGE;
		v = v * 10 + (uint64_t)(t[i] - '0');
	}
	if (v > max)
		return BLF_ERANGE;
	*out = v;
	return BLF_OK;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DD" (midnight UTC), years 1970-9999.
 */
int
trust_time_parse(const char *s, uint64_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);
	time_t t;

	if (n != 10 && n != 20)
		return BLF_EINVAL;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return BLF_EINVAL;
	if (n == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
			digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se) ||
			s[19] != 'Z'))
		return BLF_EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return BLF_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalises 31 February into March: refuse such dates. */
	if (t < 0 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return BLF_EINVAL;
	*out = (uint64_t)t;
	return BLF_OK;
}

/*
 * Format unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
 */
void
trust_time_format(uint64_t t, char *buf)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t > KEYS_TIME_MAX || gmtime_r(&tt, &tm) == NULL) {
		strcpy(buf, "9999-12-31T23:59:59Z");
		return;
	}
	strftime(buf, KEYS_TIME_STRLEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const struct {
	const char *name;
	unsigned bit;
} perm_names[] = {
	{"list", TRUST_LIST},
	{"delist", TRUST_DELIST},
	{"exclude", TRUST_EXCLUDE},
	{"relay-only", TRUST_RELAY_ONLY},
	{"dispute", TRUST_DISPUTE},
};

/*
 * Permission words in canonical order, separated by sep.
 */
size_t
trust_perms_format(unsigned perms, const char *sep, char *buf, size_t cap)
{
	size_t i, len = 0;
	int n;

	if (cap == 0)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]); i++) {
		if ((perms & perm_names[i].bit) == 0)
			continue;
		n = snprintf(buf + len, cap - len, "%s%s", len > 0 ? sep : "",
			     perm_names[i].name);
		if (n < 0 || (size_t)n >= cap - len)
			return len;
		len += (size_t)n;
	}
	return len;
}

/*
 * A duration: decimal seconds with an optional unit s, m, h or d ("7d").
 * BLF_OK, or BLF_EINVAL (syntax) / BLF_ERANGE (above 2^32-1 seconds).
 */
int
trust_duration_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	size_t i = 0;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return BLF_EINVAL;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return BLF_ERANGE;
	}
	switch (s[i]) {
	case '\0': break;
	case 's': mul = 1; i++; break;
	case 'm': mul = 60; i++; break;
	case 'h': mul = 3600; i++; break;
	case 'd': mul = 86400; i++; break;
	default: return BLF_EINVAL;
	}
	if (s[i] != '\0')
		return BLF_EINVAL;
	if (v * mul > UINT32_MAX)
		return BLF_ERANGE;
	*out = v * mul;
	return BLF_OK;
}

static const char *const op_names[] = {NULL, "list", "delist", "exclude", "unexclude"};

/*
 * Name of an operation type, "unknown" if out of range.
 */
const char *
trust_op_name(unsigned op_type)
{
	if (op_type >= 1 && op_type <= BLF_OP_UNEXCLUDE)
		return op_names[op_type];
	return "unknown";
}

/*
 * Operation name to type: BLF_OK or BLF_EOPTYPE.
 */
int
trust_op_parse(const char *s, unsigned *op_type)
{
	unsigned i;

	for (i = 1; i <= BLF_OP_UNEXCLUDE; i++) {
		if (strcmp(s, op_names[i]) == 0) {
			*op_type = i;
			return BLF_OK;
		}
	}
	return BLF_EOPTYPE;
}

/*
 * Membership test over the revoked list.
 */
int
trust_anchor_is_revoked(const trust_anchor *a, const uint8_t pk[BLF_PK_LEN])
{
	size_t i;

	for (i = 0; i < a->nrevoked; i++)
		if (memcmp(a->revoked[i], pk, BLF_PK_LEN) == 0)
			return 1;
	return 0;
}

/*
 * Display state of an anchor at now.
 */
const char *
trust_anchor_state(const trust_anchor *a, uint64_t now)
{
	size_t i;

	if (a->expires != 0 && now >= a->expires)
		return "expired";
	if (trust_anchor_is_revoked(a, a->pk))
		return "revoked";
	for (i = 0; i < a->nold; i++)
		if (now < a->old[i].until)
			return "overlap";
	return "active";
}

/*
 * Defaults: list+delist, no scope, /24 and /48, weight 100, no expiry,
 * rollover accepted; the origin id is the key id of pk.
 */
void
trust_anchor_init(trust_anchor *a, const char *name, const uint8_t pk[BLF_PK_LEN])
{
	memset(a, 0, sizeof(*a));
	if (name != NULL) {
		strncpy(a->name, name, KEYS_NAME_MAX);
		a->name[KEYS_NAME_MAX] = '\0';
	}
	memcpy(a->pk, pk, BLF_PK_LEN);
	blf_keyid(pk, a->keyid);
	memcpy(a->origin, a->keyid, BLF_KEYID_LEN);
	a->perms = TRUST_LIST | TRUST_DELIST;
	a->max4 = KEYS_DEFAULT_MAX4;
	a->max6 = KEYS_DEFAULT_MAX6;
	a->weight = KEYS_DEFAULT_WEIGHT;
	a->accept_rollover = 1;
}

/* See keys_int.h. */
int
keys_revoked_reserve(trust_anchor *a, size_t n)
{
	uint8_t (*v)[BLF_PK_LEN];
	uint8_t (*w)[BLF_KEYID_LEN];

	if ((v = realloc(a->revoked, (a->nrevoked + n + 1) * sizeof(*v))) == NULL)
		return BLF_ENOMEM;
	a->revoked = v;
	if ((w = realloc(a->revoked_id, (a->nrevoked + n + 1) * sizeof(*w))) == NULL)
		return BLF_ENOMEM;
	a->revoked_id = w;
	return BLF_OK;
}

/* See keys_int.h. */
void
keys_revoked_push(trust_anchor *a, const uint8_t pk[BLF_PK_LEN])
{
	memcpy(a->revoked[a->nrevoked], pk, BLF_PK_LEN);
	blf_keyid(pk, a->revoked_id[a->nrevoked]);
	a->nrevoked++;
	keys_changed();
}

/*
 * Release what an anchor owns and zero it; the struct itself is the
 * caller's.  NULL is fine.
 */
void
trust_anchor_clear(trust_anchor *a)
{
	if (a == NULL)
		return;
	free(a->scope);
	free(a->authority);
	free(a->scope_file);
	free(a->authority_file);
	keys_pindex_free(a->scope_idx);
	keys_pindex_free(a->auth_idx);
	free(a->revoked);
	free(a->revoked_id);
	free(a->chain);
	free(a->note);
	memset(a, 0, sizeof(*a));
}

/*
 * Parse a list of prefixes ("none" = empty); see keys_int.h.  Duplicates
 * are left to the index (one sort, not a pairwise scan).
 */
int
keys_prefix_list_parse(const char *field, const char *value, blf_prefix **out,
		       size_t *nout, char *err, size_t errlen)
{
	const char *p = value, *t;
	blf_prefix *v = NULL, pf;
	size_t n, nv = 0, cap = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	if (strcmp(value, "none") == 0)
		return BLF_OK;
	while ((t = token(&p, ",", &n)) != NULL) {
		rc = blf_prefix_parse(t, n, 0, &pf);
		if (rc != BLF_OK) {
			keys_seterr(err, errlen, "%s %.*s: %s", field, (int)(n > 64 ? 64 : n), t,
				    blf_strerror(rc));
			goto fail;
		}
		if (nv == KEYS_MAX_SCOPE) {
			keys_seterr(err, errlen, "%s: more than %d prefixes", field, KEYS_MAX_SCOPE);
			rc = BLF_ELIMIT;
			goto fail;
		}
		if (nv == cap) {
			size_t ncap = cap == 0 ? 8 : cap * 2;
			blf_prefix *nvp = realloc(v, ncap * sizeof(*v));

			if (nvp == NULL) {
				rc = BLF_ENOMEM;
				goto fail;
			}
			v = nvp;
			cap = ncap;
		}
		v[nv++] = pf;
	}
	if (nv == 0) {
		keys_seterr(err, errlen, "%s: no prefix given (use \"none\" for an empty list)",
			    field);
		return BLF_EINVAL;
	}
	*out = v;
	*nout = nv;
	return BLF_OK;
fail:
	free(v);
	return rc;
}

/* Replace a's scope (authority when auth) by v[0..n) (taken over), with its
 * index and file name (copied; NULL for an inline list).  On error nothing
 * changes and v is freed. */
static int
replace_list(trust_anchor *a, int auth, blf_prefix *v, size_t n, const char *file,
	     char *err, size_t errlen)
{
	struct trust_pindex *ix = NULL;
	char *f = NULL;
	int rc;

	if ((rc = keys_pindex_build(v, n, auth ? "authority" : "scope", &ix, NULL, err,
				    errlen)) != BLF_OK)
		goto fail;
	if (file != NULL && (f = strdup(file)) == NULL) {
		rc = BLF_ENOMEM;
		goto fail;
	}
	if (auth) {
		free(a->authority);
		free(a->authority_file);
		keys_pindex_free(a->auth_idx);
		a->authority = v;
		a->nauthority = n;
		a->authority_file = f;
		a->auth_idx = ix;
	} else {
		free(a->scope);
		free(a->scope_file);
		keys_pindex_free(a->scope_idx);
		a->scope = v;
		a->nscope = n;
		a->scope_file = f;
		a->scope_idx = ix;
	}
	return BLF_OK;
fail:
	keys_pindex_free(ix);
	free(v);
	return rc;
}

/* See keys_int.h. */
int
keys_anchor_append(trust_anchor *a, int auth, const blf_prefix *v, size_t n, char *err,
		   size_t errlen)
{
	blf_prefix **list = auth ? &a->authority : &a->scope;
	size_t *nl = auth ? &a->nauthority : &a->nscope;
	blf_prefix *nv;

	if (n == 0)
		return BLF_OK;
	if (*nl + n > KEYS_MAX_SCOPE) {
		keys_seterr(err, errlen, "%s: more than %d prefixes", auth ? "authority" : "scope",
			    KEYS_MAX_SCOPE);
		return BLF_ELIMIT;
	}
	if ((nv = realloc(*list, (*nl + n) * sizeof(*nv))) == NULL)
		return BLF_ENOMEM;
	memcpy(nv + *nl, v, n * sizeof(*nv));
	*list = nv;
	*nl += n;
	/* the index is stale now: keys_anchor_index rebuilds it */
	if (auth) {
		keys_pindex_free(a->auth_idx);
		a->auth_idx = NULL;
	} else {
		keys_pindex_free(a->scope_idx);
		a->scope_idx = NULL;
	}
	return BLF_OK;
}

/* See keys_int.h. */
int
keys_anchor_index(trust_anchor *a, size_t *dup, int *dup_auth, char *err, size_t errlen)
{
	int rc;

	if (dup_auth != NULL)
		*dup_auth = 0;
	if (a->scope_idx == NULL && a->nscope > 0 &&
	    (rc = keys_pindex_build(a->scope, a->nscope, "scope", &a->scope_idx, dup, err,
				    errlen)) != BLF_OK)
		return rc;
	if (dup_auth != NULL)
		*dup_auth = 1;
	if (a->auth_idx == NULL && a->nauthority > 0 &&
	    (rc = keys_pindex_build(a->authority, a->nauthority, "authority", &a->auth_idx,
				    dup, err, errlen)) != BLF_OK)
		return rc;
	return BLF_OK;
}

/* See keys_int.h. */
int
keys_anchor_set_file(trust_anchor *a, int auth, const char *path, const char *basedir,
		     char *err, size_t errlen)
{
	const char *field = auth ? "authority-file" : "scope-file";
	char *full = NULL, e[KEYS_ERRLEN];
	blf_prefix *v = NULL;
	size_t n = 0, len = strlen(path);
	int rc;

	if (len == 0 || len > KEYS_PATH_MAX) {
		keys_seterr(err, errlen, "%s: expected a file name of 1 to %d bytes", field,
			    KEYS_PATH_MAX);
		return BLF_EINVAL;
	}
	if (path[0] != '/' && basedir != NULL && strcmp(basedir, ".") != 0) {
		if ((full = malloc(strlen(basedir) + len + 2)) == NULL)
			return BLF_ENOMEM;
		sprintf(full, "%s/%s", basedir, path);
	}
	rc = keys_prefixes_load(full != NULL ? full : path, &v, &n, e, sizeof(e));
	free(full);
	if (rc != BLF_OK) {
		keys_seterr(err, errlen, "%s: %s", field, e);
		return rc;
	}
	return replace_list(a, auth, v, n, path, err, errlen);
}

/*
 * The text rule; see keys.h.
 */
int
trust_text_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (blf_text_check(s, n) != BLF_OK)
		return BLF_ESTRING;
	/* valid UTF-8 now: the bidi controls are these exact sequences */
	for (i = 0; i + 1 < n; i++) {
		if (u[i] == 0xd8 && u[i + 1] == 0x9c)
			return BLF_ESTRING; /* U+061C */
		if (i + 2 < n && u[i] == 0xe2 && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0x8e || u[i + 2] == 0x8f || (u[i + 2] >= 0xaa && u[i + 2] <= 0xae)))
			return BLF_ESTRING; /* U+200E, U+200F, U+202A-U+202E */
		if (i + 2 < n && u[i] == 0xe2 && u[i + 1] == 0x81 && u[i + 2] >= 0xa6 &&
		    u[i + 2] <= 0xa9)
			return BLF_ESTRING; /* U+2066-U+2069 */
	}
	return BLF_OK;
}

/* One public key in a store line: a bare base64 key or a full public line. */
static int
parse_key(const char *field, const char *value, uint8_t pk[BLF_PK_LEN], char *err,
	  size_t errlen)
{
	char e[KEYS_ERRLEN];
	int rc;

	rc = key_public_parse(value, pk, NULL, 0, e, sizeof(e));
	if (rc != BLF_OK)
		keys_seterr(err, errlen, "%s: %s", field,
			    strncmp(e, "public key: ", 12) == 0 ? e + 12 : e);
	return rc;
}

static int
set_key(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	uint8_t pk[BLF_PK_LEN];
	size_t i;
	int rc;

	if ((rc = parse_key("key", value, pk, err, errlen)) != BLF_OK)
		return rc;
	if (trust_anchor_is_revoked(a, pk)) {
		keys_seterr(err, errlen, "key: this key is revoked and is never accepted again");
		return BLF_EREVOKED;
	}
	for (i = 0; i < a->nold; i++) {
		if (memcmp(a->old[i].pk, pk, BLF_PK_LEN) == 0) {
			keys_seterr(err, errlen, "key: this key is already an old key of %s",
				    a->name);
			return BLF_EEXIST;
		}
	}
	memcpy(a->pk, pk, BLF_PK_LEN);
	blf_keyid(pk, a->keyid);
	keys_changed();
	return BLF_OK;
}

static int
set_permissions(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	const char *p = value, *t;
	unsigned perms = 0, bit;
	size_t n, i;

	while ((t = token(&p, ",", &n)) != NULL) {
		bit = 0;
		for (i = 0; i < sizeof(perm_names) / sizeof(perm_names[0]); i++)
			if (strlen(perm_names[i].name) == n &&
			    memcmp(perm_names[i].name, t, n) == 0)
				bit = perm_names[i].bit;
		if (bit == 0) {
			keys_seterr(err, errlen, "permissions %.*s: unknown permission (expected "
				    "list, delist, exclude or relay-only)", (int)(n > 32 ? 32 : n), t);
			return BLF_EINVAL;
		}
		if (perms & bit) {
			keys_seterr(err, errlen, "permissions %.*s: given twice", (int)n, t);
			return BLF_EEXIST;
		}
		perms |= bit;
	}
	if (perms == 0) {
		keys_seterr(err, errlen, "permissions: none given");
		return BLF_EINVAL;
	}
	if ((perms & TRUST_RELAY_ONLY) && perms != TRUST_RELAY_ONLY) {
		keys_seterr(err, errlen, "permissions: relay-only cannot be combined with other "
			    "permissions");
		return BLF_EINVAL;
	}
	a->perms = perms;
	return BLF_OK;
}

static int
set_max_prefix(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	const char *p = value, *t4, *t6;
	size_t n4 = 0, n6 = 0, nx;
	uint64_t v4, v6;

	t4 = token(&p, "/", &n4);
	t6 = token(&p, "/", &n6);
	if (t4 == NULL || t6 == NULL || token(&p, "/", &nx) != NULL) {
		keys_seterr(err, errlen, "max-prefix %s: expected two lengths, IPv4 and IPv6 "
			    "(\"24 48\")", value);
		return BLF_EINVAL;
	}
	if (parse_uint(t4, n4, 32, &v4) != BLF_OK) {
		keys_seterr(err, errlen, "max-prefix %s: IPv4 length must be 0 to 32", value);
		return BLF_ERANGE;
	}
	if (parse_uint(t6, n6, 128, &v6) != BLF_OK) {
		keys_seterr(err, errlen, "max-prefix %s: IPv6 length must be 0 to 128", value);
		return BLF_ERANGE;
	}
	a->max4 = (uint8_t)v4;
	a->max6 = (uint8_t)v6;
	return BLF_OK;
}

static int
set_old_key(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	char kbuf[KEYS_B64_LEN + 8];
	const char *p = value, *t;
	uint8_t pk[BLF_PK_LEN];
	uint64_t until;
	size_t n, i;
	int rc;

	if ((t = token(&p, "", &n)) == NULL || n >= sizeof(kbuf)) {
		keys_seterr(err, errlen, "old-key: expected \"BASE64 until TIME\"");
		return n >= sizeof(kbuf) ? BLF_ESIZE : BLF_EINVAL;
	}
	memcpy(kbuf, t, n);
	kbuf[n] = '\0';
	if ((rc = parse_key("old-key", kbuf, pk, err, errlen)) != BLF_OK)
		return rc;
	t = token(&p, "", &n);
	if (t == NULL || n != 5 || memcmp(t, "until", 5) != 0 ||
	    (t = token(&p, "", &n)) == NULL || n >= 32) {
		keys_seterr(err, errlen, "old-key: expected \"BASE64 until TIME\"");
		return BLF_EINVAL;
	}
	memcpy(kbuf, t, n);
	kbuf[n] = '\0';
	if (token(&p, "", &n) != NULL || trust_time_parse(kbuf, &until) != BLF_OK) {
		keys_seterr(err, errlen, "old-key: until %s: expected an RFC 3339 UTC time "
			    "(2027-12-31T00:00:00Z)", kbuf);
		return BLF_EINVAL;
	}
	if (memcmp(pk, a->pk, BLF_PK_LEN) == 0) {
		keys_seterr(err, errlen, "old-key: this is the current key");
		return BLF_EEXIST;
	}
	for (i = 0; i < a->nold; i++) {
		if (memcmp(a->old[i].pk, pk, BLF_PK_LEN) == 0) {
			keys_seterr(err, errlen, "old-key: listed twice");
			return BLF_EEXIST;
		}
	}
	if (trust_anchor_is_revoked(a, pk)) {
		keys_seterr(err, errlen, "old-key: this key is revoked");
		return BLF_EREVOKED;
	}
	if (a->nold == KEYS_MAX_OLD_KEYS) {
		keys_seterr(err, errlen, "old-key: more than %d old keys", KEYS_MAX_OLD_KEYS);
		return BLF_ELIMIT;
	}
	memcpy(a->old[a->nold].pk, pk, BLF_PK_LEN);
	blf_keyid(pk, a->old[a->nold].keyid);
	a->old[a->nold].until = until;
	a->nold++;
	keys_changed();
	return BLF_OK;
}

static int
set_revoked_key(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	uint8_t pk[BLF_PK_LEN];
	size_t i;
	int rc;

	if ((rc = parse_key("revoked-key", value, pk, err, errlen)) != BLF_OK)
		return rc;
	if (trust_anchor_is_revoked(a, pk)) {
		keys_seterr(err, errlen, "revoked-key: listed twice");
		return BLF_EEXIST;
	}
	if (a->nrevoked == KEYS_MAX_REVOKED) {
		keys_seterr(err, errlen, "revoked-key: more than %d revoked keys", KEYS_MAX_REVOKED);
		return BLF_ELIMIT;
	}
	if (keys_revoked_reserve(a, 1) != BLF_OK)
		return BLF_ENOMEM;
	keys_revoked_push(a, pk);
	/* A revoked key is no longer an old key. */
	for (i = 0; i < a->nold; i++) {
		if (memcmp(a->old[i].pk, pk, BLF_PK_LEN) == 0) {
			memmove(&a->old[i], &a->old[i + 1], (a->nold - i - 1) * sizeof(a->old[0]));
			a->nold--;
			break;
		}
	}
	return BLF_OK;
}

/* Append a key to the rollover chain (store line "chain KEY"). */
static int
set_chain(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	uint8_t pk[BLF_PK_LEN];
	uint8_t (*v)[BLF_PK_LEN];
	size_t i;
	int rc;

	if ((rc = parse_key("chain", value, pk, err, errlen)) != BLF_OK)
		return rc;
	if (memcmp(pk, a->pk, BLF_PK_LEN) == 0) {
		keys_seterr(err, errlen, "chain: this is the current key");
		return BLF_EEXIST;
	}
	for (i = 0; i < a->nchain; i++) {
		if (memcmp(a->chain[i], pk, BLF_PK_LEN) == 0) {
			keys_seterr(err, errlen, "chain: listed twice");
			return BLF_EEXIST;
		}
	}
	if (a->nchain == KEYS_MAX_CHAIN) {
		keys_seterr(err, errlen, "chain: more than %d keys", KEYS_MAX_CHAIN);
		return BLF_ELIMIT;
	}
	if ((v = realloc(a->chain, (a->nchain + 1) * sizeof(*v))) == NULL)
		return BLF_ENOMEM;
	a->chain = v;
	memcpy(a->chain[a->nchain++], pk, BLF_PK_LEN);
	keys_changed();
	return BLF_OK;
}

/*
 * Administrator re-key: new current key, chain forgotten; see keys.h.
 */
int
trust_anchor_rekey(trust_anchor *a, const char *value, char *err, size_t errlen)
{
	int rc;

	if ((rc = trust_anchor_set(a, "key", value, err, errlen)) != BLF_OK)
		return rc;
	free(a->chain);
	a->chain = NULL;
	a->nchain = 0;
	keys_changed();
	return BLF_OK;
}

/*
 * Set one field from its text form; see keys.h for the codes.
 */
int
trust_anchor_set(trust_anchor *a, const char *field, const char *value, char *err,
		 size_t errlen)
{
	const char *p = value;
	size_t n, vlen;
	uint64_t v;
	blf_prefix *pl;
	uint8_t id[BLF_KEYID_LEN];
	char *note;
	int rc;

	while (*value == ' ' || *value == '\t')
		value++;
	vlen = strlen(value);
	while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;
	if (trust_text_check(value, vlen) != BLF_OK) {
		keys_seterr(err, errlen, "%s: not UTF-8 text, or control or bidirectional "
			    "characters in the value", field);
		return BLF_ESTRING;
	}
	if (strcmp(field, "note") == 0) {
		if (vlen > KEYS_NOTE_MAX) {
			keys_seterr(err, errlen, "note: longer than %d bytes", KEYS_NOTE_MAX);
			return BLF_ETOOBIG;
		}
		note = NULL;
		if (vlen > 0) {
			if ((note = malloc(vlen + 1)) == NULL)
				return BLF_ENOMEM;
			memcpy(note, value, vlen);
			note[vlen] = '\0';
		}
		free(a->note);
		a->note = note;
		return BLF_OK;
	}
	/* Every other value is short tokens: work on a trimmed copy. */
	{
		char *copy = malloc(vlen + 1);

		if (copy == NULL)
			return BLF_ENOMEM;
		memcpy(copy, value, vlen);
		copy[vlen] = '\0';
		p = copy;
		if (vlen == 0) {
			keys_seterr(err, errlen, "%s: missing value", field);
			rc = BLF_EINVAL;
		} else if (strcmp(field, "key") == 0) {
			rc = set_key(a, p, err, errlen);
		} else if (strcmp(field, "origin") == 0) {
			if (vlen != BLF_KEYID_HEX_LEN ||
			    blf_keyid_parse(p, vlen, id) != BLF_OK) {
				keys_seterr(err, errlen, "origin %s: expected a key id of %d hex "
					    "digits", p, BLF_KEYID_HEX_LEN);
				rc = BLF_EINVAL;
			} else {
				memcpy(a->origin, id, BLF_KEYID_LEN);
				rc = BLF_OK;
			}
		} else if (strcmp(field, "permissions") == 0) {
			rc = set_permissions(a, p, err, errlen);
		} else if (strcmp(field, "scope") == 0 || strcmp(field, "authority") == 0) {
			rc = keys_prefix_list_parse(field, p, &pl, &n, err, errlen);
			if (rc == BLF_OK)
				rc = replace_list(a, field[0] == 'a', pl, n, NULL, err, errlen);
		} else if (strcmp(field, "scope-file") == 0) {
			rc = keys_anchor_set_file(a, 0, p, NULL, err, errlen);
		} else if (strcmp(field, "authority-file") == 0) {
			rc = keys_anchor_set_file(a, 1, p, NULL, err, errlen);
		} else if (strcmp(field, "max-prefix") == 0) {
			rc = set_max_prefix(a, p, err, errlen);
		} else if (strcmp(field, "weight") == 0) {
			rc = parse_uint(p, vlen, KEYS_MAX_WEIGHT, &v);
			if (rc != BLF_OK) {
				keys_seterr(err, errlen, "weight %s: expected a number from 0 to %u",
					    p, KEYS_MAX_WEIGHT);
				rc = rc == BLF_ERANGE ? BLF_ERANGE : BLF_EINVAL;
			} else {
				a->weight = (uint32_t)v;
			}
		} else if (strcmp(field, "expires") == 0) {
			if (strcmp(p, "never") == 0) {
				a->expires = 0;
				rc = BLF_OK;
			} else if ((rc = trust_time_parse(p, &v)) != BLF_OK || v == 0) {
				keys_seterr(err, errlen, "expires %s: expected \"never\" or an RFC 3339 "
					    "UTC time (2027-12-31T00:00:00Z)", p);
				rc = BLF_EINVAL;
			} else {
				a->expires = v;
			}
		} else if (strcmp(field, "rollover") == 0) {
			if (strcmp(p, "accept") == 0 || strcmp(p, "refuse") == 0) {
				a->accept_rollover = p[0] == 'a';
				rc = BLF_OK;
			} else {
				keys_seterr(err, errlen, "rollover %s: expected accept or refuse", p);
				rc = BLF_EINVAL;
			}
		} else if (strcmp(field, "dispute-window") == 0) {
			rc = trust_duration_parse(p, &v);
			if (rc != BLF_OK || v == 0 || v > KEYS_MAX_DISPUTE_WINDOW) {
				keys_seterr(err, errlen, "dispute-window %s: expected a duration from "
					    "1s to 400d (90s, 30m, 12h, 7d)", p);
				rc = BLF_EINVAL;
			} else {
				a->dispute_window = (uint32_t)v;
			}
		} else if (strcmp(field, "old-key") == 0) {
			rc = set_old_key(a, p, err, errlen);
		} else if (strcmp(field, "revoked-key") == 0) {
			rc = set_revoked_key(a, p, err, errlen);
		} else if (strcmp(field, "chain") == 0) {
			rc = set_chain(a, p, err, errlen);
		} else {
			keys_seterr(err, errlen, "unknown field \"%.40s\"", field);
			rc = BLF_EINVAL;
		}
		free(copy);
	}
	return rc;
}
