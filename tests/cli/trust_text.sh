#!/bin/sh
# trust_text.sh TMPDIR - a partner's public key file or a store whose text
# holds C1 controls (CSI), bidirectional overrides or invalid UTF-8 is
# refused, and nothing of it reaches the terminal; text in any script is
# kept, and --json output is valid UTF-8 JSON.
. "$(dirname "$0")/lib/common.sh"

run 0 "$B" -k a.key keygen -c "Org A"
base=$(cut -d' ' -f1-3 out.txt)

raw() {
	# out.txt and err.txt hold no C1 CSI, ESC, RLO or invalid UTF-8
	if LC_ALL=C grep -q "$(printf '\302\233\|\033\|\342\200\256\|\377')" out.txt err.txt; then
		fail "raw control bytes printed by: $*"
	fi
}

for c in '\302\2332J' '\033[2J' 'evil\342\200\256gpj.exe' 'bad \377 utf8' '\342\201\246x'; do
	printf "%s $c\n" "$base" >p.pub
	run 2 "$B" key show p.pub
	raw key show "$c"
	grep -q "bidirectional" err.txt || fail "key show $c: $(cat err.txt)"
	run 2 "$B" -t t.conf trust add orgp p.pub
	raw trust add "$c"
	run 2 "$B" -t t.conf trust add orgp "$base" --note "$(printf "$c")"
	raw trust add --note "$c"
done
[ -f t.conf ] && fail "a refused add wrote the store"

# a hand-edited store with a bidi override in a note is refused
printf 'anchor orga\n    key %s\n    note ASCT \342\200\256tsil\n' "$base" >h.conf
run 2 "$B" -t h.conf trust show orga
raw trust show
grep -q "^blfed: trust show: h.conf:3: note: not UTF-8 text" err.txt ||
	fail "store: $(cat err.txt)"

# text in any script is kept, in the human and the JSON output
note=$(printf '\344\270\255\345\233\275 Anti-Spam "ASCT" \303\251')
run 0 "$B" -t t.conf trust add orga "$base Org \344\270\255\345\233\275" --note "$note"
run 0 "$B" -t t.conf trust show orga
grep -qF "note         $note" out.txt || fail "show: $(cat out.txt)"
run 0 "$B" -t t.conf --json trust show orga
python3 -c '
import json, sys
d = json.loads(open("out.txt", "rb").read().decode("utf-8"))
sys.exit(0 if d["note"].startswith("\u4e2d\u56fd") else 1)' || fail "json: $(cat out.txt)"
run 0 "$B" -k a.key --json key show
python3 -c 'import json; json.loads(open("out.txt", "rb").read().decode("utf-8"))' ||
	fail "key show json: $(cat out.txt)"

finish trust_text
