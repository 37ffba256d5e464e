#!/bin/sh
# privilege.sh BUILD - least privilege (issue 12 item 5).
#
# blfedd refuses to start with a secret key that others can read or that
# belongs to another user, with a trust store or config file that others
# can write or that belongs to another user (but root), and with a data
# directory others can write; a symbolic link planted in its data
# directory (the checkpoint, a journal, the log directory) is never
# followed; its control socket does not answer
# another user; started as root with `user nobody` it accepts files owned
# by root or nobody, refuses before binding what nobody could not use
# after the drop (a trust store it could not rewrite), keeps no root id,
# no supplementary group and no capability, and writes a rollover it
# applies to the store.  The parts that need a second
# user run only as root (SKIP otherwise, said plainly).
. "$(dirname "$0")/lib.sh"

# refused NAME PATTERN WHAT: blfedd must exit 1 at start with PATTERN
# logged, and leave no daemon behind
refused() {
	timeout 10 "$D" -d -c "$T/$1.conf" 2>"$T/refused.err"
	_rc=$?
	[ "$_rc" -eq 1 ] || fail "$3: blfedd exited $_rc, want 1 ($(tail -2 "$T/refused.err"))"
	grep -q "$2" "$T/refused.err" || fail "$3: message: $(tail -2 "$T/refused.err")"
}

agent A
trust A A
conf A
start A
ctl A list 192.0.2.1 --reason 1 --expires 1d >/dev/null || fail "list at A"
stop A

# 1. a secret key readable by others
chmod 644 "$T/A.key"
refused A 'readable by group or others' "world-readable key"
chmod 600 "$T/A.key"

# 2. a data directory writable by others
chmod 777 "$T/A.data"
refused A 'A.data: .*Permission denied' "world-writable data directory"
chmod 700 "$T/A.data"

# 2b. a trust store and a config file that others may write: whoever can
#     write them decides whom the agent trusts.  blfedd -n and a start both
#     refuse, naming the file and the fix; the CLI refuses the store too.
checkrefused() {
	"$D" -n -c "$T/$1.conf" >/dev/null 2>"$T/refused.err"
	_rc=$?
	[ "$_rc" -eq 1 ] || fail "$3: blfedd -n exited $_rc, want 1 ($(tail -2 "$T/refused.err"))"
	grep -q "$2" "$T/refused.err" || fail "$3: blfedd -n message: $(tail -2 "$T/refused.err")"
}
chmod 666 "$T/A.trust"
msg="trust store $T/A.trust is writable by group or others (mode 0666); chmod go-w $T/A.trust"
checkrefused A "$msg" "world-writable trust store"
refused A "$msg" "world-writable trust store"
"$B" -t "$T/A.trust" trust list >/dev/null 2>"$T/refused.err"
rc=$?
[ "$rc" -eq 2 ] || fail "trust list on a world-writable store exited $rc, want 2"
grep -q "$msg" "$T/refused.err" || fail "trust list message: $(cat "$T/refused.err")"
chmod 644 "$T/A.trust"
chmod 666 "$T/A.conf"
msg="config file $T/A.conf is writable by group or others (mode 0666); chmod go-w $T/A.conf"
checkrefused A "$msg" "world-writable config"
refused A "$msg" "world-writable config"
chmod 664 "$T/A.conf"
checkrefused A "(mode 0664); chmod go-w" "group-writable config"
chmod 644 "$T/A.conf"
"$D" -n -c "$T/A.conf" >/dev/null 2>&1 || fail "blfedd -n after chmod go-w"

# 3. symbolic links planted in the data directory are never followed: the
#    checkpoint and a journal pointing at a file outside, and the log
#    directory replaced by a link to another directory.  blfedd refuses to
#    start on each (the administrator must look), and the target is left
#    as it was.
echo precious >"$T/victim"
cp "$T/victim" "$T/victim.orig"
AHEX=$(cut -d' ' -f2 "$T/A.pub")
mv "$T/A.data/checkpoint" "$T/checkpoint.real"
ln -s "$T/victim" "$T/A.data/checkpoint"
refused A 'symbolic links' "checkpoint replaced by a link"
cmp -s "$T/victim" "$T/victim.orig" || fail "the planted checkpoint link was written through"
rm "$T/A.data/checkpoint"
mv "$T/checkpoint.real" "$T/A.data/checkpoint"

J=$(ls "$T/A.data/log/$AHEX".*.jnl | tail -1)
mv "$J" "$T/journal.real"
ln -s "$T/victim" "$J"
refused A 'symbolic links' "journal replaced by a link"
cmp -s "$T/victim" "$T/victim.orig" || fail "the planted journal link was written through"
rm "$J"
mv "$T/journal.real" "$J"

mkdir -p "$T/elsewhere"
mv "$T/A.data/log" "$T/A.data/log.real"
ln -s "$T/elsewhere" "$T/A.data/log"
refused A 'symbolic links' "log directory replaced by a link"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "files written through the planted log link"
rm "$T/A.data/log"
mv "$T/A.data/log.real" "$T/A.data/log"
start A
ctl A why 192.0.2.1 >/dev/null || fail "state lost after the link tests"
stop A

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "privilege: SKIP the parts that need root and the user nobody"
	finish privilege
fi

# 4. a secret key that belongs to another user
chown nobody "$T/A.key"
refused A 'belongs to uid' "key owned by another user"
chown root "$T/A.key"
chown nobody "$T/A.data"
refused A 'A.data: .*Operation not permitted' "data directory owned by another user"
chown root "$T/A.data"
chown nobody "$T/A.trust"
refused A "trust store $T/A.trust belongs to uid $(id -u nobody), not to us (uid 0) or root" \
	"trust store owned by another user"
chown root "$T/A.trust"
chown nobody "$T/A.conf"
checkrefused A "config file $T/A.conf belongs to uid" "config owned by another user"
chown root "$T/A.conf"

# 5. the control socket does not answer another user, even with every
#    directory above it open
chmod 755 "$T"
start A
setpriv --reuid nobody --regid nogroup --clear-groups "$B" -s "$T/A.sock" status \
	>/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "nobody reached the control socket (exit $rc)"
stop A

# 6. started as root with `user nobody`, the files serve that user too:
#    blfedd accepts them owned by root or nobody, and refuses at start,
#    before it binds anything (and with -n), what nobody could not use
#    after the drop: a trust store it could not rewrite, a key it could
#    not read again, a data directory it would not own.  Then it keeps no
#    root id, group or capability, and a rollover it applies after the
#    drop is written to the store.
agent P
trust P P
"$B" -k "$T/P.key" trust rotate -o "$T/P2.key" >/dev/null || fail "rotate at P"
P2=$("$B" -k "$T/P2.key" key show | grep -v '^#' | cut -d' ' -f2)
mkdir -m 755 "$T/P.etc"
mv "$T/P.trust" "$T/P.etc/P.trust"
EXTRA="user nobody" conf P
sed -i "s|^trust .*|trust $T/P.etc/P.trust|" "$T/P.conf"
chown nobody "$T/P.key"
chown -R nobody "$T/P.data"
# the store and its directory are root's, 0644 and 0755: nobody could
# not save a key statement there
msg="trust store $T/P.etc/P.trust: user nobody cannot rewrite it after the privilege drop"
fix="directory $T/P.etc is not writable by it; chown nobody $T/P.etc $T/P.etc/P.trust"
checkrefused P "$msg" "root-owned trust store, user nobody"
checkrefused P "$fix" "root-owned trust store, user nobody (the fix)"
refused P "$msg" "root-owned trust store, user nobody"
[ -e "$T/P.sock" ] && fail "the refused start bound its control socket"
chown nobody "$T/P.etc" "$T/P.etc/P.trust"
# a key nobody could not read again on SIGHUP
chown root "$T/P.key"
refused P "key file $T/P.key belongs to uid 0, not to us (uid $(id -u nobody))" \
	"root-owned key, user nobody"
chown nobody "$T/P.key"
# a data directory nobody would not own
chown root "$T/P.data"
refused P "data directory $T/P.data belongs to uid 0, not to user nobody .*; chown nobody $T/P.data" \
	"root-owned data directory, user nobody"
chown nobody "$T/P.data"
"$D" -n -c "$T/P.conf" >/dev/null 2>"$T/refused.err" ||
	fail "blfedd -n with nobody's files: $(tail -2 "$T/refused.err")"
start P
eval "pp=\$PID_P"
nuid=$(id -u nobody)
ngid=$(id -g nobody)
grep -q "^Uid:	$nuid	$nuid	$nuid	$nuid$" "/proc/$pp/status" ||
	fail "uids after the drop: $(grep Uid: "/proc/$pp/status")"
grep -q "^Gid:	$ngid	$ngid	$ngid	$ngid$" "/proc/$pp/status" ||
	fail "gids after the drop: $(grep Gid: "/proc/$pp/status")"
grep -q "^Groups:	*$" "/proc/$pp/status" ||
	grep -q "^Groups:	$ngid *$" "/proc/$pp/status" ||
	fail "supplementary groups kept: $(grep Groups: "/proc/$pp/status")"
grep -q "^CapEff:	0000000000000000$" "/proc/$pp/status" ||
	fail "capabilities kept: $(grep CapEff: "/proc/$pp/status")"
grep -q "^CapPrm:	0000000000000000$" "/proc/$pp/status" ||
	fail "permitted capabilities kept: $(grep CapPrm: "/proc/$pp/status")"
ctl P list 192.0.2.9 --reason 1 --expires 1d >/dev/null || fail "list after the drop"
# a rollover applied after the drop is written to the store, by nobody
ctl P announce "$T/P2.key.rollover" >/dev/null ||
	fail "announce at P: $(tail -2 "$T/P.log")"
setpriv --reuid nobody --regid nogroup --clear-groups "$B" -t "$T/P.etc/P.trust" trust list \
	>"$T/P.list" 2>&1
grep -q "^P  *$P2 " "$T/P.list" || fail "the rollover is not in P's store: $(cat "$T/P.list")"
[ "$(stat -c %U "$T/P.etc/P.trust")" = nobody ] ||
	fail "P's store after the rollover: $(ls -l "$T/P.etc/P.trust")"
# and a reload after the drop reads the same files
ctl P reload >/dev/null || fail "reload after the drop: $(tail -2 "$T/P.log")"
finish privilege
