#!/bin/sh
# run-cli.sh BUILD - run every tests/cli/*.sh script with BLFED pointing at
# the built CLI and a fresh temporary directory each; fail if any fails.
set -u
build=$1
BLFED=$(cd "$build" && pwd)/blfed
export BLFED
pass=0
fail=0
for t in tests/cli/*.sh; do
	[ -f "$t" ] || continue
	tmp=$(mktemp -d)
	if TMPDIR_TEST="$tmp" sh "$t" "$tmp"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: $t" >&2
	fi
	rm -rf "$tmp"
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
