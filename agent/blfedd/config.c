/*
 * config.c - the blfedd configuration file (blfedd.conf.5).
 *
 * Line oriented: "keyword value..." separated by blanks, '#' starts a
 * comment line, blank lines are ignored.  Every error names the file, the
 * line number, the line itself and the reason, and nothing of a file with
 * an error is used (SIGHUP keeps the running configuration).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blfedd.h"

#define MAX_WORDS 8

static void
defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->key, sizeof(c->key), "/etc/blfed/key.secret");
	snprintf(c->trust, sizeof(c->trust), "/etc/blfed/trust.conf");
	snprintf(c->datadir, sizeof(c->datadir), "/var/lib/blfed");
	snprintf(c->control, sizeof(c->control), "%s", CTL_DEFAULT_SOCKET);
	snprintf(c->pidfile, sizeof(c->pidfile), "/run/blfed/blfedd.pid");
	c->metrics_interval_ms = 15000;
	c->threshold = CORE_DEFAULT_THRESHOLD;
	c->journal_window = CORE_DEFAULT_WINDOW;
	c->net.queue_depth = NET_QUEUE_DEFAULT;
	c->net.heads_interval_ms = 30000;
	c->net.catchup_timeout_ms = 5000;
	c->net.redial_min_ms = 100;
	c->net.redial_max_ms = 30000;
	c->net.serve_rate = NET_SERVE_RATE_DEFAULT;
	c->net.serve_burst = NET_SERVE_BURST_DEFAULT;
	c->export_interval_ms = CONF_EXPORT_INTERVAL_MS;
}

/* "N", "Nms", "Ns", "Nm", "Nh", "Nd" to milliseconds, at most max_ms. */
static int
parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out)
{
	uint64_t v = 0, mul = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > 100000000000ull)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (strcmp(p, "ms") == 0)
		mul = 1;
	else if (strcmp(p, "s") == 0 || *p == '\0')
		mul = 1000;
	else if (strcmp(p, "m") == 0)
		mul = 60000;
	else if (strcmp(p, "h") == 0)
		mul = 3600000;
	else if (strcmp(p, "d") == 0)
		mul = 86400000;
	else
		return -1;
	if (v > max_ms / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* "N", "Nk", "NM", "NG" (powers of 1024) to bytes, 1..max. */
static int
parse_size(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > 1000000000000ull)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (*p == 'k' || *p == 'K')
		mul = 1024, p++;
	else if (*p == 'M')
		mul = 1024 * 1024, p++;
	else if (*p == 'G')
		mul = 1024 * 1024 * 1024, p++;
	if (*p != '\0' || v == 0 || v > max / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int
copy_str(char *dst, size_t cap, const char *src)
{
	if (strlen(src) >= cap)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int
valid_url(const char *u, int ipc_ok)
{
	if (strlen(u) >= NET_URL_MAX)
		return 0;
	if (strncmp(u, "tcp://", 6) == 0 || strncmp(u, "tls+tcp://", 10) == 0)
		return 1;
	return ipc_ok && strncmp(u, "ipc://", 6) == 0 && u[6] != '\0';
}

static const struct {
	const char *name;
	unsigned bits;
} export_format_names[] = {
	{ "rbldnsd", EXPORT_RBLDNSD }, { "postfix", EXPORT_POSTFIX }, { "plain", EXPORT_PLAIN },
	{ "ipset", EXPORT_IPSET },     { "jsonl", EXPORT_JSONL },     { "all", EXPORT_ALL },
};

/* "rbldnsd,plain" to EXPORT_* bits; -1 for an unknown or empty name. */
static int
parse_formats(const char *s, unsigned *out)
{
	char buf[128], *tok, *save;
	unsigned bits = 0;
	size_t i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(export_format_names) / sizeof(export_format_names[0]); i++)
			if (strcmp(tok, export_format_names[i].name) == 0)
				break;
		if (i == sizeof(export_format_names) / sizeof(export_format_names[0]))
			return -1;
		bits |= export_format_names[i].bits;
	}
	if (bits == 0)
		return -1;
	*out = bits;
	return 0;
}

/* Check one export setting alone with the exporter's own rules. */
static const char *
export_check(const struct config *c, char *why, size_t whylen)
{
	export_config ec;
	char err[200];

	daemon_export_config(c, &ec);
	ec.dir = "/";
	if (export_config_check(&ec, err, sizeof(err)) != BLF_OK) {
		snprintf(why, whylen, "%s", err);
		return why;
	}
	return NULL;
}

/* The export-* keywords (blfedd.conf.5): NULL, the reason, or "" if k is
 * not one of them. */
static const char *
apply_export(struct config *c, char **w, int nw, char *why, size_t whylen)
{
	const char *k = w[0];
	uint64_t v;
	int i;

	if (strncmp(k, "export-", 7) != 0)
		return "";
	k += 7;
	if (strcmp(k, "ns") == 0) {
		if (nw < 2 || (size_t)nw - 1 > EXPORT_MAX_NS)
			return N_("expects one to eight name server names");
		c->export_nns = 0;
		for (i = 1; i < nw; i++) {
			if (copy_str(c->export_ns[i - 1], sizeof(c->export_ns[0]), w[i]) != 0)
				return N_("name too long");
			c->export_nns++;
		}
		return export_check(c, why, whylen);
	}
	if (nw != 2)
		return N_("expects one value");
	if (strcmp(k, "dir") == 0) {
		if (w[1][0] != '/')
			return N_("expects an absolute directory name");
		if (copy_str(c->export_dir, sizeof(c->export_dir), w[1]) != 0)
			return N_("directory name too long");
		return NULL;
	}
	if (strcmp(k, "formats") == 0) {
		if (parse_formats(w[1], &c->export_formats) != 0)
			return N_("expects a comma-separated list of rbldnsd, postfix, plain, ipset, "
			       "jsonl, all");
		return export_check(c, why, whylen);
	}
	if (strcmp(k, "per-origin") == 0) {
		if (strcmp(w[1], "yes") != 0 && strcmp(w[1], "no") != 0)
			return N_("expects yes or no");
		c->export_per_origin = w[1][0] == 'y';
		return export_check(c, why, whylen);
	}
	if (strcmp(k, "interval") == 0) {
		if (parse_duration_ms(w[1], 86400000ull, &v) != 0 || v < 100)
			return N_("expects a duration from 100ms to 1d");
		c->export_interval_ms = (uint32_t)v;
		return NULL;
	}
	if (strcmp(k, "stale") == 0) {
		if (strcmp(w[1], "never") == 0) {
			c->export_no_stale = 1;
			c->export_stale = 0;
			return NULL;
		}
		if (parse_duration_ms(w[1], 3650ull * 86400000, &v) != 0 || v < 60000)
			return N_("expects a duration from 1m to 3650d, or never");
		c->export_no_stale = 0;
		c->export_stale = v / 1000;
		return NULL;
	}
	if (strcmp(k, "shard4") == 0 || strcmp(k, "shard6") == 0) {
		if (strlen(w[1]) > 1 || w[1][0] < '0' || w[1][0] > '0' + (int)EXPORT_MAX_SHARD_BITS)
			return N_("expects a number of bits from 0 to 8");
		*(k[5] == '4' ? &c->export_shard4 : &c->export_shard6) = (unsigned)(w[1][0] - '0');
		return NULL;
	}
	if (strcmp(k, "zone") == 0) {
		if (copy_str(c->export_zone, sizeof(c->export_zone), w[1]) != 0)
			return N_("name too long");
		return export_check(c, why, whylen);
	}
	if (strcmp(k, "source") == 0) {
		if (copy_str(c->export_source, sizeof(c->export_source), w[1]) != 0)
			return N_("source: letters, digits, '.', '_', '-', 1-63 bytes");
		return export_check(c, why, whylen);
	}
	return N_("unknown keyword");
}

/*
 * One line, already split into words.  Returns NULL or the reason.
 */
static const char *
apply(struct config *c, char **w, int nw, char *why, size_t whylen)
{
	const char *k = w[0];
	const char *xr;
	uint64_t v;

	if ((xr = apply_export(c, w, nw, why, whylen)) == NULL || xr[0] != '\0')
		return xr;
#define NARGS(n)                                          \
	do {                                              \
		if (nw != (n) + 1)                        \
			return (n) == 1 ? N_("expects one value") \
					: N_("wrong number of values"); \
	} while (0)
	if (strcmp(k, "key") == 0 || strcmp(k, "trust") == 0 || strcmp(k, "datadir") == 0 ||
	    strcmp(k, "pidfile") == 0 || strcmp(k, "metrics") == 0 ||
	    strcmp(k, "tls-cert") == 0 || strcmp(k, "tls-ca") == 0) {
		char *dst;
		size_t cap;

		NARGS(1);
		if (strcmp(k, "key") == 0)
			dst = c->key, cap = sizeof(c->key);
		else if (strcmp(k, "trust") == 0)
			dst = c->trust, cap = sizeof(c->trust);
		else if (strcmp(k, "datadir") == 0)
			dst = c->datadir, cap = sizeof(c->datadir);
		else if (strcmp(k, "pidfile") == 0)
			dst = c->pidfile, cap = sizeof(c->pidfile);
		else if (strcmp(k, "metrics") == 0)
			dst = c->metrics, cap = sizeof(c->metrics);
		else if (strcmp(k, "tls-cert") == 0)
			dst = c->net.tls_cert, cap = sizeof(c->net.tls_cert);
		else
			dst = c->net.tls_ca, cap = sizeof(c->net.tls_ca);
		if (strcmp(k, "pidfile") == 0 && strcmp(w[1], "none") == 0) {
			dst[0] = '\0';
			return NULL;
		}
		if (w[1][0] != '/')
			return N_("expects an absolute file name");
		if (copy_str(dst, cap, w[1]) != 0)
			return N_("file name too long");
		return NULL;
	}
	if (strcmp(k, "control") == 0) {
		NARGS(1);
		if (strncmp(w[1], "ipc:///", 7) != 0 || strlen(w[1]) >= sizeof(c->control))
			return N_("expects an ipc:///absolute/path URL");
		snprintf(c->control, sizeof(c->control), "%s", w[1]);
		return NULL;
	}
	if (strcmp(k, "control-group") == 0 || strcmp(k, "user") == 0) {
		NARGS(1);
		if (copy_str(k[0] == 'u' ? c->user : c->control_group, CONF_NAME_MAX, w[1]) != 0)
			return N_("name too long");
		return NULL;
	}
	if (strcmp(k, "listen") == 0 || strcmp(k, "sync-listen") == 0) {
		int sync = k[0] == 's';
		size_t *nn = sync ? &c->net.nsync : &c->net.nlisten;

		NARGS(1);
		if (!valid_url(w[1], 1))
			return N_("expects a tcp://, tls+tcp:// or ipc:// URL");
		if (*nn == NET_MAX_LISTEN)
			return N_("too many listen URLs");
		snprintf(sync ? c->net.sync_listen[*nn] : c->net.listen[*nn], NET_URL_MAX, "%s",
			 w[1]);
		(*nn)++;
		return NULL;
	}
	if (strcmp(k, "peer") == 0) {
		net_peer_conf *p;
		char err[KEYS_ERRLEN];
		size_t i;

		if (nw != 5)
			return N_("expects NAME PUB-URL SYNC-URL KEY");
		if (c->net.npeers == NET_MAX_PEERS)
			return N_("too many peers");
		if (strlen(w[1]) > KEYS_NAME_MAX)
			return N_("peer name too long");
		for (i = 0; i < c->net.npeers; i++)
			if (strcmp(c->net.peers[i].name, w[1]) == 0)
				return N_("duplicate peer name");
		if (!valid_url(w[2], 1) || !valid_url(w[3], 1))
			return N_("peer URLs must be tcp://, tls+tcp:// or ipc://");
		p = &c->net.peers[c->net.npeers];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", w[1]);
		snprintf(p->pub_url, sizeof(p->pub_url), "%s", w[2]);
		snprintf(p->sync_url, sizeof(p->sync_url), "%s", w[3]);
		err[0] = '\0';
		if (strchr(w[4], '/') != NULL && w[4][0] == '/') {
			if (key_public_load(w[4], p->pk, err, sizeof(err)) != BLF_OK) {
				snprintf(why, whylen, _("peer key: %s"), err);
				return why;
			}
		} else if (key_public_parse(w[4], p->pk, NULL, 0, err, sizeof(err)) != BLF_OK) {
			snprintf(why, whylen, _("peer key: %s"), err[0] != '\0' ? err : _("bad key"));
			return why;
		}
		c->net.npeers++;
		return NULL;
	}
	if (strcmp(k, "view-updates") == 0) {
		NARGS(1);
		if (strcmp(w[1], "yes") != 0 && strcmp(w[1], "no") != 0)
			return N_("expects yes or no");
		c->view_rebuild = w[1][0] == 'n';
		return NULL;
	}
	if (strcmp(k, "threshold") == 0) {
		NARGS(1);
		if (parse_size(w[1], KEYS_MAX_WEIGHT * 16ull, &v) != 0)
			return N_("expects a positive number");
		c->threshold = (uint32_t)v;
		return NULL;
	}
	if (strcmp(k, "queue-depth") == 0) {
		NARGS(1);
		if (parse_size(w[1], NET_QUEUE_MAX, &v) != 0)
			return N_("expects a number from 1 to 8192");
		c->net.queue_depth = (uint32_t)v;
		return NULL;
	}
	if (strcmp(k, "serve-rate") == 0 || strcmp(k, "serve-burst") == 0) {
		NARGS(1);
		if (parse_size(w[1], 1ull << 40, &v) != 0)
			return N_("expects a size in bytes (suffix k, M or G)");
		if (k[6] == 'r')
			c->net.serve_rate = v;
		else
			c->net.serve_burst = v;
		return NULL;
	}
	if (strcmp(k, "heads-interval") == 0 || strcmp(k, "catchup-timeout") == 0 ||
	    strcmp(k, "redial-min") == 0 || strcmp(k, "redial-max") == 0 ||
	    strcmp(k, "metrics-interval") == 0 || strcmp(k, "journal-window") == 0) {
		NARGS(1);
		if (parse_duration_ms(w[1], strcmp(k, "journal-window") == 0 ? 400ull * 86400000
						: 86400000ull, &v) != 0 || v == 0)
			return N_("expects a duration (500ms, 30s, 5m, 1h)");
		if (strcmp(k, "heads-interval") == 0)
			c->net.heads_interval_ms = (uint32_t)v;
		else if (strcmp(k, "catchup-timeout") == 0)
			c->net.catchup_timeout_ms = (uint32_t)v;
		else if (strcmp(k, "redial-min") == 0)
			c->net.redial_min_ms = (uint32_t)v;
		else if (strcmp(k, "redial-max") == 0)
			c->net.redial_max_ms = (uint32_t)v;
		else if (strcmp(k, "metrics-interval") == 0)
			c->metrics_interval_ms = (uint32_t)v;
		else
			c->journal_window = v / 1000 > 0 ? v / 1000 : 1;
		return NULL;
	}
	return N_("unknown keyword");
#undef NARGS
}

/*
 * Read and parse the whole file; see blfedd.h.
 */
int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char *buf = NULL, *line, *next, *w[MAX_WORDS + 1], *tok, *save, copy[CONF_LINE_MAX];
	char why[KEYS_ERRLEN + 32];
	const char *reason;
	size_t n = 0, len;
	ssize_t r;
	int fd = -1, nw, lineno = 0, rc = -1;

	defaults(cfg);
	if (strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, errlen, _("%s: file name too long"), path);
		goto out;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* the config names the key, the trust store and the user to run as */
	if (keys_file_check(fd, path, "config file", 0, err, errlen) != BLF_OK)
		goto out;
	if ((buf = malloc(CONF_MAX_FILE + 1)) == NULL) {
		snprintf(err, errlen, _("%s: out of memory"), path);
		goto out;
	}
	while ((r = read(fd, buf + n, CONF_MAX_FILE + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		n += (size_t)r;
		if (n > CONF_MAX_FILE) {
			snprintf(err, errlen, _("%s: larger than %u bytes"), path, CONF_MAX_FILE);
			goto out;
		}
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, _("%s: contains a NUL byte"), path);
		goto out;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len >= CONF_LINE_MAX) {
			snprintf(err, errlen, _("%s:%d: line longer than %u bytes"), path, lineno,
				 CONF_LINE_MAX - 1);
			goto out;
		}
		memcpy(copy, line, len + 1);
		nw = 0;
		for (tok = strtok_r(line, " \t", &save); tok != NULL;
		     tok = strtok_r(NULL, " \t", &save)) {
			if (nw == 0 && tok[0] == '#')
				break;
			if (nw == MAX_WORDS) {
				nw++;
				break;
			}
			w[nw++] = tok;
		}
		if (nw == 0)
			continue;
		if (nw > MAX_WORDS) {
			snprintf(err, errlen, _("%s:%d: `%.200s`: too many values"), path, lineno, copy);
			goto out;
		}
		w[nw] = NULL;
		why[0] = '\0';
		if ((reason = apply(cfg, w, nw, why, sizeof(why))) != NULL) {
			snprintf(err, errlen, "%s:%d: `%.200s`: %s", path, lineno, copy,
				 reason[0] != '\0' ? _(reason) : reason);
			goto out;
		}
	}
	if (cfg->net.redial_min_ms > cfg->net.redial_max_ms) {
		snprintf(err, errlen, _("%s: redial-min is longer than redial-max"), path);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}
