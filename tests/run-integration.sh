#!/bin/sh
# run-integration.sh BUILD SCRIPT... - run each integration script with the
# built programs; every script starts its own daemons on 127.0.0.1 and
# stops them, whatever happens.
set -u
build=$1
shift
pass=0
fail=0
for t in "$@"; do
	case $t in */lib.sh) continue ;; esac
	if sh "$t" "$build"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: $t" >&2
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
