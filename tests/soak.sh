#!/bin/sh
# soak.sh BUILD - honest and hostile peers together for SOAK_TIME seconds
# (default 600; issue 12 acceptance).
#
# Three honest agents in a line, A - B - C, publish and withdraw bursts over
# a fixed pool of addresses (so the honest state stays bounded); B also has
# a hostile peer X: blf_inject, in a loop, sends garbage, deltas signed by
# an unknown key, forged deltas claiming A's origin, far-future seqs, and
# catch-up requests for everything from a peer and from a stranger.  Every
# second B's control socket must answer; every 10 s B's resident memory
# is sampled.  At the end
#   - A, B and C converge: the same seq of A and of C everywhere, the same
#     listing count, the same verdict on a sample of addresses;
#   - nothing is lost: the last burst of each origin is listed everywhere;
#   - nothing forged got in: no address of the hostile side is listed;
#   - memory is flat: B's largest resident size in the last third is at
#     most its largest in the first third plus SOAK_RSS_SLACK KiB (8 MiB);
#   - B's log holds no flood: at most one line per second of hostile
#     traffic on average.
# The figures are printed at the end (for TESTING.md).
. "$(dirname "$0")/integration/lib.sh"

SOAK_TIME=${SOAK_TIME:-600}
SLACK=${SOAK_RSS_SLACK:-8192}

agent A; agent B; agent C; agent X; agent E
for n in A B C; do trust $n A B C; done
conf A B
conf B A C X
conf C B
start A; start B; start C
wait_for 10 connected B A || fail "B not connected to A"
wait_for 10 connected B C || fail "B not connected to C"
AID=$(cut -d' ' -f2 "$T/A.pub")

# publisher NAME OCTET: bursts of 32 over 16 pools of NAME's own range,
# every other burst withdrawing the pool listed before; the last burst is
# written to $T/last.NAME
publisher() {
	_b=0
	while [ ! -e "$T/stop" ]; do
		_p=$((_b / 2 % 16))
		_i=0
		while [ $_i -lt 32 ]; do
			echo "10.$2.$_p.$_i"
			_i=$((_i + 1))
		done >"$T/burst.$1"
		if [ $((_b % 2)) -eq 0 ]; then
			ctl "$1" list -f "$T/burst.$1" --reason botnet --expires 1d >/dev/null 2>&1 &&
				cp "$T/burst.$1" "$T/last.$1"
		else
			ctl "$1" delist -f "$T/burst.$1" >/dev/null 2>&1
		fi
		_b=$((_b + 1))
		sleep 0.2
	done
	# end on a listing burst
	ctl "$1" list -f "$T/last.$1" --reason botnet --expires 1d >/dev/null 2>&1
}

# the hostile peer X (B dials its PUB URL) and a stranger E
hostile() {
	_k=0
	while [ ! -e "$T/stop" ]; do
		case $((_k % 6)) in
		0) "$INJ" -l "tcp://127.0.0.1:$PUB_X" -g 50 ;;
		1) "$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/E.key" -P "172.16.$((_k % 250)).1" ;;
		2) "$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/E.key" -o "$AID" -s 999999 \
			-P "172.17.$((_k % 250)).1" ;;
		3) "$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/X.key" -o "$AID" -s 1 -e 9 \
			-P "172.18.$((_k % 250)).1" ;;
		4) "$INJ" -r "tcp://127.0.0.1:$SYNC_B" -k "$T/X.key" -o "$AID" -a 0 -m 1024 ;;
		5) "$INJ" -r "tcp://127.0.0.1:$SYNC_B" -k "$T/E.key" -o "$AID" -a 0 -m 1024 ;;
		esac >/dev/null 2>&1
		_k=$((_k + 1))
	done
	echo "$_k" >"$T/hostile.count"
}

rss() {
	eval "_p=\$PID_$1"
	awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status"
}

publisher A 1 &
PA=$!
publisher C 3 &
PC=$!
hostile &
PH=$!

t=0
unanswered=0
: >"$T/rss"
while [ "$t" -lt "$SOAK_TIME" ]; do
	ctl B status >/dev/null 2>&1 || unanswered=$((unanswered + 1))
	[ $((t % 10)) -eq 0 ] && echo "$t $(rss B)" >>"$T/rss"
	sleep 1
	t=$((t + 1))
done
touch "$T/stop"
wait $PA $PC $PH
[ "$unanswered" -eq 0 ] || fail "B's control socket did not answer $unanswered time(s)"

sa=$(origin_seq A A)
sc=$(origin_seq C C)
for n in B C; do wait_for 60 seq_is $n A "$sa" || fail "$n: seq of A $(origin_seq $n A), want $sa"; done
for n in A B; do wait_for 60 seq_is $n C "$sc" || fail "$n: seq of C $(origin_seq $n C), want $sc"; done
for n in A B C; do
	ctl $n --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["listings"])'
done >"$T/counts"
[ "$(sort -u "$T/counts" | wc -l)" -eq 1 ] || fail "listing counts differ: $(tr '\n' ' ' <"$T/counts")"
for a in $(cat "$T/last.A" "$T/last.C"); do
	for n in A B C; do
		ctl $n why "$a" >/dev/null || fail "$a (published last) not listed at $n"
	done
done
for a in 172.16.1.1 172.17.2.1 172.18.3.1; do
	ctl B why "$a" >/dev/null && fail "hostile listing $a accepted at B"
done

xrej=$(ctl B --json peers | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    for p in d.get("peers", [d]):
        if p.get("name") == "X":
            print(p["rejected"] + p["dropped"], p["disconnects"])' | head -1)
[ "${xrej%% *}" -gt 0 ] 2>/dev/null || fail "the hostile peer's messages never reached B: $xrej"
n=$(wc -l <"$T/rss")
third=$((n / 3))
[ "$third" -ge 1 ] || third=1
first=$(head -n "$third" "$T/rss" | awk '$2 > m { m = $2 } END { print m + 0 }')
last=$(tail -n "$third" "$T/rss" | awk '$2 > m { m = $2 } END { print m + 0 }')
[ "$last" -le $((first + SLACK)) ] ||
	fail "B's memory grew: largest ${first} KiB in the first third, ${last} KiB in the last"
lines=$(wc -l <"$T/B.log")
[ "$lines" -le "$SOAK_TIME" ] || fail "B logged $lines lines in $SOAK_TIME s"
echo "soak: ${SOAK_TIME}s, A seq $sa, C seq $sc, listings $(head -1 "$T/counts")," \
	"hostile rounds $(cat "$T/hostile.count"), B RSS KiB first third max $first," \
	"last third max $last, X rejected+dropped and disconnects at B $xrej," \
	"B log lines $lines, data $(du -sk "$T/B.data" | cut -f1) KiB"
finish soak
