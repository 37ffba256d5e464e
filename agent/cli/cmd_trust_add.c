/*
 * cmd_trust_add.c - `blfed trust add NAME KEY [options]`: a new anchor.
 *
 * KEY is a public key line ("blfed-ed25519 <keyid> <base64> comment", quoted
 * or not), a bare base64 key, or a file holding one.  Each option is the
 * store field of the same name and goes through trust_anchor_set(), so the
 * command accepts exactly what the file format accepts.  --scope-file and
 * --authority-file name a file of prefixes (blfed-trust.5), stored as an
 * absolute path.  --origin is needed
 * only for a partner that has rotated its key before we first trust it (its
 * origin id stays the key id of its first key; `blfed key show` prints it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define ADD_USAGE "NAME KEY-LINE|FILE [options]"

/*
 * Read KEY from pos (a file name, or a line possibly split over several
 * arguments).  0 or -1 after the error.
 */
static int
read_key(struct cli *c, char **pos, int npos, uint8_t pk[BLF_PK_LEN])
{
	char line[KEYS_PUBLIC_STRLEN + 64], err[KEYS_ERRLEN];
	size_t len = 0, n;
	int i, rc;

	err[0] = '\0';
	if (npos == 1 && access(pos[0], F_OK) == 0) {
		rc = key_public_load(pos[0], pk, err, sizeof(err));
	} else {
		line[0] = '\0';
		for (i = 0; i < npos; i++) {
			n = strlen(pos[i]);
			if (len + n + 2 > sizeof(line)) {
				cli_err(c, "public key line too long");
				return -1;
			}
			if (i > 0)
				line[len++] = ' ';
			memcpy(line + len, pos[i], n + 1);
			len += n;
		}
		rc = key_public_parse(line, pk, NULL, 0, err, sizeof(err));
	}
	if (rc != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return -1;
	}
	return 0;
}

/*
 * Add an anchor and save.  0 on success, 2 on any error (store unchanged).
 */
int
cmd_trust_add(struct cli *c, int argc, char **argv)
{
	const char *scope = NULL, *authority = NULL, *perms = NULL, *maxp = NULL;
	const char *weight = NULL, *expires = NULL, *rollover = NULL, *note = NULL;
	const char *origin = NULL, *scope_file = NULL, *authority_file = NULL;
	struct cli_opt opts[] = {
		{"--scope", NULL, &scope, NULL},
		{"--authority", NULL, &authority, NULL},
		{"--scope-file", NULL, &scope_file, NULL},
		{"--authority-file", NULL, &authority_file, NULL},
		{"--permissions", NULL, &perms, NULL},
		{"--max-prefix", NULL, &maxp, NULL},
		{"--weight", NULL, &weight, NULL},
		{"--expires", NULL, &expires, NULL},
		{"--rollover", NULL, &rollover, NULL},
		{"--note", NULL, &note, NULL},
		{"--origin", NULL, &origin, NULL},
		{NULL, NULL, NULL, NULL},
	};
	const struct {
		const char *field;
		const char **val;
	} fields[] = {
		{"permissions", &perms}, {"scope", &scope}, {"authority", &authority},
		{"max-prefix", &maxp}, {"weight", &weight}, {"expires", &expires},
		{"rollover", &rollover}, {"note", &note}, {"origin", &origin},
		{"scope-file", &scope_file}, {"authority-file", &authority_file},
	};
	char *abs[2] = {NULL, NULL};
	char *pos[CLI_MAX_POS];
	char err[KEYS_ERRLEN], hex[BLF_KEYID_HEX_LEN + 1];
	uint8_t pk[BLF_PK_LEN];
	trust_store st = {NULL, 0, NULL};
	trust_anchor a;
	size_t i;
	int npos, rc, ret = CLI_ERR;

	memset(&a, 0, sizeof(a));
	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 2, CLI_MAX_POS, ADD_USAGE) != 0)
		goto out;
	if (strlen(pos[0]) > KEYS_NAME_MAX) {
		cli_err(c, "name \"%.20s...\": longer than %d characters", pos[0],
			KEYS_NAME_MAX);
		goto out;
	}
	if (read_key(c, pos + 1, npos - 1, pk) != 0)
		goto out;
	if ((scope != NULL && scope_file != NULL) ||
	    (authority != NULL && authority_file != NULL)) {
		cli_err(c, "--%s and --%s-file: give one of them",
			scope != NULL && scope_file != NULL ? "scope" : "authority",
			scope != NULL && scope_file != NULL ? "scope" : "authority");
		goto out;
	}
	/* the store keeps absolute paths: they must not depend on our cwd */
	if ((scope_file != NULL && cli_abspath(c, scope_file, &abs[0]) != 0) ||
	    (authority_file != NULL && cli_abspath(c, authority_file, &abs[1]) != 0))
		goto out;
	if (abs[0] != NULL)
		scope_file = abs[0];
	if (abs[1] != NULL)
		authority_file = abs[1];
	trust_anchor_init(&a, pos[0], pk);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (*fields[i].val == NULL)
			continue;
		err[0] = '\0';
		rc = trust_anchor_set(&a, fields[i].field, *fields[i].val, err, sizeof(err));
		if (rc != BLF_OK) {
			cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
			goto out;
		}
	}
	if (cli_store_load(c, &st) != 0)
		goto out;
	err[0] = '\0';
	if ((rc = trust_store_add(&st, &a, err, sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		goto out;
	}
	if (cli_store_save(c, &st) != 0)
		goto out;
	blf_keyid_hex(a.keyid, hex);
	if (c->json) {
		printf("{\"added\":");
		cli_json_str(stdout, a.name);
		printf(",\"keyid\":\"%s\"}\n", hex);
	} else {
		printf(_("added anchor %s, key id %s\n"), a.name, hex);
	}
	ret = CLI_OK;
out:
	free(abs[0]);
	free(abs[1]);
	trust_anchor_clear(&a);
	trust_store_free(&st);
	return ret;
}
