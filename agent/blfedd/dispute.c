/*
 * dispute.c - the daemon's side of disputes (SPEC 5.6, 8.6): the control
 * requests that list them (`blfed disputes`), file one (`blfed dispute`)
 * and answer one (`blfed answer`), the trail that `blfed why` shows, and
 * the operator's notice of a new dispute against our own listings (one log
 * line per dispute and daemon run, a count in status and in the metrics).
 *
 * Filing and answering sign a delta of our own log with core_publish and
 * publish it, like `blfed list`.  An answer "upheld" for a narrower prefix
 * than our listing also lists that prefix (with the listing's reason,
 * expiry and reference), because SPEC 5.6 has the origin list what it
 * keeps and lets the wider listing lapse; an answer "delist" concedes and
 * delists each of our listings inside the conceded prefix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "blfedd.h"

static void
set_msg(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_msg(char *msg, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, cap, _(fmt), ap); /* in the request's language */
	va_end(ap);
}

static void
code_text(uint16_t code, int answer, char *buf, size_t cap)
{
	const char *n = answer ? blf_i18n_answer_code(code) : blf_i18n_dispute_code(code);

	snprintf(buf, cap, "%s (%u)", n != NULL ? n : _("unregistered"), code);
}

/* One dispute, as text lines or one JSON object. */
static void
info_out(const core_dispute_info *x, int json, uint64_t now, ctl_buf *b)
{
	char id[BLF_KEYID_HEX_LEN + 1], fhex[BLF_KEYID_HEX_LEN + 1], thex[BLF_KEYID_HEX_LEN + 1];
	char ps[BLF_PREFIX_STRLEN], as[BLF_PREFIX_STRLEN], t1[KEYS_TIME_STRLEN];
	char t2[KEYS_TIME_STRLEN], cs[48];
	const char *cn = blf_dispute_code_name(x->code);
	const char *st = x->status == CORE_FILTERED ? trust_verdict_str(x->verdict)
						    : core_status_str(x->status);
	size_t i;

	blf_keyid_hex(x->id, id);
	blf_keyid_hex(x->filer, fhex);
	blf_keyid_hex(x->target, thex);
	blf_prefix_format(&x->prefix, ps);
	trust_time_format(x->filed, t1);
	trust_time_format(x->lapse, t2);
	code_text(x->code, 0, cs, sizeof(cs));
	if (json) {
		ctl_buf_printf(b, "{\"id\":\"%s\",\"filer\":", id);
		ctl_buf_json_str(b, x->filer_name, strlen(x->filer_name));
		ctl_buf_printf(b, ",\"filer_origin\":\"%s\",\"prefix\":\"%s\",\"target\":", fhex, ps);
		if (x->has_target) {
			ctl_buf_json_str(b, x->target_name, strlen(x->target_name));
			ctl_buf_printf(b, ",\"target_origin\":\"%s\"", thex);
		} else {
			ctl_buf_printf(b, "null");
		}
		ctl_buf_printf(b, ",\"code\":%u,\"code_name\":\"%s\",\"filed\":\"%s\",\"ref\":",
			       x->code, cn != NULL ? cn : "", t1);
		ctl_buf_json_str(b, x->ref, strlen(x->ref));
		ctl_buf_printf(b, ",\"status\":\"%s\",\"counts\":%s,\"ours\":%s,\"covered\":%zu,"
			       "\"open\":%zu,\"against_us\":%zu,\"open_against_us\":%zu,\"lapses\":",
			       st, x->status == CORE_ACCEPTED ? "true" : "false",
			       x->ours ? "true" : "false", x->ncovered, x->nopen, x->nagainst_us,
			       x->nopen_us);
		if (x->lapse != 0)
			ctl_buf_printf(b, "\"%s\"", t2);
		else
			ctl_buf_printf(b, "null");
		ctl_buf_printf(b, ",\"answers\":[");
	} else {
		if (x->has_target)
			ctl_buf_printf(b, _("%s %s disputes %s of %s code %s filed %s ref \"%s\": "),
				       id, x->filer_name, ps, x->target_name, cs, t1, x->ref);
		else
			ctl_buf_printf(b, _("%s %s disputes %s code %s filed %s ref \"%s\": "), id,
				       x->filer_name, ps, cs, t1, x->ref);
		if (x->status != CORE_ACCEPTED)
			ctl_buf_printf(b, _("%s, not counted\n"), _(st));
		else if (x->lapse != 0 && x->lapse > now)
			ctl_buf_printf(b, _("%zu listing(s) covered, %zu of ours open until %s\n"),
				       x->ncovered, x->nopen_us, t2);
		else
			ctl_buf_printf(b, _("%zu listing(s) covered, %zu open\n"), x->ncovered,
				       x->nopen);
	}
	for (i = 0; i < x->nanswers; i++) {
		const core_answer_info *a = &x->answers[i];
		const char *an = blf_answer_code_name(a->code);

		blf_prefix_format(&a->prefix, as);
		blf_keyid_hex(a->origin, fhex);
		trust_time_format(a->when, t1);
		code_text(a->code, 1, cs, sizeof(cs));
		if (json) {
			ctl_buf_printf(b, "%s{\"by\":", i > 0 ? "," : "");
			ctl_buf_json_str(b, a->name, strlen(a->name));
			ctl_buf_printf(b, ",\"origin\":\"%s\",\"answer\":\"%s\",\"prefix\":\"%s\","
				       "\"code\":%u,\"code_name\":\"%s\",\"when\":\"%s\",\"ref\":",
				       fhex, a->concede ? "delist" : "upheld", as, a->code,
				       an != NULL ? an : "", t1);
			ctl_buf_json_str(b, a->ref, strlen(a->ref));
			ctl_buf_printf(b, "}");
		} else {
			ctl_buf_printf(b, _("    %s %s %s at %s code %s ref \"%s\"\n"), a->name,
				       a->concede ? _("delisted") : _("upheld"), as, t1, cs, a->ref);
		}
	}
	if (json)
		ctl_buf_printf(b, "]}");
}

static void
do_list(struct daemon *d, const ctl_req *q, int *code, char *msg, size_t cap, ctl_buf *b)
{
	core_dispute_info *v = NULL;
	uint64_t now = daemon_now_ms() / 1000;
	int open = 0, filed = 0, against = 0, rc;
	size_t i, n = 0, shown = 0;

	for (i = 0; i < q->nargs; i++) {
		if (strcmp(q->args[i], "open") == 0) {
			open = 1;
		} else if (strcmp(q->args[i], "filed") == 0) {
			filed = 1;
		} else if (strcmp(q->args[i], "against-us") == 0) {
			against = 1;
		} else {
			*code = 2;
			set_msg(msg, cap, "disputes: unknown filter \"%.40s\"", q->args[i]);
			return;
		}
	}
	if ((rc = core_disputes(d->core, NULL, d->key->origin, 1, now, &v, &n)) != BLF_OK) {
		*code = 2;
		set_msg(msg, cap, "disputes: %s", _(blf_strerror(rc)));
		return;
	}
	for (i = 0; i < n; i++) {
		const core_dispute_info *x = &v[i];

		if (filed && !x->ours)
			continue;
		if (against && x->nagainst_us == 0 &&
		    !(x->has_target && memcmp(x->target, d->key->origin, BLF_KEYID_LEN) == 0))
			continue;
		if (open && (against ? x->nopen_us : x->nopen) == 0)
			continue;
		info_out(x, q->json, now, b);
		if (q->json)
			ctl_buf_printf(b, "\n");
		shown++;
	}
	if (!q->json && shown == 0)
		ctl_buf_printf(b, _("no disputes\n"));
	core_disputes_free(v, n);
	*code = 0;
}

/* Sign and publish ops as our next delta; 0, or -1 with the message set. */
static int
publish(struct daemon *d, const blf_op *ops, size_t n, int *code, char *msg, size_t cap,
	blf_head *h)
{
	blf_buf out = {0};
	uint64_t now = daemon_now_ms() / 1000;
	int rc;

	if ((rc = core_publish(d->core, d->key, ops, n, now, &out)) != BLF_OK) {
		if (rc == BLF_EIO) {
			log_msg(LOG_CRIT, "journal write failed while publishing: stopping");
			d->stop = 2;
		}
		*code = rc == BLF_EIO ? 2 : 1;
		set_msg(msg, cap, "publish: %s%s", _(blf_strerror(rc)),
			rc == BLF_EUNKKEY ? _(" (our origin is not in the trust store)") : "");
		blf_buf_free(&out);
		return -1;
	}
	net_publish(d->net, out.data, out.len, daemon_now_ms());
	blf_buf_free(&out);
	memset(h, 0, sizeof(*h));
	(void)core_head(d->core, d->key->origin, h);
	return 0;
}

static int
ref_ok(const char *s)
{
	size_t n = strlen(s);

	return n <= BLF_MAX_REF_LEN && ctl_text_check(s, n) == BLF_OK;
}

static void
do_file(struct daemon *d, const ctl_req *q, int *code, char *msg, size_t cap, ctl_buf *b)
{
	const trust_anchor *a = NULL;
	char id[BLF_KEYID_HEX_LEN + 1], ps[BLF_PREFIX_STRLEN];
	uint8_t did[BLF_DISPUTE_ID_LEN];
	blf_op op;
	blf_head h;
	int rc;

	*code = 2;
	if (q->nargs < 3 || q->nargs > 4) {
		set_msg(msg, cap, "dispute: expects PREFIX CODE REF [ORIGIN]");
		return;
	}
	memset(&op, 0, sizeof(op));
	op.type = BLF_OP_DISPUTE;
	if ((rc = blf_prefix_parse(q->args[0], strlen(q->args[0]), 0, &op.prefix)) != BLF_OK) {
		set_msg(msg, cap, "%.64s: %s", q->args[0], _(blf_strerror(rc)));
		return;
	}
	if (blf_dispute_code_parse(q->args[1], &op.reason) != BLF_OK) {
		set_msg(msg, cap, "dispute code %.40s: not a code name or number 1-65535",
			q->args[1]);
		return;
	}
	if (!ref_ok(q->args[2])) {
		set_msg(msg, cap, "dispute: the reference must be at most %u bytes of text",
			BLF_MAX_REF_LEN);
		return;
	}
	op.ref = q->args[2];
	op.ref_len = (uint16_t)strlen(q->args[2]);
	if (q->nargs == 4) {
		if ((a = trust_store_find_named(core_trust(d->core), q->args[3])) == NULL) {
			set_msg(msg, cap, "no origin named \"%.64s\" in the trust store", q->args[3]);
			return;
		}
		op.id_len = BLF_KEYID_LEN;
		memcpy(op.id, a->origin, BLF_KEYID_LEN);
	}
	if (blf_dispute_id(d->key->origin, &op, did) != BLF_OK) {
		set_msg(msg, cap, "dispute: out of memory");
		return;
	}
	if (publish(d, &op, 1, code, msg, cap, &h) != 0)
		return;
	blf_keyid_hex(did, id);
	blf_prefix_format(&op.prefix, ps);
	log_msg(LOG_NOTICE, "filed dispute %s of %s%s%s (epoch %u seq %llu)", id, ps,
		a != NULL ? blf_i18n_log(" against ") : "", a != NULL ? a->name : "", h.epoch,
		(unsigned long long)h.seq);
	if (q->json)
		ctl_buf_printf(b, "{\"filed\":true,\"id\":\"%s\",\"prefix\":\"%s\",\"epoch\":%u,"
			       "\"seq\":%llu}\n", id, ps, h.epoch, (unsigned long long)h.seq);
	else
		ctl_buf_printf(b, _("dispute %s filed: %s (epoch %u seq %llu)\n"), id, ps, h.epoch,
			       (unsigned long long)h.seq);
	*code = 0;
}

static void
do_answer(struct daemon *d, const ctl_req *q, int *code, char *msg, size_t cap, ctl_buf *b)
{
	uint8_t did[BLF_DISPUTE_ID_LEN];
	blf_prefix dp, u, best = {0};
	blf_op *ops = NULL;
	core_origin_iter it;
	core_origin_rec r;
	char ps[BLF_PREFIX_STRLEN], id[BLF_KEYID_HEX_LEN + 1];
	uint64_t now = daemon_now_ms() / 1000;
	uint16_t acode;
	size_t n = 0;
	int upheld, rc, have_best = 0, exact = 0;
	blf_head h;
	core_origin_rec keep;

	*code = 2;
	memset(&keep, 0, sizeof(keep));
	if (q->nargs < 4 || q->nargs > 5) {
		set_msg(msg, cap, "answer: expects ID upheld|delist CODE REF [PREFIX]");
		return;
	}
	if (strlen(q->args[0]) != BLF_KEYID_HEX_LEN ||
	    blf_keyid_parse(q->args[0], BLF_KEYID_HEX_LEN, did) != BLF_OK) {
		set_msg(msg, cap, "answer: %.40s is not a dispute id (32 hex digits)", q->args[0]);
		return;
	}
	if (core_dispute_find(d->core, did, &dp) != BLF_OK) {
		*code = 1;
		set_msg(msg, cap, "answer: no dispute %s is held", q->args[0]);
		return;
	}
	if (strcmp(q->args[1], "upheld") == 0) {
		upheld = 1;
	} else if (strcmp(q->args[1], "delist") == 0) {
		upheld = 0;
	} else {
		set_msg(msg, cap, "answer: expects upheld or delist, not \"%.20s\"", q->args[1]);
		return;
	}
	if (blf_answer_code_parse(q->args[2], &acode) != BLF_OK) {
		set_msg(msg, cap, "answer code %.40s: not a code name or number 1-65535",
			q->args[2]);
		return;
	}
	if (!ref_ok(q->args[3])) {
		set_msg(msg, cap, "answer: the reference must be at most %u bytes of text",
			BLF_MAX_REF_LEN);
		return;
	}
	u = dp;
	if (q->nargs == 5 &&
	    (rc = blf_prefix_parse(q->args[4], strlen(q->args[4]), 0, &u)) != BLF_OK) {
		set_msg(msg, cap, "%.64s: %s", q->args[4], _(blf_strerror(rc)));
		return;
	}
	if (!blf_prefix_contains(&dp, &u)) {
		blf_prefix_format(&dp, ps);
		set_msg(msg, cap, "answer: %.64s is not inside the disputed %s", q->args[4], ps);
		return;
	}
	if ((ops = calloc(BLF_MAX_OPS, sizeof(*ops))) == NULL) {
		set_msg(msg, cap, "out of memory");
		return;
	}
	ops[n].type = upheld ? BLF_OP_UPHOLD : BLF_OP_CONCEDE;
	ops[n].prefix = u;
	ops[n].reason = acode;
	ops[n].ref = q->args[3];
	ops[n].ref_len = (uint16_t)strlen(q->args[3]);
	ops[n].id_len = BLF_DISPUTE_ID_LEN;
	memcpy(ops[n].id, did, BLF_DISPUTE_ID_LEN);
	n++;
	if (core_origin_iter_begin(d->core, d->key->origin, &it) == BLF_OK) {
		while (core_origin_iter_next(&it, &r) > 0 && n < BLF_MAX_OPS) {
			if (r.exclusion || r.expires <= now || !blf_prefix_contains(&dp, &r.prefix))
				continue;
			if (!upheld) {
				/* delist: each of our listings inside the conceded prefix */
				if (!blf_prefix_contains(&u, &r.prefix))
					continue;
				ops[n].type = BLF_OP_DELIST;
				ops[n].prefix = r.prefix;
				n++;
				continue;
			}
			if (blf_prefix_cmp(&r.prefix, &u) == 0)
				exact = 1;
			/* the narrowest listing of ours around u gives its terms */
			if (blf_prefix_contains(&r.prefix, &u) &&
			    (!have_best || r.prefix.len > best.len)) {
				best = r.prefix;
				keep = r;
				have_best = 1;
			}
		}
	}
	if (upheld && have_best && !exact) {
		/* SPEC 5.6: keep the part upheld by listing it */
		ops[n].type = BLF_OP_LIST;
		ops[n].prefix = u;
		ops[n].reason = keep.reason;
		ops[n].expires = keep.expires;
		ops[n].ref = keep.ref;
		ops[n].ref_len = (uint16_t)keep.ref_len;
		n++;
	}
	if (publish(d, ops, n, code, msg, cap, &h) != 0)
		goto out;
	blf_keyid_hex(did, id);
	blf_prefix_format(&u, ps);
	log_msg(LOG_NOTICE, "answered dispute %s: %s %s (epoch %u seq %llu, %zu operations)", id,
		upheld ? blf_i18n_log("upheld for") : blf_i18n_log("delisted"), ps, h.epoch,
		(unsigned long long)h.seq, n);
	if (q->json)
		ctl_buf_printf(b, "{\"answered\":true,\"id\":\"%s\",\"answer\":\"%s\",\"prefix\":"
			       "\"%s\",\"epoch\":%u,\"seq\":%llu,\"ops\":%zu}\n", id,
			       upheld ? "upheld" : "delist", ps, h.epoch,
			       (unsigned long long)h.seq, n);
	else
		ctl_buf_printf(b, ngettext("dispute %s answered: %s %s (epoch %u seq %llu, %zu "
					   "operation)\n", "dispute %s answered: %s %s (epoch %u seq "
					   "%llu, %zu operations)\n", n),
			       id, upheld ? _("upheld for") : _("delisted"), ps, h.epoch,
			       (unsigned long long)h.seq, n);
	*code = 0;
out:
	free(ops);
}

/* See blfedd.h. */
void
dispute_ctl(struct daemon *d, const ctl_req *q, int *code, char *msg, size_t cap, ctl_buf *b)
{
	if (d->key == NULL) {
		*code = 2;
		set_msg(msg, cap, "disputes: the daemon has no key of its own");
		return;
	}
	switch (q->verb) {
	case CTL_DISPUTES:
		do_list(d, q, code, msg, cap, b);
		break;
	case CTL_DISPUTE:
		do_file(d, q, code, msg, cap, b);
		break;
	default:
		do_answer(d, q, code, msg, cap, b);
		break;
	}
}

/* See blfedd.h. */
void
dispute_why(struct daemon *d, const blf_prefix *q, int json, ctl_buf *b)
{
	core_dispute_info *v = NULL;
	uint64_t now = daemon_now_ms() / 1000;
	size_t i, n = 0;

	if (core_disputes(d->core, q, d->key != NULL ? d->key->origin : NULL, 1, now, &v,
			  &n) != BLF_OK)
		return;
	if (json)
		ctl_buf_printf(b, ",\"disputes\":[");
	else if (n > 0)
		ctl_buf_printf(b, _("disputes:\n"));
	for (i = 0; i < n; i++) {
		if (json && i > 0)
			ctl_buf_printf(b, ",");
		if (!json)
			ctl_buf_printf(b, "  ");
		info_out(&v[i], json, now, b);
	}
	if (json)
		ctl_buf_printf(b, "]");
	core_disputes_free(v, n);
}

/* See blfedd.h. */
size_t
dispute_open_against_us(struct daemon *d, uint64_t now)
{
	dispute_watch(d, now);
	return d->dopen;
}

/*
 * See blfedd.h.  The look (our listings against every dispute) runs when
 * the disputes or the view changed, or DISPUTE_RESCAN_S passed (a trust
 * change, a lapse of a listing outside the exported view).
 */
void
dispute_watch(struct daemon *d, uint64_t now)
{
	core_dispute_info *v = NULL;
	char id[BLF_KEYID_HEX_LEN + 1], ps[BLF_PREFIX_STRLEN], t[KEYS_TIME_STRLEN], cs[48];
	uint64_t gen = core_disputes_generation(d->core), vgen = 0;
	size_t i, j, n = 0, open = 0;
	void *p;

	if (d->key == NULL)
		return;
	(void)core_view_generation(d->core, now, &vgen);
	if (gen == d->dgen && vgen == d->dvgen && now < d->dnext)
		return;
	if (core_disputes(d->core, NULL, d->key->origin, 0, now, &v, &n) != BLF_OK)
		return;
	d->dgen = gen;
	d->dvgen = vgen;
	d->dnext = now + DISPUTE_RESCAN_S;
	for (i = 0; i < n; i++) {
		const core_dispute_info *x = &v[i];

		open += x->nopen_us > 0;
		if (x->status != CORE_ACCEPTED || x->nagainst_us == 0)
			continue;
		for (j = 0; j < d->ndseen; j++)
			if (memcmp(d->dseen[j], x->id, BLF_DISPUTE_ID_LEN) == 0)
				break;
		if (j < d->ndseen)
			continue;
		if ((p = realloc(d->dseen, (d->ndseen + 1) * sizeof(*d->dseen))) == NULL)
			break;
		d->dseen = p;
		memcpy(d->dseen[d->ndseen++], x->id, BLF_DISPUTE_ID_LEN);
		blf_keyid_hex(x->id, id);
		blf_prefix_format(&x->prefix, ps);
		trust_time_format(x->lapse, t);
		code_text(x->code, 0, cs, sizeof(cs));
		if (x->nopen_us > 0)
			log_msg(LOG_WARNING, "dispute %s by %s against %zu of our listings in %s: "
				"code %s, ref \"%s\"; they lapse at %s unless upheld "
				"(blfed answer %s upheld|delist)", id, x->filer_name,
				x->nagainst_us, ps, cs, x->ref, t, id);
		else
			log_msg(LOG_NOTICE, "dispute %s by %s against %zu of our listings in %s: "
				"code %s, ref \"%s\"; already answered or lapsed", id,
				x->filer_name, x->nagainst_us, ps, cs, x->ref);
	}
	d->dopen = open;
	core_disputes_free(v, n);
}
