#!/bin/sh
# export_consumers.sh BUILD - the export formats proven with the programs
# that read them, on 127.0.0.1 with free ports; everything started here is
# stopped by the trap.
#
#  1. a data directory with two origins, listings, an exclusion and a
#     hostile reference (blfed keygen / trust add, tests/tools/blfed_testpub);
#  2. `blfed export` offline, sharded; an rsync daemon with contrib's
#     rsyncd.conf; a pull into a fresh directory with the consumer's command
#     (-z --block-size=512, as contrib gives it); `sha256sum -c --strict
#     MANIFEST` and `blfed verify-export` (and both fail after tampering);
#  3. rbldnsd as an unprivileged user on the pulled zones: dig A and TXT for
#     a listed address, one inside a listed prefix, an excluded one, an
#     unlisted one, a listed IPv6 address, the RFC 5782 test points; and a
#     feed past its $TIMESTAMP expiry stops answering;
#  4. postmap -q hits and misses on postfix.cidr;
#  5. iprange: the plain IPv4 list is the expected set, already optimal;
#  6. ipset restore in a user+network namespace, where the kernel allows
#     (otherwise SKIP, said plainly).
set -u
build=$(cd "${1:-build}" && pwd)
top=$(pwd)
BLFED=$build/blfed
PUB=$build/tools/blfed_testpub
EXPORT=$build/tools/blf_export
tmp=$(mktemp -d /tmp/blfed-consumers.XXXXXX)
chmod 755 "$tmp"
pids=""
fails=0
skips=0

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
ok() {
	echo "ok: $*"
}

for tool in rsync rbldnsd dig postmap iprange sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || { echo "export_consumers: $tool missing (make deps)" >&2; exit 2; }
done

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cd "$tmp" || exit 2

# ---- 1. data -----------------------------------------------------------------
now=$(date +%s)
for k in alpha beta agent; do
	"$BLFED" keygen -c "$k" -o "$k.key" >/dev/null || exit 2
done
"$BLFED" key show agent.key >agent.pub
"$BLFED" -t trust.conf trust add alpha alpha.key --scope 0.0.0.0/0,::/0 \
	--authority 192.0.2.0/24 --permissions list,delist,exclude --max-prefix 16/32 >/dev/null || exit 2
"$BLFED" -t trust.conf trust add beta beta.key --scope 0.0.0.0/0,::/0 --max-prefix 16/32 >/dev/null || exit 2
mkdir -m 700 data
"$PUB" data trust.conf alpha.key $((now - 100)) <<'EOF' || exit 2
list 198.51.100.7/32 spam-source 604800 ticket 4711
list 192.0.2.0/24 snowshoe 604800 range \x22q\x22 $x #y \xe4\xb8\xad \\
exclude 192.0.2.129/32 customer verified clean
list 2001:db8:1::/48 botnet 2592000
list 130.0.0.0/24 phishing 604800
EOF
"$PUB" data trust.conf beta.key $((now - 50)) <<'EOF' || exit 2
list 198.51.100.7/32 botnet 86400 beta-77
list 203.0.113.0/24 open-relay 86400
EOF

# ---- 2. export, rsync, verify ------------------------------------------------
"$EXPORT" -d data -t trust.conf -k agent.key -o export \
	-z bl.test -4 2 -6 1 -O >export.out || { cat export.out; exit 2; }
grep -q "4 IPv4 and 1 IPv6 listed, 1 exclusions" export.out || fail "export summary: $(cat export.out)"
chmod 755 export

rport=$(free_port)
sed -e "s#^\([[:space:]]*path = \).*#\1$tmp/export/current#" -e "s#^pid file = .*#pid file = $tmp/rsyncd.pid#" \
	-e "s#^use chroot = .*#use chroot = no#" -e "s#^uid = .*#uid = $(id -un)#" \
	-e "s#^gid = .*#gid = $(id -gn)#" "$top/contrib/rsyncd.conf" >rsyncd.conf
rsync --daemon --no-detach --config="$tmp/rsyncd.conf" --address=127.0.0.1 --port="$rport" \
	--log-file="$tmp/rsyncd.log" &
pids="$pids $!"
i=0
until rsync "rsync://127.0.0.1:$rport/" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat rsyncd.log; echo "export_consumers: rsync daemon did not start" >&2; exit 2; }
	sleep 0.1
done
touch export/current/.leftover
rsync -rt --delete -z --block-size=512 "rsync://127.0.0.1:$rport/blfed/" pulled/ || fail "rsync pull"
[ -e pulled/.leftover ] && fail "rsync module serves hidden files"
# the module is the published generation: the pull is flat
[ -e pulled/current ] || ls -d pulled/gen.* >/dev/null 2>&1 && fail "the pull is not flat: $(ls pulled | head -3)"
[ -f pulled/MANIFEST ] && ok "rsync module serves export/current, pulled flat" || fail "no MANIFEST pulled"
(cd pulled && sha256sum -c --strict --quiet MANIFEST) && ok "sha256sum -c --strict MANIFEST" ||
	fail "sha256sum -c"
"$BLFED" verify-export pulled --key agent.pub >verify.out && ok "verify-export" ||
	fail "verify-export: $(cat verify.out)"
"$BLFED" verify-export export --key agent.pub >verify.out && ok "verify-export on the export directory (current)" ||
	fail "verify-export export: $(cat verify.out)"
cp -a pulled tampered
printf 'x' >>tampered/plain-ip4.s00
"$BLFED" verify-export tampered --key agent.pub >/dev/null 2>verify.err
[ $? -eq 1 ] && ok "verify-export refuses a tampered file" || fail "verify-export on a tampered file"
(cd tampered && sha256sum -c --strict --quiet MANIFEST >/dev/null 2>&1) && fail "sha256sum accepts tampering"
"$BLFED" verify-export pulled --key alpha.key >/dev/null 2>&1
[ $? -eq 1 ] && ok "verify-export refuses another key" || fail "verify-export with another key"

# ---- 3. rbldnsd ----------------------------------------------------------------
# rbldnsd refuses to run as root: as root, drop to an unprivileged user;
# otherwise it runs as we are (and -u would fail).
if [ "$(id -u)" -eq 0 ]; then
	user=blfedtest
	if ! id "$user" >/dev/null 2>&1; then
		useradd -r -M -s /usr/sbin/nologin "$user" 2>/dev/null || user=nobody
	fi
	asuser="-u $user"
else
	user=$(id -un)
	asuser=""
fi
chmod -R a+rX pulled
files() { # family, directory holding MANIFEST[, prefix of each name]
	sed -n "s/^# file \(rbldnsd-$1\.[a-z0-9]*\) .*/\1/p" "$2/MANIFEST" |
		awk -v p="${3:-}" 'BEGIN { ORS="" } { print (NR > 1 ? "," : "") p $0 }'
}
dport=$(free_port)
rbldnsd -n $asuser -r "$tmp/pulled" -b "127.0.0.1/$dport" -c 1 \
	"bl.test:ip4trie:$(files ip4 pulled)" "bl.test:ip6trie:$(files ip6 pulled)" \
	"alpha.bl.test:ip4trie:rbldnsd-ip4.head,origin.alpha.ip4" \
	"alpha.bl.test:ip6trie:rbldnsd-ip6.head,origin.alpha.ip6" \
	"beta.bl.test:ip4trie:rbldnsd-ip4.head,origin.beta.ip4" >rbldnsd.log 2>&1 &
pids="$pids $!"
q() { # name type
	dig +short +tries=1 +time=2 @127.0.0.1 -p "$dport" "$1" "$2"
}
i=0
until [ "$(q 2.0.0.127.bl.test A)" = 127.0.0.2 ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || { cat rbldnsd.log; fail "rbldnsd did not answer the 127.0.0.2 test point"; break; }
	sleep 0.1
done
ps -o user= -C rbldnsd | grep -q "^$user" || fail "rbldnsd does not run as $user"
expect() { # what name type want
	got=$(q "$2" "$3" | tr '\n' ' ' | sed 's/ $//')
	case "$got" in
	$4) ok "dig $1: $3 $got" ;;
	*) fail "dig $1 ($2 $3): got '$got', want '$4'" ;;
	esac
}
expect "listed IPv4" 7.100.51.198.bl.test A 127.0.0.2
expect "listed IPv4" 7.100.51.198.bl.test TXT '"198.51.100.7 listed by alpha: spam-source since * (ticket 4711); beta: botnet since * (beta-77)"'
expect "inside a listed prefix" 77.2.0.192.bl.test A 127.0.0.3
expect "inside a listed prefix" 77.2.0.192.bl.test TXT '"192.0.2.77 listed by alpha: snowshoe since * (range \\"q\\" _x _y ??? *)"'
expect "excluded" 129.2.0.192.bl.test A ''
expect "excluded" 129.2.0.192.bl.test TXT ''
expect "unlisted" 9.9.9.9.bl.test A ''
expect "another shard" 5.0.0.130.bl.test A 127.0.0.7
nib=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2
expect "listed IPv6" "$nib.bl.test" A 127.0.0.4
expect "listed IPv6" "$nib.bl.test" TXT '"2001:db8:1::1 listed by alpha: botnet since *"'
expect "test point 127.0.0.2" 2.0.0.127.bl.test A 127.0.0.2
expect "test point 127.0.0.1" 1.0.0.127.bl.test A ''
nib6=2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0
expect "IPv6 test point ::ffff:7f00:2" "$nib6.bl.test" A 127.0.0.2
expect "IPv6 test point ::ffff:7f00:1" "1${nib6#2}.bl.test" A ''
# the per-origin view (-O): each origin's own listings as a zone of its own
expect "beta's zone" 7.100.51.198.beta.bl.test A 127.0.0.4
expect "beta's zone" 7.100.51.198.beta.bl.test TXT '"198.51.100.7 listed by beta: botnet since * (beta-77)"'
expect "beta's zone" 9.113.0.203.beta.bl.test A 127.0.0.5
expect "beta's zone, alpha's listing" 77.2.0.192.beta.bl.test A ''
expect "alpha's zone" 77.2.0.192.alpha.bl.test A 127.0.0.3
expect "alpha's zone, excluded" 129.2.0.192.alpha.bl.test A ''
expect "alpha's zone, beta's listing" 9.113.0.203.alpha.bl.test A ''
expect "alpha's zone, IPv6" "$nib.alpha.bl.test" A 127.0.0.4
expect "beta's zone, test point" 2.0.0.127.beta.bl.test A 127.0.0.2
[ ! -e pulled/origin.beta.ip6 ] && ok "no zone for a family without listings" ||
	fail "origin.beta.ip6 written"
q bl.test SOA | grep -q "^ns.bl.test. hostmaster.bl.test. [0-9]" && ok "SOA with serial" ||
	fail "SOA: $(q bl.test SOA)"

# A feed that nobody refreshes stops answering: $TIMESTAMP expiry passed.
"$EXPORT" -d data -t trust.conf -k agent.key -o stale \
	-z bl.test -f rbldnsd -S 2 -T "$(date -u -d @$((now - 10)) +%Y-%m-%dT%H:%M:%SZ)" \
	>/dev/null || fail "stale export"
chmod -R a+rX stale
sport=$(free_port)
# on the export directory itself, the way contrib's blfed-rbldnsd.sh runs:
# rooted at the directory, the files named through current
rbldnsd -n $asuser -r "$tmp/stale" -b "127.0.0.1/$sport" -c 1 \
	"bl.test:ip4trie:$(files ip4 stale/current current/)" >rbldnsd-stale.log 2>&1 &
pids="$pids $!"
sleep 1
got=$(dig +tries=1 +time=2 @127.0.0.1 -p "$sport" 2.0.0.127.bl.test A 2>&1)
if echo "$got" | grep -q "status: NOERROR" && echo "$got" | grep -q "^2.0.0.127.bl.test.*127.0.0.2"; then
	fail "an expired feed still answers: $got"
elif echo "$got" | grep -q "status:"; then
	ok "expired \$TIMESTAMP: $(echo "$got" | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
else
	fail "no answer at all from the stale rbldnsd: $got"
fi

# ---- 4. postfix -------------------------------------------------------------
mkdir pfconf && : >pfconf/main.cf
pq() {
	postmap -c "$tmp/pfconf" -q "$1" "cidr:$tmp/pulled/postfix.cidr"
}
r=$(pq 198.51.100.7) && case "$r" in "REJECT listed by alpha: spam-source"*) ok "postmap hit: $r" ;;
	*) fail "postmap 198.51.100.7: $r" ;; esac || fail "postmap 198.51.100.7 missed"
r=$(pq 192.0.2.129) && [ "$r" = DUNNO ] && ok "postmap exception first: DUNNO" || fail "postmap 192.0.2.129: $r"
r=$(pq 192.0.2.1) && case "$r" in REJECT*snowshoe*) ok "postmap inside prefix" ;; *) fail "postmap 192.0.2.1: $r" ;; esac
r=$(pq 2001:db8:1::1) && case "$r" in REJECT*botnet*) ok "postmap IPv6" ;; *) fail "postmap IPv6: $r" ;; esac
pq 9.9.9.9 >/dev/null
[ $? -eq 1 ] && ok "postmap miss" || fail "postmap 9.9.9.9 should miss"

# ---- 5. iprange -------------------------------------------------------------
cat pulled/plain-ip4.s* | grep -v '^#' >ours.txt
printf '192.0.2.0/24\n198.51.100.7\n203.0.113.0/24\n130.0.0.0/24\n' >listed.txt
printf '192.0.2.129\n' >excluded.txt
iprange listed.txt --except excluded.txt >expected.txt
iprange ours.txt >ours-opt.txt
if cmp -s expected.txt ours-opt.txt; then ok "iprange: plain IPv4 list is the expected set"; else
	fail "iprange: sets differ"; diff expected.txt ours-opt.txt >&2; fi
sed 's#/32$##' ours.txt | cmp -s - ours-opt.txt && ok "iprange: plain list already optimal" ||
	fail "plain list is not what iprange --optimize prints"

# ---- 6. ipset ---------------------------------------------------------------
if command -v ipset >/dev/null 2>&1 && unshare -rn true 2>/dev/null; then
	if unshare -rn sh -c "cat pulled/ipset-ip4.head pulled/ipset-ip4.s* | ipset restore &&
		cat pulled/ipset-ip6.head pulled/ipset-ip6.s* | ipset restore &&
		ipset test blfed4 192.0.2.1 && ipset test blfed4 198.51.100.7 &&
		! ipset test blfed4 192.0.2.129 && ! ipset test blfed4 9.9.9.9 &&
		ipset test blfed6 2001:db8:1::1 && ipset list blfed4 | grep -q 'comment \"alpha snowshoe\"'" \
		>ipset.log 2>&1; then
		ok "ipset restore and test in a namespace"
	else
		grep -q "Kernel error\|Operation not permitted\|Cannot open session" ipset.log &&
			{ echo "SKIP: ipset: the kernel refuses ipset in a user namespace: $(head -1 ipset.log)"; skips=$((skips + 1)); } ||
			fail "ipset: $(cat ipset.log)"
	fi
else
	echo "SKIP: ipset: no ipset or no user+network namespace here (unshare -rn)"
	skips=$((skips + 1))
fi

echo "export_consumers: $fails failed, $skips skipped"
[ "$fails" -eq 0 ]
