/*
 * cli_util.c - what every blfed subcommand shares: dispatch, option
 * parsing, one-line errors, JSON strings, and the file operations on the
 * key and the trust store.
 *
 * Option parsing is deliberately small: options may appear anywhere after
 * the command name, "--" ends them, "--name=value" and "--name value" both
 * work.  Each command lists its options in a cli_opt table, so an unknown
 * option is always reported by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/*
 * One line on stderr: "blfed: <cmd>: message".  The message often quotes an
 * argument or a file name that came from a partner (a statement file, a
 * .pub file), so it goes out through cli_print_text: no control byte,
 * bidirectional control or invalid UTF-8 reaches the terminal.
 */
void
cli_err(const struct cli *c, const char *fmt, ...)
{
	char msg[CLI_ERR_MAX];
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), _(fmt), ap);
	va_end(ap);
	if (c->cmd[0] != '\0')
		fprintf(stderr, "blfed: %s: ", c->cmd);
	else
		fprintf(stderr, "blfed: ");
	cli_print_text(stderr, msg);
	fputc('\n', stderr);
}

/*
 * Look argv[0] up in table and run it with c->cmd extended by its name.
 */
int
cli_dispatch(struct cli *c, const struct cli_cmd *table, size_t n, int argc, char **argv)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].name, argv[0]) != 0)
			continue;
		len = strlen(c->cmd);
		snprintf(c->cmd + len, sizeof(c->cmd) - len, "%s%s", len > 0 ? " " : "",
			 table[i].name);
		return table[i].fn(c, argc, argv);
	}
	cli_err(c, "unknown command \"%.40s\"; try blfed help", argv[0]);
	return CLI_ERR;
}

/*
 * Usage lines of a table.
 */
void
cli_usage(FILE *f, const char *prefix, const struct cli_cmd *table, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fprintf(f, "  blfed %s%s%s%s%s\n", prefix, prefix[0] != '\0' ? " " : "",
			table[i].name, table[i].usage[0] != '\0' ? " " : "", table[i].usage);
		fprintf(f, "        %s\n", _(table[i].description));
	}
}

static const struct cli_opt *
find_opt(const struct cli_opt *opts, const char *name, size_t n)
{
	for (; opts != NULL && opts->name != NULL; opts++) {
		if (strlen(opts->name) == n && strncmp(opts->name, name, n) == 0)
			return opts;
		if (opts->alias != NULL && strlen(opts->alias) == n &&
		    strncmp(opts->alias, name, n) == 0)
			return opts;
	}
	return NULL;
}

/*
 * Options anywhere, positionals collected; see cli.h.
 */
int
cli_getopt(struct cli *c, int argc, char **argv, const struct cli_opt *opts, char **pos,
	   int *npos)
{
	const struct cli_opt *o;
	const char *a, *eq;
	int i, only_pos = 0;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (*npos == CLI_MAX_POS) {
				cli_err(c, "too many arguments");
				return -1;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
		o = find_opt(opts, a, eq != NULL ? (size_t)(eq - a) : strlen(a));
		if (o == NULL) {
			cli_err(c, "unknown option %.*s", (int)(eq != NULL ? eq - a : 40), a);
			return -1;
		}
		if (o->flag != NULL) {
			if (eq != NULL) {
				cli_err(c, "option %s takes no value", o->name);
				return -1;
			}
			*o->flag = 1;
			continue;
		}
		if (eq != NULL) {
			*o->val = eq + 1;
		} else if (i + 1 < argc) {
			*o->val = argv[++i];
		} else {
			cli_err(c, "option %s needs a value", a);
			return -1;
		}
	}
	return 0;
}

/*
 * Argument count check with the usage in the message.
 */
int
cli_nargs(struct cli *c, int npos, int min, int max, const char *usage)
{
	if (npos < min) {
		cli_err(c, "missing argument; usage: blfed %s %s", c->cmd, usage);
		return -1;
	}
	if (npos > max) {
		cli_err(c, "too many arguments; usage: blfed %s %s", c->cmd, usage);
		return -1;
	}
	return 0;
}

/*
 * Next code point of s[0..n) at *i: its value, or -1 for a byte that does
 * not start a valid UTF-8 sequence (blf_utf8_decode); *i moves past what
 * was read, one byte for an invalid one.
 */
static long
utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	uint32_t c;
	size_t k = blf_utf8_decode(s + *i, n - *i, &c);

	if (k == 0) {
		(*i)++;
		return -1;
	}
	*i += k;
	return (long)c;
}

/* Control (C0, DEL, C1) or bidirectional control: never printed raw. */
static int
unprintable(long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x61c || c == 0x200e ||
	       c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/*
 * JSON string with the escapes RFC 8259 requires; always valid UTF-8:
 * controls and bidirectional controls are escaped (\uXXXX), bytes that are
 * not UTF-8 become U+FFFD.
 */
void
cli_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start, n = strlen(s);
	long c;

	fputc('"', f);
	while (i < n) {
		start = i;
		c = utf8_next(p, n, &i);
		if (c < 0)
			fputs("\\ufffd", f);
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", (int)c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (unprintable(c))
			fprintf(f, "\\u%04lx", (unsigned long)c);
		else
			fwrite(p + start, 1, i - start, f);
	}
	fputc('"', f);
}

/*
 * Text from a file we did not write, for a terminal: valid UTF-8 printed,
 * controls, bidirectional controls and bytes that are not UTF-8 shown as
 * '?', so that nothing in a partner's file can move the cursor or reorder
 * what is shown.
 */
void
cli_print_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start, n = strlen(s);
	long c;

	while (i < n) {
		start = i;
		c = utf8_next(p, n, &i);
		if (c < 0 || unprintable(c))
			fputc('?', f);
		else
			fwrite(p + start, 1, i - start, f);
	}
}

/*
 * Begin an edit: lock the store named by -t exclusively and load it (a
 * trust_txn in c, committed by cli_store_save, released at exit).
 */
int
cli_store_load(struct cli *c, trust_store *st)
{
	char err[KEYS_ERRLEN];
	int rc;

	err[0] = '\0';
	if ((rc = trust_store_txn_begin(&c->txn, c->trustfile, st, err, sizeof(err))) !=
	    BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return -1;
	}
	return 0;
}

/*
 * Load the store for reading, under a shared lock.
 */
int
cli_store_read(struct cli *c, trust_store *st)
{
	char err[KEYS_ERRLEN];
	int rc;

	err[0] = '\0';
	if ((rc = trust_store_read(c->trustfile, st, err, sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return -1;
	}
	return 0;
}

/*
 * The anchor named name in st, or NULL after saying so.
 */
const trust_anchor *
cli_anchor(struct cli *c, const trust_store *st, const char *name)
{
	const trust_anchor *a = trust_store_find_name(st, name);

	if (a == NULL)
		cli_err(c, "no anchor named \"%.64s\" in %s", name, c->trustfile);
	return a;
}

/*
 * The same in a store being edited.
 */
trust_anchor *
cli_anchor_mut(struct cli *c, trust_store *st, const char *name)
{
	trust_anchor *a = trust_store_find_name_mut(st, name);

	if (a == NULL)
		cli_err(c, "no anchor named \"%.64s\" in %s", name, c->trustfile);
	return a;
}

/*
 * Save the store atomically and end the edit.
 */
int
cli_store_save(struct cli *c, const trust_store *st)
{
	char err[KEYS_ERRLEN];
	int rc;

	err[0] = '\0';
	if ((rc = trust_store_txn_commit(&c->txn, st, err, sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return -1;
	}
	return 0;
}

/*
 * Load a secret key.
 */
int
cli_key_load(struct cli *c, const char *path, key_secret **k)
{
	char err[KEYS_ERRLEN];
	int rc;

	err[0] = '\0';
	if ((rc = key_secret_load(path != NULL ? path : c->keyfile, k, err,
				  sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return -1;
	}
	return 0;
}

/*
 * New file, never overwriting: statements are evidence.
 */
int
cli_write_new(struct cli *c, const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		cli_err(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		p += w;
		len -= (size_t)w;
	}
	if (len > 0 || fsync(fd) != 0) {
		cli_err(c, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) != 0) {
		cli_err(c, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * Whole file into memory, bounded.
 */
int
cli_read_file(struct cli *c, const char *path, size_t max, uint8_t **buf, size_t *len)
{
	uint8_t *b;
	size_t n = 0;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_err(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((b = malloc(max + 1)) == NULL) {
		cli_err(c, "out of memory");
		close(fd);
		return -1;
	}
	for (;;) {
		r = read(fd, b + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_err(c, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			cli_err(c, "%s: larger than %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
fail:
	close(fd);
	free(b);
	return -1;
}

/*
 * realpath(3) with the error said.
 */
int
cli_abspath(struct cli *c, const char *path, char **out)
{
	if ((*out = realpath(path, NULL)) == NULL) {
		cli_err(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Wall clock in unix seconds.
 */
uint64_t
cli_now(void)
{
	time_t t = time(NULL);

	return t < 0 ? 0 : (uint64_t)t;
}

/*
 * "N" followed by s, m, h, d or w.
 */
int
cli_duration(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > 1000000000ull)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	switch (*p) {
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	case 'w':
		mul = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (p[1] != '\0')
		return -1;
	*out = v * mul;
	return 0;
}
