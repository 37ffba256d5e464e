#!/bin/sh
# export_stall.sh BUILD - what blfedd's export costs the applying of deltas
# (BENCHMARKS.md "Exports in the daemon"; not part of make bench: it starts
# three daemons).
#
# A publishes; B (exporting: export-dir, all formats, export-interval
# INTERVAL) and C (no export) are both A's peers and apply the same
# deltas.  1. N listings are loaded at A (deltas of 1000) and B writes its
# first full export of them; 2. a second load of LOAD listings: the time
# B and C each take to hold all of it (B exports meanwhile, every
# INTERVAL); 3. propagation of single deltas to B's and to C's feed while
# B keeps exporting (p50/p99/max: the stall shows in the tail).
. "$(dirname "$0")/../integration/lib.sh"
PROBE=$BUILD/tools/blf_probe
N=${N:-100000}
LOAD=${LOAD:-200000}
INTERVAL=${INTERVAL:-10s}
S=${S:-200}

agent A; agent B; agent C
for n in A B C; do trust $n A; done
trust A B C
seq_ge() { [ "$(origin_seq "$1" "$2")" -ge "$3" ]; }
ms() { echo $(($(date +%s%N) / 1000000)); }
last_export() { # AGENT -> "listed duration_ms"
	ctl "$1" --json status | python3 -c '
import json, sys
x = json.load(sys.stdin)["export"]["last"] or {"listed": 0, "duration_ms": 0}
print(x["listed"], x["duration_ms"])'
}
EXTRA="journal-window 2d" conf A B C
EXTRA="journal-window 2d
export-dir $T/B.export
export-interval $INTERVAL
export-shard4 8
export-shard6 8" conf B A
EXTRA="journal-window 2d" conf C A
start A; start B; start C
wait_for 10 connected B A || fail "B not connected"
wait_for 10 connected C A || fail "C not connected"
sleep 1

echo "1. loading $N listings at A (deltas of 1000):"
s0=$(origin_seq A A)
"$PROBE" -c "ipc://$T/A.sock" -L 1000000000 -b 1000 -N "$N" -t 3600 || fail "load"
target=$((s0 + N / 1000))
wait_for 300 seq_ge B A "$target" || fail "B did not apply the load"
wait_for 300 seq_ge C A "$target" || fail "C did not apply the load"
listed_ge() { set -- $(last_export B); [ "$1" -ge "$N" ]; }
wait_for 120 listed_ge || fail "B did not export the load"
set -- $(last_export B)
echo "  B's first export of $1 entries (5 formats, fsync): $2 ms"
t0=$(ms)
ctl B export >"$T/x.out" || fail "export on demand"
echo "  on demand, nothing changed: $(( $(ms) - t0 )) ms round trip: $(cat "$T/x.out")"

echo "2. a second load of $LOAD listings; time until B (exporting) and C hold it:"
s1=$(origin_seq A A)
target=$((s1 + LOAD / 1000))
t0=$(ms)
"$PROBE" -c "ipc://$T/A.sock" -L 1000000000 -b 1000 -N "$LOAD" -t 3600 >"$T/load2.out" &
lp=$!
tb=""; tc=""
i=0
while [ -z "$tb" ] || [ -z "$tc" ]; do
	[ -z "$tb" ] && seq_ge B A "$target" && tb=$(( $(ms) - t0 ))
	[ -z "$tc" ] && seq_ge C A "$target" && tc=$(( $(ms) - t0 ))
	i=$((i + 1))
	[ $i -lt 6000 ] || { fail "second load not applied"; break; }
	sleep 0.05
done
wait "$lp"
echo "  publisher: $(cat "$T/load2.out")"
echo "  B (exporting) holds it after ${tb:-?} ms, C (no export) after ${tc:-?} ms"
ctl B --json status | python3 -c '
import json, sys
x = json.load(sys.stdin)["export"]
print("  B exports so far: %d, the last of %d entries took %d ms"
      % (x["runs"], x["last"]["listed"], x["last"]["duration_ms"]))'

echo "3. propagation of single deltas while B exports ($S samples each):"
for n in B C; do
	eval "pp=\$PUB_$n"
	printf '  %s: ' "$n"
	"$PROBE" -c "ipc://$T/A.sock" -f "tcp://127.0.0.1:$pp" -n "$S" || fail "probe $n"
done
ctl B --json status | python3 -c '
import json, sys
x = json.load(sys.stdin)["export"]
print("  B exports so far: %d, the last took %d ms" % (x["runs"], x["last"]["duration_ms"]))'
finish export_stall
