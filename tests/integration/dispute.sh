#!/bin/sh
# dispute.sh BUILD - disputes across three agents in a line, L - P - I
# (SPEC 5.6, 8.6).  L lists a /24 of I's space; I (dispute permission,
# authority over 198.51.100.0/23) disputes it through P; L sees it
# (disputes --against-us, its log, status, metrics), upholds it for one
# address, and the rest lapses at the end of L's 4-second answer window at
# every agent; a delist answer takes a listing out at once.  Disputes from
# an origin without the permission or outside its authority are carried
# and filtered, and why says so; a dispute against a relay-only origin
# changes nothing; restart keeps everything; an agent that starts later
# gets the disputes with L's and I's snapshots.
. "$(dirname "$0")/lib.sh"

agent L; agent P; agent I
for n in L P I; do
	trust $n L P I
	"$B" -t "$T/$n.trust" trust set I permissions list,delist,exclude,dispute >/dev/null ||
		fail "dispute permission at $n"
	"$B" -t "$T/$n.trust" trust set I authority 198.51.100.0/23 >/dev/null ||
		fail "authority at $n"
	"$B" -t "$T/$n.trust" trust set L dispute-window 4s >/dev/null ||
		fail "dispute-window at $n"
done
"$B" -t "$T/L.trust" trust show L | grep -q 'dispute-window 4s' ||
	fail "dispute-window not shown: $("$B" -t "$T/L.trust" trust show L)"
# a short journal window: L, I and P compact and keep snapshots, which N
# will need (step 10)
EXTRA="metrics $T/L.prom
metrics-interval 200ms
journal-window 2s"
conf L P
EXTRA="journal-window 2s"
conf P L I
conf I P
start L; start P; start I
wait_for 10 connected P L || fail "P not connected to L"
wait_for 10 connected I P || fail "I not connected to P"

# 1. L lists a /24 and a /24 next to it; both reach I through P
ctl L list 198.51.100.0/24 --reason spam-source --expires 7d --ref "L-case 1" >/dev/null ||
	fail "list at L"
ctl L list 198.51.101.0/24 --reason snowshoe --expires 7d --ref "L-case 2" >/dev/null ||
	fail "list 2 at L"
ctl L list 203.0.113.0/24 --reason botnet --expires 7d >/dev/null || fail "list 3 at L"
wait_for 10 seq_is I L 3 || fail "I did not get L's listings (seq $(origin_seq I L))"
ctl I why 198.51.100.25 >/dev/null || fail "I: 198.51.100.25 not listed"

# 2. I files a dispute; usage errors first
ctl I dispute 198.51.100.0/24 --ref x >/dev/null 2>&1 && fail "dispute without --code"
ctl I dispute 198.51.100.0/24 --code nonsense --ref x >/dev/null 2>&1 &&
	fail "dispute with a bad code"
out=$(ctl I dispute 198.51.100.0/24 --code too-wide --ref https://isc.example/d/1 --origin L) ||
	fail "dispute at I: $out"
ID=$(echo "$out" | sed -n 's/^dispute \([0-9a-f]\{32\}\) filed: 198.51.100.0\/24 .*/\1/p')
[ -n "$ID" ] || fail "no dispute id in \"$out\""
FILED=$(date +%s)

# 3. L sees it: disputes --against-us, one log line, status, metrics
wait_for 10 sh -c "'$B' -s '$T/L.sock' disputes --against-us | grep -q '^$ID I disputes'" ||
	fail "L does not see the dispute: $(ctl L disputes)"
ctl L disputes --against-us --open | grep -q "^$ID I disputes 198.51.100.0/24 of L code too-wide (2) .*ref \"https://isc.example/d/1\": 1 listing(s) covered, 1 of ours open until" ||
	fail "disputes text: $(ctl L disputes --against-us)"
ctl L --json disputes --against-us | python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
assert d["id"] == sys.argv[1] and d["filer"] == "I" and d["code_name"] == "too-wide", d
assert d["counts"] and d["against_us"] == 1 and d["open_against_us"] == 1, d
assert d["target"] == "L" and d["lapses"], d' "$ID" || fail "disputes --json"
ctl I disputes --filed | grep -q "^$ID " || fail "I does not list its filed dispute"
ctl I disputes --against-us | grep -q '^no disputes$' || fail "I: a dispute against I?"
wait_for 5 grep -q "dispute $ID by I against 1 of our listings in 198.51.100.0/24: code too-wide (2)" \
	"$T/L.log" || fail "no log line at L: $(tail -3 "$T/L.log")"
ctl L status | grep -q '^disputes: 1 open against our listings$' || fail "status: $(ctl L status)"
ctl L --json status | grep -q '"disputes_open_against_us":1' || fail "status --json"
wait_for 5 grep -q '^blfedd_disputes_open_against_us 1$' "$T/L.prom" || fail "metric"

# 4. L upholds for one address, with evidence
ctl L answer "$ID" upheld --code narrowed --ref https://l.example/evidence/7 \
	--prefix 198.51.100.7/32 >"$T/ans.txt" || fail "answer at L: $(cat "$T/ans.txt")"
grep -q "^dispute $ID answered: upheld for 198.51.100.7/32 .*2 operations)" "$T/ans.txt" ||
	fail "answer output: $(cat "$T/ans.txt")"
ctl L answer 00000000000000000000000000000000 upheld --code evidence --ref x >/dev/null 2>&1
[ $? -eq 1 ] || fail "answer of an unknown dispute: exit not 1"

# 5. after the window, everywhere: the /32 stays, the rest lapsed
while [ "$(date +%s)" -lt $((FILED + 5)) ]; do sleep 0.2; done
for n in L P I; do
	wait_for 10 sh -c "! '$B' -s '$T/$n.sock' why 198.51.100.25" ||
		fail "$n: 198.51.100.25 still listed after the window"
	ctl "$n" why 198.51.100.7 >/dev/null || fail "$n: the upheld address is not listed"
done
ctl P why 198.51.100.25 >"$T/why.txt"
grep -q '^    L lists 198.51.100.0/24 reason spam-source (1) .*: lapsed under a dispute$' "$T/why.txt" ||
	fail "why lapsed: $(cat "$T/why.txt")"
grep -q "^      disputed .* ($ID): lapsed at .*, not upheld$" "$T/why.txt" ||
	fail "why trail: $(cat "$T/why.txt")"
grep -q "^    L upheld 198.51.100.7/32 at .* code narrowed (3) ref \"https://l.example/evidence/7\"$" \
	"$T/why.txt" || fail "why answer: $(cat "$T/why.txt")"
ctl P why 198.51.100.7 >"$T/why7.txt"
grep -q "^      disputed .* ($ID): upheld by L$" "$T/why7.txt" ||
	fail "why upheld: $(cat "$T/why7.txt")"
ctl P --json why 198.51.100.25 | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verdict"] == "not listed", d
it = [i for i in d["items"] if i["prefix"] == "198.51.100.0/24"][0]
assert it["status"] == "lapsed under a dispute" and it["dispute"]["state"] == "lapsed", it
ds = [x for x in d["disputes"] if x["id"] == sys.argv[1]][0]
assert ds["answers"][0]["answer"] == "upheld" and ds["answers"][0]["prefix"] == "198.51.100.7/32"
' "$ID" || fail "why --json: $(ctl P --json why 198.51.100.25)"
ctl L status | grep -q '^disputes: 0 open against our listings$' || fail "status after lapse"

# 6. a delist answer takes the listing out at once
out=$(ctl I dispute 198.51.101.0/24 --code host-cleaned --ref https://isc.example/d/2) ||
	fail "dispute 2: $out"
ID2=$(echo "$out" | sed -n 's/^dispute \([0-9a-f]\{32\}\) filed.*/\1/p')
wait_for 10 sh -c "'$B' -s '$T/L.sock' disputes | grep -q '^$ID2 '" || fail "L lacks dispute 2"
ctl L answer "$ID2" delist --code resolved --ref https://l.example/closed/2 >/dev/null ||
	fail "delist answer"
for n in P I; do
	wait_for 10 sh -c "! '$B' -s '$T/$n.sock' why 198.51.101.9" ||
		fail "$n: 198.51.101.9 still listed after the delist answer"
done

# 7. filtered: P has no dispute permission; I has no authority over 203.0.113.0/24
ctl P dispute 198.51.100.7/32 --code false-positive --ref p >/dev/null || fail "dispute at P"
ctl I dispute 203.0.113.0/24 --code reassigned --ref i >/dev/null || fail "dispute out of authority"
NOW=$(date +%s)
while [ "$(date +%s)" -lt $((NOW + 5)) ]; do sleep 0.2; done
wait_for 10 sh -c "'$B' -s '$T/L.sock' disputes | grep -q 'P disputes 198.51.100.7/32'" ||
	fail "P's dispute did not reach L"
for n in L P I; do
	ctl "$n" why 198.51.100.7 >/dev/null || fail "$n: a permissionless dispute took effect"
	ctl "$n" why 203.0.113.9 >/dev/null || fail "$n: an out-of-authority dispute took effect"
done
ctl L why 198.51.100.7 | grep -q 'P disputes 198.51.100.7/32 .*: no permission for this operation, not counted$' ||
	fail "why does not say the dispute is filtered: $(ctl L why 198.51.100.7)"
ctl L why 203.0.113.9 | grep -q "I disputes 203.0.113.0/24 .*: prefix outside the anchor's scope, not counted$" ||
	fail "why out of authority: $(ctl L why 203.0.113.9)"

# 8. against a relay-only origin: carried, changes nothing at P
"$B" -t "$T/P.trust" trust set L permissions relay-only >/dev/null || fail "relay-only"
ctl P reload >/dev/null || fail "reload P"
ctl P why 198.51.100.7 >/dev/null && fail "relay-only L still merged at P"
ctl P disputes | grep -q "^$ID I disputes" || fail "P forgot the dispute against relay-only L"
"$B" -t "$T/P.trust" trust set L permissions list,delist,exclude >/dev/null || fail "back"
ctl P reload >/dev/null || fail "reload P again"
ctl P why 198.51.100.7 >/dev/null || fail "P: L is back but 198.51.100.7 is not listed"

# 9. restart keeps disputes, answers and the lapse
ctl P why 198.51.100.25 >"$T/before.txt"
stop P
start P
wait_for 10 connected P L || fail "P did not reconnect"
ctl P why 198.51.100.25 >"$T/after.txt" && fail "P: the lapsed /24 is back after a restart"
cmp -s "$T/before.txt" "$T/after.txt" || fail "why changed over a restart: $(diff "$T/before.txt" "$T/after.txt")"

# 10. a later agent gets L's and I's state, disputes included, from snapshots
# (N is made only now: P dialing a port nobody listens on for long can
# connect to itself and take it)
agent N
trust N L P I
"$B" -t "$T/N.trust" trust set I permissions list,delist,exclude,dispute >/dev/null
"$B" -t "$T/N.trust" trust set I authority 198.51.100.0/23 >/dev/null
"$B" -t "$T/N.trust" trust set L dispute-window 4s >/dev/null
EXTRA=""
conf N P
EXTRA="journal-window 2s"
conf P L I N
ctl P reload >/dev/null || fail "reload P with N"
L_SEQ=$(origin_seq P L)
I_SEQ=$(origin_seq P I)
start N
wait_for 20 seq_is N L "$L_SEQ" || fail "N did not follow L (seq $(origin_seq N L))"
wait_for 20 seq_is N I "$I_SEQ" || fail "N did not follow I (seq $(origin_seq N I))"
# (a snapshot dates the dispute by its own time, SPEC 5.6: the window may
# still be running at N for a few seconds)
wait_for 10 sh -c "! '$B' -s '$T/N.sock' why 198.51.100.25" || fail "N: the lapsed /24 is listed"
ctl N why 198.51.100.7 >/dev/null || fail "N: the upheld /32 is not listed"
ctl N disputes | grep -q "^$ID I disputes 198.51.100.0/24" || fail "N lacks the dispute"

finish dispute
