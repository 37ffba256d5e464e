#!/bin/sh
# run-unit.sh DIR - run every unit test binary in DIR from the top directory;
# print one summary line and fail if any test failed.
set -u
dir=$1
pass=0
fail=0
failed=""
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $(basename "$t")"
	fi
done
echo "unit ($dir): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed" >&2; exit 1; }
[ "$pass" -gt 0 ] || { echo "no unit tests found in $dir" >&2; exit 1; }
