/*
 * export.c - when blfedd writes the export (blfed-export.5) and what it
 * remembers of the last one.
 *
 * An export runs when the merged view changed (its generation moved; the
 * core keeps the change feed when export-dir is set at start, so that the
 * generation moves only when an exported entry changed), but no more often
 * than export-interval; when a listing expires (core_next_change arms the
 * poll timeout for it, still no sooner than the interval after the last
 * export); and at once on `blfed export`.  The first check after start
 * exports whatever the view holds (generations do not survive a restart).
 *
 * The export runs in the main loop, between two rounds of the transport:
 * the core is single-threaded and nng is not fork-safe, so the choice is a
 * bounded stall.  An export reads the view three times and writes only the
 * shards that changed; while it runs, nng queues incoming deltas
 * (queue-depth) and catch-up repairs what overflowed.  The interval bounds
 * the share of time exports take (BENCHMARKS.md "Exports in the daemon"
 * measures the stall and the apply rate beside it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "blfedd.h"

/* See blfedd.h. */
void
daemon_export_config(const struct config *cfg, export_config *ec)
{
	size_t i;

	memset(ec, 0, sizeof(*ec));
	ec->dir = cfg->export_dir;
	ec->formats = cfg->export_formats;
	ec->source = cfg->export_source[0] != '\0' ? cfg->export_source : NULL;
	ec->zone = cfg->export_zone[0] != '\0' ? cfg->export_zone : NULL;
	for (i = 0; i < cfg->export_nns; i++)
		ec->ns[i] = cfg->export_ns[i];
	ec->nns = cfg->export_nns;
	ec->shard4_bits = cfg->export_shard4;
	ec->shard6_bits = cfg->export_shard6;
	ec->stale_after = cfg->export_stale;
	ec->no_stale = cfg->export_no_stale;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* See blfedd.h. */
int
daemon_export_now(struct daemon *d, uint64_t now_ms)
{
	struct daemon_export *x = &d->exp;
	export_config ec;
	export_stats st;
	uint64_t gen = 0, t0;
	char err[200];
	int rc;

	daemon_export_config(d->cfg, &ec);
	x->last_ms = now_ms;
	x->runs++;
	t0 = mono_ms();
	if ((rc = core_view_generation(d->core, now_ms / 1000, &gen)) == BLF_OK)
		rc = export_run(d->core, &ec, d->key, now_ms / 1000, &st);
	x->duration_ms = mono_ms() - t0;
	if (rc != BLF_OK) {
		int e = errno;

		err[0] = '\0';
		if (rc == BLF_EINVAL)
			(void)export_config_check(&ec, err, sizeof(err));
		snprintf(x->error, sizeof(x->error), "%s: %s%s%s", ec.dir, blf_i18n_log(blf_strerror(rc)),
			 rc == BLF_EIO || err[0] != '\0' ? ": " : "",
			 err[0] != '\0' ? err : rc == BLF_EIO ? strerror(e) : "");
		x->failures++;
		log_msg(LOG_ERR, "export failed, the previous one stays published: %s", x->error);
		return -1;
	}
	x->done = 1;
	x->gen = gen;
	x->time = now_ms / 1000;
	x->st = st;
	x->files_written += st.written;
	x->bytes += st.bytes;
	x->error[0] = '\0';
	log_msg(LOG_INFO, "export serial %llu to %s: %zu files, %zu written, %zu unchanged, "
		"%zu listed, %zu excluded, %llu ms", (unsigned long long)st.serial, ec.dir,
		st.files, st.written, st.skipped, st.listed4 + st.listed6, st.excluded,
		(unsigned long long)x->duration_ms);
	return 0;
}

/* See blfedd.h. */
uint64_t
daemon_export_tick(struct daemon *d, uint64_t now_ms)
{
	struct daemon_export *x = &d->exp;
	uint64_t gen, when, due, ival = d->cfg->export_interval_ms;

	if (d->cfg->export_dir[0] == '\0')
		return UINT64_MAX;
	if (now_ms < x->next_ms)
		return x->next_ms - now_ms;
	if (core_view_generation(d->core, now_ms / 1000, &gen) != BLF_OK)
		log_msg(LOG_WARNING, "export: out of memory building the view");
	else if (!x->done || gen != x->gen)
		(void)daemon_export_now(d, now_ms);
	/* next check: one interval on, or the next expiry if the last export
	 * is an interval old by then */
	x->next_ms = now_ms + ival;
	if (core_next_change(d->core, now_ms / 1000, &when) == BLF_OK && when != UINT64_MAX &&
	    when < UINT64_MAX / 1000) {
		due = when * 1000 > x->last_ms + ival ? when * 1000 : x->last_ms + ival;
		if (due < x->next_ms)
			x->next_ms = due > now_ms ? due : now_ms + 1;
	}
	return x->next_ms - now_ms;
}
