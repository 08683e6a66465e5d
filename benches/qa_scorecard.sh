#!/usr/bin/env bash
# End-to-end QA scoring benchmark (issue 4): `SELECT * FROM qa_scorecard` through psql against a
# release server, median of N warm runs, wall time and the server's CPU time per query.
#   benches/qa_scorecard.sh [DATA_ROOT] [RUNS]
# DATA_ROOT defaults to /tmp/callqa-sf1, generated at SF1 if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/tmp/callqa-sf1}"
runs="${2:-5}"
bin=target/release/callqa
cargo build --release --quiet
if [ ! -d "$data/utterances" ]; then
  "$bin" generate --calls 100000 --days 30 --agents 400 --seed 1 --out "$data" --quiet
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --data "$data" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do psql -h 127.0.0.1 -p "$port" -U analyst callqa -XqAt -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
utterances=$(psql -h 127.0.0.1 -p "$port" -U analyst callqa -XqAt -c 'select count(*) from utterances')
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }

measure() { # label, sql
  local walls=() cpus=()
  psql -h 127.0.0.1 -p "$port" -U analyst callqa -XqAt -c "$2" -o /dev/null # warm-up
  for _ in $(seq "$runs"); do
    local c0 t0 t1 c1
    c0=$(cpu); t0=$(date +%s.%N)
    psql -h 127.0.0.1 -p "$port" -U analyst callqa -XqAt -c "$2" -o /dev/null
    t1=$(date +%s.%N); c1=$(cpu)
    walls+=("$(echo "$t1 - $t0" | bc)"); cpus+=("$(echo "($c1 - $c0) / $ticks" | bc -l)")
  done
  python3 - "$1" "$utterances" "$(nproc)" "${walls[*]}" "${cpus[*]}" <<'PY'
import statistics, sys
label, n, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
wall = statistics.median(map(float, sys.argv[4].split()))
cpu = statistics.median(map(float, sys.argv[5].split()))
print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {n / wall / 1e6:.2f} M/s | "
      f"{n / wall / cores / 1e6:.2f} M/s | {n / cpu / 1e6:.2f} M/s |")
PY
}

echo "$utterances utterances, $(nproc) cores, $runs runs each (median)"
echo "| query | wall | server CPU | utterances/s | per core (wall) | per CPU-second |"
echo "|---|---|---|---|---|---|"
measure '`select * from qa_scorecard`' 'select * from qa_scorecard'
measure 'the same, `target_partitions = 1`' 'set datafusion.execution.target_partitions = 1; select * from qa_scorecard'
measure 'scorecard summed in the server (no rows to the client)' 'select count(*), avg(score), count(*) filter (where auto_fail) from qa_scorecard'
measure '`qa_evaluate` per call, verdicts used' 'select sum(cardinality(v)) from (select qa_evaluate(u.speaker, u.start_ms, u.end_ms, u.text, c.queue) v from utterances u join calls c using (call_id) group by u.call_id)'
