/*
 * control.c - the control socket: one REP socket on an ipc:// path (mode
 * 0600, or 0660 with the control-group), answering the requests of blfed
 * (agent/ctl/ctl.h).  Requests are decoded as untrusted input; every reply
 * carries the CLI's exit code: 0 yes, 1 a negative answer, 2 an error.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "blfedd.h"

#include <nng/protocol/reqrep0/rep.h>

struct reply {
	int code;
	char msg[CTL_MAX_MSG];
	ctl_buf body;
};

static void
fail(struct reply *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), _(fmt), ap); /* in the request's language */
	va_end(ap);
}

/* Bind the control socket with its mode and group; 0 or -1 after logging. */
int
control_open(struct daemon *d)
{
	nng_listener l;
	const char *path = d->cfg->control + 6;
	struct group *g = NULL;
	int rv, mode = 0600;

	if (d->cfg->control_group[0] != '\0') {
		if ((g = getgrnam(d->cfg->control_group)) == NULL) {
			log_msg(LOG_ERR, "control-group %s: no such group", d->cfg->control_group);
			return -1;
		}
		mode = 0660;
	}
	if (net_ipc_unstale(d->cfg->control) != 0) {
		log_msg(LOG_ERR, "control %s: in use by another process", d->cfg->control);
		return -1;
	}
	if ((rv = nng_rep0_open(&d->ctl)) != 0)
		goto fail;
	d->ctl_ok = 1;
	if ((rv = nng_socket_set_size(d->ctl, NNG_OPT_RECVMAXSZ, CTL_MAX_REQ)) != 0 ||
	    (rv = nng_socket_get_int(d->ctl, NNG_OPT_RECVFD, &d->ctlfd)) != 0)
		goto fail;
	if ((rv = nng_listener_create(&l, d->ctl, d->cfg->control)) != 0 ||
	    (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, mode)) != 0)
		goto fail;
	if ((rv = nng_listener_start(l, 0)) != 0)
		goto fail;
	/* nng applies the mode; group ownership is ours to set */
	if (chmod(path, (mode_t)mode) != 0 ||
	    (g != NULL && chown(path, (uid_t)-1, g->gr_gid) != 0)) {
		log_msg(LOG_ERR, "control %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	log_msg(LOG_ERR, "control %s: %s", d->cfg->control, nng_strerror(rv));
	return -1;
}

/* Close the control socket (nng removes the ipc path). */
void
control_close(struct daemon *d)
{
	if (d->ctl_ok)
		nng_close(d->ctl);
	d->ctl_ok = 0;
}

static const char *
origin_name(struct daemon *d, const uint8_t *origin, char *hex)
{
	const trust_anchor *a = trust_store_find_origin(core_trust(d->core), origin);

	blf_keyid_hex(origin, hex);
	return a != NULL ? a->name : hex;
}

static const char *const counter_names[NET_C_MAX] = {
	"received", "applied", "relayed", "duplicate", "rejected", "dropped",
	"served", "fetched", "heads", "disconnects",
	"snapshots_served", "snapshots_fetched",
};

static void
counters_json(ctl_buf *b, const net_counters *c)
{
	int i, first = 1;

	for (i = 0; i < NET_C_MAX; i++)
		ctl_buf_printf(b, ",\"%s\":%llu", counter_names[i], (unsigned long long)c->c[i]);
	ctl_buf_printf(b, ",\"rejected_by\":{");
	for (i = 1; i < BLF_ERR_MAX; i++) {
		if (c->rejected[i] == 0)
			continue;
		ctl_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", net_outcome_name(i),
			       (unsigned long long)c->rejected[i]);
		first = 0;
	}
	ctl_buf_printf(b, "}");
}

static void
counters_text(ctl_buf *b, const net_counters *c)
{
	int i;

	ctl_buf_printf(b, "      ");
	for (i = 0; i < NET_C_MAX; i++)
		ctl_buf_printf(b, " %s %llu", counter_names[i], (unsigned long long)c->c[i]);
	ctl_buf_printf(b, "\n");
	for (i = 1; i < BLF_ERR_MAX; i++)
		if (c->rejected[i] != 0)
			ctl_buf_printf(b, _("       rejected: %s (%s) %llu\n"), net_outcome_name(i),
				       _(blf_strerror(i)), (unsigned long long)c->rejected[i]);
}

static void
peers_out(struct daemon *d, const ctl_req *q, ctl_buf *b, int in_status)
{
	net_peer_info pi;
	uint64_t now = daemon_now_ms();
	size_t i;

	for (i = 0; i < net_npeers(d->net); i++) {
		net_peer_get(d->net, i, now, &pi);
		if (q->json) {
			ctl_buf_printf(b, "%s{\"name\":", in_status && i > 0 ? "," : "");
			ctl_buf_json_str(b, pi.name, strlen(pi.name));
			ctl_buf_printf(b, ",\"pub\":");
			ctl_buf_json_str(b, pi.pub_url, strlen(pi.pub_url));
			ctl_buf_printf(b, ",\"sync\":");
			ctl_buf_json_str(b, pi.sync_url, strlen(pi.sync_url));
			ctl_buf_printf(b, ",\"state\":\"%s\",\"backoff_ms\":%llu", pi.state,
				       (unsigned long long)pi.backoff_ms);
			counters_json(b, &pi.cnt);
			ctl_buf_printf(b, "}%s", in_status ? "" : "\n");
		} else {
			ctl_buf_printf(b, "  %-16s %-10s %s %s\n", pi.name, pi.state, pi.pub_url,
				       pi.sync_url);
			counters_text(b, &pi.cnt);
		}
	}
}

static void
origins_out(struct daemon *d, const ctl_req *q, ctl_buf *b)
{
	const trust_store *st = core_trust(d->core);
	net_origin_info oi;
	blf_head h;
	char hex[BLF_KEYID_HEX_LEN + 1];
	size_t i, j;

	for (i = 0; i < st->nanchors; i++) {
		const trust_anchor *a = &st->anchors[i];
		int have = core_head(d->core, a->origin, &h) == BLF_OK;
		uint64_t lag = 0;

		memset(&oi, 0, sizeof(oi));
		for (j = 0; j < net_norigins(d->net); j++) {
			net_origin_info t;

			net_origin_get(d->net, j, &t);
			if (memcmp(t.origin, a->origin, BLF_KEYID_LEN) == 0)
				oi = t;
		}
		if (!have)
			memset(&h, 0, sizeof(h));
		if (oi.seen_epoch > h.epoch)
			lag = oi.seen_seq;
		else if (oi.seen_epoch == h.epoch && oi.seen_seq > h.seq)
			lag = oi.seen_seq - h.seq;
		blf_keyid_hex(a->origin, hex);
		if (q->json) {
			ctl_buf_printf(b, "%s{\"name\":", i > 0 ? "," : "");
			ctl_buf_json_str(b, a->name, strlen(a->name));
			ctl_buf_printf(b, ",\"origin\":\"%s\",\"epoch\":%u,\"seq\":%llu,\"lag\":%llu,"
				       "\"frozen\":%s,\"relay_only\":%s", hex, h.epoch,
				       (unsigned long long)h.seq, (unsigned long long)lag,
				       core_is_frozen(d->core, a->origin) ? "true" : "false",
				       (a->perms & TRUST_RELAY_ONLY) ? "true" : "false");
			counters_json(b, &oi.cnt);
			ctl_buf_printf(b, "}");
		} else {
			ctl_buf_printf(b, _("  %-16s %s epoch %u seq %llu lag %llu%s%s\n"), a->name, hex,
				       h.epoch, (unsigned long long)h.seq, (unsigned long long)lag,
				       core_is_frozen(d->core, a->origin) ? _(" FROZEN") : "",
				       (a->perms & TRUST_RELAY_ONLY) ? _(" relay-only") : "");
			counters_text(b, &oi.cnt);
		}
	}
}

/* The last export, for status: JSON object (null with none configured) or
 * text lines. */
static void
export_out(struct daemon *d, const ctl_req *q, ctl_buf *b)
{
	const struct daemon_export *x = &d->exp;
	char t[KEYS_TIME_STRLEN];

	if (d->cfg->export_dir[0] == '\0') {
		ctl_buf_printf(b, q->json ? "null" : _("export: none configured\n"));
		return;
	}
	trust_time_format(x->time, t);
	if (q->json) {
		ctl_buf_printf(b, "{\"dir\":");
		ctl_buf_json_str(b, d->cfg->export_dir, strlen(d->cfg->export_dir));
		ctl_buf_printf(b, ",\"interval_ms\":%u,\"runs\":%llu,\"failures\":%llu,"
			       "\"running\":%s", d->cfg->export_interval_ms,
			       (unsigned long long)x->runs, (unsigned long long)x->failures,
			       x->job != NULL ? "true" : "false");
		if (x->done)
			ctl_buf_printf(b, ",\"last\":{\"time\":\"%s\",\"serial\":%llu,\"files\":%zu,"
				       "\"written\":%zu,\"unchanged\":%zu,\"removed\":%zu,"
				       "\"listed\":%zu,\"excluded\":%zu,\"bytes\":%llu,"
				       "\"duration_ms\":%llu}", t, (unsigned long long)x->st.serial,
				       x->st.files, x->st.written, x->st.skipped, x->st.removed,
				       x->st.listed4 + x->st.listed6, x->st.excluded,
				       (unsigned long long)x->st.bytes,
				       (unsigned long long)x->duration_ms);
		else
			ctl_buf_printf(b, ",\"last\":null");
		ctl_buf_printf(b, ",\"error\":");
		if (x->error[0] != '\0')
			ctl_buf_json_str(b, x->error, strlen(x->error));
		else
			ctl_buf_printf(b, "null");
		ctl_buf_printf(b, "}");
		return;
	}
	if (x->done)
		ctl_buf_printf(b, _("export: %s serial %llu at %s, %zu files (%zu written, "
			       "%zu unchanged), %zu listed, %zu excluded, %llu ms\n"),
			       d->cfg->export_dir, (unsigned long long)x->st.serial, t, x->st.files,
			       x->st.written, x->st.skipped, x->st.listed4 + x->st.listed6,
			       x->st.excluded, (unsigned long long)x->duration_ms);
	else
		ctl_buf_printf(b, _("export: %s, none written yet\n"), d->cfg->export_dir);
	if (x->job != NULL)
		ctl_buf_printf(b, _("export: one in progress\n"));
	if (x->error[0] != '\0')
		ctl_buf_printf(b, _("last export error: %s\n"), x->error);
}

/* `blfed export`: write the export now. */
static void
do_export(struct daemon *d, const ctl_req *q, struct reply *r)
{
	const struct daemon_export *x = &d->exp;

	if (d->cfg->export_dir[0] == '\0') {
		fail(r, 1, "no export is configured (export-dir in %s)", d->cfg->path);
		return;
	}
	if (daemon_export_now(d, daemon_now_ms()) != 0) {
		fail(r, 2, "export failed, the previous one stays published: %s", x->error);
		return;
	}
	if (q->json) {
		ctl_buf_printf(&r->body, "{\"serial\":%llu,\"dir\":", (unsigned long long)x->st.serial);
		ctl_buf_json_str(&r->body, d->cfg->export_dir, strlen(d->cfg->export_dir));
		ctl_buf_printf(&r->body, ",\"files\":%zu,\"written\":%zu,\"unchanged\":%zu,"
			       "\"removed\":%zu,\"listed\":%zu,\"excluded\":%zu,\"duration_ms\":%llu}\n",
			       x->st.files, x->st.written, x->st.skipped, x->st.removed,
			       x->st.listed4 + x->st.listed6, x->st.excluded,
			       (unsigned long long)x->duration_ms);
	} else {
		ctl_buf_printf(&r->body, _("exported serial %llu to %s: %zu files, %zu written, "
			       "%zu unchanged, %zu removed; %zu listed, %zu excluded; %llu ms\n"),
			       (unsigned long long)x->st.serial, d->cfg->export_dir, x->st.files,
			       x->st.written, x->st.skipped, x->st.removed,
			       x->st.listed4 + x->st.listed6, x->st.excluded,
			       (unsigned long long)x->duration_ms);
	}
}

static void
do_status(struct daemon *d, const ctl_req *q, struct reply *r)
{
	core_stats cs;
	char hex[BLF_KEYID_HEX_LEN + 1];
	uint64_t now = daemon_now_ms() / 1000;
	const char *self;

	core_get_stats(d->core, &cs);
	self = origin_name(d, d->key->origin, hex);
	if (q->json) {
		ctl_buf_printf(&r->body, "{\"version\":\"%s\",\"uptime\":%llu,\"self\":",
			       BLFEDD_VERSION, (unsigned long long)(now - d->started));
		ctl_buf_json_str(&r->body, self, strlen(self));
		ctl_buf_printf(&r->body, ",\"origin\":\"%s\",\"listings\":%zu,\"exclusions\":%zu,"
			       "\"view\":%zu,\"reloads\":%llu,\"reload_failures\":%llu,",
			       hex, cs.nlistings, cs.nexclusions, cs.nview,
			       (unsigned long long)d->reloads,
			       (unsigned long long)d->reload_failures);
		ctl_buf_printf(&r->body, "\"journals_cut\":%llu,\"journals_damaged\":%llu,"
			       "\"files_broken\":%llu,\"journal_write_failures\":%llu,\"peers\":[",
			       (unsigned long long)cs.io.ncut, (unsigned long long)cs.io.ndamaged,
			       (unsigned long long)cs.io.nbroken,
			       (unsigned long long)cs.io.nwfailed);
		peers_out(d, q, &r->body, 1);
		ctl_buf_printf(&r->body, "],\"origins\":[");
		origins_out(d, q, &r->body);
		ctl_buf_printf(&r->body, "],\"export\":");
		export_out(d, q, &r->body);
		ctl_buf_printf(&r->body, ",\"disputes_open_against_us\":%zu}\n",
			       dispute_open_against_us(d, now));
		return;
	}
	ctl_buf_printf(&r->body, _("blfedd %s up %llu s, our origin %s (%s)\n"), BLFEDD_VERSION,
		       (unsigned long long)(now - d->started), self, hex);
	ctl_buf_printf(&r->body, _("listings %zu, exclusions %zu, view %zu entries\n"),
		       cs.nlistings, cs.nexclusions, cs.nview);
	if (cs.io.ncut > 0 || cs.io.nbroken > 0)
		ctl_buf_printf(&r->body, _("at open: %llu journal(s) cut (%llu at a damaged record), "
			       "%llu file(s) set aside\n"), (unsigned long long)cs.io.ncut,
			       (unsigned long long)cs.io.ndamaged,
			       (unsigned long long)cs.io.nbroken);
	if (cs.io.nwfailed > 0)
		ctl_buf_printf(&r->body, _("journal writes failed: %llu (the last: %s); the deltas "
			       "were dropped, to be fetched again\n"),
			       (unsigned long long)cs.io.nwfailed, strerror(cs.io.werrno));
	ctl_buf_printf(&r->body, _("peers:\n"));
	peers_out(d, q, &r->body, 0);
	ctl_buf_printf(&r->body, _("origins:\n"));
	origins_out(d, q, &r->body);
	export_out(d, q, &r->body);
	ctl_buf_printf(&r->body, _("disputes: %zu open against our listings\n"),
		       dispute_open_against_us(d, now));
	if (d->reload_failures > 0)
		ctl_buf_printf(&r->body, _("last reload error: %s\n"), d->last_reload_error);
}

static void
fmt_time(uint64_t t, char *buf)
{
	trust_time_format(t, buf);
}

/* SPEC 8.6: where a dispute leaves one listing: listed, disputed, then
 * open, upheld, lapsed or delisted. */
static void
why_trail(struct daemon *d, const core_why_item *it, int json, ctl_buf *b)
{
	char id[BLF_KEYID_HEX_LEN + 1], t1[KEYS_TIME_STRLEN], t2[KEYS_TIME_STRLEN];
	core_listing_trail t;

	if (core_listing_dispute(d->core, it->origin, &it->prefix, daemon_now_ms() / 1000,
				 &t) != BLF_OK || !t.disputed)
		return;
	blf_keyid_hex(t.id, id);
	fmt_time(t.filed, t1);
	fmt_time(t.lapse, t2);
	if (json) {
		ctl_buf_printf(b, ",\"dispute\":{\"id\":\"%s\",\"disputed\":\"%s\",\"state\":"
			       "\"%s\"", id, t1, core_dispute_state_str(t.state));
		if (t.lapse != 0)
			ctl_buf_printf(b, ",\"at\":\"%s\"", t2);
		ctl_buf_printf(b, "}");
		return;
	}
	switch (t.state) {
	case CORE_DISPUTE_OPEN:
		ctl_buf_printf(b, _("      disputed %s (%s): open, lapses at %s unless upheld\n"), t1,
			       id, t2);
		break;
	case CORE_DISPUTE_UPHELD:
		ctl_buf_printf(b, _("      disputed %s (%s): upheld by %s\n"), t1, id, it->name);
		break;
	case CORE_DISPUTE_LAPSED:
		ctl_buf_printf(b, _("      disputed %s (%s): lapsed at %s, not upheld\n"), t1, id, t2);
		break;
	default:
		ctl_buf_printf(b, _("      disputed %s (%s): delisted by %s at %s\n"), t1, id,
			       it->name, t2);
		break;
	}
}

static void
do_why(struct daemon *d, const ctl_req *q, struct reply *r)
{
	char qs[BLF_PREFIX_STRLEN], ps[BLF_PREFIX_STRLEN], vs[BLF_PREFIX_STRLEN];
	char t1[KEYS_TIME_STRLEN], t2[KEYS_TIME_STRLEN], t3[KEYS_TIME_STRLEN];
	char hex[BLF_KEYID_HEX_LEN + 1];
	blf_prefix p;
	core_why w;
	size_t i;
	int rc;

	if (q->nargs != 1) {
		fail(r, 2, "why: expects one ADDRESS or PREFIX");
		return;
	}
	if ((rc = blf_prefix_parse_loose(q->args[0], strlen(q->args[0]), &p)) != BLF_OK) {
		fail(r, 2, "%.64s: %s", q->args[0], _(blf_strerror(rc)));
		return;
	}
	if ((rc = core_why_query(d->core, &p, daemon_now_ms() / 1000, &w)) != BLF_OK) {
		fail(r, 2, "why: %s", _(blf_strerror(rc)));
		return;
	}
	blf_prefix_format(&w.query, qs);
	blf_prefix_format(&w.via, vs);
	if (q->json) {
		ctl_buf_printf(&r->body, "{\"query\":\"%s\",\"verdict\":\"%s\"", qs,
			       core_verdict_str(w.verdict));
		if (w.verdict == CORE_LISTED)
			ctl_buf_printf(&r->body, ",\"via\":\"%s\",\"weight\":%u", vs, w.weight);
		ctl_buf_printf(&r->body, ",\"threshold\":%u,\"items\":[", w.threshold);
	} else if (w.verdict == CORE_LISTED) {
		ctl_buf_printf(&r->body, _("%s: listed via %s (weight %u, threshold %u)\n"), qs, vs,
			       w.weight, w.threshold);
	} else {
		ctl_buf_printf(&r->body, _("%s: %s (threshold %u)\n"), qs,
			       w.verdict == CORE_EXCLUDED ? _("excluded") : _("not listed"), w.threshold);
	}
	for (i = 0; i < w.nitems; i++) {
		const core_why_item *it = &w.items[i];
		const char *rname = blf_reason_name(it->reason);
		const char *rshow = blf_i18n_reason(it->reason); /* in the reader's language */
		const char *st = it->status == CORE_FILTERED ? trust_verdict_str(it->verdict)
							    : core_status_str(it->status);

		blf_prefix_format(&it->prefix, ps);
		blf_keyid_hex(it->origin, hex);
		fmt_time(it->first, t1);
		fmt_time(it->changed, t2);
		fmt_time(it->expires, t3);
		if (q->json) {
			ctl_buf_printf(&r->body, "%s{\"name\":", i > 0 ? "," : "");
			ctl_buf_json_str(&r->body, it->name, strlen(it->name));
			ctl_buf_printf(&r->body, ",\"origin\":\"%s\",\"kind\":\"%s\",\"prefix\":\"%s\"",
				       hex, it->exclusion ? "exclusion" : "listing", ps);
			if (!it->exclusion)
				ctl_buf_printf(&r->body, ",\"reason\":%u,\"reason_name\":\"%s\","
					       "\"expires\":\"%s\"", it->reason,
					       rname != NULL ? rname : "", t3);
			ctl_buf_printf(&r->body, ",\"first\":\"%s\",\"changed\":\"%s\",\"ref\":", t1,
				       t2);
			ctl_buf_json_str(&r->body, it->ref, strlen(it->ref));
			ctl_buf_printf(&r->body, ",\"weight\":%u,\"status\":\"%s\",\"decisive\":%s",
				       it->weight, st, it->decisive ? "true" : "false");
		} else if (it->exclusion) {
			ctl_buf_printf(&r->body, _("  %s%s excludes %s since %s ref \"%s\": %s\n"),
				       it->decisive ? "* " : "  ", it->name, ps, t1, it->ref, _(st));
		} else {
			ctl_buf_printf(&r->body, _("  %s%s lists %s reason %s (%u) since %s changed %s "
				       "expires %s weight %u ref \"%s\": %s\n"),
				       it->decisive ? "* " : "  ", it->name, ps,
				       rshow != NULL ? rshow : _("unregistered"), it->reason, t1, t2, t3,
				       it->weight, it->ref, _(st));
		}
		if (!it->exclusion)
			why_trail(d, it, q->json, &r->body);
		if (q->json)
			ctl_buf_printf(&r->body, "}");
	}
	if (q->json) {
		ctl_buf_printf(&r->body, "]");
		dispute_why(d, &w.query, 1, &r->body);
		ctl_buf_printf(&r->body, "}\n");
	} else {
		dispute_why(d, &w.query, 0, &r->body);
	}
	r->code = w.verdict == CORE_LISTED ? 0 : 1;
	core_why_free(&w);
}

static void
do_publish(struct daemon *d, const ctl_req *q, struct reply *r)
{
	blf_op *ops = NULL;
	blf_buf out = {0};
	blf_head h;
	uint64_t now = daemon_now_ms() / 1000, ttl;
	size_t i;
	int rc;

	if (q->nargs == 0 || q->nargs > BLF_MAX_OPS) {
		fail(r, 2, "publish: expects 1 to %u operations", BLF_MAX_OPS);
		goto out;
	}
	if ((ops = calloc(q->nargs, sizeof(*ops))) == NULL) {
		fail(r, 2, "out of memory");
		goto out;
	}
	for (i = 0; i < q->nargs; i++) {
		if ((rc = ctl_op_parse(q->args[i], &ops[i], &ttl)) != BLF_OK) {
			fail(r, 2, "operation %zu \"%.80s\": %s", i + 1, q->args[i], _(blf_strerror(rc)));
			goto out;
		}
		if (ops[i].type == BLF_OP_LIST)
			ops[i].expires = now + ttl;
	}
	if ((rc = core_publish(d->core, d->key, ops, q->nargs, now, &out)) == BLF_EIO) {
		int e, act = core_eio(d->core, &e);

		/* a failed write changed nothing (a full disk): say so and go
		 * on; a failed sync left memory ahead of the disk: only a
		 * restart (recovery) brings them together again */
		if (act == CORE_EIO_STOP) {
			log_msg(LOG_CRIT, "journal sync failed while publishing: %s: stopping",
				strerror(e));
			d->stop = 2;
		} else if (act == CORE_EIO_TELL) {
			log_msg(LOG_ERR, "journal write failed: %s: nothing is stored until it "
				"works again (told once)", strerror(e));
		}
		fail(r, 2, "publish: journal write failed: %s; nothing was published",
		     strerror(e));
		goto out;
	}
	if (rc != BLF_OK) {
		fail(r, 1, "publish: %s%s", _(blf_strerror(rc)),
		     rc == BLF_EUNKKEY ? _(" (our origin is not in the trust store)") : "");
		goto out;
	}
	net_publish(d->net, out.data, out.len, daemon_now_ms());
	memset(&h, 0, sizeof(h));
	(void)core_head(d->core, d->key->origin, &h);
	log_msg(LOG_INFO, "published epoch %u seq %llu: %zu operation(s)", h.epoch,
		(unsigned long long)h.seq, q->nargs);
	if (q->json)
		ctl_buf_printf(&r->body, "{\"published\":true,\"epoch\":%u,\"seq\":%llu,\"ops\":%zu}\n",
			       h.epoch, (unsigned long long)h.seq, q->nargs);
	else
		ctl_buf_printf(&r->body, ngettext("published epoch %u seq %llu (%zu operation)\n",
						  "published epoch %u seq %llu (%zu operations)\n",
						  q->nargs), h.epoch, (unsigned long long)h.seq, q->nargs);
out:
	blf_buf_free(&out);
	free(ops);
}

static void
do_origin(struct daemon *d, const ctl_req *q, struct reply *r)
{
	const trust_anchor *a;
	char hex[BLF_KEYID_HEX_LEN + 1];
	int rc;

	if (q->nargs != 1) {
		fail(r, 2, "origin: expects NAME");
		return;
	}
	if ((a = trust_store_find_named(core_trust(d->core), q->args[0])) == NULL) {
		fail(r, 2, "no origin named \"%.64s\" in the trust store", q->args[0]);
		return;
	}
	blf_keyid_hex(a->origin, hex);
	if (q->verb == CTL_ORIGIN_RESET) {
		/* SPEC 5.3: forget the origin's log on this agent only.  Never
		 * our own: our next delta would restart a log that partners hold,
		 * and they would take it for a fork. */
		if (d->key != NULL && memcmp(a->origin, d->key->origin, BLF_KEYID_LEN) == 0) {
			fail(r, 2, "origin reset %s: refused, it is this agent's own origin",
			     a->name);
			return;
		}
		if ((rc = core_origin_reset(d->core, a->origin)) == BLF_ENOTFOUND) {
			fail(r, 1, "origin %s: nothing held for it", a->name);
			return;
		}
		if (rc != BLF_OK) {
			fail(r, 2, "origin reset %s: %s", a->name, _(blf_strerror(rc)));
			return;
		}
		log_msg(LOG_NOTICE, "origin %s (%s) reset by the administrator: its log is "
			"forgotten on this agent", a->name, hex);
		if (q->json) {
			ctl_buf_printf(&r->body, "{\"reset\":");
			ctl_buf_json_str(&r->body, a->name, strlen(a->name));
			ctl_buf_printf(&r->body, ",\"origin\":\"%s\"}\n", hex);
		} else {
			ctl_buf_printf(&r->body, _("origin %s (%s) reset\n"), a->name, hex);
		}
		return;
	}
	if ((rc = core_unfreeze(d->core, a->origin)) != BLF_OK) {
		fail(r, 1, "origin %s is not frozen", a->name);
		return;
	}
	log_msg(LOG_NOTICE, "origin %s (%s) unfrozen by the administrator", a->name, hex);
	if (q->json) {
		ctl_buf_printf(&r->body, "{\"unfrozen\":");
		ctl_buf_json_str(&r->body, a->name, strlen(a->name));
		ctl_buf_printf(&r->body, ",\"origin\":\"%s\"}\n", hex);
	} else {
		ctl_buf_printf(&r->body, _("origin %s (%s) unfrozen\n"), a->name, hex);
	}
}

static void
do_announce(struct daemon *d, const ctl_req *q, struct reply *r)
{
	uint8_t *msg = NULL;
	size_t len;
	char err[KEYS_ERRLEN];
	int rc;

	if (q->nargs != 1) {
		fail(r, 2, "announce: expects one statement");
		return;
	}
	if ((msg = malloc(CTL_MAX_ARG / 2 + 1)) == NULL) {
		fail(r, 2, "out of memory");
		return;
	}
	if (ctl_hex_decode(q->args[0], strlen(q->args[0]), msg, CTL_MAX_ARG / 2, &len) != BLF_OK) {
		fail(r, 2, "announce: not a hex statement");
		goto out;
	}
	err[0] = '\0';
	rc = daemon_statement(d, msg, len, err, sizeof(err));
	if (rc != BLF_OK && rc != BLF_ESTALE) {
		fail(r, rc == BLF_EIO ? 2 : 1, "announce: %s", err[0] != '\0' ? err : _(blf_strerror(rc)));
		goto out;
	}
	net_seen(d->net, msg, len);
	net_publish(d->net, msg, len, daemon_now_ms());
	if (q->json)
		ctl_buf_printf(&r->body, "{\"announced\":true,\"applied\":%s}\n",
			       rc == BLF_OK ? "true" : "false");
	else
		ctl_buf_printf(&r->body, _("statement %s and published\n"),
			       rc == BLF_OK ? _("applied to our trust store") : _("already applied"));
out:
	free(msg);
}

static void
handle(struct daemon *d, const ctl_req *q, struct reply *r)
{
	char err[512];

	switch (q->verb) {
	case CTL_STATUS:
		do_status(d, q, r);
		break;
	case CTL_PEERS:
		peers_out(d, q, &r->body, 0);
		break;
	case CTL_WHY:
		do_why(d, q, r);
		break;
	case CTL_PUBLISH:
		do_publish(d, q, r);
		break;
	case CTL_ORIGIN_RESET:
	case CTL_ORIGIN_UNFREEZE:
		do_origin(d, q, r);
		break;
	case CTL_EXPORT:
		do_export(d, q, r);
		break;
	case CTL_RELOAD:
		if (daemon_reload(d, err, sizeof(err)) != 0)
			fail(r, 1, "reload failed, running configuration kept: %s", err);
		else if (q->json)
			ctl_buf_printf(&r->body, "{\"reloaded\":true}\n");
		else
			ctl_buf_printf(&r->body, _("configuration and trust store reloaded\n"));
		break;
	case CTL_ANNOUNCE:
		do_announce(d, q, r);
		break;
	case CTL_DISPUTES:
	case CTL_DISPUTE:
	case CTL_ANSWER:
		dispute_ctl(d, q, &r->code, r->msg, sizeof(r->msg), &r->body);
		break;
	default:
		fail(r, 2, "unknown request");
		break;
	}
}

/*
 * Answer the pending requests (a few per round: the network is served too).
 */
void
control_process(struct daemon *d)
{
	struct reply r;
	ctl_buf out = {0};
	ctl_req q;
	nng_msg *m;
	int i, rc;

	for (i = 0; i < 8 && d->net != NULL && nng_recvmsg(d->ctl, &m, NNG_FLAG_NONBLOCK) == 0;
	     i++) {
		memset(&r, 0, sizeof(r));
		rc = ctl_req_decode(nng_msg_body(m), nng_msg_len(m), &q);
		nng_msg_free(m);
		(void)blf_i18n_reply_begin(rc == BLF_OK ? q.lang : NULL);
		if (rc != BLF_OK)
			fail(&r, 2, "malformed control request: %s", _(blf_strerror(rc)));
		else
			handle(d, &q, &r);
		if (r.body.failed) {
			ctl_buf_free(&r.body);
			fail(&r, 2, "reply too large or out of memory");
		}
		ctl_req_free(&q);
		if (ctl_reply_encode(r.code, r.msg, r.body.data, r.body.len, &out) == BLF_OK)
			(void)nng_send(d->ctl, out.data, out.len, 0);
		ctl_buf_free(&out);
		ctl_buf_free(&r.body);
		blf_i18n_reply_end();
	}
}
