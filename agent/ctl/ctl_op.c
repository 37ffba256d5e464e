/*
 * ctl_op.c - the text form of one operation in a CTL_PUBLISH request
 * (ctl.h).  The CLI builds these lines; the daemon parses them with
 * ctl_op_parse before it signs anything, so a bad line refuses the whole
 * request and publishes nothing.
 */
#include <string.h>

#include "ctl.h"

static const char *
field(const char *s, size_t *n)
{
	const char *sp = strchr(s, ' ');

	*n = sp != NULL ? (size_t)(sp - s) : strlen(s);
	return sp != NULL ? sp + 1 : NULL;
}

static int
parse_u64(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return BLF_EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return BLF_EINVAL;
		if (*v > (max - (uint64_t)(s[i] - '0')) / 10)
			return BLF_ERANGE;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return BLF_OK;
}

/* Parse one operation line of a publish request; see ctl.h for the grammar. */
int
ctl_op_parse(const char *s, blf_op *op, uint64_t *ttl)
{
	const char *rest, *p;
	char word[16];
	size_t n;
	uint64_t v;
	int rc;

	memset(op, 0, sizeof(*op));
	*ttl = 0;
	rest = field(s, &n);
	if (n == 0 || n >= sizeof(word))
		return BLF_EOPTYPE;
	memcpy(word, s, n);
	word[n] = '\0';
	if (strcmp(word, "list") == 0)
		op->type = BLF_OP_LIST;
	else if (strcmp(word, "delist") == 0)
		op->type = BLF_OP_DELIST;
	else if (strcmp(word, "exclude") == 0)
		op->type = BLF_OP_EXCLUDE;
	else if (strcmp(word, "unexclude") == 0)
		op->type = BLF_OP_UNEXCLUDE;
	else
		return BLF_EOPTYPE;
	if (rest == NULL)
		return BLF_EINVAL;
	p = rest;
	rest = field(p, &n);
	if ((rc = blf_prefix_parse(p, n, 0, &op->prefix)) != BLF_OK)
		return rc;
	if (op->type == BLF_OP_DELIST || op->type == BLF_OP_UNEXCLUDE)
		return rest == NULL ? BLF_OK : BLF_EINVAL;
	if (op->type == BLF_OP_LIST) {
		char rbuf[32];

		if (rest == NULL)
			return BLF_EINVAL;
		p = rest;
		rest = field(p, &n);
		if (n == 0 || n >= sizeof(rbuf))
			return BLF_EREASON;
		memcpy(rbuf, p, n);
		rbuf[n] = '\0';
		if ((rc = blf_reason_parse(rbuf, &op->reason)) != BLF_OK || op->reason == 0)
			return BLF_EREASON;
		if (rest == NULL)
			return BLF_EINVAL;
		p = rest;
		rest = field(p, &n);
		if ((rc = parse_u64(p, n, BLF_MAX_TTL, &v)) != BLF_OK || v == 0)
			return BLF_EEXPIRY;
		*ttl = v;
	}
	if (rest != NULL) {
		n = strlen(rest);
		if (n > BLF_MAX_REF_LEN)
			return BLF_ETOOBIG;
		if (ctl_text_check(rest, n) != BLF_OK)
			return BLF_ESTRING;
		op->ref = rest;
		op->ref_len = (uint16_t)n;
	}
	return BLF_OK;
}
