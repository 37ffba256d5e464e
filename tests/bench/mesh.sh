#!/bin/sh
# mesh.sh BUILD - AGENTS agents on one machine in a random mesh (a ring
# plus random chords: three peers each on average); the first ORIGINS of
# them each publish TOTAL/ORIGINS operations (deltas of 1000) as fast as
# they can; time until every agent holds every origin's newest seq, and
# the resident memory of each agent then.  (make bench-net runs the line;
# this one is run by hand: AGENTS=30 ORIGINS=5 TOTAL=1000000 sh
# tests/bench/mesh.sh build)
. "$(dirname "$0")/../integration/lib.sh"
PROBE=$BUILD/tools/blf_probe
AGENTS=${AGENTS:-30}
ORIGINS=${ORIGINS:-5}
TOTAL=${TOTAL:-1000000}
ms() { echo $(($(date +%s%N) / 1000000)); }

i=1
while [ $i -le "$AGENTS" ]; do agent "N$i"; i=$((i + 1)); done
origins=""
i=1
while [ $i -le "$ORIGINS" ]; do origins="$origins N$i"; i=$((i + 1)); done
i=1
while [ $i -le "$AGENTS" ]; do
	# shellcheck disable=SC2086
	trust "N$i" $origins
	i=$((i + 1))
done
# ring + chords, symmetric
python3 - "$AGENTS" >"$T/edges" <<'PY'
import random, sys
n = int(sys.argv[1]); random.seed(7)
e = set((i, (i + 1) % n) for i in range(n))
while len(e) < n * 3 // 2:
    a, b = random.sample(range(n), 2)
    if (a, b) not in e and (b, a) not in e:
        e.add((a, b))
for a, b in sorted(e):
    print(a + 1, b + 1)
PY
i=1
while [ $i -le "$AGENTS" ]; do
	peers=$(awk -v i=$i '$1 == i { print "N" $2 } $2 == i { print "N" $1 }' "$T/edges")
	# shellcheck disable=SC2086
	EXTRA="heads-interval 1s
catchup-timeout 5s" conf "N$i" $peers
	start "N$i"
	i=$((i + 1))
done
sleep 2
t0=$(ms)
loaders=""
for o in $origins; do
	"$PROBE" -c "ipc://$T/$o.sock" -L 100000000 -b 1000 -t 600 -N $((TOTAL / ORIGINS)) >"$T/$o.load" &
	loaders="$loaders $!"
done
for p in $loaders; do wait "$p"; done
t1=$(ms)
echo "published $TOTAL operations from $ORIGINS origins in $((t1 - t0)) ms"
python3 - "$B" "$T" "$AGENTS" $origins <<'PY'
import json, subprocess, sys, time
b, t, n, origins = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def status(a):
    out = subprocess.run([b, "-s", "%s/N%d.sock" % (t, a), "--json", "status"],
                         capture_output=True, text=True).stdout
    return {o["name"]: o["seq"] for o in json.loads(out)["origins"]}
want = {o: status(int(o[1:]))[o] for o in origins}
start = time.time()
while time.time() - start < 600:
    lag = [a for a in range(1, n + 1) if status(a) != want]
    if not lag:
        break
    time.sleep(0.5)
print("converged" if not lag else "NOT converged: %d agents behind" % len(lag),
      "%.1f s after the last publish" % (time.time() - start))
PY
t2=$(ms)
echo "every agent holds every delta $((t2 - t0)) ms after the first publish"
rss=""
for p in $PIDS; do rss="$rss $(awk '/VmRSS/ { print $2 }' /proc/$p/status)"; done
echo "$rss" | tr ' ' '\n' | sort -n | awk 'NF { a[n++] = $1 } END {
	printf "resident memory per agent: min %d MiB, median %d MiB, max %d MiB\n",
		a[0] / 1024, a[int(n / 2)] / 1024, a[n - 1] / 1024 }'
finish mesh
