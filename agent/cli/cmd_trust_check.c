/*
 * cmd_trust_check.c - `blfed trust check NAME OP PREFIX [--at TIME]`: would
 * the merge engine accept this operation from this anchor's origin?
 *
 * The answer is trust_anchor_allows() - the very function the agent uses -
 * plus the state of the anchor's current key (a revoked key signs nothing).
 * Exit 0 if allowed, 1 if refused, 2 for a bad name, operation or prefix.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define CHECK_USAGE "NAME list|delist|exclude|unexclude PREFIX [--at TIME]"

/*
 * Print the verdict.  0 allowed, 1 refused, 2 on error.
 */
int
cmd_trust_check(struct cli *c, int argc, char **argv)
{
	const char *at = NULL, *why;
	struct cli_opt opts[] = {
		{"--at", NULL, &at, NULL},
		{NULL, NULL, NULL, NULL},
	};
	char *pos[CLI_MAX_POS];
	char pbuf[BLF_PREFIX_STRLEN], extra[32];
	trust_store st = {NULL, 0, NULL};
	const trust_anchor *a;
	blf_prefix p;
	uint64_t now;
	unsigned op;
	int npos, rc, verdict, ret = CLI_ERR;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 3, 3, CHECK_USAGE) != 0)
		goto out;
	if (trust_op_parse(pos[1], &op) != BLF_OK) {
		cli_err(c, "operation \"%.32s\": expected list, delist, exclude or unexclude",
			pos[1]);
		goto out;
	}
	if ((rc = blf_prefix_parse(pos[2], strlen(pos[2]), 0, &p)) != BLF_OK) {
		cli_err(c, "prefix %.64s: %s", pos[2], _(blf_strerror(rc)));
		goto out;
	}
	now = cli_now();
	if (at != NULL && trust_time_parse(at, &now) != BLF_OK) {
		cli_err(c, "--at %.40s: expected an RFC 3339 UTC time (2027-12-31T00:00:00Z)",
			at);
		goto out;
	}
	if (cli_store_read(c, &st) != 0)
		goto out;
	if ((a = cli_anchor(c, &st, pos[0])) == NULL)
		goto out;
	blf_prefix_format(&p, pbuf);
	verdict = trust_anchor_allows(a, op, &p, now);
	why = trust_verdict_str(verdict);
	extra[0] = '\0';
	if (verdict == TRUST_OK && trust_anchor_is_revoked(a, a->pk)) {
		verdict = -1;
		why = N_("its current key is revoked");
	} else if (verdict == TRUST_TOO_WIDE) {
		snprintf(extra, sizeof(extra), " (/%u)",
			 p.af == BLF_AF_INET ? a->max4 : a->max6);
	}
	if (c->json) {
		printf("{\"name\":");
		cli_json_str(stdout, a->name);
		printf(",\"op\":\"%s\",\"prefix\":\"%s\",\"allowed\":%s,\"verdict\":\"%s\"}\n",
		       trust_op_name(op), pbuf, verdict == TRUST_OK ? "true" : "false", why);
	} else if (verdict == TRUST_OK) {
		printf(_("allowed: %s may %s %s\n"), a->name, trust_op_name(op), pbuf);
	} else {
		printf(_("refused: %s may not %s %s: %s%s\n"), a->name, trust_op_name(op), pbuf,
		       _(why), extra);
	}
	ret = verdict == TRUST_OK ? CLI_OK : CLI_NO;
out:
	trust_store_free(&st);
	return ret;
}
