# lib.sh - sourced by tests/integration/*.sh (not run on its own): agents
# on 127.0.0.1 with free ports, each in its own directory under $T, and a
# trap that stops every daemon the test started.
#
#   agent NAME              make a key and pick ports for agent NAME
#   trust NAME OTHER...     NAME's trust store trusts OTHER (whole space)
#   conf NAME PEER...       write NAME's config with these peers
#   start NAME / stop NAME  run blfedd -d / SIGTERM it and wait
#   ctl NAME ARGS...        blfed against NAME's control socket
#   wait_for SECS CMD...    poll CMD every 0.1 s until it succeeds
#   fail MSG / finish NAME  as in tests/cli/lib/common.sh
#
# BLFEDD_WRAP, if set, prefixes every daemon start (make check-valgrind sets
# it to valgrind memcheck); START_WAIT is how many seconds a start may take
# (default 10), STOP_WAIT how many seconds a stop may take before it is a
# failure and the daemon is killed (default 30).  finish fails on a
# sanitizer or memcheck report in a log.
set -u
# the messages the scripts expect are English, whatever the caller's locale
unset LANGUAGE LC_ALL LC_MESSAGES
LANG=C
export LANG
BLFEDD_WRAP=${BLFEDD_WRAP:-}
START_WAIT=${START_WAIT:-10}
STOP_WAIT=${STOP_WAIT:-30}
BUILD=$(cd "$1" && pwd)
B=$BUILD/blfed
D=$BUILD/blfedd
INJ=$BUILD/tools/blf_inject
T=$(mktemp -d)
fails=0
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill -CONT "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ "$fails" -eq 0 ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# reap PID: wait for a daemon sent SIGTERM; one still running after
# STOP_WAIT seconds is a failure (a hung shutdown) and is killed
reap() {
	_ri=0
	while [ "$_ri" -lt $((STOP_WAIT * 10)) ]; do
		_rs=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || break
		[ "$_rs" = Z ] && break
		sleep 0.1
		_ri=$((_ri + 1))
	done
	if [ "$_ri" -ge $((STOP_WAIT * 10)) ]; then
		fail "pid $1 did not stop within ${STOP_WAIT}s of SIGTERM"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
}

finish() {
	# stop every daemon cleanly first: a sanitizer build reports on exit
	for p in $PIDS; do
		kill -CONT "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do reap "$p"; done
	PIDS=""
	for l in "$T"/*.log; do
		grep -q 'Sanitizer\|runtime error:' "$l" 2>/dev/null && fail "sanitizer report in $l"
		grep -q 'ERROR SUMMARY: [1-9]' "$l" 2>/dev/null && fail "memcheck report in $l"
	done
	if [ "$fails" -ne 0 ]; then
		echo "$1: $fails failure(s); logs kept in $T" >&2
		for l in "$T"/*.log; do echo "== $l" >&2; tail -20 "$l" >&2; done
		exit 1
	fi
	echo "$1: ok"
	exit 0
}

# freeport: a port for an agent to listen on later.  A port that the
# kernel hands out for bind(0) lies in the ephemeral range, where any
# outgoing connection (a dialer redialling a peer that is down, another
# test) may take it before the agent binds it, and where a later bind(0)
# may hand it out again: it is picked below that range instead, and
# reserved by a file under /tmp/blfed-test-ports naming this script's
# shell (a reservation whose shell is gone is given up).
freeport() {
	python3 - "$$" <<'PORT'
import os, random, socket, sys
lo = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
d = '/tmp/blfed-test-ports'
os.makedirs(d, exist_ok=True)
for _ in range(10000):
    port = random.randrange(10000, lo)
    path = os.path.join(d, str(port))
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    except FileExistsError:
        try:
            os.kill(int(open(path).read() or '0'), 0)
        except (ProcessLookupError, ValueError):
            os.unlink(path)  # its script is gone: free again next time
        except OSError:
            pass
        continue
    os.write(fd, sys.argv[1].encode())
    os.close(fd)
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', port))
    except OSError:
        continue  # in use by something else: it stays reserved
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
PORT
}

agent() {
	"$B" -k "$T/$1.key" keygen -c "$1" >"$T/$1.pub" || fail "keygen $1"
	eval "PUB_$1=$(freeport)"
	eval "SYNC_$1=$(freeport)"
	eval "SCHEME_$1=tcp"
	mkdir -p "$T/$1.data"
}

trust() {
	n=$1
	shift
	for o in "$@"; do
		"$B" -t "$T/$n.trust" trust add "$o" "$T/$o.pub" --scope 0.0.0.0/0,::/0 \
			--permissions list,delist,exclude --authority 0.0.0.0/0,::/0 >/dev/null ||
			fail "trust add $o at $n"
	done
}

# conf NAME PEER...: extra config lines may follow in $EXTRA
conf() {
	n=$1
	shift
	eval "sch=\$SCHEME_$n"
	eval "pp=\$PUB_$n"
	eval "sp=\$SYNC_$n"
	{
		echo "key $T/$n.key"
		echo "trust $T/$n.trust"
		echo "datadir $T/$n.data"
		echo "control ipc://$T/$n.sock"
		echo "pidfile $T/$n.pid"
		echo "listen $sch://127.0.0.1:$pp"
		echo "sync-listen $sch://127.0.0.1:$sp"
		echo "heads-interval 500ms"
		echo "catchup-timeout 2s"
		echo "redial-min 50ms"
		echo "redial-max 500ms"
		for p in "$@"; do
			eval "psch=\$SCHEME_$p"
			eval "ppp=\$PUB_$p"
			eval "psp=\$SYNC_$p"
			echo "peer $p $psch://127.0.0.1:$ppp $psch://127.0.0.1:$psp $T/$p.pub"
		done
		echo "${EXTRA:-}"
	} >"$T/$n.conf"
}

ctl() {
	n=$1
	shift
	"$B" -s "$T/$n.sock" "$@"
}

# (the helpers share the caller's variables: their own carry a _ prefix)
wait_for() {
	_wlimit=$(($1 * 10))
	shift
	_wi=0
	while [ "$_wi" -lt "$_wlimit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_wi=$((_wi + 1))
	done
	return 1
}

start() {
	$BLFEDD_WRAP "$D" -d -c "$T/$1.conf" 2>>"$T/$1.log" &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
	wait_for "$START_WAIT" ctl "$1" status || fail "$1 did not start: $(tail -3 "$T/$1.log")"
}

stop() {
	eval "p=\$PID_$1"
	kill -TERM "$p" 2>/dev/null
	reap "$p"
}

# origin_seq AGENT ORIGIN: the seq AGENT holds of ORIGIN
origin_seq() {
	ctl "$1" --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((o["seq"] for o in d["origins"] if o["name"] == sys.argv[1]), -1))' "$2"
}

seq_is() {
	[ "$(origin_seq "$1" "$2")" = "$3" ]
}

connected() {
	ctl "$1" --json peers | grep -q "\"name\":\"$2\".*\"state\":\"connected\""
}
