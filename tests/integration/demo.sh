#!/bin/sh
# demo.sh BUILD - `make demo` runs to the end without a terminal and every
# step of its story turns out as told (contrib/demo.sh with DEMO_ASSERT=1:
# each step prints "[ok]" or "[FAILED]" for its outcome).
set -u
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
DEMO_ASSERT=1 timeout 300 sh "$top/contrib/demo.sh" "$build" >"$out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "demo exit status $rc"
# the outcome of each step, in the order the story tells them
for want in \
	"ISC does not list 198.18.77.1" \
	"the European organisation lists 198.18.77.1" \
	"198.18.5.25 excluded at the European organisation" \
	"the DNSBL does not answer for 198.18.5.25 and 198.18.9.25" \
	"the DNSBL still lists 198.18.5.26" \
	"provenance names ISC and the European organisation" \
	"the DNSBL's TXT names both" \
	"192.0.2.10 left every export and the DNSBL within 20 s" \
	"198.51.100.77 expired from the exports and the DNSBL" \
	"the forged delta is refused and logged" \
	"the unknown key's delta is refused and logged" \
	"the American organisation sees ISC's dispute" \
	"198.19.20.25 lapsed from every export and the DNSBL" \
	"198.19.20.7 stays listed, upheld with evidence" \
	"why tells the trail: disputed, upheld, lapsed"; do
	grep -qF "[ok] $want" "$out" || fail "step outcome missing: $want"
done
grep -q "FAILED" "$out" && fail "a step failed: $(grep FAILED "$out")"
grep -q "prefix wider than the anchor may list" "$out" || fail "no refusal reason in ISC's why"
grep -q "peer forger: .*unknown-key" "$out" || fail "no log line for the forged delta"
for n in 1 2 3 4 5 6 7; do
	grep -q "^$n\. " "$out" || fail "no heading for step $n"
done
# nothing left running from the demo
dir=$(sed -n 's/.*scratch directory \(.*\))$/\1/p' "$out")
[ -n "$dir" ] || fail "the demo did not name its scratch directory"
[ -n "$dir" ] && pgrep -f "$dir" >/dev/null && fail "demo processes left running: $(pgrep -af "$dir")"
[ -n "$dir" ] && [ -e "$dir" ] && fail "scratch directory $dir left behind"
if [ "$fails" -ne 0 ]; then
	cat "$out" >&2
	echo "demo: $fails failure(s)" >&2
	exit 1
fi
echo "demo: ok"
