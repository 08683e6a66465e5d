#!/usr/bin/env python3
"""Side-by-side benchmark of callqa against DuckDB and chDB on the same Parquet files (issue 8).

    python benches/peers/run.py --data /work/bench/sf1 --runs 5 [--out FILE] [--only 01,07]

Engines, each in a worker process of its own (so peak RSS is per engine):
  callqa-pgwire   `target/release/callqa serve` on a free port, client psycopg 3 with binary
                  results (the worker is the client; RSS reported is the server's VmHWM)
  callqa          in-process: `target/release/examples/bench_queries --stdin` (DataFusion collect)
  duckdb          views over read_parquet(..., hive_partitioning = true), results as Arrow
  chdb            views over file(..., Parquet) with use_hive_partitioning = 1, results as Arrow

Queries: benches/queries/NN_name.sql (callqa's SQL). A peer uses benches/queries/<peer>/NN_name.sql
when it exists (a documented rewrite); a rewrite whose first line holds `no equivalent` skips the
peer; `approximate` marks a rewrite that computes a similar but not identical answer (its timing
is shown but kept out of the geometric mean, and its values are not compared).

Per query: one warm-up run per engine (whose result is compared across engines: row count and
the sum of every numeric column), then --runs timed runs, the engines alternating in each round;
the median is reported. Timings include materializing the whole result in the client (Arrow
batches in-process, Python rows through pgwire).
"""

import argparse
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "benches" / "queries"
TABLES = ["calls", "utterances", "audio_features", "surveys"]
ENGINES = ["callqa", "callqa-pgwire", "duckdb", "chdb"]
PEERS = ["duckdb", "chdb"]


# ---------------------------------------------------------------- workers (child processes)

def emit(obj):
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def summarize_arrow(table):
    import pyarrow as pa
    import pyarrow.compute as pc
    sums = []
    for col in table.columns:
        t = col.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            s = pc.sum(pc.cast(col, pa.float64())).as_py()
            sums.append(float(s) if s is not None else None)
        else:
            sums.append(None)
    return {"rows": table.num_rows, "sums": sums, "columns": table.num_columns}


def summarize_rows(rows, ncols):
    from decimal import Decimal
    sums = [None] * ncols
    numeric = [True] * ncols
    for row in rows:
        for i, v in enumerate(row):
            if v is None or not numeric[i]:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
                numeric[i] = False
                sums[i] = None
                continue
            sums[i] = (sums[i] or 0.0) + float(v)
    return {"rows": len(rows), "sums": [s if numeric[i] else None for i, s in enumerate(sums)],
            "columns": ncols}


def worker_duckdb(data):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for t in TABLES:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{data}/{t}/*/*.parquet', "
                    "hive_partitioning = true)")
    con.execute(f"CREATE VIEW agents AS SELECT * FROM read_parquet('{data}/agents/*.parquet')")
    emit({"ready": True, "version": duckdb.__version__})
    for line in sys.stdin:
        try:
            sql = Path(line.strip()).read_text()
            t0 = time.perf_counter()
            table = con.sql(sql).to_arrow_table()
            ms = (time.perf_counter() - t0) * 1000
            emit({"ms": ms, **summarize_arrow(table)})
        except Exception as err:  # reported, the worker goes on
            emit({"error": f"{type(err).__name__}: {err}"})


def worker_chdb(data):
    import chdb
    from chdb import session
    s = session.Session()
    s.query("CREATE DATABASE IF NOT EXISTS bench ENGINE = Atomic")
    s.query("USE bench")
    for t in TABLES:
        s.query(f"CREATE OR REPLACE VIEW bench.{t} AS SELECT * FROM file('{data}/{t}/*/*.parquet', Parquet)")
    s.query(f"CREATE OR REPLACE VIEW bench.agents AS SELECT * FROM file('{data}/agents/*.parquet', Parquet)")
    settings = ("SETTINGS use_hive_partitioning = 1, join_use_nulls = 1, session_timezone = 'UTC'")
    emit({"ready": True, "version": chdb.__version__,
          "server": str(s.query("SELECT version()", "CSV")).strip().strip('"')})
    for line in sys.stdin:
        try:
            sql = Path(line.strip()).read_text().rstrip().rstrip(";")
            sql = f"{sql}\n{settings}"
            t0 = time.perf_counter()
            table = s.query(sql, "ArrowTable")
            ms = (time.perf_counter() - t0) * 1000
            emit({"ms": ms, **summarize_arrow(table)})
        except Exception as err:  # reported, the worker goes on
            emit({"error": f"{type(err).__name__}: {err}"})


def worker_pgwire(port):
    import psycopg
    conn = psycopg.connect(host="127.0.0.1", port=port, user="analyst", dbname="callqa",
                           autocommit=True)
    emit({"ready": True, "version": psycopg.__version__})
    for line in sys.stdin:
        try:
            sql = Path(line.strip()).read_text()
            t0 = time.perf_counter()
            with conn.cursor(binary=True) as cur:
                cur.execute(sql)
                rows = cur.fetchall()
                ncols = len(cur.description or [])
            ms = (time.perf_counter() - t0) * 1000
            emit({"ms": ms, **summarize_rows(rows, ncols)})
        except Exception as err:  # reported, the worker goes on
            emit({"error": f"{type(err).__name__}: {err}"})


# ---------------------------------------------------------------- orchestration

class Worker:
    def __init__(self, name, argv, env=None):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1, env=env)
        self.hello = self.read()

    def read(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name}: worker exited ({self.proc.wait()})")
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)

    def run(self, path):
        self.proc.stdin.write(str(path) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()


def vm_hwm_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(binary, data):
    port = free_port()
    while port in (5433, 5544, 5545):
        port = free_port()
    proc = subprocess.Popen([str(binary), "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                             "--statement-timeout", "0",
                             # Every query runs 1 + --runs times in a row: time the engine,
                             # not the result cache (its effect is measured on its own).
                             "--result-cache-ttl-ms", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.perf_counter()
    deadline = t0 + 60
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"callqa serve exited: {proc.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port, time.perf_counter() - t0
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("callqa serve did not start within 60 s")


def query_file(engine, qfile):
    """(path, kind) for an engine: kind is exact | approximate | none."""
    if engine in PEERS:
        rewrite = QUERIES / engine / qfile.name
        if rewrite.exists():
            head = rewrite.read_text().splitlines()[0].lower() if rewrite.read_text() else ""
            if "no equivalent" in head:
                return None, "none"
            return rewrite, "approximate" if "approximate" in head else "exact"
    return qfile, "exact"


def close_enough(a, b):
    if a is None or b is None:
        return True
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def compare(ref, other):
    """Differences between two result summaries, as text ('' when they agree)."""
    problems = []
    if ref["rows"] != other["rows"]:
        problems.append(f"rows {ref['rows']} vs {other['rows']}")
    if ref["columns"] != other["columns"]:
        problems.append(f"columns {ref['columns']} vs {other['columns']}")
    else:
        for i, (a, b) in enumerate(zip(ref["sums"], other["sums"])):
            if not close_enough(a, b):
                problems.append(f"col {i + 1} sum {a:.6g} vs {b:.6g}")
    return "; ".join(problems)


def fmt_ms(ms):
    if ms is None:
        return "–"
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def fmt_kb(kb):
    return "–" if kb is None else f"{kb / 1024:.0f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/bench/sf1")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=None, help="markdown file (default target/bench-peers-<scale>.md)")
    ap.add_argument("--only", default=None, help="comma-separated query numbers or names")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--callqa-bin", default=str(REPO / "target" / "release" / "callqa"))
    ap.add_argument("--example-bin",
                    default=str(REPO / "target" / "release" / "examples" / "bench_queries"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker == "duckdb":
        return worker_duckdb(args.data)
    if args.worker == "chdb":
        return worker_chdb(args.data)
    if args.worker == "pgwire":
        return worker_pgwire(args.port)

    data = str(Path(args.data).resolve())
    engines = [e for e in args.engines.split(",") if e]
    qfiles = sorted(QUERIES.glob("[0-9][0-9]_*.sql"))
    if args.only:
        wanted = args.only.split(",")
        qfiles = [q for q in qfiles if any(q.stem.startswith(w) for w in wanted)]

    callqa_bin = Path(args.callqa_bin)
    example_bin = Path(args.example_bin)
    me = [sys.executable, str(Path(__file__).resolve())]
    workers, rss_pid, server, startup = {}, {}, None, None
    versions = {}
    try:
        for e in engines:
            if e == "callqa":
                w = Worker(e, [str(example_bin), "--data", data, "--stdin"])
                rss_pid[e] = w.proc.pid
                versions[e] = f"open {w.hello.get('open_ms', 0):.0f} ms"
            elif e == "callqa-pgwire":
                server, port, startup = start_server(callqa_bin, data)
                w = Worker(e, me + ["--worker", "pgwire", "--port", str(port)])
                rss_pid[e] = server.pid
                versions[e] = f"psycopg {w.hello['version']}, server up in {startup:.2f} s"
            elif e == "duckdb":
                w = Worker(e, me + ["--worker", "duckdb", "--data", data])
                rss_pid[e] = w.proc.pid
                versions[e] = f"duckdb {w.hello['version']}"
            elif e == "chdb":
                w = Worker(e, me + ["--worker", "chdb", "--data", data])
                rss_pid[e] = w.proc.pid
                versions[e] = f"chdb {w.hello['version']} (ClickHouse {w.hello.get('server')})"
            else:
                raise SystemExit(f"unknown engine {e}")
            workers[e] = w

        results = []
        for q in qfiles:
            res = {"query": q.stem, "times": {e: [] for e in engines}, "summary": {}, "kind": {},
                   "error": {}}
            files = {e: query_file(e, q) for e in engines}
            for e in engines:
                res["kind"][e] = files[e][1]
            live = [e for e in engines if files[e][0] is not None]
            # warm-up (and the result check)
            for e in list(live):
                try:
                    out = workers[e].run(files[e][0])
                except RuntimeError as err:
                    out = {"error": str(err)}
                if "error" in out:
                    res["error"][e] = out["error"].splitlines()[0][:160]
                    live.remove(e)
                    print(f"  {q.stem} {e}: ERROR {res['error'][e]}", file=sys.stderr)
                    if workers[e].proc.poll() is not None:
                        raise RuntimeError(f"{e} worker died on {q.stem}")
                else:
                    res["summary"][e] = out
            for r in range(args.runs):
                order = live[r % len(live):] + live[:r % len(live)] if live else []
                for e in order:
                    out = workers[e].run(files[e][0])
                    res["times"][e].append(out["ms"])
            res["median"] = {e: statistics.median(ts) if ts else None for e, ts in res["times"].items()}
            # result check against callqa (in-process if present)
            ref_engine = next((e for e in ("callqa", "callqa-pgwire") if e in res["summary"]), None)
            res["mismatch"] = {}
            if ref_engine:
                for e, summ in res["summary"].items():
                    if e == ref_engine or res["kind"][e] == "approximate":
                        continue
                    diff = compare(res["summary"][ref_engine], summ)
                    if diff:
                        res["mismatch"][e] = diff
            line = "  ".join(f"{e} {fmt_ms(res['median'][e])}" for e in engines)
            print(f"{q.stem}: {line} ms" + (f"  MISMATCH {res['mismatch']}" if res["mismatch"] else ""),
                  file=sys.stderr)
            results.append(res)

        rss = {e: vm_hwm_kb(pid) for e, pid in rss_pid.items()}
    finally:
        for w in workers.values():
            w.close()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()

    md = report(results, engines, rss, versions, data, args.runs)
    print(md)
    out = Path(args.out) if args.out else REPO / "target" / f"bench-peers-{Path(data).name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(md)
    (out.with_suffix(".json")).write_text(json.dumps({"results": results, "rss_kb": rss,
                                                      "versions": versions}, indent=1, default=str))
    print(f"written to {out}", file=sys.stderr)


def report(results, engines, rss, versions, data, runs):
    peers = [e for e in engines if e in PEERS]
    lines = []
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines.append(f"Data `{data}`, {runs} timed runs after one warm-up, median, engines alternating; "
                 f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, {now}.")
    lines.append("Versions: " + "; ".join(f"{e}: {v}" for e, v in versions.items()) + ".")
    lines.append("")
    head = ["query"] + [f"{e} ms" for e in engines]
    for base in ("callqa", "callqa-pgwire"):
        if base in engines:
            head += [f"{base} / {p}" for p in peers]
            head.append(f"{base} / best peer")
    head.append("rows")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    ratios = {}
    for res in results:
        row = [res["query"]]
        for e in engines:
            cell = fmt_ms(res["median"].get(e))
            if res["kind"].get(e) == "none":
                cell = "no equivalent"
            elif e in res["error"]:
                cell = "error"
            elif res["kind"].get(e) == "approximate":
                cell += " (≈)"
            if e in res["mismatch"]:
                cell += " ⚠"
            row.append(cell)
        for base in ("callqa", "callqa-pgwire"):
            if base not in engines:
                continue
            b = res["median"].get(base)
            best = None
            for p in peers:
                pm = res["median"].get(p)
                exact = res["kind"].get(p) == "exact" and p not in res["mismatch"]
                if b and pm:
                    r = b / pm
                    row.append(f"{r:.2f}" + ("" if exact else " (≈)"))
                    if exact:
                        ratios.setdefault((base, p), []).append(r)
                        best = pm if best is None else min(best, pm)
                else:
                    row.append("–")
            if b and best:
                r = b / best
                row.append(f"{r:.2f}" + (" **>2×**" if r > 2 else ""))
                ratios.setdefault((base, "best"), []).append(r)
            else:
                row.append("–")
        rows = {s["rows"] for s in res["summary"].values()}
        row.append("/".join(str(r) for r in sorted(rows)))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Geometric mean of ratios (only queries where both engines ran the same question "
                 "and returned the same answer):")
    lines.append("")
    for (base, p), rs in ratios.items():
        g = math.exp(sum(math.log(r) for r in rs) / len(rs))
        lines.append(f"- {base} / {'best peer' if p == 'best' else p}: **{g:.2f}** over {len(rs)} queries")
    lines.append("")
    lines.append("Peak RSS (VmHWM of the engine's process; for callqa-pgwire the server): " +
                 ", ".join(f"{e} {fmt_kb(kb)}" for e, kb in rss.items()) + ".")
    mism = [(res["query"], e, d) for res in results for e, d in res["mismatch"].items()]
    errs = [(res["query"], e, d) for res in results for e, d in res["error"].items()]
    if mism:
        lines.append("")
        lines.append("Answer mismatches (⚠, against callqa):")
        lines.extend(f"- {q} {e}: {d}" for q, e, d in mism)
    if errs:
        lines.append("")
        lines.append("Errors:")
        lines.extend(f"- {q} {e}: {d}" for q, e, d in errs)
    lines.append("")
    lines.append("(≈) approximate equivalent (similar work, different answer): shown, not in the "
                 "geometric means; no equivalent: the peer has no such function.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
