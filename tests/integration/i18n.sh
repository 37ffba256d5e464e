#!/bin/sh
# i18n.sh BUILD - blfedd answers each blfed in the reader's language and
# logs in its own: `LANG=zh_CN.UTF-8 blfed why` tells the trail in Chinese
# from a daemon running in English, LANG=C gets English from a daemon
# running in Chinese, errors, results and disputes follow too, and --json
# is the same in every locale.
. "$(dirname "$0")/lib.sh"

locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\{0,1\}8' ||
	{ echo "i18n: zh_CN.UTF-8 is not generated: run contrib/install-deps.sh" >&2; exit 1; }

# zh CMD...: blfed at A in Chinese, output in $T/out (stdout and stderr)
zh() {
	_zn=$1
	shift
	LANG=zh_CN.UTF-8 "$B" -s "$T/$_zn.sock" "$@" >"$T/out" 2>&1
}
has() { grep -qF -- "$1" "$T/out" || fail "$2: no \"$1\" in: $(head -5 "$T/out")"; }

agent A
agent B
trust A A B
trust B B A
conf A B
conf B A
# B may dispute (its authority is the whole space, lib.sh)
for n in A B; do
	"$B" -t "$T/$n.trust" trust set B permissions list,delist,exclude,dispute >/dev/null ||
		fail "dispute permission at $n"
done
start A # in the C locale (lib.sh)

LANG=zh_CN.UTF-8 "$B" -s "$T/A.sock" list 198.51.100.7 --reason spam-source --expires 7d \
	--ref "ticket 4711" >"$T/out" 2>&1 || fail "list: $(cat "$T/out")"
has "已发布 纪元 1 序号 1（1 个操作）" "publish result in zh_CN"
wait_for 5 grep -q 'published epoch 1 seq 1: 1 operation(s)' "$T/A.log" ||
	fail "the log of a daemon running in C is not English"
grep -q '已发布' "$T/A.log" && fail "a Chinese request put Chinese into the daemon's log"

# the trail in Chinese, and in English
LANG=zh_CN.UTF-8 "$B" -s "$T/A.sock" why 198.51.100.7 >"$T/out" 2>&1 ||
	fail "why in zh_CN: exit $?"
has "198.51.100.7/32：已列入黑名单，经由 198.51.100.7/32（权重 100，阈值 100）" "why verdict in zh_CN"
has "A 列入 198.51.100.7/32，原因 垃圾邮件源（1），自 " "why item in zh_CN"
has "参考 “ticket 4711”：已接受" "why status in zh_CN"
ctl A why 198.51.100.7 >"$T/out" 2>&1 || fail "why in C"
has "198.51.100.7/32: listed via 198.51.100.7/32 (weight 100, threshold 100)" "why verdict in C"
has "A lists 198.51.100.7/32 reason spam-source (1) since " "why item in C"
LANGUAGE=zh_CN LANG=C.UTF-8 "$B" -s "$T/A.sock" why 198.51.100.7 >"$T/out" 2>&1
has "已列入黑名单" "why with LANGUAGE=zh_CN"
LC_ALL=C LANG=zh_CN.UTF-8 "$B" -s "$T/A.sock" why 198.51.100.7 >"$T/out" 2>&1
has "listed via" "why with LC_ALL=C"
zh A why 192.0.2.1
has "192.0.2.1/32：未列入（阈值 100）" "not listed in zh_CN"

# errors the daemon writes, and the status page
zh A why not-an-address
has "not-an-address：前缀语法无效" "daemon error in zh_CN"
zh A origin reset A
has "拒绝，这是本代理自己的来源" "refusal in zh_CN"
zh A status
has "本机来源 A" "status in zh_CN"
has "来源：" "status origins in zh_CN"
ctl A status >"$T/out" 2>&1
has "our origin A" "status in C"

# --json: the same bytes in every locale
for q in "why 198.51.100.7" "why 192.0.2.1" "why 2001:db8::1" "peers"; do
	# shellcheck disable=SC2086
	ctl A --json $q >"$T/c.json" 2>&1
	# shellcheck disable=SC2086
	LANG=zh_CN.UTF-8 "$B" -s "$T/A.sock" --json $q >"$T/zh.json" 2>&1
	cmp -s "$T/c.json" "$T/zh.json" || fail "--json $q differs in zh_CN: $(cat "$T/zh.json")"
done
grep -q '"reason_name":"spam-source"' "$T/c.json" ||
	ctl A --json why 198.51.100.7 | grep -q '"reason_name":"spam-source","expires"' ||
	fail "json reason name"

# a daemon running in Chinese (through LANGUAGE, which gettext would put
# before any reader's language): its log is Chinese, an English reader
# still gets English
LANGUAGE=zh_CN
LANG=C.UTF-8
export LANG LANGUAGE
start B
unset LANGUAGE
LANG=C
wait_for 5 grep -q '已启动' "$T/B.log" || fail "the log of a daemon running in zh_CN is not Chinese"
wait_for 10 seq_is B A 1 || fail "B did not get A's listing"
ctl B why 198.51.100.7 >"$T/out" 2>&1
has "A lists 198.51.100.7/32 reason spam-source (1)" "English reply from a Chinese daemon"
LANG=en_US.UTF-8 "$B" -s "$T/B.sock" why 198.51.100.7 >"$T/out" 2>&1
has "A lists 198.51.100.7/32 reason spam-source (1)" "en_US reply from a daemon with LANGUAGE=zh_CN"
zh B why 198.51.100.7
has "原因 垃圾邮件源（1）" "Chinese reply from a Chinese daemon"

# disputes: filed, listed and in the trail, each in its reader's language
zh B dispute 198.51.100.7/32 --code false-positive --ref https://b.example/1 --origin A
has "已提出争议 " "dispute filed in zh_CN"
ID=$(sed -n 's/^已提出争议 \([0-9a-f]\{32\}\)：.*/\1/p' "$T/out")
[ -n "$ID" ] || fail "no dispute id in: $(cat "$T/out")"
wait_for 10 sh -c "'$B' -s '$T/A.sock' disputes | grep -q '^$ID B disputes'" ||
	fail "A does not see the dispute: $(ctl A disputes 2>&1)"
zh A disputes
has "$ID B 对 A 在 198.51.100.7/32 的列入提出争议，代码 误报 (5)" "disputes in zh_CN"
has "涉及 1 条列入记录，其中本机的 1 条待答复" "dispute state in zh_CN"
ctl A disputes >"$T/out" 2>&1
has "$ID B disputes 198.51.100.7/32 of A code false-positive (5)" "disputes in C"
zh A why 198.51.100.7
has "被提出争议（$ID）：待答复，除非维持，将于 " "dispute trail in zh_CN"
ctl A why 198.51.100.7 >"$T/out" 2>&1
has "($ID): open, lapses at " "dispute trail in C"
for q in "disputes" "why 198.51.100.7"; do
	# shellcheck disable=SC2086
	ctl A --json $q >"$T/c.json" 2>&1
	# shellcheck disable=SC2086
	LANG=zh_CN.UTF-8 "$B" -s "$T/A.sock" --json $q >"$T/zh.json" 2>&1
	cmp -s "$T/c.json" "$T/zh.json" || fail "--json $q differs in zh_CN: $(cat "$T/zh.json")"
done

finish i18n
