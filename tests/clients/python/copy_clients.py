"""COPY … TO STDOUT as the Python data tools read it: psycopg 3's binary copy (`cursor.copy`
with `set_types`, PostgreSQL's binary COPY format) and text copy, and polars'
`read_database_uri`, whose default engine ConnectorX reads PostgreSQL through
`COPY (query) TO STDOUT WITH BINARY`. Also psycopg binding a Python list (sent as a text
array literal typed text[]).

Usage: copy_clients.py PORT (psycopg|polars) [USER [DBNAME]]. Prints one JSON object that
the Rust test compares with tokio-postgres; any wrong answer fails with an assertion.
"""

import datetime
import json
import sys

PORT = int(sys.argv[1])
MODE = sys.argv[2]
USER = sys.argv[3] if len(sys.argv) > 3 else "analyst"
DBNAME = sys.argv[4] if len(sys.argv) > 4 else "callqa"

CALLS = (
    "select call_id, started_at, talk_ms, transfers, complaint, date, queue "
    "from calls order by call_id"
)
TYPES = ["text", "timestamptz", "int8", "int4", "bool", "date", "text"]

PER_QUEUE = (
    "select queue, count(*) as calls, max(talk_ms) as longest, min(started_at) as first, "
    "avg(talk_ms::float8) as avg_talk from calls group by queue order by queue"
)


def psycopg_copy():
    import psycopg

    dsn = f"host=127.0.0.1 port={PORT} user={USER} dbname={DBNAME}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        queried = conn.execute(CALLS).fetchall()
        with conn.cursor() as cur:
            with cur.copy(f"COPY ({CALLS}) TO STDOUT (FORMAT BINARY)") as copy:
                copy.set_types(TYPES)
                binary = list(copy.rows())
            with cur.copy(f"COPY ({CALLS}) TO STDOUT") as copy:
                copy.set_types(TYPES)
                text = list(copy.rows())
            with cur.copy("COPY agents (agent_id, name) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                csv = b"".join(bytes(block) for block in copy).decode()
        assert binary == queried, "binary COPY rows differ from the query's rows"
        assert text == queried, "text COPY rows differ from the query's rows"
        assert isinstance(binary[0][1], datetime.datetime) and binary[0][1].tzinfo is not None
        assert isinstance(binary[0][5], datetime.date)
        # A Python list binds as the text literal {billing,sales} typed text[].
        listed = conn.execute(
            "select count(*) from calls where queue = any(%s)", [["billing", "sales"]]
        ).fetchone()[0]
        return {
            "rows": len(binary),
            "first": [binary[0][0], binary[0][1].isoformat(timespec="microseconds"), binary[0][2]],
            "talk_ms": sum(r[2] for r in binary),
            "complaints": sum(1 for r in binary if r[4]),
            "csv_lines": csv.splitlines()[:3],
            "billing_or_sales": listed,
        }


def polars_read():
    import polars as pl

    uri = f"postgresql://{USER}@127.0.0.1:{PORT}/{DBNAME}"
    frame = pl.read_database_uri(PER_QUEUE, uri)
    assert frame.schema["calls"] == pl.Int64, frame.schema
    assert frame.schema["first"] == pl.Datetime("us", "UTC"), frame.schema
    assert frame.schema["avg_talk"] == pl.Float64, frame.schema
    calls = pl.read_database_uri("select * from calls", uri)
    assert calls.schema["complaint"] == pl.Boolean, calls.schema
    assert calls.schema["date"] == pl.Date, calls.schema
    return {
        "per_queue": {
            row["queue"]: [row["calls"], row["longest"], row["first"].isoformat(timespec="microseconds"), row["avg_talk"]]
            for row in frame.iter_rows(named=True)
        },
        "calls_shape": list(calls.shape),
        "complaints": int(calls["complaint"].sum()),
    }


print(json.dumps({"psycopg": psycopg_copy, "polars": polars_read}[MODE]()))
