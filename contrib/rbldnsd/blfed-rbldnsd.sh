#!/bin/sh
# blfed-rbldnsd.sh - run rbldnsd on a blfed export (blfed-export.5).
#
#   blfed-rbldnsd.sh DIR ZONE [ADDRESS/PORT] [USER]
#
# Each dataset is the head file first (it holds $SOA, $NS, $TTL,
# $TIMESTAMP and the test points) and then every shard, in order; the list
# is read from DIR's MANIFEST so that it follows the shard configuration.
# rbldnsd refuses to run as root: -u drops to USER (default rbldns).  It
# polls the files every -c seconds and reloads a dataset whose files
# changed (blfed advances the mtime of every changed file); -f keeps
# answering during a reload at the cost of a second copy in memory.
# With BLFED_ORIGINS=yes in the environment, the per-origin zones of
# export-per-origin (origin.NAME.ip4, .ip6) are served too, as NAME.ZONE,
# each after its family's head file; origins added later need a restart.
# In a systemd unit:
#   ExecStart=/usr/local/share/blfed/blfed-rbldnsd.sh /var/lib/rbldnsd/blfed bl.example.org 0.0.0.0/53
set -eu
dir=${1:?usage: blfed-rbldnsd.sh DIR ZONE [ADDRESS/PORT] [USER]}
zone=${2:?usage: blfed-rbldnsd.sh DIR ZONE [ADDRESS/PORT] [USER]}
bind=${3:-0.0.0.0/53}
user=${4:-rbldns}

files() { # family -> head,shard,shard,...
	# MANIFEST is sorted by name: the head comes before s00, s01, ...
	sed -n "s/^# file \(rbldnsd-$1\.[a-z0-9]*\) .*/\1/p" "$dir/MANIFEST" |
		awk 'BEGIN { ORS="" } { print (NR > 1 ? "," : "") $0 }'
}
ip4=$(files ip4)
ip6=$(files ip6)
[ -n "$ip4" ] || { echo "blfed-rbldnsd: no rbldnsd files in $dir/MANIFEST" >&2; exit 2; }
set -- "$zone:ip4trie:$ip4" "$zone:ip6trie:$ip6"
if [ "${BLFED_ORIGINS:-no}" = yes ]; then
	for f in $(sed -n 's/^# file \(origin\.[A-Za-z0-9._-]*\.ip[46]\) .*/\1/p' "$dir/MANIFEST"); do
		name=${f#origin.}
		fam=${name##*.}
		name=${name%.*}
		set -- "$@" "$name.$zone:${fam}trie:rbldnsd-$fam.head,$f"
	done
fi
exec rbldnsd -n -f -u "$user" -r "$dir" -b "$bind" -c 60 "$@"
