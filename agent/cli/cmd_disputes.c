/*
 * cmd_disputes.c - `blfed disputes [--open] [--filed|--against-us]`: the
 * disputes blfedd holds (SPEC 5.6), with their answers and what they do to
 * the listings they cover (SPEC 8.6).  --filed: those our origin filed;
 * --against-us: those that cover listings of ours; --open: only those with
 * a covered listing still in its answer window.
 */
#include "cli.h"
#include "../ctl/ctl.h"

/*
 * Ask the daemon.
 */
int
cmd_disputes(struct cli *c, int argc, char **argv)
{
	int open = 0, filed = 0, against = 0;
	struct cli_opt opts[] = {
		{"--open", NULL, NULL, &open},
		{"--filed", NULL, NULL, &filed},
		{"--against-us", NULL, NULL, &against},
		{NULL, NULL, NULL, NULL},
	};
	const char *args[3];
	char *pos[CLI_MAX_POS];
	size_t n = 0;
	int npos;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 0, 0, "[--open] [--filed|--against-us]") != 0)
		return CLI_ERR;
	if (filed && against) {
		cli_err(c, "--filed and --against-us exclude each other");
		return CLI_ERR;
	}
	if (open)
		args[n++] = "open";
	if (filed)
		args[n++] = "filed";
	if (against)
		args[n++] = "against-us";
	return cli_ctl_run(c, CTL_DISPUTES, args, n);
}
