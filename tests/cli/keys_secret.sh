#!/bin/sh
# keys_secret.sh TMPDIR - secret key files: created 0600, refused when group
# or others may access them, never overwritten, and no secret byte in any
# output, message, store or statement.
. "$(dirname "$0")/lib/common.sh"
log=all-output.txt
: >"$log"
# r CMD...: run, append stdout and stderr to the log, return the exit code
r() {
	"$B" "$@" >>"$log" 2>&1
}

umask 022
r -k a.key keygen -c "Org A" || fail "keygen"
[ "$(stat -c %a a.key)" = 600 ] || fail "a.key mode $(stat -c %a a.key) under umask 022"
umask 077
r -k b.key keygen || fail "keygen b"
umask 022

for mode in 640 604 644 620 602 660 610 601; do
	cp a.key g.key
	chmod "$mode" g.key
	"$B" -k g.key key show >out.txt 2>err.txt
	rc=$?
	cat out.txt err.txt >>"$log"
	[ "$rc" -eq 2 ] || fail "mode $mode: key show exit $rc"
	[ -s out.txt ] && fail "mode $mode: output despite refusal"
	grep -q "^blfed: key show: key file g.key is [a-z]* by group or others (mode 0$mode); chmod 600 it$" err.txt ||
		fail "mode $mode: message $(cat err.txt)"
	for cmd in "trust rotate -o g2.key" "trust revoke"; do
		# shellcheck disable=SC2086
		"$B" -k g.key $cmd >>"$log" 2>err.txt
		rc=$?
		cat err.txt >>"$log"
		[ "$rc" -eq 2 ] || fail "mode $mode: $cmd exit $rc"
		grep -q "chmod 600 it" err.txt || fail "mode $mode: $cmd: $(cat err.txt)"
	done
	[ -e g2.key ] && fail "mode $mode: rotate made a key"
	rm -f g.key g.key.revocation
done
grep -q "is readable by group or others (mode 0640)" "$log" || fail "0640 message"
grep -q "is accessible by group or others (mode 0620)" "$log" || fail "0620 message"

# a directory or a missing file is not a key
"$B" -k . key show >out.txt 2>err.txt
[ $? -eq 2 ] && grep -q "not a regular file" err.txt || fail "directory as key: $(cat err.txt)"

# exercise every command that touches the secret key, and collect all output
r -k a.key key show
r --json -k a.key key show
r -k a.key key show a.key
r -t s.trust trust add orga a.key --scope 192.0.2.0/24
r -t s.trust trust add orgb "$("$B" -k b.key key show)"
r -t s.trust trust list
r -t s.trust --json trust list
r -t s.trust trust show orga
r -t s.trust --json trust show orga
r -k a.key trust rotate -o a2.key
r --json -k a2.key trust rotate -o a3.key
r -t s.trust trust apply a2.key.rollover
r -k a.key trust revoke -r superseded
r -t s.trust trust apply a.key.revocation
r -k a2.key key show
r -k a.key -t s.trust trust show orga
r help
cat s.trust >>"$log"
[ "$(stat -c %a a2.key)" = 600 ] || fail "rotated key mode"

# The secrets: the base64 seed of each key file, and 12-character slices of
# it (a partial leak is a leak too).
for k in a.key a2.key a3.key b.key; do
	seed=$(awk '$1 == "blfed-ed25519-secret" { print $3 }' "$k")
	[ -n "$seed" ] || { fail "no seed in $k"; continue; }
	for off in 1 13 25 33; do
		piece=$(printf '%s' "$seed" | cut -c"$off-$((off + 11))")
		if grep -F -q -- "$piece" "$log" s.trust; then
			fail "secret of $k appears in the output ($piece)"
		fi
	done
	# raw seed bytes in the binary statements or the store
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$seed" s.trust *.rollover *.revocation <<'PY' || fail "raw seed of $k found"
import base64, sys
seed = base64.b64decode(sys.argv[1])
for f in sys.argv[2:]:
    data = open(f, "rb").read()
    for i in range(0, 32 - 8 + 1, 8):
        if seed[i:i + 8] in data:
            print("seed bytes in", f)
            sys.exit(1)
PY
	fi
done

# keygen never overwrites a key
cp a.key a.bak
"$B" -k a.key keygen >out.txt 2>err.txt
[ $? -eq 2 ] || fail "keygen over an existing key did not fail"
cmp -s a.key a.bak || fail "keygen changed an existing key"

finish keys_secret
