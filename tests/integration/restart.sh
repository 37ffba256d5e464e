#!/bin/sh
# restart.sh BUILD - a partner that restarts catches up at once, not at the
# next heads interval (SPEC 12.3 item 3): A and B with a heads interval of
# an hour; B stopped, A publishes, B restarted with nothing new published
# after it: only A's heads for its new subscriber tell B what it missed.
# Then a reload of A with a shorter heads interval (applied in place) and
# a new redial backoff (the transport reopened).
. "$(dirname "$0")/lib.sh"

agent A; agent B
trust A A B; trust B A B
conf A B; conf B A
for n in A B; do
	sed 's/^heads-interval .*/heads-interval 1h/' "$T/$n.conf" >"$T/$n.conf.1h" &&
		mv "$T/$n.conf.1h" "$T/$n.conf" || fail "conf $n"
done
start A; start B
wait_for 10 connected B A || fail "B not connected to A"
ctl A list 192.0.2.1 --reason spam-source --expires 1d >/dev/null || fail "list at A"
wait_for 10 seq_is B A 1 || fail "B did not get A's listing (seq $(origin_seq B A))"

stop B
for i in 2 3 4; do
	ctl A list "192.0.2.$i" --reason spam-source --expires 1d >/dev/null || fail "list $i"
done
# A's heads after these changes go out while B is away
sleep 2
start B
# the heads come soon after B's feed connects: well before an hour
wait_for 15 seq_is B A 4 || fail "B did not catch up after its restart (seq $(origin_seq B A))"
ctl B why 192.0.2.4 >/dev/null || fail "B lacks 192.0.2.4 after catch-up"
# and after A restarts, B dials it again: what A publishes next reaches B
stop A
start A
ctl A list 192.0.2.5 --reason spam-source --expires 1d >/dev/null || fail "list 5"
wait_for 15 seq_is B A 5 || fail "B did not follow A's restart (seq $(origin_seq B A))"

# a reload applies a new heads interval in place, counted from the reload
# (before, the running transport kept its hour); a new redial backoff
# reopens the transport
heads_at() { # AGENT PEER -> heads received from PEER
	ctl "$1" --json status | python3 -c '
import json, sys
print(sum(p["heads"] for p in json.load(sys.stdin)["peers"] if p["name"] == sys.argv[1]))' "$2"
}
wait_for 10 connected B A || fail "B not connected to A before the reload"
h0=$(heads_at B A) || fail "heads count"
sed 's/^heads-interval .*/heads-interval 500ms/' "$T/A.conf" >"$T/A.conf.new" &&
	mv "$T/A.conf.new" "$T/A.conf" || fail "conf A 500ms"
ctl A reload >/dev/null || fail "reload with a new heads interval"
heads_grew() { [ "$(heads_at B A)" -ge $((h0 + 4)) ]; }
wait_for 10 heads_grew || fail "heads interval not applied by reload: $h0 -> $(heads_at B A)"
grep -q 'transport restarted' "$T/A.log" && fail "a new heads interval reopened the transport"
echo "redial-max 20s" >>"$T/A.conf"
ctl A reload >/dev/null || fail "reload with a new redial-max"
wait_for 5 grep -q 'transport restarted' "$T/A.log" || fail "a new redial-max did not reopen"
wait_for 15 connected B A || fail "B not connected to A after the reopen"
finish restart
