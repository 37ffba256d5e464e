#!/bin/sh
# check.sh - run every test group of `make check`, go on after a failure so
# that one run shows every broken group, and end with one summary line.
set -u
MAKE=${MAKE:-make}
groups="check-unit check-asan check-cli check-vectors man-lint check-fuzz-smoke check-integration"
groups="$groups check-i18n"
pass=0
fail=0
failed=""
for g in $groups; do
	echo "== $g"
	if $MAKE --no-print-directory "$g"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $g"
	fi
done
[ -z "$failed" ] || echo "failed groups:$failed"
echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
