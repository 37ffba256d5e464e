/*
 * scope.c - prefix sets the size of a country: scopes and authorities.
 *
 * An anchor's scope or authority is a list of up to KEYS_MAX_SCOPE
 * prefixes, kept in the order given (that is what the store writes back),
 * plus an index built once per change: the list sorted, duplicates refused,
 * every prefix that lies inside another dropped, and what remains turned
 * into two arrays of disjoint address intervals, one per family, sorted by
 * start.  "p lies inside one of the prefixes" is then "p's interval lies
 * inside the interval that starts at or before p's first address", one
 * binary search: O(log n), about 14 steps for a country's 12,000 prefixes.
 * Because prefixes nest or are disjoint, dropping the nested ones keeps the
 * answer exactly that of a scan over the whole list.  Building costs one
 * sort, O(n log n); duplicates come out of the same sort.
 *
 * Lists also come from files of prefixes ("scope-file PATH"): one prefix per
 * line, blank lines and '#' comments (whole line or after the prefix)
 * ignored, CR LF accepted - the shape of country lists and of RIR exports
 * reduced to CIDR.  The file must be a regular file of at most
 * KEYS_MAX_PREFIX_FILE bytes; every error names the file and the line.
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

struct iv4 {
	uint32_t lo, hi; /* first and last address */
};

struct iv6 {
	uint64_t lo[2], hi[2]; /* first and last address, high word first */
};

struct trust_pindex {
	struct iv4 *v4;
	size_t n4;
	struct iv6 *v6;
	size_t n6;
};

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t
be64(const uint8_t *b)
{
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

static void
range4(const blf_prefix *p, uint32_t *lo, uint32_t *hi)
{
	*lo = be32(p->addr);
	*hi = p->len == 0 ? UINT32_MAX : p->len >= 32 ? *lo : *lo | (UINT32_MAX >> p->len);
}

static void
range6(const blf_prefix *p, uint64_t lo[2], uint64_t hi[2])
{
	lo[0] = be64(p->addr);
	lo[1] = be64(p->addr + 8);
	hi[0] = lo[0] | (p->len >= 64 ? 0 : (p->len == 0 ? UINT64_MAX : UINT64_MAX >> p->len));
	hi[1] = lo[1] | (p->len >= 128 ? 0 : (p->len <= 64 ? UINT64_MAX
							   : UINT64_MAX >> (p->len - 64)));
}

/* a <= b for 128-bit values */
static int
le128(const uint64_t a[2], const uint64_t b[2])
{
	return a[0] < b[0] || (a[0] == b[0] && a[1] <= b[1]);
}

struct ppos {
	blf_prefix p;
	size_t pos; /* index in the caller's list */
};

static int
pcmp(const void *x, const void *y)
{
	const struct ppos *a = x, *b = y;
	int c = blf_prefix_cmp(&a->p, &b->p);

	return c != 0 ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/*
 * Release an index; NULL is fine.
 */
void
keys_pindex_free(struct trust_pindex *ix)
{
	if (ix == NULL)
		return;
	free(ix->v4);
	free(ix->v6);
	free(ix);
}

/*
 * Build the index of v[0..n).  BLF_EEXIST with "FIELD PREFIX: listed
 * twice" in err for a duplicate, and its later position in v in *dup (may
 * be NULL); BLF_ENOMEM.  *out is NULL for n == 0.
 */
int
keys_pindex_build(const blf_prefix *v, size_t n, const char *field,
		  struct trust_pindex **out, size_t *dup, char *err, size_t errlen)
{
	struct trust_pindex *ix = NULL;
	struct ppos *s = NULL;
	const blf_prefix *last = NULL;
	char buf[BLF_PREFIX_STRLEN];
	size_t i;
	int rc = BLF_ENOMEM;

	*out = NULL;
	if (n == 0)
		return BLF_OK;
	if ((s = malloc(n * sizeof(*s))) == NULL ||
	    (ix = calloc(1, sizeof(*ix))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		s[i].p = v[i];
		s[i].pos = i;
	}
	qsort(s, n, sizeof(*s), pcmp);
	for (i = 1; i < n; i++) {
		if (blf_prefix_cmp(&s[i - 1].p, &s[i].p) == 0) {
			blf_prefix_format(&s[i].p, buf);
			keys_seterr(err, errlen, "%s %s: listed twice", field, buf);
			if (dup != NULL)
				*dup = s[i].pos;
			rc = BLF_EEXIST;
			goto out;
		}
	}
	if ((ix->v4 = malloc(n * sizeof(*ix->v4))) == NULL ||
	    (ix->v6 = malloc(n * sizeof(*ix->v6))) == NULL)
		goto out;
	/* Sorted by start, a containing prefix comes before what it contains,
	 * and the last kept prefix is the only one that can contain the next. */
	for (i = 0; i < n; i++) {
		if (last != NULL && blf_prefix_contains(last, &s[i].p))
			continue;
		last = &s[i].p;
		if (s[i].p.af == BLF_AF_INET) {
			range4(&s[i].p, &ix->v4[ix->n4].lo, &ix->v4[ix->n4].hi);
			ix->n4++;
		} else {
			range6(&s[i].p, ix->v6[ix->n6].lo, ix->v6[ix->n6].hi);
			ix->n6++;
		}
	}
	*out = ix;
	ix = NULL;
	rc = BLF_OK;
out:
	keys_pindex_free(ix);
	free(s);
	return rc;
}

/*
 * Deep copy (NULL copies to NULL).  BLF_OK or BLF_ENOMEM.
 */
int
keys_pindex_copy(const struct trust_pindex *src, struct trust_pindex **dst)
{
	struct trust_pindex *ix;

	*dst = NULL;
	if (src == NULL)
		return BLF_OK;
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return BLF_ENOMEM;
	ix->n4 = src->n4;
	ix->n6 = src->n6;
	ix->v4 = malloc((src->n4 + 1) * sizeof(*ix->v4));
	ix->v6 = malloc((src->n6 + 1) * sizeof(*ix->v6));
	if (ix->v4 == NULL || ix->v6 == NULL) {
		keys_pindex_free(ix);
		return BLF_ENOMEM;
	}
	memcpy(ix->v4, src->v4, src->n4 * sizeof(*ix->v4));
	memcpy(ix->v6, src->v6, src->n6 * sizeof(*ix->v6));
	*dst = ix;
	return BLF_OK;
}

/*
 * Non-zero if p lies inside one of the indexed prefixes.  O(log n).
 */
int
keys_pindex_contains(const struct trust_pindex *ix, const blf_prefix *p)
{
	size_t lo = 0, hi, mid;

	if (ix == NULL)
		return 0;
	if (p->af == BLF_AF_INET) {
		uint32_t s, e;

		range4(p, &s, &e);
		hi = ix->n4;
		/* first interval starting after s */
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (ix->v4[mid].lo <= s)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && e <= ix->v4[lo - 1].hi;
	} else {
		uint64_t s[2], e[2];

		range6(p, s, e);
		hi = ix->n6;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (le128(ix->v6[mid].lo, s))
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && le128(e, ix->v6[lo - 1].hi);
	}
}

/* Append one prefix to a growing list. */
static int
push(blf_prefix **v, size_t *n, size_t *cap, const blf_prefix *p)
{
	if (*n == *cap) {
		size_t ncap = *cap == 0 ? 64 : *cap * 2;
		blf_prefix *nv = realloc(*v, ncap * sizeof(**v));

		if (nv == NULL)
			return BLF_ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *p;
	return BLF_OK;
}

/*
 * Parse a prefix file's text; see keys.h (trust_prefixes_parse).
 */
int
trust_prefixes_parse(const char *text, size_t len, const char *name, blf_prefix **out,
		     size_t *nout, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *eol, *s, *e;
	blf_prefix *v = NULL, pf;
	size_t n = 0, cap = 0, i;
	unsigned lineno = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	while (p < end) {
		lineno++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		s = p;
		p = eol < end ? eol + 1 : end;
		e = eol;
		for (i = 0; s + i < e; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '#')
				break;
			if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
				keys_seterr(err, errlen, "%s:%u: control character in line", name,
					    lineno);
				rc = BLF_ESTRING;
				goto fail;
			}
		}
		e = s + i;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e)
			continue;
		if ((rc = blf_prefix_parse(s, (size_t)(e - s), 0, &pf)) != BLF_OK) {
			char shown[65];
			size_t k;

			/* a prefix is ASCII: show anything else as '?', so that
			 * no byte of the file reaches a terminal or a log raw */
			for (k = 0; k < 64 && s + k < e; k++)
				shown[k] = (s[k] >= 0x20 && s[k] < 0x7f) ? s[k] : '?';
			shown[k] = '\0';
			keys_seterr(err, errlen, "%s:%u: %s: %s", name, lineno, shown,
				    blf_strerror(rc));
			goto fail;
		}
		if (n == KEYS_MAX_SCOPE) {
			keys_seterr(err, errlen, "%s:%u: more than %d prefixes", name, lineno,
				    KEYS_MAX_SCOPE);
			rc = BLF_ELIMIT;
			goto fail;
		}
		if ((rc = push(&v, &n, &cap, &pf)) != BLF_OK)
			goto fail;
	}
	*out = v;
	*nout = n;
	return BLF_OK;
fail:
	free(v);
	return rc;
}

/*
 * Read and parse a prefix file; see keys_int.h.
 */
int
keys_prefixes_load(const char *path, blf_prefix **out, size_t *nout, char *err,
		   size_t errlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = BLF_EIO;

	*out = NULL;
	*nout = 0;
	/* O_NONBLOCK: a FIFO named by a hostile store must not hang the open */
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		keys_seterr(err, errlen, "%s: not a regular file", path);
		rc = BLF_EINVAL;
		goto out;
	}
	if (sb.st_size > (off_t)KEYS_MAX_PREFIX_FILE) {
		keys_seterr(err, errlen, "%s: larger than %u bytes", path,
			    (unsigned)KEYS_MAX_PREFIX_FILE);
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
	if (memchr(buf, '\0', len) != NULL) {
		keys_seterr(err, errlen, "%s: NUL byte; not a prefix file", path);
		rc = BLF_ESTRING;
		goto out;
	}
	rc = trust_prefixes_parse(buf, len, path, out, nout, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}
