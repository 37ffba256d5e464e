/*
 * blf_probe.c - measuring tool for the federation benchmark
 * (tests/bench/federation.sh).
 *
 *   blf_probe -c CTL -f FEED -n N        propagation: publish N one-listing
 *                                        deltas through the control socket
 *                                        CTL and time each until it shows on
 *                                        FEED (an agent relays a delta only
 *                                        once it applied it); prints p50/p99;
 *                                        with BLF_PROBE_SLOW=MS each delta
 *                                        slower than MS goes to stderr with
 *                                        the wall-clock time it arrived
 *   blf_probe -c CTL -L OPS -b BATCH -t SECS [-N TOTAL]
 *                                        background load: publish OPS
 *                                        listings per second in deltas of
 *                                        BATCH operations for SECS seconds
 *                                        (or until TOTAL were published)
 *
 * Feed messages are decoded without verifying signatures: the agents did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>

#include "../../agent/ctl/ctl.h"
#include "../bench/bench_util.h"

static int
publish(const char *ctl, const char *const *ops, size_t n)
{
	ctl_buf req = {0};
	uint8_t *rep = NULL;
	size_t len;
	char err[128];
	int rc;

	if (ctl_req_encode(CTL_PUBLISH, 0, ops, n, &req) != BLF_OK)
		return -1;
	rc = ctl_call(ctl, &req, 30000, &rep, &len, err, sizeof(err));
	if (rc != BLF_OK)
		fprintf(stderr, "blf_probe: %s\n", err);
	else if (len < 11 || memcmp(rep, "blfctl 1 0\n", 11) != 0)
		rc = -1;
	free(rep);
	ctl_buf_free(&req);
	return rc == BLF_OK ? 0 : -1;
}

static void
nap(double secs)
{
	struct timespec ts;

	if (secs <= 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static long total_max;

static int
load(const char *ctl, long ops, long batch, double secs)
{
	char **lines = calloc((size_t)batch, sizeof(*lines));
	double start = bench_now(), next = start, per = (double)batch / (double)ops;
	long i, round = 0, sent = 0;
	int rc = 1;

	if (lines == NULL)
		return 1;
	for (i = 0; i < batch; i++)
		if ((lines[i] = malloc(64)) == NULL)
			goto out;
	while (bench_now() - start < secs && (total_max == 0 || sent < total_max)) {
		for (i = 0; i < batch; i++) {
			long k = (round * batch + i) % 4000000;

			snprintf(lines[i], 64, "list %ld.%ld.%ld.%ld/32 1 86400", 100 + (k >> 24 & 15),
				 k >> 16 & 255, k >> 8 & 255, k & 255);
		}
		if (publish(ctl, (const char *const *)lines, (size_t)batch) != 0)
			goto out;
		sent += batch;
		round++;
		next += per;
		nap(next - bench_now());
	}
	printf("load: %ld operations in %.1f s (%.0f/s)\n", sent, bench_now() - start,
	       (double)sent / (bench_now() - start));
	rc = 0;
out:
	for (i = 0; i < batch; i++)
		free(lines[i]);
	free(lines);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *ctl = NULL, *feed = NULL;
	long n = 100, ops = 0, batch = 1000;
	double secs = 10, *lat;
	double slow = getenv("BLF_PROBE_SLOW") != NULL ? atof(getenv("BLF_PROBE_SLOW")) : 0;
	nng_socket s;
	int opt, i, got;

	while ((opt = getopt(argc, argv, "c:f:n:L:b:t:N:")) != -1) {
		switch (opt) {
		case 'c': ctl = optarg; break;
		case 'f': feed = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'L': ops = atol(optarg); break;
		case 'b': batch = atol(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'N': total_max = atol(optarg); break;
		default: return 2;
		}
	}
	if (ctl == NULL || blf_init() != BLF_OK)
		return 2;
	if (ops > 0)
		return load(ctl, ops, batch, secs);
	if (feed == NULL || n <= 0)
		return 2;
	if (nng_sub0_open(&s) != 0 || nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0) != 0 ||
	    nng_socket_set_int(s, NNG_OPT_RECVBUF, 8192) != 0 ||
	    nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, BLF_MAX_DELTA_SIZE) != 0 ||
	    nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 5000) != 0 || nng_dial(s, feed, NULL, 0) != 0)
		return 2;
	nap(0.5);
	lat = calloc((size_t)n, sizeof(*lat));
	for (i = 0; i < n; i++) {
		char line[96];
		const char *one[1] = {line};
		blf_prefix want;
		double t0;

		snprintf(line, sizeof(line), "list 192.0.2.%d/32 1 3600 probe %d", i % 250, i);
		blf_prefix_parse(line + 5, strcspn(line + 5, " "), 0, &want);
		t0 = bench_now();
		if (publish(ctl, one, 1) != 0)
			return 1;
		for (got = 0; !got;) {
			nng_msg *m;
			blf_envelope env;
			blf_delta d;

			if (nng_recvmsg(s, &m, 0) != 0) {
				fprintf(stderr, "blf_probe: delta %d never arrived\n", i);
				return 1;
			}
			if (blf_envelope_parse(nng_msg_body(m), nng_msg_len(m), &env) == BLF_OK &&
			    env.type == BLF_MSG_DELTA &&
			    blf_delta_decode_body(env.body, env.body_len, &d) == BLF_OK) {
				const char *ref = strstr(line, "probe");

				got = d.nops == 1 && blf_prefix_cmp(&d.ops[0].prefix, &want) == 0 &&
				      d.ops[0].ref_len == strlen(ref) &&
				      memcmp(d.ops[0].ref, ref, d.ops[0].ref_len) == 0;
				blf_delta_free(&d);
			}
			nng_msg_free(m);
		}
		lat[i] = (bench_now() - t0) * 1000;
		if (slow > 0 && lat[i] >= slow) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			fprintf(stderr, "blf_probe: delta %d took %.2f ms, arrived at %lld.%03ld\n", i,
				lat[i], (long long)ts.tv_sec, ts.tv_nsec / 1000000);
		}
	}
	qsort(lat, (size_t)n, sizeof(*lat), bench_dcmp);
	printf("propagation: n %ld p50 %.2f ms p99 %.2f ms max %.2f ms\n", n, lat[n / 2],
	       lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], lat[n - 1]);
	free(lat);
	nng_close(s);
	return 0;
}
