/*
 * keyfile.c - Ed25519 key pairs, secret key files and the public key line.
 *
 * A secret key lives in one sodium_malloc() block (guard pages, wiped by
 * sodium_free) and is built from a 32-byte seed with
 * crypto_sign_seed_keypair().  The file holds the seed, never the expanded
 * key, as one text line:
 *
 *     # blfed secret key - keep private
 *     blfed-ed25519-secret <keyid-hex> <base64 seed> [comment...]
 *     origin <keyid-hex>            (only after a rotation)
 *
 * It is created 0600 with O_CREAT|O_EXCL and fsynced; a file that group or
 * others may access, or that belongs to another user, or that lies in a
 * directory others may write is refused, with the reason and the fix
 * (keys_file_check, the rule the trust store and the daemon's config file
 * share with lesser demands).  The
 * file is read into guarded memory, and every buffer that held secret bytes
 * is wiped with sodium_memzero before it is released.  Error messages never
 * quote a secret key file's content.
 *
 * The public line (keys.h) is "blfed-ed25519 <keyid-hex> <base64> comment":
 * standard base64 with padding, exactly 44 characters for 32 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fileio.h"
#include "keys.h"
#include "keys_int.h"

#define PUB_TAG "blfed-ed25519"
#define SEC_TAG "blfed-ed25519-secret"
#define SEC_HEADER "# blfed secret key - keep private\n"
#define MAX_PUBLIC_FILE 65536 /* a public key file is one line; allow comments */

void
keys_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A comment is text by the text rule (trust_text_check) of bounded length. */
static int
comment_ok(const char *c, size_t n)
{
	return n <= KEYS_COMMENT_MAX && trust_text_check(c, n) == BLF_OK;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Next blank-separated token of [*p, end): sets *tok and its length. */
static size_t
next_token(const char **p, const char *end, const char **tok)
{
	const char *s = *p;
	const char *t;

	while (s < end && is_blank(*s))
		s++;
	t = s;
	while (s < end && !is_blank(*s))
		s++;
	*tok = t;
	*p = s;
	return (size_t)(s - t);
}

/* Decode standard base64 (with padding) that must hold exactly 32 bytes. */
static int
b64_key_decode(const char *tok, size_t n, uint8_t out[32], const char *what, char *err,
	       size_t errlen)
{
	uint8_t tmp[66];
	size_t binlen = 0;
	const char *end = NULL;
	int rc = BLF_OK;

	if (n > 88) {
		keys_seterr(err, errlen, "%s: wrong length (%zu base64 characters, expected %d "
			    "for a 32-byte key)", what, n, KEYS_B64_LEN);
		return BLF_ESIZE;
	}
	if (sodium_base642bin(tmp, sizeof(tmp), tok, n, NULL, &binlen, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || end != tok + n) {
		keys_seterr(err, errlen, "%s: not valid base64", what);
		rc = BLF_EINVAL;
	} else if (binlen != 32) {
		keys_seterr(err, errlen, "%s: wrong length (%zu bytes, expected 32)", what, binlen);
		rc = BLF_ESIZE;
	} else {
		memcpy(out, tmp, 32);
	}
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

static void
b64_key_encode(const uint8_t in[32], char out[KEYS_B64_LEN + 1])
{
	sodium_bin2base64(out, KEYS_B64_LEN + 1, in, 32, sodium_base64_VARIANT_ORIGINAL);
}

/*
 * Build a key pair from seed in guarded memory.  The caller wipes seed.
 */
int
key_secret_from_seed(const uint8_t seed[BLF_SEED_LEN], const char *comment,
		     key_secret **out)
{
	key_secret *k;
	size_t clen = comment != NULL ? strlen(comment) : 0;

	*out = NULL;
	if (!comment_ok(comment != NULL ? comment : "", clen))
		return BLF_ESTRING;
	if (blf_init() != BLF_OK)
		return BLF_ENOMEM;
	if ((k = sodium_malloc(sizeof(*k))) == NULL)
		return BLF_ENOMEM;
	memset(k, 0, sizeof(*k));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	blf_keyid(k->pk, k->keyid);
	memcpy(k->origin, k->keyid, BLF_KEYID_LEN);
	if (clen > 0)
		memcpy(k->comment, comment, clen);
	*out = k;
	return BLF_OK;
}

/*
 * Generate a fresh key pair from the system random generator.
 */
int
key_secret_generate(const char *comment, key_secret **out)
{
	uint8_t seed[BLF_SEED_LEN];
	int rc;

	*out = NULL;
	if (blf_init() != BLF_OK)
		return BLF_ENOMEM;
	randombytes_buf(seed, sizeof(seed));
	rc = key_secret_from_seed(seed, comment, out);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/*
 * Wipe and release a secret key; sodium_free zeroes the whole block.
 */
void
key_secret_free(key_secret *k)
{
	if (k == NULL)
		return;
	sodium_memzero(k, sizeof(*k));
	sodium_free(k);
}

/* Whose files keys_file_check accepts besides root; (uid_t)-1: the
 * effective user's (keys_set_owner). */
static uid_t owner = (uid_t)-1;

/* See keys.h. */
void
keys_set_owner(uid_t uid)
{
	owner = uid;
}

/* "us" of the rule: the user set by keys_set_owner, or the effective one. */
static uid_t
us(void)
{
	return owner != (uid_t)-1 ? owner : geteuid();
}

/*
 * The directories above path: the one holding it is owned by us or root
 * and writable by nobody else (by group or others only if sticky, as /tmp,
 * when strict is 0); each directory above it is owned by us or root and,
 * if others may write it, sticky, so that nobody else can rename the way
 * to the file.  what names the file in messages ("key file").  Returns
 * BLF_OK, or BLF_EPOLICY / BLF_EIO with the reason in err.
 */
static int
dir_check(const char *path, const char *what, int strict, char *err, size_t errlen)
{
	char *dir = NULL, *slash;
	struct stat sb;
	uid_t me = us();
	int first = strict, rc = BLF_EPOLICY;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = realpath(".", NULL);
	else if (slash == path)
		dir = realpath("/", NULL);
	else {
		char *d = strndup(path, (size_t)(slash - path));

		dir = d != NULL ? realpath(d, NULL) : NULL;
		free(d);
	}
	if (dir == NULL) {
		keys_seterr(err, errlen, "%s %s: its directory: %s", what, path, strerror(errno));
		return BLF_EIO;
	}
	for (;;) {
		if (stat(dir, &sb) != 0) {
			keys_seterr(err, errlen, "%s %s: %s: %s", what, path, dir, strerror(errno));
			rc = BLF_EIO;
			goto out;
		}
		if (sb.st_uid != me && sb.st_uid != 0) {
			keys_seterr(err, errlen, "%s %s: directory %s belongs to uid %u, not to "
				    "us (uid %u) or root", what, path, dir, (unsigned)sb.st_uid,
				    (unsigned)me);
			goto out;
		}
		if ((sb.st_mode & 022) != 0 && (first || (sb.st_mode & S_ISVTX) == 0)) {
			keys_seterr(err, errlen, "%s %s: directory %s is writable by group or "
				    "others (mode %04o); chmod go-w %s", what, path, dir,
				    (unsigned)(sb.st_mode & 07777), dir);
			goto out;
		}
		if (strcmp(dir, "/") == 0)
			break;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		first = 0;
	}
	rc = BLF_OK;
out:
	free(dir);
	return rc;
}

/* The secret key rule for a directory: dir_check, strict. */
static int
key_dir_check(const char *path, char *err, size_t errlen)
{
	return dir_check(path, "key file", 1, err, errlen);
}

/*
 * The one rule for the files that decide what blfed trusts; see keys.h.
 */
int
keys_file_check(int fd, const char *path, const char *what, int secret, char *err,
		size_t errlen)
{
	struct stat sb;
	uid_t me = us();

	if (fstat(fd, &sb) != 0) {
		keys_seterr(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return BLF_EIO;
	}
	if (!S_ISREG(sb.st_mode)) {
		keys_seterr(err, errlen, "%s %s is not a regular file", what, path);
		return BLF_EPOLICY;
	}
	if (secret && (sb.st_mode & 077) != 0) {
		keys_seterr(err, errlen, "%s %s is %s by group or others (mode %04o); "
			    "chmod 600 it", what, path,
			    (sb.st_mode & 044) != 0 ? "readable" : "accessible",
			    (unsigned)(sb.st_mode & 07777));
		return BLF_EPOLICY;
	}
	if (!secret && (sb.st_mode & 022) != 0) {
		keys_seterr(err, errlen, "%s %s is writable by group or others (mode %04o); "
			    "chmod go-w %s", what, path, (unsigned)(sb.st_mode & 07777), path);
		return BLF_EPOLICY;
	}
	if (sb.st_uid != me && (secret || sb.st_uid != 0)) {
		keys_seterr(err, errlen, "%s %s belongs to uid %u, not to us (uid %u)%s", what,
			    path, (unsigned)sb.st_uid, (unsigned)me,
			    secret ? "; a secret key is used only by its owner" : " or root");
		return BLF_EPOLICY;
	}
	return dir_check(path, what, secret, err, errlen);
}

/* The directory part of path ("." for a bare name) into dir (cap bytes);
 * -1 if it does not fit. */
static int
parent_dir(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(dir, cap, ".") < (int)cap ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/*
 * Write k's seed to a new file at path (0600, O_EXCL, fsynced).  The text
 * is assembled in guarded memory and wiped.  A partly written file is
 * removed.
 */
int
key_secret_save(const key_secret *k, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	char b64[KEYS_B64_LEN + 1];
	char hex[BLF_KEYID_HEX_LEN + 1];
	char ohex[BLF_KEYID_HEX_LEN + 1];
	char dir[4096];
	size_t cap = KEYS_MAX_SECRET_FILE;
	int n, fd = -1, rc = BLF_EIO;

	if ((text = sodium_malloc(cap)) == NULL) {
		rc = BLF_ENOMEM;
		goto out;
	}
	b64_key_encode(k->sk, b64); /* the first 32 bytes of sk are the seed */
	blf_keyid_hex(k->keyid, hex);
	n = snprintf(text, cap, SEC_HEADER SEC_TAG " %s %s%s%s\n", hex, b64,
		     k->comment[0] != '\0' ? " " : "", k->comment);
	sodium_memzero(b64, sizeof(b64));
	if (memcmp(k->origin, k->keyid, BLF_KEYID_LEN) != 0 && n > 0 && (size_t)n < cap) {
		blf_keyid_hex(k->origin, ohex);
		n += snprintf(text + n, cap - (size_t)n, "origin %s\n", ohex);
	}
	if (n < 0 || (size_t)n >= cap) {
		keys_seterr(err, errlen, "key file %s: key text too long", path);
		rc = BLF_ETOOBIG;
		goto out;
	}
	if ((rc = key_dir_check(path, err, errlen)) != BLF_OK)
		goto out;
	rc = BLF_EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			keys_seterr(err, errlen, "key file %s already exists; not overwriting it", path);
			rc = BLF_EEXIST;
		} else {
			keys_seterr(err, errlen, "key file %s: %s", path, strerror(errno));
		}
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || fio_write_full(fd, text, (size_t)n) != 0 ||
	    fio_fsync(fd) != 0) {
		keys_seterr(err, errlen, "key file %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		unlink(path);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		keys_seterr(err, errlen, "key file %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	fd = -1;
	if (parent_dir(path, dir, sizeof(dir)) == 0)
		(void)fio_fsync_dir(dir);
	rc = BLF_OK;
out:
	if (text != NULL) {
		sodium_memzero(text, cap);
		sodium_free(text);
	}
	return rc;
}

/* Parse the secret file text (NUL-terminated, in guarded memory). */
static int
secret_parse(const char *path, const char *text, size_t len, key_secret **out, char *err,
	     size_t errlen)
{
	const char *p = text, *end = text + len;
	const char *line, *eol, *tok, *q;
	uint8_t seed[BLF_SEED_LEN];
	uint8_t fileid[BLF_KEYID_LEN];
	uint8_t origin[BLF_KEYID_LEN];
	int have_key = 0, have_origin = 0, rc = BLF_EINVAL;
	unsigned lineno = 0;
	size_t n;
	key_secret *k = NULL;
	char what[64];

	*out = NULL;
	while (p < end) {
		line = p;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		p = eol < end ? eol + 1 : end;
		lineno++;
		if (eol > line && eol[-1] == '\r')
			eol--;
		q = line;
		while (q < eol && is_blank(*q))
			q++;
		if (q == eol || *q == '#')
			continue;
		n = next_token(&q, eol, &tok);
		if (n == strlen(SEC_TAG) && memcmp(tok, SEC_TAG, n) == 0 && !have_key) {
			n = next_token(&q, eol, &tok);
			if (blf_keyid_parse(tok, n, fileid) != BLF_OK) {
				keys_seterr(err, errlen, "key file %s:%u: bad key id", path, lineno);
				goto out;
			}
			n = next_token(&q, eol, &tok);
			snprintf(what, sizeof(what), "seed");
			if ((rc = b64_key_decode(tok, n, seed, what, NULL, 0)) != BLF_OK) {
				keys_seterr(err, errlen, "key file %s:%u: secret key is malformed",
					    path, lineno);
				goto out;
			}
			while (q < eol && is_blank(*q))
				q++;
			while (eol > q && is_blank(eol[-1]))
				eol--;
			if (!comment_ok(q, (size_t)(eol - q))) {
				keys_seterr(err, errlen, "key file %s:%u: bad comment", path, lineno);
				rc = BLF_ESTRING;
				goto out;
			}
			rc = key_secret_from_seed(seed, "", &k);
			if (rc != BLF_OK)
				goto out;
			memcpy(k->comment, q, (size_t)(eol - q));
			k->comment[eol - q] = '\0';
			have_key = 1;
		} else if (n == 6 && memcmp(tok, "origin", 6) == 0 && !have_origin) {
			n = next_token(&q, eol, &tok);
			if (blf_keyid_parse(tok, n, origin) != BLF_OK ||
			    next_token(&q, eol, &tok) != 0) {
				keys_seterr(err, errlen, "key file %s:%u: bad origin", path, lineno);
				rc = BLF_EINVAL;
				goto out;
			}
			have_origin = 1;
		} else {
			keys_seterr(err, errlen, "key file %s:%u: not a blfed secret key line", path,
				    lineno);
			rc = BLF_EINVAL;
			goto out;
		}
	}
	if (!have_key) {
		keys_seterr(err, errlen, "key file %s: no " SEC_TAG " line", path);
		rc = BLF_EINVAL;
		goto out;
	}
	if (memcmp(fileid, k->keyid, BLF_KEYID_LEN) != 0) {
		keys_seterr(err, errlen, "key file %s: key id does not match the key", path);
		rc = BLF_EKEYID;
		goto out;
	}
	if (have_origin)
		memcpy(k->origin, origin, BLF_KEYID_LEN);
	*out = k;
	k = NULL;
	rc = BLF_OK;
out:
	sodium_memzero(seed, sizeof(seed));
	key_secret_free(k);
	return rc;
}

/*
 * Load a secret key file: a regular file of at most KEYS_MAX_SECRET_FILE
 * bytes that only its owner may access.
 */
int
key_secret_load(const char *path, key_secret **out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t cap = KEYS_MAX_SECRET_FILE + 1, len = 0;
	int fd = -1, rc = BLF_EIO;

	*out = NULL;
	if (blf_init() != BLF_OK)
		return BLF_ENOMEM;
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
		keys_seterr(err, errlen, "key file %s: %s", path, strerror(errno));
		rc = errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
		goto out;
	}
	if ((rc = keys_file_check(fd, path, "key file", 1, err, errlen)) != BLF_OK)
		goto out;
	rc = BLF_EIO;
	if ((text = sodium_malloc(cap)) == NULL) {
		rc = BLF_ENOMEM;
		goto out;
	}
	if (fio_read_upto(fd, text, cap, &len) != 0) {
		keys_seterr(err, errlen, "key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (len == cap) {
		keys_seterr(err, errlen, "key file %s: larger than %u bytes", path,
			    (unsigned)KEYS_MAX_SECRET_FILE);
		rc = BLF_ETOOBIG;
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		keys_seterr(err, errlen, "key file %s: contains a NUL byte", path);
		rc = BLF_EINVAL;
		goto out;
	}
	text[len] = '\0';
	rc = secret_parse(path, text, len, out, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	if (text != NULL) {
		sodium_memzero(text, cap);
		sodium_free(text);
	}
	return rc;
}

/*
 * Format "blfed-ed25519 <keyid> <base64> [comment]" without a newline.
 */
size_t
key_public_format(const uint8_t pk[BLF_PK_LEN], const char *comment, char *buf, size_t cap)
{
	char b64[KEYS_B64_LEN + 1];
	char hex[BLF_KEYID_HEX_LEN + 1];
	uint8_t id[BLF_KEYID_LEN];
	int n;

	blf_keyid(pk, id);
	blf_keyid_hex(id, hex);
	b64_key_encode(pk, b64);
	n = snprintf(buf, cap, PUB_TAG " %s %s%s%s", hex, b64,
		     comment != NULL && comment[0] != '\0' ? " " : "",
		     comment != NULL ? comment : "");
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* A token that may be quoted in a message as a key type ("ssh-ed25519"):
 * short, lower-case letters, digits and '-'.  Anything else could be part
 * of a secret pasted by mistake, and messages never quote it: a 32-byte
 * seed is 44 characters of base64 or 64 of hex. */
static int
type_name_ok(const char *t, size_t n)
{
	size_t i;

	if (n == 0 || n > 24)
		return 0;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
			return 0;
	return 1;
}

/*
 * Parse a public key line or a bare base64 key (trailing newline allowed).
 * Error messages never quote the line: it may be a secret pasted by mistake.
 */
int
key_public_parse(const char *line, uint8_t pk[BLF_PK_LEN], char *comment,
		 size_t comment_cap, char *err, size_t errlen)
{
	const char *p = line, *end = line + strlen(line), *tok;
	uint8_t id[BLF_KEYID_LEN], want[BLF_KEYID_LEN], tmp[BLF_PK_LEN];
	size_t n;
	int rc, have_id = 0;

	while (end > p && (is_blank(end[-1]) || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	n = next_token(&p, end, &tok);
	if (n == 0) {
		keys_seterr(err, errlen, "public key: empty");
		return BLF_EINVAL;
	}
	if (n == strlen(SEC_TAG) && memcmp(tok, SEC_TAG, n) == 0) {
		keys_seterr(err, errlen, "public key: this is a secret key line; "
			    "use the output of blfed key show");
		return BLF_EINVAL;
	}
	if (n == strlen(PUB_TAG) && memcmp(tok, PUB_TAG, n) == 0) {
		n = next_token(&p, end, &tok);
		if (blf_keyid_parse(tok, n, want) != BLF_OK) {
			/* not quoted: a pasted secret key could stand there */
			keys_seterr(err, errlen, "public key: bad key id (expected %d hex digits "
				    "after " PUB_TAG ")", BLF_KEYID_HEX_LEN);
			return BLF_EINVAL;
		}
		have_id = 1;
		n = next_token(&p, end, &tok);
	} else if (n != KEYS_B64_LEN || p != end) {
		/* Not our tag and not a lone key: say which algorithm we expect. */
		if (p != end || memchr(tok, '-', n) != NULL) {
			if (type_name_ok(tok, n))
				keys_seterr(err, errlen, "public key: unknown key type \"%.*s\" "
					    "(expected " PUB_TAG ")", (int)n, tok);
			else
				keys_seterr(err, errlen, "public key: not a public key line "
					    "(expected " PUB_TAG " <key id> <base64>)");
			return BLF_EINVAL;
		}
	}
	if ((rc = b64_key_decode(tok, n, tmp, "public key", err, errlen)) != BLF_OK)
		return rc;
	if (have_id) {
		blf_keyid(tmp, id);
		if (memcmp(id, want, BLF_KEYID_LEN) != 0) {
			keys_seterr(err, errlen, "public key: key id does not match the key");
			return BLF_EKEYID;
		}
	}
	while (p < end && is_blank(*p))
		p++;
	if (!comment_ok(p, (size_t)(end - p))) {
		keys_seterr(err, errlen, "public key: comment too long, not UTF-8 text, or has "
			    "control or bidirectional characters");
		return BLF_ESTRING;
	}
	if (comment != NULL && comment_cap > 0) {
		n = (size_t)(end - p);
		if (n >= comment_cap)
			n = comment_cap - 1;
		memcpy(comment, p, n);
		comment[n] = '\0';
	}
	memcpy(pk, tmp, BLF_PK_LEN);
	return BLF_OK;
}

/*
 * Public key of a file: the first line that is neither blank nor a comment
 * is a public key line; a secret key file is loaded (with its mode check)
 * and its public half returned.
 */
int
key_public_load(const char *path, uint8_t pk[BLF_PK_LEN], char *err, size_t errlen)
{
	return key_public_load_info(path, pk, NULL, 0, NULL, err, errlen);
}

/*
 * key_public_load with the comment and the origin id; see keys.h.
 */
int
key_public_load_info(const char *path, uint8_t pk[BLF_PK_LEN], char *comment,
		     size_t comment_cap, uint8_t origin[BLF_KEYID_LEN], char *err,
		     size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	char *line, *eol;
	key_secret *k = NULL;
	struct stat sb;
	int fd, rc = BLF_EIO;

	/* read(2), not stdio: a secret key file must not linger in a stdio buffer. */
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? BLF_ENOTFOUND : BLF_EIO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		keys_seterr(err, errlen, "key file %s is not a regular file", path);
		rc = BLF_EINVAL;
		goto out;
	}
	if ((buf = malloc(MAX_PUBLIC_FILE + 1)) == NULL) {
		rc = BLF_ENOMEM;
		goto out;
	}
	if (fio_read_upto(fd, buf, MAX_PUBLIC_FILE + 1, &len) != 0) {
		keys_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > MAX_PUBLIC_FILE) {
		keys_seterr(err, errlen, "%s: larger than %d bytes; not a key file", path,
			    MAX_PUBLIC_FILE);
		rc = BLF_ETOOBIG;
		goto out;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		keys_seterr(err, errlen, "%s: contains a NUL byte; not a key file", path);
		rc = BLF_EINVAL;
		goto out;
	}
	for (line = buf; *line != '\0'; line = eol + 1) {
		eol = strchr(line, '\n');
		if (eol != NULL)
			*eol = '\0';
		while (is_blank(*line))
			line++;
		if (*line != '\0' && *line != '#')
			break;
		if (eol == NULL) {
			line = NULL;
			break;
		}
	}
	if (line == NULL || *line == '\0') {
		keys_seterr(err, errlen, "%s: no key in file", path);
		rc = BLF_EINVAL;
		goto out;
	}
	if (strncmp(line, SEC_TAG, strlen(SEC_TAG)) == 0 &&
	    is_blank(line[strlen(SEC_TAG)])) {
		sodium_memzero(buf, len);
		if ((rc = key_secret_load(path, &k, err, errlen)) == BLF_OK) {
			memcpy(pk, k->pk, BLF_PK_LEN);
			if (origin != NULL)
				memcpy(origin, k->origin, BLF_KEYID_LEN);
			if (comment != NULL && comment_cap > 0)
				snprintf(comment, comment_cap, "%s", k->comment);
		}
		goto out;
	}
	rc = key_public_parse(line, pk, comment, comment_cap, err, errlen);
	if (rc == BLF_OK && origin != NULL)
		blf_keyid(pk, origin);
	if (rc != BLF_OK && err != NULL) {
		char tmp[KEYS_ERRLEN];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		keys_seterr(err, errlen, "%s", tmp);
	}
out:
	if (buf != NULL) {
		sodium_memzero(buf, MAX_PUBLIC_FILE + 1);
		free(buf);
	}
	key_secret_free(k);
	close(fd);
	return rc;
}
