/*
 * cmd_trust.c - `blfed trust SUBCOMMAND`: the trust subcommand table.
 *
 * Every subcommand works offline on the trust store (-t) and, for rotate and
 * revoke, on our secret key (-k).  Edits load the store, change a copy in
 * memory, validate it whole and save it atomically: a failed command leaves
 * the file byte for byte as it was.
 */
#include <stdio.h>

#include "cli.h"

const struct cli_cmd cli_trust_commands[] = {
	{"add", cmd_trust_add,
	 "NAME KEY-LINE|FILE [--scope P,...|--scope-file FILE] "
	 "[--authority P,...|--authority-file FILE] "
	 "[--permissions P,...] [--max-prefix 24/48] [--weight N] "
	 "[--expires DATE|never] [--rollover accept|refuse] [--note TEXT] [--origin KEYID]",
	 N_("trust a partner's key for what the options say")},
	{"remove", cmd_trust_remove, "NAME", N_("forget an anchor")},
	{"list", cmd_trust_list, "", N_("one line per anchor")},
	{"show", cmd_trust_show, "NAME", N_("everything about one anchor")},
	{"set", cmd_trust_set, "NAME FIELD VALUE...",
	 N_("change one field (key, scope, authority, scope-file, authority-file, permissions, "
	 "max-prefix, weight, expires, rollover, note, origin, old-key, revoked-key, chain)")},
	{"check", cmd_trust_check, "NAME list|delist|exclude|unexclude PREFIX [--at TIME]",
	 N_("may this anchor do this? exit 0 if allowed, 1 if refused")},
	{"rotate", cmd_trust_rotate, "[-o NEWKEY] [-s FILE] [--overlap DURATION]",
	 N_("make a new key and a rollover statement signed by our current key")},
	{"apply", cmd_trust_apply, "FILE",
	 N_("verify a received rollover or revocation statement and apply it")},
	{"revoke", cmd_trust_revoke, "[-r REASON] [-s FILE] [-p PUBLIC-KEY] [KEYFILE]",
	 N_("write a revocation statement for our key (or KEYFILE, or with -p an old key)")},
};
const size_t cli_ntrust_commands = sizeof(cli_trust_commands) / sizeof(cli_trust_commands[0]);

/*
 * Dispatch argv[1] to the trust table.
 */
int
cmd_trust(struct cli *c, int argc, char **argv)
{
	if (argc < 2) {
		cli_err(c, "missing subcommand; one of: add remove list show set check "
			"rotate apply revoke");
		return CLI_ERR;
	}
	return cli_dispatch(c, cli_trust_commands, cli_ntrust_commands, argc - 1, argv + 1);
}
