#!/bin/sh
# demo.sh BUILD - a federation of three anti-spam organisations on
# loopback that plays the problem blfed was written for (make demo).
#
# ISC (the Internet Society of China's anti-spam team), a European and an
# American anti-spam organisation each get a key, a trust store, a blfedd
# that exports its merged feed every second it changes, and an rsync
# module serving that export; rbldnsd serves the European feed as pulled
# with rsync.  Then, step by step: a /16 listed by the American
# organisation inside ISC's address space (ISC refuses it, the European
# organisation accepts it); ISC's exclusions of two clean mail servers; a
# spam source listed by two organisations; an ISC delisting reaching every
# export and the DNSBL; a listing that expires on its own; a forged delta
# and one from an unknown key, refused; and a dispute: ISC disputes a
# foreign listing over a clean mail server, the listing organisation
# upholds it for the one offending address, and the rest lapses at every
# partner when the answer window ends.
#
# Only documentation and benchmarking address space is used: 198.18.0.0/15
# (RFC 2544) plays ISC's address space, 192.0.2.0/24, 198.51.100.0/24 and
# 203.0.113.0/24 (RFC 5737) the rest.  Everything runs in a scratch
# directory and is stopped at the end; DEMO_KEEP=1 keeps it running and
# prints the commands to try; DEMO_ASSERT=1 exits 1 if a step's outcome is
# not the expected one (tests/integration/demo.sh).
set -u
# The narration is English and the steps look for English output: the demo
# runs in the C locale and shows the Chinese trail where it says so.
unset LANGUAGE LC_MESSAGES
LC_ALL=C
export LC_ALL
BUILD=$(cd "${1:-build}" && pwd)
CONTRIB=$(cd "$(dirname "$0")" && pwd)
B=$BUILD/blfed
D=$BUILD/blfedd
INJ=$BUILD/tools/blf_inject
KEEP=${DEMO_KEEP:-0}
ASSERT=${DEMO_ASSERT:-0}
ORGS="isc euro amer"
T=$(mktemp -d /tmp/blfed-demo.XXXXXX)
chmod 755 "$T"
PIDS=""
bad=0
started=$(date +%s)

stop_all() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	if [ "$bad" -eq 0 ]; then rm -rf "$T"; else echo "demo: files kept in $T" >&2; fi
}
[ "$KEEP" = 1 ] || trap stop_all EXIT
trap 'exit 2' INT TERM

for tool in rsync rbldnsd dig python3; do
	command -v $tool >/dev/null 2>&1 || { echo "demo: $tool is missing (make deps)" >&2; exit 2; }
done
[ -x "$INJ" ] || { echo "demo: $INJ is missing (make tools)" >&2; exit 2; }

# ---- presentation ----------------------------------------------------------
if [ -t 1 ]; then BOLD=$(printf '\033[1m'); OFF=$(printf '\033[0m'); else BOLD=""; OFF=""; fi
step() { printf '\n%s%s%s\n' "$BOLD" "$*" "$OFF"; }
note() { echo "  $*"; }
# show ORG CMD...: the command as a reader would type it, its output indented
show() {
	o=$1
	shift
	printf '  %s$ blfed' "$o"
	for a in "$@"; do
		case $a in *" "*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac
	done
	echo
	"$B" -s "ipc://$T/$o.sock" "$@" 2>&1 | sed 's/^/      /'
}
# check DESCRIPTION CMD...: the step's expected outcome
check() {
	d=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "  [ok] $d"
	else
		echo "  [FAILED] $d"
		bad=$((bad + 1))
	fi
}
ctl() {
	o=$1
	shift
	"$B" -s "ipc://$T/$o.sock" "$@"
}
wait_until() { # SECS CMD...
	_n=$(($1 * 10))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}
port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- three organisations ---------------------------------------------------
"$B" -k "$T/isc.key" keygen -c "ISC anti-spam team (Internet Society of China)" >"$T/isc.pub"
"$B" -k "$T/euro.key" keygen -c "European anti-spam organisation" >"$T/euro.pub"
"$B" -k "$T/amer.key" keygen -c "American anti-spam organisation" >"$T/amer.pub"
"$B" -k "$T/mallory.key" keygen -c "a key nobody trusts" >"$T/mallory.pub"
ISC_SPACE=198.18.0.0/15
ALL=0.0.0.0/0,::/0
ta() { # STORE NAME extra options...
	s=$1
	n=$2
	shift 2
	"$B" -t "$T/$s.trust" trust add "$n" "$T/$n.pub" --scope "$ALL" "$@" >/dev/null ||
		{ echo "demo: trust add $n at $s failed" >&2; exit 2; }
}
# ISC answers for its space: it may exclude there, at home and at the
# European organisation; its own anchor for the American organisation
# keeps the default max-prefix 24/48, so it refuses listings wider than /24.
# ISC may also dispute listings in its space (step 7); every partner gives
# the American organisation a short answer window for the demo (the
# default is 7 days).
ta isc isc --permissions list,delist,exclude,dispute --authority "$ISC_SPACE" --max-prefix 16/32
ta isc euro
ta isc amer --max-prefix 24/48
ta euro euro --max-prefix 16/32
ta euro isc --permissions list,delist,exclude,dispute --authority "$ISC_SPACE"
ta euro amer --max-prefix 16/32
ta amer amer --max-prefix 16/32
ta amer isc --permissions list,delist,exclude,dispute --authority "$ISC_SPACE"
ta amer euro
WINDOW=8
for s in isc euro amer; do
	"$B" -t "$T/$s.trust" trust set amer dispute-window ${WINDOW}s >/dev/null ||
		{ echo "demo: dispute-window at $s failed" >&2; exit 2; }
done

for o in $ORGS; do
	eval "PUB_$o=$(port) SYNC_$o=$(port) RSYNC_$o=$(port)"
	mkdir -m 700 "$T/$o.data"
done
MAL1=$(port) MAL2=$(port) MALS=$(port) DNS=$(port)
for o in $ORGS; do
	eval "pp=\$PUB_$o sp=\$SYNC_$o"
	{
		echo "key $T/$o.key"
		echo "trust $T/$o.trust"
		echo "datadir $T/$o.data"
		echo "control ipc://$T/$o.sock"
		echo "pidfile none"
		echo "listen tcp://127.0.0.1:$pp"
		echo "sync-listen tcp://127.0.0.1:$sp"
		echo "heads-interval 1s"
		echo "redial-min 50ms"
		echo "redial-max 500ms"
		echo "export-dir $T/$o.export"
		echo "export-interval 1s"
		echo "export-zone bl.$o.test"
		echo "export-source $o"
		for p in $ORGS; do
			[ "$p" = "$o" ] && continue
			eval "ppp=\$PUB_$p psp=\$SYNC_$p"
			echo "peer $p tcp://127.0.0.1:$ppp tcp://127.0.0.1:$psp $T/$p.pub"
		done
		if [ "$o" = euro ]; then
			# two hostile senders the European organisation happens to peer with
			echo "peer forger tcp://127.0.0.1:$MAL1 tcp://127.0.0.1:$MALS $T/mallory.pub"
			echo "peer stranger tcp://127.0.0.1:$MAL2 tcp://127.0.0.1:$MALS $T/mallory.pub"
		fi
	} >"$T/$o.conf"
	"$D" -n -c "$T/$o.conf" >/dev/null || exit 2
	"$D" -d -c "$T/$o.conf" 2>"$T/$o.log" &
	PIDS="$PIDS $!"
done
for o in $ORGS; do
	wait_until 10 ctl $o status || { tail "$T/$o.log"; exit 2; }
done

# an rsync module per organisation (contrib/rsyncd.conf), on loopback
for o in $ORGS; do
	eval "rp=\$RSYNC_$o"
	sed -e "s#^\([[:space:]]*path = \).*#\1$T/$o.export/current#" -e "s#^pid file = .*#pid file = $T/$o.rsyncd.pid#" \
		-e "s#^use chroot = .*#use chroot = no#" -e "s#^uid = .*#uid = $(id -un)#" \
		-e "s#^gid = .*#gid = $(id -gn)#" "$CONTRIB/rsyncd.conf" >"$T/$o.rsyncd.conf"
	rsync --daemon --no-detach --config="$T/$o.rsyncd.conf" --address=127.0.0.1 --port="$rp" \
		--log-file="$T/$o.rsyncd.log" &
	PIDS="$PIDS $!"
done
for o in $ORGS; do
	eval "rp=\$RSYNC_$o"
	wait_until 10 test -f "$T/$o.export/current/MANIFEST" || { echo "demo: $o did not export" >&2; exit 2; }
	wait_until 10 rsync "rsync://127.0.0.1:$rp/" || { echo "demo: rsync for $o" >&2; exit 2; }
done
wait_until 10 sh -c "'$B' -s 'ipc://$T/euro.sock' peers | grep -c connected | grep -q 2" ||
	{ echo "demo: the organisations did not connect" >&2; exit 2; }

# rbldnsd serves the European feed as a consumer gets it: pulled with rsync
# and verified.  rbldnsd refuses to run as root: drop to an unprivileged user.
pull() {
	rsync -rt --delete -z --block-size=512 "rsync://127.0.0.1:$RSYNC_euro/blfed/" "$T/rbl/" 2>/dev/null &&
		"$B" verify-export "$T/rbl" --key "$T/euro.pub" >/dev/null 2>&1 &&
		chmod -R a+rX "$T/rbl"
}
mkdir -p "$T/rbl"
wait_until 10 pull || { echo "demo: cannot pull the European export" >&2; exit 2; }
asuser=""
if [ "$(id -u)" -eq 0 ]; then
	user=blfedtest
	id "$user" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$user" 2>/dev/null ||
		user=nobody
	asuser="-u $user"
fi
files() {
	sed -n "s/^# file \(rbldnsd-$1\.[a-z0-9]*\) .*/\1/p" "$T/rbl/MANIFEST" |
		awk 'BEGIN { ORS="" } { print (NR > 1 ? "," : "") $0 }'
}
rbldnsd -n $asuser -r "$T/rbl" -b "127.0.0.1/$DNS" -c 1 \
	"bl.euro.test:ip4trie:$(files ip4)" "bl.euro.test:ip6trie:$(files ip6)" >"$T/rbldnsd.log" 2>&1 &
PIDS="$PIDS $!"
rev() { echo "$1" | awk -F. '{ print $4 "." $3 "." $2 "." $1 }'; }
dnsbl() { # ADDRESS [TYPE]: rbldnsd's answer for the European zone
	dig +short +tries=1 +time=1 @127.0.0.1 -p "$DNS" "$(rev "$1").bl.euro.test" "${2:-A}"
}
dnsbl_is() { pull; [ "$(dnsbl "$1" | tr '\n' ' ')" = "$2" ]; }
showdns() { # ADDRESS...
	for a in "$@"; do
		echo "  \$ dig +short $(rev "$a").bl.euro.test A TXT"
		r="$(dnsbl "$a" A; dnsbl "$a" TXT)"
		echo "${r:-(no answer: not listed)}" | sed 's/^/      /'
	done
}
wait_until 10 dnsbl_is 127.0.0.2 "127.0.0.2 " || { cat "$T/rbldnsd.log"; exit 2; }
in_export() { # ORG ADDRESS: the address is in ORG's plain IPv4 list
	cat "$T/$1.export"/current/plain-ip4.* | grep -q "^$(echo "$2" | sed 's/\./\\./g')\(/32\)\?$"
}
listed() { ctl "$1" why "$2"; }
# ISC has listed a spam source of its own (step 4 takes it back)
ctl isc list 192.0.2.10 --reason spam-source --expires 7d --ref "ASCT report 2006-113" >/dev/null
for o in $ORGS; do wait_until 10 in_export $o 192.0.2.10; done

step "Three anti-spam organisations, each with its own blfedd, export and rsync module"
note "ISC (the Internet Society of China's anti-spam team), a European and an American"
note "organisation peer with each other on 127.0.0.1.  198.18.0.0/15 (RFC 2544) plays the"
note "address space ISC answers for; rbldnsd serves the European feed pulled with rsync."
show euro peers | grep -v '^          ' 
echo "  ISC's trust in the American organisation (widest listing: /24):"
"$B" -t "$T/isc.trust" trust show amer 2>&1 | grep -i 'max-prefix\|scope' | sed 's/^/      /'

# ---- 1 ---------------------------------------------------------------------
step "1. The American organisation lists a whole /16 inside ISC's space"
show amer list 198.18.0.0/16 --reason spam-source --expires 7d --ref "spam from 198.18.5.0/24"
wait_until 10 listed euro 198.18.77.1
wait_until 10 sh -c "'$B' -s 'ipc://$T/isc.sock' why 198.18.77.1 | grep -q amer"
echo "  ISC's policy refuses a listing that wide:"
show isc why 198.18.77.1
echo "  the European organisation accepts it, and so does its DNSBL:"
show euro why 198.18.77.1
echo "  the same trail for an operator who reads Chinese (LANG=zh_CN.UTF-8):"
(LC_ALL=zh_CN.UTF-8; show euro why 198.18.77.1)
wait_until 10 dnsbl_is 198.18.77.1 "127.0.0.2 "
showdns 198.18.77.1
check "ISC does not list 198.18.77.1" sh -c "! '$B' -s 'ipc://$T/isc.sock' why 198.18.77.1"
check "the European organisation lists 198.18.77.1" listed euro 198.18.77.1

# ---- 2 ---------------------------------------------------------------------
step "2. ISC excludes two clean mail servers in that /16"
show isc exclude 198.18.5.25 --ref "mail.isc-member.example: verified clean"
show isc exclude 198.18.9.25 --ref "mx2.isc-member.example: verified clean"
wait_until 10 sh -c "'$B' -s 'ipc://$T/euro.sock' why 198.18.9.25 | grep -q excluded"
wait_until 10 dnsbl_is 198.18.9.25 ""
wait_until 10 dnsbl_is 198.18.5.25 ""
show euro why 198.18.5.25
echo "  the European DNSBL lets the two servers through, the rest stays listed:"
showdns 198.18.5.25 198.18.9.25 198.18.5.26
check "198.18.5.25 excluded at the European organisation" \
	sh -c "'$B' -s 'ipc://$T/euro.sock' why 198.18.5.25 | grep -q '^198.18.5.25/32: excluded'"
check "the DNSBL does not answer for 198.18.5.25 and 198.18.9.25" \
	sh -c "[ -z \"$(dnsbl 198.18.5.25)$(dnsbl 198.18.9.25)\" ]"
check "the DNSBL still lists 198.18.5.26" wait_until 5 dnsbl_is 198.18.5.26 "127.0.0.2 "

# ---- 3 ---------------------------------------------------------------------
step "3. ISC and the European organisation both list a spam source"
show isc list 203.0.113.66 --reason spam-source --expires 7d --ref "ASCT report 2006-120"
show euro list 203.0.113.66 --reason spam-source --expires 7d --ref "trap hits 4711"
both() { ctl "$1" why 203.0.113.66 | grep -q 'isc lists' && ctl "$1" why 203.0.113.66 | grep -q 'euro lists'; }
txt_both() { pull && dnsbl 203.0.113.66 TXT | grep isc | grep -q euro; }
wait_until 10 both euro
wait_until 10 txt_both
show euro why 203.0.113.66
echo "  its provenance names both, in the export and in the DNSBL:"
grep -h '"203.0.113.66/32"' "$T/euro.export"/current/jsonl-ip4.* | cut -c1-150 | sed 's/^/      /;s/$/.../'
showdns 203.0.113.66
check "provenance names ISC and the European organisation" both euro
check "the DNSBL's TXT names both" txt_both

# ---- 4 ---------------------------------------------------------------------
step "4. ISC delists an address it had listed"
have=""
for o in $ORGS; do in_export $o 192.0.2.10 && have="$have $o"; done
echo "  192.0.2.10 is in the plain lists exported by:${have:- nobody}"
showdns 192.0.2.10
t0=$(ms)
show isc delist 192.0.2.10
gone() {
	for o in $ORGS; do in_export $o 192.0.2.10 && return 1; done
	dnsbl_is 192.0.2.10 ""
}
if wait_until 20 gone; then
	t=$(( $(ms) - t0 ))
	printf '  gone from the ISC, European and American exports and from the DNSBL after %d.%d s\n' \
		$((t / 1000)) $((t % 1000 / 100))
fi
showdns 192.0.2.10
check "192.0.2.10 left every export and the DNSBL within 20 s" gone

# ---- 5 ---------------------------------------------------------------------
step "5. A listing with a short expiry disappears on its own"
t0=$(ms)
show euro list 198.51.100.77 --reason spam-source --expires 6s --ref "one burst, 6 s"
wait_until 10 dnsbl_is 198.51.100.77 "127.0.0.2 "
showdns 198.51.100.77
echo "  nobody sends anything more; the daemons export again at the expiry:"
expired() { ! in_export euro 198.51.100.77 && ! in_export isc 198.51.100.77 && dnsbl_is 198.51.100.77 ""; }
if wait_until 20 expired; then
	t=$(( $(ms) - t0 ))
	printf '  gone from the exports and the DNSBL %d.%d s after it was listed\n' \
		$((t / 1000)) $((t % 1000 / 100))
fi
showdns 198.51.100.77
check "198.51.100.77 expired from the exports and the DNSBL" expired

# ---- 6 ---------------------------------------------------------------------
step "6. A forged delta and a delta from an unknown key are refused"
ISC_ID=$(cut -d' ' -f2 "$T/isc.pub")
echo "  a delta that claims to come from ISC (origin $ISC_ID),"
echo "  signed with the American organisation's key:"
echo "  \$ blf_inject -k amer.key -o $ISC_ID -s 99 -P 192.0.2.200"
"$INJ" -l "tcp://127.0.0.1:$MAL1" -k "$T/amer.key" -o "$ISC_ID" -s 99 \
	-p 1111111111111111111111111111111111111111111111111111111111111111 -P 192.0.2.200 >/dev/null 2>&1
echo "  a delta from a key no organisation trusts:"
echo "  \$ blf_inject -k mallory.key -P 192.0.2.201"
"$INJ" -l "tcp://127.0.0.1:$MAL2" -k "$T/mallory.key" -P 192.0.2.201 >/dev/null 2>&1
wait_until 5 sh -c "grep -q 'peer stranger' '$T/euro.log' && grep -q 'peer forger' '$T/euro.log'"
echo "  the European organisation's log says why:"
grep 'peer forger\|peer stranger' "$T/euro.log" | sed 's/^[^ ]* //' | cut -c1-160 | sed 's/^/      /'
show euro why 192.0.2.200
check "the forged delta is refused and logged" \
	sh -c "! '$B' -s 'ipc://$T/euro.sock' why 192.0.2.200 && grep -q 'peer forger:.*unknown-key\|peer forger:.*bad-sig' '$T/euro.log'"
check "the unknown key's delta is refused and logged" \
	sh -c "! '$B' -s 'ipc://$T/euro.sock' why 192.0.2.201 && grep -q 'peer stranger:.*unknown-key' '$T/euro.log'"

# ---- 7 ---------------------------------------------------------------------
step "7. A clean mail server inside a foreign listing: ISC files one dispute"
note "The American organisation lists 198.19.20.0/24 for spam from one host, 198.19.20.7;"
note "a Chinese provider's clean mail server, 198.19.20.25, sits in that /24.  Instead of"
note "writing to every list, ISC files one signed dispute; it reaches every partner.  Each"
note "gives the American organisation ${WINDOW} s to answer here (dispute-window; 7 days by default)."
show amer list 198.19.20.0/24 --reason spam-source --expires 7d --ref "trap hits from 198.19.20.7"
everywhere() { # EXPORTED ADDRESS: EXPORTED in every plain list, ADDRESS in the DNSBL
	for o in $ORGS; do in_export $o "$1" || return 1; done
	dnsbl_is "$2" "127.0.0.2 "
}
nowhere() {
	for o in $ORGS; do in_export $o "$1" && return 1; done
	dnsbl_is "$2" ""
}
wait_until 10 everywhere 198.19.20.0/24 198.19.20.25
showdns 198.19.20.25
echo "  isc\$ blfed dispute 198.19.20.0/24 --code too-wide --ref '...'"
out=$(ctl isc dispute 198.19.20.0/24 --code too-wide \
	--ref "https://asct.example/disputes/2026-31 mail.provider.example is clean" 2>&1)
echo "$out" | sed 's/^/      /'
ID=$(echo "$out" | sed -n 's/^dispute \([0-9a-f]\{32\}\) filed.*/\1/p')
filed=$(ms)
seen() { ctl amer disputes --against-us --open | grep -q "^$ID " && grep -q "dispute $ID" "$T/amer.log"; }
wait_until 10 seen
echo "  the American organisation's operator sees it, in the CLI and in the daemon's log:"
show amer disputes --against-us --open
grep "dispute $ID by isc" "$T/amer.log" | sed 's/^[^ ]* //' | cut -c1-160 | sed 's/^/      /'
echo "  and upholds it for the one address that sent spam, with its evidence:"
show amer answer "$ID" upheld --code evidence --prefix 198.19.20.7/32 \
	--ref "https://amer.example/evidence/198.19.20.7"
echo "  nobody sends anything more; at the end of the window the rest lapses everywhere:"
lapsed() { nowhere 198.19.20.0/24 198.19.20.25 && everywhere 198.19.20.7 198.19.20.7; }
if wait_until $((WINDOW + 15)) lapsed; then
	t=$(( $(ms) - filed ))
	printf '  198.19.20.25 left every export and the DNSBL %d.%d s after the dispute\n' \
		$((t / 1000)) $((t % 1000 / 100))
fi
showdns 198.19.20.25 198.19.20.7
show euro why 198.19.20.25
show euro why 198.19.20.7
echo "  the trail in the operator's language:"
echo "  isc\$ LANG=zh_CN.UTF-8 blfed why 198.19.20.25"
LC_ALL=zh_CN.UTF-8 "$B" -s "ipc://$T/isc.sock" why 198.19.20.25 2>&1 | sed 's/^/      /'
check "the American organisation sees ISC's dispute" \
	sh -c "grep -q 'warning: dispute $ID by isc against 1 of our listings' '$T/amer.log'"
check "198.19.20.25 lapsed from every export and the DNSBL" nowhere 198.19.20.0/24 198.19.20.25
check "198.19.20.7 stays listed, upheld with evidence" everywhere 198.19.20.7 198.19.20.7
check "why tells the trail: disputed, upheld, lapsed" \
	sh -c "'$B' -s 'ipc://$T/euro.sock' why 198.19.20.25 | grep -q 'lapsed at' &&
	       '$B' -s 'ipc://$T/euro.sock' why 198.19.20.7 | grep -q 'upheld by amer'"

step "The European organisation's last export"
show euro status | grep 'export:'
echo "  $(ls "$T/euro.export" | tr '\n' ' ')-> $(readlink "$T/euro.export/current")"
echo "  current/: $(ls "$T/euro.export/current" | tr '\n' ' ')"
note "(the demo took $(( $(date +%s) - started )) s; scratch directory $T)"

if [ "$KEEP" = 1 ]; then
	step "Everything keeps running (pids$PIDS).  Try:"
	for o in $ORGS; do echo "  $B -s ipc://$T/$o.sock status"; done
	echo "  $B -s ipc://$T/euro.sock why 198.18.5.25"
	echo "  dig +short @127.0.0.1 -p $DNS 26.5.18.198.bl.euro.test A TXT"
	echo "  rsync rsync://127.0.0.1:$RSYNC_euro/blfed/"
	echo "  $B verify-export $T/euro.export --key $T/euro.pub"
	echo "  kill$PIDS; rm -rf $T    # to stop"
fi
if [ "$ASSERT" = 1 ] && [ "$bad" -ne 0 ]; then
	echo "demo: $bad step(s) did not turn out as expected" >&2
	exit 1
fi
exit 0
