#!/bin/sh
# fulldisk.sh BUILD - a full disk (issue 12 item 1).
#
# Agent A keeps its data directory and its export directory on a small
# tmpfs of its own.  With some listings exported, a filler file takes every
# free block, and then
#   - `blfed list` of a burst that needs new blocks fails loudly: a
#     non-zero exit, an error that says why, a line in A's log;
#   - `blfed export` fails loudly as well, and the previous export stays
#     complete and verifiable (`blfed verify-export`, `sha256sum -c
#     --strict MANIFEST`, MANIFEST byte for byte as it was);
#   - nothing is corrupted: the state is the state before the failed call,
#     also after a restart on the full disk, and no journal is cut;
# and once the filler is removed, listing and exporting work again without
# a restart, and a last restart keeps everything.
#
# Then with a peer: P (its data on the normal disk) publishes into F,
# whose data directory is on the tmpfs.  With the tmpfs full, the deltas
# F receives cannot be journaled: F keeps running and answering `blfed
# status`, logs the failure once (not once per delta, not "stopping"),
# holds nothing it could not store; once the filler is removed F catches
# up to P's view by itself, without a restart, and keeps it across one.
#
# The tmpfs is mounted in a mount namespace of this script: `unshare -rm`
# (a user namespace, no real root needed) or, as root, `unshare -m`.
# Where neither works the test says why and SKIPs (exit 0, as the other
# scripts do).  Only the user and mount namespaces change: the agent still
# reaches 127.0.0.1.
set -u
if [ -z "${FULLDISK_NS:-}" ]; then
	if unshare -rm true 2>/dev/null; then
		FULLDISK_NS=1 exec unshare -rm sh "$0" "$@"
	elif [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		FULLDISK_NS=1 exec unshare -m sh "$0" "$@"
	fi
	echo "fulldisk: SKIP: no mount namespace here (unshare -rm: $(unshare -rm true 2>&1 | head -1))"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

DISK=$T/disk
mkdir "$DISK"
# the daemons stop first (cleanup), then the tmpfs goes, then $T
trap 'cleanup 2>/dev/null; umount "$DISK" 2>/dev/null; [ "$fails" -eq 0 ] && rm -rf "$T"' EXIT
if ! mount -t tmpfs -o size=4m,mode=0700 blfed-fulldisk "$DISK" 2>"$T/mount.err"; then
	echo "fulldisk: SKIP: cannot mount a tmpfs in the namespace: $(head -1 "$T/mount.err")"
	finish fulldisk
fi
X=$DISK/export

agent A
trust A A
# exports only when asked (blfed export), so that each one is ours to check
EXTRA="export-dir $X
export-formats all
export-interval 1d"
conf A
sed -i "s|^datadir .*|datadir $DISK/A.data|" "$T/A.conf"
mkdir -m 700 "$DISK/A.data"

# burst FILE FIRST: 256 addresses 10.FIRST.x.y, a record of several pages
burst() {
	python3 -c '
import sys
f = int(sys.argv[1])
for i in range(256):
    print("10.%d.%d.%d" % (f, i // 64, i % 64))' "$2" >"$1"
}

# state: what must not change (counts, A's seq, verdicts; no journal cut
# at a damaged record -- a write torn by the full disk is cut, and said)
state() {
	ctl A --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["listings"], d["exclusions"], d["journals_damaged"])
for o in d["origins"]:
    print(o["name"], o["epoch"], o["seq"], o["frozen"])'
	for _a in 10.1.0.0 10.1.3.63 10.2.0.0 10.2.3.63 10.3.1.1; do
		ctl A why "$_a"
	done
}

export_ok() {
	"$B" verify-export "$X" --key "$T/A.pub" >/dev/null 2>"$T/verify.err" ||
		fail "$1: the export does not verify: $(head -2 "$T/verify.err")"
	(cd "$X" && sha256sum -c --strict --quiet MANIFEST) >"$T/sha.err" 2>&1 ||
		fail "$1: sha256sum -c --strict MANIFEST: $(head -3 "$T/sha.err")"
}

start A
burst "$T/b1" 1
ctl A list -f "$T/b1" --reason botnet --expires 1d >/dev/null || fail "list before the fill"
ctl A export >/dev/null || fail "export before the fill"
export_ok "before the fill"
cp "$X/MANIFEST" "$T/MANIFEST.before"
state >"$T/state.before"

# every free block taken
dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null
[ "$(df --output=avail "$DISK" | tail -1 | tr -d ' ')" -eq 0 ] ||
	fail "the filler left room: $(df "$DISK" | tail -1)"

# the journal: refused, said, logged
burst "$T/b2" 2
lines=$(wc -l <"$T/A.log")
ctl A list -f "$T/b2" --reason botnet --expires 1d >"$T/list.out" 2>"$T/list.err"
rc=$?
[ "$rc" -ne 0 ] || fail "list on a full disk exited 0: $(cat "$T/list.out")"
grep -q "No space left on device" "$T/list.err" ||
	fail "list on a full disk: the error does not say why: $(cat "$T/list.err")"
sleep 0.2
tail -n +"$((lines + 1))" "$T/A.log" | grep -q "No space left on device" ||
	fail "list on a full disk: no log line: $(tail -3 "$T/A.log")"
state >"$T/state.full"
cmp -s "$T/state.before" "$T/state.full" ||
	fail "a failed list changed the state: $(diff "$T/state.before" "$T/state.full" | head -6)"

# the export: refused, said, logged; the previous one stands
lines=$(wc -l <"$T/A.log")
ctl A export >"$T/export.out" 2>"$T/export.err"
rc=$?
[ "$rc" -ne 0 ] || fail "export on a full disk exited 0: $(cat "$T/export.out")"
grep -q "No space left on device" "$T/export.err" ||
	fail "export on a full disk: the error does not say why: $(cat "$T/export.err")"
sleep 0.2
tail -n +"$((lines + 1))" "$T/A.log" | grep -q "No space left on device" ||
	fail "export on a full disk: no log line: $(tail -3 "$T/A.log")"
export_ok "after the failed export"
cmp -s "$X/MANIFEST" "$T/MANIFEST.before" || fail "the failed export changed MANIFEST"
ls -A "$X" | grep -q '^\.' && fail "staged files left behind: $(ls -A "$X" | grep '^\.' | head -3)"

# a restart on the full disk: the same state, nothing cut
stop A
start A
state >"$T/state.restart"
cmp -s "$T/state.before" "$T/state.restart" ||
	fail "the restart on a full disk changed the state: $(diff "$T/state.before" "$T/state.restart" | head -6)"
export_ok "after the restart on a full disk"

# room again: both work without a restart
rm "$DISK/filler"
ctl A list -f "$T/b2" --reason botnet --expires 1d >/dev/null ||
	fail "list after the filler was removed"
ctl A why 10.2.3.63 >/dev/null || fail "the listing after the filler was removed is not there"
ctl A export >/dev/null || fail "export after the filler was removed"
export_ok "after the filler was removed"
grep -q '"10\.2\.3\.63' "$X"/jsonl-ip4.* || fail "the new listing is not in the export"
state >"$T/state.after"
stop A
start A
state >"$T/state.last"
cmp -s "$T/state.after" "$T/state.last" ||
	fail "the last restart changed the state: $(diff "$T/state.after" "$T/state.last" | head -6)"
head -1 "$T/state.last" | grep -q ' 0$' ||
	fail "a journal was cut at a damaged record: $(head -1 "$T/state.last")"
stop A

# ---- a peer's deltas on a full disk ----------------------------------------
agent P
agent F
trust P P
trust F P
EXTRA= conf P F
EXTRA= conf F P
sed -i "s|^datadir .*|datadir $DISK/F.data|" "$T/F.conf"
mkdir -m 700 "$DISK/F.data"
start P
start F
wait_for 10 connected F P || fail "F did not connect to P"
burst "$T/b3" 3
ctl P list -f "$T/b3" --reason botnet --expires 1d >/dev/null || fail "P: list 1"
wait_for 10 seq_is F P 1 || fail "F did not get P's first delta: $(origin_seq F P)"

dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null
[ "$(df --output=avail "$DISK" | tail -1 | tr -d ' ')" -eq 0 ] ||
	fail "the second filler left room: $(df "$DISK" | tail -1)"
burst "$T/b4" 4
burst "$T/b5" 5
ctl P list -f "$T/b4" --reason botnet --expires 1d >/dev/null || fail "P: list 2"
ctl P list -f "$T/b5" --reason botnet --expires 1d >/dev/null || fail "P: list 3"
# live deltas, then catch-up after heads (every 500 ms): several failures
wait_for 10 sh -c "[ \$(grep -c 'journal write failed' '$T/F.log') -ge 1 ]" ||
	fail "F: no log line for the failed journal write: $(tail -3 "$T/F.log")"
sleep 3
eval "pf=\$PID_F"
kill -0 "$pf" 2>/dev/null || fail "F stopped on a full disk: $(tail -3 "$T/F.log")"
ctl F status >/dev/null 2>&1 || fail "F does not answer status on a full disk"
grep -q "stopping" "$T/F.log" && fail "F: $(grep stopping "$T/F.log" | head -1)"
n=$(grep -c "journal write failed: No space left on device" "$T/F.log")
[ "$n" -eq 1 ] || fail "F logged the failed journal write $n times, want once"
nf=$(ctl F --json status | python3 -c '
import json, sys
print(json.load(sys.stdin)["journal_write_failures"])')
[ "$nf" -ge 2 ] 2>/dev/null || fail "F: journal_write_failures $nf, want the failures counted"
seq_is F P 1 || fail "F holds P at seq $(origin_seq F P) on a full disk, want 1"
ctl F why 10.4.0.0 | grep -q "not listed" || fail "F shows a listing it could not store"

# room again: F catches up by itself, the same process
rm "$DISK/filler"
wait_for 20 seq_is F P 3 || fail "F did not catch up after the filler was removed: $(origin_seq F P)"
eval "pf2=\$PID_F"
[ "$pf2" = "$pf" ] && kill -0 "$pf" 2>/dev/null || fail "F was restarted"
for _a in 10.3.0.0 10.4.3.63 10.5.1.1; do
	ctl F why "$_a" | grep -q "not listed" && fail "F: $_a is not listed after the catch-up"
done
# P's view: the counts, and the verdicts on addresses of each burst
views() {
	ctl "$1" --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["listings"], d["exclusions"])'
	for _a in 10.3.0.0 10.4.3.63 10.5.1.1 10.6.0.0; do
		ctl "$1" why "$_a" | grep -c "not listed"
	done
}
[ "$(views F)" = "$(views P)" ] || fail "F's view $(views F) is not P's $(views P)"
stop F
start F
seq_is F P 3 || fail "F after a restart: P at seq $(origin_seq F P), want 3"
[ "$(ctl F --json status | python3 -c '
import json, sys
print(json.load(sys.stdin)["journals_damaged"])')" = 0 ] || fail "F: a journal was damaged"
finish fulldisk
