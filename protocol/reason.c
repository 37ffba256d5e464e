/*
 * reason.c - the reason-code registry (SPEC 7).
 *
 * Reason codes are numbers so that provenance is language-neutral: each
 * agent shows them in its operator's language.  Receivers accept any code
 * 1..65535 and show an unregistered one by number; 0 is invalid.  Codes
 * 32768..65535 are for private use between partners.
 */
#include <stdlib.h>
#include <string.h>

#include "blf.h"

static const struct {
	uint16_t code;
	const char *name;
} reasons[] = {
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
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return NULL;
}

int
blf_reason_parse(const char *s, uint16_t *code)
{
	size_t i;
	unsigned long v;
	char *end;

	if (s == NULL || *s == '\0')
		return BLF_EREASON;
	for (i = 0; i < NREASONS; i++) {
		if (strcmp(s, reasons[i].name) == 0) {
			*code = reasons[i].code;
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
