/*
 * main.c - blfedd, the federation daemon: options, start-up, the poll loop,
 * reload and stop.
 *
 *     blfedd [-c FILE] [-n] [-d] [-f]
 *
 * Start-up order matters: every signal is blocked before the first nng
 * call (nng's threads must never see one; the main thread reads them from
 * a signalfd), and the process forks before nng starts (nng is not
 * fork-safe).  The parent of a daemonising start waits on a pipe until the
 * child has bound its sockets, so that a bad start shows in the exit
 * status.  Sockets are bound as root, then privileges are dropped to the
 * configured user before the data directory is opened.  That user's files
 * are accepted beside root's (keys_set_owner), and before anything is
 * bound keys_user_check makes sure it can use them after the drop.
 *
 * One thread touches the core: the main loop polls the signalfd, the
 * control socket and the net's sockets, and runs the timers (heads,
 * catch-up, export, metrics, compaction).  SIGHUP re-reads config, key and trust
 * store into new structures and swaps them in only when all are valid;
 * SIGTERM/SIGINT stop cleanly: sockets closed, checkpoint written.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "blfedd.h"

/*
 * Seconds the sockets may take to close at exit.  nng_close has been seen
 * to deadlock now and then with libnng 1.5.2 (the main thread in nng_close,
 * nng's reaper waiting on a condition): by then everything durable is
 * written, so a watchdog ends the process rather than let a stop hang.
 */
#define STOP_GRACE_S 5

static void
usage(void)
{
	fprintf(stderr, _("usage: blfedd [-c FILE] [-n] [-d] [-f]\n"
			"  -c FILE  configuration file (default %s)\n"
			"  -n       check configuration, key and trust store, then exit\n"
			"  -d       stay in the foreground, log to stderr with debug lines\n"
			"  -f       stay in the foreground, log to syslog\n"),
		BLFEDD_CONF);
}

/* Wall clock in milliseconds (the core takes unix seconds). */
uint64_t
daemon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Load what a configuration names: the key and the trust store. */
static int
load_files(const struct config *cfg, key_secret **key, trust_store *st, char *err,
	   size_t errlen)
{
	char e[KEYS_ERRLEN];
	int rc;

	e[0] = '\0';
	if ((rc = key_secret_load(cfg->key, key, e, sizeof(e))) != BLF_OK) {
		snprintf(err, errlen, _("key %s: %s"), cfg->key, e[0] != '\0' ? e : _(blf_strerror(rc)));
		return -1;
	}
	if ((rc = trust_store_load(cfg->trust, st, e, sizeof(e))) != BLF_OK) {
		snprintf(err, errlen, _("trust %s: %s"), cfg->trust,
			 e[0] != '\0' ? e : _(blf_strerror(rc)));
		key_secret_free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

/*
 * Started as root with a `user`: that user (*u) owns what the daemon keeps
 * using after the drop, so its files are accepted beside root's
 * (keys_set_owner).  Returns 1 (a drop is coming, *u filled), 0 (none),
 * -1 with err.
 */
static int
drop_user(const struct config *cfg, keys_user *u, char *err, size_t errlen)
{
	struct passwd *pw;
	int n = KEYS_MAX_GROUPS;

	if (getuid() != 0 || cfg->user[0] == '\0')
		return 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		snprintf(err, errlen, _("user %s: no such user"), cfg->user);
		return -1;
	}
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", cfg->user);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	if (getgrouplist(pw->pw_name, pw->pw_gid, u->groups, &n) < 0)
		n = 0; /* more than we consider: judge by the primary group */
	u->ngroups = n;
	keys_set_owner(u->uid);
	return 1;
}

/*
 * Before anything is bound: will the user we drop to be able to do what
 * the daemon does with its files later?  Re-read the config and the key
 * (SIGHUP), rewrite the trust store (key statements), own the data and
 * export directories.  Returns 0, or -1 with the file, what the user
 * lacks and the fix in err.
 */
static int
drop_user_check(const struct config *cfg, const keys_user *u, char *err, size_t errlen)
{
	char e[1024];
	int rc;

	e[0] = '\0';
	if ((rc = keys_user_check(cfg->path, "config file", KEYS_USE_READ, u, e,
				  sizeof(e))) != BLF_OK ||
	    (rc = keys_user_check(cfg->key, "key file", KEYS_USE_READ, u, e,
				  sizeof(e))) != BLF_OK ||
	    (rc = keys_user_check(cfg->trust, "trust store", KEYS_USE_REWRITE, u, e,
				  sizeof(e))) != BLF_OK ||
	    (rc = keys_user_check(cfg->datadir, "data directory", KEYS_USE_DIR, u, e,
				  sizeof(e))) != BLF_OK ||
	    (cfg->export_dir[0] != '\0' &&
	     (rc = keys_user_check(cfg->export_dir, "export directory", KEYS_USE_DIR, u, e,
				   sizeof(e))) != BLF_OK)) {
		snprintf(err, errlen, "%s", e[0] != '\0' ? e : _(blf_strerror(rc)));
		return -1;
	}
	return 0;
}

/*
 * Settings that need a reopen changed (net_config_reopen): close the
 * transport and open it with the new settings (counters start again).
 * If they do not work, the
 * old transport is opened again and -1 returned; if even that fails, the
 * daemon stops (d->stop = 2, d->net NULL).
 */
static int
restart_net(struct daemon *d, struct config *nc, const key_secret *nk, char *err,
	    size_t errlen)
{
	net *nn = NULL;

	net_close(d->net);
	d->net = NULL;
	if (net_open(&nc->net, d->core, nk, daemon_now_ms(), &nn) == 0) {
		d->net = nn;
		store_load_statements(d->cfg->datadir, d->net);
		log_msg(LOG_NOTICE, "reload: transport restarted: %zu listen, %zu sync-listen, "
			"%zu peers", nc->net.nlisten, nc->net.nsync, nc->net.npeers);
		return 0;
	}
	snprintf(err, errlen, _("the new listen, peer or tls settings do not work (see the log)"));
	if (net_open(&d->cfg->net, d->core, d->key, daemon_now_ms(), &d->net) != 0) {
		log_msg(LOG_CRIT, "reload: the old transport cannot be opened again: stopping");
		d->net = NULL;
		d->stop = 2;
		return -1;
	}
	store_load_statements(d->cfg->datadir, d->net);
	return -1;
}

/*
 * Reload: everything is read into new structures first; only when all of
 * them are valid are they swapped in.  The transport is restarted when its
 * settings changed; the data directory, control socket and pid file change
 * only at a restart.
 */
int
daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct config *nc;
	key_secret *nk = NULL;
	trust_store st = { 0 }, old = { 0 };
	int rc, netchange;

	if ((nc = malloc(sizeof(*nc))) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		goto fail;
	}
	if (config_load(d->cfg->path, nc, err, errlen) != 0 ||
	    load_files(nc, &nk, &st, err, errlen) != 0)
		goto fail;
	nc->net.log = log_net;
	nc->net.statement = daemon_statement;
	nc->net.ctx = d;
	netchange = net_config_reopen(&d->cfg->net, &nc->net);
	if (netchange && trust_store_copy(core_trust(d->core), &old) != BLF_OK) {
		snprintf(err, errlen, _("out of memory"));
		goto fail;
	}
	if ((rc = core_set_trust(d->core, &st)) != BLF_OK) {
		snprintf(err, errlen, _("trust %s: %s"), nc->trust, _(blf_strerror(rc)));
		goto fail;
	}
	if (netchange && restart_net(d, nc, nk, err, errlen) != 0) {
		(void)core_set_trust(d->core, &old);
		goto fail;
	}
	if (strcmp(d->cfg->datadir, nc->datadir) != 0 || strcmp(d->cfg->control, nc->control) != 0)
		log_msg(LOG_WARNING, "reload: datadir and control changes take effect at the "
			"next restart");
	/* the settings that need no reopen, in place */
	if (!netchange)
		net_tune(d->net, &nc->net, daemon_now_ms());
	/* keep what only a restart can change, so that status tells the truth */
	nc->view_rebuild = d->cfg->view_rebuild;
	snprintf(nc->datadir, sizeof(nc->datadir), "%s", d->cfg->datadir);
	snprintf(nc->control, sizeof(nc->control), "%s", d->cfg->control);
	snprintf(nc->pidfile, sizeof(nc->pidfile), "%s", d->cfg->pidfile);
	snprintf(nc->user, sizeof(nc->user), "%s", d->cfg->user);
	free(d->cfg);
	d->cfg = nc;
	key_secret_free(d->key);
	d->key = nk;
	net_set_key(d->net, d->key);
	trust_store_free(&st);
	trust_store_free(&old);
	/* export settings may have changed: write the whole set once more
	 * (unchanged files are kept) */
	daemon_export_abort(d);
	d->exp.done = 0;
	d->exp.next_ms = 0;
	d->reloads++;
	log_msg(LOG_NOTICE, "reloaded %s: %zu trust anchors", d->cfg->path,
		core_trust(d->core)->nanchors);
	return 0;
fail:
	d->reload_failures++;
	snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", err);
	log_msg(LOG_ERR, "reload refused, keeping the running configuration: %s", err);
	free(nc);
	key_secret_free(nk);
	trust_store_free(&st);
	trust_store_free(&old);
	return -1;
}

/*
 * A rollover or revocation statement from the network or the CLI: applied
 * to the store file under its lock, then to the running core.
 */
int
daemon_statement(void *ctx, const uint8_t *msg, size_t len, char *err, size_t errlen)
{
	struct daemon *d = ctx;
	trust_store st;
	unsigned type = 0;
	int rc;

	rc = store_apply_statement(d->cfg->trust, msg, len, daemon_now_ms() / 1000, &st, &type,
				   err, errlen);
	if (rc != BLF_OK)
		return rc;
	rc = core_set_trust(d->core, &st);
	trust_store_free(&st);
	if (rc != BLF_OK) {
		snprintf(err, errlen, _("trust store applied but not loaded: %s"), _(blf_strerror(rc)));
		return rc;
	}
	/* the signing key of an origin changed: the JSON Lines name it, and
	 * the change feed does not (no entry changed), so export everything */
	daemon_export_abort(d);
	d->exp.done = 0;
	d->exp.next_ms = 0;
	log_msg(LOG_NOTICE, "%s statement applied to %s: %s", blf_msg_type_name(type),
		d->cfg->trust, err[0] != '\0' ? err : "ok");
	(void)store_keep_statement(d->cfg->datadir, msg, len);
	return BLF_OK;
}

/*
 * Write our pid under an exclusive lock that is held as long as we run:
 * a second blfedd with the same pid file stops here, before it touches
 * the first one's sockets.  Returns 1 written, 0 none configured, -1.
 */
static int
write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	if (path[0] == '\0')
		return 0;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_msg(LOG_ERR, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_msg(LOG_ERR, "pidfile %s: %s", path, errno == EWOULDBLOCK ?
			_("locked: another blfedd is running") : strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		log_msg(LOG_ERR, "pidfile %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return 1; /* fd stays open: the lock lives as long as we do */
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (getuid() != 0 || user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_msg(LOG_ERR, "user %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_msg(LOG_ERR, "user %s: cannot drop privileges: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_msg(LOG_ERR, "user %s: root privileges could be regained", user);
		return -1;
	}
	log_msg(LOG_INFO, "running as %s", user);
	return 0;
}

/* Fork into the background; the parent exits with the child's start result. */
static int
daemonise(int *notify)
{
	int p[2];
	pid_t pid;
	char c = 1;

	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(c == 0 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		return -1;
	*notify = p[1];
	return 0;
}

static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void
notify_parent(int *fd, char status)
{
	if (*fd < 0)
		return;
	(void)!write(*fd, &status, 1);
	close(*fd);
	*fd = -1;
}

/* What recovery found in the data directory, one line per event, so that
 * an administrator sees a damaged file without asking for it. */
static void
log_recovery(const struct daemon *d, const trust_store *st)
{
	char hex[BLF_KEYID_HEX_LEN + 1];
	const trust_anchor *a;
	const core_cut *k;
	core_stats cs;
	size_t i;

	core_get_stats(d->core, &cs);
	if (cs.io.checkpoint == CORE_CKPT_BAD)
		log_msg(LOG_WARNING, "datadir %s: checkpoint damaged: ignored, state rebuilt "
			"from the journals", d->cfg->datadir);
	if (cs.io.nbroken > 0)
		log_msg(LOG_WARNING, "datadir %s: %llu file(s) that cannot be replayed set aside "
			"as NAME.broken", d->cfg->datadir, (unsigned long long)cs.io.nbroken);
	for (i = 0; i < cs.io.ncut && i < CORE_IO_CUTS_MAX; i++) {
		k = &cs.io.cuts[i];
		a = trust_store_find_origin(st, k->origin);
		blf_keyid_hex(k->origin, hex);
		log_msg(k->damaged ? LOG_WARNING : LOG_NOTICE, "journal of origin %s cut at "
			"offset %llu: %s, %llu bytes dropped; the rest is fetched from peers",
			a != NULL ? a->name : hex, (unsigned long long)k->off,
			k->damaged ? blf_i18n_log("damaged record") : blf_i18n_log("torn last record"),
			(unsigned long long)k->dropped);
	}
	if (cs.io.ncut > CORE_IO_CUTS_MAX)
		log_msg(LOG_WARNING, "%llu more journal(s) cut at open",
			(unsigned long long)(cs.io.ncut - CORE_IO_CUTS_MAX));
}

static int
open_core(struct daemon *d, const trust_store *st)
{
	core_config cc;
	int rc;

	memset(&cc, 0, sizeof(cc));
	cc.threshold = d->cfg->threshold;
	cc.window = d->cfg->journal_window;
	/* the generation then moves only when an exported entry changed */
	cc.change_feed = d->cfg->export_dir[0] != '\0';
	cc.view_rebuild = d->cfg->view_rebuild;
	if ((rc = core_open(d->cfg->datadir, &cc, st, &d->core)) != BLF_OK) {
		log_msg(LOG_ERR, "datadir %s: %s%s%s", d->cfg->datadir, _(blf_strerror(rc)),
			rc == BLF_EIO ? ": " : "", rc == BLF_EIO ? strerror(errno) : "");
		return -1;
	}
	log_recovery(d, st);
	return 0;
}

static int
run(struct daemon *d)
{
	struct pollfd fds[DAEMON_MAX_POLL];
	struct signalfd_siginfo si;
	sigset_t set;
	uint64_t now, t, next_metrics, next_compact, compact_ms, next_dispute;
	size_t nf;
	int sfd, timeout, rc = 0;
	char err[512];

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		log_msg(LOG_ERR, "signalfd: %s", strerror(errno));
		return -1;
	}
	now = daemon_now_ms();
	next_metrics = now;
	next_dispute = now;
	/* compaction runs at least once per journal window (a short window
	 * is for tests), at most once a second */
	compact_ms = d->cfg->journal_window * 1000 < DAEMON_COMPACT_MS
			     ? d->cfg->journal_window * 1000 : DAEMON_COMPACT_MS;
	next_compact = now + compact_ms;
	while (!d->stop) {
		fds[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = d->ctlfd, .events = POLLIN};
		nf = 2 + net_pollfds(d->net, fds + 2, DAEMON_MAX_POLL - 2);
		now = daemon_now_ms();
		t = net_next_timeout(d->net, now);
		if (d->cfg->metrics[0] != '\0')
			t = next_metrics > now ? (next_metrics - now < t ? next_metrics - now : t) : 0;
		t = next_compact > now ? (next_compact - now < t ? next_compact - now : t) : 0;
		t = next_dispute > now ? (next_dispute - now < t ? next_dispute - now : t) : 0;
		if (d->cfg->export_dir[0] != '\0')
			t = d->exp.next_ms > now ? (d->exp.next_ms - now < t ? d->exp.next_ms - now : t)
						 : 0;
		timeout = t > 60000 ? 60000 : (int)t;
		if (poll(fds, nf, timeout) < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		now = daemon_now_ms();
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				log_msg(LOG_NOTICE, "SIGHUP: reloading %s", d->cfg->path);
				(void)daemon_reload(d, err, sizeof(err));
			} else {
				log_msg(LOG_NOTICE, "%s: stopping",
					si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
				d->stop = 1;
			}
		}
		if (d->net != NULL && (fds[1].revents & POLLIN))
			control_process(d);
		if (d->net == NULL)
			break; /* a reload could not bring the transport back */
		if (net_process(d->net, fds + 2, nf - 2, now) != 0) {
			rc = -1;
			break;
		}
		(void)daemon_export_tick(d, daemon_now_ms());
		if (now >= next_dispute) {
			dispute_watch(d, now / 1000); /* SPEC 8.6: tell the operator */
			next_dispute = now + DISPUTE_WATCH_MS;
		}
		if (d->cfg->metrics[0] != '\0' && now >= next_metrics) {
			(void)metrics_write(d, now);
			next_metrics = now + d->cfg->metrics_interval_ms;
		}
		if (now >= next_compact) {
			int crc = core_compact(d->core, now / 1000);

			if (crc != BLF_OK)
				log_msg(LOG_WARNING, "compaction: %s", _(blf_strerror(crc)));
			next_compact = now + compact_ms;
		}
	}
	if (d->stop == 2)
		rc = -1;
	close(sfd);
	return rc;
}

/* Options, start-up in the order described above, the loop, the stop. */

/* The exit status the watchdog uses (set before it starts). */
static int stop_status;

/* Sleep STOP_GRACE_S, then end the process: only reached when closing the
 * sockets hangs (see STOP_GRACE_S). */
static void *
stop_watchdog(void *arg)
{
	struct timespec ts = { STOP_GRACE_S, 0 };

	(void)arg;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	log_msg(LOG_WARNING, "sockets did not close within %d s: exiting", STOP_GRACE_S);
	_exit(stop_status);
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *conf = BLFEDD_CONF;
	struct daemon d;
	trust_store st = { 0 };
	sigset_t all;
	char err[1024];
	int opt, check = 0, foreground = 0, debug = 0, notify = -1, ret = 1, rc, pid_ok = 0;
	int started = 0; /* the core was open: log "stopped" */
	int dropping = 0; /* started as root with a `user` (du) */
	keys_user du;

	memset(&d, 0, sizeof(d));
	d.ctlfd = -1;
	blf_i18n_init_daemon();
	/* before anything else, and above all before nng starts threads */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	while ((opt = getopt(argc, argv, "c:ndfh")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'd':
			foreground = 1;
			debug = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (blf_init() != BLF_OK) {
		fprintf(stderr, _("blfedd: cannot initialise libsodium\n"));
		return 1;
	}
	if ((d.cfg = malloc(sizeof(*d.cfg))) == NULL) {
		fprintf(stderr, _("blfedd: out of memory\n"));
		return 1;
	}
	/* the files must serve the user we drop to as well: checked now,
	 * before anything is bound (and by -n) */
	if (config_load(conf, d.cfg, err, sizeof(err)) != 0 ||
	    (dropping = drop_user(d.cfg, &du, err, sizeof(err))) < 0 ||
	    load_files(d.cfg, &d.key, &st, err, sizeof(err)) != 0 ||
	    (dropping && drop_user_check(d.cfg, &du, err, sizeof(err)) != 0)) {
		fprintf(stderr, "blfedd: %s\n", err);
		goto out;
	}
	if (check) {
		printf(_("%s: configuration ok (%zu peers, %zu trust anchors, %s%s)\n"), conf,
		       d.cfg->net.npeers, st.nanchors,
		       d.cfg->export_dir[0] != '\0' ? _("export to ") : _("no export"),
		       d.cfg->export_dir);
		ret = 0;
		goto out;
	}
	if (!foreground && daemonise(&notify) != 0) {
		fprintf(stderr, _("blfedd: cannot daemonise: %s\n"), strerror(errno));
		goto out;
	}
	log_init(debug, debug);
	if (!foreground)
		detach_stdio();
	d.started = daemon_now_ms() / 1000;
	d.cfg->net.log = log_net;
	d.cfg->net.statement = daemon_statement;
	d.cfg->net.ctx = &d;
	/* nng starts here: sockets first (as root: low ports, /run), then drop */
	if ((pid_ok = write_pidfile(d.cfg->pidfile)) < 0 || control_open(&d) != 0)
		goto out;
	if (drop_privileges(d.cfg->user) != 0 || open_core(&d, &st) != 0)
		goto out;
	if (net_open(&d.cfg->net, d.core, d.key, daemon_now_ms(), &d.net) != 0)
		goto out;
	store_load_statements(d.cfg->datadir, d.net);
	log_msg(LOG_NOTICE, "started: %zu listen, %zu sync-listen, %zu peers, %zu trust anchors",
		d.cfg->net.nlisten, d.cfg->net.nsync, d.cfg->net.npeers, st.nanchors);
	notify_parent(&notify, 0);
	ret = run(&d) == 0 ? 0 : 1;
out:
	notify_parent(&notify, 1);
	/* everything durable first: the sockets are closed last, under a
	 * watchdog (STOP_GRACE_S); the net never touches the core again */
	daemon_export_free(&d);
	if (d.core != NULL) {
		if ((rc = core_checkpoint(d.core)) != BLF_OK)
			log_msg(LOG_ERR, "checkpoint: %s", _(blf_strerror(rc)));
		core_close(d.core);
		d.core = NULL;
		started = 1;
	}
	free(d.dseen);
	d.dseen = NULL;
	if (pid_ok == 1)
		unlink(d.cfg->pidfile);
	if (d.net != NULL || d.ctl_ok) {
		pthread_t wd;

		stop_status = ret;
		if (pthread_create(&wd, NULL, stop_watchdog, NULL) == 0)
			pthread_detach(wd);
	}
	net_close(d.net);
	control_close(&d);
	if (started)
		log_msg(LOG_NOTICE, "stopped");
	trust_store_free(&st);
	key_secret_free(d.key);
	free(d.cfg);
	return ret;
}
