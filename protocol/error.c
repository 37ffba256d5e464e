/*
 * error.c - error names, outcome names (SPEC 3.6), message type names and
 * library initialisation.
 */
#include <sodium.h>

#include "blf.h"

/* Marks text for the message catalogs of the agent (agent/po), which
 * translates it where a human reads it. */
#define N_(s) s

static const char *const errnames[BLF_ERR_MAX] = {
	[BLF_OK] = N_("success"),
	[BLF_ENOMEM] = N_("out of memory"),
	[BLF_EINVAL] = N_("invalid argument"),
	[BLF_ETOOBIG] = N_("input exceeds a size limit"),
	[BLF_ETRUNC] = N_("input truncated inside a msgpack object"),
	[BLF_ETRAILING] = N_("trailing bytes after the message"),
	[BLF_EMSGPACK] = N_("malformed or forbidden msgpack"),
	[BLF_ENONCANON] = N_("msgpack value not in its shortest encoding"),
	[BLF_EDEPTH] = N_("msgpack nested too deeply"),
	[BLF_ETYPE] = N_("field has the wrong msgpack type"),
	[BLF_EFIELDS] = N_("wrong number of fields"),
	[BLF_ESIZE] = N_("fixed-size field has the wrong length"),
	[BLF_ERANGE] = N_("integer field out of range"),
	[BLF_EVERSION] = N_("unsupported protocol version"),
	[BLF_EUNKTYPE] = N_("unknown message type"),
	[BLF_EWRONGTYPE] = N_("unexpected message type"),
	[BLF_EUNKKEY] = N_("unknown signer key"),
	[BLF_EBADSIG] = N_("bad signature"),
	[BLF_EKEYID] = N_("key id does not match the key"),
	[BLF_EPREFIX] = N_("invalid prefix syntax"),
	[BLF_EPREFIXLEN] = N_("prefix length out of range"),
	[BLF_EHOSTBITS] = N_("prefix has host bits set"),
	[BLF_EMAPPED] = N_("IPv4-mapped or IPv4-compatible IPv6 address not allowed"),
	[BLF_EOPTYPE] = N_("unknown operation type"),
	[BLF_EREASON] = N_("invalid reason code"),
	[BLF_EEXPIRY] = N_("invalid expiry"),
	[BLF_ESTRING] = N_("string is not valid UTF-8 text"),
	[BLF_ELIMIT] = N_("count exceeds its limit"),
	[BLF_ESEQ] = N_("invalid sequence number"),
	[BLF_EPREV] = N_("previous-hash does not match"),
	[BLF_ECOUNTERSIG] = N_("bad rollover counter-signature"),
	[BLF_EDUP] = N_("duplicate entry"),
	[BLF_ECHUNK] = N_("inconsistent snapshot chunk numbering"),
	[BLF_EITEM] = N_("catch-up item is not the delta envelope asked for"),
	[BLF_EGAP] = N_("sequence gap: earlier deltas missing"),
	[BLF_EDUPLICATE] = N_("delta already applied"),
	[BLF_ESTALE] = N_("stale delta"),
	[BLF_EEQUIVOCATION] = N_("equivocation: two different deltas with one sequence number"),
	[BLF_EFROZEN] = N_("origin frozen after equivocation"),
	[BLF_EREVOKED] = N_("signer key revoked"),
	[BLF_EEXPIREDKEY] = N_("signer key outside its validity"),
	[BLF_ECLOCK] = N_("message dated in the future"),
	[BLF_EPOLICY] = N_("refused by local policy"),
	[BLF_EIO] = N_("I/O error"),
	[BLF_ECORRUPT] = N_("stored data corrupt"),
	[BLF_ENOTFOUND] = N_("not found"),
	[BLF_EEXIST] = N_("already exists"),
	[BLF_EEPOCH] = N_("new epoch too far ahead"),
};

/* SPEC 3.6: one outcome name per code.  Rows left NULL are local-error. */
static const char *const outcomes[BLF_ERR_MAX] = {
	[BLF_OK] = "ok",
	[BLF_ETOOBIG] = "too-big",
	[BLF_ETRUNC] = "malformed",
	[BLF_ETRAILING] = "malformed",
	[BLF_EMSGPACK] = "malformed",
	[BLF_ENONCANON] = "noncanonical",
	[BLF_EDEPTH] = "depth",
	[BLF_ETYPE] = "field-type",
	[BLF_EFIELDS] = "field-count",
	[BLF_ESIZE] = "field-size",
	[BLF_ERANGE] = "range",
	[BLF_EVERSION] = "unsupported-version",
	[BLF_EUNKTYPE] = "unknown-type",
	[BLF_EWRONGTYPE] = "unexpected-type",
	[BLF_EUNKKEY] = "unknown-key",
	[BLF_EBADSIG] = "bad-signature",
	[BLF_EKEYID] = "wrong-signer",
	[BLF_EPREFIX] = "bad-prefix",
	[BLF_EPREFIXLEN] = "bad-prefix",
	[BLF_EHOSTBITS] = "bad-prefix",
	[BLF_EMAPPED] = "bad-prefix",
	[BLF_EOPTYPE] = "unknown-operation",
	[BLF_EREASON] = "range",
	[BLF_EEXPIRY] = "expiry",
	[BLF_ESTRING] = "bad-text",
	[BLF_ELIMIT] = "limit",
	[BLF_ESEQ] = "range",
	[BLF_EPREV] = "bad-prev",
	[BLF_ECOUNTERSIG] = "bad-counter-signature",
	[BLF_EDUP] = "duplicate-entry",
	[BLF_ECHUNK] = "range",
	[BLF_EITEM] = "bad-item",
	[BLF_EGAP] = "gap",
	[BLF_EDUPLICATE] = "duplicate",
	[BLF_ESTALE] = "stale",
	[BLF_EEQUIVOCATION] = "equivocation",
	[BLF_EFROZEN] = "frozen",
	[BLF_EREVOKED] = "revoked-key",
	[BLF_EEXPIREDKEY] = "expired-key",
	[BLF_ECLOCK] = "future",
	[BLF_EPOLICY] = "policy",
	[BLF_EEPOCH] = "epoch-step",
};

const char *
blf_outcome_name(int err)
{
	if (err < 0 || err >= BLF_ERR_MAX || outcomes[err] == NULL)
		return "local-error";
	return outcomes[err];
}

const char *
blf_strerror(int err)
{
	if (err < 0 || err >= BLF_ERR_MAX || errnames[err] == NULL)
		return N_("unknown error");
	return errnames[err];
}

int
blf_init(void)
{
	/* sodium_init returns 1 when already initialised: not an error. */
	return sodium_init() < 0 ? BLF_ENOMEM : BLF_OK;
}

const char *
blf_msg_type_name(unsigned type)
{
	static const char *const names[] = {
		[BLF_MSG_DELTA] = "delta",
		[BLF_MSG_HEADS] = "heads",
		[BLF_MSG_CATCHUP_REQ] = "catchup-request",
		[BLF_MSG_CATCHUP_RESP] = "catchup-response",
		[BLF_MSG_SNAPSHOT] = "snapshot",
		[BLF_MSG_ROLLOVER] = "rollover",
		[BLF_MSG_REVOCATION] = "revocation",
		[BLF_MSG_SNAPSHOT_REQ] = "snapshot-request",
	};

	if (type == 0 || type > BLF_MSG_TYPE_MAX)
		return "unknown";
	return names[type];
}
