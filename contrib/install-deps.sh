#!/bin/sh
# install-deps.sh - install the Debian packages blfed needs to build, test
# and run its demo, if any are missing.  Uses apt-get, through sudo when not
# root.  Quiet when everything is already there.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev libsodium-dev libnng-dev
libmsgpack-dev libcmocka-dev mandoc python3 python3-msgpack python3-nacl
rsync rbldnsd dnsutils postfix ipset iproute2"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

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
