#!/bin/sh
# trust_concurrent.sh TMPDIR - concurrent `blfed trust add` commands all
# land: the edit lock serialises load-modify-save.
set -u
dir=$1
cd "$dir" || exit 2
n=16
i=1
while [ $i -le $n ]; do
	"$BLFED" keygen -o "k$i.key" -c "org $i" >"k$i.pub" || { echo "keygen $i failed"; exit 1; }
	i=$((i + 1))
done
i=1
while [ $i -le $n ]; do
	"$BLFED" -t trust.conf trust add "org$i" "k$i.pub" --scope 192.0.2.0/24 >/dev/null &
	i=$((i + 1))
done
wait
got=$("$BLFED" -t trust.conf --json trust list | grep -c '"name":"org')
if [ "$got" -ne $n ]; then
	echo "trust_concurrent: $got of $n concurrent adds survived"
	exit 1
fi
echo "trust_concurrent: ok"
