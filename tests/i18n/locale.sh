#!/bin/sh
# locale.sh BUILD - blfed and blfedd in Chinese and in English, without a
# daemon (tests/integration/i18n.sh asks a running one).
#
# LANG=zh_CN.UTF-8 gives Chinese help, errors and results; LC_ALL wins
# over LANG, LC_MESSAGES over LANG; LANGUAGE picks the catalog in any
# UTF-8 locale but not in C; LANG=C and a non-UTF-8 locale give English;
# --json output is byte for byte the C locale's; BLFED_LOCALEDIR moves the
# catalogs.
set -u
BUILD=$(cd "$1" && pwd)
B=$BUILD/blfed
D=$BUILD/blfedd
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
unset LANGUAGE LC_ALL LC_MESSAGES LANG BLFED_LOCALEDIR

locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\{0,1\}8' ||
	{ echo "locale: zh_CN.UTF-8 is not generated: run contrib/install-deps.sh" >&2; exit 1; }
[ -f "$BUILD/locale/zh_CN/LC_MESSAGES/blfed.mo" ] ||
	{ echo "locale: $BUILD/locale has no zh_CN catalog (msgfmt missing?)" >&2; exit 1; }

# run ENV... -- CMD...: stdout+stderr of CMD into $T/out
run() {
	_env=""
	while [ "$1" != -- ]; do _env="$_env $1"; shift; done
	shift
	# shellcheck disable=SC2086
	env $_env "$@" >"$T/out" 2>&1
}
has() { grep -qF -- "$1" "$T/out" || fail "$2: no \"$1\" in: $(head -3 "$T/out")"; }
hasnt() { grep -qF -- "$1" "$T/out" && fail "$2: \"$1\" in: $(head -3 "$T/out")"; }

# help and a usage error, in each language
run LANG=zh_CN.UTF-8 -- "$B" help
has "用法：blfed" "help in zh_CN"
has "解释一个地址或前缀为何被列入或未被列入" "why's description in zh_CN"
has "blfed why ADDRESS|PREFIX" "command syntax stays"
run LANG=C -- "$B" help
has "usage: blfed" "help in C"
has "explain the verdict on an address or prefix" "why's description in C"
run LANG=en_US.UTF-8 -- "$B" help
has "explain the verdict on an address or prefix" "help in en_US"
run LANG=zh_CN.UTF-8 -- "$B" frobnicate
has "blfed: 未知命令 “frobnicate”；请运行 blfed help" "unknown command in zh_CN"
run LANG=C -- "$B" frobnicate
has 'blfed: unknown command "frobnicate"; try blfed help' "unknown command in C"

# precedence: LC_ALL > LC_MESSAGES > LANG; LANGUAGE in UTF-8 locales only
run LANG=C LC_ALL=zh_CN.UTF-8 -- "$B" frobnicate
has "未知命令" "LC_ALL=zh_CN over LANG=C"
run LANG=zh_CN.UTF-8 LC_ALL=C -- "$B" frobnicate
has "unknown command" "LC_ALL=C over LANG=zh_CN"
run LANG=zh_CN.UTF-8 LC_MESSAGES=C -- "$B" frobnicate
has "unknown command" "LC_MESSAGES=C over LANG=zh_CN"
run LANG=en_US.UTF-8 LC_MESSAGES=zh_CN.UTF-8 -- "$B" frobnicate
has "未知命令" "LC_MESSAGES=zh_CN over LANG=en_US"
run LANGUAGE=zh_CN LANG=C.UTF-8 -- "$B" frobnicate
has "未知命令" "LANGUAGE=zh_CN with C.UTF-8"
run LANGUAGE=zh_CN:en LANG=en_US.UTF-8 -- "$B" frobnicate
has "未知命令" "LANGUAGE=zh_CN:en over LANG=en_US"
run LANGUAGE=en LANG=zh_CN.UTF-8 -- "$B" frobnicate
has "unknown command" "LANGUAGE=en over LANG=zh_CN"
run LANGUAGE=zh_CN LANG=C -- "$B" frobnicate
has "unknown command" "LANGUAGE is ignored in the C locale"
# a codeset other than UTF-8: English, never mojibake
run LANG=C LC_MESSAGES=zh_CN.UTF-8 -- "$B" frobnicate
has "unknown command" "zh_CN messages in an ASCII codeset"

# errors from each layer: the CLI, keys/ (trust store), protocol/ codes
run LANG=zh_CN.UTF-8 -- "$B" -t "$T/trust.conf" trust show nobody
has "没有名为 “nobody” 的信任锚" "cli_anchor error in zh_CN"
run LANG=zh_CN.UTF-8 -- "$B" -t "$T/trust.conf" trust check nobody list 10.0.0.0/33
has "前缀 10.0.0.0/33：前缀长度超出范围" "blf_strerror in zh_CN"
printf 'anchor a\n    weight lots\n' >"$T/bad.trust"
run LANG=zh_CN.UTF-8 -- "$B" -t "$T/bad.trust" trust list
has "weight lots：需要 0 到" "keys_seterr in zh_CN"
run LANG=C -- "$B" -t "$T/bad.trust" trust list
has "weight lots: expected a number from 0 to" "keys_seterr in C"

# results, and --json identical to the C locale's
"$B" -k "$T/a.key" keygen -c a >"$T/a.pub" 2>/dev/null || fail "keygen"
"$B" -t "$T/trust.conf" trust add orga "$T/a.pub" --scope 192.0.2.0/24 >/dev/null ||
	fail "trust add"
run LANG=zh_CN.UTF-8 -- "$B" -t "$T/trust.conf" trust check orga list 198.51.100.0/24
has "拒绝：orga 不可以 list 198.51.100.0/24：前缀超出信任锚的范围" "trust check in zh_CN"
run LANG=C -- "$B" -t "$T/trust.conf" trust check orga list 198.51.100.0/24
has "refused: orga may not list 198.51.100.0/24: prefix outside the anchor's scope" \
	"trust check in C"
for cmd in "version" "trust list" "trust show orga" "trust check orga list 192.0.2.7/32" \
	"trust check orga list 198.51.100.0/24"; do
	# shellcheck disable=SC2086
	LANG=C "$B" -t "$T/trust.conf" --json $cmd >"$T/c.json" 2>&1
	for l in LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 "LANGUAGE=zh_CN LANG=C.UTF-8"; do
		# shellcheck disable=SC2086
		env $l "$B" -t "$T/trust.conf" --json $cmd >"$T/zh.json" 2>&1
		cmp -s "$T/c.json" "$T/zh.json" || fail "--json $cmd differs under $l"
	done
done
grep -q '"verdict":"prefix outside the anchor' "$T/c.json" || fail "json verdict: $(cat "$T/c.json")"

# verify-export: the export library's reasons
mkdir -p "$T/exp"
echo x >"$T/exp/MANIFEST"
echo y >"$T/exp/MANIFEST.sig"
run LANG=zh_CN.UTF-8 -- "$B" verify-export "$T/exp" --key "$T/a.pub"
has "MANIFEST.sig: 签名文件格式错误" "verify-export in zh_CN"
run LANG=C -- "$B" verify-export "$T/exp" --key "$T/a.pub"
has "MANIFEST.sig: malformed signature file" "verify-export in C"

# the catalogs are found through BLFED_LOCALEDIR, else beside the program
mkdir -p "$T/bin"
cp "$B" "$T/bin/blfed"
run LANG=zh_CN.UTF-8 -- "$T/bin/blfed" frobnicate
has "unknown command" "no catalog beside a copied program (LOCALEDIR not installed)"
run LANG=zh_CN.UTF-8 BLFED_LOCALEDIR="$BUILD/locale" -- "$T/bin/blfed" frobnicate
has "未知命令" "BLFED_LOCALEDIR"

# blfedd: usage, and its configuration check
run LANG=zh_CN.UTF-8 -- "$D" -x
has "用法：blfedd" "blfedd usage in zh_CN"
printf 'frobnicate 1\n' >"$T/bad.conf"
run LANG=zh_CN.UTF-8 -- "$D" -n -c "$T/bad.conf"
has "bad.conf:1: \`frobnicate 1\`: 未知关键字" "blfedd config error in zh_CN"
run LANG=C -- "$D" -n -c "$T/bad.conf"
has "bad.conf:1: \`frobnicate 1\`: unknown keyword" "blfedd config error in C"

[ "$fails" -eq 0 ] || { echo "locale: $fails failure(s)" >&2; exit 1; }
echo "locale: Chinese and English as the locale says"
