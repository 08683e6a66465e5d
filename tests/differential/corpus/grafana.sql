-- The SQL Grafana's PostgreSQL data source sends: panel queries after macro expansion
-- (dashboard range 2026-10-05T00:00:00Z to 2026-10-19T00:00:00Z, i.e. epoch 1791158400 to
-- 1792368000), template variable queries, and the query editor's metadata queries.

-- data source health check
SELECT 1;

-- config page version probe (callqa reports another server version, so shape only)
-- compare: shape
SELECT current_setting('server_version_num')::int/100 as version;

-- config page TimescaleDB probe: no extension, no rows
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb';

-- $__timeGroupAlias(started_at,1h) with $__timeFilter(started_at): calls per hour
SELECT
  floor(extract(epoch from started_at)/3600)*3600 AS "time",
  count(*) AS "calls"
FROM calls
WHERE
  started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z'
GROUP BY 1
ORDER BY 1;

-- $__timeGroupAlias(started_at,1d) with a metric column: calls per day and queue
SELECT
  floor(extract(epoch from started_at)/86400)*86400 AS "time",
  queue AS metric,
  count(*) AS "value"
FROM calls
WHERE
  started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z'
GROUP BY 1, 2
ORDER BY 1, 2;

-- $__timeGroup(started_at,'1d') in GROUP BY with an explicit time alias and avg value
SELECT
  floor(extract(epoch from started_at)/86400)*86400 as time,
  avg(talk_ms) / 1000 as avg_talk_s,
  max(queue_wait_ms) as max_wait_ms
FROM calls
WHERE started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z'
GROUP BY floor(extract(epoch from started_at)/86400)*86400
ORDER BY 1;

-- $__timeGroupAlias(started_at,15m) over a 6 hour range with a multi-value variable queue IN (...)
SELECT
  floor(extract(epoch from started_at)/900)*900 AS "time",
  queue AS metric,
  count(*) AS "calls"
FROM calls
WHERE
  started_at BETWEEN '2026-10-06T06:00:00Z' AND '2026-10-06T12:00:00Z'
  AND queue IN ('billing','sales')
GROUP BY 1, 2
ORDER BY 1, 2;

-- $__time(started_at) in a table panel: raw rows with a time column, limited time range
SELECT
  started_at AS "time",
  call_id,
  queue,
  talk_ms
FROM calls
WHERE
  started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-05T06:00:00Z'
ORDER BY 1, 2;

-- $__timeEpoch(started_at): time as epoch seconds
SELECT
  extract(epoch from started_at) AS "time",
  talk_ms AS "talk"
FROM calls
WHERE
  started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-05T04:00:00Z'
ORDER BY 1;

-- $__timeFrom() and $__timeTo() as literals in a stat panel
SELECT count(*) AS "calls", sum(talk_ms) / 3600000.0 AS "talk_hours"
FROM calls
WHERE started_at >= '2026-10-05T00:00:00Z' AND started_at < '2026-10-19T00:00:00Z';

-- $__timeFilter on a date column compares with a timestamp literal
SELECT date AS "time", count(*) AS "calls"
FROM calls
WHERE date BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-12T00:00:00Z'
GROUP BY 1
ORDER BY 1;

-- $__unixEpochFilter(ts) and $__unixEpochGroupAlias(ts,1h) over an epoch column from a subquery
SELECT
  floor(ts/3600)*3600 AS "time",
  count(*) AS "calls"
FROM (SELECT extract(epoch from started_at)::bigint AS ts FROM calls) t
WHERE
  ts >= 1791158400 AND ts <= 1791244800
GROUP BY 1
ORDER BY 1;

-- $__unixEpochFilter on an integer expression of started_at
SELECT queue, count(*) AS "calls"
FROM calls
WHERE
  extract(epoch from started_at) >= 1791158400 AND extract(epoch from started_at) <= 1791417600
GROUP BY queue
ORDER BY 1;

-- to_timestamp of an epoch group, as some dashboards write the time column
SELECT
  to_timestamp(floor(extract(epoch from started_at)/21600)*21600) AS "time",
  count(*) AS "calls"
FROM calls
WHERE started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-07T00:00:00Z'
GROUP BY 1
ORDER BY 1;

-- date_trunc time buckets, the other common Grafana idiom
SELECT
  date_trunc('hour', started_at) AS "time",
  count(*) FILTER (WHERE complaint) AS "complaints",
  count(*) AS "calls"
FROM calls
WHERE started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-06T00:00:00Z'
GROUP BY 1
ORDER BY 1;

-- survey time series by answered_at with a csat average
SELECT
  floor(extract(epoch from answered_at)/86400)*86400 AS "time",
  avg(csat) AS "csat",
  count(*) AS "responses"
FROM surveys
WHERE answered_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z'
GROUP BY 1
ORDER BY 1;

-- time series joined with agents, a metric per team, with an ${agent} multi-value filter
SELECT
  floor(extract(epoch from c.started_at)/86400)*86400 AS "time",
  a.team AS metric,
  sum(c.talk_ms) / 60000 AS "talk_minutes"
FROM calls c
JOIN agents a ON a.agent_id = c.agent_id
WHERE
  c.started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z'
  AND c.agent_id IN ('A0001','A0002','A0003','A0010')
GROUP BY 1, 2
ORDER BY 1, 2;

-- variable query: distinct queues
SELECT DISTINCT queue FROM calls ORDER BY 1;

-- variable query with __value and __text
SELECT agent_id AS __value, name AS __text FROM agents ORDER BY 1;

-- chained variable query: agents of the selected teams
SELECT DISTINCT agent_id FROM agents WHERE team IN ('billing','sales') ORDER BY 1;

-- variable query over the dashboard range: distinct regions with calls
SELECT DISTINCT region FROM calls WHERE started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z' ORDER BY 1;

-- "All" option with a custom all value: queue IN over every value
SELECT queue, count(*) AS "calls" FROM calls WHERE queue IN ('billing','complaints','retention','sales','tech_support','vip_service') GROUP BY 1 ORDER BY 1;

-- ad hoc filter appended by Grafana: region = 'east'
SELECT
  floor(extract(epoch from started_at)/86400)*86400 AS "time",
  count(*) AS "calls"
FROM calls
WHERE
  started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z'
  AND region = 'east'
GROUP BY 1
ORDER BY 1;

-- query editor schema picker
SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name;

-- query editor table picker for a chosen schema
SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1;

-- table picker in the brief's form
SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1;

-- table picker without a schema: search_path-aware CASE over information_schema.tables
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1;

-- column picker in the brief's form
SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns WHERE quote_ident(table_name) = 'calls' ORDER BY 1;

-- column picker for a view (typed but empty on PostgreSQL)
SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns WHERE quote_ident(table_name) = 'call_metrics' ORDER BY 1;

-- column picker of Grafana 10: parse_ident and the search_path constraint
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('calls'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('calls'))[1]
          AND quote_ident(table_name) = (parse_ident('calls'))[2]
        ELSE quote_ident(table_name) = 'calls'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END;

-- column picker of Grafana 10 for a schema-qualified view name
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('public.qa_scorecard'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('public.qa_scorecard'))[1]
          AND quote_ident(table_name) = (parse_ident('public.qa_scorecard'))[2]
        ELSE quote_ident(table_name) = 'public.qa_scorecard'
      END;

-- old query builder: time column candidates of a table
SELECT quote_ident(column_name) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'calls' AND data_type IN ('timestamp without time zone','timestamp with time zone','bigint','integer','double precision','real') ORDER BY column_name;

-- old query builder: metric column candidates of a view
SELECT quote_ident(column_name) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'agent_daily' AND data_type IN ('text','character','character varying') ORDER BY column_name;

-- old query builder: data type of one column
SELECT udt_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'qa_results' AND column_name = 'call_id';

-- old query builder: value suggestions for a where clause
SELECT DISTINCT quote_literal(outcome) FROM calls WHERE started_at BETWEEN '2026-10-05T00:00:00Z' AND '2026-10-19T00:00:00Z' AND outcome IS NOT NULL ORDER BY 1 LIMIT 100;

-- views listed by table type for the picker
SELECT quote_ident(table_name) AS "table", table_type FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'VIEW' ORDER BY 1;
