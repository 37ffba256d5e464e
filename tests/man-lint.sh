#!/bin/sh
# man-lint.sh - every man page under contrib/man passes mandoc -T lint
# (style notes about the operating system name are not errors).
set -u
rc=0
n=0
for m in contrib/man/*.[1-8]; do
	[ -f "$m" ] || continue
	n=$((n + 1))
	out=$(mandoc -T lint -W warning "$m" 2>&1)
	if [ -n "$out" ]; then
		echo "$out" >&2
		rc=1
	fi
done
echo "man-lint: $n pages checked"
exit $rc
