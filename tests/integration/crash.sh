#!/bin/sh
# crash.sh BUILD - crash safety of the data directory (issue 12 item 1).
#
# A publishes bursts of listings and delistings without pause; B follows A.
# CRASH_ROUNDS times (default 10) B is killed with SIGKILL at a random
# moment of that ingest, and then
#   (a) B restarted alone on its data directory holds at least the seq of A
#       it reported applied just before the kill;
#   (b) its view (status counts, origins, and the verdict on a sample of
#       addresses) equals the view of a fresh agent R started on a copy of
#       the same directory with the checkpoint deleted: the cache of the
#       state says what the journals say;
#   (c) B's export directory (B exports every 100 ms during the ingest)
#       as the kill left it holds no half-written file, and after the
#       restart and one `blfed export` it holds a complete set that
#       `blfed verify-export` and `sha256sum -c --strict MANIFEST` accept.
#       A kill between renaming the new files into place and replacing
#       MANIFEST leaves whole files of the next export beside the previous
#       MANIFEST until then: counted and printed, a failure with
#       CRASH_EXPORT_STRICT=1 (TESTING.md);
#   and B, restarted with its peer, continues A's hash chain: it converges
#   to A's seq with no rejection and A not frozen (a head that differed
#   from A's would be a fork).
# Then a record in the middle of B's journal of A is damaged while B is
# stopped: B does not trust what follows it (its seq of A falls back to
# the record before the damage), logs the cut once (origin, offset, bytes
# dropped), counts it in status --json, and repairs the rest from A.
# B first starts under umask 077 (systemd's UMask=0077): the export
# directory it creates is still 0755 and every file in it 0644, so that an
# rsync daemon running as another user can read them.
. "$(dirname "$0")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-10}

agent A; agent B; agent R
trust A A
trust B A B
cp "$T/B.trust" "$T/R.trust"
conf A B
X=$T/B.export
EXTRA="export-dir $X
export-formats all
export-interval 100ms
export-shard4 2"
conf B A
cp "$T/B.conf" "$T/B.online"
conf B
cp "$T/B.conf" "$T/B.alone"
EXTRA="export-dir $T/R.export
export-formats plain
export-interval 100ms"
conf R
start A

# the publisher: 64-line bursts, every fourth one withdrawing a burst
# published before, until $T/stop-pub exists
publisher() {
	_b=0
	while [ ! -e "$T/stop-pub" ]; do
		_o=$((_b % 200))
		if [ $((_b % 4)) -eq 3 ]; then
			_o=$(((_b - 2) % 200))
			_cmd=delist
		else
			_cmd=list
		fi
		_i=0
		while [ $_i -lt 64 ]; do
			echo "10.$((_o / 100)).$((_o % 100)).$_i"
			_i=$((_i + 1))
		done >"$T/burst"
		if [ $_cmd = list ]; then
			ctl A list -f "$T/burst" --reason botnet --expires 1d >/dev/null 2>&1
		else
			ctl A delist -f "$T/burst" >/dev/null 2>&1
		fi
		_b=$((_b + 1))
	done
}

# view NAME: what B and R must agree on
view() {
	ctl "$1" --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["listings"], d["exclusions"], d["view"])
for o in sorted(d["origins"], key=lambda o: o["name"]):
    print(o["name"], o["origin"], o["epoch"], o["seq"], o["frozen"])'
	for _a in 10.0.0.1 10.0.1.63 10.0.50.7 10.0.99.0 10.1.0.5 10.1.42.33 10.1.99.63 \
		10.0.3.9 10.0.7.0 10.1.10.10 192.0.2.1; do
		ctl "$1" --json why "$_a"
	done
}

# same_as_a NAME: NAME holds A's listings of A (count, and A's origin line)
same_as_a() {
	for _n in A "$1"; do
		ctl "$_n" --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
a = next(o for o in d["origins"] if o["name"] == "A")
print(d["listings"], a["origin"], a["epoch"], a["seq"], a["frozen"])'
	done >"$T/same"
	[ "$(sed -n 1p "$T/same")" = "$(sed -n 2p "$T/same")" ] || {
		echo "$(cat "$T/same")" >&2
		return 1
	}
}

rand() {
	od -An -N2 -tu2 /dev/urandom | tr -d ' '
}

# export_ok WHEN: B's export directory verifies as it is
export_ok() {
	"$B" verify-export "$X" --key "$T/B.pub" >/dev/null 2>"$T/verify.err" ||
		fail "$1: the export does not verify: $(head -2 "$T/verify.err")"
	(cd "$X" && sha256sum -c --strict --quiet MANIFEST) >"$T/sha.err" 2>&1 ||
		fail "$1: sha256sum -c --strict MANIFEST: $(head -3 "$T/sha.err")"
}

# export_after_kill WHEN: the export directory as a kill -9 left it.  A
# kill between renaming the new files into place and replacing MANIFEST
# (or between MANIFEST and MANIFEST.sig) leaves whole files of the next
# export beside the previous MANIFEST until the restarted agent exports:
# counted in $WINDOW, and a failure with CRASH_EXPORT_STRICT=1.  Anything
# else fails: a missing or malformed MANIFEST, a listed file missing, or a
# file that differs and does not end in a whole line (half-written).
WINDOW=0
export_after_kill() {
	if "$B" verify-export "$X" --key "$T/B.pub" >/dev/null 2>"$T/verify.err" &&
		(cd "$X" && sha256sum -c --strict --quiet MANIFEST) >"$T/sha.err" 2>&1; then
		return 0
	fi
	if [ "${CRASH_EXPORT_STRICT:-0}" = 1 ] ||
		! grep -q "size differs\|SHA-256 differs\|signature does not verify" "$T/verify.err"; then
		fail "$1: the export does not verify: $(head -2 "$T/verify.err")"
		return 1
	fi
	(cd "$X" && sha256sum -c --strict MANIFEST 2>&1) | sed -n 's/: FAILED$//p' >"$T/differ"
	while read -r _f; do
		[ -s "$X/$_f" ] && [ "$(tail -c 1 "$X/$_f" | od -An -c | tr -d ' ')" = '\n' ] ||
			fail "$1: $_f is half-written ($(stat -c %s "$X/$_f") bytes)"
	done <"$T/differ"
	WINDOW=$((WINDOW + 1))
}

cp "$T/B.online" "$T/B.conf"
umask 077
start B
umask 022
wait_for 10 test -f "$X/MANIFEST.sig" || fail "B wrote no export"
[ "$(stat -c %a "$X")" = 755 ] || fail "umask 077: export directory mode $(stat -c %a "$X")"
for f in "$X"/*; do
	[ "$(stat -c %a "$f")" = 644 ] || fail "umask 077: $f has mode $(stat -c %a "$f")"
done
wait_for 10 connected B A || fail "B not connected to A"
publisher &
PUBPID=$!

r=1
while [ $r -le "$ROUNDS" ]; do
	# a random moment: 0.2 to 1.5 s into the ingest
	sleep "$(awk -v x="$(rand)" 'BEGIN { printf "%.2f", 0.2 + (x % 130) / 100 }')"
	acked=$(origin_seq B A)
	eval "kill -KILL \$PID_B"
	eval "wait \$PID_B" 2>/dev/null
	rm -f "$T/B.sock" "$T/B.pid"
	export_after_kill "round $r"

	rm -rf "$T/R.data"
	cp -a "$T/B.data" "$T/R.data"
	rm -f "$T/R.data/checkpoint"
	cp "$T/B.alone" "$T/B.conf"
	start B
	start R
	# the restarted agent's export is whole again
	ctl B export >/dev/null || fail "round $r: blfed export after the restart"
	export_ok "round $r, exported after the restart"
	ctl R export >/dev/null || fail "round $r: blfed export at R"
	got=$(origin_seq B A)
	[ "$got" -ge "$acked" ] 2>/dev/null ||
		fail "round $r: B acknowledged seq $acked of A, holds $got after kill -9"
	view B >"$T/view.B"
	view R >"$T/view.R"
	cmp -s "$T/view.B" "$T/view.R" ||
		fail "round $r: B's view differs from the journals': $(diff "$T/view.B" "$T/view.R" | head -6)"
	stop R
	stop B
	cp "$T/B.online" "$T/B.conf"
	start B
	r=$((r + 1))
done

touch "$T/stop-pub"
wait $PUBPID
echo "crash: $WINDOW of $ROUNDS kills left the export between its renames and its MANIFEST"
final=$(origin_seq A A)
wait_for 30 seq_is B A "$final" || fail "B did not converge to A's seq $final: $(origin_seq B A)"
ctl B --json status | python3 -c '
import json, sys
d = json.load(sys.stdin)
a = next(o for o in d["origins"] if o["name"] == "A")
sys.exit(1 if a["frozen"] or a["rejected"] or d["peers"][0]["rejected"] else 0)' ||
	fail "B saw a broken chain of A: $(ctl B --json status)"
ctl B --json status | grep -q '"rejected_by":{}' || fail "B rejected something of A"
same_as_a B || fail "A and B differ"

# a damaged record in the middle of B's journal of A
stop B
AHEX=$(cut -d' ' -f2 "$T/A.pub")
J=$(ls "$T/B.data/log/$AHEX".*.jnl | tail -1)
rm -f "$T/B.data/checkpoint"
# the record holding the middle of the file: one listed address in it
# changed (10.x.y.z -> 10.x.y.z^64), still well-formed msgpack, so only the
# record checksum and the signature can tell
forged=$(python3 - "$J" <<'PY'

import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
off = 0
while off < len(b):
    n = int.from_bytes(b[off:off + 4], "little")
    if off + 4 + n + 8 > len(b) // 2:
        break
    off += 4 + n + 8
i = b.find(b"\xc4\x05\x0a", off + 4, off + 4 + n)
if i < 0:
    sys.exit(1)
b[i + 5] ^= 0x40
open(p, "wb").write(b)
print("%d.%d.%d.%d %d %d" % (tuple(b[i + 2:i + 6]) + (off, len(b) - off)))
PY
) || fail "could not damage $J"
set -- $forged
forged=$1
cp "$T/B.alone" "$T/B.conf"
start B
# said once in the log, with the place and the loss, and counted
n=$(grep -c "journal of origin A cut at offset $2: damaged record, $3 bytes dropped; the rest is fetched from peers" "$T/B.log")
[ "$n" = 1 ] || fail "damaged journal: $n log lines for the cut at $2 ($3 bytes): $(grep 'cut at' "$T/B.log" | tail -3)"
ctl B --json status | grep -q '"journals_cut":1,"journals_damaged":1,' ||
	fail "damaged journal: not counted in status: $(ctl B --json status | head -c 300)"
ctl B why "$forged" >/dev/null && fail "damaged journal: the altered listing $forged was trusted"
cut_at=$(origin_seq B A)
[ "$cut_at" -lt "$final" ] 2>/dev/null ||
	fail "damaged journal: B still claims seq $cut_at of $final (records after the damage trusted)"
[ "$cut_at" -gt 0 ] 2>/dev/null || fail "damaged journal: nothing before the damage kept ($cut_at)"
stop B
cp "$T/B.online" "$T/B.conf"
start B
wait_for 30 seq_is B A "$final" ||
	fail "B did not repair the damaged journal from A: seq $(origin_seq B A) of $final"
ctl B why "$forged" >/dev/null && fail "after repair the altered listing $forged is listed"
same_as_a B || fail "after repair A and B differ"
finish crash
