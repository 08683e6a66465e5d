"""Server-side cursors from Python against callqa: psycopg 3 named cursors (itersize,
parameters, binary, WITH HOLD + scroll), psycopg2 named cursors and SQLAlchemy's
stream_results. Every cursor's rows are compared with the same query fetched plainly.

Usage: named_cursors_client.py PORT. Prints one JSON object (row counts and digests the Rust
test compares with tokio-postgres); a wrong answer fails an assertion naming it.
"""

import hashlib
import json
import sys

import psycopg
import psycopg2
import sqlalchemy as sa

PORT = int(sys.argv[1])
DSN = f"host=127.0.0.1 port={PORT} user=analyst dbname=callqa"

QUERY = "select call_id, started_at, talk_ms, queue, complaint from calls order by call_id"
BY_QUEUE = "select call_id, talk_ms from calls where queue = %s order by call_id"


def digest(rows):
    """A digest of the rows' text, the same for every driver that reads the same values."""
    text = "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()


def psycopg3():
    out = {}
    with psycopg.connect(DSN) as conn:
        plain = conn.execute(QUERY).fetchall()
        # Named cursor with a small itersize: DECLARE, then FETCH FORWARD 97 until empty.
        with conn.cursor(name="calls_cursor") as cur:
            cur.itersize = 97
            cur.execute(QUERY)
            names = [c.name for c in cur.description]
            assert names == ["call_id", "started_at", "talk_ms", "queue", "complaint"], names
            oids = [c.type_code for c in cur.description]
            assert oids == [25, 1184, 20, 25, 16], oids
            rows = list(cur)
        assert rows == plain, "psycopg 3 named cursor rows differ from the plain query's"
        out["rows"] = len(rows)
        out["digest"] = digest(rows)
        # Parameters bound server-side in the DECLARE; binary results through FETCH.
        plain_billing = conn.execute(BY_QUEUE, ["billing"]).fetchall()
        with conn.cursor(name="billing", binary=True) as cur:
            cur.execute(BY_QUEUE, ["billing"])
            first = cur.fetchmany(10)
            rest = cur.fetchall()
        assert first + rest == plain_billing, "binary named cursor rows differ"
        out["billing"] = len(plain_billing)
        conn.commit()
        # A held, scrollable cursor outlives the COMMIT and scrolls both ways.
        with conn.cursor(name="held", withhold=True, scrollable=True) as cur:
            cur.execute(QUERY)
            conn.commit()
            assert cur.fetchone() == plain[0]
            cur.scroll(10, "absolute")
            assert cur.fetchone() == plain[10]
            cur.scroll(-5)
            assert cur.fetchone() == plain[6]
            listed = conn.execute(
                "select name, is_holdable, is_scrollable from pg_cursors"
            ).fetchall()
            assert listed == [("held", True, True)], listed
        conn.commit()
        assert conn.execute("select count(*) from pg_cursors").fetchone() == (0,)
    return out


def psycopg2_named():
    conn = psycopg2.connect(DSN)
    try:
        plain_cur = conn.cursor()
        plain_cur.execute(QUERY)
        plain = plain_cur.fetchall()
        cur = conn.cursor("p2_cursor")
        cur.itersize = 250
        cur.execute(QUERY)
        rows = list(cur)
        assert rows == plain, "psycopg2 named cursor rows differ from the plain query's"
        cur.close()
        # fetchmany / scroll on a named cursor: FETCH FORWARD n and MOVE.
        cur = conn.cursor("p2_scroll", scrollable=True)
        cur.execute(QUERY)
        assert cur.fetchmany(3) == plain[:3]
        cur.scroll(100, mode="absolute")
        assert cur.fetchone() == plain[100]
        cur.close()
        conn.commit()
        return {"rows": len(rows), "digest": digest(rows)}
    finally:
        conn.close()


def sqlalchemy_stream():
    engine = sa.create_engine(f"postgresql+psycopg://analyst@127.0.0.1:{PORT}/callqa")
    with engine.connect() as conn:
        plain = [tuple(r) for r in conn.execute(sa.text(QUERY))]
        result = conn.execution_options(stream_results=True, max_row_buffer=50).execute(
            sa.text(QUERY)
        )
        streamed = []
        for partition in result.partitions(64):
            streamed.extend(tuple(r) for r in partition)
        assert streamed == plain, "SQLAlchemy stream_results rows differ"
    engine.dispose()
    return {"rows": len(streamed), "digest": digest(streamed)}


print(
    json.dumps(
        {
            "psycopg": psycopg3(),
            "psycopg2": psycopg2_named(),
            "sqlalchemy": sqlalchemy_stream(),
        }
    )
)
