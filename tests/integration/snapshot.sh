#!/bin/sh
# snapshot.sh BUILD - bootstrap from a snapshot served by a relay (SPEC
# 6.8, 12.4).  A publishes 25,000 listings and more; A and B compact with
# a 2-second journal window (B only after it keeps A's signed snapshot);
# a new agent D, peered with B alone, gets status 2 for A's early deltas,
# fetches A's snapshot from B, refuses it while B's copy is tampered with,
# applies it once it is genuine, follows A's later deltas, and answers
# why as B does.  Before that, D's only peer is a hostile H
# (tests/tools/blf_snapserve) that answers D's snapshot requests for A with
# a validly signed snapshot of another origin E, and with A's snapshot
# truncated, forged or with a chunk repeated: D refuses each, logs each
# outcome once with its SPEC name, keeps nothing of A and no spool file.
. "$(dirname "$0")/lib.sh"

agent A; agent B; agent D; agent E; agent H
for n in A B D; do trust $n A B D E; done
trust E E
EXTRA="journal-window 2s"
conf A B
conf B A D
conf E
EXTRA=""
conf D H

# E: an origin of its own with a kept snapshot (validly signed by E)
start E
ctl E list 192.0.2.200 --reason spam-source --expires 2d >/dev/null || fail "list at E"
e_kept() { ls "$T/E.data/log/"*.snap >/dev/null 2>&1; }
wait_for 20 e_kept || fail "E keeps no snapshot of its own"
ESNAP=$(ls "$T/E.data/log/"*.snap | head -1)
stop E
start A; start B
wait_for 10 connected B A || fail "B not connected to A"

# A: three bulk deltas (25,000 listings: a snapshot of three chunks), then
# a few single ones, an exclusion and a delisting
python3 -c '
for i in range(25000):
    print("10.%d.%d.0/24" % (i // 256, i % 256))' >"$T/bulk"
ctl A list -f "$T/bulk" --reason botnet --expires 7d --ref "case 17" >/dev/null ||
	fail "bulk list at A"
for i in 1 2 3 4 5; do
	ctl A list "198.51.100.$i" --reason spam-source --expires 2d >/dev/null || fail "list $i"
done
ctl A delist 10.0.3.0/24 >/dev/null || fail "delist at A"
N=$(origin_seq A A)
[ "$N" -gt 5 ] || fail "A's seq is $N"
wait_for 20 seq_is B A "$N" || fail "B did not follow A (seq $(origin_seq B A) of $N)"

# B keeps A's snapshot, then compacts A's log down to nothing
snap_kept() { ls "$T/B.data/log/"*.snap >/dev/null 2>&1; }
jnl_empty() {
	for f in "$T/B.data/log/"*.jnl; do
		[ -s "$f" ] && [ "$(stat -c %s "$f")" -gt 0 ] && return 1
	done
	return 0
}
wait_for 20 snap_kept || fail "B keeps no snapshot of A"
wait_for 20 jnl_empty || fail "B did not compact A's journal"
SNAP=$(ls "$T/B.data/log/"*.snap | head -1)
[ "$(stat -c %a "$SNAP")" = 600 ] || fail "kept snapshot mode $(stat -c %a "$SNAP")"
ctl B --json status | grep -q '"name":"A".*"snapshots_fetched":1' ||
	fail "B did not count A's snapshot: $(ctl B --json status)"

# the hostile peer H, in one mode after the other, with D asking it alone
AID=$(cut -d' ' -f2 "$T/A.pub")
cp "$SNAP" "$T/snapA"
SS=$BUILD/tools/blf_snapserve
hostile() {
	"$SS" -l "tcp://127.0.0.1:$PUB_H" -r "tcp://127.0.0.1:$SYNC_H" -k "$T/H.key" \
		-o "$AID" -e 1 -s "$N" -f "$1" -m "$2" -t 60 >"$T/H.$2.out" 2>&1 &
	HPID=$!
	PIDS="$PIDS $HPID"
}
refused() { # refused OUTCOME: how many log lines of H's snapshot chunks with it
	grep -c "peer H: SPEC [0-9.]*: snapshot chunk: $1 " "$T/D.log"
}
rejected_by() { # rejected_by OUTCOME: D's count of H's rejections with it
	ctl D --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = next(p for p in d["peers"] if p["name"] == "H")
print(p.get("rejected_by", {}).get(sys.argv[1], 0))' "$1"
}
at_least() { [ "$(rejected_by "$1")" -ge "$2" ]; }
no_spool() { ! ls -A "$T/D.data/log" | grep -q '^\.'; }
start D
for m in "$ESNAP asis bad-item" "$T/snapA truncate malformed" \
	 "$T/snapA forge bad-signature" "$T/snapA repeat bad-item"; do
	set -- $m
	before=$(rejected_by "$3")
	hostile "$1" "$2"
	# twice: the second refusal is counted, not logged again
	wait_for 30 at_least "$3" $((before + 2)) ||
		fail "mode $2: D did not refuse twice ($(rejected_by "$3") $3): $(tail -3 "$T/D.log")"
	kill -TERM "$HPID" 2>/dev/null
	wait "$HPID" 2>/dev/null
	[ "$(refused "$3")" = 1 ] ||
		fail "mode $2: $(refused "$3") log lines for $3 (want 1): $(grep 'peer H' "$T/D.log")"
	[ "$(origin_seq D A)" -le 0 ] || fail "mode $2: D took A's seq $(origin_seq D A)"
	ctl D why 10.0.0.1 >/dev/null && fail "mode $2: a hostile snapshot's listing is in D's view"
	# a fetch that was under way when H stopped is abandoned, its file removed
	wait_for 30 no_spool ||
		fail "mode $2: a spool file is left: $(ls -A "$T/D.data/log")"
done
grep -q 'snapshot at epoch' "$T/D.log" && fail "D took a snapshot from H"
stop D
conf D H B

# a tampered snapshot (the last signature byte of chunk 0 flipped in B's
# kept copy) is refused by D, and changes nothing there
cp "$SNAP" "$T/snap.orig"
python3 - "$SNAP" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
n = struct.unpack(">I", b[24:28])[0]
b[28 + n - 1] ^= 1
open(p, "r+b").write(b)
PY
hostile "$ESNAP" asis
start D
wait_for 20 grep -q 'peer B: .*snapshot .*bad-signature' "$T/D.log" ||
	fail "D did not refuse the tampered snapshot: $(tail -5 "$T/D.log")"
[ "$(origin_seq D A)" -le 0 ] || fail "a tampered snapshot changed D: seq $(origin_seq D A)"
ctl D why 10.0.0.1 >/dev/null && fail "a tampered snapshot's listing is in D's view"
cat "$T/snap.orig" >"$SNAP"

# the genuine one brings D to A's seq, and D follows what A does next
wait_for 30 seq_is D A "$N" || fail "D did not bootstrap (seq $(origin_seq D A) of $N)"
ctl D --json status | grep -q '"name":"B".*"snapshots_fetched":1' ||
	fail "D did not count the snapshot: $(ctl D --json status)"
ctl B --json status | grep -q '"name":"D".*"snapshots_served":[1-9]' ||
	fail "B did not count serving D: $(ctl B --json status)"
ctl A list 203.0.113.9 --reason spam-source --expires 1d >/dev/null || fail "list after"
N=$((N + 1))
wait_for 20 seq_is D A "$N" || fail "D did not follow A after the snapshot"

# the same answers at B and D (first-listed and changed times aside: a snapshot
# does not carry them)
for q in 10.0.0.1 10.97.167.0/24 10.0.3.7 198.51.100.3 203.0.113.9 192.0.2.1; do
	ctl B why "$q" 2>&1 | sed 's/ since [^ ]*//; s/ changed [^ ]*//' >"$T/why.B"
	ctl D why "$q" 2>&1 | sed 's/ since [^ ]*//; s/ changed [^ ]*//' >"$T/why.D"
	cmp -s "$T/why.B" "$T/why.D" || fail "why $q differs: $(diff "$T/why.B" "$T/why.D")"
done
ctl D why 10.0.3.7 >/dev/null && fail "A's delisting is missing at D"
ctl D why 10.97.167.1 >/dev/null || fail "A's listing 10.97.167.0/24 is missing at D"

finish snapshot.sh
