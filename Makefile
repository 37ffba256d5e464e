# blfed - federated blocklist sharing.
#
#   make            build libraries, blfed and blfedd into build/
#   make check      install missing packages, run every test (also under ASan+UBSan)
#   make bench      run the benchmarks (figures go into BENCHMARKS.md)
#   make fuzz       run every fuzz target for FUZZ_TIME seconds each
#   make demo       local demo federation on loopback
#   make install    PREFIX=/usr/local DESTDIR=
#
# Quiet unless V=1.  Sources are found by directory: protocol/*.c,
# keys/*.c, agent/core/*.c, agent/cli/*.c, tests/unit/test_*.c,
# tests/fuzz/fuzz_*.c, tests/bench/bench_*.c.

CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
FUZZ_TIME ?= 60
FUZZ_SMOKE_TIME ?= 5

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
PKGS := libsodium msgpack libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsodium -lmsgpackc -lcrypto)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
NNG_LIBS := -lnng -lpthread

ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -MMD -MP $(WARN) \
	$(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(EXTRA_LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

PROTO_SRC := $(wildcard protocol/*.c)
KEYS_SRC := $(wildcard keys/*.c)
CORE_SRC := $(wildcard agent/core/*.c)
NET_SRC := $(wildcard agent/net/*.c)
CTL_SRC := $(wildcard agent/ctl/*.c)
EXPORT_SRC := $(wildcard agent/export/*.c)
CLI_SRC := $(wildcard agent/cli/*.c)
DAEMON_SRC := $(wildcard agent/blfedd/*.c)
I18N_SRC := $(wildcard agent/i18n/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_COMMON := $(wildcard tests/unit/common/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
INTEGRATION := $(wildcard tests/integration/*.sh)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBPROTO := $(BUILD)/libblfproto.a
LIBKEYS := $(BUILD)/libblfkeys.a
LIBCORE := $(BUILD)/libblfcore.a
LIBNET := $(BUILD)/libblfnet.a
LIBCTL := $(BUILD)/libblfctl.a
LIBEXPORT := $(BUILD)/libblfexport.a
LIBI18N := $(BUILD)/libblfi18n.a
LIBS_ALL := $(if $(NET_SRC),$(LIBNET)) $(if $(CTL_SRC),$(LIBCTL)) \
	$(if $(EXPORT_SRC),$(LIBEXPORT)) $(if $(CORE_SRC),$(LIBCORE)) \
	$(if $(KEYS_SRC),$(LIBKEYS)) $(LIBPROTO) $(if $(I18N_SRC),$(LIBI18N))
# What each program may reach: a wrong arrow fails at link time.  The CLI
# takes only the manifest check from libblfexport (verify-export): the
# core is not linked, so an export path that reached it would not link.
LIBS_CLI := $(if $(I18N_SRC),$(LIBI18N)) $(if $(CTL_SRC),$(LIBCTL)) $(if $(EXPORT_SRC),$(LIBEXPORT)) \
	$(if $(KEYS_SRC),$(LIBKEYS)) $(LIBPROTO)
LIBS_DAEMON := $(LIBS_ALL)
BLFED := $(if $(CLI_SRC),$(BUILD)/blfed)
BLFEDD := $(if $(DAEMON_SRC),$(BUILD)/blfedd)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all check check-unit check-asan check-cli check-vectors check-fuzz-smoke \
	bench fuzz fuzz-build demo install clean deps unit man-lint check-integration tools \
	bench-net check-export pot check-i18n
.PHONY: check-valgrind check-integration-asan soak

# Message catalogs (agent/po/LL.po): compiled beside the programs into
# BUILD/locale/LL/LC_MESSAGES/blfed.mo, where blfed and blfedd look first
# (agent/i18n/i18n.h); installed under LOCALEDIR.  Without msgfmt (the
# gettext package) the programs build and speak English.
LOCALEDIR ?= $(PREFIX)/share/locale
MSGFMT := $(shell command -v msgfmt 2>/dev/null)
PO := $(wildcard agent/po/*.po)
MO := $(if $(MSGFMT),$(patsubst agent/po/%.po,$(BUILD)/locale/%/LC_MESSAGES/blfed.mo,$(PO)))
# What xgettext reads, and the helpers that translate their own format.
POT_SRC = $(sort $(wildcard agent/cli/*.c agent/blfedd/*.c agent/i18n/*.c agent/net/*.c \
	keys/*.c protocol/error.c agent/core/merge.c agent/export/manifest.c))
XGETTEXT_KEYWORDS := --keyword=_ --keyword=N_ --keyword=ngettext:1,2 --keyword=cli_err:2 \
	--keyword=log_msg:2 --keyword=fail:3 --keyword=keys_seterr:3 --keyword=nlog:3 --keyword=bad:4 --keyword=blf_i18n_log \
	--keyword=dgettext:2 --keyword=dir_check:2 --keyword=keys_file_check:3 --keyword=keys_user_check:2 --keyword=set_msg:3

all: $(LIBS_ALL) $(BLFED) $(BLFEDD) $(MO)

$(BUILD)/locale/%/LC_MESSAGES/blfed.mo: agent/po/%.po
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MSGFMT  $<")
	$(Q)msgfmt --check -o $@ $<

# Regenerate agent/po/blfed.pot from the sources (then msgmerge each .po).
POT_OUT ?= agent/po/blfed.pot
pot:
	$(Q)xgettext --language=C --from-code=UTF-8 $(XGETTEXT_KEYWORDS) --add-comments=TRANSLATORS: \
		--package-name=blfed --package-version=$(shell sed -n \
		's/.*BLFED_VERSION_STRING "\(.*\)"/\1/p' agent/cli/cli.h) \
		--msgid-bugs-address="the blfed issue tracker" --sort-by-file -o $(POT_OUT) $(POT_SRC)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBPROTO): $(call obj,$(PROTO_SRC))
$(LIBKEYS): $(call obj,$(KEYS_SRC))
$(LIBCORE): $(call obj,$(CORE_SRC))
$(LIBNET): $(call obj,$(NET_SRC))
$(LIBCTL): $(call obj,$(CTL_SRC))
$(LIBEXPORT): $(call obj,$(EXPORT_SRC))
$(LIBI18N): $(call obj,$(I18N_SRC))
$(call obj,$(I18N_SRC)): ALL_CFLAGS += -DLOCALEDIR='"$(LOCALEDIR)"'
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/blfed: $(call obj,$(CLI_SRC)) $(LIBS_CLI)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(call obj,$(CLI_SRC)) $(LIBS_CLI) $(ALL_LDFLAGS) \
		$(PKG_LIBS) $(NNG_LIBS)

$(BUILD)/blfedd: $(call obj,$(DAEMON_SRC)) $(LIBS_DAEMON)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(call obj,$(DAEMON_SRC)) $(LIBS_DAEMON) $(ALL_LDFLAGS) \
		$(PKG_LIBS) $(NNG_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(call obj,$(UNIT_COMMON)) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(call obj,$(UNIT_COMMON)) $(LIBS_ALL) $(ALL_LDFLAGS) \
		$(CMOCKA_LIBS) $(PKG_LIBS) $(NNG_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS_ALL) $(ALL_LDFLAGS) $(PKG_LIBS) $(NNG_LIBS) -lm

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS_ALL) $(ALL_LDFLAGS) $(PKG_LIBS) $(NNG_LIBS)

unit: $(UNIT_BIN) $(BLFED) $(BLFEDD)

tools: $(TOOL_BIN)

# ---- tests -----------------------------------------------------------------

deps:
	$(Q)sh contrib/install-deps.sh

check: deps
	$(Q)MAKE="$(MAKE)" sh tests/check.sh

# Every unit test binary; tests find their data relative to the top directory.
# Then every static library's global symbols carry the library's prefix.
check-unit: unit
	$(Q)sh tests/run-unit.sh $(BUILD)/tests
	$(Q)sh tests/symbols.sh $(BUILD)

# The same unit tests built with AddressSanitizer and UBSan, in build-asan/.
check-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" unit
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run-unit.sh build-asan/tests

check-cli: all
	$(Q)sh tests/run-cli.sh $(BUILD)

# The message catalogs are complete and current, no message escapes
# gettext, and the programs speak Chinese and English as the locale says
# (the daemon's side is tests/integration/i18n.sh).
check-i18n: all
	$(Q)sh tests/i18n/run.sh $(BUILD)

check-vectors: unit
	$(Q)sh tests/vectors/check.sh $(BUILD)

# Real daemons and consumers on 127.0.0.1 (tests/integration/*.sh, the
# export formats with rsync, rbldnsd, dig, postmap, iprange and ipset among
# them), each with its own directory and free ports, everything stopped at
# the end.
check-integration: all tools
	$(Q)sh tests/run-integration.sh $(BUILD) $(INTEGRATION)

# The daemons of the integration suite under valgrind memcheck: no error and
# no definite or indirect leak at a clean stop (slow: see TESTING.md).  The
# export consumers start no daemon and are left out.
VALGRIND ?= valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --num-callers=30
check-valgrind: all tools
	$(Q)BLFEDD_WRAP="$(VALGRIND)" START_WAIT=60 CRASH_ROUNDS=$${CRASH_ROUNDS:-3} \
		sh tests/run-integration.sh $(BUILD) \
		$(filter-out tests/integration/export_consumers.sh,$(INTEGRATION))

# The integration suite with blfedd, blfed and the tools built with ASan and
# UBSan (build-asan/, as check-asan).
check-integration-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" all tools
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		sh tests/run-integration.sh build-asan $(INTEGRATION)

# Honest and hostile peers together for SOAK_TIME seconds (default 600).
SOAK_TIME ?= 600
soak: all tools
	$(Q)SOAK_TIME=$(SOAK_TIME) sh tests/soak.sh $(BUILD)

# The export consumers alone.
check-export: all tools
	$(Q)sh tests/run-integration.sh $(BUILD) tests/integration/export_consumers.sh

man-lint:
	$(Q)sh tests/man-lint.sh

# ---- fuzzing (clang + libFuzzer) -------------------------------------------

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 $(PKG_CFLAGS)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
FUZZ_LIB_SRC := $(PROTO_SRC) $(KEYS_SRC) $(CORE_SRC) $(NET_SRC) $(CTL_SRC) $(EXPORT_SRC) \
	$(I18N_SRC)
FUZZ_LIB := build-fuzz/libfuzz.a

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)clang $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,build-fuzz/obj/%.o,$(FUZZ_LIB_SRC))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# Each target links only the objects it uses from the archive.
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_CFLAGS) -MMD -MP -MF $@.d -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_LIB) \
		$(PKG_LIBS) $(NNG_LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	$(Q)sh tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_BIN)

check-fuzz-smoke: fuzz-build
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SMOKE_TIME) $(FUZZ_BIN)

# ---- benchmarks, demo, install ---------------------------------------------

bench: deps
	$(Q)$(MAKE) --no-print-directory CFLAGS="-O2 -g -DNDEBUG" BUILD=build-bench \
		$(patsubst $(BUILD)/%,build-bench/%,$(BENCH_BIN))
	$(Q)sh tests/bench/run.sh build-bench/bench

# The running federation on loopback: propagation and catch-up (needs no
# root; takes a few minutes).  N, LOAD and CATCHUP scale it down.
bench-net: all tools
	$(Q)sh tests/bench/federation.sh $(BUILD)

demo: deps all tools
	$(Q)if [ -x contrib/demo.sh ]; then sh contrib/demo.sh $(BUILD); \
	else echo "demo: not yet (the demo federation arrives with the transport)"; fi

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	$(if $(BLFED),install -m 0755 $(BLFED) $(DESTDIR)$(PREFIX)/bin/blfed)
	$(if $(BLFEDD),install -m 0755 $(BLFEDD) $(DESTDIR)$(PREFIX)/sbin/blfedd)
	for m in contrib/man/*.5; do [ -f "$$m" ] && install -m 0644 "$$m" \
		$(DESTDIR)$(PREFIX)/share/man/man5/ || true; done
	for m in contrib/man/*.8; do [ -f "$$m" ] && install -m 0644 "$$m" \
		$(DESTDIR)$(PREFIX)/share/man/man8/ || true; done
	for m in $(MO); do l=$${m#$(BUILD)/locale/}; l=$${l%%/*}; \
		install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
		install -m 0644 $$m $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/blfed.mo; done

clean:
	rm -rf build build-asan build-fuzz build-bench

-include $(shell find $(BUILD)/obj build-fuzz -name '*.d' 2>/dev/null)
