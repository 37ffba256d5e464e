#!/bin/sh
# trust_takeover.sh TMPDIR - a thief copies org A's secret key and rotates
# it to a key of its own; partner B applies the rollover (the default is
# rollover accept).  A's owner revokes the stolen key as compromised and B
# applies that too: the thief's key is revoked with it (SPEC 6.7) and the
# anchor stays suspended until B's administrator re-keys it with the key A
# sends out of band.
. "$(dirname "$0")/lib/common.sh"

run 0 "$B" -k a.key keygen -c "Org A"
cp out.txt a.pub
run 0 "$B" -t b.conf trust add orga a.pub --scope 192.0.2.0/24

# the thief's copy of the key rotates; B applies the statement
cp a.key stolen.key
run 0 "$B" -k stolen.key trust rotate -o thief.key -s thief.rollover
run 0 "$B" -t b.conf trust apply thief.rollover
thief=$("$B" key show thief.key | awk '{print $2}')
run 0 "$B" -t b.conf --json trust list
grep -q "\"keyid\":\"$thief\"" out.txt || fail "thief's key not current: $(cat out.txt)"

# the owner revokes the stolen key as compromised; B applies it
run 0 "$B" -k a.key trust revoke -r compromised -s a.revocation
run 0 "$B" -t b.conf trust apply a.revocation
run 0 "$B" -t b.conf --json trust list
grep -q '"state":"revoked"' out.txt || fail "anchor not suspended: $(cat out.txt)"
run 1 "$B" -t b.conf trust check orga list 192.0.2.1/32
grep -q "its current key is revoked" out.txt || fail "check: $(cat out.txt)"
run 0 "$B" -t b.conf trust show orga
grep -q "key id       $thief (REVOKED)" out.txt || fail "thief's key not revoked: $(cat out.txt)"
# applying it again changes nothing
run 0 "$B" -t b.conf trust apply a.revocation
grep -q "already applied" out.txt || fail "second apply: $(cat out.txt)"
# the thief cannot rotate on
run 0 "$B" -k thief.key trust rotate -o thief2.key -s thief2.rollover
run 1 "$B" -t b.conf trust apply thief2.rollover

# B's administrator re-keys with A's new key, received out of band
run 0 "$B" -k a2.key keygen -c "Org A"
cp out.txt a2.pub
run 0 "$B" -t b.conf trust set orga key "$(cat a2.pub)"
run 0 "$B" -t b.conf --json trust list
grep -q '"state":"active"' out.txt || fail "anchor not active after re-key: $(cat out.txt)"
grep -q "chain" b.conf && fail "re-key kept the rollover chain"
run 0 "$B" -t b.conf trust check orga list 192.0.2.1/32
# the thief's key can never come back
run 2 "$B" -t b.conf trust set orga key "$("$B" key show thief.key | head -n 1)"
grep -q "revoked" err.txt || fail "re-adding the thief's key: $(cat err.txt)"

finish trust_takeover
