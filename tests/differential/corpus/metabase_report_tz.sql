-- Metabase with a report time zone: it sets the session zone first, then sends its bucketing
-- SQL; casts to date, date_trunc, extract and timestamptz output follow the session zone.

-- Metabase's session setup for report timezone Asia/Shanghai
SET SESSION TIMEZONE TO 'Asia/Shanghai';

-- the zone is shown as set
SHOW TimeZone;

-- day bucketing with CAST(... AS date) in the session zone
SELECT CAST("public"."calls"."started_at" AS date) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY CAST("public"."calls"."started_at" AS date) ORDER BY CAST("public"."calls"."started_at" AS date) ASC LIMIT 1048575;

-- date_trunc('day', ...) in the session zone, printed with +08
SELECT date_trunc('day', "public"."calls"."started_at") AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY date_trunc('day', "public"."calls"."started_at") ORDER BY date_trunc('day', "public"."calls"."started_at") ASC LIMIT 1048575;

-- hour-of-day in the session zone
SELECT CAST(extract(hour from "public"."calls"."started_at") AS integer) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY CAST(extract(hour from "public"."calls"."started_at") AS integer) ORDER BY CAST(extract(hour from "public"."calls"."started_at") AS integer) ASC LIMIT 1048575;

-- raw timestamptz values print in the session zone
SELECT "public"."calls"."call_id" AS "call_id", "public"."calls"."started_at" AS "started_at" FROM "public"."calls" WHERE "public"."calls"."call_id" <= 'C20261005-000005' ORDER BY "public"."calls"."call_id" ASC LIMIT 2000;

-- a date filter with timestamp literals without a zone is read in the session zone
SELECT count(*) AS "count" FROM "public"."calls" WHERE ("public"."calls"."started_at" >= timestamp with time zone '2026-10-06 00:00:00.000' AND "public"."calls"."started_at" < timestamp with time zone '2026-10-07 00:00:00.000');

-- day-of-week in the session zone
SELECT (CAST(extract(dow from "public"."calls"."started_at") AS integer) + 1) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY 1 ORDER BY 1 ASC LIMIT 1048575;

-- back to UTC
SET SESSION TIMEZONE TO 'UTC';

-- day bucketing in UTC after the reset
SELECT CAST("public"."calls"."started_at" AS date) AS "started_at", count(*) AS "count" FROM "public"."calls" GROUP BY 1 ORDER BY 1 ASC LIMIT 1048575;
