#!/bin/sh
# trust_revoke_lost_key.sh TMPDIR - an organisation rotates its key, loses
# the old secret key, and revokes the old key with its current key
# (`trust revoke -p`, SPEC 6.7); the partner applies it; a third
# organisation's key cannot revoke someone else's key.
. "$(dirname "$0")/lib/common.sh"

run 0 "$B" -k a.key keygen -c "Org A"
cp out.txt a.pub
run 0 "$B" -k c.key keygen -c "Org C"
cp out.txt c.pub
run 0 "$B" -t b.conf trust add orga a.pub --scope 192.0.2.0/24
run 0 "$B" -t b.conf trust add orgc c.pub --scope 198.51.100.0/24
run 0 "$B" -k a.key trust rotate -o a2.key
run 0 "$B" -t b.conf trust apply a2.key.rollover
rm -f a.key # the old secret key is lost

# Org C, trusted by B, still cannot revoke A's old key
run 0 "$B" -k c.key trust revoke -p a.pub -s forged.revocation
cp b.conf before.conf
run 1 "$B" -t b.conf trust apply forged.revocation
[ "$(wc -l <err.txt)" -eq 1 ] && grep -q "^blfed: trust apply: .*revocation" err.txt ||
	fail "refused revocation message: $(cat err.txt)"
cmp -s b.conf before.conf || fail "a refused revocation changed the store"

# A's current key revokes the old one
run 0 "$B" -k a2.key trust revoke -r compromised -p a.pub
oldid=$(awk '{print $2}' a.pub)
[ -f "$oldid.revocation" ] || fail "default statement file $oldid.revocation missing"
grep -q "revocation statement for key $oldid (compromised)" out.txt ||
	fail "revoke output: $(cat out.txt)"
run 0 "$B" -t b.conf trust apply "$oldid.revocation"
run 0 "$B" -t b.conf trust show orga
grep -q "revoked key  $oldid" out.txt || fail "old key not shown revoked: $(cat out.txt)"
run 0 "$B" -t b.conf --json trust list
grep -q '"state":"active"' out.txt || fail "anchor not active after revoking the old key"
# a bad public key is a usage error
run 2 "$B" -k a2.key trust revoke -p "not a key"

finish trust_revoke_lost_key
