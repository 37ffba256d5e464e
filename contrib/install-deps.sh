#!/bin/sh
# install-deps.sh - install the Debian packages blfed needs to build, test
# and run its demo, if any are missing.  Uses apt-get, through sudo when not
# root.  Quiet when everything is already there.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev libsodium-dev libnng-dev
libmsgpack-dev libcmocka-dev libssl-dev mandoc python3 python3-msgpack python3-nacl
rsync rbldnsd dnsutils postfix ipset iproute2 iprange
gettext locales"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# glibc translates only in a locale that exists: the message catalogs are
# tested under zh_CN.UTF-8 and en_US.UTF-8, which a fresh system lacks.
gen_locales() {
	for l in zh_CN en_US; do
		locale -a 2>/dev/null | grep -qix "$l.utf-\{0,1\}8" && continue
		[ -d /usr/share/i18n/locales ] || return 0
		s=""
		[ "$(id -u)" -eq 0 ] || s="sudo"
		echo "install-deps: generating the $l.UTF-8 locale"
		$s localedef -i "$l" -f UTF-8 "$l.UTF-8" || echo "install-deps: cannot generate $l.UTF-8" >&2
	done
}
if [ -z "$missing" ]; then gen_locales; exit 0; fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: need root or sudo to install:$missing" >&2
	exit 2
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# postfix asks for a configuration type: "No configuration" is all the tests need.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
gen_locales
