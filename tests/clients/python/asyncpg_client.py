"""asyncpg against callqa: connect (with its type introspection), typed parameters, the
binary type round-trip, advisory locks between two connections, and a pool whose
acquire/release cycle (pg_advisory_unlock_all, CLOSE ALL, UNLISTEN *, RESET ALL) runs twice.

Usage: asyncpg_client.py PORT. Prints one JSON object; a wrong answer fails an assertion.
"""

import asyncio
import datetime
import decimal
import json
import sys

import asyncpg

PORT = int(sys.argv[1])
CONNECT = dict(host="127.0.0.1", port=PORT, user="analyst", database="callqa")
UTC = datetime.timezone.utc


async def round_trip(conn):
    row = await conn.fetchrow(
        """select cast(9007199254740993 as bigint) as b, cast(-2147483648 as int) as i,
                  cast(-32768 as smallint) as s, cast(0.1 as double precision) as d,
                  cast(0.25 as real) as r, cast(12345.67 as numeric(10,2)) as n, 'héllo, 你好' as t,
                  true as yes, date '2026-10-05' as da,
                  cast('2026-10-05T12:34:56.789012Z' as timestamp with time zone) as ts,
                  interval '1 day 2 hours 3.5 seconds' as iv, array[1, 2, 3] as ai,
                  array['a', 'b c', null] as at, array[cast(1.5 as double precision), 2.5] as af"""
    )
    expected = {
        "b": 9007199254740993,
        "i": -2147483648,
        "s": -32768,
        "d": 0.1,
        "r": 0.25,
        "n": decimal.Decimal("12345.67"),
        "t": "héllo, 你好",
        "yes": True,
        "da": datetime.date(2026, 10, 5),
        "ts": datetime.datetime(2026, 10, 5, 12, 34, 56, 789012, tzinfo=UTC),
        "iv": datetime.timedelta(days=1, hours=2, seconds=3.5),
        "ai": [1, 2, 3],
        "at": ["a", "b c", None],
        "af": [1.5, 2.5],
    }
    for name, value in expected.items():
        assert type(row[name]) is type(value) and row[name] == value, f"asyncpg {name}: {row[name]!r}, expected {value!r}"
    return len(expected)


async def queries(conn):
    rows = await conn.fetch(
        "select queue, count(*) as calls, sum(talk_ms) as talk_ms from calls where talk_ms >= $1 group by queue order by queue",
        0,
    )
    per_queue = {r["queue"]: [r["calls"], int(r["talk_ms"])] for r in rows}
    day = datetime.date(2026, 10, 6)
    on_day = await conn.fetchval("select count(*) from calls where date = $1", day)
    since = await conn.fetchval(
        "select count(*) from calls where started_at >= $1 and started_at < $2",
        datetime.datetime(2026, 10, 6, tzinfo=UTC),
        datetime.datetime(2026, 10, 7, tzinfo=UTC),
    )
    assert on_day == since > 0, f"date parameter {on_day} != timestamp range {since}"
    call_id = await conn.fetchval("select call_id from calls order by started_at, call_id limit 1")
    qa = await conn.fetchval(
        "select qa_evaluate(speaker, start_ms, end_ms, text) from utterances where call_id = $1 group by call_id",
        call_id,
    )
    assert isinstance(qa, str), f"json arrives as text in asyncpg: {type(qa)}"
    qa = json.loads(qa)
    assert qa and all("rule_id" in r and "passed" in r for r in qa), qa
    return {"per_queue": per_queue, "calls_on_2026_10_06": on_day, "qa_rules": len(qa)}


async def advisory_locks():
    a = await asyncpg.connect(**CONNECT)
    b = await asyncpg.connect(**CONNECT)
    try:
        assert await a.fetchval("select pg_try_advisory_lock(42)") is True
        assert await a.fetchval("select pg_try_advisory_lock(42)") is True, "re-entrant"
        assert await b.fetchval("select pg_try_advisory_lock(42)") is False, "b got a's lock"
        try:
            await b.execute("select pg_advisory_lock(42)")
            raise AssertionError("pg_advisory_lock on a held key succeeded")
        except asyncpg.exceptions.LockNotAvailableError:
            pass
        assert await b.fetchval("select pg_advisory_unlock(42)") is False, "b released a's lock"
        await a.execute("select pg_advisory_unlock_all()")
        assert await b.fetchval("select pg_try_advisory_lock(42)") is True, "unlock_all did not release"
        await b.close()
        # b's locks end with its session.
        assert await a.fetchval("select pg_try_advisory_lock(42)") is True, "a closed session kept its lock"
        return True
    finally:
        await a.close()
        if not b.is_closed():
            await b.close()


async def pool():
    p = await asyncpg.create_pool(**CONNECT, min_size=1, max_size=1)
    answers = []
    try:
        for _ in range(2):
            async with p.acquire() as conn:
                await conn.execute("select pg_advisory_lock(7)")
                answers.append(await conn.fetchval("select count(*) from agents"))
        # The reset released lock 7 each time, so another session can take it.
        other = await asyncpg.connect(**CONNECT)
        try:
            assert await other.fetchval("select pg_try_advisory_lock(7)") is True, "pool reset kept the lock"
        finally:
            await other.close()
    finally:
        await p.close()
    return answers


async def main():
    conn = await asyncpg.connect(**CONNECT)
    try:
        checked = await round_trip(conn)
        answers = await queries(conn)
    finally:
        await conn.close()
    answers["round_trip_values"] = checked
    answers["advisory_locks"] = await advisory_locks()
    answers["pool_agents"] = await pool()
    print(json.dumps(answers, sort_keys=True))


asyncio.run(main())
