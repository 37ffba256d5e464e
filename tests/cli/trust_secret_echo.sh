#!/bin/sh
# trust_secret_echo.sh TMPDIR - an argument that may hold a secret key is
# never echoed: `trust revoke -p`, `trust add` and `trust set key` given a
# secret key line, its seed, or the seed in a malformed line say what is
# wrong without quoting it.
. "$(dirname "$0")/lib/common.sh"

run 0 "$B" -k a.key keygen -c "Org A"
cp out.txt a.pub
run 0 "$B" -t t.conf trust add orga a.pub
line=$(grep '^blfed-ed25519-secret ' a.key)
seed=$(echo "$line" | awk '{print $3}')
id=$(echo "$line" | awk '{print $2}')
half=$(echo "$seed" | cut -c1-12)

check() {
	for f in out.txt err.txt; do
		if grep -qF "$half" "$f"; then
			fail "seed echoed by: $* :: $(cat $f)"
		fi
	done
}

for arg in "$line" "blfed-ed25519 $seed" "blfed-ed25519 $seed Org A" \
	"$seed-x" "$seed Org A" "ed25519:$seed" "blfed-ed25519 $id ${seed}AAAA"; do
	run 2 "$B" -k a.key trust revoke -p "$arg" -s r.revocation
	check trust revoke -p
	[ -s err.txt ] || fail "trust revoke -p: no message"
	run 2 "$B" -t t.conf trust add orgx "$arg"
	check trust add
	run 2 "$B" -t t.conf trust set orga key "$arg"
	check trust set key
	run 2 "$B" -t t.conf trust set orga old-key "$arg until 2030-01-01"
	check trust set old-key
done
# a secret key line is named as such
run 2 "$B" -k a.key trust revoke -p "$line"
grep -q "this is a secret key line" err.txt || fail "secret line: $(cat err.txt)"
# a file name is still shown
printf 'garbage\n' >bad.pub
run 2 "$B" -k a.key trust revoke -p bad.pub
grep -q "^blfed: trust revoke: -p bad.pub: " err.txt || fail "file: $(cat err.txt)"

finish trust_secret_echo
