/*
 * cmd_list.c - `blfed list PREFIX... --reason R --expires DURATION
 * [--ref REF]`, and the publishing shared with delist, exclude and
 * unexclude (cli_publish).
 *
 * Our origin's log belongs to the daemon, which signs and broadcasts: the
 * CLI only checks the arguments and sends one operation line per prefix
 * (ctl_op_parse).  With -f FILE ("-" for stdin) the prefixes come one per
 * line ("PREFIX [REF...]"; blank lines and '#' comments skipped); more than
 * BLF_MAX_OPS of them are published as several deltas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../ctl/ctl.h"

#define LIST_LINE_MAX 1024 /* longest line of a bulk file */

struct batch {
	char **ops;
	size_t n;
	size_t published;
};

static const char *
op_word(unsigned t)
{
	return t == BLF_OP_LIST ? "list" : t == BLF_OP_DELIST ? "delist"
					  : t == BLF_OP_EXCLUDE ? "exclude" : "unexclude";
}

static int
flush(struct cli *c, struct batch *b)
{
	size_t i;
	int rc = CLI_OK;

	if (b->n > 0)
		rc = cli_ctl_run(c, CTL_PUBLISH, (const char *const *)b->ops, b->n);
	for (i = 0; i < b->n; i++)
		free(b->ops[i]);
	b->published += b->n;
	b->n = 0;
	return rc;
}

/* Check one prefix and append its operation line. */
static int
add(struct cli *c, struct batch *b, unsigned type, const char *prefix, size_t plen,
    const char *reason, uint64_t ttl, const char *ref)
{
	char pbuf[BLF_PREFIX_STRLEN], line[CTL_MAX_OP + 64];
	blf_prefix p;
	int rc;

	if ((rc = blf_prefix_parse(prefix, plen, 0, &p)) != BLF_OK) {
		cli_err(c, "prefix %.*s: %s", (int)(plen > 64 ? 64 : plen), prefix, _(blf_strerror(rc)));
		return -1;
	}
	if (ref != NULL && strlen(ref) > BLF_MAX_REF_LEN) {
		cli_err(c, "reference longer than %u bytes", BLF_MAX_REF_LEN);
		return -1;
	}
	blf_prefix_format(&p, pbuf);
	if (type == BLF_OP_LIST)
		snprintf(line, sizeof(line), "list %s %s %llu%s%s", pbuf, reason,
			 (unsigned long long)ttl, ref != NULL && ref[0] != '\0' ? " " : "",
			 ref != NULL ? ref : "");
	else if (type == BLF_OP_EXCLUDE)
		snprintf(line, sizeof(line), "exclude %s%s%s", pbuf,
			 ref != NULL && ref[0] != '\0' ? " " : "", ref != NULL ? ref : "");
	else
		snprintf(line, sizeof(line), "%s %s", op_word(type), pbuf);
	if ((b->ops[b->n] = strdup(line)) == NULL) {
		cli_err(c, "out of memory");
		return -1;
	}
	b->n++;
	if (b->n == BLF_MAX_OPS && flush(c, b) != CLI_OK)
		return -1;
	return 0;
}

static int
from_file(struct cli *c, struct batch *b, unsigned type, const char *path, const char *reason,
	  uint64_t ttl, const char *ref)
{
	char line[LIST_LINE_MAX + 2], *p, *sp;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	unsigned long lineno = 0;
	int ret = -1;

	if (f == NULL) {
		cli_err(c, "%s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			cli_err(c, "%s:%lu: line too long", path, lineno);
			goto out;
		}
		line[strcspn(line, "\r\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		sp = p + strcspn(p, " \t");
		if (*sp != '\0') {
			*sp++ = '\0';
			while (*sp == ' ' || *sp == '\t')
				sp++;
		}
		if (add(c, b, type, p, strlen(p), reason, ttl, *sp != '\0' ? sp : ref) != 0) {
			cli_err(c, "%s:%lu: not published", path, lineno);
			goto out;
		}
	}
	ret = 0;
out:
	if (f != stdin)
		fclose(f);
	return ret;
}

int
cli_publish(struct cli *c, unsigned type, int argc, char **argv)
{
	const char *reason_s = NULL, *expires_s = NULL, *ref = NULL, *file = NULL;
	struct cli_opt lopts[] = {
		{"--reason", "-r", &reason_s, NULL},
		{"--expires", "-e", &expires_s, NULL},
		{"--ref", NULL, &ref, NULL},
		{"-f", "--file", &file, NULL},
		{NULL, NULL, NULL, NULL},
	};
	struct cli_opt xopts[] = {
		{"--ref", NULL, &ref, NULL},
		{"-f", "--file", &file, NULL},
		{NULL, NULL, NULL, NULL},
	};
	struct cli_opt dopts[] = {
		{"-f", "--file", &file, NULL},
		{NULL, NULL, NULL, NULL},
	};
	char *pos[CLI_MAX_POS], rbuf[16];
	struct batch b = {NULL, 0, 0};
	uint64_t ttl = 0;
	uint16_t reason = 0;
	int npos, i, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, type == BLF_OP_LIST ? lopts
				      : type == BLF_OP_EXCLUDE ? xopts : dopts, pos, &npos) != 0)
		goto out;
	if (npos == 0 && file == NULL) {
		cli_err(c, "missing PREFIX (or -f FILE)");
		goto out;
	}
	if (type == BLF_OP_LIST) {
		if (reason_s == NULL || expires_s == NULL) {
			cli_err(c, "--reason and --expires are required");
			goto out;
		}
		if (blf_reason_parse(reason_s, &reason) != BLF_OK || reason == 0) {
			cli_err(c, "--reason %.40s: not a reason code or name (blfed.8)", reason_s);
			goto out;
		}
		if (cli_duration(expires_s, &ttl) != 0 || ttl == 0 || ttl > BLF_MAX_TTL) {
			cli_err(c, "--expires %.40s: expected a duration up to 400d (7d, 12h)",
				expires_s);
			goto out;
		}
	}
	snprintf(rbuf, sizeof(rbuf), "%u", reason);
	if ((b.ops = calloc(BLF_MAX_OPS, sizeof(*b.ops))) == NULL) {
		cli_err(c, "out of memory");
		goto out;
	}
	for (i = 0; i < npos; i++)
		if (add(c, &b, type, pos[i], strlen(pos[i]), rbuf, ttl, ref) != 0)
			goto out;
	if (file != NULL && from_file(c, &b, type, file, rbuf, ttl, ref) != 0)
		goto out;
	ret = flush(c, &b);
out:
	if (b.ops != NULL) {
		for (i = 0; i < (int)b.n; i++)
			free(b.ops[i]);
		free(b.ops);
	}
	return ret;
}

/*
 * Exit 0 published, 1 refused by the daemon, 2 error.
 */
int
cmd_list(struct cli *c, int argc, char **argv)
{
	return cli_publish(c, BLF_OP_LIST, argc, argv);
}
