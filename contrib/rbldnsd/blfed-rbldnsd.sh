#!/bin/sh
# blfed-rbldnsd.sh - run rbldnsd on a blfed export (blfed-export.5).
#
#   blfed-rbldnsd.sh DIR ZONE [ADDRESS/PORT] [USER]
#
# DIR is blfed's export directory itself, or a copy pulled with rsync.
# Each dataset is the head file first (it holds $SOA, $NS, $TTL,
# $TIMESTAMP and the test points) and then every shard, in order; the list
# is read from the MANIFEST so that it follows the shard configuration.
# In an export directory the files are named through its symlink, as
# current/FILE under -r DIR: every export is a new generation directory
# that current is switched to, and rbldnsd's periodic stat of current/FILE
# sees the new files.  (Never give rbldnsd DIR/current itself as its
# directory: it would resolve the link once and stay in that generation.)
# Restart the script when the shard configuration changes.
# rbldnsd refuses to run as root: -u drops to USER (default rbldns).  It
# polls the files every -c seconds and reloads a dataset whose files
# changed (blfed advances the mtime of every changed file); -f keeps
# answering during a reload at the cost of a second copy in memory.
# With BLFED_ORIGINS=yes in the environment, the per-origin zones of
# export-per-origin (origin.NAME.ip4, .ip6) are served too, as NAME.ZONE,
# each after its family's head file; origins added later need a restart.
# In a systemd unit:
#   ExecStart=/usr/local/share/blfed/blfed-rbldnsd.sh /var/lib/blfed/export bl.example.org 0.0.0.0/53
# (or the directory an rsync pull fills, /var/lib/rbldnsd/blfed)
set -eu
dir=${1:?usage: blfed-rbldnsd.sh DIR ZONE [ADDRESS/PORT] [USER]}
zone=${2:?usage: blfed-rbldnsd.sh DIR ZONE [ADDRESS/PORT] [USER]}
bind=${3:-0.0.0.0/53}
user=${4:-rbldns}

sub=
[ -L "$dir/current" ] && sub=current/
files() { # family -> head,shard,shard,...
	# MANIFEST is sorted by name: the head comes before s00, s01, ...
	sed -n "s/^# file \(rbldnsd-$1\.[a-z0-9]*\) .*/\1/p" "$dir/${sub}MANIFEST" |
		awk -v p="$sub" 'BEGIN { ORS="" } { print (NR > 1 ? "," : "") p $0 }'
}
ip4=$(files ip4)
ip6=$(files ip6)
[ -n "$ip4" ] || { echo "blfed-rbldnsd: no rbldnsd files in $dir/${sub}MANIFEST" >&2; exit 2; }
set -- "$zone:ip4trie:$ip4" "$zone:ip6trie:$ip6"
if [ "${BLFED_ORIGINS:-no}" = yes ]; then
	for f in $(sed -n 's/^# file \(origin\.[A-Za-z0-9._-]*\.ip[46]\) .*/\1/p' "$dir/${sub}MANIFEST"); do
		name=${f#origin.}
		fam=${name##*.}
		name=${name%.*}
		set -- "$@" "$name.$zone:${fam}trie:${sub}rbldnsd-$fam.head,$sub$f"
	done
fi
exec rbldnsd -n -f -u "$user" -r "$dir" -b "$bind" -c 60 "$@"
