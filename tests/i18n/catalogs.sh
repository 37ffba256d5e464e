#!/bin/sh
# catalogs.sh BUILD - the message catalogs are complete and current.
#
# The .pot is extracted again from the sources (make pot into a temporary
# file) and must hold the same msgids as agent/po/blfed.pot; every .po of
# agent/po merged with it must translate every msgid, with no fuzzy and no
# obsolete entry; msgfmt --check must accept it (format strings of msgid
# and msgstr agree); and the plural forms must be those of the language.
# A new message without a translation in zh_CN.po or en.po fails here.
set -u
MAKE=${MAKE:-make}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

for tool in xgettext msgmerge msgattrib msgfmt; do
	command -v $tool >/dev/null || { echo "catalogs: $tool missing (Debian package gettext)" >&2; exit 1; }
done
$MAKE --no-print-directory -s pot POT_OUT="$T/blfed.pot" >/dev/null 2>"$T/xgettext.err" ||
	{ cat "$T/xgettext.err" >&2; exit 1; }
grep -v 'msgid-bugs-address\|Makevars\|MSGID_BUGS_ADDRESS\|^ *specify an' "$T/xgettext.err" |
	grep . >&2 && fail "xgettext warnings"

# the msgids of a catalog, one per line, in a stable order
msgids() {
	msgattrib --no-location --no-wrap --sort-output --no-obsolete "$1" 2>/dev/null |
		grep '^msgid\|^msgid_plural' | grep -v '^msgid ""$'
}
msgids "$T/blfed.pot" >"$T/new.ids"
msgids agent/po/blfed.pot >"$T/old.ids"
if ! cmp -s "$T/new.ids" "$T/old.ids"; then
	fail "agent/po/blfed.pot is stale: run make pot, then msgmerge -U each .po"
	diff "$T/old.ids" "$T/new.ids" | head -20 >&2
fi

for lang in en zh_CN; do
	[ -f "agent/po/$lang.po" ] || fail "agent/po/$lang.po missing"
done
for po in agent/po/*.po; do
	lang=$(basename "$po" .po)
	msgmerge -q --no-fuzzy-matching --no-wrap -o "$T/$lang.merged" "$po" "$T/blfed.pot" ||
		{ fail "$po: msgmerge"; continue; }
	n=$(msgattrib --untranslated --no-obsolete --no-wrap "$T/$lang.merged" |
		grep '^msgid ' | grep -vc '^msgid ""$' || true)
	if [ "$n" -gt 0 ]; then
		fail "$po: $n message(s) without a translation:"
		msgattrib --untranslated --no-obsolete --no-location --no-wrap "$T/$lang.merged" |
			grep '^msgid ' | grep -v '^msgid ""$' | head -20 >&2
	fi
	for kind in fuzzy obsolete; do
		n=$(msgattrib --only-$kind --no-wrap "$po" | grep '^\(#~ \)\{0,1\}msgid ' |
			grep -vc '^msgid ""$' || true)
		[ "$n" -gt 0 ] && fail "$po: $n $kind entr(y/ies)"
		n=$(msgattrib --only-$kind --no-wrap "$T/$lang.merged" | grep '^\(#~ \)\{0,1\}msgid ' |
			grep -vc '^msgid ""$' || true)
		[ "$kind" = obsolete ] && [ "$n" -gt 0 ] &&
			fail "$po: $n translation(s) of messages the sources no longer have"
	done
	msgfmt --check --statistics -o /dev/null "$po" 2>"$T/msgfmt.out" ||
		fail "$po: msgfmt --check: $(cat "$T/msgfmt.out")"
	case $lang in
	zh_CN) want='nplurals=1; plural=0;' ;;
	en) want='nplurals=2; plural=(n != 1);' ;;
	*) want="" ;;
	esac
	[ -z "$want" ] || grep -qF "\"Plural-Forms: $want\\n\"" "$po" ||
		fail "$po: Plural-Forms is not \"$want\""
	grep -qF '"Content-Type: text/plain; charset=UTF-8\n"' "$po" || fail "$po: charset is not UTF-8"
done
# English is the msgid itself: a catalog that says otherwise is a mistake
if [ -f agent/po/en.po ]; then
	msgattrib --no-obsolete --no-wrap --no-location agent/po/en.po |
		/usr/bin/python3 -c '
import re, sys
t = sys.stdin.read()
bad = 0
for m in re.finditer(r"^msgid (\".*\")\nmsgstr (\".*\")$", t, re.M):
    if m.group(1) != "\"\"" and m.group(1) != m.group(2):
        print("en.po: msgstr differs from msgid: %s" % m.group(1)); bad += 1
sys.exit(1 if bad else 0)' || fail "agent/po/en.po: English text changed"
fi
[ "$fails" -eq 0 ] || { echo "catalogs: $fails failure(s)" >&2; exit 1; }
echo "catalogs: complete and current"
