/*
 * blfedd.h - declarations shared by the files of the blfedd daemon.
 *
 * main.c     options, daemonising, signals, the poll loop, reload, stop
 * config.c   the configuration file (blfedd.conf.5)
 * log.c      syslog or stderr, one line per event
 * control.c  the control socket: requests of blfed (agent/ctl)
 * metrics.c  the Prometheus textfile
 * store.c    the trust store transaction for key statements
 */
#ifndef BLFEDD_H
#define BLFEDD_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "../core/core.h"
#include "../ctl/ctl.h"
#include "../export/export.h"
#include "../i18n/i18n.h"
#include "../net/net.h"

#define BLFEDD_CONF "/etc/blfed/blfedd.conf"
#define BLFEDD_VERSION "0.1"
#define CONF_PATH_MAX 1024       /* file names in the config, NUL included */
#define CONF_NAME_MAX 64         /* user and group names, NUL included */
#define CONF_LINE_MAX 4096       /* longest config line */
#define CONF_MAX_FILE (1u << 20) /* largest config file read */
#define DAEMON_COMPACT_MS (3600u * 1000u) /* journal compaction period */
#define DAEMON_MAX_POLL (2u + 2u + 2u * NET_MAX_PEERS)

/* The configuration file, parsed (config.c). */
struct config {
	char path[CONF_PATH_MAX];          /* the file it came from */
	char key[CONF_PATH_MAX];           /* agent secret key */
	char trust[CONF_PATH_MAX];         /* trust store */
	char datadir[CONF_PATH_MAX];       /* journals and checkpoint */
	char control[NET_URL_MAX];         /* control socket URL (ipc://) */
	char control_group[CONF_NAME_MAX]; /* admin group: mode 0660 (else 0600) */
	char user[CONF_NAME_MAX];          /* drop root privileges to this user */
	char pidfile[CONF_PATH_MAX];       /* "" = none */
	char metrics[CONF_PATH_MAX];       /* Prometheus textfile, "" = none */
	uint32_t metrics_interval_ms;
	uint32_t threshold;                /* merge threshold (core) */
	int view_rebuild;                  /* view-updates no (core_config) */
	uint64_t journal_window;           /* seconds (core) */
	net_config net;                    /* sockets, peers, timers */
	/* export (blfed-export.5); export_dir "" = no export */
	char export_dir[CONF_PATH_MAX];
	unsigned export_formats;           /* EXPORT_* bits */
	uint32_t export_interval_ms;       /* least time between two exports */
	char export_zone[EXPORT_NAME_MAX + 1];
	char export_ns[EXPORT_MAX_NS][EXPORT_NAME_MAX + 1];
	size_t export_nns;
	unsigned export_shard4, export_shard6;
	uint64_t export_stale;             /* seconds; 0 = default */
	int export_no_stale;               /* export-stale never */
	char export_source[EXPORT_SOURCE_MAX + 1];
	int export_per_origin;             /* export-per-origin yes */
};

#define CONF_EXPORT_INTERVAL_MS 10000u /* export-interval default */

/* Parse path into *cfg (defaults first).  On error err holds
 * "FILE:LINE: `text`: reason" and -1 is returned.  A file that others may
 * write (keys_file_check) is refused, its name and the fix in err. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* log.c */
void log_init(int to_stderr, int debug);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_net(void *ctx, int prio, const char *msg);

/* The export's state and its last run (export.c). */
struct daemon_export {
	int done;                  /* exported once since start */
	uint64_t gen;              /* view generation of the last export */
	uint64_t last_ms;          /* when the last export started (0: never) */
	uint64_t next_ms;          /* next check of the view */
	uint64_t time;             /* last export: unix seconds */
	uint64_t duration_ms;
	export_stats st;
	uint64_t runs, failures;   /* since start */
	uint64_t files_written, bytes;
	char error[256];           /* last failure, "" after a success */
	export_job *job;           /* the export in progress, or NULL */
	export_state *state;       /* what the last export read, for the next */
	uint64_t job_t0;           /* monotonic start of the job, us */
	uint64_t job_time;         /* its unix seconds */
	uint64_t job_gen;          /* view generation at its start */
	uint64_t step_max_us;      /* its longest step so far */
	const char *step_max_kind; /* what that step did (export_job_step_kind) */
};
/* Longest run of export steps in one turn of the main loop, ms. */
#define DAEMON_EXPORT_SLICE_MS 5u

/* The running daemon. */
struct daemon {
	struct config *cfg;
	key_secret *key;           /* agent key: heads, catch-up, our origin's deltas */
	core *core;
	net *net;
	nng_socket ctl;
	int ctl_ok;
	int ctlfd;
	uint64_t started;          /* unix seconds */
	uint64_t reloads;          /* successful reloads */
	uint64_t reload_failures;
	char last_reload_error[512];
	int stop;                  /* set by SIGTERM/SIGINT */
	struct daemon_export exp;  /* export.c */
	uint8_t (*dseen)[BLF_DISPUTE_ID_LEN]; /* disputes against us already logged */
	size_t ndseen;
	uint64_t dgen, dvgen;      /* dispute and view generations last looked at */
	uint64_t dnext;            /* look again by then anyway (trust, lapses) */
	size_t dopen;              /* disputes with listings of ours still open */
};

/* main.c: reload config, key and trust atomically; 0, or -1 keeping the
 * old ones with the reason in err. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);

/* control.c */
int control_open(struct daemon *d);
void control_process(struct daemon *d);
void control_close(struct daemon *d);

/* export.c: export when due (view changed, interval passed, expiry), or
 * now with force; returns the poll timeout cap in ms until the next check
 * (UINT64_MAX with no export).  daemon_export_now runs it at once: 0 or
 * -1 with the reason in d->exp.error. */
uint64_t daemon_export_tick(struct daemon *d, uint64_t now_ms);
int daemon_export_now(struct daemon *d, uint64_t now_ms);
/* export.c: drop the export in progress and the state (reload), and free
 * everything at exit. */
void daemon_export_abort(struct daemon *d);
void daemon_export_free(struct daemon *d);
/* export.c: the export_config of a parsed configuration (strings borrowed). */
void daemon_export_config(const struct config *cfg, export_config *ec);

/* metrics.c: write cfg->metrics (temporary file + rename).  0 or -1. */
int metrics_write(struct daemon *d, uint64_t now_ms);

/* store.c: apply a signed rollover/revocation statement to the trust store
 * file under its lock; on BLF_OK *out is the new store (caller frees). */
int store_apply_statement(const char *trustfile, const uint8_t *msg, size_t len,
			  uint64_t now, trust_store *out, unsigned *type, char *err,
			  size_t errlen);

/* store.c: keep an applied statement in <datadir>/statements/ (0 or -1),
 * and hand the kept ones to the net at start-up. */
int store_keep_statement(const char *datadir, const uint8_t *msg, size_t len);
void store_load_statements(const char *datadir, net *n);

/* main.c: the statement callback of the net (store + core_set_trust). */
int daemon_statement(void *ctx, const uint8_t *msg, size_t len, char *err, size_t errlen);

/* dispute.c: the disputes requests of the control socket (text or JSON
 * into body; *code is the CLI's exit code, msg its error line), the log
 * line for each new dispute against our listings, and the count of open
 * ones for status and metrics. */
void dispute_ctl(struct daemon *d, const ctl_req *q, int *code, char *msg, size_t msgcap,
		 ctl_buf *body);
void dispute_watch(struct daemon *d, uint64_t now);
#define DISPUTE_WATCH_MS 1000u /* how often the generations are compared */
#define DISPUTE_RESCAN_S 60u   /* a full look at least this often */
size_t dispute_open_against_us(struct daemon *d, uint64_t now);
/* dispute.c: the trail of disputes over the query of a why request. */
void dispute_why(struct daemon *d, const blf_prefix *q, int json, ctl_buf *body);

/* Wall clock in milliseconds. */
uint64_t daemon_now_ms(void);

#endif /* BLFEDD_H */
