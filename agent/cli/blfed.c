/*
 * blfed.c - the blfed administration program: global options and the
 * top-level command table.
 *
 *     blfed [-h] [-V] [-k KEYFILE] [-t TRUSTFILE] [-s SOCKET] [--json] command [args...]
 *
 * Each command is one row of `cli_commands` and one cmd_<name>.c file (see
 * cli.h for how to add one).  Trust commands work offline on the key file
 * and the trust store through keys/; commands that talk to the daemon use
 * the control messages of protocol/.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "../ctl/ctl.h"

const struct cli_cmd cli_commands[] = {
	{"keygen", cmd_keygen, "[-c COMMENT] [-o FILE]",
	 "create a secret key (mode 0600) and print its public key line"},
	{"key", cmd_key, "show [FILE]",
	 "print the public key line of our key, or of a key file"},
	{"trust", cmd_trust, "SUBCOMMAND ...",
	 "manage trust anchors (blfed help lists the subcommands)"},
	{"status", cmd_status, "", "ask blfedd for peers, origins and counters"},
	{"peers", cmd_peers, "", "ask blfedd for its peers with state and counters"},
	{"why", cmd_why, "ADDRESS|PREFIX", "explain the verdict on an address or prefix"},
	{"list", cmd_list, "PREFIX|-f FILE --reason R --expires DURATION [--ref REF]",
	 "publish listings of our origin through blfedd"},
	{"delist", cmd_delist, "PREFIX|-f FILE", "withdraw listings of our origin"},
	{"exclude", cmd_exclude, "PREFIX [--ref REF]",
	 "declare a prefix clean (needs authority)"},
	{"unexclude", cmd_unexclude, "PREFIX", "withdraw an exclusion of our origin"},
	{"origin", cmd_origin, "reset|unfreeze NAME",
	 "reset an origin's log, or accept it again after equivocation"},
	{"export", cmd_export, "", "ask blfedd to export the merged feed now"},
	{"reload", cmd_reload, "", "ask blfedd to reload its configuration and trust store"},
	{"announce", cmd_announce, "FILE",
	 "apply a rollover or revocation statement and publish it to the federation"},
	{"dispute", cmd_dispute, "PREFIX --code C --ref URL [--origin NAME]",
	 "dispute the listings of a prefix (needs the dispute permission)"},
	{"disputes", cmd_disputes, "[--open] [--filed|--against-us]",
	 "show the disputes held, their answers and what they do"},
	{"answer", cmd_answer, "ID upheld|delist --code C --ref URL [--prefix PREFIX]",
	 "answer a dispute of our listings"},
	{"verify-export", cmd_verify_export, "DIR --key PUBKEYFILE",
	 "check an export directory's MANIFEST signature and every file"},
	{"help", cmd_help, "", "print this help"},
	{"version", cmd_version, "", "print the version"},
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/*
 * Parse the global options, then run the command; the exit status is the
 * command's (0, 1 or 2, see cli.h).
 */
int
main(int argc, char **argv)
{
	struct cli c;
	int i, rc;

	memset(&c, 0, sizeof(c));
	c.keyfile = env_or("BLFED_KEY", CLI_DEFAULT_KEY);
	c.trustfile = env_or("BLFED_TRUST", CLI_DEFAULT_TRUST);
	c.socket = env_or("BLFED_SOCKET", CTL_DEFAULT_SOCKET);
	if (blf_init() != BLF_OK) {
		cli_err(&c, "cannot initialise libsodium");
		return CLI_ERR;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			return cmd_help(&c, 1, argv + i);
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			return cmd_version(&c, 1, argv + i);
		} else if (strcmp(a, "--json") == 0) {
			c.json = 1;
		} else if (strcmp(a, "-k") == 0 || strcmp(a, "-t") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				cli_err(&c, "option %s needs a file name", a);
				return CLI_ERR;
			}
			if (a[1] == 'k')
				c.keyfile = argv[++i];
			else
				c.trustfile = argv[++i];
		} else if (strcmp(a, "-s") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				cli_err(&c, "option -s needs a socket URL or path");
				return CLI_ERR;
			}
			c.socket = argv[++i];
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			cli_err(&c, "unknown option %.40s; try blfed help", a);
			return CLI_ERR;
		}
	}
	if (i >= argc) {
		cli_err(&c, "no command given; try blfed help");
		return CLI_ERR;
	}
	rc = cli_dispatch(&c, cli_commands, cli_ncommands, argc - i, argv + i);
	trust_store_txn_abort(&c.txn); /* an edit that did not save */
	return rc;
}
