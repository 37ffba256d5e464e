# common.sh - sourced by the tests/cli/*.sh scripts (not run on its own):
# enter the test directory $1, point B at the CLI, and count failures.
#
#   fail MESSAGE          record a failure
#   run EXIT CMD...       run CMD with stdout in out.txt and stderr in
#                         err.txt; a failure unless it exits with EXIT
#   finish NAME           print "NAME: ok" and exit 0, or exit 1
set -u
# the messages the scripts expect are English, whatever the caller's locale
unset LANGUAGE LC_ALL LC_MESSAGES
LANG=C
export LANG
T=$1
B=${BLFED:?BLFED must point at the blfed binary}
cd "$T" || exit 2
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

run() {
	want=$1
	shift
	"$@" >out.txt 2>err.txt
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit $rc (want $want): $* :: $(cat err.txt)"
}

finish() {
	[ "$fails" -eq 0 ] || { echo "$1: $fails failure(s)" >&2; exit 1; }
	echo "$1: ok"
	exit 0
}
