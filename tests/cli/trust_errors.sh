#!/bin/sh
# trust_errors.sh TMPDIR - every wrong input to the trust commands exits 2
# with exactly one line on stderr naming what is wrong, prints nothing on
# stdout, and leaves the trust store byte for byte as it was.
. "$(dirname "$0")/lib/common.sh"

"$B" -k a.key keygen -c A >a.pub || exit 2
"$B" -k b.key keygen -c B >b.pub || exit 2
"$B" -k c.key keygen -c C >c.pub || exit 2
"$B" -t s.trust trust add orgb b.pub --scope 198.51.100.0/24 >/dev/null || exit 2
cp s.trust ref.trust
printf 'not a statement\n' >garbage.bin
KB64=$(cut -d' ' -f3 c.pub)

# bad MESSAGE-REGEX args... : exit 2, one stderr line "blfed: ..." matching
# the regex, empty stdout, store unchanged.
bad() {
	re=$1
	shift
	"$B" -t s.trust -k a.key "$@" >out.txt 2>err.txt
	rc=$?
	[ "$rc" -eq 2 ] || fail "exit $rc (want 2): $*"
	[ "$(wc -l <err.txt)" -eq 1 ] || fail "not one line on stderr: $* :: $(cat err.txt)"
	grep -q "^blfed: " err.txt || fail "message does not start with blfed: :: $(cat err.txt)"
	grep -q -- "$re" err.txt || fail "message for [$*] is [$(cat err.txt)], want /$re/"
	[ -s out.txt ] && fail "output on stdout for [$*]: $(cat out.txt)"
	cmp -s s.trust ref.trust || { fail "store changed by: $*"; cp ref.trust s.trust; }
}

# trust add
bad 'trust add: anchor orgb: name already used' trust add orgb c.pub
bad 'key already belongs to anchor orgb' trust add other b.pub
bad '^blfed: trust add: scope 10.0.0.0/33: prefix length out of range$' \
	trust add orgc c.pub --scope 10.0.0.0/33
bad 'scope 10.0.0.1/8: prefix has host bits set' trust add orgc c.pub --scope 10.0.0.1/8
bad 'scope foo: invalid prefix syntax' trust add orgc c.pub --scope 10.0.0.0/8,foo
bad 'authority ::ffff:1.2.3.4: IPv4-mapped' trust add orgc c.pub --authority ::ffff:1.2.3.4
bad 'scope 010.0.0.0/8' trust add orgc c.pub --scope 010.0.0.0/8
bad 'scope 10.0.0.0/8: listed twice' trust add orgc c.pub --scope 10.0.0.0/8,10.0.0.0/8
bad 'permissions publish: unknown permission' trust add orgc c.pub --permissions list,publish
bad 'relay-only cannot be combined' trust add orgc c.pub --permissions relay-only,list
bad 'max-prefix 33/48: IPv4 length must be 0 to 32' trust add orgc c.pub --max-prefix 33/48
bad 'max-prefix 24: expected two lengths' trust add orgc c.pub --max-prefix 24
bad 'weight abc: expected a number' trust add orgc c.pub --weight abc
bad 'weight 99999999: expected a number from 0 to 1000000' trust add orgc c.pub --weight 99999999
bad 'expires 2027-13-01: expected "never" or an RFC 3339' trust add orgc c.pub --expires 2027-13-01
bad 'rollover maybe: expected accept or refuse' trust add orgc c.pub --rollover maybe
bad 'public key: wrong length (3 bytes, expected 32)' trust add orgc AAAA
bad 'public key: wrong length (31 bytes, expected 32)' \
	trust add orgc AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==
bad 'public key: key id does not match the key' \
	trust add orgc blfed-ed25519 00000000000000000000000000000000 "$KB64"
bad 'unknown key type "ssh-ed25519"' trust add orgc ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 x
bad 'this is a secret key line' trust add orgc "$(tail -1 c.key)"
bad 'name "a b"' trust add "a b" c.pub
bad 'longer than 63 characters' trust add aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa c.pub
bad 'missing argument; usage: blfed trust add' trust add orgc
bad 'unknown option --scopes' trust add orgc c.pub --scopes 10.0.0.0/8
bad 'option --scope needs a value' trust add orgc c.pub --scope
bad 'origin 123: expected a key id' trust add orgc c.pub --origin 123
# other trust commands
bad 'unknown command "frob"' trust frob
bad 'missing subcommand' trust
bad 'unknown command "frob"' frob
bad 'trust remove: no anchor named "nope"' trust remove nope
bad 'trust set: no anchor named "nope"' trust set nope weight 1
bad 'weight x: expected a number' trust set orgb weight x
bad 'weight -1: expected a number' trust set orgb weight -1
bad 'unknown field "--scope"' trust set orgb --scope 10.0.0.0/8
bad 'unknown field "colour"' trust set orgb colour red
bad 'missing argument' trust set orgb
bad 'scope: missing value' trust set orgb scope
bad 'key: this key is already an old key\|key: wrong length' trust set orgb key AAAA
bad 'key already belongs to anchor orgb' trust add orgc "$(cat b.pub)"
bad 'operation "publish": expected list, delist, exclude or unexclude' \
	trust check orgb publish 198.51.100.0/24
bad 'prefix 198.51.100.0/33: prefix length out of range' trust check orgb list 198.51.100.0/33
bad 'prefix 198.51.100.1/24: prefix has host bits set' trust check orgb list 198.51.100.1/24
bad 'no anchor named "nope"' trust check nope list 198.51.100.0/24
bad -- '--at yesterday: expected an RFC 3339' trust check orgb list 198.51.100.0/24 --at yesterday
bad 'trust show: no anchor named "nope"' trust show nope
bad 'too many arguments' trust list extra
bad 'trust apply: missing.bin: No such file' trust apply missing.bin
bad 'garbage.bin: not a blfed statement' trust apply garbage.bin
bad 'reason "because": expected unspecified' trust revoke -r because
bad 'key file missing.key: No such file' trust revoke missing.key
bad -- '--overlap 100d: expected a duration' trust rotate --overlap 100d
bad -- '--overlap 7x: expected a duration' trust rotate --overlap 7x
bad 'key file a.key already exists; not overwriting it' keygen -o a.key
bad 'comment: at most' keygen -o new.key -c "$(printf 'bad\tcomment')"
bad 'unknown subcommand "frobnicate"' key frobnicate
bad 'missing.pub: No such file' key show missing.pub
bad 'unknown option -x' -x trust list
[ -e new.key ] && fail "keygen left new.key behind"

# global option without its value
"$B" -t >out.txt 2>err.txt
[ $? -eq 2 ] && grep -q 'option -t needs a file name' err.txt || fail "-t without a value: $(cat err.txt)"
"$B" >out.txt 2>err.txt
[ $? -eq 2 ] && grep -q 'no command given' err.txt || fail "no command: $(cat err.txt)"

# rotate never overwrites: the statement path exists -> nothing is created
cp ref.trust taken.rollover
"$B" -k a.key trust rotate -o fresh.key -s taken.rollover >out.txt 2>err.txt
[ $? -eq 2 ] && grep -q 'taken.rollover already exists' err.txt || fail "rotate over file: $(cat err.txt)"
[ -e fresh.key ] && fail "rotate left fresh.key behind"

# a broken store: every command that reads it names file and line
printf 'anchor x\n  key %s\n  scope 10.0.0.0/8\n  weight lots\n' "$KB64" >broken.trust
cp broken.trust broken.ref
for cmd in "trust list" "trust show x" "trust check x list 10.0.0.0/24" "trust remove x" \
	"trust add y b.pub" "trust set x weight 1"; do
	# shellcheck disable=SC2086
	"$B" -t broken.trust $cmd >out.txt 2>err.txt
	rc=$?
	[ "$rc" -eq 2 ] || fail "broken store, $cmd: exit $rc"
	grep -q '^blfed: trust [a-z]*: broken.trust:4: weight lots: expected a number from 0 to 1000000: `weight lots`$' err.txt ||
		fail "broken store, $cmd: $(cat err.txt)"
	cmp -s broken.trust broken.ref || fail "broken store changed by $cmd"
done

# help and version work and exit 0
"$B" help >out.txt 2>&1 && grep -q 'blfed trust rotate' out.txt || fail "help"
"$B" -h >out.txt 2>&1 && grep -q 'exit status' out.txt || fail "-h"
"$B" -V >out.txt 2>&1 && grep -q '^blfed [0-9]' out.txt || fail "-V"
"$B" version >out.txt 2>&1 && grep -q '^blfed [0-9]' out.txt || fail "version"

finish trust_errors
