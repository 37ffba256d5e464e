/*
 * blf_inject.c - a hostile peer for the integration tests: bind a PUB
 * socket, wait for a subscriber that stays (30 s at most: an agent under
 * load redials late, and an agent backing off from this peer accepts the
 * connection and closes it at once), and send either garbage or a delta
 * built and signed with any key, claiming any origin, seq and prev.
 *
 *   blf_inject -l URL -g N                     N malformed messages
 *   blf_inject -l URL -k KEY [-o ORIGIN] [-e EPOCH] [-s SEQ] [-p PREV]
 *              [-c CREATED] [-X] -P PREFIX [-n COUNT]
 *                                              a signed delta listing PREFIX;
 *                                              with -c the same arguments
 *                                              make the same bytes again (the
 *                                              signature is deterministic); -X
 *                                              flips the signature's last bit
 *   blf_inject -r SYNC-URL -k KEY -o ORIGIN [-e EPOCH] [-a AFTER] [-m MAX]
 *                                              one catch-up request; prints
 *                                              "status S deltas N bytes B more M"
 *                                              or "no answer" (exit 1)
 *
 * ORIGIN and PREV are hex (PREV "zero" or omitted: 32 zero bytes); the
 * origin defaults to the key's own.  The delta is built with protocol/,
 * so it is well-formed: only what the options make it claim is wrong.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/req.h>

#include "../../agent/ctl/ctl.h"
#include "../../keys/keys.h"

static atomic_int connected; /* live subscriber connections */

static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)arg;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_fetch_add(&connected, 1);
	else if (ev == NNG_PIPE_EV_REM_POST)
		atomic_fetch_sub(&connected, 1);
}

static void
nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
catchup(const char *url, const key_secret *k, const uint8_t origin[BLF_KEYID_LEN],
	uint32_t epoch, uint64_t after, uint32_t max)
{
	blf_catchup_req rq;
	blf_catchup_resp r;
	blf_buf out = {0};
	nng_socket s;
	nng_msg *m;

	memcpy(rq.origin, origin, BLF_KEYID_LEN);
	rq.epoch = epoch;
	rq.after_seq = after;
	rq.max = max;
	if (blf_catchup_req_seal(&rq, k->sk, &out) != BLF_OK || nng_req0_open(&s) != 0 ||
	    nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, BLF_MAX_MSG_SIZE) != 0 ||
	    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 3000) != 0 || nng_dial(s, url, NULL, 0) != 0 ||
	    nng_send(s, out.data, out.len, 0) != 0)
		return 2;
	blf_buf_free(&out);
	if (nng_recvmsg(s, &m, 0) != 0) {
		printf("no answer\n");
		return 1;
	}
	/* only the sizes matter here: decode without verifying the responder */
	{
		blf_envelope env;

		if (blf_envelope_parse(nng_msg_body(m), nng_msg_len(m), &env) != BLF_OK ||
		    blf_catchup_resp_decode_body(env.body, env.body_len, &r) != BLF_OK)
			return 2;
	}
	printf("status %u deltas %zu bytes %zu more %d\n", r.status, r.ndeltas, nng_msg_len(m),
	       r.more);
	blf_catchup_resp_free(&r);
	nng_msg_free(m);
	nng_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *sync = NULL, *keyf = NULL, *origin_s = NULL, *prev_s = NULL, *prefix_s = NULL;
	uint64_t seq = 1, epoch = 1, after = 0, max = BLF_MAX_CATCHUP_ASK;
	long garbage = -1, count = 1, i;
	uint64_t created = 0;
	int flip = 0;
	key_secret *k = NULL;
	nng_socket s;
	blf_delta d;
	blf_op op;
	blf_buf out = {0};
	char err[KEYS_ERRLEN];
	size_t n;
	int opt, waited;

	while ((opt = getopt(argc, argv, "l:r:a:m:g:k:o:e:s:p:P:n:c:X")) != -1) {
		switch (opt) {
		case 'l': url = optarg; break;
		case 'r': sync = optarg; break;
		case 'a': after = strtoull(optarg, NULL, 10); break;
		case 'm': max = strtoull(optarg, NULL, 10); break;
		case 'g': garbage = atol(optarg); break;
		case 'k': keyf = optarg; break;
		case 'o': origin_s = optarg; break;
		case 'e': epoch = strtoull(optarg, NULL, 10); break;
		case 's': seq = strtoull(optarg, NULL, 10); break;
		case 'p': prev_s = optarg; break;
		case 'P': prefix_s = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'c': created = strtoull(optarg, NULL, 10); break;
		case 'X': flip = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of blf_inject.c\n");
			return 2;
		}
	}
	if (blf_init() != BLF_OK)
		return 2;
	if (sync != NULL) {
		uint8_t origin[BLF_KEYID_LEN];

		if (keyf == NULL || origin_s == NULL ||
		    key_secret_load(keyf, &k, err, sizeof(err)) != BLF_OK ||
		    blf_keyid_parse(origin_s, strlen(origin_s), origin) != BLF_OK)
			return 2;
		opt = catchup(sync, k, origin, (uint32_t)epoch, after, (uint32_t)max);
		key_secret_free(k);
		return opt;
	}
	if (url == NULL)
		return 2;
	memset(&d, 0, sizeof(d));
	if (garbage < 0) {
		if (keyf == NULL || prefix_s == NULL ||
		    key_secret_load(keyf, &k, err, sizeof(err)) != BLF_OK) {
			fprintf(stderr, "blf_inject: need -k KEY and -P PREFIX\n");
			return 2;
		}
		memcpy(d.origin, k->origin, BLF_KEYID_LEN);
		if (origin_s != NULL && blf_keyid_parse(origin_s, strlen(origin_s), d.origin) != 0)
			return 2;
		if (prev_s != NULL && strcmp(prev_s, "zero") != 0 &&
		    (ctl_hex_decode(prev_s, strlen(prev_s), d.prev, sizeof(d.prev), &n) != 0 ||
		     n != BLF_HASH_LEN))
			return 2;
		d.epoch = (uint32_t)epoch;
		d.seq = seq;
		d.created = created != 0 ? created : (uint64_t)time(NULL);
		memset(&op, 0, sizeof(op));
		op.type = BLF_OP_LIST;
		op.reason = 1;
		op.expires = d.created + 7 * 86400;
		if (blf_prefix_parse(prefix_s, strlen(prefix_s), 0, &op.prefix) != BLF_OK)
			return 2;
		d.nops = 1;
		d.ops = &op;
		if (blf_delta_seal(&d, k->sk, &out) != BLF_OK) {
			fprintf(stderr, "blf_inject: cannot seal\n");
			return 2;
		}
		if (flip)
			out.data[out.len - 1] ^= 1; /* the envelope ends with the signature */
	}
	if (nng_pub0_open(&s) != 0 || nng_socket_set_int(s, NNG_OPT_SENDBUF, 8192) != 0 ||
	    nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, pipe_cb, NULL) != 0 ||
	    nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, pipe_cb, NULL) != 0 ||
	    nng_listen(s, url, NULL, 0) != 0) {
		fprintf(stderr, "blf_inject: cannot listen on %s\n", url);
		return 2;
	}
	/* a subscriber, still there once its subscription has travelled */
	for (waited = 0; waited < 30000; waited += 50) {
		if (atomic_load(&connected) > 0) {
			nap(300);
			waited += 300;
			if (atomic_load(&connected) > 0)
				break;
		}
		nap(50);
	}
	for (i = 0; garbage >= 0 && i < garbage; i++) {
		uint8_t junk[64];
		size_t j;

		for (j = 0; j < sizeof(junk); j++)
			junk[j] = (uint8_t)rand();
		junk[0] = 0x95; /* looks like an envelope, is not one */
		nng_send(s, junk, sizeof(junk), 0);
	}
	for (i = 0; garbage < 0 && i < count; i++)
		nng_send(s, out.data, out.len, 0);
	nap(500);
	nng_close(s);
	blf_buf_free(&out);
	key_secret_free(k);
	printf("sent\n");
	return waited < 30000 ? 0 : 1;
}
