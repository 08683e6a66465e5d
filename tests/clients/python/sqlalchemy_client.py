"""SQLAlchemy 2 (postgresql+psycopg) and pandas against callqa: the inspector's tables, views
and columns, and read_sql's DataFrame.

Usage: sqlalchemy_client.py PORT [SECTION...] with sections `names`, `columns`, `keys`,
`pandas`, `reflect` (default: all). Prints one JSON object; a wrong answer fails an assertion.
"""

import json
import sys

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

PORT = int(sys.argv[1])
engine = sa.create_engine(f"postgresql+psycopg://analyst@127.0.0.1:{PORT}/callqa")

TABLES = ["agents", "audio_features", "calls", "surveys", "utterances"]
VIEWS = ["agent_daily", "call_metrics", "qa_results", "qa_rules", "qa_scorecard"]
CALLS = [
    ("call_id", postgresql.TEXT),
    ("started_at", postgresql.TIMESTAMP),
    ("ended_at", postgresql.TIMESTAMP),
    ("direction", postgresql.TEXT),
    ("language", postgresql.TEXT),
    ("queue", postgresql.TEXT),
    ("agent_id", postgresql.TEXT),
    ("customer_id", postgresql.TEXT),
    ("customer_tier", postgresql.TEXT),
    ("region", postgresql.TEXT),
    ("ivr_ms", postgresql.BIGINT),
    ("queue_wait_ms", postgresql.BIGINT),
    ("talk_ms", postgresql.BIGINT),
    ("hold_ms", postgresql.BIGINT),
    ("acw_ms", postgresql.BIGINT),
    ("transfers", postgresql.INTEGER),
    ("outcome", postgresql.TEXT),
    ("hangup_by", postgresql.TEXT),
    ("complaint", postgresql.BOOLEAN),
    ("recording_uri", postgresql.TEXT),
    ("date", postgresql.DATE),
]


def names():
    inspector = sa.inspect(engine)
    tables = sorted(inspector.get_table_names(schema="public"))
    assert tables == TABLES, f"get_table_names(schema='public'): {tables}"
    # Without a schema: the tables on the search path, as PostgreSQL answers (none of
    # information_schema's, which are not on it).
    default_tables = inspector.get_table_names()
    assert sorted(default_tables) == TABLES, f"get_table_names(): {default_tables}"
    views = sorted(inspector.get_view_names(schema="public"))
    assert views == VIEWS, f"get_view_names(schema='public'): {views}"
    return {"default_tables": sorted(default_tables)}


def columns():
    inspector = sa.inspect(engine)
    columns = inspector.get_columns("calls")
    names = [c["name"] for c in columns]
    assert names == [n for n, _ in CALLS], f"calls columns in order: {names}"
    for column, (name, kind) in zip(columns, CALLS):
        assert type(column["type"]) is kind, f"{name}: {column['type']!r}, expected {kind.__name__}"
        if kind is postgresql.TIMESTAMP:
            assert column["type"].timezone, f"{name} is timestamp with time zone"
        assert column["autoincrement"] is False, f"{name}: autoincrement {column['autoincrement']}"
    nullability = {c["name"]: c["nullable"] for c in columns}
    return {"nullable": nullability}


def keys():
    """Primary and foreign keys must not error; the Rust side checks the answers."""
    inspector = sa.inspect(engine)
    pk = inspector.get_pk_constraint("calls")
    fks = inspector.get_foreign_keys("utterances")
    return json.loads(json.dumps({"pk_calls": pk, "fk_utterances": fks}, default=str))


def pandas_frame():
    frame = pd.read_sql(
        sa.text(
            "select queue, count(*) as calls, avg(talk_ms) as avg_talk_ms, min(started_at) as first_call, "
            "min(date) as first_day, bool_or(complaint) as any_complaint "
            "from calls where started_at >= :since group by queue order by queue"
        ),
        engine,
        params={"since": "2026-10-05"},
    )
    dtypes = {c: str(t) for c, t in frame.dtypes.items()}
    assert dtypes["calls"] == "int64", dtypes
    assert dtypes["avg_talk_ms"] == "float64", dtypes
    assert dtypes["first_call"].startswith("datetime64") and "UTC" in dtypes["first_call"], dtypes
    assert dtypes["any_complaint"] == "bool", dtypes
    return {
        "dtypes": dtypes,
        "per_queue": {r.queue: int(r.calls) for r in frame.itertuples()},
        "first_day": str(frame["first_day"].min()),
    }


def reflect():
    """Superset's path: MetaData.reflect(views=True), autoload_with, read_sql_table."""
    metadata = sa.MetaData()
    metadata.reflect(engine, views=True)
    reflected = sorted(metadata.tables)
    assert reflected == sorted(TABLES + VIEWS), f"reflect(views=True): {reflected}"
    calls = metadata.tables["calls"]
    assert [c.name for c in calls.columns] == [n for n, _ in CALLS], list(calls.columns)
    agents = sa.Table("agents", sa.MetaData(), autoload_with=engine)
    frame = pd.read_sql_table("calls", engine)
    assert list(frame.columns) == [n for n, _ in CALLS], list(frame.columns)
    return {
        "primary_key_calls": [c.name for c in calls.primary_key.columns],
        "foreign_keys_utterances": sorted(
            [fk.parent.name, fk.column.table.name, fk.column.name]
            for fk in metadata.tables["utterances"].foreign_keys
        ),
        "view_columns_qa_scorecard": [c.name for c in metadata.tables["qa_scorecard"].columns],
        "agents_columns": [c.name for c in agents.columns],
        "read_sql_table_rows": len(frame),
        "read_sql_table_complaints": int(frame["complaint"].sum()),
    }


SECTIONS = {
    "names": names,
    "columns": columns,
    "keys": keys,
    "pandas": pandas_frame,
    "reflect": reflect,
}
wanted = sys.argv[2:] or list(SECTIONS)
print(json.dumps({name: SECTIONS[name]() for name in wanted}, sort_keys=True))
