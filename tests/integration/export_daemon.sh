#!/bin/sh
# export_daemon.sh BUILD - blfedd writes the export by itself: a listing
# reaches the rbldnsd and plain files within export-interval and the
# MANIFEST verifies; a delisting removes it; a listing with a short expiry
# leaves the export on its own (the next-expiry timer, no input at all);
# `blfed export` writes at once and reports; status and metrics tell the
# last export; deltas are applied while an export runs; a bad export setting is refused by -n and by a reload, which
# keeps the running export.
. "$(dirname "$0")/lib.sh"

agent A
trust A A
X=$T/A.export
EXTRA="export-dir $X
export-formats rbldnsd,plain,jsonl
export-interval 1s
export-zone bl.test
export-ns ns1.bl.test ns2.bl.test
export-shard4 1
export-source agent-a
export-stale 2d
metrics $T/A.prom
metrics-interval 200ms" conf A
cp "$T/A.conf" "$T/A.conf.good"

"$D" -n -c "$T/A.conf" >"$T/out" 2>&1 || fail "-n on a good export config: $(cat "$T/out")"
grep -q "export to $X" "$T/out" || fail "-n does not name the export: $(cat "$T/out")"

# -n refuses bad export settings, naming FILE:LINE
bad() { # LINE REASON-PATTERN
	{ cat "$T/A.conf.good"; echo "$1"; } >"$T/bad.conf"
	n=$(wc -l <"$T/bad.conf")
	"$D" -n -c "$T/bad.conf" 2>"$T/err" && fail "-n accepted \`$1\`"
	grep -q "bad.conf:$n: \`$1\`: .*$2" "$T/err" || fail "error for \`$1\`: $(cat "$T/err")"
}
bad "export-formats rbldnsd,bind" "expects a comma-separated list"
bad "export-interval 10ms" "expects a duration"
bad "export-shard4 9" "expects a number of bits"
bad "export-zone bl.te\$t" "zone: not a DNS name"
bad "export-ns ns1.bl.test under_score!" "name server: not a DNS name"
bad "export-dir relative/dir" "expects an absolute directory"
bad "export-stale 5s" "expects a duration from 1m"
bad "export-source a/b" "source:"
bad "export-per-origin maybe" "expects yes or no"
# per-origin zones need the rbldnsd head files, in either order
{ cat "$T/A.conf.good"; echo "export-per-origin yes"; echo "export-formats plain"; } >"$T/bad.conf"
"$D" -n -c "$T/bad.conf" 2>"$T/err" && fail "-n accepted per-origin zones without rbldnsd"
grep -q "bad.conf:$(wc -l <"$T/bad.conf"): .*per-origin zones need the rbldnsd format" "$T/err" ||
	fail "error for per-origin without rbldnsd: $(cat "$T/err")"

start A
# the first check after start exports what the view holds (nothing yet)
wait_for 5 test -f "$X/current/MANIFEST" || fail "no export after start"
ctl A list 198.51.100.7 --reason spam-source --expires 7d --ref "ticket 1" >/dev/null ||
	fail "list"
ctl A list 2001:db8:7::/48 --reason botnet --expires 7d >/dev/null || fail "list IPv6"
in_export() { # FILE-GLOB PATTERN
	cat $X/current/$1 2>/dev/null | grep -q "$2"
}
wait_for 5 in_export 'plain-ip4.*' '^198\.51\.100\.7' || fail "listing not in plain-ip4 within 5 s"
wait_for 5 in_export 'rbldnsd-ip4.*' '^198\.51\.100\.7/32 :127' || fail "listing not in rbldnsd-ip4"
in_export 'rbldnsd-ip6.*' '^2001:db8:7::/48' || fail "IPv6 listing not in rbldnsd-ip6"
in_export 'jsonl-ip4.*' '"198.51.100.7/32"' || fail "listing not in jsonl-ip4"
in_export 'rbldnsd-ip4.*' '^\$NS .*ns2.bl.test' || fail "export-ns not in the zone"
grep -q "agent-a" "$X"/current/plain-ip4.s01 || fail "export-source not in the header"
[ ! -e "$X/current/postfix.cidr" ] || fail "postfix written though not selected"
"$B" key show "$T/A.key" >"$T/A.pubkey"
# (a check that overlaps an export fails and is repeated, as a consumer does)
verified() {
	ctl A verify-export "$X" --key "$T/A.pubkey" >"$T/out" 2>&1
}
wait_for 5 verified || fail "verify-export: $(cat "$T/out")"

# status and metrics tell the last export
ctl A --json status | python3 -c '
import json, sys
x = json.load(sys.stdin)["export"]
assert x["dir"] == sys.argv[1], x
assert x["last"]["serial"] > 0 and x["last"]["files"] > 0 and x["error"] is None, x
assert x["runs"] >= 2, x' "$X" || fail "status export: $(ctl A --json status)"
ctl A status | grep -q "^export: $X serial [0-9]* at " || fail "status text: $(ctl A status)"
wait_for 3 grep -q '^blfedd_export_last_duration_seconds [0-9.]*$' "$T/A.prom" ||
	fail "metrics: no export duration"
grep -q '^blfedd_export_runs_total [1-9]' "$T/A.prom" || fail "metrics: no export runs"

# an export in progress does not hold the daemon: with 60,000 listings
# more in 100.0.0.0/8 (shard s00), an export of that shard takes a few
# hundred steps; single listings into that shard, one after the other,
# start exports and are applied (published, in the log) while exports
# run, and status answers between them.
"$BUILD/tools/blf_probe" -c "ipc://$T/A.sock" -L 1000000000 -b 1000 -N 60000 -t 60 \
	>/dev/null || fail "load of 60,000 listings"
wait_for 10 in_export 'plain-ip4.s00' '^100\.0\.' || fail "the load is not exported"
# (only what the log says from here: the load's batches may have been
# published while the load's own export ran)
from=$(wc -l <"$T/A.log")
during() { # a listing published between "export started" and its end
	awk -v from="$from" 'NR <= from { next }
	     /export started/ { open = 1; seen = 0; next }
	     /export serial/ { if (open && seen) ok = 1; open = 0; next }
	     /published epoch/ { if (open) seen = 1 }
	     END { exit !ok }' "$T/A.log"
}
i=0
# at least one listing: the load itself may have been published during an
# export, and the last listing is looked for below
while [ $i -lt 250 ] && { [ $i -eq 0 ] || ! during; }; do
	i=$((i + 1))
	ctl A list "100.200.$((i / 200)).$((i % 200))" --reason spam-source --expires 7d \
		>/dev/null || fail "list $i while exporting"
	ctl A status >/dev/null || fail "status while exporting"
done
during || fail "no listing was applied while an export ran ($i listings)"
wait_for 10 in_export 'rbldnsd-ip4.s00' "^100\\.200\\.$((i / 200))\\.$((i % 200))/32 " ||
	fail "the last listing is not in the next export"
wait_for 5 verified || fail "verify-export after the exports in steps: $(cat "$T/out")"

# a delisting leaves the export
ctl A delist 198.51.100.7 >/dev/null || fail "delist"
wait_for 5 sh -c "! cat $X/current/plain-ip4.* | grep -q '^198\.51\.100\.7'" ||
	fail "delisting still in plain-ip4 after 5 s"
wait_for 5 verified || fail "verify-export after delist: $(cat "$T/out")"

# a short expiry leaves on its own: nothing is sent to the daemon after it
ctl A list 203.0.113.9 --reason spam-source --expires 3s >/dev/null || fail "list short"
wait_for 5 in_export 'plain-ip4.*' '^203\.0\.113\.9' || fail "short listing not exported"
wait_for 8 sh -c "! cat $X/current/plain-ip4.* | grep -q '^203\.0\.113\.9'" ||
	fail "expired listing still exported"
grep -q "export serial" "$T/A.log" || fail "no export line in the log"

# on demand: at once, with the serial and the files
ctl A export >"$T/out" || fail "blfed export: $?"
grep -q "^exported serial [0-9]* to $X: [0-9]* files, [0-9]* written, [0-9]* unchanged" \
	"$T/out" || fail "export reply: $(cat "$T/out")"
ctl A --json export | grep -q '"serial":[0-9]*,"dir":' || fail "export --json"

# a bad export setting on reload: refused, the running export goes on
s0=$(sed -n 's/^# serial \([0-9]*\).*/\1/p' "$X/current/MANIFEST")
{ cat "$T/A.conf.good"; echo "export-formats nonsense"; } >"$T/A.conf"
ctl A reload 2>"$T/err"; [ $? -eq 1 ] || fail "reload with a bad export setting: want 1"
grep -q "A.conf:[0-9]*: \`export-formats nonsense\`" "$T/err" || fail "reload error: $(cat "$T/err")"
kill -HUP "$PID_A"
refused_twice() { [ "$(grep -c 'reload refused.*export-formats nonsense' "$T/A.log")" -ge 2 ]; }
wait_for 5 refused_twice || fail "SIGHUP with a bad export setting not refused"
ctl A list 192.0.2.44 --reason spam-source --expires 7d >/dev/null || fail "list after reload"
wait_for 5 in_export 'plain-ip4.*' '^192\.0\.2\.44' || fail "old export settings not kept"
[ ! -e "$X/current/postfix.cidr" ] || fail "formats changed by a refused reload"
wait_for 5 verified || fail "verify-export after reload: $(cat "$T/out")"
s1=$(sed -n 's/^# serial \([0-9]*\).*/\1/p' "$X/current/MANIFEST")
[ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" -gt "$s0" ] || fail "serial did not advance: $s0 -> $s1"

# a good reload that adds a format and the per-origin zones: written at
# the next check
{ cat "$T/A.conf.good"; echo "export-formats all"; echo "export-per-origin yes"; } >"$T/A.conf"
ctl A reload >/dev/null || fail "good reload"
wait_for 5 test -f "$X/current/postfix.cidr" || fail "postfix not written after the reload"
wait_for 5 in_export 'origin.A.ip4' '^192\.0\.2\.44/32 :127\.0\.0\.2:\$ listed by A: spam-source' ||
	fail "listing not in origin.A.ip4: $(ls $X/current/)"
in_export 'origin.A.ip6' '^2001:db8:7::/48 :127' || fail "IPv6 listing not in origin.A.ip6"
grep -q '  origin\.A\.ip4$' "$X/current/MANIFEST" || fail "origin.A.ip4 not in the MANIFEST"

# an export that cannot be written: exit 2, the error in status and metrics
: >"$T/afile"
{ grep -v '^export-dir' "$T/A.conf.good"; echo "export-dir $T/afile/export"; } >"$T/A.conf"
ctl A reload >/dev/null || fail "reload to an unwritable export-dir"
ctl A export 2>"$T/err"; [ $? -eq 2 ] || fail "failing export: want 2"
grep -q "export failed, the previous one stays published: $T/afile/export: " "$T/err" ||
	fail "failing export message: $(cat "$T/err")"
ctl A --json status | python3 -c '
import json, sys
x = json.load(sys.stdin)["export"]
assert x["failures"] >= 1 and "afile" in x["error"], x' || fail "status does not show the export error"
ctl A status | grep -q "^last export error: " || fail "status text without the export error"
wait_for 3 grep -q '^blfedd_export_failures_total [1-9]' "$T/A.prom" || fail "metrics: no failure"

# no export configured: exit 1 with the reason
cat "$T/A.conf.good" | grep -v '^export-' >"$T/A.conf"
ctl A reload >/dev/null || fail "reload without export"
ctl A export 2>"$T/err"; [ $? -eq 1 ] || fail "export without export-dir: want 1"
grep -q "no export is configured" "$T/err" || fail "message: $(cat "$T/err")"

finish export_daemon
