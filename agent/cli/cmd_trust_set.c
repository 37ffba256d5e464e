/*
 * cmd_trust_set.c - `blfed trust set NAME FIELD VALUE...`: change one field
 * of an anchor.
 *
 * FIELD is any store field (blfed-trust.5) or `name` (rename); the values
 * are joined with blanks and parsed exactly as the store line "FIELD VALUE"
 * would be.  The edited store is checked as a whole (unique names, origins
 * and keys; no revoked key reused) before it is saved.  Setting `key`
 * replaces the current key, keeps the origin and forgets the rollover chain
 * (trust_anchor_rekey): this is how an administrator re-enables an anchor
 * whose current key was revoked or that a compromised revocation suspended.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SET_USAGE "NAME FIELD VALUE..."

/*
 * Set and save.  0 on success, 2 on any error (store unchanged).
 */
int
cmd_trust_set(struct cli *c, int argc, char **argv)
{
	char **pos = argv + 1;
	char err[KEYS_ERRLEN], *value = NULL, *abs = NULL;
	trust_store st = {NULL, 0, NULL};
	trust_anchor *a;
	size_t len = 0, n;
	int i, npos, rc, ret = CLI_ERR;

	/* No options: values such as "-1" or "--" are passed on verbatim, to be
	 * judged by the field's parser.  Any number of values (a scope of a
	 * hundred thousand prefixes is one argument list). */
	npos = argc - 1;
	if (cli_nargs(c, npos, 2, INT_MAX, SET_USAGE) != 0)
		goto out;
	for (i = 2; i < npos; i++)
		len += strlen(pos[i]) + 1;
	if ((value = malloc(len + 1)) == NULL) {
		cli_err(c, "out of memory");
		goto out;
	}
	value[0] = '\0';
	for (i = 2, len = 0; i < npos; i++) {
		n = strlen(pos[i]);
		if (i > 2)
			value[len++] = ' ';
		memcpy(value + len, pos[i], n + 1);
		len += n;
	}
	if ((strcmp(pos[1], "scope-file") == 0 || strcmp(pos[1], "authority-file") == 0) &&
	    value[0] != '\0') {
		/* the store keeps absolute paths: they must not depend on our cwd */
		if (cli_abspath(c, value, &abs) != 0)
			goto out;
		free(value);
		value = abs;
		abs = NULL;
	}
	if (cli_store_load(c, &st) != 0)
		goto out;
	if ((a = cli_anchor_mut(c, &st, pos[0])) == NULL)
		goto out;
	err[0] = '\0';
	if (strcmp(pos[1], "name") == 0) {
		if (npos != 3 || strlen(value) > KEYS_NAME_MAX || value[0] == '\0') {
			cli_err(c, "name: expected one name of 1 to %d characters",
				KEYS_NAME_MAX);
			goto out;
		}
		/* trust_store_add's rules: remove and add back under the new name */
		{
			trust_anchor copy;
			trust_store one = {a, 1, NULL};
			trust_store tmp = {NULL, 0, NULL};

			if (trust_store_copy(&one, &tmp) != BLF_OK) {
				cli_err(c, "out of memory");
				goto out;
			}
			copy = tmp.anchors[0];
			snprintf(copy.name, sizeof(copy.name), "%s", value);
			trust_store_remove(&st, pos[0]);
			rc = trust_store_add(&st, &copy, err, sizeof(err));
			trust_store_free(&tmp);
		}
	} else {
		/* a new current key is a re-key: it also ends the rollover chain */
		if (strcmp(pos[1], "key") == 0)
			rc = trust_anchor_rekey(a, value, err, sizeof(err));
		else
			rc = trust_anchor_set(a, pos[1], value, err, sizeof(err));
		if (rc == BLF_OK)
			rc = trust_store_check(&st, NULL, err, sizeof(err));
	}
	if (rc != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		goto out;
	}
	if (cli_store_save(c, &st) != 0)
		goto out;
	if (c->json) {
		printf("{\"name\":");
		cli_json_str(stdout, pos[0]);
		printf(",\"set\":");
		cli_json_str(stdout, pos[1]);
		printf("}\n");
	} else {
		printf(_("%s: %s set\n"), pos[0], pos[1]);
	}
	ret = CLI_OK;
out:
	free(value);
	trust_store_free(&st);
	return ret;
}
