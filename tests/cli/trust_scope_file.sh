#!/bin/sh
# trust_scope_file.sh TMPDIR - an authority the size of a country: 12,000
# prefixes from a file (--authority-file), checked by `trust check`; a scope
# of 200 values given to `trust set`; errors in the file name its line.
. "$(dirname "$0")/lib/common.sh"

# 9,000 IPv4 /24s and 3,000 IPv6 /32s, with comments, as country lists are
awk 'BEGIN {
	print "# synthetic country list"
	for (i = 0; i < 9000; i++)
		printf "%d.%d.%d.0/24\n", 1 + int(i / 65536), int(i / 256) % 256, i % 256
	for (i = 0; i < 3000; i++)
		printf "2001:%x::/32   # block %d\n", 4096 + i, i
}' >cn.txt
run 0 "$B" -k isc.key keygen -c "ISC"
cp out.txt isc.pub
run 0 "$B" -t t.conf trust add isc isc.pub --permissions list,delist,exclude \
	--authority-file cn.txt
grep -q "^    authority-file $(pwd -P)/cn.txt\$" t.conf || fail "store: $(grep authority t.conf)"
run 0 "$B" -t t.conf trust check isc exclude 1.0.200.7/32
run 0 "$B" -t t.conf trust check isc exclude 2001:1bb7:1::/48
run 1 "$B" -t t.conf trust check isc exclude 1.36.0.0/24
run 1 "$B" -t t.conf trust check isc exclude 1.0.0.0/16
run 0 "$B" -t t.conf trust list
grep -q "^isc .* 12000 " out.txt || fail "list: $(cat out.txt)"
run 0 "$B" -t t.conf trust show isc
grep -q "^  authority-file .*cn.txt (12000 prefixes)\$" out.txt || fail "show: $(cat out.txt)"

# --authority and --authority-file together
run 2 "$B" -t t.conf trust add other isc.pub --authority 10.0.0.0/8 --authority-file cn.txt
grep -q "give one of them" err.txt || fail "both: $(cat err.txt)"

# a bad line in the file: named, and the store is unchanged
cp t.conf before.conf
printf '10.0.0.0/8\n# ok so far\n10.0.0.1/8\n' >bad.txt
run 2 "$B" -t t.conf trust set isc scope-file bad.txt
grep -q "bad.txt:3: 10.0.0.1/8: " err.txt || fail "bad file: $(cat err.txt)"
cmp -s t.conf before.conf || fail "a refused set changed the store"

# trust set with 200 values (more than the 64 arguments of other commands)
vals=$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "10.%d.0.0/16 ", i }')
# shellcheck disable=SC2086
run 0 "$B" -t t.conf trust set isc scope $vals
run 0 "$B" -t t.conf --json trust list
grep -q '"scope":200,' out.txt || fail "200 values: $(cat out.txt)"
run 0 "$B" -t t.conf trust check isc list 10.199.3.0/24
[ "$(grep -c '^    scope ' t.conf)" -eq 4 ] || fail "scope lines: $(grep -c '^    scope ' t.conf)"

finish trust_scope_file
