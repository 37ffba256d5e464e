/*
 * reason.c - the reason-code registry (SPEC 7) and the dispute and answer
 * code registries (SPEC 7.1, 7.2).
 *
 * Reason codes are numbers so that provenance is language-neutral: each
 * agent shows them in its operator's language.  Receivers accept any code
 * 1..65535 and show an unregistered one by number; 0 is invalid.  Codes
 * 32768..65535 are for private use between partners.
 */
#include <stdlib.h>
#include <string.h>

#include "blf.h"

struct code_name {
	uint16_t code;
	const char *name;
};

#define NCODES(t) (sizeof(t) / sizeof((t)[0]))

/* In one registry t: the name of code or NULL, and the code of a name or of
 * a number 1..65535 (an unregistered number is accepted, SPEC 7). */
static const char *
code_name(const struct code_name *t, size_t n, uint16_t code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

static int
code_parse(const struct code_name *t, size_t n, const char *s, uint16_t *code)
{
	size_t i;
	unsigned long v;
	char *end;

	if (s == NULL || *s == '\0')
		return BLF_EREASON;
	for (i = 0; i < n; i++) {
		if (strcmp(s, t[i].name) == 0) {
			*code = t[i].code;
			return BLF_OK;
		}
	}
	if (*s < '1' || *s > '9')
		return BLF_EREASON;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > UINT16_MAX)
		return BLF_EREASON;
	*code = (uint16_t)v;
	return BLF_OK;
}

static const struct code_name reasons[] = {
	{ 1, "spam-source" },       /* host sent spam directly */
	{ 2, "snowshoe" },          /* spam spread thinly over many addresses */
	{ 3, "botnet" },            /* infected host under remote control */
	{ 4, "open-relay" },        /* mail server relaying for anyone */
	{ 5, "open-proxy" },        /* proxy passing mail for anyone */
	{ 6, "phishing" },          /* hosts or sends phishing */
	{ 7, "malware" },           /* hosts or sends malware */
	{ 8, "backscatter" },       /* bounces to forged senders */
	{ 9, "auth-attack" },       /* SMTP AUTH / dictionary attacks */
	{ 10, "spam-support" },     /* hosts services for spammers */
	{ 11, "policy-dynamic" },   /* end-user space not meant to send mail directly */
	{ 12, "hijacked" },         /* hijacked or unallocated address space */
	{ 13, "spamtrap" },         /* mail to spam traps */
	{ 14, "compromised-account" }, /* legitimate server, abused account */
};

#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

const char *
blf_reason_name(uint16_t code)
{
	return code_name(reasons, NREASONS, code);
}

int
blf_reason_parse(const char *s, uint16_t *code)
{
	return code_parse(reasons, NREASONS, s, code);
}

size_t
blf_reason_count(void)
{
	return NREASONS;
}

uint16_t
blf_reason_at(size_t i)
{
	return i < NREASONS ? reasons[i].code : 0;
}

/* ---- dispute and answer codes (SPEC 7.1, 7.2) ---- */

static const struct code_name dispute_codes[] = {
	{ 1, "host-cleaned" },      /* the offending host was cleaned and secured */
	{ 2, "too-wide" },          /* the listing is wider than the offending hosts */
	{ 3, "reassigned" },        /* the address now belongs to a new holder */
	{ 4, "forged-source" },     /* the evidence came from a forged or spoofed source */
	{ 5, "false-positive" },    /* the host never sent what it is listed for */
	{ 6, "other" },             /* see the reference */
};

static const struct code_name answer_codes[] = {
	{ 1, "activity-continues" }, /* listed activity seen after the dispute */
	{ 2, "evidence" },           /* the evidence at the reference stands */
	{ 3, "narrowed" },           /* kept for the offending hosts only */
	{ 4, "resolved" },           /* the dispute is right: the listing goes */
	{ 5, "other" },              /* see the reference */
};

const char *
blf_dispute_code_name(uint16_t code)
{
	return code_name(dispute_codes, NCODES(dispute_codes), code);
}

int
blf_dispute_code_parse(const char *s, uint16_t *code)
{
	return code_parse(dispute_codes, NCODES(dispute_codes), s, code);
}

const char *
blf_answer_code_name(uint16_t code)
{
	return code_name(answer_codes, NCODES(answer_codes), code);
}

int
blf_answer_code_parse(const char *s, uint16_t *code)
{
	return code_parse(answer_codes, NCODES(answer_codes), s, code);
}
