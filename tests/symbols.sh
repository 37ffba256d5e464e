#!/bin/sh
# symbols.sh BUILD - every global symbol a static library defines carries
# its library's prefix, so that a program linking several of them (and a
# partner's code linking ours) cannot meet a bare name such as mp_str or
# journal_open.  Fails with the offending symbols listed.
B=${1:-build}
rc=0
check() {
	lib=$1; shift
	[ -f "$B/$lib" ] || { echo "symbols: $B/$lib missing" >&2; rc=1; return; }
	pat=$(printf '%s|' "$@"); pat="^(${pat%|})"
	bad=$(nm -g --defined-only "$B/$lib" | awk '$2 ~ /^[TDBRCVW]$/ {print $3}' |
		grep -Ev "$pat" | sort -u)
	if [ -n "$bad" ]; then
		echo "symbols: $lib defines names without its prefix ($*):" >&2
		echo "$bad" | sed 's/^/  /' >&2
		rc=1
	fi
}
check libblfproto.a blf_
check libblfkeys.a keys_ key_ trust_ fio_
check libblfcore.a core_
check libblfnet.a net_
check libblfctl.a ctl_
check libblfexport.a export_
check libblfi18n.a blf_i18n_
[ $rc -eq 0 ] && echo "symbols: every library symbol carries its prefix"
exit $rc
