/*
 * manifest.c - the MANIFEST of an export directory and its signature
 * (SPEC "Export manifest", blfed-export.5).
 *
 * The MANIFEST is text that `sha256sum -c` checks as it is (coreutils
 * skips lines starting with "#", also under --strict):
 *
 *     # blfed export manifest 1
 *     # serial 1767225600
 *     # time 2026-01-01T00:00:00Z
 *     # agent 9ddb0fadcb321f24710d6d97b69ed89d
 *     # file plain-ip4.s00 1234 5f0c... 1767225600123456789
 *                          (name, size, shard key, mtime in nanoseconds)
 *     e3b0c442...  plain-ip4.s00                  (SHA-256, two spaces, name)
 *
 * Files are sorted by name, each a plain name in the directory.  The shard
 * key ("-" for files rewritten by every export) and the mtime let the next
 * export keep an unchanged shard (a consumer's copy has its own mtimes:
 * only size and SHA-256 are checked there).  MANIFEST.sig is one line
 *
 *     blfed-manifest-sig 1 <agent key id> <Ed25519 signature, hex>
 *
 * over "BLFED-MANIFEST" 0x00 || the MANIFEST bytes.  The parser is strict
 * (it also reads what rsync brought from elsewhere): exact header lines,
 * known line forms only, names checked, sorted without duplicates, at most
 * EXPORT_MAX_FILES files, EXPORT_MAX_MANIFEST bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_int.h"

#define MAN_MAGIC "# blfed export manifest 1"
#define SIG_MAGIC "blfed-manifest-sig 1 "
#define HASH_CHUNK (256u * 1024u)

/* Signing input: tag, NUL, bytes.  Built in pieces with the multi-part API
 * would change the algorithm (Ed25519ph); build it in one buffer instead. */
void
export_manifest_sign(const uint8_t sk[BLF_SK_LEN], const uint8_t *m, size_t len,
		     uint8_t sig[BLF_SIG_LEN])
{
	size_t tl = sizeof(EXPORT_SIG_TAG); /* includes the NUL */
	uint8_t *in = malloc(tl + len);

	if (in == NULL) {
		memset(sig, 0, BLF_SIG_LEN); /* never verifies */
		return;
	}
	memcpy(in, EXPORT_SIG_TAG, tl);
	if (len > 0)
		memcpy(in + tl, m, len);
	crypto_sign_detached(sig, NULL, in, tl + len, sk);
	free(in);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
}

static int
unhex(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

/* The MANIFEST.sig line (with its newline) into buf; returns its length. */
size_t
export_manifest_sig_format(const uint8_t keyid[BLF_KEYID_LEN], const uint8_t sig[BLF_SIG_LEN],
			   char *buf)
{
	size_t o = sizeof(SIG_MAGIC) - 1;

	memcpy(buf, SIG_MAGIC, o);
	hex(keyid, BLF_KEYID_LEN, buf + o);
	o += 2 * BLF_KEYID_LEN;
	buf[o++] = ' ';
	hex(sig, BLF_SIG_LEN, buf + o);
	o += 2 * BLF_SIG_LEN;
	buf[o++] = '\n';
	buf[o] = '\0';
	return o;
}

/* Verify manifest bytes against a MANIFEST.sig text and the agent key. */
int
export_manifest_verify(const uint8_t pk[BLF_PK_LEN], const uint8_t *m, size_t len,
		       const char *sigtext, size_t siglen)
{
	size_t ml = sizeof(SIG_MAGIC) - 1, tl = sizeof(EXPORT_SIG_TAG);
	uint8_t keyid[BLF_KEYID_LEN], want[BLF_KEYID_LEN], sig[BLF_SIG_LEN], *in;
	int ok;

	if (siglen != EXPORT_SIG_LINE_LEN || memcmp(sigtext, SIG_MAGIC, ml) != 0 ||
	    unhex(sigtext + ml, BLF_KEYID_LEN, keyid) != 0 ||
	    sigtext[ml + 2 * BLF_KEYID_LEN] != ' ' ||
	    unhex(sigtext + ml + 2 * BLF_KEYID_LEN + 1, BLF_SIG_LEN, sig) != 0 ||
	    sigtext[siglen - 1] != '\n')
		return BLF_EINVAL;
	blf_keyid(pk, want);
	if (memcmp(keyid, want, BLF_KEYID_LEN) != 0)
		return BLF_EBADSIG;
	if ((in = malloc(tl + len)) == NULL)
		return BLF_ENOMEM;
	memcpy(in, EXPORT_SIG_TAG, tl);
	if (len > 0)
		memcpy(in + tl, m, len);
	ok = crypto_sign_verify_detached(sig, in, tl + len, pk) == 0;
	free(in);
	return ok ? BLF_OK : BLF_EBADSIG;
}

/* Names a MANIFEST may list. */
/* Non-zero if name may appear in a MANIFEST (export_int.h). */
int
export_name_ok(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > FIO_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	if ((n == 8 && memcmp(name, "MANIFEST", 8) == 0) ||
	    (n == 12 && memcmp(name, "MANIFEST.sig", 12) == 0))
		return 0;
	return 1;
}

/* Release the file array of a parsed or built manifest (NULL-safe). */
void
export_man_free(xman *m)
{
	if (m == NULL)
		return;
	free(m->files);
	m->files = NULL;
	m->nfiles = 0;
}

static int
bad(char *err, size_t errlen, size_t line, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, dgettext("blfed", "MANIFEST line %zu: %s"), line,
			 dgettext("blfed", why)); /* the agent's catalogs (agent/po) */
	return BLF_ECORRUPT;
}

/* Parse a decimal without leading zeros (up to 19 digits). */
static int
dec(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

/*
 * Parse MANIFEST text.  On success m holds malloc'd files (export_man_free); on
 * BLF_ECORRUPT (or BLF_ENOMEM) m is empty and err names the line.
 */
int
export_man_parse(const char *text, size_t len, xman *m, char *err, size_t errlen)
{
	size_t pos = 0, line = 0, cap = 0;
	int rc = BLF_ECORRUPT, want_sum = 0;
	char tbuf[X_TIME_LEN + 1];

	memset(m, 0, sizeof(*m));
	if (len > EXPORT_MAX_MANIFEST) {
		rc = bad(err, errlen, 0, "too large");
		goto out;
	}
	while (pos < len) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t n;

		line++;
		if (nl == NULL) {
			rc = bad(err, errlen, line, "no newline at the end");
			goto out;
		}
		n = (size_t)(nl - l);
		pos += n + 1;
		if (line == 1) {
			if (n != sizeof(MAN_MAGIC) - 1 || memcmp(l, MAN_MAGIC, n) != 0) {
				rc = bad(err, errlen, line, "not a blfed export manifest");
				goto out;
			}
		} else if (line == 2) {
			if (n < 10 || memcmp(l, "# serial ", 9) != 0 ||
			    dec(l + 9, n - 9, &m->serial) != 0) {
				rc = bad(err, errlen, line, "expected \"# serial N\"");
				goto out;
			}
		} else if (line == 3) {
			if (n != 7 + X_TIME_LEN || memcmp(l, "# time ", 7) != 0) {
				rc = bad(err, errlen, line, "expected \"# time YYYY-MM-DDTHH:MM:SSZ\"");
				goto out;
			}
			memcpy(tbuf, l + 7, X_TIME_LEN);
			tbuf[X_TIME_LEN] = '\0';
			/* exactly the one spelling export_time_str writes (no bare date,
			 * no byte after a NUL) */
			if (trust_time_parse(tbuf, &m->time) != BLF_OK ||
			    (export_time_str(m->time, tbuf), memcmp(tbuf, l + 7, X_TIME_LEN) != 0)) {
				rc = bad(err, errlen, line, "bad time");
				goto out;
			}
		} else if (line == 4) {
			if (n != 8 + BLF_KEYID_HEX_LEN || memcmp(l, "# agent ", 8) != 0 ||
			    unhex(l + 8, BLF_KEYID_LEN, m->agent) != 0) {
				rc = bad(err, errlen, line, "expected \"# agent KEYID\"");
				goto out;
			}
		} else if (!want_sum) {
			/* "# file NAME SIZE KEY MTIME" */
			const char *fld[4], *end = l + n, *p = l + 7;
			size_t fl[4], k;
			xman_file *f;

			if (n < 7 || memcmp(l, "# file ", 7) != 0) {
				rc = bad(err, errlen, line, "expected \"# file NAME SIZE KEY MTIME\"");
				goto out;
			}
			for (k = 0; k < 4; k++) {
				const char *sp = memchr(p, ' ', (size_t)(end - p));

				fld[k] = p;
				fl[k] = (size_t)((sp != NULL ? sp : end) - p);
				if ((sp == NULL) != (k == 3)) {
					rc = bad(err, errlen, line,
						 "expected \"# file NAME SIZE KEY MTIME\"");
					goto out;
				}
				p = sp != NULL ? sp + 1 : end;
			}
			if (m->nfiles == EXPORT_MAX_FILES) {
				rc = bad(err, errlen, line, "too many files");
				goto out;
			}
			if (m->nfiles == cap) {
				size_t nc = cap ? cap * 2 : 64;
				xman_file *nf = realloc(m->files, nc * sizeof(*nf));

				if (nf == NULL) {
					rc = BLF_ENOMEM;
					goto out;
				}
				m->files = nf;
				cap = nc;
			}
			f = &m->files[m->nfiles];
			memset(f, 0, sizeof(*f));
			if (!export_name_ok(fld[0], fl[0])) {
				rc = bad(err, errlen, line, "bad file name");
				goto out;
			}
			memcpy(f->name, fld[0], fl[0]);
			if (dec(fld[1], fl[1], &f->size) != 0 || dec(fld[3], fl[3], &f->mtime) != 0) {
				rc = bad(err, errlen, line, "bad size or mtime");
				goto out;
			}
			if (fl[2] == 1 && fld[2][0] == '-') {
				strcpy(f->key, "-");
			} else {
				uint8_t kb[X_KEY_HEX / 2];

				if (fl[2] != X_KEY_HEX || unhex(fld[2], X_KEY_HEX / 2, kb) != 0) {
					rc = bad(err, errlen, line, "bad shard key");
					goto out;
				}
				memcpy(f->key, fld[2], X_KEY_HEX);
			}
			if (m->nfiles > 0 && strcmp(m->files[m->nfiles - 1].name, f->name) >= 0) {
				rc = bad(err, errlen, line, "files not sorted, or listed twice");
				goto out;
			}
			want_sum = 1;
		} else {
			/* "HEX64  NAME" for the file just announced */
			xman_file *f = &m->files[m->nfiles];
			size_t nl2 = strlen(f->name);

			if (n != 64 + 2 + nl2 || l[64] != ' ' || l[65] != ' ' ||
			    unhex(l, 32, f->sha) != 0 || memcmp(l + 66, f->name, nl2) != 0) {
				rc = bad(err, errlen, line, "expected \"SHA256  NAME\" of the file above");
				goto out;
			}
			m->nfiles++;
			want_sum = 0;
		}
	}
	if (line < 4 || want_sum) {
		rc = bad(err, errlen, line, "truncated");
		goto out;
	}
	rc = BLF_OK;
out:
	if (rc != BLF_OK)
		export_man_free(m);
	return rc;
}

/* Format a manifest (files sorted by the caller); *out malloc'd. */
int
export_man_format(const xman *m, char **out, size_t *outlen)
{
	size_t cap = 128 + m->nfiles * (2 * FIO_NAME_MAX + 140), o = 0, i;
	char *b = malloc(cap), t[X_TIME_LEN + 1], k[BLF_KEYID_HEX_LEN + 1];

	if (b == NULL)
		return BLF_ENOMEM;
	export_time_str(m->time, t);
	hex(m->agent, BLF_KEYID_LEN, k);
	k[BLF_KEYID_HEX_LEN] = '\0';
	o += (size_t)snprintf(b + o, cap - o, "%s\n# serial %llu\n# time %s\n# agent %s\n",
			      MAN_MAGIC, (unsigned long long)m->serial, t, k);
	for (i = 0; i < m->nfiles; i++) {
		const xman_file *f = &m->files[i];
		char h[65];

		hex(f->sha, 32, h);
		h[64] = '\0';
		o += (size_t)snprintf(b + o, cap - o, "# file %s %llu %s %llu\n%s  %s\n", f->name,
				      (unsigned long long)f->size, f->key,
				      (unsigned long long)f->mtime, h, f->name);
	}
	*out = b;
	*outlen = o;
	return BLF_OK;
}

/* Read a whole file at name in dfd, at most max bytes; malloc'd. */
static int
read_at(int dfd, const char *name, size_t max, char **buf, size_t *len)
{
	int fd = fio_openat(dfd, name, O_RDONLY, 0), rc = -1;
	struct stat sb;
	char *b = NULL;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0)
		goto out;
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL)
		goto out;
	if (fio_read_full(fd, b, (size_t)sb.st_size) != 0)
		goto out;
	b[sb.st_size] = '\0';
	*buf = b;
	*len = (size_t)sb.st_size;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

/* See export_int.h. */
int
export_gen_name(const char *name, uint64_t *serial)
{
	size_t n = strlen(name), i;
	uint64_t v = 0;

	if (n <= sizeof(X_GEN_PREFIX) - 1 || n > X_GEN_NAME_MAX ||
	    strncmp(name, X_GEN_PREFIX, sizeof(X_GEN_PREFIX) - 1) != 0)
		return 0;
	i = sizeof(X_GEN_PREFIX) - 1;
	if (name[i] == '0')
		return 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)(name[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*serial = v;
	return 1;
}

/* See export_int.h. */
int
export_current_read(int dfd, char name[X_GEN_NAME_MAX + 1], uint64_t *serial)
{
	char buf[FIO_NAME_MAX + 1];

	if (fio_readlinkat(dfd, X_CURRENT, buf, sizeof(buf)) != 0) {
		if (errno == ENAMETOOLONG)
			errno = EINVAL;
		return -1;
	}
	if (!export_gen_name(buf, serial)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(name, buf, strlen(buf) + 1);
	return 0;
}

/* Read and parse the MANIFEST in dfd. */
int
export_manifest_load(int dfd, xman *m, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	if (read_at(dfd, "MANIFEST", EXPORT_MAX_MANIFEST, &text, &len) != 0)
		return errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
	rc = export_man_parse(text, len, m, err, errlen);
	free(text);
	return rc;
}

/* SHA-256 and size of the regular file name in dfd (no symlink). */
static int
hash_file(int dfd, const char *name, uint8_t sha[32], uint64_t *size)
{
	xsha st;
	unsigned char *buf = malloc(HASH_CHUNK);
	int fd = -1, rc = -1;
	struct stat sb;
	size_t got;

	st.len = 0;
	st.ctx = NULL;
	if (buf == NULL)
		return -1;
	if ((fd = fio_openat(dfd, name, O_RDONLY, 0)) < 0)
		goto out;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (export_sha_init(&st) != 0)
		goto out;
	*size = 0;
	do {
		if (fio_read_upto(fd, buf, HASH_CHUNK, &got) != 0)
			goto out;
		export_sha_update(&st, buf, got);
		*size += got;
	} while (got == HASH_CHUNK);
	export_sha_final(&st, sha);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	export_sha_free(&st);
	free(buf);
	return rc;
}

/*
 * Check an export directory (see export.h): the signature first, then the
 * MANIFEST's form, then every file; all bad files are counted, the first
 * is named in err.
 */
int
export_verify(const char *dir, const uint8_t pk[BLF_PK_LEN], export_verify_result *res,
	      char *err, size_t errlen)
{
	export_verify_result r;
	char *mtext = NULL, *stext = NULL, gen[X_GEN_NAME_MAX + 1];
	size_t mlen = 0, slen = 0, i;
	uint64_t gserial;
	int dfd, rc = BLF_EIO;
	xman m;

	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	/* the export directory itself: its published generation */
	if (export_current_read(dfd, gen, &gserial) == 0) {
		int g = fio_openat(dfd, gen, O_RDONLY | O_DIRECTORY, 0);

		if (g < 0) {
			snprintf(err, errlen, "%s/%s: %s", dir, gen, strerror(errno));
			rc = errno == ENOENT ? BLF_ECORRUPT : BLF_EIO;
			goto out;
		}
		close(dfd);
		dfd = g;
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s/" X_CURRENT ": %s", dir,
			 errno == EINVAL ? "not a symlink to a generation directory"
					 : strerror(errno));
		rc = errno == EINVAL ? BLF_ECORRUPT : BLF_EIO;
		goto out;
	}
	if (read_at(dfd, "MANIFEST", EXPORT_MAX_MANIFEST, &mtext, &mlen) != 0) {
		snprintf(err, errlen, "%s/MANIFEST: %s", dir, strerror(errno));
		rc = errno == ENOENT ? BLF_EBADSIG : BLF_EIO;
		goto out;
	}
	if (read_at(dfd, "MANIFEST.sig", 4096, &stext, &slen) != 0) {
		snprintf(err, errlen, "%s/MANIFEST.sig: %s", dir, strerror(errno));
		rc = errno == ENOENT || errno == EFBIG ? BLF_EBADSIG : BLF_EIO;
		goto out;
	}
	rc = export_manifest_verify(pk, (const uint8_t *)mtext, mlen, stext, slen);
	if (rc != BLF_OK) {
		snprintf(err, errlen, "MANIFEST.sig: %s",
			 rc == BLF_EINVAL ? dgettext("blfed", "malformed signature file")
					  : dgettext("blfed", "signature does not verify with this key"));
		rc = rc == BLF_ENOMEM ? BLF_ENOMEM : BLF_EBADSIG;
		goto out;
	}
	if ((rc = export_man_parse(mtext, mlen, &m, err, errlen)) != BLF_OK)
		goto out;
	r.serial = m.serial;
	r.time = m.time;
	r.nfiles = m.nfiles;
	for (i = 0; i < m.nfiles; i++) {
		uint8_t sha[32];
		uint64_t size = 0;
		const char *why = NULL;

		if (hash_file(dfd, m.files[i].name, sha, &size) != 0)
			why = strerror(errno);
		else if (size != m.files[i].size)
			why = dgettext("blfed", "size differs");
		else if (sodium_memcmp(sha, m.files[i].sha, 32) != 0)
			why = dgettext("blfed", "SHA-256 differs");
		if (why != NULL) {
			if (r.nbad++ == 0)
				snprintf(err, errlen, "%s: %s", m.files[i].name, why);
		}
	}
	rc = r.nbad == 0 ? BLF_OK : BLF_ECORRUPT;
out:
	if (dfd >= 0)
		close(dfd);
	free(mtext);
	free(stext);
	export_man_free(&m);
	if (res != NULL)
		*res = r;
	return rc;
}
