/*
 * export.c - when blfedd writes the export (blfed-export.5) and what it
 * remembers of the last one.
 *
 * An export runs when the merged view changed (its generation moved; the
 * core keeps the change feed when export-dir is set at start, so that the
 * generation moves only when an exported entry changed), but no more often
 * than export-interval; when a listing expires (core_next_change arms the
 * poll timeout for it, still no sooner than the interval after the last
 * export); and at once on `blfed export`.  The first export after start
 * reads every shard (generations and the export state do not survive a
 * restart); the next ones read only the shards the core's change feed
 * names since the generation the previous export started at.
 *
 * The core is single-threaded and nng is not fork-safe, so the export runs
 * in the main loop, as a job (export_job_step): each turn of the loop runs
 * steps of the job for at most DAEMON_EXPORT_SLICE_MS (one shard per step)
 * and returns to poll, so that deltas, catch-up and control requests are
 * served between two shards; the poll does not wait while a job is open.
 * Each shard is the view at the step that read it, and the MANIFEST is
 * written last: see blfed-export.5 "Consistency".  `blfed export` (on
 * demand) finishes the job in progress and runs a new one to the end
 * before it replies.  A reload drops the job in progress (its staged files
 * are removed) and the state: the next export reads every shard.
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
	ec->per_origin = cfg->export_per_origin;
}

/* Wall-clock milliseconds (daemon_now_ms lives in main.c, which the
 * configuration fuzzer does not link). */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Record the end of the job (done, or failed with rc). */
static int
job_end(struct daemon *d, int rc)
{
	struct daemon_export *x = &d->exp;
	export_stats st;
	export_config ec;
	char err[200];

	daemon_export_config(d->cfg, &ec);
	export_job_stats(x->job, &st);
	log_msg(LOG_DEBUG, "export: %zu steps, the longest %llu.%03llu ms (%s)", st.steps,
		(unsigned long long)x->step_max_us / 1000,
		(unsigned long long)x->step_max_us % 1000, x->step_max_kind);
	export_job_free(x->job);
	x->job = NULL;
	x->duration_ms = (mono_us() - x->job_t0) / 1000;
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
	x->gen = x->job_gen;
	x->time = x->job_time;
	x->st = st;
	x->files_written += st.written;
	x->bytes += st.bytes;
	x->error[0] = '\0';
	log_msg(LOG_INFO, "export serial %llu to %s: %zu files, %zu written, %zu unchanged, "
		"%zu listed, %zu excluded, %zu shards read in %zu steps, %llu ms",
		(unsigned long long)st.serial, ec.dir, st.files, st.written, st.skipped,
		st.listed4 + st.listed6, st.excluded, st.walked, st.steps,
		(unsigned long long)x->duration_ms);
	return 0;
}

/* Start a job at now_ms: 0, or -1 (recorded as a failure). */
static int
job_start(struct daemon *d, uint64_t now_ms)
{
	struct daemon_export *x = &d->exp;
	export_config ec;
	uint64_t gen = 0;
	int rc;

	daemon_export_config(d->cfg, &ec);
	if (x->state == NULL)
		x->state = export_state_new(); /* without: every export reads it all */
	x->last_ms = now_ms;
	x->runs++;
	x->job_t0 = mono_us();
	x->job_time = now_ms / 1000;
	if ((rc = core_view_generation(d->core, now_ms / 1000, &gen)) == BLF_OK)
		rc = export_job_start_core(d->core, &ec, d->key, now_ms / 1000, x->state,
					   &x->job);
	x->job_gen = gen;
	/* the start (the previous MANIFEST read, the change feed asked, the
	 * files planned) is the job's first step in its accounting */
	x->step_max_us = mono_us() - x->job_t0;
	x->step_max_kind = "start";
	if (x->step_max_us > 50000)
		log_msg(LOG_DEBUG, "export: the start took %llu ms",
			(unsigned long long)x->step_max_us / 1000);
	if (rc != BLF_OK) {
		x->job = NULL;
		x->duration_ms = 0;
		snprintf(x->error, sizeof(x->error), "%s: %s%s%s", ec.dir, blf_i18n_log(blf_strerror(rc)),
			 rc == BLF_EIO ? ": " : "", rc == BLF_EIO ? strerror(errno) : "");
		x->failures++;
		log_msg(LOG_ERR, "export failed, the previous one stays published: %s", x->error);
		return -1;
	}
	log_msg(LOG_DEBUG, "export started");
	return 0;
}

/*
 * Steps of the open job for up to slice_us (0: to the end).  A step after
 * applied deltas first brings the view up to date (the core's cost, the
 * same as the next generation check would pay): for deltas and listing
 * expiries the core updates the view for the prefixes they touched, in
 * about a millisecond at a million entries; what changes acceptance
 * everywhere (a trust change, an anchor's expiry, a dispute) rebuilds it
 * whole.  When that took longer than the slice (a whole build, or the
 * update after a large batch), the slice is stretched to the same time,
 * so that building takes at most half of the time while deltas keep
 * coming.  Returns 1 while the job goes on, 0 when it ended well, -1 when
 * it failed.
 */
static int
job_run(struct daemon *d, uint64_t slice_us)
{
	struct daemon_export *x = &d->exp;
	uint64_t t0 = mono_us(), gen, built;
	int done = 0, rc;

	(void)core_view_generation(d->core, wall_ms() / 1000, &gen);
	built = mono_us() - t0;
	if (slice_us != 0 && built > slice_us)
		slice_us = built;
	t0 = mono_us();
	do {
		uint64_t s0 = mono_us();

		rc = export_job_step(x->job, wall_ms() / 1000, &done);
		if (mono_us() - s0 > x->step_max_us) {
			x->step_max_us = mono_us() - s0;
			x->step_max_kind = export_job_step_kind(x->job);
		}
		if (mono_us() - s0 > 50000)
			log_msg(LOG_DEBUG, "export: a step took %llu ms (view build %llu ms)",
				(unsigned long long)(mono_us() - s0) / 1000,
				(unsigned long long)built / 1000);
		if (rc != BLF_OK)
			return job_end(d, rc);
		if (done)
			return job_end(d, BLF_OK);
	} while (slice_us == 0 || mono_us() - t0 < slice_us);
	return 1;
}

/* See blfedd.h. */
void
daemon_export_abort(struct daemon *d)
{
	struct daemon_export *x = &d->exp;

	if (x->job != NULL) {
		export_job_free(x->job);
		x->job = NULL;
		log_msg(LOG_NOTICE, "export in progress dropped; the previous one stays published");
	}
	export_state_reset(x->state);
}

/* See blfedd.h. */
void
daemon_export_free(struct daemon *d)
{
	export_job_free(d->exp.job);
	d->exp.job = NULL;
	export_state_free(d->exp.state);
	d->exp.state = NULL;
}

/* See blfedd.h. */
int
daemon_export_now(struct daemon *d, uint64_t now_ms)
{
	struct daemon_export *x = &d->exp;

	if (x->job != NULL)
		(void)job_run(d, 0);
	if (job_start(d, now_ms) != 0)
		return -1;
	return job_run(d, 0) == 0 ? 0 : -1;
}

/* See blfedd.h. */
uint64_t
daemon_export_tick(struct daemon *d, uint64_t now_ms)
{
	struct daemon_export *x = &d->exp;
	uint64_t gen, when, due, ival = d->cfg->export_interval_ms;

	if (d->cfg->export_dir[0] == '\0')
		return UINT64_MAX;
	if (x->job != NULL) {
		if (job_run(d, DAEMON_EXPORT_SLICE_MS * 1000u) == 1) {
			x->next_ms = now_ms;
			return 0; /* more to do: poll does not wait */
		}
	} else {
		if (now_ms < x->next_ms)
			return x->next_ms - now_ms;
		if (core_view_generation(d->core, now_ms / 1000, &gen) != BLF_OK) {
			log_msg(LOG_WARNING, "export: out of memory building the view");
		} else if (!x->done || gen != x->gen) {
			if (job_start(d, now_ms) == 0 &&
			    job_run(d, DAEMON_EXPORT_SLICE_MS * 1000u) == 1) {
				x->next_ms = now_ms;
				return 0;
			}
		}
	}
	/* next check: one interval after the last export began, or the next
	 * expiry if the last export is an interval old by then */
	now_ms = wall_ms();
	x->next_ms = x->last_ms + ival > now_ms ? x->last_ms + ival : now_ms + 1;
	if (core_next_change(d->core, now_ms / 1000, &when) == BLF_OK && when != UINT64_MAX &&
	    when < UINT64_MAX / 1000) {
		due = when * 1000 > x->last_ms + ival ? when * 1000 : x->last_ms + ival;
		if (due < x->next_ms)
			x->next_ms = due > now_ms ? due : now_ms + 1;
	}
	return x->next_ms - now_ms;
}
