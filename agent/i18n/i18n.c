/*
 * i18n.c - text domain set-up, the language of control replies, and the
 * translated display names of registry codes (i18n.h).
 *
 * glibc's gettext picks a catalog from the LANGUAGE variable and the
 * LC_MESSAGES locale, and translates only when setlocale found a real
 * locale: "LANG=zh_CN.UTF-8" needs the zh_CN.UTF-8 locale generated
 * (contrib/install-deps.sh does it).  gettext also honours the calling
 * thread's locale (uselocale), which is how blfedd answers a request in
 * the client's language while its log stays in its own.
 */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static char dir[PATH_MAX];
static char request_lang[BLF_I18N_MAX_LANG + 1];
static _Thread_local locale_t reply_loc; /* the locale of the reply being built */
static locale_t own_loc;    /* blfedd's own language when LANGUAGE chose it */
static char own_language[BLF_I18N_MAX_LANG + 1]; /* blfedd's LANGUAGE, taken out of environ */

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "locale" beside /proc/self/exe into dir, if that directory exists. */
static int
dir_beside_exe(void)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return 0;
	*slash = '\0';
	if ((size_t)snprintf(dir, sizeof(dir), "%s/locale", exe) >= sizeof(dir))
		return 0;
	return is_dir(dir);
}

static int
utf8_codeset(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

static void
init(int any_codeset)
{
	const char *env = getenv("BLFED_LOCALEDIR");

	setlocale(LC_ALL, "");
	if (env != NULL && env[0] != '\0' && strlen(env) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%s", env);
	else if (!dir_beside_exe())
		snprintf(dir, sizeof(dir), "%s", LOCALEDIR);
	/* Not UTF-8 (C, POSIX, a legacy codeset): no catalog, plain English. */
	bindtextdomain(BLF_I18N_DOMAIN, any_codeset || utf8_codeset() ? dir : "/nonexistent");
	bind_textdomain_codeset(BLF_I18N_DOMAIN, "UTF-8");
	textdomain(BLF_I18N_DOMAIN);
}

void
blf_i18n_init(void)
{
	init(0);
}

static locale_t list_locale(const char *lang);

/*
 * gettext puts LANGUAGE before every locale, the one a reply switches to
 * included: blfedd takes it out of its environment (before any thread
 * exists) and makes the language it names its own through the thread's
 * locale instead, so that a reader's language still wins in a reply.
 */
void
blf_i18n_init_daemon(void)
{
	const char *language = getenv("LANGUAGE"), *msgs;
	char list[2 * BLF_I18N_MAX_LANG + 2];

	if (language != NULL && language[0] != '\0' && strlen(language) < sizeof(own_language))
		snprintf(own_language, sizeof(own_language), "%s", language);
	unsetenv("LANGUAGE");
	init(1);
	msgs = setlocale(LC_MESSAGES, NULL);
	if (own_language[0] == '\0' || msgs == NULL || strcmp(msgs, "C") == 0 ||
	    strcmp(msgs, "POSIX") == 0)
		return;
	snprintf(list, sizeof(list), "%s:%s", own_language, msgs);
	if ((own_loc = list_locale(list)) != (locale_t)0)
		uselocale(own_loc);
}

const char *
blf_i18n_dir(void)
{
	return dir;
}

/* Characters of a language list: what locale and language names use. */
static int
lang_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '@' || ch == ':' || ch == '-';
}

static int
lang_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= BLF_I18N_MAX_LANG || !lang_char((unsigned char)s[i]))
			return 0;
	return i > 0;
}

const char *
blf_i18n_request_lang(void)
{
	const char *loc = setlocale(LC_MESSAGES, NULL), *language = getenv("LANGUAGE");
	int n;

	if (loc == NULL || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0 || !utf8_codeset())
		return "C";
	if (language != NULL && language[0] != '\0')
		n = snprintf(request_lang, sizeof(request_lang), "%s:%s", language, loc);
	else
		n = snprintf(request_lang, sizeof(request_lang), "%s", loc);
	if (n < 0 || (size_t)n >= sizeof(request_lang) || !lang_ok(request_lang))
		n = snprintf(request_lang, sizeof(request_lang), "%s", loc);
	if (n < 0 || (size_t)n >= sizeof(request_lang) || !lang_ok(request_lang))
		return "C";
	return request_lang;
}

/* A locale for one entry of a language list, or 0. */
static locale_t
entry_locale(const char *e, size_t n)
{
	char name[BLF_I18N_MAX_LANG + 8];
	locale_t l;

	if (n == 0 || n > BLF_I18N_MAX_LANG)
		return (locale_t)0;
	memcpy(name, e, n);
	name[n] = '\0';
	if ((l = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, name, (locale_t)0)) != (locale_t)0)
		return l;
	if (memchr(name, '.', n) == NULL) {
		memcpy(name + n, ".UTF-8", 7);
		return newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, name, (locale_t)0);
	}
	return (locale_t)0;
}

/* The locale of the first usable entry of a list, or 0. */
static locale_t
list_locale(const char *lang)
{
	const char *p, *colon;
	locale_t l = (locale_t)0;

	for (p = lang; *p != '\0' && l == (locale_t)0; p = colon + (*colon == ':')) {
		colon = strchr(p, ':');
		if (colon == NULL)
			colon = p + strlen(p);
		l = entry_locale(p, (size_t)(colon - p));
	}
	return l;
}

int
blf_i18n_reply_begin(const char *lang)
{
	locale_t l;

	blf_i18n_reply_end();
	if (lang == NULL || !lang_ok(lang))
		return 0;
	if ((l = list_locale(lang)) == (locale_t)0)
		return 0;
	reply_loc = l;
	uselocale(l);
	return 1;
}

void
blf_i18n_reply_end(void)
{
	if (reply_loc == (locale_t)0)
		return;
	uselocale(own_loc != (locale_t)0 ? own_loc : LC_GLOBAL_LOCALE);
	freelocale(reply_loc);
	reply_loc = (locale_t)0;
}

const char *
blf_i18n_log(const char *msgid)
{
	const char *s;

	if (reply_loc == (locale_t)0)
		return gettext(msgid);
	uselocale(own_loc != (locale_t)0 ? own_loc : LC_GLOBAL_LOCALE);
	s = gettext(msgid);
	uselocale(reply_loc);
	return s;
}

/*
 * SPEC 7: the registered reason codes as the operator reads them.  The
 * msgids are the registry's names (protocol/reason.c, checked equal by
 * test_i18n), so English output shows the names partners exchange and
 * other languages show a translation.
 */
static const char *const reasons[] = {
	/* TRANSLATORS: reason codes (SPEC 7): a short name for the kind of abuse. */
	[1] = N_("spam-source"),
	[2] = N_("snowshoe"),
	[3] = N_("botnet"),
	[4] = N_("open-relay"),
	[5] = N_("open-proxy"),
	[6] = N_("phishing"),
	[7] = N_("malware"),
	[8] = N_("backscatter"),
	[9] = N_("auth-attack"),
	[10] = N_("spam-support"),
	[11] = N_("policy-dynamic"),
	[12] = N_("hijacked"),
	[13] = N_("spamtrap"),
	[14] = N_("compromised-account"),
};

/* SPEC 7.1: dispute codes, the msgids again the registry's names. */
static const char *const dispute_codes[] = {
	/* TRANSLATORS: dispute codes (SPEC 7.1): why a network asks for a delisting. */
	[1] = N_("host-cleaned"),
	[2] = N_("too-wide"),
	[3] = N_("reassigned"),
	[4] = N_("forged-source"),
	[5] = N_("false-positive"),
	[6] = N_("other"),
};

/* SPEC 7.2: answer codes, as above. */
static const char *const answer_codes[] = {
	/* TRANSLATORS: answer codes (SPEC 7.2): why a listing origin keeps or drops a
	 * disputed listing. */
	[1] = N_("activity-continues"),
	[2] = N_("evidence"),
	[3] = N_("narrowed"),
	[4] = N_("resolved"),
	[5] = N_("other"),
};

#define TABLE_GET(t, code) \
	((code) < sizeof(t) / sizeof((t)[0]) && (t)[code] != NULL ? _((t)[code]) : NULL)

const char *
blf_i18n_reason(uint16_t code)
{
	return TABLE_GET(reasons, code);
}

const char *
blf_i18n_dispute_code(uint16_t code)
{
	return TABLE_GET(dispute_codes, code);
}

const char *
blf_i18n_answer_code(uint16_t code)
{
	return TABLE_GET(answer_codes, code);
}
