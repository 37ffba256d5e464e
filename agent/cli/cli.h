/*
 * cli.h - shared declarations of the blfed command-line program.
 *
 * blfed.c holds main() and the top-level command table; every subcommand
 * lives in its own cmd_<name>.c and is a cli_fn.  To add a command: write
 * cmd_<name>.c with `int cmd_<name>(struct cli *, int, char **)`, declare it
 * below and add one {name, fn, usage, description} row to the table in
 * blfed.c.  Trust subcommands have their own table in cmd_trust.c.
 *
 * A command returns CLI_OK (0), CLI_NO (1: a negative answer, e.g. a check
 * refused or a signature that does not verify) or CLI_ERR (2: usage or
 * system error).  Errors are one line on stderr, written with cli_err():
 * "blfed: trust add: scope 10.0.0.0/33: prefix length out of range".
 * Normal output goes to stdout, for humans by default and as one JSON
 * object per line with --json.
 */
#ifndef BLFED_CLI_H
#define BLFED_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../keys/keys.h"

#define CLI_OK 0
#define CLI_NO 1
#define CLI_ERR 2

#define CLI_DEFAULT_KEY "/etc/blfed/key.secret"
#define CLI_DEFAULT_TRUST "/etc/blfed/trust.conf"
#define CLI_MAX_POS 64                 /* positional arguments of one command */
#define CLI_MAX_STATEMENT (64u << 10)  /* largest rollover/revocation file read */
#define CLI_ERR_MAX 2048               /* longest error message (longer: cut) */

/* Global options and the name of the running command, for messages. */
struct cli {
	const char *keyfile;   /* -k, $BLFED_KEY or CLI_DEFAULT_KEY */
	const char *trustfile; /* -t, $BLFED_TRUST or CLI_DEFAULT_TRUST */
	int json;              /* --json: one JSON object per line */
	const char *socket;    /* -s, $BLFED_SOCKET or CTL_DEFAULT_SOCKET */
	char cmd[64];          /* "trust add", used as the message prefix */
	trust_txn txn;         /* the store edit in progress (cli_store_load) */
};

typedef int (*cli_fn)(struct cli *c, int argc, char **argv);

/* One row of a command table.  argv[0] passed to fn is the command name. */
struct cli_cmd {
	const char *name;
	cli_fn fn;
	const char *usage;       /* arguments, e.g. "[-c COMMENT] [-o FILE]" */
	const char *description; /* one line */
};

/* An option of a command: "-o" or "--overlap"; val receives the argument
 * (options with an argument) or flag is set to 1 (flags). */
struct cli_opt {
	const char *name;
	const char *alias; /* a second spelling, or NULL */
	const char **val;
	int *flag;
};

/* Print "blfed: <cmd>: <message>" on stderr. */
void cli_err(const struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Run argv[0] from table (n rows); prefix is prepended to c->cmd.  Returns
 * the command's exit code, or CLI_ERR for an unknown command. */
int cli_dispatch(struct cli *c, const struct cli_cmd *table, size_t n, int argc,
		 char **argv);

/* Print a table's usage lines, each prefixed by "blfed <prefix>". */
void cli_usage(FILE *f, const char *prefix, const struct cli_cmd *table, size_t n);

/* Parse options anywhere in argv[1..argc-1] ("--" ends them; "--opt=value"
 * works).  Positional arguments are collected in pos (up to CLI_MAX_POS).
 * Returns 0, or -1 after printing the error. */
int cli_getopt(struct cli *c, int argc, char **argv, const struct cli_opt *opts,
	       char **pos, int *npos);

/* Check the number of positional arguments; print usage and return -1 if
 * outside [min, max]. */
int cli_nargs(struct cli *c, int npos, int min, int max, const char *usage);

/* Write s as a JSON string (quotes included), always valid UTF-8: controls
 * and bidirectional controls escaped, bytes that are not UTF-8 replaced by
 * U+FFFD. */
void cli_json_str(FILE *f, const char *s);

/* Write s for a terminal: controls, bidirectional controls and bytes that
 * are not UTF-8 shown as '?'. */
void cli_print_text(FILE *f, const char *s);

/* Edit the trust store: cli_store_load locks it exclusively and loads it
 * (missing file: empty), cli_store_save saves it atomically and unlocks
 * (a command that fails in between leaves the file alone; the lock goes at
 * exit).  cli_store_read loads it for reading under a shared lock.  Return
 * 0 or -1 after printing the error. */
int cli_store_load(struct cli *c, trust_store *st);
int cli_store_save(struct cli *c, const trust_store *st);
int cli_store_read(struct cli *c, trust_store *st);

/* The anchor called name, or NULL after printing "no anchor named ...";
 * _mut for a store being edited. */
const trust_anchor *cli_anchor(struct cli *c, const trust_store *st, const char *name);
trust_anchor *cli_anchor_mut(struct cli *c, trust_store *st, const char *name);

/* Load a secret key (path NULL: c->keyfile).  0 or -1 after the error. */
int cli_key_load(struct cli *c, const char *path, key_secret **k);

/* Create path (O_EXCL, mode 0644) holding buf, fsynced.  0 or -1. */
int cli_write_new(struct cli *c, const char *path, const void *buf, size_t len);

/* Read a whole file of at most max bytes into malloc'd *buf.  0 or -1. */
int cli_read_file(struct cli *c, const char *path, size_t max, uint8_t **buf, size_t *len);

/* Absolute, resolved form of an existing path into malloc'd *out (for
 * file names kept in the store).  0 or -1 after the error. */
int cli_abspath(struct cli *c, const char *path, char **out);

/* Current time (unix seconds). */
uint64_t cli_now(void);

/* Parse a duration "90s", "15m", "12h", "7d", "2w" into seconds. 0 or -1. */
int cli_duration(const char *s, uint64_t *out);

/* Send one control request to the daemon at c->socket, print the reply's
 * body on stdout and its message on stderr; returns the reply's exit code
 * (CLI_ERR if the daemon cannot be reached). */
int cli_ctl_run(struct cli *c, int verb, const char *const *args, size_t nargs);

/* list, delist, exclude, unexclude: build operations of type op_type
 * (enum blf_op_type) from the arguments or a file and publish them. */
int cli_publish(struct cli *c, unsigned op_type, int argc, char **argv);

/* Commands that talk to blfedd (one file each). */
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_peers(struct cli *c, int argc, char **argv);
int cmd_why(struct cli *c, int argc, char **argv);
int cmd_dispute(struct cli *c, int argc, char **argv);
int cmd_disputes(struct cli *c, int argc, char **argv);
int cmd_answer(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_delist(struct cli *c, int argc, char **argv);
int cmd_exclude(struct cli *c, int argc, char **argv);
int cmd_unexclude(struct cli *c, int argc, char **argv);
int cmd_origin(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_reload(struct cli *c, int argc, char **argv);
int cmd_announce(struct cli *c, int argc, char **argv);

/* Commands (one file each). */
int cmd_keygen(struct cli *c, int argc, char **argv);
int cmd_key(struct cli *c, int argc, char **argv);
int cmd_trust(struct cli *c, int argc, char **argv);
int cmd_help(struct cli *c, int argc, char **argv);
int cmd_version(struct cli *c, int argc, char **argv);
int cmd_verify_export(struct cli *c, int argc, char **argv);

/* Trust subcommands (dispatched from cmd_trust.c). */
int cmd_trust_add(struct cli *c, int argc, char **argv);
int cmd_trust_remove(struct cli *c, int argc, char **argv);
int cmd_trust_list(struct cli *c, int argc, char **argv);
int cmd_trust_show(struct cli *c, int argc, char **argv);
int cmd_trust_set(struct cli *c, int argc, char **argv);
int cmd_trust_check(struct cli *c, int argc, char **argv);
int cmd_trust_rotate(struct cli *c, int argc, char **argv);
int cmd_trust_apply(struct cli *c, int argc, char **argv);
int cmd_trust_revoke(struct cli *c, int argc, char **argv);

/* The command tables, for help. */
extern const struct cli_cmd cli_commands[];
extern const size_t cli_ncommands;
extern const struct cli_cmd cli_trust_commands[];
extern const size_t cli_ntrust_commands;

#define BLFED_VERSION_STRING "0.1"

#endif /* BLFED_CLI_H */
