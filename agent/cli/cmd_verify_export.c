/*
 * cmd_verify_export.c - `blfed verify-export DIR --key PUBKEYFILE`: check
 * what rsync brought, or an export directory itself (blfed-export.5).
 *
 * DIR is an export directory (the generation its symlink `current` names
 * is checked; a `current` that does not name a generation fails), a
 * generation directory, or a flat copy such as an rsync pull.
 * MANIFEST.sig must verify with the agent's public key over MANIFEST, and
 * every file the MANIFEST lists must have its size and SHA-256.  Exit 0 when
 * all holds, 1 when verification fails (a bad or missing signature, a
 * malformed MANIFEST, a missing or different file), 2 on a usage or system
 * error.
 */
#include <stdio.h>
#include <string.h>

#include "../export/export.h"
#include "cli.h"

#define VERIFY_USAGE "DIR --key PUBKEYFILE"

/*
 * Load the public key, verify, print one line.  0 verified, 1 failed, 2
 * usage or system error.
 */
int
cmd_verify_export(struct cli *c, int argc, char **argv)
{
	const char *key = NULL;
	struct cli_opt opts[] = {
		{ "--key", "-k", &key, NULL },
		{ NULL, NULL, NULL, NULL },
	};
	char *pos[CLI_MAX_POS], err[KEYS_ERRLEN + 256], t[KEYS_TIME_STRLEN];
	uint8_t pk[BLF_PK_LEN];
	export_verify_result res;
	int npos, rc;

	if (cli_getopt(c, argc, argv, opts, pos, &npos) != 0 ||
	    cli_nargs(c, npos, 1, 1, VERIFY_USAGE) != 0)
		return CLI_ERR;
	if (key == NULL) {
		cli_err(c, "--key PUBKEYFILE is required (the exporting agent's public key)");
		return CLI_ERR;
	}
	err[0] = '\0';
	if ((rc = key_public_load(key, pk, err, sizeof(err))) != BLF_OK) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return CLI_ERR;
	}
	err[0] = '\0';
	rc = export_verify(pos[0], pk, &res, err, sizeof(err));
	if (rc == BLF_EIO || rc == BLF_ENOMEM) {
		cli_err(c, "%s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		return CLI_ERR;
	}
	if (rc != BLF_OK) {
		if (rc == BLF_ECORRUPT && res.nbad > 1)
			cli_err(c, ngettext("%s: %s (and %zu more file)", "%s: %s (and %zu more files)",
					    res.nbad - 1), pos[0], err, res.nbad - 1);
		else
			cli_err(c, "%s: %s", pos[0], err[0] != '\0' ? err : _(blf_strerror(rc)));
		return CLI_NO;
	}
	trust_time_format(res.time, t);
	if (c->json) {
		printf("{\"dir\":");
		cli_json_str(stdout, pos[0]);
		printf(",\"ok\":true,\"serial\":%llu,\"time\":\"%s\",\"files\":%zu}\n",
		       (unsigned long long)res.serial, t, res.nfiles);
	} else {
		printf(_("%s: OK, serial %llu, %s, %zu files\n"), pos[0],
		       (unsigned long long)res.serial, t, res.nfiles);
	}
	return CLI_OK;
}
