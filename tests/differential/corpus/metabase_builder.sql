-- SQL in the form Metabase's query builder (MBQL compiled for PostgreSQL) sends: fully
-- qualified quoted columns, aliased aggregates, temporal bucketing, binning, joins with
-- aliased tables, LIMIT 1048575 on aggregated questions, and the sync / permission probes.

-- permission probe: can the user read the table
SELECT TRUE AS "_" FROM "public"."calls" WHERE 1 <> 1 LIMIT 0;

-- column probe of a table with no rows
SELECT * FROM "public"."calls" WHERE 1 <> 1 LIMIT 0;

-- column probe of a view: empty on both sides, column names and types compared
SELECT * FROM "public"."qa_scorecard" WHERE 1 <> 1 LIMIT 0;

-- column probe of the other views
SELECT * FROM "public"."call_metrics" WHERE 1 <> 1 LIMIT 0;

-- column probe of agent_daily
SELECT * FROM "public"."agent_daily" WHERE 1 <> 1 LIMIT 0;

-- field values scan: distinct values of a category column
SELECT "public"."calls"."queue" AS "queue" FROM "public"."calls" GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 5000;

-- Count of rows
SELECT count(*) AS "count" FROM "public"."calls" LIMIT 1048575;

-- Count by queue
SELECT "public"."calls"."queue" AS "queue", count(*) AS "count" FROM "public"."calls" GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 1048575;

-- Count by two dimensions
SELECT "public"."calls"."queue" AS "queue", "public"."calls"."outcome" AS "outcome", count(*) AS "count" FROM "public"."calls" GROUP BY "public"."calls"."queue", "public"."calls"."outcome" ORDER BY "public"."calls"."queue" ASC, "public"."calls"."outcome" ASC LIMIT 1048575;

-- Sum, average, distinct count, min and max with Metabase's aliases
SELECT "public"."calls"."region" AS "region", sum("public"."calls"."talk_ms") AS "sum", avg("public"."calls"."talk_ms") AS "avg", count(distinct "public"."calls"."agent_id") AS "count", min("public"."calls"."queue_wait_ms") AS "min", max("public"."calls"."queue_wait_ms") AS "max" FROM "public"."calls" GROUP BY "public"."calls"."region" ORDER BY "public"."calls"."region" ASC LIMIT 1048575;

-- two aggregates of the same kind get suffixed aliases
SELECT "public"."calls"."direction" AS "direction", sum("public"."calls"."talk_ms") AS "sum", sum("public"."calls"."hold_ms") AS "sum_2" FROM "public"."calls" GROUP BY "public"."calls"."direction" ORDER BY "public"."calls"."direction" ASC LIMIT 1048575;

-- standard deviation aggregate
SELECT "public"."calls"."queue" AS "queue", stddev_pop("public"."calls"."talk_ms") AS "stddev" FROM "public"."calls" GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 1048575;

-- cumulative count as Metabase writes it: count per day (cumulated client-side)
SELECT CAST("public"."calls"."started_at" AS date) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY CAST("public"."calls"."started_at" AS date) ORDER BY CAST("public"."calls"."started_at" AS date) ASC LIMIT 1048575;

-- day bucketing in report time zone UTC+8 by adding an interval
SELECT CAST(("public"."calls"."started_at" + (INTERVAL '8 hour')) AS date) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY CAST(("public"."calls"."started_at" + (INTERVAL '8 hour')) AS date) ORDER BY CAST(("public"."calls"."started_at" + (INTERVAL '8 hour')) AS date) ASC LIMIT 1048575;

-- date_trunc('day', ... + INTERVAL '8 hour') bucketing
SELECT date_trunc('day', ("public"."calls"."started_at" + (INTERVAL '8 hour'))) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY date_trunc('day', ("public"."calls"."started_at" + (INTERVAL '8 hour'))) ORDER BY date_trunc('day', ("public"."calls"."started_at" + (INTERVAL '8 hour'))) ASC LIMIT 1048575;

-- hour bucketing with date_trunc
SELECT date_trunc('hour', "public"."calls"."started_at") AS "started_at", count(*) AS "count" FROM "public"."calls" WHERE ("public"."calls"."started_at" >= timestamp with time zone '2026-10-05 00:00:00.000Z' AND "public"."calls"."started_at" < timestamp with time zone '2026-10-06 00:00:00.000Z') GROUP BY date_trunc('hour', "public"."calls"."started_at") ORDER BY date_trunc('hour', "public"."calls"."started_at") ASC LIMIT 1048575;

-- week bucketing starting on Sunday: shift by a day, truncate, shift back
SELECT (CAST(date_trunc('week', ("public"."calls"."started_at" + INTERVAL '1 day')) AS timestamp) + (INTERVAL '-1 day')) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY (CAST(date_trunc('week', ("public"."calls"."started_at" + INTERVAL '1 day')) AS timestamp) + (INTERVAL '-1 day')) ORDER BY (CAST(date_trunc('week', ("public"."calls"."started_at" + INTERVAL '1 day')) AS timestamp) + (INTERVAL '-1 day')) ASC LIMIT 1048575;

-- month and quarter bucketing
SELECT date_trunc('month', "public"."calls"."started_at") AS "started_at", date_trunc('quarter', "public"."calls"."started_at") AS "started_at_2", count(*) AS "count" FROM "public"."calls" GROUP BY date_trunc('month', "public"."calls"."started_at"), date_trunc('quarter', "public"."calls"."started_at") ORDER BY date_trunc('month', "public"."calls"."started_at") ASC, date_trunc('quarter', "public"."calls"."started_at") ASC LIMIT 1048575;

-- day-of-week bucketing with extract(dow ...) + 1
SELECT (CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY (CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) ORDER BY (CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) ASC LIMIT 1048575;

-- day-of-week with a Monday start-of-week setting
SELECT ((((CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) + 5) % 7) + 1) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY ((((CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) + 5) % 7) + 1) ORDER BY ((((CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) + 5) % 7) + 1) ASC LIMIT 1048575;

-- hour-of-day, day-of-month and month-of-year extraction
SELECT CAST(extract(hour from "public"."calls"."started_at") AS integer) AS "started_at", CAST(extract(day from "public"."calls"."started_at") AS integer) AS "started_at_2", CAST(extract(month from "public"."calls"."started_at") AS integer) AS "started_at_3", count(*) AS "count" FROM "public"."calls" GROUP BY 1, 2, 3 ORDER BY 1 ASC, 2 ASC, 3 ASC LIMIT 1048575;

-- extract without a cast: PostgreSQL answers numeric
SELECT extract(dow from "public"."calls"."started_at") AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY extract(dow from "public"."calls"."started_at") ORDER BY extract(dow from "public"."calls"."started_at") ASC LIMIT 1048575;

-- date column bucketed by week with CAST(... AS date)
SELECT CAST(date_trunc('week', "public"."calls"."date") AS date) AS "date", count(*) AS "count" FROM "public"."calls" GROUP BY CAST(date_trunc('week', "public"."calls"."date") AS date) ORDER BY CAST(date_trunc('week', "public"."calls"."date") AS date) ASC LIMIT 1048575;

-- numeric binning with floor((x - 0) / 10) * 10
SELECT (floor((("public"."calls"."transfers" - 0) / 1)) * 1) AS "transfers", count(*) AS "count" FROM "public"."calls" GROUP BY (floor((("public"."calls"."transfers" - 0) / 1)) * 1) ORDER BY (floor((("public"."calls"."transfers" - 0) / 1)) * 1) ASC LIMIT 1048575;

-- binning a bigint column with float bin widths
SELECT (floor((("public"."calls"."talk_ms" - 0.0) / 60000.0)) * 60000.0) AS "talk_ms", count(*) AS "count" FROM "public"."calls" GROUP BY (floor((("public"."calls"."talk_ms" - 0.0) / 60000.0)) * 60000.0) ORDER BY (floor((("public"."calls"."talk_ms" - 0.0) / 60000.0)) * 60000.0) ASC LIMIT 1048575;

-- binning with integer literals: floor((x - 0) / 10) * 10 on csat * 10
SELECT (floor(((("public"."surveys"."csat" * 10) - 0) / 10)) * 10) AS "csat", count(*) AS "count" FROM "public"."surveys" GROUP BY 1 ORDER BY 1 ASC LIMIT 1048575;

-- binning a float column
SELECT (floor((("public"."utterances"."asr_confidence" - 0.5) / 0.05)) * 0.05 + 0.5) AS "asr_confidence", count(*) AS "count" FROM "public"."utterances" GROUP BY 1 ORDER BY 1 ASC LIMIT 1048575;

-- filter on a category, a number range and a boolean
SELECT "public"."calls"."customer_tier" AS "customer_tier", count(*) AS "count" FROM "public"."calls" WHERE ("public"."calls"."queue" = 'billing' AND "public"."calls"."talk_ms" BETWEEN 60000 AND 300000 AND "public"."calls"."complaint" = FALSE) GROUP BY "public"."calls"."customer_tier" ORDER BY "public"."calls"."customer_tier" ASC LIMIT 1048575;

-- filter "is one of", "is not", "is empty" and "not empty"
SELECT "public"."calls"."outcome" AS "outcome", count(*) AS "count" FROM "public"."calls" WHERE (("public"."calls"."queue" = 'billing' OR "public"."calls"."queue" = 'sales') AND ("public"."calls"."outcome" <> 'abandoned' OR "public"."calls"."outcome" IS NULL) AND "public"."calls"."agent_id" IS NOT NULL AND ("public"."calls"."agent_id" IS NOT NULL AND "public"."calls"."agent_id" <> '')) GROUP BY "public"."calls"."outcome" ORDER BY "public"."calls"."outcome" ASC LIMIT 1048575;

-- "contains" (case-insensitive) and "starts with" filters
SELECT count(*) AS "count" FROM "public"."utterances" WHERE (lower("public"."utterances"."text") LIKE '%refund%' OR "public"."utterances"."text" LIKE '您好%');

-- "does not contain" filter
SELECT "public"."surveys"."csat" AS "csat", count(*) AS "count" FROM "public"."surveys" WHERE (NOT (lower("public"."surveys"."comment") LIKE '%service%') OR "public"."surveys"."comment" IS NULL) GROUP BY "public"."surveys"."csat" ORDER BY "public"."surveys"."csat" ASC LIMIT 1048575;

-- date range filter with CAST(... AS date) on both sides
SELECT "public"."calls"."queue" AS "queue", count(*) AS "count" FROM "public"."calls" WHERE (CAST("public"."calls"."started_at" AS date) >= CAST('2026-10-10' AS date) AND CAST("public"."calls"."started_at" AS date) < CAST('2026-10-13' AS date)) GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 1048575;

-- "specific date" filter with timestamp literals
SELECT count(*) AS "count" FROM "public"."calls" WHERE ("public"."calls"."started_at" >= timestamp with time zone '2026-10-12 00:00:00.000Z' AND "public"."calls"."started_at" < timestamp with time zone '2026-10-13 00:00:00.000Z');

-- join with an aliased table and Table__column output names
SELECT "Agents"."team" AS "Agents__team", count(*) AS "count" FROM "public"."calls" LEFT JOIN "public"."agents" "Agents" ON "public"."calls"."agent_id" = "Agents"."agent_id" GROUP BY "Agents"."team" ORDER BY "Agents"."team" ASC LIMIT 1048575;

-- two joins (agents, surveys) with an average of a joined column
SELECT "Agents"."site" AS "Agents__site", avg("Surveys"."csat") AS "avg", count(*) AS "count" FROM "public"."calls" LEFT JOIN "public"."agents" "Agents" ON "public"."calls"."agent_id" = "Agents"."agent_id" LEFT JOIN "public"."surveys" "Surveys" ON "public"."calls"."call_id" = "Surveys"."call_id" GROUP BY "Agents"."site" ORDER BY "Agents"."site" ASC LIMIT 1048575;

-- raw rows of a joined table, ordered by the primary key
SELECT "public"."calls"."call_id" AS "call_id", "public"."calls"."started_at" AS "started_at", "public"."calls"."queue" AS "queue", "Agents"."name" AS "Agents__name" FROM "public"."calls" LEFT JOIN "public"."agents" "Agents" ON "public"."calls"."agent_id" = "Agents"."agent_id" WHERE "public"."calls"."date" = CAST('2026-10-05' AS date) ORDER BY "public"."calls"."call_id" ASC LIMIT 2000;

-- custom column expression: case with a boolean result, summed
SELECT "public"."calls"."queue" AS "queue", sum(CASE WHEN "public"."calls"."outcome" = 'resolved' THEN 1 ELSE 0.0 END) AS "sum", count(*) AS "count" FROM "public"."calls" GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 1048575;

-- share aggregate: count-where divided by count
SELECT "public"."calls"."queue" AS "queue", (CAST(sum(CASE WHEN "public"."calls"."complaint" = TRUE THEN 1 ELSE 0.0 END) AS float) / CASE WHEN count(*) = 0 THEN NULL ELSE count(*) END) AS "share" FROM "public"."calls" GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 1048575;

-- nested question: aggregate over an aggregated source query
SELECT "source"."queue" AS "queue", avg("source"."count") AS "avg" FROM (SELECT "public"."calls"."queue" AS "queue", CAST("public"."calls"."started_at" AS date) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY "public"."calls"."queue", CAST("public"."calls"."started_at" AS date)) "source" GROUP BY "source"."queue" ORDER BY "source"."queue" ASC LIMIT 1048575;

-- sort by the aggregate descending, tie-broken by the dimension
SELECT "public"."calls"."agent_id" AS "agent_id", count(*) AS "count" FROM "public"."calls" WHERE "public"."calls"."agent_id" IS NOT NULL GROUP BY "public"."calls"."agent_id" ORDER BY "count" DESC, "public"."calls"."agent_id" ASC LIMIT 10;

-- interval differences as a custom column: datetimeDiff in seconds
SELECT "public"."calls"."queue" AS "queue", avg(extract(epoch from ("public"."calls"."ended_at" - "public"."calls"."started_at"))) AS "avg" FROM "public"."calls" GROUP BY "public"."calls"."queue" ORDER BY "public"."calls"."queue" ASC LIMIT 1048575;
