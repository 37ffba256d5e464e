#!/bin/sh
# line.sh BUILD - three agents in a line, A - B - C (A and C not
# connected): relay with provenance, delisting, catch-up after a restart
# and after SIGSTOP, hostile input from a fourth peer, and a key rollover
# published at A and applied at C without a restart.
. "$(dirname "$0")/lib.sh"

agent A; agent B; agent C; agent X; agent E; agent D; agent F
for n in A B C D F; do trust $n A B C; done
conf A B
conf B A C
conf C B X D F
conf D C
conf F C
start A; start B; start C
wait_for 10 connected C B || fail "C not connected to B"
wait_for 10 connected B A || fail "B not connected to A"

# 1. a listing made at A shows in C's view with A's provenance, via B
ctl A list 192.0.2.7 --reason spam-source --expires 7d --ref "ticket 4711" >/dev/null ||
	fail "list at A"
wait_for 10 ctl C why 192.0.2.7 || fail "listing did not reach C"
ctl C why 192.0.2.7 >"$T/why.txt"
grep -q '^  \* A lists 192.0.2.7/32 reason spam-source (1) .*ref "ticket 4711": accepted$' \
	"$T/why.txt" || fail "provenance at C: $(cat "$T/why.txt")"
ctl C --json status | grep -q '"name":"B".*"applied":1' || fail "C did not count B's relay"
# and the delisting follows
ctl A delist 192.0.2.7 >/dev/null || fail "delist at A"
wait_for 10 sh -c "! '$B' -s '$T/C.sock' why 192.0.2.7" || fail "delisting did not reach C"

# 2. C stopped, changes made, C restarted: it catches up
stop C
for i in 1 2 3 4 5; do ctl A list "198.51.100.$i" --reason botnet --expires 1d >/dev/null; done
wait_for 10 seq_is B A 7 || fail "B did not follow A (seq $(origin_seq B A))"
start C
wait_for 15 seq_is C A 7 || fail "C did not catch up after restart (seq $(origin_seq C A))"
ctl C why 198.51.100.5 >/dev/null || fail "C lacks 198.51.100.5 after catch-up"

# 3. B frozen while A publishes a burst; B converges through catch-up
eval "kill -STOP \$PID_B"
i=0
while [ $i -lt 60 ]; do
	ctl A list "203.0.113.$i" --reason snowshoe --expires 1d >/dev/null
	i=$((i + 1))
done
eval "kill -CONT \$PID_B"
wait_for 20 seq_is B A 67 || fail "B did not converge after SIGCONT (seq $(origin_seq B A))"
wait_for 20 seq_is C A 67 || fail "C did not converge after B came back (seq $(origin_seq C A))"

# 4. hostile input from peer X (its agent key is configured at C)
#    an untrusted origin's delta is refused
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/E.key" -P 192.0.2.99 >/dev/null ||
	fail "inject untrusted"
ctl C why 192.0.2.99 >/dev/null && fail "untrusted origin's listing accepted"
#    a forged delta: claims origin A, signed by E
AID=$(cut -d' ' -f2 "$T/A.pub")
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/E.key" -o "$AID" -s 68 \
	-p 1111111111111111111111111111111111111111111111111111111111111111 \
	-P 192.0.2.98 >/dev/null || fail "inject forged"
#    a forked delta: signed by A's own key, seq 68 with a wrong prev
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/A.key" -s 68 \
	-p 2222222222222222222222222222222222222222222222222222222222222222 \
	-P 192.0.2.97 >/dev/null || fail "inject forked"
wait_for 5 sh -c "'$B' -s '$T/C.sock' --json peers | grep -q '\"name\":\"X\".*bad-prev'" ||
	fail "fork not counted: $(ctl C --json peers)"
for p in 192.0.2.98 192.0.2.97; do
	ctl C why $p >/dev/null && fail "forged or forked listing of $p accepted"
done
seq_is C A 67 || fail "A's log at C changed: seq $(origin_seq C A)"
ctl C --json peers | grep '"name":"X"' | grep -q '"unknown-key":2' ||
	fail "unknown signers not counted: $(ctl C --json peers)"
#    garbage: C drops it, logs once, disconnects X, and keeps serving
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -g 200 >/dev/null || fail "inject garbage"
wait_for 5 sh -c "'$B' -s '$T/C.sock' --json peers | grep -q '\"name\":\"X\".*\"disconnects\":1'" ||
	fail "garbage peer not disconnected: $(ctl C --json peers)"
# one line per peer and outcome, not one per message
n=$(grep 'peer X: SPEC 3.1' "$T/C.log" | cut -d' ' -f3- | sort | uniq -d | wc -l)
[ "$n" -eq 0 ] || fail "a garbage outcome was logged twice"
n=$(grep -c 'peer X: SPEC 3.1' "$T/C.log")
[ "$n" -le 8 ] || fail "garbage logged $n times"
ctl C status >/dev/null || fail "C stopped answering after garbage"
#    what X sends while its backoff lasts is dropped unread; then X is
#    heard again (redial.sh does this several times in a row)
wait_for 10 sh -c "! '$B' -s '$T/C.sock' --json peers | grep -q '\"name\":\"X\".*\"state\":\"backoff\"'" ||
	fail "X still backing off: $(ctl C --json peers | grep -o '"name":"X"[^]]*')"
#    a copy of a delta C holds is dropped by its hash before its signature
#    is checked: a copy with a broken signature counts as a duplicate, not
#    as bad-signature (B's origin, otherwise unused here, seq 1)
C0=$(date +%s)
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/B.key" -c "$C0" -P 192.0.2.155 >/dev/null ||
	fail "inject B's delta"
wait_for 10 seq_is C B 1 || fail "C did not apply B's delta from X (seq $(origin_seq C B))"
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/B.key" -c "$C0" -X -P 192.0.2.155 >/dev/null ||
	fail "inject the copy"
wait_for 5 sh -c "'$B' -s '$T/C.sock' --json peers | grep -q '\"name\":\"X\".*\"duplicate\":1'" ||
	fail "the copy was not a duplicate: $(ctl C --json peers | grep '"name":"X"')"
ctl C --json peers | grep '"name":"X"' | grep -q 'bad-signature' &&
	fail "the copy's signature was checked: $(ctl C --json peers | grep '"name":"X"')"

# 5. a fourth agent added later, peered with C only, fetches the whole
#    log (no snapshot needed while C holds every delta) to the same view
start D
wait_for 20 seq_is D A 67 || fail "D did not converge (seq $(origin_seq D A))"
for p in 198.51.100.3 203.0.113.59 192.0.2.7; do
	ctl C --json why $p | sed 's/"first".*//' >"$T/c.why"
	ctl D --json why $p | sed 's/"first".*//' >"$T/d.why"
	cmp -s "$T/c.why" "$T/d.why" || fail "C and D differ on $p"
done

# 6. key rollover published at A is applied at C, without a restart
"$B" -k "$T/A.key" trust rotate -o "$T/A2.key" >/dev/null || fail "rotate"
ctl A announce "$T/A2.key.rollover" >/dev/null || fail "announce at A: $(cat "$T/A.log" | tail -2)"
A2=$(tail -1 "$T/A2.key.rollover" >/dev/null; "$B" -k "$T/A2.key" key show | grep -v '^#' | cut -d' ' -f2)
wait_for 10 sh -c "'$B' -t '$T/C.trust' trust list | grep -q '^A  *$A2 '" ||
	fail "rollover not applied at C: $("$B" -t "$T/C.trust" trust list)"
# A signs with the new key from now on; C accepts it at once
sed -i "s|^key .*|key $T/A2.key|" "$T/A.conf"
ctl A reload >/dev/null || fail "reload at A"
ctl A list 192.0.2.55 --reason phishing --expires 2d >/dev/null || fail "list with the new key"
wait_for 10 ctl C why 192.0.2.55 || fail "listing signed by the new key not accepted at C"

# an agent that was away when the rollover was announced still gets it:
# C republishes the statements it holds with its heads
start F
wait_for 20 sh -c "'$B' -t '$T/F.trust' trust list | grep -q '^A  *$A2 '" ||
	fail "rollover not republished to F: $("$B" -t "$T/F.trust" trust list)"
wait_for 20 ctl F why 192.0.2.55 || fail "F does not accept A's new key"

# 7. serving is paged and bounded: two deltas of 10000 listings with long
#    references (about 2.9 MB each); a 150-byte request for 1024 deltas
#    gets one delta and "more", never the whole 6 MB; a request signed by
#    an agent that is not a configured peer gets no answer at all
python3 -c '
import sys
for k in range(int(sys.argv[1]), int(sys.argv[1]) + 10000):
    print("100.%d.%d.%d" % (k >> 16 & 255, k >> 8 & 255, k & 255), "r" * 250)' 0 >"$T/big1"
python3 -c '
import sys
for k in range(int(sys.argv[1]), int(sys.argv[1]) + 10000):
    print("100.%d.%d.%d" % (k >> 16 & 255, k >> 8 & 255, k & 255), "r" * 250)' 10000 >"$T/big2"
s0=$(origin_seq A A)
ctl A list -f "$T/big1" --reason 13 --expires 1d >/dev/null || fail "big delta 1"
ctl A list -f "$T/big2" --reason 13 --expires 1d >/dev/null || fail "big delta 2"
wait_for 20 seq_is C A $((s0 + 2)) || fail "big deltas did not reach C"
"$INJ" -r "tcp://127.0.0.1:$SYNC_C" -k "$T/X.key" -o "$AID" -a "$s0" -m 1024 >"$T/out" ||
	fail "catch-up request from X not answered"
read -r _ st _ nd _ bytes _ more <"$T/out"
[ "$st" = 0 ] && [ "$nd" = 1 ] && [ "$more" = 1 ] && [ "$bytes" -lt 4500000 ] ||
	fail "catch-up response not paged: $(cat "$T/out")"
"$INJ" -r "tcp://127.0.0.1:$SYNC_C" -k "$T/E.key" -o "$AID" -a 0 -m 1024 >"$T/out" &&
	fail "a request from an unknown agent was answered: $(cat "$T/out")"

# 8. equivocation: a second, different delta 5 signed by A's key freezes A
#    at C (its listings leave the view, the evidence is kept, an alert is
#    logged) until the administrator unfreezes it
ctl C why 192.0.2.55 >/dev/null || fail "A's listing missing before the fork"
"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/A.key" -s 5 \
	-p 3333333333333333333333333333333333333333333333333333333333333333 \
	-P 192.0.2.96 >/dev/null || fail "inject equivocation"
wait_for 5 sh -c "'$B' -s '$T/C.sock' status | grep -q '^  A .* FROZEN'" ||
	fail "A not frozen at C: $(ctl C status | grep '^  A ')"
grep -q 'alert: peer X: SPEC 5.5: .*equivocation: origin frozen, evidence in ' "$T/C.log" ||
	fail "no equivocation alert"
ctl C why 192.0.2.55 >"$T/out" && fail "a frozen origin's listing still counts"
grep -q 'frozen' "$T/out" || fail "why does not say frozen: $(cat "$T/out")"
ls "$T/C.data/evidence" | grep -q . || fail "no evidence kept"
grep -q 'evidence in .*/evidence/[0-9a-f]*\.[0-9]*\.5\.[0-9a-f]*\.msg' "$T/C.log" ||
	fail "the alert does not name the evidence file"
ctl C origin unfreeze A >/dev/null || fail "unfreeze"
ctl C why 192.0.2.55 >/dev/null || fail "A's listing not back after unfreeze"

# 9. the administrator resets A's log at C (SPEC 5.3): C forgets it, then
#    fetches the whole log again from B and ends with the same view
s=$(origin_seq C A)
ctl C origin reset A >/dev/null || fail "origin reset"
grep -q 'origin A (.*) reset by the administrator' "$T/C.log" || fail "reset not logged"
wait_for 20 seq_is C A "$s" || fail "C did not fetch A's log again (seq $(origin_seq C A), want $s)"
wait_for 5 ctl C why 192.0.2.55 || fail "A's listing not back after the reset"

finish line
