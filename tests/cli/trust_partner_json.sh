#!/bin/sh
# trust_partner_json.sh TMPDIR - text a partner controls (a .pub file, a
# key line pasted from mail, a statement file and its name, a prefix file, a
# hand-edited store) never reaches stdout or stderr as a control byte (C0,
# DEL, C1 such as CSI), a bidirectional control or invalid UTF-8, and every
# --json output is valid UTF-8 JSON, one object per line (RFC 8259), for
# hostile and for legitimate text in any script.
. "$(dirname "$0")/lib/common.sh"

# clean FILE... : each file is strict UTF-8 without controls (but newline)
# or bidirectional controls.
cat >clean.py <<'EOF'
import sys
bad = set(range(0x20)) - {0x0a}
bad |= set(range(0x7f, 0xa0))
bad |= {0x61c, 0x200e, 0x200f} | set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a))
for name in sys.argv[1:]:
    text = open(name, "rb").read().decode("utf-8")  # strict: raises on bad bytes
    for ch in text:
        if ord(ch) in bad:
            sys.exit("%s: U+%04X printed raw" % (name, ord(ch)))
EOF
clean() { python3 clean.py out.txt err.txt 2>clean.txt || fail "$*: $(cat clean.txt)"; }

# json CMD... : stdout is JSON lines that strict UTF-8 decoding accepts
json() {
	PYTHONIOENCODING=utf-8:strict python3 -c \
		'import json,sys; [json.loads(l) for l in sys.stdin]' <out.txt 2>json.txt ||
		fail "not JSON lines: $*: $(cat json.txt) :: $(od -c out.txt | head -n 4)"
}

run 0 "$B" -k a.key keygen -c "Org A"
cp out.txt a.pub
base=$(cut -d' ' -f1-3 a.pub)

# 1. hostile comments in a partner's .pub file and in a pasted key line:
# C1 CSI, ESC, DEL, C1 NEL, RLO, LRI, ALM, RLM, a stray byte, an overlong
# '/', a surrogate, a code point past U+10FFFF, a cut sequence, a lone
# continuation byte.
n=0
for c in '\302\2332J' '\033[2J' 'x\177y' 'a\302\205b' 'evil\342\200\256gpj.exe' \
	'\342\201\246x' '\330\234x' 'x\342\200\217' 'bad \377 utf8' '\300\257' \
	'\355\240\200' '\364\220\200\200' 'cut \341\200' '\200x'; do
	n=$((n + 1))
	printf "%s $c\n" "$base" >p$n.pub
	run 2 "$B" key show p$n.pub
	clean key show "$c"
	run 2 "$B" --json key show p$n.pub
	clean key show --json "$c"
	[ -s out.txt ] && fail "key show --json $c printed: $(cat out.txt)"
	run 2 "$B" -t t.conf trust add orgp p$n.pub
	clean trust add FILE "$c"
	run 2 "$B" -t t.conf --json trust add orgp "$(cat p$n.pub)"
	clean trust add LINE "$c"
	run 2 "$B" -t t.conf --json trust add orgp "$base" --note "$(printf "$c")"
	clean trust add --note "$c"
	# a hand-edited store holding it, as note and as key comment
	printf 'anchor orgp\n    key %s\n    note %s\n' "$base" "$(printf "$c")" >h$n.conf
	printf 'anchor orgp\n    key %s %s\n' "$base" "$(printf "$c")" >k$n.conf
	for s in h$n.conf k$n.conf; do
		run 2 "$B" -t $s trust show orgp
		clean trust show $s "$c"
		run 2 "$B" -t $s --json trust show orgp
		clean trust show --json $s "$c"
		run 2 "$B" -t $s --json trust list
		clean trust list --json $s "$c"
		run 2 "$B" -t $s trust check orgp list 192.0.2.0/24
		clean trust check $s "$c"
	done
	# a prefix file with it on a prefix line
	printf '192.0.2.0/24\n198.51.100.0/24 %s\n' "$(printf "$c")" >s$n.txt
	run 2 "$B" -t t.conf trust add orgp "$base" --scope-file s$n.txt
	clean trust add --scope-file "$c"
	# files named with it (a statement or key received from a partner)
	f=$(printf "st$c")
	run 2 "$B" -t t.conf trust apply "$f"
	clean trust apply missing "$c"
	printf 'junk' >"$f"
	run 2 "$B" -t t.conf --json trust apply "$f"
	clean trust apply junk "$c"
	run 2 "$B" key show "$f"
	clean key show named "$c"
done
[ -f t.conf ] && fail "a refused add wrote the store"

# 2. legitimate text in any script survives, and every --json output is JSON
note=$(printf '\344\270\255\345\233\275 "ASCT" back\\slash \303\251 \360\237\223\247 \342\200\250 \302\240end')
run 0 "$B" -k b.key keygen -c "$(printf 'Org B \344\270\255\345\233\275 \360\237\223\247')"
cp out.txt b.pub
run 0 "$B" --json -k b.key key show
json key show
run 0 "$B" --json key show b.pub
json key show b.pub
clean key show b.pub
run 0 "$B" -t t.conf --json trust add orgb b.pub --note "$note" --scope 192.0.2.0/24
json trust add
run 0 "$B" -t t.conf --json trust add orga a.pub --authority 198.51.100.0/24 \
	--permissions list,exclude
json trust add orga
run 0 "$B" -t t.conf trust show orgb
clean trust show orgb
grep -qF "note         $note" out.txt || fail "note not kept: $(cat out.txt)"
run 0 "$B" -t t.conf --json trust show orgb
json trust show
python3 -c '
import json, sys
d = json.loads(open("out.txt", "rb").read().decode("utf-8"))
sys.exit(0 if d["note"] == sys.argv[1] else 1)' "$note" || fail "json note: $(cat out.txt)"
run 0 "$B" -t t.conf --json trust list
json trust list
[ "$(wc -l <out.txt)" -eq 2 ] || fail "trust list --json: $(cat out.txt)"
run 0 "$B" -t t.conf --json trust set orgb note "$note"
json trust set
run 0 "$B" -t t.conf --json trust check orgb list 192.0.2.0/24
json trust check
run 1 "$B" -t t.conf --json trust check orgb list 203.0.113.0/24
json trust check refused

# file names that are not UTF-8 come out as U+FFFD in JSON
k=$(printf 'k\377\033.key')
run 0 "$B" --json -k "$k" keygen -c "Org K"
json keygen "$k"
grep -q 'k\\ufffd\\u001b.key' out.txt || fail "keygen file name: $(cat out.txt)"
run 0 "$B" -t t.conf --json trust add orgk "$k"
json trust add orgk
run 0 "$B" --json -k "$k" trust rotate -o "$k.new" -s "$k.roll"
json trust rotate
run 0 "$B" -t t.conf --json trust apply "$k.roll"
json trust apply rollover
run 0 "$B" -t t.conf trust apply "$k.roll"
clean trust apply again
run 0 "$B" --json -k "$k" trust revoke -r compromised -s "$k.rev"
json trust revoke
run 0 "$B" -t t.conf --json trust apply "$k.rev"
json trust apply revocation
run 0 "$B" -t t.conf --json trust show orgk
json trust show orgk
run 0 "$B" -t t.conf --json trust remove orgk
json trust remove
run 0 "$B" --json version
json version

finish trust_partner_json
