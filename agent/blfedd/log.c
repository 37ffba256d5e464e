/*
 * log.c - logging of the daemon: syslog (facility daemon), or stderr with
 * a UTC timestamp in the foreground (-d).  One line per event; peer data
 * in a line is whatever protocol/ accepted as text, never raw bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "blfedd.h"

static int use_stderr;
static int debug;

/* Choose stderr (foreground -d) or syslog, and whether debug lines are written. */
void
log_init(int to_stderr, int dbg)
{
	use_stderr = to_stderr;
	debug = dbg;
	if (!use_stderr)
		openlog("blfedd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
		return "emerg";
	case LOG_ALERT:
		return "alert";
	case LOG_CRIT:
		return "crit";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/*
 * Write one line at priority prio.
 */
void
log_msg(int prio, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct tm tm;
	time_t t;
	va_list ap;

	if (prio == LOG_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), blf_i18n_log(fmt), ap); /* the daemon's language */
	va_end(ap);
	if (!use_stderr) {
		syslog(prio, "%s", line);
		return;
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s blfedd: %s: %s\n", ts, prio_name(prio), line);
	fflush(stderr);
}

/* net_log_fn adapter. */
void
log_net(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	log_msg(prio, "%s", msg); /* translated by the network layer */
}
