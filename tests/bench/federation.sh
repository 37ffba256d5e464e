#!/bin/sh
# federation.sh BUILD - benchmarks of the running federation on loopback
# (make bench-net): A - B - C in a line, as in tests/integration/line.sh.
# Catch-up is measured CATCHUP_RUNS times (default 1): C stopped, the
# operations published, C restarted.
#
#  1. reference: publish at A, seen on A's own feed (no hop);
#  2. propagation to C (two hops, C's relay seen on C's feed), idle;
#  3. the same under a background load of LOAD operations per second
#     published at A in deltas of 1000;
#  4. catch-up: C stopped, CATCHUP operations published at A (deltas of
#     1000), C restarted: time until C holds them all.
. "$(dirname "$0")/../integration/lib.sh"
PROBE=$BUILD/tools/blf_probe
N=${N:-200}
LOAD=${LOAD:-100000}
CATCHUP=${CATCHUP:-1000000}

agent A; agent B; agent C
for n in A B C; do trust $n A B C; done
seq_ge() { [ "$(origin_seq "$1" "$2")" -ge "$3" ]; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# FED_EXTRA: more config lines for the three (e.g. "serve-rate 8M" to
# compare catch-up budgets in the same conditions)
EXTRA="journal-window 2d
${FED_EXTRA:-}"
conf A B
conf B A C
conf C B
EXTRA=
start A; start B; start C
wait_for 10 connected C B || fail "C not connected"
wait_for 10 connected B A || fail "B not connected"
sleep 1
echo "reference, no hop (A's feed):"
"$PROBE" -c "ipc://$T/A.sock" -f "tcp://127.0.0.1:$PUB_A" -n "$N" || fail "probe A"
echo "two hops (C's feed), idle:"
"$PROBE" -c "ipc://$T/A.sock" -f "tcp://127.0.0.1:$PUB_C" -n "$N" || fail "probe C"
echo "two hops under a background load of $LOAD operations/s:"
s0=$(origin_seq C A)
"$PROBE" -c "ipc://$T/A.sock" -L "$LOAD" -b 1000 -t 12 &
lp=$!
sleep 1
"$PROBE" -c "ipc://$T/A.sock" -f "tcp://127.0.0.1:$PUB_C" -n "$((N * 5))" || fail "probe under load"
wait "$lp" 2>/dev/null
wait_for 30 seq_is C A "$(origin_seq A A)" || fail "C did not keep up"
echo "  C applied $(( $(origin_seq C A) - s0 )) deltas meanwhile"
for n in B C; do
	ctl $n --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["peers"]:
    print("  at %s from %s: received %d applied %d dropped (gaps) %d fetched %d duplicate %d"
          % (sys.argv[1], p["name"], p["received"], p["applied"], p["dropped"], p["fetched"],
             p["duplicate"]))' $n
done
[ "$CATCHUP" -gt 0 ] || finish federation

run=1
while [ "$run" -le "${CATCHUP_RUNS:-1}" ]; do
echo "catch-up of $CATCHUP operations (run $run):"
# A may be slow to answer right after a run on a loaded machine
wait_for 60 seq_ge A A 1 || fail "A does not answer"
seq0=$(origin_seq A A)
stop C
t0=$(ms)
"$PROBE" -c "ipc://$T/A.sock" -L 1000000000 -b 1000 -t 3600 >"$T/burst.out" &
bp=$!
wait_for 600 seq_ge A A $((seq0 + CATCHUP / 1000)) || fail "A did not publish"
kill "$bp" 2>/dev/null
wait "$bp" 2>/dev/null
want=$(origin_seq A A)
t1=$(ms)
wait_for 600 seq_is B A "$want" || fail "B did not follow"
nops=$(((want - seq0) * 1000))
echo "  published $nops operations at A in $((t1 - t0)) ms"
t0=$(ms)
start C
ts=$(ms)
wait_for 600 seq_is C A "$want" || fail "C did not catch up"
t1=$(ms)
echo "  C restarted in $((ts - t0)) ms (journal replay of what it held before)"
echo "  C caught up $nops operations ($((want - seq0)) deltas) $((t1 - ts)) ms after it answered"
du -sh "$T/C.data" | sed 's/^/  C data directory: /'
run=$((run + 1))
done
finish federation
