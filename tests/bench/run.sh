#!/bin/sh
# run.sh DIR - run every benchmark binary in DIR; each prints its own table.
set -eu
dir=$1
for b in "$dir"/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
done
