/*
 * test_i18n.c - the translation helpers (agent/i18n): the reason display
 * table matches the registry, and the language of a reply is taken from
 * untrusted request text only when it is well formed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>

#include "../../agent/i18n/i18n.h"
#include "../../protocol/blf.h"

/* Every registered code has a display name whose msgid is its registry
 * name (what English shows); every other code has none. */
static void
test_reasons(void **state)
{
	unsigned code;

	(void)state;
	blf_i18n_init();
	for (code = 0; code <= 65535; code++) {
		const char *name = blf_reason_name((uint16_t)code);
		const char *shown = blf_i18n_reason((uint16_t)code);

		if (name == NULL) {
			assert_null(shown);
			continue;
		}
		assert_non_null(shown);
		if (strcmp(setlocale(LC_MESSAGES, NULL), "C") == 0)
			assert_string_equal(shown, name);
	}
}

/* The same for the dispute and answer code registries (SPEC 7.1, 7.2). */
static void
test_dispute_codes(void **state)
{
	unsigned code;
	int c_locale;

	(void)state;
	blf_i18n_init();
	c_locale = strcmp(setlocale(LC_MESSAGES, NULL), "C") == 0;
	for (code = 0; code <= 65535; code++) {
		const char *dn = blf_dispute_code_name((uint16_t)code);
		const char *an = blf_answer_code_name((uint16_t)code);
		const char *ds = blf_i18n_dispute_code((uint16_t)code);
		const char *as = blf_i18n_answer_code((uint16_t)code);

		assert_true((dn == NULL) == (ds == NULL));
		assert_true((an == NULL) == (as == NULL));
		if (c_locale && dn != NULL)
			assert_string_equal(ds, dn);
		if (c_locale && an != NULL)
			assert_string_equal(as, an);
	}
}

/* Hostile language lists switch nothing; begin/end pair up safely. */
static void
test_reply_lang(void **state)
{
	char longlang[BLF_I18N_MAX_LANG + 2];

	(void)state;
	assert_int_equal(blf_i18n_reply_begin(NULL), 0);
	assert_int_equal(blf_i18n_reply_begin(""), 0);
	assert_int_equal(blf_i18n_reply_begin("../../etc/passwd"), 0);
	assert_int_equal(blf_i18n_reply_begin("zh CN"), 0);
	assert_int_equal(blf_i18n_reply_begin(":::"), 0);
	assert_int_equal(blf_i18n_reply_begin("xx_NOWHERE"), 0);
	memset(longlang, 'a', sizeof(longlang) - 1);
	longlang[sizeof(longlang) - 1] = '\0';
	assert_int_equal(blf_i18n_reply_begin(longlang), 0);
	/* C always exists; a second begin replaces the first */
	assert_int_equal(blf_i18n_reply_begin("xx_NOWHERE:C"), 1);
	assert_int_equal(blf_i18n_reply_begin("C"), 1);
	assert_string_equal(blf_i18n_log("stopped"), "stopped");
	blf_i18n_reply_end();
	blf_i18n_reply_end();
	/* the request language of a C-locale client is "C" */
	setlocale(LC_ALL, "C");
	assert_string_equal(blf_i18n_request_lang(), "C");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_dispute_codes),
		cmocka_unit_test(test_reply_lang),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
