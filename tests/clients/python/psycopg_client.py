"""psycopg 3 against callqa: the type round-trip in text and binary, parameters, the
session TimeZone, qa_evaluate's JSON, savepoints and the transaction status.

Usage: psycopg_client.py PORT. Prints one JSON object (the values the Rust test compares
with tokio-postgres); any wrong answer fails with an assertion naming it.
"""

import datetime
import decimal
import json
import sys
import zoneinfo

import psycopg
from psycopg.pq import TransactionStatus

PORT = int(sys.argv[1])
DSN = f"host=127.0.0.1 port={PORT} user=analyst dbname=callqa"

UTC = datetime.timezone.utc

# (SQL expression, expected Python value, expected type OID) for every type of the list.
ROUND_TRIP = [
    ("cast(9007199254740993 as bigint)", 9007199254740993, 20),
    ("cast(-2147483648 as int)", -2147483648, 23),
    ("cast(-32768 as smallint)", -32768, 21),
    ("cast(0.1 as double precision)", 0.1, 701),
    ("cast(0.25 as real)", 0.25, 700),
    ("cast(12345.67 as numeric(10,2))", decimal.Decimal("12345.67"), 1700),
    ("'héllo, 你好'", "héllo, 你好", 25),
    ("true", True, 16),
    ("cast(null as boolean)", None, 16),
    ("date '2026-10-05'", datetime.date(2026, 10, 5), 1082),
    (
        "cast('2026-10-05T12:34:56.789012Z' as timestamp with time zone)",
        datetime.datetime(2026, 10, 5, 12, 34, 56, 789012, tzinfo=UTC),
        1184,
    ),
    (
        "interval '1 day 2 hours 3.5 seconds'",
        datetime.timedelta(days=1, hours=2, seconds=3.5),
        1186,
    ),
    ("array[1, 2, 3]", [1, 2, 3], 1007),
    ("array['a', 'b c', 'x,y', null]", ["a", "b c", "x,y", None], 1009),
    ("array[cast(1.5 as double precision), 2.5]", [1.5, 2.5], 1022),
]


def check_round_trip(conn, binary):
    mode = "binary" if binary else "text"
    select = ", ".join(f"{sql} as c{i}" for i, (sql, _, _) in enumerate(ROUND_TRIP))
    cur = conn.cursor(binary=binary)
    cur.execute(f"select {select}")
    row = cur.fetchone()
    for (sql, expected, oid), column, value in zip(ROUND_TRIP, cur.description, row):
        assert column.type_code == oid, f"{mode}: {sql} has type oid {column.type_code}, expected {oid}"
        assert type(value) is type(expected), f"{mode}: {sql} -> {value!r} ({type(value).__name__}), expected {expected!r}"
        assert value == expected, f"{mode}: {sql} -> {value!r}, expected {expected!r}"
        if isinstance(expected, datetime.datetime):
            assert value.utcoffset() == datetime.timedelta(0), f"{mode}: {sql} offset {value.utcoffset()}"
    # In text the server's own rendering is what psql shows: check it is Postgres'.
    if not binary:
        raw = [cur.pgresult.get_value(0, i) for i in range(len(ROUND_TRIP))]
        rendered = dict(zip([sql for sql, _, _ in ROUND_TRIP], raw))
        assert rendered["cast('2026-10-05T12:34:56.789012Z' as timestamp with time zone)"] == b"2026-10-05 12:34:56.789012+00", rendered
        assert rendered["array['a', 'b c', 'x,y', null]"] == b'{a,"b c","x,y",NULL}', rendered
        assert rendered["true"] == b"t", rendered
    return [repr(v) for v in row]


def check_time_zone(conn, binary):
    mode = "binary" if binary else "text"
    conn.execute("set time zone 'Asia/Shanghai'")
    assert conn.info.timezone == zoneinfo.ZoneInfo("Asia/Shanghai"), f"ParameterStatus TimeZone not reported: {conn.info.timezone}"
    cur = conn.cursor(binary=binary)
    cur.execute("select cast('2026-10-05T12:34:56Z' as timestamp with time zone) as t, min(started_at) as first from calls")
    t, first = cur.fetchone()
    assert t == datetime.datetime(2026, 10, 5, 12, 34, 56, tzinfo=UTC), f"{mode}: instant changed: {t!r}"
    assert t.tzinfo == zoneinfo.ZoneInfo("Asia/Shanghai"), f"{mode}: tzinfo {t.tzinfo!r}"
    assert (t.hour, t.utcoffset()) == (20, datetime.timedelta(hours=8)), f"{mode}: {t!r}"
    assert first.tzinfo == zoneinfo.ZoneInfo("Asia/Shanghai"), f"{mode}: column tzinfo {first.tzinfo!r}"
    rendered = None
    if not binary:
        rendered = cur.pgresult.get_value(0, 0).decode()
        # Postgres prints `20:34:56+08`; callqa always prints six fraction digits (docs/types.md).
        assert rendered in ("2026-10-05 20:34:56+08", "2026-10-05 20:34:56.000000+08"), f"text rendering in Asia/Shanghai: {rendered}"
    conn.execute("set time zone 'UTC'")
    return {"rendered": rendered, "first_call": first.astimezone(UTC).isoformat()}


def check_parameters(conn):
    """Python values bound as psycopg sends them (typed, extended protocol)."""
    day = datetime.date(2026, 10, 6)
    midnight = datetime.datetime(2026, 10, 6, tzinfo=UTC)
    next_day = datetime.datetime(2026, 10, 7, tzinfo=UTC)
    by_date = conn.execute("select count(*) from calls where started_at >= %s and started_at < %s", (day, day + datetime.timedelta(days=1))).fetchone()[0]
    by_datetime = conn.execute("select count(*) from calls where started_at >= %s and started_at < %s", (midnight, next_day)).fetchone()[0]
    by_partition = conn.execute("select count(*) from calls where date = %s", (day,)).fetchone()[0]
    assert by_date == by_datetime == by_partition > 0, f"date {by_date}, datetime {by_datetime}, partition {by_partition}"
    typed = conn.execute(
        "select count(*) from calls where queue = %s and talk_ms >= %s and cast(talk_ms as double precision) >= %s",
        ("billing", 60000, 60000.0),
    ).fetchone()[0]
    untyped = conn.execute("select count(*) from calls where queue = 'billing' and talk_ms >= 60000").fetchone()[0]
    assert typed == untyped > 0, f"str/int/float parameters: {typed} != {untyped}"
    by_decimal = conn.execute("select count(*) from calls where queue = %s and talk_ms >= %s", ("billing", decimal.Decimal("60000"))).fetchone()[0]
    assert by_decimal == untyped, f"Decimal parameter: {by_decimal} != {untyped}"
    return {"calls_on_2026_10_06": by_date, "billing_over_a_minute": typed}


def check_qa_evaluate(conn):
    call_id = conn.execute("select call_id from calls order by started_at, call_id limit 1").fetchone()[0]
    sql = "select call_id, qa_evaluate(speaker, start_ms, end_ms, text) as qa from utterances where call_id = %s group by call_id"
    results = {}
    for binary in (False, True):
        cur = conn.cursor(binary=binary)
        cur.execute(sql, (call_id,))
        assert cur.description[1].type_code == 114, f"qa_evaluate travels as json (oid 114), got {cur.description[1].type_code}"
        (_, qa), = cur.fetchall()
        assert isinstance(qa, list) and qa, f"qa_evaluate decodes to a list: {qa!r}"
        for item in qa:
            assert set(item) >= {"rule_id", "passed", "evidence_start_ms", "evidence_text"}, f"keys {sorted(item)}"
            assert isinstance(item["rule_id"], str), item
            assert item["passed"] in (True, False, None), item
        results["binary" if binary else "text"] = qa
    assert results["text"] == results["binary"], "qa_evaluate differs between text and binary"
    return {"call_id": call_id, "rules": len(results["text"]), "rule_ids": sorted(r["rule_id"] for r in results["text"])}


def check_savepoints():
    """psycopg's nested transaction blocks: SAVEPOINT / RELEASE / ROLLBACK TO SAVEPOINT."""
    with psycopg.connect(DSN) as conn:
        conn.execute("select 1")
        assert conn.info.transaction_status == TransactionStatus.INTRANS
        with conn.transaction():
            conn.execute("select count(*) from calls")
        assert conn.info.transaction_status == TransactionStatus.INTRANS
        failed = False
        try:
            with conn.transaction():
                conn.execute("select no_such_column from calls")
        except psycopg.errors.UndefinedColumn:
            failed = True
        assert failed, "the failing statement inside the savepoint did not fail"
        status = conn.info.transaction_status
        assert status == TransactionStatus.INTRANS, f"after ROLLBACK TO SAVEPOINT the block is usable again, status {status.name}"
        n = conn.execute("select count(*) from agents").fetchone()[0]
        conn.rollback()
        assert conn.info.transaction_status == TransactionStatus.IDLE
        try:
            conn.autocommit = True
            conn.execute("savepoint outside")
            raise AssertionError("SAVEPOINT outside a transaction block succeeded")
        except psycopg.errors.NoActiveSqlTransaction:
            pass
        return {"agents_after_rollback_to": n}


def main():
    out = {}
    with psycopg.connect(DSN, autocommit=True) as conn:
        out["text"] = check_round_trip(conn, binary=False)
        out["binary"] = check_round_trip(conn, binary=True)
        assert out["text"] == out["binary"], "text and binary results differ"
        out["time_zone_text"] = check_time_zone(conn, binary=False)
        out["time_zone_binary"] = check_time_zone(conn, binary=True)
        out["parameters"] = check_parameters(conn)
        out["qa_evaluate"] = check_qa_evaluate(conn)
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            cur.execute("select queue, count(*) as calls, sum(talk_ms) as talk_ms from calls group by queue order by queue")
            out["per_queue_binary" if binary else "per_queue_text"] = {q: [n, int(t)] for q, n, t in cur.fetchall()}
    out["savepoints"] = check_savepoints()
    print(json.dumps(out, ensure_ascii=False, sort_keys=True))


main()
