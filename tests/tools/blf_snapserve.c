/*
 * blf_snapserve.c - a hostile peer that serves snapshots, for the
 * integration tests (tests/integration/snapshot.sh).
 *
 *   blf_snapserve -l PUB-URL -r SYNC-URL -k AGENT-KEY -o ORIGIN -e EPOCH
 *                 -s SEQ -f SNAPFILE -m MODE [-t SECS]
 *
 * It plays a configured peer (AGENT-KEY is the key its partners know it
 * by): every 300 ms it publishes signed heads saying it holds ORIGIN at
 * (EPOCH, SEQ); it answers every catch-up request with status 2 (compacted:
 * "fetch my snapshot"), and every snapshot request with a chunk of the
 * snapshot in SNAPFILE (a kept snapshot file, log/<hex>.snap, of any
 * origin: its chunks are validly signed by whoever made them), changed as
 * MODE says:
 *
 *   asis      the chunk asked for, unchanged (with another origin's file:
 *             a validly signed snapshot of the wrong origin)
 *   truncate  chunks 1 and later cut to half their length
 *   forge     chunk 1 with one byte of its signature flipped
 *   repeat    chunk 0 whatever chunk is asked for (a chunk set with one
 *             chunk twice and the others missing)
 *
 * It runs for SECS seconds (default 60) and prints the number of snapshot
 * requests it answered.  Requests are decoded without verifying them: a
 * hostile peer does not care who asks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/rep.h>

#include "../../keys/keys.h"

#define MAX_CHUNKS 4096u

static uint8_t *chunk[MAX_CHUNKS];
static size_t clen[MAX_CHUNKS], nchunk;

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read a kept snapshot file ("BLFSNAP1", epoch, seq, nchunks, then length
 * and envelope of each chunk). */
static int
load(const char *path)
{
	uint8_t h[24], l[4];
	FILE *f = fopen(path, "rb");
	uint32_t n, i;

	if (f == NULL || fread(h, 1, sizeof(h), f) != sizeof(h) || memcmp(h, "BLFSNAP1", 8) != 0)
		return -1;
	n = get32(h + 20);
	if (n == 0 || n > MAX_CHUNKS)
		return -1;
	for (i = 0; i < n; i++) {
		if (fread(l, 1, 4, f) != 4 || get32(l) > BLF_MAX_MSG_SIZE)
			return -1;
		clen[i] = get32(l);
		if ((chunk[i] = malloc(clen[i])) == NULL ||
		    fread(chunk[i], 1, clen[i], f) != clen[i])
			return -1;
	}
	nchunk = n;
	fclose(f);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The chunk to send for a request of chunk `want`, as mode changes it. */
static void
answer(nng_socket rep, const char *mode, uint32_t want)
{
	uint32_t i = want < nchunk ? want : 0;
	size_t len = clen[i];
	uint8_t *b;

	if (strcmp(mode, "repeat") == 0)
		i = 0, len = clen[0];
	if ((b = malloc(clen[i])) == NULL)
		return;
	memcpy(b, chunk[i], clen[i]);
	if (strcmp(mode, "truncate") == 0 && i >= 1)
		len = clen[i] / 2;
	if (strcmp(mode, "forge") == 0 && i == 1)
		b[clen[i] - 1] ^= 0x01; /* the envelope ends with the signature */
	(void)nng_send(rep, b, len, 0);
	free(b);
}

int
main(int argc, char **argv)
{
	const char *pub_url = NULL, *sync_url = NULL, *keyf = NULL, *origin_s = NULL,
		   *file = NULL, *mode = "asis";
	uint64_t epoch = 1, seq = 1, secs = 60, until, next_heads = 0, served = 0;
	char err[KEYS_ERRLEN];
	key_secret *k = NULL;
	blf_head head;
	nng_socket pub, rep;
	int opt;

	memset(&head, 0, sizeof(head));
	while ((opt = getopt(argc, argv, "l:r:k:o:e:s:f:m:t:")) != -1) {
		switch (opt) {
		case 'l': pub_url = optarg; break;
		case 'r': sync_url = optarg; break;
		case 'k': keyf = optarg; break;
		case 'o': origin_s = optarg; break;
		case 'e': epoch = strtoull(optarg, NULL, 10); break;
		case 's': seq = strtoull(optarg, NULL, 10); break;
		case 'f': file = optarg; break;
		case 'm': mode = optarg; break;
		case 't': secs = strtoull(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: see the comment at the top of blf_snapserve.c\n");
			return 2;
		}
	}
	if (pub_url == NULL || sync_url == NULL || keyf == NULL || origin_s == NULL ||
	    file == NULL || blf_init() != BLF_OK ||
	    blf_keyid_parse(origin_s, strlen(origin_s), head.origin) != BLF_OK ||
	    key_secret_load(keyf, &k, err, sizeof(err)) != BLF_OK || load(file) != 0) {
		fprintf(stderr, "blf_snapserve: bad arguments or unreadable files\n");
		return 2;
	}
	head.epoch = (uint32_t)epoch;
	head.seq = seq;
	if (nng_pub0_open(&pub) != 0 || nng_listen(pub, pub_url, NULL, 0) != 0 ||
	    nng_rep0_open(&rep) != 0 || nng_socket_set_size(rep, NNG_OPT_RECVMAXSZ, 4096) != 0 ||
	    nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 50) != 0 ||
	    nng_listen(rep, sync_url, NULL, 0) != 0) {
		fprintf(stderr, "blf_snapserve: cannot listen\n");
		return 2;
	}
	until = now_ms() + secs * 1000u;
	while (now_ms() < until) {
		blf_envelope env;
		nng_msg *m;

		if (now_ms() >= next_heads) {
			blf_heads hs = { 0 };
			blf_buf out = { 0 };

			hs.created = (uint64_t)time(NULL);
			hs.nheads = 1;
			hs.heads = &head;
			if (blf_heads_seal(&hs, k->sk, &out) == BLF_OK)
				(void)nng_send(pub, out.data, out.len, NNG_FLAG_NONBLOCK);
			blf_buf_free(&out);
			next_heads = now_ms() + 300;
		}
		if (nng_recvmsg(rep, &m, 0) != 0)
			continue;
		if (blf_envelope_parse(nng_msg_body(m), nng_msg_len(m), &env) != BLF_OK) {
			nng_msg_free(m);
			continue;
		}
		if (env.type == BLF_MSG_SNAPSHOT_REQ) {
			blf_snapshot_req rq;

			if (blf_snapshot_req_decode_body(env.body, env.body_len, &rq) == BLF_OK) {
				answer(rep, mode, rq.seq == 0 ? 0 : rq.chunk);
				served++;
			}
		} else if (env.type == BLF_MSG_CATCHUP_REQ) {
			blf_catchup_req rq;
			blf_catchup_resp r;
			blf_buf out = { 0 };

			memset(&r, 0, sizeof(r));
			if (blf_catchup_req_decode_body(env.body, env.body_len, &rq) == BLF_OK) {
				memcpy(r.origin, rq.origin, BLF_KEYID_LEN);
				r.epoch = rq.epoch;
				r.after_seq = rq.after_seq;
				r.status = BLF_CATCHUP_COMPACTED;
				if (blf_catchup_resp_seal(&r, k->sk, &out) == BLF_OK)
					(void)nng_send(rep, out.data, out.len, 0);
				blf_buf_free(&out);
			}
		}
		nng_msg_free(m);
	}
	nng_close(pub);
	nng_close(rep);
	key_secret_free(k);
	printf("%llu snapshot requests answered\n", (unsigned long long)served);
	return 0;
}
