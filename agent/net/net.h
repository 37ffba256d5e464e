/*
 * net.h - the federation transport: pub/sub of deltas, heads and key
 * statements, relay, anti-entropy (heads + catch-up over req/rep), per-peer
 * state, counters and backoff (SPEC 5.4, 6, 12).
 *
 * Socket roles (SPEC 12): one PUB socket bound on every `listen` URL, on
 * which we publish our own deltas, every delta we applied (relay), signed
 * heads, and rollover/revocation statements; per configured peer one SUB
 * socket dialled to the peer's PUB URL and one REQ socket dialled to its
 * sync URL (catch-up, snapshots); one REP socket bound on every
 * `sync-listen` URL serving catch-up and snapshot requests of configured
 * peers.
 *
 * Heads go out every heads interval, soon after a change of ours, and
 * soon after a new subscriber connects to our PUB socket (at most once a
 * second): a partner that (re)starts learns what we hold at once and
 * catches up, instead of waiting for the next interval.
 *
 * Snapshots (SPEC 6.8, 12.4): a peer that answers a catch-up request with
 * status 2 (compacted) is asked for the snapshot it keeps of the origin,
 * one chunk per request; each chunk is verified as it comes and written
 * to a file in the data directory (core_spool), and the whole is applied
 * from that file as the origin's base, and catch-up continues after it.
 * Every heads interval the origins whose compaction waits for a snapshot
 * (core_snapshot_needed) get one: our own is made (core_snapshot_keep),
 * another origin's is fetched from a peer and kept, so that this agent
 * can serve it in turn.
 *
 * Threads: nng runs its own threads, but this module is driven from the
 * caller's poll loop only (net_pollfds, net_process, net_next_timeout): the
 * core is touched from the calling thread alone.  The pipe-event callbacks
 * that nng calls from its threads only update atomic connection counts.
 *
 * Everything that arrives is checked by protocol/ and the core before it
 * changes anything; rejections are counted per peer, per origin and per
 * outcome and logged once per peer and outcome per NET_LOG_INTERVAL_MS.
 */
#ifndef BLF_NET_H
#define BLF_NET_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

#define NET_MAX_PEERS 256          /* configured peers */
#define NET_MAX_LISTEN 16          /* listen / sync-listen URLs */
#define NET_URL_MAX 256            /* bytes of a URL, NUL included */
#define NET_PATH_MAX 1024          /* bytes of a TLS file name, NUL included */
#define NET_QUEUE_MAX 8192         /* nng's largest queue depth (16384 is EINVAL) */
#define NET_QUEUE_DEFAULT 8192     /* measured: no loss up to ~80k msg/s of 1 KiB */
#define NET_SUB_MAXSZ BLF_MAX_DELTA_SIZE /* a delta is the largest pub/sub message */
#define NET_REQ_MAXSZ BLF_MAX_MSG_SIZE   /* a catch-up response */
#define NET_REP_MAXSZ 1024u        /* a catch-up request is ~150 bytes */
#define NET_SERVE_MAX_BYTES (4u << 20) /* delta bytes in one served response */
#define NET_SERVE_CHUNK 16u        /* deltas copied out of the core at a time */
/* Catch-up budget per peer (serve-rate, serve-burst): the burst holds a
 * million operations of deltas (about 65 MB in deltas of 1000), so that a
 * peer that missed that many catches up without waiting for its budget; at
 * 8 MiB/s and 32 MiB the budget alone took 4-6 s, in whole seconds of
 * rationing (BENCHMARKS.md "Federation on loopback"). */
#define NET_SERVE_RATE_DEFAULT (16u << 20)
#define NET_SERVE_BURST_DEFAULT (64u << 20)
#define NET_BATCH 256u             /* live deltas applied under one fsync */
#define NET_MAX_WANTS 64u          /* pending catch-up wishes per peer */
#define NET_GARBAGE_MAX 50u        /* malformed messages tolerated per window */
#define NET_GARBAGE_WINDOW_MS 10000u
#define NET_BACKOFF_MIN_MS 1000u   /* first disconnect of a garbage peer */
#define NET_BACKOFF_MAX_MS 300000u
/* A peer that stays clean this long after a disconnect starts again from
 * NET_BACKOFF_MIN_MS at its next one. */
#define NET_BACKOFF_FORGET_MS (2u * NET_BACKOFF_MAX_MS)
/* Connections the net keeps track of (peers' SUB and REQ, subscribers of
 * our PUB, clients of our REP): beyond it a connection is refused. */
#define NET_MAX_CONNS (4u * NET_MAX_PEERS + 256u)
/* net_close waits this long for the connections it cut to be gone before
 * it closes the sockets. */
#define NET_CLOSE_WAIT_MS 2000u
#define NET_LOG_INTERVAL_MS 600000u /* one log line per peer and outcome */
#define NET_RETRY_MS 1000u         /* wait before asking a busy peer again */
#define NET_HEADS_SOON_MS 200u     /* heads after a change, at the earliest */
#define NET_HEADS_CONNECT_MS 1000u /* heads for a new subscriber, at most this often */
#define NET_SEEN_STATEMENTS 256u   /* statement hashes remembered for relay */
/* Live deltas held lately, by envelope hash (SPEC 5.4: the hash the journal
 * keeps): the copies that the other peers of a mesh relay are dropped by
 * hash before any signature check or decoding.  4096 x 48 bytes; a delta
 * pushed out of it is still recognised by the core, only at full cost. */
#define NET_SEEN_DELTAS 4096u
#define NET_KEPT_STATEMENTS 64u    /* statements republished now and then */
#define NET_MAX_STATEMENT 1024u    /* a rollover is 227 bytes, a revocation 127 */
#define NET_RESTATE_EVERY 10u      /* republish kept statements every 10th heads */
/* Bytes of snapshot chunks one fetch may gather before it is applied: the
 * chunks go to a file in the data directory as they come (core_spool), and
 * are applied from it one at a time (10 M listings with 45-byte references
 * are about 600 MB of chunks). */
#define NET_SNAP_MAX_BYTES (1ull << 30)
#define NET_SNAP_NEEDED_MAX 64u    /* origins looked at per snapshot round */

/* Counters kept per peer and per origin. */
enum net_counter {
	NET_C_RECEIVED = 0, /* messages received (live and catch-up deltas) */
	NET_C_APPLIED,      /* deltas applied */
	NET_C_RELAYED,      /* deltas and statements republished */
	NET_C_DUPLICATE,    /* duplicates and stale deltas (not re-sent) */
	NET_C_REJECTED,     /* refused, by outcome in rejected[] */
	NET_C_DROPPED,      /* deltas found missing (gaps) */
	NET_C_SERVED,       /* deltas served by catch-up */
	NET_C_FETCHED,      /* deltas fetched by catch-up */
	NET_C_HEADS,        /* heads received */
	NET_C_DISCONNECTS,  /* disconnects for garbage */
	NET_C_SNAP_SERVED,  /* snapshots served (their last chunk sent) */
	NET_C_SNAP_FETCHED, /* snapshots fetched, verified and applied or kept */
	NET_C_MAX
};

typedef struct net_counters {
	uint64_t c[NET_C_MAX];
	uint64_t rejected[BLF_ERR_MAX]; /* by BLF_E* outcome */
} net_counters;

/* Log sink: prio is a syslog priority; msg one line without newline. */
typedef void (*net_log_fn)(void *ctx, int prio, const char *msg);

/* Key statement sink: verify and apply a rollover/revocation envelope
 * under the store transaction; return BLF_OK, BLF_ESTALE (already known),
 * BLF_EPOLICY (verified, refused by local policy) or another code. */
typedef int (*net_statement_fn)(void *ctx, const uint8_t *msg, size_t len, char *err,
				size_t errlen);

typedef struct net_peer_conf {
	char name[KEYS_NAME_MAX + 1];
	char pub_url[NET_URL_MAX];   /* the peer's PUB: we dial our SUB to it */
	char sync_url[NET_URL_MAX];  /* the peer's REP: we dial our REQ to it */
	uint8_t pk[BLF_PK_LEN];      /* the peer agent's key (heads, catch-up) */
} net_peer_conf;

typedef struct net_config {
	char listen[NET_MAX_LISTEN][NET_URL_MAX];      /* PUB */
	size_t nlisten;
	char sync_listen[NET_MAX_LISTEN][NET_URL_MAX]; /* REP */
	size_t nsync;
	net_peer_conf peers[NET_MAX_PEERS];
	size_t npeers;
	uint32_t queue_depth;        /* PUB send and SUB receive queues */
	uint32_t heads_interval_ms;  /* periodic heads */
	uint32_t catchup_timeout_ms; /* give up on a catch-up request */
	uint32_t redial_min_ms;      /* nng reconnect backoff */
	uint32_t redial_max_ms;
	uint64_t serve_rate;         /* catch-up bytes per second per peer */
	uint64_t serve_burst;        /* catch-up bytes a peer may take at once */
	char tls_cert[NET_PATH_MAX]; /* PEM cert + key for tls+tcp:// (empty: none) */
	char tls_ca[NET_PATH_MAX];   /* PEM CA for verifying the other side */
	net_log_fn log;
	net_statement_fn statement;
	void *ctx;                   /* passed to log and statement */
} net_config;

typedef struct net net;

/* What status shows of one peer. */
typedef struct net_peer_info {
	const char *name;
	const char *pub_url;
	const char *sync_url;
	const char *state;   /* "connected", "connecting", "backoff" */
	int pipes;           /* live SUB connections (0 or 1) */
	uint64_t backoff_ms; /* remaining backoff */
	net_counters cnt;
} net_peer_info;

/* What status shows of one origin. */
typedef struct net_origin_info {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t seen_epoch; /* newest head announced by a peer */
	uint64_t seen_seq;
	net_counters cnt;
} net_origin_info;

/*
 * Create the sockets, bind the listen URLs and start dialling the peers
 * (non-blocking: a peer that is down is redialled with backoff).  c and key
 * stay owned by the caller and must outlive the net (see net_set_key).
 * Returns 0, or -1 after logging why (a URL that does not bind, a TLS file
 * that does not load).
 */
int net_open(const net_config *cfg, core *c, const key_secret *key, uint64_t now_ms,
	     net **out);

/* Close every socket (pending sends are dropped); NULL is fine. */
void net_close(net *n);

/* Replace the agent key used to sign heads and catch-up (after a reload). */
void net_set_key(net *n, const key_secret *key);

/*
 * Whether going from settings a to settings b needs the transport closed
 * and opened again: the listen, sync-listen and peer URLs, the peers' keys,
 * TLS files, queue depth and redial backoff (fixed when a socket or dialer
 * is made).  The other settings are applied in place by net_tune; the
 * callbacks (log, statement, ctx) are not compared.
 */
int net_config_reopen(const net_config *a, const net_config *b);

/*
 * Apply the settings of cfg that need no reopen: heads interval, catch-up
 * timeout, serve rate and burst.  A shorter heads interval takes effect
 * from now_ms (the next heads are not left an old, longer interval away).
 */
void net_tune(net *n, const net_config *cfg, uint64_t now_ms);

/* Fill fds (capacity cap) with the descriptors to poll for input. */
size_t net_pollfds(net *n, struct pollfd *fds, size_t cap);

/*
 * Handle every ready socket and every due timer.  fds is what poll() filled
 * (as returned by net_pollfds).  Returns 0, or -1 on a fatal core error
 * (BLF_EIO: the caller must stop and restart).
 */
int net_process(net *n, const struct pollfd *fds, size_t nfds, uint64_t now_ms);

/* Milliseconds until the next timer (heads, fetch timeout, redial). */
uint64_t net_next_timeout(const net *n, uint64_t now_ms);

/* Publish a message of ours (a delta from core_publish, or a statement) on
 * the PUB socket and schedule heads.  0 or -1. */
int net_publish(net *n, const uint8_t *msg, size_t len, uint64_t now_ms);

/* Mark a verified statement as seen: it is not relayed again when it comes
 * back, and it is kept (the last NET_KEPT_STATEMENTS of them) and
 * republished with every NET_RESTATE_EVERY-th heads, so that an agent that
 * was away when it was announced still receives it. */
void net_seen(net *n, const uint8_t *msg, size_t len);

/* Inspection for status and metrics; index i below the count. */
size_t net_npeers(const net *n);
void net_peer_get(const net *n, size_t i, uint64_t now_ms, net_peer_info *info);
size_t net_norigins(const net *n);
void net_origin_get(const net *n, size_t i, net_origin_info *info);

/* Before binding an ipc:// URL: remove a socket file left by a process
 * that died (nobody accepts on it).  Returns 0, or -1 if a live process
 * owns it.  Other URLs: 0. */
int net_ipc_unstale(const char *url);

/* The SPEC 3.6 outcome name of a code, as logs, status and metrics show
 * it; rejected[] counts each outcome in the slot of the lowest code that
 * carries its name. */
const char *net_outcome_name(int rc);

#endif /* BLF_NET_H */
