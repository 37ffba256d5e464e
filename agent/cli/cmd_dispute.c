/*
 * cmd_dispute.c - `blfed dispute PREFIX --code C --ref URL [--origin NAME]`:
 * file a dispute of the listings of PREFIX or inside it (SPEC 5.6), of every
 * origin or of one, in our origin's log through blfedd.  Codes are the
 * dispute-code registry's names or numbers (SPEC 7.1); blfedd checks them.
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * Ask the daemon to sign and publish the dispute; it prints its id.
 */
int
cmd_dispute(struct cli *c, int argc, char **argv)
{
	const char *code = NULL, *ref = NULL, *origin = NULL;
	struct cli_opt opts[] = {
		{"--code", "-c", &code, NULL},
		{"--ref", NULL, &ref, NULL},
		{"--origin", "-o", &origin, NULL},
		{NULL, NULL, NULL, NULL},
	};
	const char *args[4];
	char *pos[CLI_MAX_POS];
	int npos;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, "PREFIX --code C --ref URL [--origin NAME]") != 0)
		return CLI_ERR;
	if (code == NULL || ref == NULL) {
		cli_err(c, "--code and --ref are required");
		return CLI_ERR;
	}
	args[0] = pos[0];
	args[1] = code;
	args[2] = ref;
	args[3] = origin;
	return cli_ctl_run(c, CTL_DISPUTE, args, origin != NULL ? 4 : 3);
}
