// node-postgres (`pg`) and postgres.js (`postgres`) against callqa, as a Node.js dashboard
// backend uses them: a JS array bound to `= any($1)`, `LIMIT $1`, and the JS types each
// driver gives (int8 and numeric as strings, timestamptz as Date, arrays as arrays). Asserts
// what it can check alone and prints one JSON line that tests/clients/node.rs compares with
// tokio-postgres. Usage: node node_clients.mjs PORT [USER [DATABASE]]
import assert from "node:assert/strict";
import pg from "pg";
import postgres from "postgres";

const port = Number(process.argv[2]);
const [user = "analyst", database = "callqa"] = process.argv.slice(3);
const connection = { host: "127.0.0.1", port, user, database };
const queues = ["billing", "sales"];
// An element that needs quoting and escaping in the array literal node-postgres sends.
const awkward = ['a "quoted", \\ value', "NULL"];

async function nodePostgres() {
  const client = new pg.Client(connection);
  await client.connect();
  try {
    // node-postgres sends the array as the text {"billing","sales"}, without a type.
    const any = await client.query(
      "select count(*) from calls where queue = any($1)",
      [queues],
    );
    assert.equal(typeof any.rows[0].count, "string", "int8 arrives as a string");
    const limited = await client.query(
      "select call_id from calls order by call_id limit $1 offset $2",
      [5, 10],
    );
    assert.equal(limited.rows.length, 5);
    const echoed = await client.query("select $1::text[] as a", [awkward]);
    assert.deepEqual(echoed.rows[0].a, awkward);
    const typed = await client.query(
      `select min(started_at) as first, round(avg(talk_ms)::numeric, 2) as avg_talk,
              count(*) as calls, bool_or(complaint) as any_complaint,
              (select array_agg(q order by q)
                 from (select distinct queue as q from calls where queue = any($1)) d) as queues
         from calls where queue = any($1)`,
      [queues],
    );
    const row = typed.rows[0];
    assert.ok(row.first instanceof Date, "timestamptz arrives as a Date");
    assert.equal(typeof row.avg_talk, "string", "numeric arrives as a string");
    assert.ok(Array.isArray(row.queues));
    assert.equal(typeof row.any_complaint, "boolean");
    // Prepared by name: Parse once, Bind each time.
    const named = await client.query({
      name: "per-queue",
      text: "select queue, count(*) as calls from calls where queue = any($1) group by queue order by queue",
      values: [queues],
    });
    const again = await client.query({
      name: "per-queue",
      text: "select queue, count(*) as calls from calls where queue = any($1) group by queue order by queue",
      values: [["billing"]],
    });
    assert.equal(again.rows.length, 1);
    return {
      any_count: any.rows[0].count,
      limited: limited.rows.map((r) => r.call_id),
      first: row.first.toISOString(),
      avg_talk: row.avg_talk,
      calls: row.calls,
      queues: row.queues,
      any_complaint: row.any_complaint,
      per_queue: Object.fromEntries(named.rows.map((r) => [r.queue, r.calls])),
    };
  } finally {
    await client.end();
  }
}

async function postgresJs() {
  const sql = postgres({ ...connection, max: 1, onnotice: () => {} });
  try {
    // postgres.js describes the statement first and encodes by the types it reports.
    const [any] = await sql`select count(*) from calls where queue = any(${queues})`;
    assert.equal(typeof any.count, "string", "int8 arrives as a string");
    const limited = await sql`select call_id from calls order by call_id limit ${5} offset ${10}`;
    assert.equal(limited.length, 5);
    const [echoed] = await sql`select ${awkward}::text[] as a`;
    assert.deepEqual(echoed.a, awkward);
    const [row] = await sql`
      select min(started_at) as first, round(avg(talk_ms)::numeric, 2) as avg_talk,
             count(*) as calls,
             (select array_agg(q order by q)
                from (select distinct queue as q from calls where queue = any(${queues})) d) as queues
        from calls where queue = any(${queues})`;
    assert.ok(row.first instanceof Date, "timestamptz arrives as a Date");
    assert.equal(typeof row.avg_talk, "string", "numeric arrives as a string");
    assert.ok(Array.isArray(row.queues));
    return {
      any_count: any.count,
      limited: limited.map((r) => r.call_id),
      first: row.first.toISOString(),
      avg_talk: row.avg_talk,
      calls: row.calls,
      queues: row.queues,
    };
  } finally {
    await sql.end();
  }
}

const out = { pg: await nodePostgres(), postgres: await postgresJs() };
console.log(JSON.stringify(out));
