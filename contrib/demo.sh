#!/bin/sh
# demo.sh BUILD - a three-organisation federation on loopback (make demo).
#
# Org A, Org B and Org C each get a key, trust each other, and run blfedd
# in a line A - B - C (A and C are not connected).  A lists an address;
# C learns it through B's relay and explains it with A's provenance; A
# delists it and C follows.  Everything runs in a temporary directory and
# is stopped at the end (DEMO_KEEP=1 keeps the agents running and prints
# how to talk to them).
set -u
BUILD=$(cd "${1:-build}" && pwd)
B=$BUILD/blfed
D=$BUILD/blfedd
T=$(mktemp -d /tmp/blfed-demo.XXXXXX)
PIDS=""

stop_all() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
[ "${DEMO_KEEP:-0}" = 1 ] || trap stop_all EXIT
trap 'exit 2' INT TERM

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { echo "\$ $*" | sed "s|$B|blfed|; s|$T/||g"; "$@"; }

for n in A B C; do
	"$B" -k "$T/$n.key" keygen -c "Org $n" >"$T/$n.pub"
	eval "P_$n=$(port) S_$n=$(port)"
	mkdir -p "$T/$n.data"
done
for n in A B C; do
	for o in A B C; do
		"$B" -t "$T/$n.trust" trust add "org$(echo $o | tr ABC abc)" "$T/$o.pub" \
			--scope 0.0.0.0/0,::/0 >/dev/null
	done
done
conf() {
	n=$1
	shift
	eval "pp=\$P_$n sp=\$S_$n"
	printf 'key %s\ntrust %s\ndatadir %s\ncontrol ipc://%s\npidfile none\n' \
		"$T/$n.key" "$T/$n.trust" "$T/$n.data" "$T/$n.sock" >"$T/$n.conf"
	printf 'listen tcp://127.0.0.1:%s\nsync-listen tcp://127.0.0.1:%s\nheads-interval 2s\n' \
		"$pp" "$sp" >>"$T/$n.conf"
	for p in "$@"; do
		eval "ppp=\$P_$p psp=\$S_$p"
		echo "peer org$(echo $p | tr ABC abc) tcp://127.0.0.1:$ppp tcp://127.0.0.1:$psp $T/$p.pub" \
			>>"$T/$n.conf"
	done
}
conf A B
conf B A C
conf C B
for n in A B C; do
	"$D" -d -c "$T/$n.conf" 2>"$T/$n.log" &
	PIDS="$PIDS $!"
done
wait_until() {
	i=0
	while [ $i -lt 100 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
for n in A B C; do wait_until "$B" -s "$T/$n.sock" status || { cat "$T/$n.log"; exit 1; }; done
wait_until sh -c "'$B' -s '$T/C.sock' peers | grep -q connected"

say "Three agents run in a line: A - B - C.  C's peers:"
show "$B" -s "$T/C.sock" peers
say "Org A lists an address:"
show "$B" -s "$T/A.sock" list 192.0.2.7 --reason spam-source --expires 7d --ref "ticket 4711"
wait_until "$B" -s "$T/C.sock" why 192.0.2.7
say "Org C has never talked to A, yet knows why the address is listed:"
show "$B" -s "$T/C.sock" why 192.0.2.7
say "Org A delists it; C follows:"
show "$B" -s "$T/A.sock" delist 192.0.2.7
wait_until sh -c "! '$B' -s '$T/C.sock' why 192.0.2.7"
show "$B" -s "$T/C.sock" why 192.0.2.7
say "B's view of the federation:"
show "$B" -s "$T/B.sock" status
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	say "The agents keep running (pids$PIDS); talk to them with:"
	echo "  $B -s $T/A.sock status"
	echo "  kill$PIDS    # to stop them"
fi
exit 0
