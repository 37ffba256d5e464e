/*
 * net.c - sockets, peers, relay, heads and catch-up (net.h).
 *
 * Life of a message received on a peer's SUB socket:
 *   envelope parsed (SPEC 3.3) -> by type:
 *   delta      -> batched, core_apply_batch (one fsync per batch), then for
 *                 each: applied -> republished unchanged on our PUB; gap ->
 *                 a catch-up wish for that peer; duplicate/stale -> counted,
 *                 never re-sent (the core compares (origin, epoch, seq,
 *                 hash)), so a mesh with cycles does not loop;
 *   heads      -> verified with the peer's own key; each origin we carry
 *                 that the peer holds further becomes a catch-up wish;
 *   statement  -> handed to the statement callback (store transaction),
 *                 relayed once when verified;
 *   otherwise  -> rejected ("unexpected message type").
 * Catch-up wishes are served one at a time per peer over its REQ socket;
 * responses are verified with the peer's key and each carried delta goes
 * through the core as if it had arrived alone (SPEC 6.4).  The REP socket
 * answers configured peers only, within a per-peer token bucket.
 *
 * Snapshots (SPEC 6.8, 12.4).  A fetch gathers one origin's chunks from
 * one peer, a request per chunk: chunk 0 of the newest snapshot the peer
 * keeps (seq 0), then chunks 1 .. nchunks-1 of that one (its seq).  Each
 * reply is checked for shape (a snapshot chunk envelope of the origin,
 * the chunk asked for, the same snapshot as chunk 0) as it comes; the
 * signatures and the whole set are checked by the core when the last one
 * is in, and nothing changes before.  A responder that replaced its kept
 * snapshot meanwhile answers with chunk 0 of the new one, and the fetch
 * starts over from it.  While a fetch runs, the peer's catch-up wishes
 * wait; catch-up of the origin continues after the snapshot's seq.
 * The REP side reads the chunk from the kept file and sends the envelope
 * as it is: it is the origin's signature, not ours, that the requester
 * checks.
 */
#include <dirent.h>
#include <errno.h>
#include <libintl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "net.h"

/* Whose pipe events a callback gets: a socket of the net, and for a peer's
 * SUB and REQ sockets the peer's index. */
enum conn_kind { CONN_SUB, CONN_REQ, CONN_PUB, CONN_REP };

struct pipe_owner {
	struct net *n;
	int peer;                     /* index in n->peers, or -1 */
	enum conn_kind kind;
};

/* A connection of one of our sockets, from its ADD_PRE to its REM_POST
 * event: what finds its descriptor when it must be cut (conn_cut). */
struct conn {
	uint32_t pipe;                /* nng pipe id; 0: a free slot */
	int peer;
	enum conn_kind kind;
	int started;                  /* ADD_POST seen: it carries messages */
	nng_sockaddr local, remote;
};

struct want {
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;
	uint64_t after;  /* ask for seq > after */
	uint64_t target; /* seq announced (0: unknown) */
	uint32_t max;
};

/* One snapshot being gathered from a peer. */
struct snapfetch {
	int active;
	int keep;         /* a refresh for compaction (kept only), not a bootstrap */
	uint8_t origin[BLF_KEYID_LEN];
	uint32_t epoch;   /* the lowest epoch asked for; chunk 0's once it came */
	uint64_t seq;     /* 0 until chunk 0 came */
	uint32_t next;    /* the chunk to ask for */
	uint32_t nchunks;
	core_spool *spool; /* the chunks so far, verified, in a file */
	uint64_t bytes;
	uint64_t asked;   /* ms of the last request that went out, or of the
			   * first that could not (0: none yet) */
};

struct logslot {
	uint64_t last;       /* ms of the last line */
	uint64_t suppressed; /* lines not written since */
};

struct peer {
	net_peer_conf conf;
	uint8_t keyid[BLF_KEYID_LEN];
	nng_socket sub;
	nng_socket req;
	int sub_ok, req_ok;
	int subfd, reqfd;
	struct pipe_owner sub_owner, req_owner;
	atomic_int pipes;             /* started SUB connections (conn_lock) */
	net_counters cnt;
	/* garbage and backoff */
	uint64_t garbage;             /* malformed messages in this window */
	uint64_t garbage_since;
	uint64_t backoff_ms;          /* next backoff length */
	uint64_t backoff_until;       /* muted until then (0: not backing off) */
	uint64_t last_cut;            /* ms of the last disconnect for garbage */
	int logged_pipes;             /* connections as last logged (debug) */
	/* catch-up */
	struct want wants[NET_MAX_WANTS];
	size_t nwants;
	int pending;                  /* a request is outstanding */
	int pending_snap;             /* ... and it is a snapshot request */
	struct snapfetch snap;
	struct want cur;
	uint64_t pending_until;
	uint64_t fetch_after;         /* do not ask before this time */
	/* serving */
	double tokens;
	uint64_t tokens_at;
	struct logslot log[BLF_ERR_MAX];
};

struct origin_stat {
	net_origin_info info;
};

/* A delta held (applied, or found a duplicate by the core): its envelope
 * hash and origin (for the counters). */
struct seen_delta {
	uint8_t hash[BLF_HASH_LEN];
	uint8_t origin[BLF_KEYID_LEN];
};

struct net {
	net_config cfg;
	core *core;
	const key_secret *key;
	nng_socket pub, rep;
	int pub_ok, rep_ok;
	int repfd;
	nng_tls_config *tls_server, *tls_client;
	struct pipe_owner pub_owner, rep_owner;
	pthread_mutex_t conn_lock;         /* conns and the peers' pipes, from nng's threads */
	int conn_lock_ok;
	atomic_int closing;                /* net_close: every new connection is refused */
	atomic_int subscribed;             /* a subscriber came on our feed since last seen */
	int wakefd;                        /* eventfd: wakes the poll loop for it */
	uint64_t heads_sent;               /* ms our heads went out last */
	struct conn *conns;                /* NET_MAX_CONNS */
	struct peer *peers;
	size_t npeers;
	struct logslot anon_log[BLF_ERR_MAX]; /* requests from unknown agents */
	struct origin_stat *origins;
	size_t norigins, corigins;
	uint64_t heads_due;
	uint8_t seen[NET_SEEN_STATEMENTS][BLF_HASH_LEN];
	size_t nseen;
	struct seen_delta *dseen;          /* NET_SEEN_DELTAS, by hash */
	uint8_t *kept[NET_KEPT_STATEMENTS]; /* statements republished with heads */
	size_t keptlen[NET_KEPT_STATEMENTS];
	size_t nkept;
	uint64_t nheads;                   /* heads sent */
	uint64_t snap_due;                 /* next look at core_snapshot_needed */
	size_t snap_rr;                    /* the peer asked last for a kept snapshot */
};

static void garbage_add(struct peer *p, uint64_t now);

/* ---- logging -------------------------------------------------------------- */

static void
nlog(net *n, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
nlog(net *n, int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (n->cfg.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), dgettext("blfed", fmt), ap); /* agent/po catalogs */
	va_end(ap);
	n->cfg.log(n->cfg.ctx, prio, line);
}

/* The outcome name that logs and metrics use for a BLF_E* code (static). */
const char *
net_outcome_name(int rc)
{
	return blf_outcome_name(rc);
}

/*
 * Several codes share one SPEC 3.6 outcome name (ETRUNC, EMSGPACK and
 * ETRAILING are all "malformed"): counters and log slots are kept per
 * outcome, in the slot of the lowest code that has the name, so that
 * status, metrics and the rate limit each see an outcome once.
 */
static int
outcome_slot(int rc)
{
	const char *name;
	int r;

	if (rc <= 0 || rc >= BLF_ERR_MAX)
		rc = BLF_EINVAL;
	name = blf_outcome_name(rc);
	for (r = 1; r < rc; r++)
		if (strcmp(blf_outcome_name(r), name) == 0)
			return r;
	return rc;
}

/* The SPEC section that a rejection cites. */
static const char *
spec_section(int rc)
{
	switch (rc) {
	case BLF_ETOOBIG:
		return "9";
	case BLF_ETRUNC:
	case BLF_ETRAILING:
	case BLF_EMSGPACK:
	case BLF_ENONCANON:
	case BLF_EDEPTH:
	case BLF_ETYPE:
	case BLF_EFIELDS:
	case BLF_ESIZE:
	case BLF_ESTRING:
		return "3.1";
	case BLF_EVERSION:
	case BLF_EUNKTYPE:
	case BLF_EWRONGTYPE:
	case BLF_EUNKKEY:
	case BLF_EBADSIG:
	case BLF_EKEYID:
		return "3.3";
	case BLF_EGAP:
	case BLF_EPREV:
	case BLF_ESTALE:
	case BLF_EDUPLICATE:
		return "5.4";
	case BLF_EEQUIVOCATION:
	case BLF_EFROZEN:
		return "5.5";
	case BLF_ECLOCK:
	case BLF_EEPOCH:
		return "5.3";
	case BLF_EITEM:
		return "6.4";
	case BLF_EREVOKED:
		return "6.7";
	case BLF_EEXPIREDKEY:
	case BLF_ECOUNTERSIG:
		return "6.6";
	default:
		return "5.2";
	}
}

/* A peer speaks garbage when the bytes themselves are wrong. */
static int
is_garbage(int rc)
{
	switch (rc) {
	case BLF_ETOOBIG:
	case BLF_ETRUNC:
	case BLF_ETRAILING:
	case BLF_EMSGPACK:
	case BLF_ENONCANON:
	case BLF_EDEPTH:
	case BLF_ETYPE:
	case BLF_EFIELDS:
	case BLF_ESIZE:
	case BLF_EBADSIG:
	case BLF_EKEYID:
	case BLF_ESTRING:
	case BLF_EWRONGTYPE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Log a rejection once per peer and outcome per NET_LOG_INTERVAL_MS; the
 * next line says how many were suppressed in between.
 */
static void
log_reject(net *n, struct logslot *slots, const char *who, int rc, uint64_t now,
	   const char *what)
{
	struct logslot *s;

	s = &slots[outcome_slot(rc)];
	if (s->last != 0 && now - s->last < NET_LOG_INTERVAL_MS) {
		s->suppressed++;
		return;
	}
	if (s->suppressed > 0)
		nlog(n, LOG_NOTICE, "peer %s: SPEC %s: %s: %s (%s; %llu more since the last "
		     "report)", who, spec_section(rc), what, net_outcome_name(rc), blf_strerror(rc),
		     (unsigned long long)s->suppressed);
	else
		nlog(n, LOG_NOTICE, "peer %s: SPEC %s: %s: %s (%s)", who, spec_section(rc), what,
		     net_outcome_name(rc), blf_strerror(rc));
	s->last = now;
	s->suppressed = 0;
}

/* ---- origins -------------------------------------------------------------- */

static struct origin_stat *
origin_find(net *n, const uint8_t origin[BLF_KEYID_LEN], int create)
{
	struct origin_stat *o;
	size_t i;

	for (i = 0; i < n->norigins; i++)
		if (memcmp(n->origins[i].info.origin, origin, BLF_KEYID_LEN) == 0)
			return &n->origins[i];
	if (!create || n->norigins >= CORE_MAX_ORIGINS)
		return NULL;
	/* only origins of the trust store get a slot: memory stays bounded */
	if (trust_store_find_origin(core_trust(n->core), origin) == NULL)
		return NULL;
	if (n->norigins == n->corigins) {
		size_t cap = n->corigins > 0 ? 2 * n->corigins : 16;

		if ((o = realloc(n->origins, cap * sizeof(*o))) == NULL)
			return NULL;
		n->origins = o;
		n->corigins = cap;
	}
	o = &n->origins[n->norigins++];
	memset(o, 0, sizeof(*o));
	memcpy(o->info.origin, origin, BLF_KEYID_LEN);
	return o;
}

static void
count(net *n, struct peer *p, const uint8_t *origin, int which, uint64_t k)
{
	struct origin_stat *o;

	if (p != NULL)
		p->cnt.c[which] += k;
	if (origin != NULL && (o = origin_find(n, origin, 1)) != NULL)
		o->info.cnt.c[which] += k;
}

static void
count_reject(net *n, struct peer *p, const uint8_t *origin, int rc)
{
	struct origin_stat *o;

	rc = outcome_slot(rc);
	if (p != NULL) {
		p->cnt.c[NET_C_REJECTED]++;
		p->cnt.rejected[rc]++;
	}
	if (origin != NULL && (o = origin_find(n, origin, 0)) != NULL) {
		o->info.cnt.c[NET_C_REJECTED]++;
		o->info.cnt.rejected[rc]++;
	}
}

/* ---- sockets -------------------------------------------------------------- */

/*
 * Connections are never closed through nng while they may carry messages.
 * nng 1.5.2 (Debian 12) closes a pipe from the caller's thread; when a
 * receive of the TCP transport has completed but its callback has not yet
 * run, that callback then restarts the receive on an aio already stopped,
 * which never completes: the pipe's teardown waits for it for ever on
 * nng's single reaper thread, and with the reaper stopped no later pipe of
 * the process is removed, so no dialer redials after any disconnect and
 * nng_close() hangs.  A peer streaming garbage while we close it hits that
 * window often (line.sh's hostile peer, about one run in ten).
 *
 * So a connection is cut under nng instead (conn_cut): shutdown(2) of its
 * descriptor makes the transport's own next read fail, and nng closes the
 * pipe from its receive path, the way it does when the remote side goes;
 * the dialer then redials by itself, as it does after any disconnect.  A
 * pipe that has not started yet (ADD_PRE) carries nothing and may be
 * closed: that is how every connection is refused while the net closes.
 * Dialers and sockets are only closed by net_close, after their
 * connections are cut.  (A peer backing off is not refused: refused, its
 * dialer would redial at once, again and again; it is muted instead, see
 * check_garbage.)
 *
 * The connections are recorded from ADD_PRE to REM_POST, with their
 * addresses: the descriptor is found by them (conn_cut).  An ipc://
 * connection cannot be told apart by its addresses and is not cut.
 */
static struct conn *
conn_find(net *n, uint32_t id)
{
	size_t i;

	for (i = 0; i < NET_MAX_CONNS; i++)
		if (n->conns[i].pipe == id)
			return &n->conns[i];
	return NULL;
}

static void
pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct pipe_owner *o = arg;
	net *n = o->n;
	struct conn *c;
	uint32_t id = nng_pipe_id(pipe) > 0 ? (uint32_t)nng_pipe_id(pipe) : 0;

	if (id == 0)
		return;
	pthread_mutex_lock(&n->conn_lock);
	switch (ev) {
	case NNG_PIPE_EV_ADD_PRE:
		/* not started: refusing it cannot race with a receive */
		if (atomic_load(&n->closing) || (c = conn_find(n, 0)) == NULL) {
			pthread_mutex_unlock(&n->conn_lock);
			nng_pipe_close(pipe);
			return;
		}
		memset(c, 0, sizeof(*c));
		c->pipe = id;
		c->peer = o->peer;
		c->kind = o->kind;
		if (nng_pipe_get_addr(pipe, NNG_OPT_LOCADDR, &c->local) != 0)
			c->local.s_family = NNG_AF_UNSPEC;
		if (nng_pipe_get_addr(pipe, NNG_OPT_REMADDR, &c->remote) != 0)
			c->remote.s_family = NNG_AF_UNSPEC;
		break;
	case NNG_PIPE_EV_ADD_POST:
		if ((c = conn_find(n, id)) != NULL && !c->started) {
			c->started = 1;
			if (c->kind == CONN_SUB)
				atomic_fetch_add(&n->peers[c->peer].pipes, 1);
			if (c->kind == CONN_PUB && n->wakefd >= 0) {
				/* a (re)started partner learns our heads now,
				 * not at the next interval (net_process) */
				uint64_t one = 1;

				atomic_store(&n->subscribed, 1);
				if (write(n->wakefd, &one, sizeof(one)) < 0) {
					/* EAGAIN: a wake-up is pending already */
				}
			}
		}
		break;
	case NNG_PIPE_EV_REM_POST:
		/* also after an ADD_PRE that was not followed by ADD_POST */
		if ((c = conn_find(n, id)) != NULL) {
			if (c->started && c->kind == CONN_SUB)
				atomic_fetch_sub(&n->peers[c->peer].pipes, 1);
			memset(c, 0, sizeof(*c));
		}
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&n->conn_lock);
}

/* Do an nng address and a kernel one name the same endpoint? */
static int
addr_same(const nng_sockaddr *a, const struct sockaddr_storage *k)
{
	if (a->s_family == NNG_AF_INET && k->ss_family == AF_INET) {
		const struct sockaddr_in *v = (const struct sockaddr_in *)(const void *)k;

		return a->s_in.sa_port == v->sin_port &&
		       a->s_in.sa_addr == v->sin_addr.s_addr;
	}
	if (a->s_family == NNG_AF_INET6 && k->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v = (const struct sockaddr_in6 *)(const void *)k;

		return a->s_in6.sa_port == v->sin6_port &&
		       memcmp(a->s_in6.sa_addr, v->sin6_addr.s6_addr, 16) == 0;
	}
	return 0;
}

/*
 * Cut the connections of peer's sockets of this kind (peer -1 and kind -1:
 * every connection of the net), see above.  Returns how many descriptors
 * were shut down.  The descriptors are nng's: they are shut down, never
 * closed.
 */
static size_t
conn_cut(net *n, int peer, int kind)
{
	struct { nng_sockaddr local, remote; } *want;
	struct sockaddr_storage la, ra;
	socklen_t len;
	struct dirent *e;
	size_t nw = 0, cut = 0, i;
	DIR *d;
	int fd;

	if ((want = calloc(NET_MAX_CONNS, sizeof(*want))) == NULL)
		return 0;
	pthread_mutex_lock(&n->conn_lock);
	for (i = 0; i < NET_MAX_CONNS; i++) {
		const struct conn *c = &n->conns[i];

		if (c->pipe != 0 && (peer < 0 || c->peer == peer) &&
		    (kind < 0 || (int)c->kind == kind) &&
		    (c->local.s_family == NNG_AF_INET || c->local.s_family == NNG_AF_INET6)) {
			want[nw].local = c->local;
			want[nw++].remote = c->remote;
		}
	}
	pthread_mutex_unlock(&n->conn_lock);
	if (nw == 0 || (d = opendir("/proc/self/fd")) == NULL)
		goto out;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || (fd = atoi(e->d_name)) == dirfd(d))
			continue;
		len = sizeof(la);
		if (getsockname(fd, (struct sockaddr *)&la, &len) != 0)
			continue; /* not a socket */
		len = sizeof(ra);
		if (getpeername(fd, (struct sockaddr *)&ra, &len) != 0)
			continue; /* not connected */
		for (i = 0; i < nw; i++)
			if (addr_same(&want[i].local, &la) && addr_same(&want[i].remote, &ra)) {
				if (shutdown(fd, SHUT_RDWR) == 0)
					cut++;
				break;
			}
	}
	closedir(d);
out:
	free(want);
	return cut;
}

/* Connections that conn_cut can cut, recorded and not yet removed. */
static size_t
conn_count(net *n)
{
	size_t i, k = 0;

	pthread_mutex_lock(&n->conn_lock);
	for (i = 0; i < NET_MAX_CONNS; i++)
		k += n->conns[i].pipe != 0 && (n->conns[i].local.s_family == NNG_AF_INET ||
					       n->conns[i].local.s_family == NNG_AF_INET6);
	pthread_mutex_unlock(&n->conn_lock);
	return k;
}

/* Follow a socket's pipe events on behalf of o. */
static int
pipe_notify(nng_socket s, struct pipe_owner *o)
{
	int rv;

	if ((rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_PRE, pipe_cb, o)) != 0 ||
	    (rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, pipe_cb, o)) != 0 ||
	    (rv = nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, pipe_cb, o)) != 0)
		return rv;
	return 0;
}

static int
is_tls(const char *url)
{
	return strncmp(url, "tls+", 4) == 0;
}

static int
tls_setup(net *n)
{
	int rv;

	if (n->cfg.tls_cert[0] == '\0' && n->cfg.tls_ca[0] == '\0')
		return 0;
	if ((rv = nng_tls_config_alloc(&n->tls_server, NNG_TLS_MODE_SERVER)) != 0 ||
	    (rv = nng_tls_config_alloc(&n->tls_client, NNG_TLS_MODE_CLIENT)) != 0) {
		nlog(n, LOG_ERR, "tls: %s", nng_strerror(rv));
		return -1;
	}
	if (n->cfg.tls_cert[0] != '\0') {
		if ((rv = nng_tls_config_cert_key_file(n->tls_server, n->cfg.tls_cert, NULL)) != 0 ||
		    (rv = nng_tls_config_cert_key_file(n->tls_client, n->cfg.tls_cert, NULL)) != 0) {
			nlog(n, LOG_ERR, "tls-cert %s: %s", n->cfg.tls_cert, nng_strerror(rv));
			return -1;
		}
	}
	if (n->cfg.tls_ca[0] != '\0') {
		if ((rv = nng_tls_config_ca_file(n->tls_server, n->cfg.tls_ca)) != 0 ||
		    (rv = nng_tls_config_ca_file(n->tls_client, n->cfg.tls_ca)) != 0) {
			nlog(n, LOG_ERR, "tls-ca %s: %s", n->cfg.tls_ca, nng_strerror(rv));
			return -1;
		}
		/* both sides present certificates from the federation's CA */
		nng_tls_config_auth_mode(n->tls_server, NNG_TLS_AUTH_MODE_REQUIRED);
		nng_tls_config_auth_mode(n->tls_client, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		nng_tls_config_auth_mode(n->tls_client, NNG_TLS_AUTH_MODE_NONE);
	}
	return 0;
}

/* Remove a dead ipc:// socket file before binding; see net.h. */
int
net_ipc_unstale(const char *url)
{
	struct sockaddr_un sa;
	struct stat st;
	const char *path;
	int fd, rc;

	if (strncmp(url, "ipc://", 6) != 0)
		return 0;
	path = url + 6;
	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0)
		return -1; /* somebody answers: not ours to remove */
	if (errno == ECONNREFUSED)
		unlink(path);
	return 0;
}

static int
listen_url(net *n, nng_socket s, const char *url)
{
	nng_listener l;
	int rv;

	if (net_ipc_unstale(url) != 0) {
		nlog(n, LOG_ERR, "listen %s: in use by another process", url);
		return -1;
	}

	if ((rv = nng_listener_create(&l, s, url)) != 0)
		goto fail;
	if (is_tls(url)) {
		if (n->tls_server == NULL) {
			nlog(n, LOG_ERR, "listen %s: tls+tcp:// needs tls-cert", url);
			return -1;
		}
		if ((rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, n->tls_server)) != 0)
			goto fail;
	}
	if ((rv = nng_listener_start(l, 0)) != 0)
		goto fail;
	return 0;
fail:
	nlog(n, LOG_ERR, "listen %s: %s", url, nng_strerror(rv));
	return -1;
}

static int
dial_url(net *n, nng_socket s, const char *url)
{
	nng_dialer d;
	int rv;

	if ((rv = nng_dialer_create(&d, s, url)) != 0)
		goto fail_log;
	if (is_tls(url)) {
		if (n->tls_client == NULL) {
			nlog(n, LOG_ERR, "dial %s: tls+tcp:// needs tls-ca or tls-cert", url);
			nng_dialer_close(d);
			return -1;
		}
		if ((rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, n->tls_client)) != 0)
			goto fail;
	}
	/* non-blocking: a peer that is down is redialled by nng, between
	 * redial-min and redial-max apart, for as long as the socket lives */
	if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0)
		goto fail;
	return 0;
fail:
	nng_dialer_close(d); /* not started: no connection yet */
fail_log:
	nlog(n, LOG_ERR, "dial %s: %s", url, nng_strerror(rv));
	return -1;
}

static int
sock_common(net *n, nng_socket s, size_t maxsz, const char *what)
{
	int rv;

	if ((rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, maxsz)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_RECONNMINT, (nng_duration)n->cfg.redial_min_ms)) != 0 ||
	    (rv = nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, (nng_duration)n->cfg.redial_max_ms)) != 0) {
		nlog(n, LOG_ERR, "%s socket: %s", what, nng_strerror(rv));
		return -1;
	}
	return 0;
}

static int
recvfd(net *n, nng_socket s, int *fd)
{
	int rv;

	if ((rv = nng_socket_get_int(s, NNG_OPT_RECVFD, fd)) != 0) {
		nlog(n, LOG_ERR, "recv-fd: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

static int
peer_open(net *n, struct peer *p)
{
	int rv;

	blf_keyid(p->conf.pk, p->keyid);
	atomic_init(&p->pipes, 0);
	p->sub_owner = (struct pipe_owner){n, (int)(p - n->peers), CONN_SUB};
	p->req_owner = (struct pipe_owner){n, (int)(p - n->peers), CONN_REQ};
	p->backoff_ms = NET_BACKOFF_MIN_MS;
	p->tokens = (double)n->cfg.serve_burst;
	if ((rv = nng_sub0_open(&p->sub)) != 0) {
		nlog(n, LOG_ERR, "peer %s: sub: %s", p->conf.name, nng_strerror(rv));
		return -1;
	}
	p->sub_ok = 1;
	if (sock_common(n, p->sub, NET_SUB_MAXSZ, "sub") != 0)
		return -1;
	/* SPEC 12: subscribe to everything; messages carry no topic prefix */
	if ((rv = nng_socket_set(p->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0 ||
	    (rv = nng_socket_set_int(p->sub, NNG_OPT_RECVBUF, (int)n->cfg.queue_depth)) != 0 ||
	    (rv = pipe_notify(p->sub, &p->sub_owner)) != 0) {
		nlog(n, LOG_ERR, "peer %s: sub options: %s", p->conf.name, nng_strerror(rv));
		return -1;
	}
	if (recvfd(n, p->sub, &p->subfd) != 0)
		return -1;
	if (dial_url(n, p->sub, p->conf.pub_url) != 0)
		return -1;
	if ((rv = nng_req0_open(&p->req)) != 0) {
		nlog(n, LOG_ERR, "peer %s: req: %s", p->conf.name, nng_strerror(rv));
		return -1;
	}
	p->req_ok = 1;
	if (sock_common(n, p->req, NET_REQ_MAXSZ, "req") != 0)
		return -1;
	/* we time requests out ourselves; nng must not resend them */
	if ((rv = nng_socket_set_ms(p->req, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
	    (rv = pipe_notify(p->req, &p->req_owner)) != 0) {
		nlog(n, LOG_ERR, "peer %s: req options: %s", p->conf.name, nng_strerror(rv));
		return -1;
	}
	if (recvfd(n, p->req, &p->reqfd) != 0)
		return -1;
	if (dial_url(n, p->req, p->conf.sync_url) != 0)
		return -1;
	return 0;
}

/* Create and bind every socket; see net.h.  On error nothing is left open. */
int
net_open(const net_config *cfg, core *c, const key_secret *key, uint64_t now_ms, net **out)
{
	net *n;
	size_t i;
	int rv;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	n->cfg = *cfg;
	if (n->cfg.queue_depth == 0 || n->cfg.queue_depth > NET_QUEUE_MAX)
		n->cfg.queue_depth = NET_QUEUE_DEFAULT;
	n->core = c;
	n->key = key;
	n->repfd = -1;
	if ((n->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(n);
		return -1;
	}
	if (pthread_mutex_init(&n->conn_lock, NULL) != 0) {
		close(n->wakefd);
		free(n);
		return -1;
	}
	n->conn_lock_ok = 1;
	atomic_init(&n->closing, 0);
	n->pub_owner = (struct pipe_owner){n, -1, CONN_PUB};
	n->rep_owner = (struct pipe_owner){n, -1, CONN_REP};
	if ((n->dseen = calloc(NET_SEEN_DELTAS, sizeof(*n->dseen))) == NULL ||
	    (n->conns = calloc(NET_MAX_CONNS, sizeof(*n->conns))) == NULL)
		goto fail;
	n->heads_due = now_ms + NET_HEADS_SOON_MS;
	n->snap_due = now_ms + n->cfg.heads_interval_ms;
	if (tls_setup(n) != 0)
		goto fail;
	if ((rv = nng_pub0_open(&n->pub)) != 0) {
		nlog(n, LOG_ERR, "pub: %s", nng_strerror(rv));
		goto fail;
	}
	n->pub_ok = 1;
	if (sock_common(n, n->pub, 64, "pub") != 0)
		goto fail;
	if ((rv = nng_socket_set_int(n->pub, NNG_OPT_SENDBUF, (int)n->cfg.queue_depth)) != 0 ||
	    (rv = pipe_notify(n->pub, &n->pub_owner)) != 0) {
		nlog(n, LOG_ERR, "pub send-buffer %u: %s", n->cfg.queue_depth, nng_strerror(rv));
		goto fail;
	}
	for (i = 0; i < cfg->nlisten; i++)
		if (listen_url(n, n->pub, cfg->listen[i]) != 0)
			goto fail;
	if ((rv = nng_rep0_open(&n->rep)) != 0) {
		nlog(n, LOG_ERR, "rep: %s", nng_strerror(rv));
		goto fail;
	}
	n->rep_ok = 1;
	if (sock_common(n, n->rep, NET_REP_MAXSZ, "rep") != 0 || recvfd(n, n->rep, &n->repfd) != 0)
		goto fail;
	if ((rv = pipe_notify(n->rep, &n->rep_owner)) != 0) {
		nlog(n, LOG_ERR, "rep: %s", nng_strerror(rv));
		goto fail;
	}
	for (i = 0; i < cfg->nsync; i++)
		if (listen_url(n, n->rep, cfg->sync_listen[i]) != 0)
			goto fail;
	/* before the first connection can come: pipe_cb looks at the peers */
	if (cfg->npeers > 0 && (n->peers = calloc(cfg->npeers, sizeof(*n->peers))) == NULL)
		goto fail;
	for (i = 0; i < cfg->npeers; i++) {
		n->peers[i].conf = cfg->peers[i];
		n->npeers++;
		if (peer_open(n, &n->peers[i]) != 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	net_close(n);
	return -1;
}

/* Forget a snapshot fetch and free what it gathered. */
static void
snap_clear(struct snapfetch *f)
{
	core_spool_free(f->spool);
	memset(f, 0, sizeof(*f));
}

/* Close every socket and free the net; NULL is fine. */
void
net_close(net *n)
{
	size_t i;

	if (n == NULL)
		return;
	if (n->conns != NULL) {
		/* refuse what comes now, cut what is there, and close the
		 * sockets once nng has let the connections go (see conn_cut):
		 * closing them under a live connection can hang nng_close() */
		struct timespec ts = {0, 10 * 1000000L};
		unsigned waited;

		atomic_store(&n->closing, 1);
		(void)conn_cut(n, -1, -1);
		for (waited = 0; waited < NET_CLOSE_WAIT_MS && conn_count(n) > 0; waited += 10)
			nanosleep(&ts, NULL);
	}
	for (i = 0; i < n->npeers; i++) {
		snap_clear(&n->peers[i].snap);
		if (n->peers[i].sub_ok)
			nng_close(n->peers[i].sub);
		if (n->peers[i].req_ok)
			nng_close(n->peers[i].req);
	}
	if (n->pub_ok)
		nng_close(n->pub);
	if (n->rep_ok)
		nng_close(n->rep);
	for (i = 0; i < NET_KEPT_STATEMENTS; i++)
		free(n->kept[i]);
	if (n->tls_server != NULL)
		nng_tls_config_free(n->tls_server);
	if (n->tls_client != NULL)
		nng_tls_config_free(n->tls_client);
	free(n->peers);
	free(n->origins);
	free(n->dseen);
	free(n->conns);
	if (n->conn_lock_ok)
		pthread_mutex_destroy(&n->conn_lock);
	if (n->wakefd >= 0)
		close(n->wakefd);
	free(n);
}

/* Sign from now on with key (owned by the caller). */
void
net_set_key(net *n, const key_secret *key)
{
	n->key = key;
}

/* See net.h. */
int
net_config_reopen(const net_config *a, const net_config *b)
{
	size_t i;

	if (a->nlisten != b->nlisten || a->nsync != b->nsync || a->npeers != b->npeers ||
	    a->queue_depth != b->queue_depth || a->redial_min_ms != b->redial_min_ms ||
	    a->redial_max_ms != b->redial_max_ms || strcmp(a->tls_cert, b->tls_cert) != 0 ||
	    strcmp(a->tls_ca, b->tls_ca) != 0)
		return 1;
	for (i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return 1;
	for (i = 0; i < a->nsync; i++)
		if (strcmp(a->sync_listen[i], b->sync_listen[i]) != 0)
			return 1;
	for (i = 0; i < a->npeers; i++)
		if (strcmp(a->peers[i].name, b->peers[i].name) != 0 ||
		    strcmp(a->peers[i].pub_url, b->peers[i].pub_url) != 0 ||
		    strcmp(a->peers[i].sync_url, b->peers[i].sync_url) != 0 ||
		    memcmp(a->peers[i].pk, b->peers[i].pk, BLF_PK_LEN) != 0)
			return 1;
	return 0;
}

/* See net.h. */
void
net_tune(net *n, const net_config *cfg, uint64_t now_ms)
{
	n->cfg.heads_interval_ms = cfg->heads_interval_ms;
	n->cfg.catchup_timeout_ms = cfg->catchup_timeout_ms;
	n->cfg.serve_rate = cfg->serve_rate;
	n->cfg.serve_burst = cfg->serve_burst;
	if (n->heads_due > now_ms + cfg->heads_interval_ms)
		n->heads_due = now_ms + cfg->heads_interval_ms;
	if (n->snap_due > now_ms + cfg->heads_interval_ms)
		n->snap_due = now_ms + cfg->heads_interval_ms;
}

/* The receive descriptors to poll; returns how many were written. */
size_t
net_pollfds(net *n, struct pollfd *fds, size_t cap)
{
	size_t k = 0, i;

	if (k < cap)
		fds[k++] = (struct pollfd){.fd = n->wakefd, .events = POLLIN};
	if (k < cap && n->repfd >= 0)
		fds[k++] = (struct pollfd){.fd = n->repfd, .events = POLLIN};
	for (i = 0; i < n->npeers && k + 2 <= cap; i++) {
		fds[k++] = (struct pollfd){.fd = n->peers[i].subfd, .events = POLLIN};
		fds[k++] = (struct pollfd){.fd = n->peers[i].reqfd, .events = POLLIN};
	}
	return k;
}

/* ---- relay and publish -------------------------------------------------- */

static void dseen_add(net *n, const uint8_t hash[BLF_HASH_LEN],
		      const uint8_t origin[BLF_KEYID_LEN]);

static void
pub_send(net *n, const uint8_t *msg, size_t len)
{
	/* pub never blocks: a slow subscriber loses messages, heads repair it */
	(void)nng_send(n->pub, (void *)(uintptr_t)msg, len, NNG_FLAG_NONBLOCK);
}

static int
seen_check_add(net *n, const uint8_t *msg, size_t len)
{
	blf_envelope env;
	uint8_t h[BLF_HASH_LEN];
	size_t i, lim;

	if (blf_envelope_parse(msg, len, &env) != BLF_OK)
		return 1;
	blf_envelope_hash(&env, h);
	lim = n->nseen < NET_SEEN_STATEMENTS ? n->nseen : NET_SEEN_STATEMENTS;
	for (i = 0; i < lim; i++)
		if (memcmp(n->seen[i], h, BLF_HASH_LEN) == 0)
			return 1;
	memcpy(n->seen[n->nseen % NET_SEEN_STATEMENTS], h, BLF_HASH_LEN);
	n->nseen++;
	if (len <= NET_MAX_STATEMENT) {
		size_t k = n->nkept % NET_KEPT_STATEMENTS;
		uint8_t *copy = malloc(len);

		if (copy != NULL) {
			memcpy(copy, msg, len);
			free(n->kept[k]);
			n->kept[k] = copy;
			n->keptlen[k] = len;
			n->nkept++;
		}
	}
	return 0;
}

/* Remember a statement so that it is not relayed when it comes back. */
void
net_seen(net *n, const uint8_t *msg, size_t len)
{
	(void)seen_check_add(n, msg, len);
}

static void
heads_soon(net *n, uint64_t now)
{
	if (n->heads_due > now + NET_HEADS_SOON_MS)
		n->heads_due = now + NET_HEADS_SOON_MS;
}

/* Send one of our messages on the feed and schedule heads. */
int
net_publish(net *n, const uint8_t *msg, size_t len, uint64_t now_ms)
{
	blf_envelope env;
	blf_delta d;

	if (blf_envelope_parse(msg, len, &env) == BLF_OK && env.type == BLF_MSG_DELTA &&
	    blf_delta_decode_body(env.body, env.body_len, &d) == BLF_OK) {
		uint8_t h[BLF_HASH_LEN];

		count(n, NULL, d.origin, NET_C_RELAYED, 1);
		blf_envelope_hash(&env, h);
		dseen_add(n, h, d.origin); /* its copies relayed back are dropped */
		blf_delta_free(&d);
	}
	pub_send(n, msg, len);
	heads_soon(n, now_ms);
	return 0;
}

/* ---- catch-up wishes ------------------------------------------------------ */

static void
want_add(struct peer *p, const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch, uint64_t after,
	 uint64_t target, uint32_t max)
{
	size_t i;

	for (i = 0; i < p->nwants; i++) {
		struct want *w = &p->wants[i];

		if (memcmp(w->origin, origin, BLF_KEYID_LEN) != 0)
			continue;
		if (epoch > w->epoch || (epoch == w->epoch && target > w->target)) {
			w->epoch = epoch;
			w->target = target;
		}
		if (epoch == w->epoch && after < w->after)
			w->after = after;
		if (max > w->max)
			w->max = max;
		return;
	}
	if (p->nwants == NET_MAX_WANTS)
		return; /* heads will ask again */
	memcpy(p->wants[p->nwants].origin, origin, BLF_KEYID_LEN);
	p->wants[p->nwants].epoch = epoch;
	p->wants[p->nwants].after = after;
	p->wants[p->nwants].target = target;
	p->wants[p->nwants].max = max;
	p->nwants++;
}

/* Send the next snapshot request of p's fetch. */
static void
snap_ask(net *n, struct peer *p, uint64_t now)
{
	blf_snapshot_req rq;
	blf_buf out = {0};
	int rv;

	memset(&rq, 0, sizeof(rq));
	memcpy(rq.origin, p->snap.origin, BLF_KEYID_LEN);
	rq.epoch = p->snap.epoch;
	rq.seq = p->snap.seq;
	rq.chunk = p->snap.seq == 0 ? 0 : p->snap.next;
	if (n->key == NULL || blf_snapshot_req_seal(&rq, n->key->sk, &out) != BLF_OK) {
		blf_buf_free(&out);
		snap_clear(&p->snap);
		return;
	}
	rv = nng_send(p->req, out.data, out.len, NNG_FLAG_NONBLOCK);
	blf_buf_free(&out);
	if (rv != 0) {
		/* a peer that stays unreachable does not keep a fetch, and the
		 * chunks gathered in its file, for ever: heads will ask again */
		if (p->snap.asked == 0)
			p->snap.asked = now;
		else if (now - p->snap.asked >= n->cfg.catchup_timeout_ms)
			snap_clear(&p->snap);
		p->fetch_after = now + NET_RETRY_MS;
		return;
	}
	p->snap.asked = now;
	p->pending = 1;
	p->pending_snap = 1;
	p->pending_until = now + n->cfg.catchup_timeout_ms;
}

/* Start fetching origin's snapshot (epoch or later) from p, unless a fetch
 * runs there already. */
static void
snap_start(net *n, struct peer *p, const uint8_t origin[BLF_KEYID_LEN], uint32_t epoch,
	   int keep)
{
	char hex[BLF_KEYID_HEX_LEN + 1];

	if (p->snap.active)
		return;
	memset(&p->snap, 0, sizeof(p->snap));
	p->snap.active = 1;
	p->snap.keep = keep;
	memcpy(p->snap.origin, origin, BLF_KEYID_LEN);
	p->snap.epoch = epoch;
	if (!keep) {
		blf_keyid_hex(origin, hex);
		nlog(n, LOG_INFO, "peer %s: origin %s epoch %u: deltas compacted there: asking "
		     "for its snapshot (SPEC 6.8)", p->conf.name, hex, epoch);
	}
}

static void
fetch_next(net *n, struct peer *p, uint64_t now)
{
	blf_catchup_req rq;
	blf_buf out = {0};
	blf_head h;
	struct want w;
	int rv;

	if (!p->pending && p->snap.active && now >= p->fetch_after) {
		snap_ask(n, p, now);
		return;
	}
	while (!p->pending && p->nwants > 0 && now >= p->fetch_after) {
		w = p->wants[0];
		memmove(&p->wants[0], &p->wants[1], (p->nwants - 1) * sizeof(p->wants[0]));
		p->nwants--;
		if (core_head(n->core, w.origin, &h) == BLF_OK) {
			if (h.epoch > w.epoch)
				continue;
			if (h.epoch == w.epoch) {
				if (w.target != 0 && h.seq >= w.target && w.max != 1)
					continue;
				if (w.max != 1 && h.seq > w.after)
					w.after = h.seq;
			}
		}
		if (core_is_frozen(n->core, w.origin) && w.max != 1)
			continue;
		memcpy(rq.origin, w.origin, BLF_KEYID_LEN);
		rq.epoch = w.epoch;
		rq.after_seq = w.after;
		rq.max = w.max != 0 ? w.max : BLF_MAX_CATCHUP_ASK;
		if (n->key == NULL || blf_catchup_req_seal(&rq, n->key->sk, &out) != BLF_OK) {
			blf_buf_free(&out);
			return;
		}
		rv = nng_send(p->req, out.data, out.len, NNG_FLAG_NONBLOCK);
		blf_buf_free(&out);
		if (rv != 0) {
			p->fetch_after = now + NET_RETRY_MS;
			want_add(p, w.origin, w.epoch, w.after, w.target, w.max);
			return;
		}
		p->pending = 1;
		p->cur = w;
		p->pending_until = now + n->cfg.catchup_timeout_ms;
	}
}

/* ---- applying deltas ---------------------------------------------------- */

/* The slot of a delta hash in n->dseen (direct-mapped: a newer delta takes
 * the slot of an older one). */
static struct seen_delta *
dseen_slot(net *n, const uint8_t hash[BLF_HASH_LEN])
{
	uint32_t k = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 | (uint32_t)hash[2] << 16 |
		     (uint32_t)hash[3] << 24;

	return &n->dseen[k % NET_SEEN_DELTAS];
}

/* Is the delta of hash one we hold?  Then *origin is its origin. */
static int
dseen_has(net *n, const uint8_t hash[BLF_HASH_LEN], const uint8_t **origin)
{
	struct seen_delta *s = dseen_slot(n, hash);

	if (memcmp(s->hash, hash, BLF_HASH_LEN) != 0)
		return 0;
	*origin = s->origin;
	return 1;
}

static void
dseen_add(net *n, const uint8_t hash[BLF_HASH_LEN], const uint8_t origin[BLF_KEYID_LEN])
{
	struct seen_delta *s = dseen_slot(n, hash);

	memcpy(s->hash, hash, BLF_HASH_LEN);
	memcpy(s->origin, origin, BLF_KEYID_LEN);
}

/*
 * Apply n deltas (from peer p, live or catch-up) and act on each result.
 * A delta the journal could not store is dropped (core_eio), neither
 * relayed nor counted: heads and catch-up bring it again.  Returns the
 * number applied, or -1 when the core must stop (a failed sync).
 */
static long
apply_deltas(net *n, struct peer *p, const uint8_t *const *msgs, const size_t *lens,
	     const uint8_t (*hashes)[BLF_HASH_LEN], size_t cnt, int catchup, uint64_t now)
{
	int rc[NET_BATCH];
	core_result *res;
	long applied = 0;
	size_t i;
	char what[96], hex[BLF_KEYID_HEX_LEN + 1];

	if ((res = calloc(cnt, sizeof(*res))) == NULL)
		return 0;
	if (core_apply_batch(n->core, msgs, lens, cnt, now / 1000, rc, res) == BLF_EIO) {
		int e, act = core_eio(n->core, &e);

		if (act == CORE_EIO_STOP) {
			nlog(n, LOG_CRIT, "journal sync failed: %s: stopping", strerror(e));
			free(res);
			return -1;
		}
		if (act == CORE_EIO_TELL)
			nlog(n, LOG_ERR, "journal write failed: %s: deltas are dropped until it "
			     "works again, then fetched again (told once)", strerror(e));
	}
	for (i = 0; i < cnt; i++) {
		const uint8_t *origin = res[i].seq != 0 || res[i].epoch != 0 ? res[i].origin : NULL;

		count(n, p, origin, NET_C_RECEIVED, 1);
		if (catchup)
			count(n, p, origin, NET_C_FETCHED, rc[i] == BLF_OK);
		if ((rc[i] == BLF_OK || rc[i] == BLF_EDUPLICATE) && origin != NULL) {
			/* held now: later copies are dropped by hash (drain_sub) */
			blf_envelope env;
			uint8_t h[BLF_HASH_LEN];

			if (hashes != NULL)
				dseen_add(n, hashes[i], origin);
			else if (blf_envelope_parse(msgs[i], lens[i], &env) == BLF_OK) {
				blf_envelope_hash(&env, h);
				dseen_add(n, h, origin);
			}
		}
		switch (rc[i]) {
		case BLF_OK:
			applied++;
			count(n, p, origin, NET_C_APPLIED, 1);
			pub_send(n, msgs[i], lens[i]);
			count(n, NULL, origin, NET_C_RELAYED, 1);
			break;
		case BLF_EDUPLICATE:
		case BLF_ESTALE:
			count(n, p, origin, NET_C_DUPLICATE, 1);
			break;
		case BLF_EIO:
			break; /* not stored: told above, fetched again later */
		case BLF_EGAP:
			count(n, p, origin, NET_C_DROPPED, res[i].gap_to >= res[i].gap_from ?
					    res[i].gap_to - res[i].gap_from + 1 : 1);
			want_add(p, res[i].origin, res[i].gap_epoch,
				 res[i].gap_from > 0 ? res[i].gap_from - 1 : 0, res[i].gap_to + 1,
				 BLF_MAX_CATCHUP_ASK);
			break;
		default:
			count_reject(n, p, origin, rc[i]);
			if (origin != NULL) {
				blf_keyid_hex(origin, hex);
				snprintf(what, sizeof(what), "delta %s/%u/%llu", hex, res[i].epoch,
					 (unsigned long long)res[i].seq);
			} else {
				snprintf(what, sizeof(what), "delta");
			}
			if (rc[i] == BLF_EEQUIVOCATION) {
				char ev[CORE_MAX_PATH];

				if (core_evidence_path(n->core, &res[i], ev, sizeof(ev)) != BLF_OK)
					snprintf(ev, sizeof(ev), "the evidence directory");
				nlog(n, LOG_ALERT, "peer %s: SPEC 5.5: %s: equivocation: origin "
				     "frozen, evidence in %s", p->conf.name, what, ev);
			} else
				log_reject(n, p->log, p->conf.name, rc[i], now, what);
			if (is_garbage(rc[i]))
				garbage_add(p, now);
			break;
		}
	}
	free(res);
	if (applied > 0)
		heads_soon(n, now);
	return applied;
}

/* ---- heads ---------------------------------------------------------------- */

struct peer_lookup {
	const struct peer *p;
};

static int
peer_key_lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	const struct peer *p = ctx;

	if (memcmp(keyid, p->keyid, BLF_KEYID_LEN) != 0)
		return BLF_EUNKKEY;
	memcpy(pk, p->conf.pk, BLF_PK_LEN);
	return BLF_OK;
}

static void
on_heads(net *n, struct peer *p, const uint8_t *msg, size_t len, uint64_t now)
{
	blf_envelope env;
	blf_heads hs;
	blf_head mine;
	struct origin_stat *o;
	size_t i;
	int rc;

	/* SPEC 6.1: heads of agents that are not this configured peer are ignored */
	if ((rc = blf_heads_open(msg, len, peer_key_lookup, p, &env, &hs)) != BLF_OK) {
		count_reject(n, p, NULL, rc);
		log_reject(n, p->log, p->conf.name, rc, now, "heads");
		if (is_garbage(rc))
			garbage_add(p, now);
		return;
	}
	p->cnt.c[NET_C_HEADS]++;
	for (i = 0; i < hs.nheads; i++) {
		const blf_head *h = &hs.heads[i];

		if ((o = origin_find(n, h->origin, 1)) == NULL)
			continue; /* not an origin we carry */
		if (h->epoch > o->info.seen_epoch ||
		    (h->epoch == o->info.seen_epoch && h->seq > o->info.seen_seq)) {
			o->info.seen_epoch = h->epoch;
			o->info.seen_seq = h->seq;
		}
		if (core_head(n->core, h->origin, &mine) != BLF_OK) {
			want_add(p, h->origin, h->epoch, 0, h->seq, BLF_MAX_CATCHUP_ASK);
		} else if (h->epoch > mine.epoch) {
			want_add(p, h->origin, h->epoch, 0, h->seq, BLF_MAX_CATCHUP_ASK);
		} else if (h->epoch == mine.epoch && h->seq > mine.seq) {
			want_add(p, h->origin, h->epoch, mine.seq, h->seq, BLF_MAX_CATCHUP_ASK);
		} else if (h->epoch == mine.epoch && h->seq == mine.seq &&
			   memcmp(h->hash, mine.hash, BLF_HASH_LEN) != 0 &&
			   !core_is_frozen(n->core, h->origin)) {
			/* SPEC 6.2: a different hash for our seq: fetch the evidence */
			want_add(p, h->origin, h->epoch, h->seq - 1, h->seq, 1);
		}
	}
	blf_heads_free(&hs);
}

static void
send_heads(net *n, uint64_t now)
{
	blf_heads hs = {0};
	blf_buf out = {0};

	n->heads_due = now + n->cfg.heads_interval_ms;
	n->heads_sent = now;
	if (n->key == NULL || core_heads(n->core, &hs.heads, &hs.nheads) != BLF_OK)
		return;
	if (hs.nheads > BLF_MAX_HEADS)
		hs.nheads = BLF_MAX_HEADS;
	hs.created = now / 1000;
	if (blf_heads_seal(&hs, n->key->sk, &out) == BLF_OK)
		pub_send(n, out.data, out.len);
	blf_buf_free(&out);
	free(hs.heads);
	/* statements have no sequence numbers to repair them: say them again */
	if (++n->nheads % NET_RESTATE_EVERY == 0) {
		size_t i;

		for (i = 0; i < NET_KEPT_STATEMENTS; i++)
			if (n->kept[i] != NULL)
				pub_send(n, n->kept[i], n->keptlen[i]);
	}
}

/* ---- the SUB side ------------------------------------------------------- */

static void
on_statement(net *n, struct peer *p, const uint8_t *msg, size_t len, uint64_t now)
{
	char err[256];
	int rc;

	err[0] = '\0';
	p->cnt.c[NET_C_RECEIVED]++;
	if (n->cfg.statement == NULL)
		return;
	rc = n->cfg.statement(n->cfg.ctx, msg, len, err, sizeof(err));
	if (rc == BLF_OK || rc == BLF_EPOLICY) {
		if (rc == BLF_EPOLICY)
			nlog(n, LOG_WARNING, "peer %s: SPEC 6.6: statement refused by local "
			     "policy: %s", p->conf.name, err);
		if (!seen_check_add(n, msg, len)) {
			pub_send(n, msg, len);
			p->cnt.c[NET_C_RELAYED]++;
		}
		return;
	}
	if (rc == BLF_ESTALE) {
		p->cnt.c[NET_C_DUPLICATE]++;
		return;
	}
	count_reject(n, p, NULL, rc);
	log_reject(n, p->log, p->conf.name, rc, now, err[0] != '\0' ? err : "statement");
	if (is_garbage(rc))
		garbage_add(p, now);
}

static int
drain_sub(net *n, struct peer *p, uint64_t now)
{
	nng_msg *msgs[NET_BATCH];
	const uint8_t *ptrs[NET_BATCH], *origin;
	uint8_t hashes[NET_BATCH][BLF_HASH_LEN];
	size_t lens[NET_BATCH], nd = 0, i, rounds = 0;
	blf_envelope env;
	nng_msg *m;
	int rc;
	long r;

	if (p->backoff_until != 0) {
		/* backing off: what was queued before the cut, or comes over
		 * the connection the dialer made again, is dropped unread */
		while (rounds++ < 4 * NET_BATCH && nng_recvmsg(p->sub, &m, NNG_FLAG_NONBLOCK) == 0)
			nng_msg_free(m);
		return 0;
	}
	while (rounds++ < 4 * NET_BATCH && nd < NET_BATCH &&
	       nng_recvmsg(p->sub, &m, NNG_FLAG_NONBLOCK) == 0) {
		const uint8_t *b = nng_msg_body(m);
		size_t len = nng_msg_len(m);

		rc = blf_envelope_parse(b, len, &env);
		if (rc == BLF_OK && env.type == BLF_MSG_DELTA) {
			/* a copy of a delta we hold (another peer relayed it
			 * first): dropped before its signature is checked or its
			 * body decoded, and not relayed again */
			blf_envelope_hash(&env, hashes[nd]);
			if (dseen_has(n, hashes[nd], &origin)) {
				count(n, p, origin, NET_C_RECEIVED, 1);
				count(n, p, origin, NET_C_DUPLICATE, 1);
				nng_msg_free(m);
				continue;
			}
			msgs[nd] = m;
			ptrs[nd] = b;
			lens[nd++] = len;
			continue;
		}
		if (rc == BLF_OK && env.type == BLF_MSG_HEADS) {
			on_heads(n, p, b, len, now);
		} else if (rc == BLF_OK &&
			   (env.type == BLF_MSG_ROLLOVER || env.type == BLF_MSG_REVOCATION)) {
			on_statement(n, p, b, len, now);
		} else {
			if (rc == BLF_OK)
				rc = BLF_EWRONGTYPE;
			p->cnt.c[NET_C_RECEIVED]++;
			count_reject(n, p, NULL, rc);
			log_reject(n, p->log, p->conf.name, rc, now, "message");
			if (is_garbage(rc))
				garbage_add(p, now);
		}
		nng_msg_free(m);
	}
	r = nd > 0 ? apply_deltas(n, p, ptrs, lens, (const uint8_t(*)[BLF_HASH_LEN])hashes, nd, 0,
				  now) : 0;
	for (i = 0; i < nd; i++)
		nng_msg_free(msgs[i]);
	return r < 0 ? -1 : 0;
}

/* Count a malformed message of p in the current window (NET_GARBAGE_WINDOW_MS
 * from the first one). */
static void
garbage_add(struct peer *p, uint64_t now)
{
	if (p->garbage == 0 || now - p->garbage_since > NET_GARBAGE_WINDOW_MS) {
		p->garbage_since = now;
		p->garbage = 0;
	}
	p->garbage++;
}

/*
 * Disconnect a peer that keeps sending garbage: its connection is cut (see
 * conn_cut: never closed under nng) and, until the backoff ends, whatever
 * it sends, over that connection's remains or over the one its dialer makes
 * again, is dropped unread (drain_sub).  The backoff doubles with each
 * disconnect up to NET_BACKOFF_MAX_MS, and starts again from
 * NET_BACKOFF_MIN_MS after NET_BACKOFF_FORGET_MS without one.
 */
static void
check_garbage(net *n, struct peer *p, uint64_t now)
{
	if (p->garbage < NET_GARBAGE_MAX || p->backoff_until != 0)
		return;
	if (p->last_cut != 0 && now - p->last_cut > NET_BACKOFF_FORGET_MS)
		p->backoff_ms = NET_BACKOFF_MIN_MS;
	(void)conn_cut(n, (int)(p - n->peers), CONN_SUB);
	p->backoff_until = now + p->backoff_ms;
	p->last_cut = now;
	nlog(n, LOG_WARNING, "peer %s: %llu malformed messages in %u s: disconnected for %llu s",
	     p->conf.name, (unsigned long long)p->garbage, NET_GARBAGE_WINDOW_MS / 1000,
	     (unsigned long long)(p->backoff_ms / 1000));
	p->cnt.c[NET_C_DISCONNECTS]++;
	p->backoff_ms = p->backoff_ms * 2 > NET_BACKOFF_MAX_MS ? NET_BACKOFF_MAX_MS
							   : p->backoff_ms * 2;
	p->garbage = 0;
}

/* ---- the REQ side (our catch-up requests) ------------------------------- */

/* The whole snapshot of p's fetch is in: verify and apply or keep it. */
static int
snap_done(net *n, struct peer *p, uint64_t now)
{
	struct snapfetch *f = &p->snap;
	char hex[BLF_KEYID_HEX_LEN + 1], what[96];
	int applied = 0, rc;

	blf_keyid_hex(f->origin, hex);
	rc = core_spool_take(f->spool, now / 1000, f->keep, &applied);
	if (rc == BLF_EIO) {
		int e, act = core_eio(n->core, &e);

		snap_clear(f);
		if (act == CORE_EIO_STOP) {
			nlog(n, LOG_CRIT, "storing a snapshot failed: %s: stopping", strerror(e));
			return -1;
		}
		if (act == CORE_EIO_TELL)
			nlog(n, LOG_ERR, "peer %s: storing a snapshot failed: %s: dropped, fetched "
			     "again once writes work (told once)", p->conf.name, strerror(e));
		return 0;
	}
	if (rc == BLF_OK) {
		count(n, p, f->origin, NET_C_SNAP_FETCHED, 1);
		nlog(n, LOG_NOTICE, "peer %s: origin %s: snapshot at epoch %u seq %llu (%u chunks) "
		     "%s", p->conf.name, hex, f->epoch, (unsigned long long)f->seq, f->nchunks,
		     applied ? dgettext("blfed", "applied as the log's base")
			     : dgettext("blfed", "kept to serve"));
		if (applied) {
			/* catch-up continues after the snapshot */
			want_add(p, f->origin, f->epoch, f->seq, 0, BLF_MAX_CATCHUP_ASK);
			n->heads_due = now; /* our heads changed a lot */
		}
	} else if (rc != BLF_ESTALE && rc != BLF_EDUPLICATE) {
		count_reject(n, p, f->origin, rc);
		snprintf(what, sizeof(what), "snapshot %s/%u/%llu", hex, f->epoch,
			 (unsigned long long)f->seq);
		log_reject(n, p->log, p->conf.name, rc, now, what);
	}
	snap_clear(f);
	return 0;
}

/* Is a snapshot at (epoch, seq) worth gathering for the fetch f? */
static int
snap_useful(net *n, const struct snapfetch *f, uint32_t epoch, uint64_t seq)
{
	core_snap_info kept;
	blf_head h;

	if (core_head(n->core, f->origin, &h) != BLF_OK)
		return 1;
	if (epoch > h.epoch || (epoch == h.epoch && seq > h.seq))
		return 1; /* newer than our log: a base */
	if (!f->keep || epoch != h.epoch)
		return 0;
	if (core_snapshot_kept(n->core, f->origin, &kept) != BLF_OK)
		return 1;
	return epoch > kept.epoch || (epoch == kept.epoch && seq > kept.seq);
}

/*
 * A reply to our snapshot request: a chunk envelope (type 5) of the
 * snapshot, or a catch-up response (type 4, signed by the peer) saying the
 * peer keeps none (status 1) or is rationing us (status 0, more, empty).
 * Returns -1 only on a fatal storage error.
 */
static int
on_snapshot_reply(net *n, struct peer *p, const uint8_t *msg, size_t len, uint64_t now)
{
	struct snapfetch *f = &p->snap;
	blf_envelope env;
	blf_snapshot s;
	blf_catchup_resp r;
	int rc;

	memset(&s, 0, sizeof(s));
	if (!f->active)
		return 0;
	rc = blf_envelope_parse(msg, len, &env);
	if (rc == BLF_OK && env.type == BLF_MSG_CATCHUP_RESP) {
		rc = blf_catchup_resp_open(msg, len, peer_key_lookup, p, &env, &r);
		if (rc == BLF_OK && memcmp(r.origin, f->origin, BLF_KEYID_LEN) != 0)
			rc = BLF_EWRONGTYPE;
		if (rc == BLF_OK && r.status == BLF_CATCHUP_OK && r.more && r.ndeltas == 0) {
			p->fetch_after = now + NET_RETRY_MS; /* rationed: ask again later */
			blf_catchup_resp_free(&r);
			return 0;
		}
		blf_catchup_resp_free(&r);
		if (rc != BLF_OK) {
			count_reject(n, p, NULL, rc);
			log_reject(n, p->log, p->conf.name, rc, now, "snapshot reply");
		}
		snap_clear(f); /* the peer keeps none: heads will lead us elsewhere */
		return 0;
	}
	if (rc == BLF_OK && env.type != BLF_MSG_SNAPSHOT)
		rc = BLF_EWRONGTYPE;
	if (rc == BLF_OK)
		rc = blf_snapshot_decode_body(env.body, env.body_len, &s);
	/* the chunk we asked for, of the snapshot chunk 0 began */
	if (rc == BLF_OK && (memcmp(s.origin, f->origin, BLF_KEYID_LEN) != 0 ||
			     s.epoch < f->epoch))
		rc = BLF_EITEM;
	if (rc == BLF_OK && f->seq != 0 && s.chunk == 0 &&
	    (s.seq != f->seq || s.epoch != f->epoch)) {
		/* the peer keeps a newer snapshot now: start over from it */
		uint8_t origin[BLF_KEYID_LEN];
		int keep = f->keep;

		memcpy(origin, f->origin, BLF_KEYID_LEN);
		snap_clear(f);
		snap_start(n, p, origin, s.epoch, keep);
	}
	if (rc == BLF_OK && f->seq == 0) {
		if (s.chunk != 0)
			rc = BLF_EITEM;
		else if (!snap_useful(n, f, s.epoch, s.seq)) {
			blf_snapshot_free(&s);
			snap_clear(f);
			return 0;
		} else if ((rc = core_spool_begin(n->core, f->origin, &f->spool)) != BLF_OK) {
			blf_snapshot_free(&s);
			snap_clear(f);
			nlog(n, LOG_ERR, "peer %s: cannot gather a snapshot in the data directory: "
			     "%s", p->conf.name, blf_strerror(rc));
			return 0;
		} else {
			f->epoch = s.epoch;
			f->seq = s.seq;
			f->nchunks = s.nchunks;
		}
	} else if (rc == BLF_OK && (s.epoch != f->epoch || s.seq != f->seq ||
				    s.nchunks != f->nchunks || s.chunk != f->next)) {
		rc = BLF_EITEM;
	}
	blf_snapshot_free(&s);
	if (rc == BLF_OK && f->bytes + len > NET_SNAP_MAX_BYTES)
		rc = BLF_ETOOBIG;
	/* verified on its own and written to the file before the next is asked */
	if (rc == BLF_OK)
		rc = core_spool_add(f->spool, msg, len, now / 1000);
	if (rc == BLF_EIO) {
		nlog(n, LOG_ERR, "peer %s: writing a snapshot chunk to the data directory failed",
		     p->conf.name);
		snap_clear(f);
		return 0;
	}
	if (rc != BLF_OK) {
		count_reject(n, p, f->origin, rc);
		log_reject(n, p->log, p->conf.name, rc, now, "snapshot chunk");
		if (is_garbage(rc))
			garbage_add(p, now);
		snap_clear(f);
		return 0;
	}
	f->bytes += len;
	if (++f->next < f->nchunks)
		return 0;
	return snap_done(n, p, now);
}

static int
on_response(net *n, struct peer *p, uint64_t now)
{
	nng_msg *m;
	blf_envelope env;
	blf_catchup_resp r;
	const uint8_t *ptrs[NET_BATCH];
	size_t lens[NET_BATCH], i, k;
	long got = 0, a;
	int rc;

	if (nng_recvmsg(p->req, &m, NNG_FLAG_NONBLOCK) != 0)
		return 0;
	if (!p->pending) {
		nng_msg_free(m);
		return 0;
	}
	p->pending = 0;
	if (p->pending_snap) {
		p->pending_snap = 0;
		rc = on_snapshot_reply(n, p, nng_msg_body(m), nng_msg_len(m), now);
		nng_msg_free(m);
		if (rc != 0)
			return -1;
		fetch_next(n, p, now);
		return 0;
	}
	rc = blf_catchup_resp_open(nng_msg_body(m), nng_msg_len(m), peer_key_lookup, p, &env, &r);
	if (rc == BLF_OK && (memcmp(r.origin, p->cur.origin, BLF_KEYID_LEN) != 0 ||
			     r.epoch != p->cur.epoch || r.after_seq != p->cur.after))
		rc = BLF_EWRONGTYPE; /* not the answer to our question */
	if (rc != BLF_OK) {
		count_reject(n, p, NULL, rc);
		log_reject(n, p->log, p->conf.name, rc, now, "catch-up response");
		p->fetch_after = now + NET_RETRY_MS;
		blf_catchup_resp_free(&r); /* zeroed on an open error: safe */
		nng_msg_free(m);
		return 0;
	}
	if (r.status == BLF_CATCHUP_COMPACTED)
		snap_start(n, p, r.origin, r.epoch, 0);
	/* SPEC 6.4: each item must answer our question (origin, epoch, seq
	 * after_seq + 1 + i); the first that does not ends the response */
	for (i = 0; i < r.ndeltas; i++) {
		blf_envelope ie;
		blf_delta d;

		memset(&d, 0, sizeof(d));
		rc = blf_envelope_parse(r.deltas[i].ptr, r.deltas[i].len, &ie);
		if (rc == BLF_OK)
			rc = blf_delta_decode_body(ie.body, ie.body_len, &d);
		if (rc == BLF_OK)
			rc = blf_catchup_item_check(&r, i, &d);
		blf_delta_free(&d);
		if (rc != BLF_OK) {
			count_reject(n, p, NULL, BLF_EITEM);
			log_reject(n, p->log, p->conf.name, BLF_EITEM, now,
				   "catch-up response item");
			r.ndeltas = i;
			r.more = 0;
			break;
		}
	}
	for (i = 0; i < r.ndeltas; i += k) {
		for (k = 0; k < NET_BATCH && i + k < r.ndeltas; k++) {
			ptrs[k] = r.deltas[i + k].ptr;
			lens[k] = r.deltas[i + k].len;
		}
		if ((a = apply_deltas(n, p, ptrs, lens, NULL, k, 1, now)) < 0) {
			blf_catchup_resp_free(&r);
			nng_msg_free(m);
			return -1;
		}
		got += a;
	}
	if (r.status == BLF_CATCHUP_OK && r.more) {
		if (got > 0)
			want_add(p, p->cur.origin, p->cur.epoch, p->cur.after, p->cur.target,
				 BLF_MAX_CATCHUP_ASK);
		else if (r.ndeltas == 0) {
			/* the peer is rationing us: ask again a little later */
			want_add(p, p->cur.origin, p->cur.epoch, p->cur.after, p->cur.target,
				 BLF_MAX_CATCHUP_ASK);
			p->fetch_after = now + NET_RETRY_MS;
		}
		/* deltas that did not apply: the next heads will tell */
	}
	blf_catchup_resp_free(&r);
	nng_msg_free(m);
	fetch_next(n, p, now);
	return 0;
}

/* ---- the REP side (serving catch-up) ----------------------------------- */

static int
any_peer_lookup(void *ctx, const uint8_t keyid[BLF_KEYID_LEN], uint8_t pk[BLF_PK_LEN])
{
	net *n = ctx;
	size_t i;

	for (i = 0; i < n->npeers; i++) {
		if (memcmp(n->peers[i].keyid, keyid, BLF_KEYID_LEN) == 0) {
			memcpy(pk, n->peers[i].conf.pk, BLF_PK_LEN);
			return BLF_OK;
		}
	}
	return BLF_EUNKKEY;
}

static void
refill(net *n, struct peer *p, uint64_t now)
{
	p->tokens += (double)(now - p->tokens_at) * (double)n->cfg.serve_rate / 1000.0;
	if (p->tokens > (double)n->cfg.serve_burst)
		p->tokens = (double)n->cfg.serve_burst;
	p->tokens_at = now;
}

/*
 * Answer one request within the peer's budget: at most NET_SERVE_MAX_BYTES
 * of deltas, and no more than its tokens allow; the core is asked
 * NET_SERVE_CHUNK deltas at a time so that a request for 1024 large deltas
 * never copies them all.
 */
static void
serve_one(net *n, nng_msg *m, uint64_t now)
{
	blf_envelope env;
	blf_catchup_req rq;
	blf_catchup_resp resp;
	blf_blob *all = NULL, *chunk;   /* all: views into the held chunks */
	struct held { blf_blob *b; size_t n; } *held = NULL;
	size_t nall = 0, nchunk, nheld = 0, i, bytes = 0, budget;
	blf_buf out = {0};
	struct peer *p = NULL;
	uint64_t after;
	uint32_t status = BLF_CATCHUP_OK;
	int more = 0, rc, stop = 0;

	rc = blf_catchup_req_open(nng_msg_body(m), nng_msg_len(m), any_peer_lookup, n, &env, &rq);
	if (rc != BLF_OK) {
		/* SPEC 6.1: not a configured peer (or not a request): no answer */
		log_reject(n, n->anon_log, "(unknown)", rc, now, "catch-up request");
		goto out;
	}
	for (i = 0; i < n->npeers; i++)
		if (memcmp(n->peers[i].keyid, env.signer, BLF_KEYID_LEN) == 0)
			p = &n->peers[i];
	refill(n, p, now);
	/* tokens go below zero after a response larger than the budget */
	if (p->tokens <= 0)
		budget = 0;
	else
		budget = p->tokens < (double)NET_SERVE_MAX_BYTES ? (size_t)p->tokens
							       : NET_SERVE_MAX_BYTES;
	after = rq.after_seq;
	while (!stop && nall < rq.max) {
		uint32_t ask = rq.max - (uint32_t)nall < NET_SERVE_CHUNK ? rq.max - (uint32_t)nall
									  : NET_SERVE_CHUNK;

		chunk = NULL;
		nchunk = 0;
		rc = core_get_deltas(n->core, rq.origin, rq.epoch, after, ask, &status, &more,
				     &chunk, &nchunk);
		if (rc != BLF_OK || status != BLF_CATCHUP_OK) {
			core_blobs_free(chunk, nchunk);
			if (nall > 0)
				status = BLF_CATCHUP_OK, more = 1;
			break;
		}
		/* the chunk stays whole, owned here, until the response is sent:
		 * core_blobs_free is the only way to release it */
		{
			struct held *gh = realloc(held, (nheld + 1) * sizeof(*held));

			if (gh == NULL) {
				core_blobs_free(chunk, nchunk);
				more = nall > 0;
				break;
			}
			held = gh;
			held[nheld].b = chunk;
			held[nheld].n = nchunk;
			nheld++;
		}
		for (i = 0; i < nchunk; i++) {
			blf_blob *grown;

			if (bytes + chunk[i].len > budget) {
				more = 1;
				stop = 1;
				break;
			}
			if ((grown = realloc(all, (nall + 1) * sizeof(*all))) == NULL) {
				more = 1;
				stop = 1;
				break;
			}
			all = grown;
			all[nall++] = chunk[i];
			bytes += chunk[i].len;
			after++;
		}
		if (!more || nchunk == 0)
			break;
	}
	memset(&resp, 0, sizeof(resp));
	memcpy(resp.origin, rq.origin, BLF_KEYID_LEN);
	resp.epoch = rq.epoch;
	resp.after_seq = rq.after_seq;
	resp.status = status;
	resp.more = status == BLF_CATCHUP_OK ? more : 0;
	resp.ndeltas = status == BLF_CATCHUP_OK ? nall : 0;
	resp.deltas = all;
	if (n->key == NULL || blf_catchup_resp_seal(&resp, n->key->sk, &out) != BLF_OK)
		goto out;
	p->tokens -= (double)out.len;
	p->cnt.c[NET_C_SERVED] += resp.ndeltas;
	count(n, NULL, rq.origin, NET_C_SERVED, resp.ndeltas);
	(void)nng_send(n->rep, out.data, out.len, NNG_FLAG_NONBLOCK);
out:
	for (i = 0; i < nheld; i++)
		core_blobs_free(held[i].b, held[i].n);
	free(held);
	free(all);
	blf_buf_free(&out);
}

/* A catch-up response with no deltas: status 1 (we keep no snapshot of
 * it) or status 0 with more (rationed), as the answer to a snapshot
 * request (SPEC 6.8). */
static void
snap_reply_status(net *n, const blf_snapshot_req *rq, uint32_t status)
{
	blf_catchup_resp resp;
	blf_buf out = {0};

	memset(&resp, 0, sizeof(resp));
	memcpy(resp.origin, rq->origin, BLF_KEYID_LEN);
	resp.epoch = rq->epoch;
	resp.status = status;
	resp.more = status == BLF_CATCHUP_OK;
	if (n->key != NULL && blf_catchup_resp_seal(&resp, n->key->sk, &out) == BLF_OK)
		(void)nng_send(n->rep, out.data, out.len, NNG_FLAG_NONBLOCK);
	blf_buf_free(&out);
}

/*
 * Answer one snapshot request (SPEC 6.8) within the peer's budget: the
 * chunk asked for of the snapshot we keep of the origin, as it is stored;
 * chunk 0 of the one we keep when the request names another; status 1
 * when we keep none of that epoch or later.
 */
static void
serve_snapshot(net *n, nng_msg *m, uint64_t now)
{
	blf_envelope env;
	blf_snapshot_req rq;
	core_snap_info info;
	struct peer *p = NULL;
	uint8_t *msg = NULL;
	size_t len = 0, i;
	uint32_t ask;
	int rc;

	rc = blf_snapshot_req_open(nng_msg_body(m), nng_msg_len(m), any_peer_lookup, n, &env,
				   &rq);
	if (rc != BLF_OK) {
		/* SPEC 6.1: not a configured peer: no answer */
		log_reject(n, n->anon_log, "(unknown)", rc, now, "snapshot request");
		return;
	}
	for (i = 0; i < n->npeers; i++)
		if (memcmp(n->peers[i].keyid, env.signer, BLF_KEYID_LEN) == 0)
			p = &n->peers[i];
	refill(n, p, now);
	if (p->tokens <= 0) {
		snap_reply_status(n, &rq, BLF_CATCHUP_OK);
		return;
	}
	if (core_snapshot_kept(n->core, rq.origin, &info) != BLF_OK || info.epoch < rq.epoch) {
		snap_reply_status(n, &rq, BLF_CATCHUP_UNKNOWN);
		return;
	}
	ask = rq.chunk;
	if (rq.seq == 0 || rq.seq != info.seq || rq.epoch != info.epoch)
		ask = 0; /* the newest, or the one we keep instead of the one named */
	rc = core_snapshot_chunk(n->core, rq.origin, ask, &info, &msg, &len);
	if (rc != BLF_OK) {
		snap_reply_status(n, &rq, BLF_CATCHUP_UNKNOWN);
		return;
	}
	p->tokens -= (double)len;
	if (ask + 1 == info.nchunks) {
		p->cnt.c[NET_C_SNAP_SERVED]++;
		count(n, NULL, rq.origin, NET_C_SNAP_SERVED, 1);
	}
	(void)nng_send(n->rep, msg, len, NNG_FLAG_NONBLOCK);
	free(msg);
}

static void
drain_rep(net *n, uint64_t now)
{
	blf_envelope env;
	nng_msg *m;
	int i;

	/* a few per round, so that the SUB sockets are not starved */
	for (i = 0; i < 16 && nng_recvmsg(n->rep, &m, NNG_FLAG_NONBLOCK) == 0; i++) {
		if (blf_envelope_parse(nng_msg_body(m), nng_msg_len(m), &env) == BLF_OK &&
		    env.type == BLF_MSG_SNAPSHOT_REQ)
			serve_snapshot(n, m, now);
		else
			serve_one(n, m, now);
		nng_msg_free(m);
	}
}

/*
 * Every heads interval: origins whose compaction waits for a snapshot get
 * one.  Our own is made here; another origin's is asked of the peers in
 * turn (one fetch per peer at a time), and kept when it agrees with our
 * log and is newer than the one kept.
 */
static void
snap_refresh(net *n, uint64_t now)
{
	blf_head need[NET_SNAP_NEEDED_MAX];
	const trust_anchor *own = NULL;
	uint8_t pk[BLF_PK_LEN];
	size_t k, nn, i;
	int rc;

	nn = core_snapshot_needed(n->core, now / 1000, need, NET_SNAP_NEEDED_MAX);
	if (nn == 0)
		return;
	if (n->key != NULL)
		(void)trust_store_resolve(core_trust(n->core), n->key->keyid, now / 1000, &own, pk);
	for (k = 0; k < nn; k++) {
		if (own != NULL && memcmp(need[k].origin, own->origin, BLF_KEYID_LEN) == 0) {
			if ((rc = core_snapshot_keep(n->core, n->key, now / 1000)) != BLF_OK)
				nlog(n, LOG_WARNING, "snapshot of our origin: %s", blf_strerror(rc));
			continue;
		}
		for (i = 0; i < n->npeers; i++) {
			struct peer *p = &n->peers[(n->snap_rr + i) % n->npeers];

			if (!p->snap.active) {
				snap_start(n, p, need[k].origin, need[k].epoch, 1);
				n->snap_rr = (n->snap_rr + i + 1) % n->npeers;
				break;
			}
		}
	}
}

/* ---- the loop ------------------------------------------------------------- */

/* A debug line when a peer's SUB connection comes or goes. */
static void
peer_log_link(net *n, struct peer *p)
{
	int k = atomic_load(&p->pipes);

	if (k == p->logged_pipes)
		return;
	if (k > 0 && p->logged_pipes == 0)
		nlog(n, LOG_DEBUG, "peer %s: connected to %s", p->conf.name, p->conf.pub_url);
	else if (k == 0)
		nlog(n, LOG_DEBUG, "peer %s: connection to %s closed", p->conf.name,
		     p->conf.pub_url);
	p->logged_pipes = k;
}

static int
ready(const struct pollfd *fds, size_t nfds, int fd)
{
	size_t i;

	for (i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			return (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
	return 0;
}

/* Handle ready sockets and due timers; -1 only on a journal error. */
int
net_process(net *n, const struct pollfd *fds, size_t nfds, uint64_t now)
{
	struct peer *p;
	size_t i;

	if (ready(fds, nfds, n->wakefd)) {
		uint64_t v;

		if (read(n->wakefd, &v, sizeof(v)) < 0) {
			/* EAGAIN: drained already */
		}
	}
	if (atomic_exchange(&n->subscribed, 0)) {
		/* heads for the new subscriber soon, at most once a second */
		uint64_t t = n->heads_sent + NET_HEADS_CONNECT_MS;

		if (t < now + NET_HEADS_SOON_MS)
			t = now + NET_HEADS_SOON_MS;
		if (n->heads_due > t)
			n->heads_due = t;
	}
	for (i = 0; i < n->npeers; i++) {
		p = &n->peers[i];
		if (ready(fds, nfds, p->subfd)) {
			if (drain_sub(n, p, now) != 0)
				return -1;
			check_garbage(n, p, now);
		}
		if (ready(fds, nfds, p->reqfd) && on_response(n, p, now) != 0)
			return -1;
	}
	if (n->repfd >= 0 && ready(fds, nfds, n->repfd))
		drain_rep(n, now);
	/* timers */
	for (i = 0; i < n->npeers; i++) {
		p = &n->peers[i];
		if (p->backoff_until != 0 && now >= p->backoff_until) {
			p->backoff_until = 0; /* heard again from now on */
			p->garbage = 0;
		}
		peer_log_link(n, p);
		if (p->pending && p->pending_snap && now >= p->pending_until) {
			/* no answer: give up; heads or the next round ask again */
			p->pending = 0;
			p->pending_snap = 0;
			p->fetch_after = now + NET_RETRY_MS;
			snap_clear(&p->snap);
		}
		if (p->pending && now >= p->pending_until) {
			p->pending = 0;
			p->fetch_after = now + NET_RETRY_MS;
			/* the peer may be gone: keep the wish for later */
			want_add(p, p->cur.origin, p->cur.epoch, p->cur.after, p->cur.target,
				 p->cur.max);
		}
		fetch_next(n, p, now);
	}
	if (now >= n->snap_due) {
		n->snap_due = now + n->cfg.heads_interval_ms;
		snap_refresh(n, now);
	}
	if (now >= n->heads_due)
		send_heads(n, now);
	return 0;
}

/* Milliseconds until the earliest timer of the net. */
uint64_t
net_next_timeout(const net *n, uint64_t now)
{
	uint64_t t = n->heads_due > now ? n->heads_due - now : 0;
	size_t i;

	if (n->snap_due < now + t)
		t = n->snap_due > now ? n->snap_due - now : 0;
	for (i = 0; i < n->npeers; i++) {
		const struct peer *p = &n->peers[i];

		if (p->backoff_until != 0)
			t = p->backoff_until > now ? (p->backoff_until - now < t ? p->backoff_until - now : t) : 0;
		if (p->pending)
			t = p->pending_until > now ? (p->pending_until - now < t ? p->pending_until - now : t) : 0;
		else if (p->nwants > 0 || p->snap.active)
			t = p->fetch_after > now ? (p->fetch_after - now < t ? p->fetch_after - now : t) : 0;
	}
	return t;
}

/* Number of configured peers. */
size_t
net_npeers(const net *n)
{
	return n->npeers;
}

/* A snapshot of peer i for status and metrics; strings belong to the net. */
void
net_peer_get(const net *n, size_t i, uint64_t now, net_peer_info *info)
{
	const struct peer *p = &n->peers[i];

	memset(info, 0, sizeof(*info));
	info->name = p->conf.name;
	info->pub_url = p->conf.pub_url;
	info->sync_url = p->conf.sync_url;
	info->pipes = atomic_load((atomic_int *)(uintptr_t)&p->pipes);
	if (p->backoff_until != 0) {
		info->state = "backoff";
		info->backoff_ms = p->backoff_until > now ? p->backoff_until - now : 0;
	} else {
		info->state = info->pipes > 0 ? "connected" : "connecting";
	}
	info->cnt = p->cnt;
}

/* Number of origins with counters. */
size_t
net_norigins(const net *n)
{
	return n->norigins;
}

/* A copy of origin i's counters and the newest head seen. */
void
net_origin_get(const net *n, size_t i, net_origin_info *info)
{
	*info = n->origins[i].info;
}
