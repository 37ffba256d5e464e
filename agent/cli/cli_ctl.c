/*
 * cli_ctl.c - the CLI side of the control socket: one request, one reply
 * (agent/ctl/ctl.h).  The daemon formats the output, plain or JSON Lines,
 * and says which exit code the command ends with; a socket given as a bare
 * path is taken as ipc://PATH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../ctl/ctl.h"

/* Send one request and print the reply; returns the exit code the daemon chose. */
int
cli_ctl_run(struct cli *c, int verb, const char *const *args, size_t nargs)
{
	char url[1024], err[256];
	ctl_buf req = {0};
	uint8_t *reply = NULL;
	const char *msg, *body;
	size_t len, msglen, bodylen;
	int rc, code, ret = CLI_ERR;

	if (c->socket[0] == '/')
		snprintf(url, sizeof(url), "ipc://%s", c->socket);
	else
		snprintf(url, sizeof(url), "%s", c->socket);
	if ((rc = ctl_req_encode_lang(verb, c->json, blf_i18n_request_lang(), args, nargs,
				      &req)) != BLF_OK) {
		cli_err(c, "request: %s", _(blf_strerror(rc)));
		goto out;
	}
	err[0] = '\0';
	if (ctl_call(url, &req, CTL_TIMEOUT_MS, &reply, &len, err, sizeof(err)) != BLF_OK) {
		cli_err(c, "cannot reach blfedd at %s: %s", url, err);
		goto out;
	}
	if (ctl_reply_decode(reply, len, &code, &msg, &msglen, &body, &bodylen) != BLF_OK) {
		cli_err(c, "malformed reply from blfedd");
		goto out;
	}
	if (bodylen > 0)
		fwrite(body, 1, bodylen, stdout);
	fflush(stdout);
	if (msglen > 0)
		cli_err(c, "%.*s", (int)msglen, msg);
	ret = code;
out:
	ctl_buf_free(&req);
	free(reply);
	return ret;
}
