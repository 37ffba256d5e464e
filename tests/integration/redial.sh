#!/bin/sh
# redial.sh BUILD - a peer that agent C disconnects for garbage is heard
# again after every backoff, however often it happens: peer X (played by
# blf_inject, a new process on the same port each time) floods C with
# garbage, C cuts it, drops what it sends while the backoff lasts, then
# takes a delta from it; four times in a row, with the backoff doubling.
# The peers C dials itself (B, a real agent) stay connected throughout,
# and C stops at once at the end.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-4}
agent B; agent C; agent X
r=1
while [ $r -le "$ROUNDS" ]; do agent "O$r"; r=$((r + 1)); done
trust B C
conf B C
r=1
set --
while [ $r -le "$ROUNDS" ]; do set -- "$@" "O$r"; r=$((r + 1)); done
trust C B "$@"
conf C B X
start B; start C
wait_for 10 connected C B || fail "C not connected to B"

peer_x() {
	ctl C --json peers | grep -o '"name":"X"[^]]*'
}

r=1
while [ $r -le "$ROUNDS" ]; do
	# a burst long enough to be still arriving when C cuts the connection
	"$INJ" -l "tcp://127.0.0.1:$PUB_X" -g 2000 >/dev/null || fail "round $r: inject garbage"
	wait_for 10 sh -c "'$B' -s '$T/C.sock' --json peers | grep -q '\"name\":\"X\".*\"disconnects\":$r[,}]'" ||
		fail "round $r: X not disconnected: $(peer_x)"
	# while the backoff lasts X is muted; then it is heard again
	wait_for 20 sh -c "! '$B' -s '$T/C.sock' --json peers | grep -q '\"name\":\"X\".*\"state\":\"backoff\"'" ||
		fail "round $r: X still backing off: $(peer_x)"
	"$INJ" -l "tcp://127.0.0.1:$PUB_X" -k "$T/O$r.key" -P "192.0.2.$r" >/dev/null ||
		fail "round $r: C did not subscribe to X again: $(peer_x)"
	wait_for 10 seq_is C "O$r" 1 || fail "round $r: X's delta not applied: $(peer_x)"
	connected C B || fail "round $r: C lost B: $(ctl C --json peers)"
	r=$((r + 1))
done
ctl C --json peers | grep -o '"name":"X"[^]]*' | grep -q "\"disconnects\":$ROUNDS," ||
	fail "disconnects not counted: $(peer_x)"
n=$(grep -c 'peer X: .* malformed messages in 10 s: disconnected for' "$T/C.log")
[ "$n" -eq "$ROUNDS" ] || fail "$n disconnects logged, want $ROUNDS"
# the backoff doubles: 1, 2, 4, 8 s
grep -q 'disconnected for 8 s' "$T/C.log" || fail "the backoff did not double"

# stopping cuts the connections first: C exits promptly (nng_close()
# under a live connection could hang; the daemon's watchdog would end it
# after a grace period and log it)
stop C
PIDS=$(echo "$PIDS" | sed "s/ $PID_C//")
grep -q 'sockets did not close' "$T/C.log" && fail "C's sockets did not close"
finish redial
