#!/bin/sh
# trust_acceptance.sh TMPDIR - the acceptance scenario of the trust CLI, as a
# new user would run it: two organisations make keys, trust each other with
# scopes, A rotates its key, B applies the rollover, A revokes the old key,
# B applies the revocation; `blfed trust list` is checked at every step.
. "$(dirname "$0")/lib/common.sh"

# 1. keys
run 0 "$B" -k a.key keygen -c "Org A <abuse@a.example>"
cp out.txt a.pub
run 0 "$B" -k b.key keygen -c "Org B"
cp out.txt b.pub
grep -q '^blfed-ed25519 [0-9a-f]\{32\} [A-Za-z0-9+/]\{43\}= Org A <abuse@a.example>$' a.pub ||
	fail "public line format: $(cat a.pub)"
for f in a.key b.key; do
	m=$(stat -c %a "$f")
	[ "$m" = 600 ] || fail "$f has mode $m, want 600"
done
A1=$(cut -d' ' -f2 a.pub)
BK=$(cut -d' ' -f2 b.pub)
run 0 "$B" -k a.key key show
cmp -s out.txt a.pub || fail "key show differs from keygen output"
run 0 "$B" --json -k a.key key show
grep -q "\"keyid\":\"$A1\"" out.txt || fail "key show --json: $(cat out.txt)"

# 2. trust each other, with scopes
run 0 "$B" -t a.trust trust add orgb "$(cat b.pub)" --scope 198.51.100.0/24,2001:db8:b::/48 \
	--permissions list,delist --weight 50 --note "Org B, abuse desk"
run 0 "$B" -t b.trust trust add orga a.pub --scope 192.0.2.0/24 --authority 192.0.2.0/25 \
	--permissions list,delist,exclude --max-prefix 24/48 --expires 2099-01-01
run 0 "$B" -t b.trust trust list
grep -q "^orga  *$A1  *list,delist,exclude  *100  *1  *1 2099-01-01T00:00:00Z  *active$" out.txt ||
	fail "b list after add: $(cat out.txt)"
run 0 "$B" -t a.trust --json trust list
grep -q "\"name\":\"orgb\",\"keyid\":\"$BK\"" out.txt || fail "a list --json: $(cat out.txt)"
grep -q '"weight":50,"scope":2' out.txt || fail "a list --json weight/scope: $(cat out.txt)"

# policy checks
run 0 "$B" -t b.trust trust check orga list 192.0.2.7
grep -q '^allowed: orga may list 192.0.2.7/32$' out.txt || fail "check output: $(cat out.txt)"
run 1 "$B" -t b.trust trust check orga list 192.0.0.0/16
grep -q '^refused: orga may not list 192.0.0.0/16: prefix outside' out.txt ||
	fail "check out of scope: $(cat out.txt)"
run 1 "$B" -t a.trust trust check orgb list 198.51.100.0/23
run 1 "$B" -t a.trust trust check orgb list 2001:db8:a::/47
run 1 "$B" -t a.trust trust check orgb exclude 198.51.100.1
run 0 "$B" -t b.trust trust check orga exclude 192.0.2.0/26
run 1 "$B" -t b.trust trust check orga exclude 192.0.2.128/26
run 1 "$B" -t b.trust trust check orga list 192.0.2.0/24 --at 2099-01-01T00:00:00Z
grep -q 'trust anchor expired' out.txt || fail "expired check: $(cat out.txt)"
run 0 "$B" -t b.trust --json trust check orga list 192.0.2.0/24
grep -q '"allowed":true' out.txt || fail "check --json: $(cat out.txt)"

# 3. A rotates its key; B applies the rollover
run 0 "$B" -k a.key trust rotate -o a2.key --overlap 3d
[ -f a2.key.rollover ] || fail "no rollover statement"
[ "$(stat -c %a a2.key)" = 600 ] || fail "a2.key mode"
A2=$(tail -1 out.txt | cut -d' ' -f2)
[ "$A2" != "$A1" ] || fail "rotate kept the key id"
run 0 "$B" -k a2.key key show
grep -q "^# origin $A1" out.txt || fail "new key does not record the origin: $(cat out.txt)"
run 0 "$B" -t b.trust trust apply a2.key.rollover
grep -q "rollover applied: orga now uses key $A2" out.txt || fail "apply: $(cat out.txt)"
run 0 "$B" -t b.trust trust list
grep -q "^orga  *$A2 .* overlap$" out.txt || fail "b list after rollover: $(cat out.txt)"
run 0 "$B" -t b.trust trust show orga
grep -q "^  old key      $A1 .* (valid)$" out.txt || fail "show old key: $(cat out.txt)"
grep -q "^  origin       $A1$" out.txt || fail "show origin: $(cat out.txt)"
# applying again changes nothing
cp b.trust b.before
run 0 "$B" -t b.trust trust apply a2.key.rollover
grep -q "already applied" out.txt || fail "re-apply: $(cat out.txt)"
cmp -s b.trust b.before || fail "re-apply changed the store"
# A's own store is untouched by B's statement handling; A cannot apply its
# rollover (it does not trust itself)
run 1 "$B" -t a.trust trust apply a2.key.rollover

# 4. A revokes the old key; B applies the revocation
run 0 "$B" -k a2.key trust revoke -r superseded -s a1.revocation a.key
run 0 "$B" -t b.trust trust apply a1.revocation
grep -q "revocation applied: key $A1 of orga is revoked" out.txt || fail "revoke apply: $(cat out.txt)"
run 0 "$B" -t b.trust trust list
grep -q "^orga  *$A2 .* active$" out.txt || fail "b list after revocation: $(cat out.txt)"
run 0 "$B" -t b.trust --json trust list
grep -q '"old_keys":0,"revoked_keys":1,"state":"active"' out.txt || fail "json after revoke: $(cat out.txt)"
run 0 "$B" -t b.trust trust show orga
grep -q "^  revoked key  $A1 " out.txt || fail "show revoked: $(cat out.txt)"
# the revoked key is never accepted again, not even re-added by hand
cp b.trust b.before
run 2 "$B" -t b.trust trust add orga-old a.pub
grep -q "revoked" err.txt || fail "re-add revoked: $(cat err.txt)"
run 2 "$B" -t b.trust trust set orga key "$(cat a.pub)"
cmp -s b.trust b.before || fail "refused edits changed the store"
# the old rollover cannot be replayed
run 1 "$B" -t b.trust trust apply a2.key.rollover

# 5. A's current key is compromised: revoke it; B's anchor is unusable
#    until the administrator sets a new key
run 0 "$B" -k a2.key trust revoke -r compromised
run 0 "$B" -t b.trust trust apply a2.key.revocation
run 0 "$B" -t b.trust trust list
grep -q "^orga  *$A2 .* revoked$" out.txt || fail "list after current revoked: $(cat out.txt)"
run 1 "$B" -t b.trust trust check orga list 192.0.2.0/24
grep -q "current key is revoked" out.txt || fail "check revoked: $(cat out.txt)"
run 0 "$B" -k a3.key keygen -c "Org A, new"
cp out.txt a3.pub
A3=$(cut -d' ' -f2 a3.pub)
run 0 "$B" -t b.trust trust set orga key "$(cat a3.pub)"
run 0 "$B" -t b.trust trust list
grep -q "^orga  *$A3 .* active$" out.txt || fail "list after new key: $(cat out.txt)"
run 0 "$B" -t b.trust trust show orga
grep -q "^  origin       $A1$" out.txt || fail "origin lost on set key: $(cat out.txt)"
[ "$(grep -c '^  revoked key' out.txt)" -eq 2 ] || fail "revoked keys: $(cat out.txt)"

# 6. remove, and the store file is well-formed and 0644
run 0 "$B" -t a.trust trust remove orgb
run 0 "$B" -t a.trust trust list
[ "$(wc -l <out.txt)" -eq 1 ] || fail "list after remove: $(cat out.txt)"
[ "$(stat -c %a b.trust)" = 644 ] || fail "store mode"
ls | grep -q '\.tmp\.' && fail "temporary file left behind: $(ls)"

finish trust_acceptance
