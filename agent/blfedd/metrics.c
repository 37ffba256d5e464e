/*
 * metrics.c - the Prometheus textfile (node_exporter's textfile collector):
 * counters per peer and per origin, written to a temporary file in the
 * same directory and renamed over the target, so that the collector never
 * reads half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "blfedd.h"

static const char *const names[NET_C_MAX] = {
	"received", "applied", "relayed", "duplicate", "rejected", "dropped",
	"served", "fetched", "heads", "disconnects",
	"snapshots_served", "snapshots_fetched",
};

static const char *const help[NET_C_MAX] = {
	"Messages received", "Deltas applied", "Deltas and statements republished",
	"Duplicate or stale deltas", "Messages refused", "Deltas found missing (gaps)",
	"Deltas served by catch-up", "Deltas fetched by catch-up", "Heads received",
	"Disconnects for malformed messages",
	"Snapshots served (last chunk sent)", "Snapshots fetched and applied or kept",
};

/* Label values are names from our own config and trust store; escape anyway. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
counters(FILE *f, const char *kind, const char *name, const net_counters *c, int which)
{
	int k;

	if (which != NET_C_REJECTED) {
		fprintf(f, "blfedd_%s_%s_total{%s=\"", kind, names[which], kind);
		label(f, name);
		fprintf(f, "\"} %llu\n", (unsigned long long)c->c[which]);
		return;
	}
	for (k = 1; k < BLF_ERR_MAX; k++) {
		if (c->rejected[k] == 0)
			continue;
		fprintf(f, "blfedd_%s_rejected_total{%s=\"", kind, kind);
		label(f, name);
		fprintf(f, "\",outcome=\"%s\"} %llu\n", net_outcome_name(k),
			(unsigned long long)c->rejected[k]);
	}
}

/* The export's counters and its last run. */
static void
export_metrics(FILE *f, const struct daemon_export *x)
{
	fprintf(f, "# HELP blfedd_export_runs_total Exports started.\n"
		   "# TYPE blfedd_export_runs_total counter\nblfedd_export_runs_total %llu\n",
		(unsigned long long)x->runs);
	fprintf(f, "# HELP blfedd_export_failures_total Exports that failed.\n"
		   "# TYPE blfedd_export_failures_total counter\n"
		   "blfedd_export_failures_total %llu\n", (unsigned long long)x->failures);
	fprintf(f, "# HELP blfedd_export_files_written_total Export files rewritten.\n"
		   "# TYPE blfedd_export_files_written_total counter\n"
		   "blfedd_export_files_written_total %llu\n", (unsigned long long)x->files_written);
	fprintf(f, "# HELP blfedd_export_bytes_written_total Export bytes written.\n"
		   "# TYPE blfedd_export_bytes_written_total counter\n"
		   "blfedd_export_bytes_written_total %llu\n", (unsigned long long)x->bytes);
	if (!x->done)
		return;
	fprintf(f, "# HELP blfedd_export_last_duration_seconds Duration of the last export.\n"
		   "# TYPE blfedd_export_last_duration_seconds gauge\n"
		   "blfedd_export_last_duration_seconds %.3f\n", (double)x->duration_ms / 1000.0);
	fprintf(f, "# HELP blfedd_export_last_serial Serial of the last export.\n"
		   "# TYPE blfedd_export_last_serial gauge\nblfedd_export_last_serial %llu\n",
		(unsigned long long)x->st.serial);
	fprintf(f, "# HELP blfedd_export_last_time_seconds Unix time of the last export.\n"
		   "# TYPE blfedd_export_last_time_seconds gauge\n"
		   "blfedd_export_last_time_seconds %llu\n", (unsigned long long)x->time);
	fprintf(f, "# HELP blfedd_export_files Files in the last export's MANIFEST.\n"
		   "# TYPE blfedd_export_files gauge\nblfedd_export_files %zu\n", x->st.files);
}

/*
 * Write the file; 0, or -1 after logging.
 */
int
metrics_write(struct daemon *d, uint64_t now_ms)
{
	char tmp[CONF_PATH_MAX + 32], hex[BLF_KEYID_HEX_LEN + 1];
	const trust_store *st = core_trust(d->core);
	net_peer_info pi;
	net_origin_info oi;
	core_stats cs;
	blf_head h;
	FILE *f;
	size_t i;
	int w, err;

	if (d->cfg->metrics[0] == '\0')
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", d->cfg->metrics, (long)getpid());
	if ((f = fopen(tmp, "w")) == NULL) {
		log_msg(LOG_WARNING, "metrics %s: %s", tmp, strerror(errno));
		return -1;
	}
	core_get_stats(d->core, &cs);
	fprintf(f, "# HELP blfedd_up_seconds Seconds since blfedd started.\n"
		   "# TYPE blfedd_up_seconds gauge\nblfedd_up_seconds %llu\n",
		(unsigned long long)(now_ms / 1000 - d->started));
	fprintf(f, "# HELP blfedd_listings Listings held, all origins.\n"
		   "# TYPE blfedd_listings gauge\nblfedd_listings %zu\n", cs.nlistings);
	fprintf(f, "# HELP blfedd_view_entries Entries of the merged view.\n"
		   "# TYPE blfedd_view_entries gauge\nblfedd_view_entries %zu\n", cs.nview);
	fprintf(f, "# HELP blfedd_journals_cut Journals cut at open (torn or damaged).\n"
		   "# TYPE blfedd_journals_cut gauge\nblfedd_journals_cut %llu\n",
		(unsigned long long)cs.io.ncut);
	fprintf(f, "# HELP blfedd_journals_damaged Journals cut at open at a damaged record.\n"
		   "# TYPE blfedd_journals_damaged gauge\nblfedd_journals_damaged %llu\n",
		(unsigned long long)cs.io.ndamaged);
	fprintf(f, "# HELP blfedd_journal_write_failures_total Journal writes that failed "
		   "(a full disk): deltas dropped.\n"
		   "# TYPE blfedd_journal_write_failures_total counter\n"
		   "blfedd_journal_write_failures_total %llu\n", (unsigned long long)cs.io.nwfailed);
	fprintf(f, "# HELP blfedd_reload_failures_total Reloads refused.\n"
		   "# TYPE blfedd_reload_failures_total counter\n"
		   "blfedd_reload_failures_total %llu\n", (unsigned long long)d->reload_failures);
	fprintf(f, "# HELP blfedd_peer_connected 1 if the peer's PUB is connected.\n"
		   "# TYPE blfedd_peer_connected gauge\n");
	for (i = 0; i < net_npeers(d->net); i++) {
		net_peer_get(d->net, i, now_ms, &pi);
		fprintf(f, "blfedd_peer_connected{peer=\"");
		label(f, pi.name);
		fprintf(f, "\"} %d\n", pi.pipes > 0);
	}
	for (w = 0; w < NET_C_MAX; w++) {
		fprintf(f, "# HELP blfedd_peer_%s_total %s, per peer.\n"
			   "# TYPE blfedd_peer_%s_total counter\n", names[w], help[w], names[w]);
		for (i = 0; i < net_npeers(d->net); i++) {
			net_peer_get(d->net, i, now_ms, &pi);
			counters(f, "peer", pi.name, &pi.cnt, w);
		}
	}
	for (w = 0; w < NET_C_MAX; w++) {
		fprintf(f, "# HELP blfedd_origin_%s_total %s, per origin.\n"
			   "# TYPE blfedd_origin_%s_total counter\n", names[w], help[w], names[w]);
		for (i = 0; i < net_norigins(d->net); i++) {
			const trust_anchor *a;

			net_origin_get(d->net, i, &oi);
			a = trust_store_find_origin(st, oi.origin);
			blf_keyid_hex(oi.origin, hex);
			counters(f, "origin", a != NULL ? a->name : hex, &oi.cnt, w);
		}
	}
	fprintf(f, "# HELP blfedd_origin_seq Newest seq held of an origin.\n"
		   "# TYPE blfedd_origin_seq gauge\n");
	for (i = 0; i < st->nanchors; i++) {
		if (core_head(d->core, st->anchors[i].origin, &h) != BLF_OK)
			continue;
		fprintf(f, "blfedd_origin_seq{origin=\"");
		label(f, st->anchors[i].name);
		fprintf(f, "\",epoch=\"%u\"} %llu\n", h.epoch, (unsigned long long)h.seq);
	}
	fprintf(f, "# HELP blfedd_disputes_open_against_us Disputes with listings of ours "
		   "still in their answer window.\n"
		   "# TYPE blfedd_disputes_open_against_us gauge\n"
		   "blfedd_disputes_open_against_us %zu\n",
		dispute_open_against_us(d, now_ms / 1000));
	if (d->cfg->export_dir[0] != '\0')
		export_metrics(f, &d->exp);
	err = ferror(f);
	if (fflush(f) != 0 || err || fsync(fileno(f)) != 0) {
		log_msg(LOG_WARNING, "metrics %s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, d->cfg->metrics) != 0) {
		log_msg(LOG_WARNING, "metrics %s: %s", d->cfg->metrics, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
