#!/bin/sh
# daemon.sh BUILD - one agent: -n config check with file:line errors, the
# control socket's mode, exit codes of the commands, bad publish requests,
# SIGHUP/blfed reload keeping the old configuration on error, the metrics
# textfile, and a clean SIGTERM stop with the state kept.
. "$(dirname "$0")/lib.sh"

agent A
trust A A
EXTRA="metrics $T/A.prom
metrics-interval 200ms" conf A

# -n: good config, then errors naming file:line, the line and the reason
"$D" -n -c "$T/A.conf" >"$T/out" 2>&1 || fail "-n on a good config: $(cat "$T/out")"
printf 'key %s/A.key\nlisten udp://1.2.3.4:5\n' "$T" >"$T/bad.conf"
"$D" -n -c "$T/bad.conf" 2>"$T/err" && fail "-n accepted a bad config"
grep -q "bad.conf:2: \`listen udp://1.2.3.4:5\`: expects a tcp://" "$T/err" ||
	fail "config error text: $(cat "$T/err")"
printf 'frobnicate 1\n' >"$T/bad2.conf"
"$D" -n -c "$T/bad2.conf" 2>"$T/err"
grep -q "bad2.conf:1: \`frobnicate 1\`: unknown keyword" "$T/err" || fail "unknown keyword: $(cat "$T/err")"

start A
[ "$(stat -c %a "$T/A.sock")" = 600 ] || fail "control socket mode $(stat -c %a "$T/A.sock")"
[ "$(cat "$T/A.pid")" = "$PID_A" ] || fail "pid file"

# exit codes: 0 yes, 1 no, 2 usage or system error
ctl A why 192.0.2.1 >/dev/null; [ $? -eq 1 ] || fail "why on nothing: want 1"
ctl A why not-an-address >/dev/null 2>&1; [ $? -eq 2 ] || fail "why garbage: want 2"
ctl A list 192.0.2.0/33 --reason 1 --expires 1d 2>/dev/null; [ $? -eq 2 ] || fail "bad prefix"
ctl A list 192.0.2.1 --reason 1 --expires 500d 2>/dev/null; [ $? -eq 2 ] || fail "ttl too long"
ctl A list 192.0.2.1 --reason nonsense --expires 1d 2>/dev/null; [ $? -eq 2 ] || fail "bad reason"
ctl A list 10.0.0.0/8 --reason 1 --expires 1d >/dev/null || fail "list /8 (our own policy filters it, the log takes it)"
ctl A why 10.1.2.3 >"$T/out"; [ $? -eq 1 ] || fail "too wide a listing counted"
grep -q 'too wide\|wider' "$T/out" || fail "why does not say too wide: $(cat "$T/out")"
"$B" -s "$T/none.sock" status 2>"$T/err"; [ $? -eq 2 ] || fail "no daemon: want 2"
grep -q 'cannot reach blfedd' "$T/err" || fail "no daemon message: $(cat "$T/err")"
ctl A export 2>"$T/err"; [ $? -eq 1 ] || fail "export: want 1"
ctl A origin reset A 2>"$T/err"; [ $? -eq 2 ] || fail "origin reset: want 2"
grep -q "this agent's own origin" "$T/err" || fail "reset message: $(cat "$T/err")"
ctl A origin unfreeze A 2>/dev/null; [ $? -eq 1 ] || fail "unfreeze a live origin: want 1"

# bulk list from stdin, and JSON
printf '# bulk\n198.51.100.1 first\n198.51.100.2\n\n2001:db8::/48 v6\n' |
	ctl A list -f - --reason spam-source --expires 2d >/dev/null || fail "bulk list"
ctl A --json why 2001:db8::1 | grep -q '"verdict":"listed".*"ref":"v6"' || fail "bulk v6"
ctl A why 198.51.100.2 >/dev/null || fail "bulk second line"

# reload: a broken config is refused and the old one stays
cp "$T/A.conf" "$T/A.conf.good"
echo "threshold zero" >>"$T/A.conf"
ctl A reload 2>"$T/err"; [ $? -eq 1 ] || fail "bad reload: want 1"
grep -q "A.conf:[0-9]*: \`threshold zero\`: expects a positive number" "$T/err" ||
	fail "reload error: $(cat "$T/err")"
eval "kill -HUP \$PID_A"
wait_for 5 grep -q 'reload refused' "$T/A.log" || fail "SIGHUP with a bad config not logged"
ctl A why 198.51.100.1 >/dev/null || fail "state lost after a refused reload"
cp "$T/A.conf.good" "$T/A.conf"
ctl A reload >/dev/null || fail "good reload"

# reload restarts the transport when peers change: a peer added is dialled,
# and settings that do not work (a port already taken) are refused while
# the running transport stays
agent R
trust R A R
conf R A
start R
cp "$T/A.conf" "$T/A.conf.good"
echo "peer R tcp://127.0.0.1:$PUB_R tcp://127.0.0.1:$SYNC_R $T/R.pub" >>"$T/A.conf"
ctl A reload >/dev/null || fail "reload adding a peer"
wait_for 10 connected A R || fail "peer added by reload not connected: $(ctl A peers)"
cp "$T/A.conf" "$T/A.conf.withr"
echo "listen tcp://127.0.0.1:$PUB_R" >>"$T/A.conf"
ctl A reload 2>"$T/err"; [ $? -eq 1 ] || fail "reload onto a taken port: want 1"
grep -q 'do not work' "$T/err" || fail "reload error: $(cat "$T/err")"
wait_for 10 connected A R || fail "transport not restored after a refused reload"
ctl A why 198.51.100.1 >/dev/null || fail "state lost after a refused transport reload"
cp "$T/A.conf.withr" "$T/A.conf"
ctl A reload >/dev/null || fail "reload back"

# metrics textfile
wait_for 5 grep -q '^blfedd_listings 4$' "$T/A.prom" || fail "metrics: $(head -20 "$T/A.prom")"

# a second daemon with the same pid file stops before touching our sockets
"$D" -d -c "$T/A.conf" 2>"$T/err"; [ $? -eq 1 ] || fail "second instance: want 1"
grep -q 'another blfedd is running' "$T/err" || fail "second instance: $(cat "$T/err")"
ctl A status >/dev/null || fail "the second instance broke the first"

# kill -9 leaves a stale control socket: the next start removes it
eval "kill -KILL \$PID_A"
eval "wait \$PID_A" 2>/dev/null
start A
ctl A why 198.51.100.1 >/dev/null || fail "state lost after kill -9"

# SIGTERM: clean stop, state kept across the restart
stop A
grep -q 'stopped' "$T/A.log" || fail "no clean stop"
[ -e "$T/A.pid" ] && fail "pid file left behind"
start A
ctl A why 198.51.100.1 >/dev/null || fail "state lost across restart"
# started as root with `user`: sockets bound as root, then running as that
# user, which owns the data directory
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	agent P
	trust P P
	EXTRA="user nobody" conf P
	chmod 755 "$T"
	# nobody keeps using them: its key, and a store it can rewrite
	mkdir -m 755 "$T/P.etc"
	mv "$T/P.trust" "$T/P.etc/P.trust"
	sed -i "s|^trust .*|trust $T/P.etc/P.trust|" "$T/P.conf"
	chown nobody "$T/P.key" "$T/P.etc" "$T/P.etc/P.trust"
	chown -R nobody "$T/P.data"
	start P
	eval "pp=\$PID_P"
	[ "$(ps -o user= -p "$pp" | tr -d ' ')" = nobody ] || fail "still running as $(ps -o user= -p "$pp")"
	ctl P list 192.0.2.9 --reason 1 --expires 1d >/dev/null || fail "list after dropping privileges"
	[ "$(stat -c %U "$T/P.data/log")" = nobody ] || fail "journal not owned by nobody"
fi
finish daemon
