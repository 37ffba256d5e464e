#!/bin/sh
# run.sh SECONDS BIN... - run each libFuzzer target for SECONDS, starting from
# its seed corpus in tests/corpus/<target-name-without-fuzz_>/ when present.
# FUZZ_MAX_LEN sets the largest input (default 64 KiB).  Crashes are
# written to build-fuzz/crash-<target>-*.  Generated inputs stay
# in build-fuzz/corpus-<target>/, never in the source tree.
set -u
secs=$1
shift
rc=0
for bin in "$@"; do
	name=$(basename "$bin")
	seeds=tests/corpus/${name#fuzz_}
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	set -- "$work"
	[ -d "$seeds" ] && set -- "$work" "$seeds"
	# -malloc_limit_mb: any single allocation over 64 MB is a failure; the
	# decoders' limits keep every legitimate one far below it.
	if ! "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=64 \
		-max_len="${FUZZ_MAX_LEN:-65536}" \
		-artifact_prefix="build-fuzz/crash-$name-" -print_final_stats=0 \
		"$@" >"build-fuzz/$name.log" 2>&1; then
		echo "fuzz: $name FAILED (see build-fuzz/$name.log)" >&2
		tail -30 "build-fuzz/$name.log" >&2
		rc=1
	else
		runs=$(grep -ao 'Done [0-9]* runs' "build-fuzz/$name.log" | tail -1)
		echo "fuzz: $name ok ($runs in ${secs}s)"
	fi
done
exit $rc
