#!/usr/bin/env bash
# The fault script (issue 6): one running server with users, required TLS and a memory limit;
# psql and raw sockets cancel, time out, exceed memory, vanish mid-stream, send garbage, use a
# wrong password and plain text; after all of it the server must still answer correctly.
# Prints what each client saw (message and SQLSTATE). Usage: .ci/faults.sh [CALLQA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/callqa}"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo 's3cret' | "$bin" user add lena --role analyst --users "$work/users" >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
"$bin" serve --listen "127.0.0.1:$port" --users "$work/users" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --require-tls \
  --memory-limit 64MB --spill-dir "$work/spill" >"$work/server.out" 2>"$work/server.err" &
server=$!
conn="host=127.0.0.1 port=$port user=lena dbname=callqa sslmode=require connect_timeout=10"
q() { PGPASSWORD="${PASSWORD:-s3cret}" psql -X -A -t -v VERBOSITY=verbose "$@"; }
for _ in $(seq 100); do q "$conn" -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done

failures=0
expect() { # name, pattern, output
  if grep -q -- "$2" <<<"$3"; then
    echo "ok   $1: $(grep -m1 -- 'ERROR\|FATAL\|error' <<<"$3" || head -1 <<<"$3")"
  else
    echo "FAIL $1: expected '$2', saw: $3"; failures=$((failures + 1))
  fi
}

calls=$(q "$conn" -c 'select count(*) from calls')
score=$(q "$conn" -c 'select round(avg(score), 6) from qa_scorecard')
expect "baseline" '^3000$' "$calls"

out=$(PASSWORD=wrong q "$conn" -c 'select 1' 2>&1 || true)
expect "wrong password (28P01)" 'password authentication failed for user "lena"' "$out"

out=$(q "${conn/sslmode=require/sslmode=disable}" -c 'select 1' 2>&1 || true)
expect "plain text when TLS is required (28000)" 'requires TLS' "$out"

big='select count(*) from utterances a cross join utterances b where a.text < b.text'
out=$(q "$conn" -c "set statement_timeout = '300ms'" -c "$big" 2>&1 || true)
expect "statement timeout (57014)" '57014' "$out"

# psql itself in the background (not a shell function), so the signal reaches it.
PGPASSWORD=s3cret psql -X -A -t -v VERBOSITY=verbose "$conn" -c "$big" >"$work/cancel.out" 2>&1 &
client=$!
sleep 1.5
started=$(date +%s.%N)
kill -INT "$client"
wait "$client" || true
took=$(echo "$(date +%s.%N) - $started" | bc)
expect "cancel request (57014, ${took}s after Ctrl-C)" 'canceling statement due to user request' "$(cat "$work/cancel.out")"

out=$(q "$conn" -c 'select cardinality(array_agg(a.text || b.agent_id)) from utterances a cross join agents b' 2>&1 || true)
expect "over the memory limit (53200)" '53200' "$out"

PGPASSWORD=s3cret psql -X "$conn" -c 'select u.text, c.agent_id from utterances u cross join calls c' >/dev/null 2>&1 &
client=$!
sleep 1.5
kill -9 "$client"
wait "$client" 2>/dev/null || true
echo "ok   client killed mid-stream (kill -9 psql)"

python3 - "$port" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
def send(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(data)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()
send(b"GET / HTTP/1.1\r\nHost: callqa\r\n\r\n")
send(struct.pack("!II", 0x7FFFFFF0, 196608) + b"user\0x\0\0")
send(bytes(range(256)) * 64)
print("ok   malformed packets: HTTP request, 2 GB startup length, 16 KB of bytes 0..255: each connection closed")
PY

out=$(q "$conn" -c 'select count(*) from calls')
expect "still answers: calls" "^$calls\$" "$out"
out=$(q "$conn" -c 'select round(avg(score), 6) from qa_scorecard')
expect "still answers: mean QA score $score" "^$score\$" "$out"
kill -0 "$server" || { echo "FAIL the server is gone"; failures=$((failures + 1)); }
[ -z "$(ls -A "$work/spill" 2>/dev/null)" ] || [ -z "$(find "$work/spill" -type f)" ] \
  || { echo "FAIL spill files left behind"; failures=$((failures + 1)); }

if [ "$failures" -gt 0 ]; then
  echo "fault script: $failures failure(s)"; cat "$work/server.err" | tail -20; exit 1
fi
echo "fault script: all faults handled, server answered correctly afterwards"
