/*
 * cmd_answer.c - `blfed answer ID upheld|delist --code C --ref URL
 * [--prefix PREFIX]`: answer a dispute of our listings (SPEC 5.6).  upheld
 * keeps them (for PREFIX only, inside the disputed prefix: blfedd then
 * lists PREFIX on the terms of our listing around it, and the rest lapses
 * at the end of the answer window); delist concedes and delists our
 * listings inside PREFIX (default: the disputed prefix).
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * Ask the daemon to sign and publish the answer.
 */
int
cmd_answer(struct cli *c, int argc, char **argv)
{
	const char *code = NULL, *ref = NULL, *prefix = NULL;
	struct cli_opt opts[] = {
		{"--code", "-c", &code, NULL},
		{"--ref", NULL, &ref, NULL},
		{"--prefix", "-p", &prefix, NULL},
		{NULL, NULL, NULL, NULL},
	};
	const char *args[5];
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 2, 2, "ID upheld|delist --code C --ref URL [--prefix PREFIX]") != 0)
		return CLI_ERR;
	if (code == NULL || ref == NULL) {
		cli_err(c, "--code and --ref are required");
		return CLI_ERR;
	}
	args[0] = pos[0];
	args[1] = pos[1];
	args[2] = code;
	args[3] = ref;
	args[4] = prefix;
	return cli_ctl_run(c, CTL_ANSWER, args, prefix != NULL ? 5 : 4);
}
