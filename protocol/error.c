/*
 * error.c - error names, outcome names (SPEC 3.6), message type names and
 * library initialisation.
 */
#include <sodium.h>

#include "blf.h"

static const char *const errnames[BLF_ERR_MAX] = {
	[BLF_OK] = "success",
	[BLF_ENOMEM] = "out of memory",
	[BLF_EINVAL] = "invalid argument",
	[BLF_ETOOBIG] = "input exceeds a size limit",
	[BLF_ETRUNC] = "input truncated inside a msgpack object",
	[BLF_ETRAILING] = "trailing bytes after the message",
	[BLF_EMSGPACK] = "malformed or forbidden msgpack",
	[BLF_ENONCANON] = "msgpack value not in its shortest encoding",
	[BLF_EDEPTH] = "msgpack nested too deeply",
	[BLF_ETYPE] = "field has the wrong msgpack type",
	[BLF_EFIELDS] = "wrong number of fields",
	[BLF_ESIZE] = "fixed-size field has the wrong length",
	[BLF_ERANGE] = "integer field out of range",
	[BLF_EVERSION] = "unsupported protocol version",
	[BLF_EUNKTYPE] = "unknown message type",
	[BLF_EWRONGTYPE] = "unexpected message type",
	[BLF_EUNKKEY] = "unknown signer key",
	[BLF_EBADSIG] = "bad signature",
	[BLF_EKEYID] = "key id does not match the key",
	[BLF_EPREFIX] = "invalid prefix syntax",
	[BLF_EPREFIXLEN] = "prefix length out of range",
	[BLF_EHOSTBITS] = "prefix has host bits set",
	[BLF_EMAPPED] = "IPv4-mapped or IPv4-compatible IPv6 address not allowed",
	[BLF_EOPTYPE] = "unknown operation type",
	[BLF_EREASON] = "invalid reason code",
	[BLF_EEXPIRY] = "invalid expiry",
	[BLF_ESTRING] = "string is not valid UTF-8 text",
	[BLF_ELIMIT] = "count exceeds its limit",
	[BLF_ESEQ] = "invalid sequence number",
	[BLF_EPREV] = "previous-hash does not match",
	[BLF_ECOUNTERSIG] = "bad rollover counter-signature",
	[BLF_EDUP] = "duplicate entry",
	[BLF_ECHUNK] = "inconsistent snapshot chunk numbering",
	[BLF_EITEM] = "catch-up item is not the delta envelope asked for",
	[BLF_EGAP] = "sequence gap: earlier deltas missing",
	[BLF_EDUPLICATE] = "delta already applied",
	[BLF_ESTALE] = "stale delta",
	[BLF_EEQUIVOCATION] = "equivocation: two different deltas with one sequence number",
	[BLF_EFROZEN] = "origin frozen after equivocation",
	[BLF_EREVOKED] = "signer key revoked",
	[BLF_EEXPIREDKEY] = "signer key outside its validity",
	[BLF_ECLOCK] = "message dated in the future",
	[BLF_EPOLICY] = "refused by local policy",
	[BLF_EIO] = "I/O error",
	[BLF_ECORRUPT] = "stored data corrupt",
	[BLF_ENOTFOUND] = "not found",
	[BLF_EEXIST] = "already exists",
	[BLF_EEPOCH] = "new epoch too far ahead",
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
		return "unknown error";
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
