/*
 * i18n.h - the operator's language: gettext for blfed and blfedd.
 *
 * Every message for humans goes through the "blfed" text domain: _()
 * translates a string now, N_() marks one in a table for translation where
 * it is shown.  Catalogs live in agent/po/ (blfed.pot, en.po, zh_CN.po) and
 * are compiled to LOCALEDIR/LL/LC_MESSAGES/blfed.mo.  What stays English on
 * purpose: --json output, identifiers (reason, outcome and status names,
 * config keywords, command and option names) and exported files.
 *
 * Helpers whose format argument is always a human message translate it
 * themselves (cli_err, the daemon's log_msg and reply errors, keys_seterr,
 * the network layer's log lines); xgettext finds their formats through the
 * keywords of the Makefile's pot target.
 *
 * blfedd answers each control request in the language of the blfed that
 * asked (the request carries it, agent/ctl/ctl.h) and writes its log in its
 * own: blf_i18n_reply_begin/end switch the calling thread's message locale
 * around one reply, and log lines always take the daemon's.
 */
#ifndef BLF_I18N_H
#define BLF_I18N_H

#include <libintl.h>
#include <stdint.h>

#define BLF_I18N_DOMAIN "blfed"
#define BLF_I18N_MAX_LANG 64 /* bytes of a language list carried in a request */

#define _(s) gettext(s)
#define N_(s) (s)

/*
 * setlocale(LC_ALL, "") and bind the "blfed" domain to its catalogs: the
 * directory $BLFED_LOCALEDIR when set, else "locale" beside the running
 * executable when it exists (the build tree: build/blfed finds
 * build/locale), else the compiled-in LOCALEDIR.  Catalogs are used in
 * UTF-8 locales only (the CLI's terminal filter and the control protocol
 * speak UTF-8); any other codeset gets the English text.  Safe to call
 * again; never fails (without catalogs everything stays English).
 */
void blf_i18n_init(void);

/*
 * The same for blfedd, which writes UTF-8 whatever its own codeset (syslog
 * lines, control replies) and must reach the catalogs even when it runs in
 * the C locale, to answer a reader in Chinese (blf_i18n_reply_begin).
 */
void blf_i18n_init_daemon(void);

/* The catalog directory blf_i18n_init chose (for messages and tests). */
const char *blf_i18n_dir(void);

/*
 * The language a client asks blfedd to answer in: the LANGUAGE list (when
 * set and the message locale is not C) followed by the LC_MESSAGES locale
 * name, colon-separated, at most BLF_I18N_MAX_LANG bytes of
 * [A-Za-z0-9_.@:-]; "C" when messages are in the C locale or the codeset
 * is not UTF-8 (English).  Points to static storage.
 */
const char *blf_i18n_request_lang(void);

/*
 * Answer in lang (a list as above, untrusted: checked here): the first of
 * its entries that names an installed locale (trying "ENTRY.UTF-8" for a
 * bare "zh_CN") becomes the calling thread's message locale until
 * blf_i18n_reply_end.  lang NULL, empty or without a usable entry: the
 * daemon's own language.  Returns 1 when a locale was switched, 0 if not.
 */
int blf_i18n_reply_begin(const char *lang);
void blf_i18n_reply_end(void);

/*
 * msgid translated in the process's own language even inside a reply (for
 * log lines written while a request is answered).
 */
const char *blf_i18n_log(const char *msgid) __attribute__((format_arg(1)));

/*
 * A registered reason code as the operator reads it (its registry name in
 * English, "spam-source"; a translation elsewhere), or NULL for an
 * unregistered code.  A protocol error or outcome is described by
 * _(blf_strerror(rc)).
 */
const char *blf_i18n_reason(uint16_t code);

/* The same for dispute codes (SPEC 7.1) and answer codes (SPEC 7.2). */
const char *blf_i18n_dispute_code(uint16_t code);
const char *blf_i18n_answer_code(uint16_t code);

#endif /* BLF_I18N_H */
