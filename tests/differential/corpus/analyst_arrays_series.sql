-- Analyst arrays (literals, ANY, array_agg, unnest, string_to_array) and generate_series.

-- session zone fixed for timestamp series
SET TimeZone = 'UTC';

-- text array literal display
select '{"billing","sales"}'::text[] as queues, '{1,2,3}'::int[] as ints, '{}'::text[] as empty_arr, '{"a b",NULL,"c,d"}'::text[] as quoted;

-- filter with = any of a text array literal
select queue, count(*) as calls from calls where queue = any('{"billing","sales"}'::text[]) group by queue order by queue;

-- filter with <> all of a text array literal
select queue, count(*) as calls from calls where queue <> all('{billing,sales,tech_support}'::text[]) group by queue order by queue;

-- = any of an ARRAY constructor
select region, count(*) as calls from calls where region = any(array['north', 'south']) and outcome = any(array['resolved', 'transferred']) group by region order by region;

-- ARRAY constructors of ints and texts with concatenation
select array[1, 2, 3] as a, array['x', 'y'] || 'z'::text as b, array[1, 2] || array[3, 4] as c, 0 || array[1] as d;

-- array subscripts and slices
select (array['a', 'b', 'c', 'd'])[2] as second, (array['a', 'b', 'c', 'd'])[2:3] as middle, (array[10, 20, 30])[5] as out_of_range, ('{5,6,7}'::int[])[1] as first;

-- array_length and cardinality, including the empty array
select array_length(array[1, 2, 3], 1) as len, cardinality(array[1, 2, 3]) as card, array_length('{}'::int[], 1) as empty_len, cardinality('{}'::int[]) as empty_card;

-- array_position, array_remove, array_append, array_prepend, array_cat
select array_position(array['billing', 'sales', 'retention'], 'sales') as pos, array_remove(array[1, 2, 1, 3], 1) as removed, array_append(array['a'], 'b') as appended, array_prepend(0, array[1, 2]) as prepended, array_cat(array[1], array[2, 3]) as cat;

-- array_agg of distinct queues per region in order
select region, array_agg(distinct queue order by queue) as queues from calls group by region order by region;

-- array_agg with ORDER BY inside for one agent's calls on one day
select agent_id, array_agg(call_id order by started_at) as calls_in_order from calls where date = '2026-10-05' and agent_id in ('A0001', 'A0002', 'A0003') group by agent_id order by agent_id;

-- array_agg of integers ordered descending
select queue, array_agg(transfers order by transfers desc, call_id) filter (where transfers > 0) as transfer_counts from calls where date = '2026-10-05' group by queue order by queue;

-- array_length of array_agg as a count of distinct values
select agent_id, array_length(array_agg(distinct queue), 1) as n_queues, cardinality(array_agg(distinct region)) as n_regions from calls where agent_id is not null group by agent_id order by agent_id limit 10;

-- array_to_string of an ordered array_agg
select a.team, array_to_string(array_agg(a.agent_id order by a.agent_id), ', ') as agents from agents a group by a.team order by a.team;

-- array_to_string with a NULL replacement
select array_to_string(array['a', null, 'c'], '-') as skip_null, array_to_string(array['a', null, 'c'], '-', '?') as replace_null;

-- string_agg alongside array_agg for a report
select c.queue, string_agg(distinct a.site, '/' order by a.site) as sites, array_agg(distinct a.shift order by a.shift) as shifts from calls c join agents a using (agent_id) group by c.queue order by c.queue;

-- string_to_array of a literal and of a recording URI
select string_to_array('billing,sales,,retention', ',') as parts, string_to_array('a b c', ' ') as words, string_to_array('x', ',') as single;

-- path components of recording URIs via string_to_array
select call_id, string_to_array(recording_uri, '/') as parts, (string_to_array(recording_uri, '/'))[4] as year, cardinality(string_to_array(recording_uri, '/')) as n_parts from calls order by call_id limit 3;

-- recordings per year/month directory from the URI path
select (string_to_array(recording_uri, '/'))[4] || '-' || (string_to_array(recording_uri, '/'))[5] as ym, count(*) as recordings from calls where recording_uri is not null group by 1 order by 1;

-- unnest of a literal array in the select list
select unnest('{billing,sales,retention}'::text[]) as queue;

-- unnest in FROM joined to calls for target queues
select q.queue, count(c.call_id) as calls from unnest(array['billing', 'sales', 'nonexistent']) as q(queue) left join calls c on c.queue = q.queue group by q.queue order by q.queue;

-- unnest WITH ORDINALITY
select t.val, t.ord from unnest(array['low', 'mid', 'high']) with ordinality as t(val, ord) order by t.ord;

-- unnest of an aggregated array (round-trip)
select region, unnest(array_agg(distinct outcome)) as outcome from calls where region = 'west' group by region order by 2;

-- unnest of string_to_array words counted across survey comments
select w.word, count(*) as n from surveys s, unnest(string_to_array(s.comment, ' ')) as w(word) where s.comment is not null and s.comment ~ '^[A-Za-z]' group by w.word order by n desc, w.word limit 10;

-- unnest of two arrays in parallel in FROM
select * from unnest(array[1, 2, 3], array['a', 'b']) as t(n, s) order by n;

-- array containment and overlap operators on aggregated queues
select region, array_agg(distinct queue) @> array['vip_service'] as has_vip, array_agg(distinct queue) && array['retention', 'sales'] as has_ret_or_sales from calls group by region order by region;

-- array equality and comparison
select array[1, 2] = array[1, 2] as eq, array[1, 2] < array[1, 3] as lt, '{a,b}'::text[] = array['a', 'b'] as eq_text;

-- voiced flags of the first seconds of one call as an ordered array
select speaker, array_agg(voiced order by second) as voiced, array_agg(round(energy_db::numeric) order by second) as energy from audio_features where call_id = 'C20261005-000001' and second < 6 group by speaker order by speaker;

-- integer series
select generate_series(1, 5) as n;

-- integer series with a step and a descending step in FROM
select a.n as up, b.n as down from generate_series(1, 10, 3) with ordinality as a(n, i) join generate_series(5, 1, -2) with ordinality as b(n, i) using (i) order by a.n;

-- series in the select list next to other columns
select 'bucket' as label, generate_series(0, 3) * 60 as start_s;

-- talk-minute histogram with empty buckets filled from a series
select m.minute, count(c.call_id) as calls from generate_series(0, 4) as m(minute) left join calls c on c.talk_ms / 60000 = m.minute group by m.minute order by m.minute;

-- daily calendar from a date series (timestamptz) with calls per day
select d::date as day, count(c.call_id) as calls from generate_series(date '2026-10-03', date '2026-10-20', interval '1 day') as d left join calls c on c.date = d::date group by d order by d;

-- date series displayed raw (timestamptz from dates)
select d from generate_series('2026-10-05'::date, '2026-10-07'::date, '1 day'::interval) as d order by d;

-- weekly series of timestamptz
select w as week_start from generate_series(timestamptz '2026-10-05 00:00+00', timestamptz '2026-10-26 00:00+00', interval '1 week') as w order by w;

-- hourly series of timestamptz with calls per hour for one day (empty hours kept)
select h as hour_start, count(c.call_id) as calls from generate_series(timestamptz '2026-10-11 00:00+00', timestamptz '2026-10-11 23:00+00', interval '1 hour') as h left join calls c on c.started_at >= h and c.started_at < h + interval '1 hour' group by h order by h;

-- 15-minute slots of timestamp without time zone
select generate_series(timestamp '2026-10-12 09:00', timestamp '2026-10-12 10:00', interval '15 minutes') as slot;

-- session zone Asia/Shanghai for local-hour series
SET TimeZone = 'Asia/Shanghai';

-- local hourly series in Shanghai for the busiest local evening
select h as local_hour, count(c.call_id) as calls from generate_series(timestamptz '2026-10-12 17:00+08', timestamptz '2026-10-12 23:00+08', interval '1 hour') as h left join calls c on c.started_at >= h and c.started_at < h + interval '1 hour' group by h order by h;

-- hour-of-day series 0..23 joined to local call hours
select hr, count(c.call_id) as calls from generate_series(0, 23) as hr left join calls c on extract(hour from c.started_at) = hr and c.queue = 'vip_service' group by hr order by hr;

-- session zone America/New_York for a series across the DST change
SET TIME ZONE 'America/New_York';

-- daily timestamptz series across the end of DST keeps local midnight
select d from generate_series(timestamptz '2026-10-30 00:00-04', timestamptz '2026-11-03 00:00-05', interval '1 day') as d order by d;

-- hourly series across the DST fall-back hour
select h from generate_series(timestamptz '2026-11-01 00:00-04', timestamptz '2026-11-01 03:00-05', interval '1 hour') as h order by h;

-- monthly series of dates across a month end
select m::date as month_start, (m + interval '1 month - 1 day')::date as month_end from generate_series(date '2026-08-01', date '2026-12-01', interval '1 month') as m order by m;

-- per-agent arrays of local call days in New York
select agent_id, array_agg(distinct (started_at at time zone 'America/New_York')::date order by (started_at at time zone 'America/New_York')::date) as ny_days from calls where agent_id in ('A0001', 'A0030') group by agent_id order by agent_id;

-- array_agg of dates and its display
select a.site, array_agg(a.hired_on order by a.hired_on, a.agent_id) as hire_dates from agents a where a.team = 'vip_service' group by a.site order by a.site;

-- array_agg over an empty input is NULL
select array_agg(call_id) as none, cardinality(array_agg(call_id)) as card from calls where queue = 'nonexistent';

-- unaliased array expressions keep PostgreSQL's column names
select array_agg(queue order by queue), array_length(array[1, 2], 1), cardinality(array[1]), string_to_array('a,b', ','), array_to_string(array['a', 'b'], '+') from calls where call_id = 'C20261005-000001';

-- set-returning functions in FROM without aliases are named after the function
select * from generate_series(1, 3);

-- unnest in FROM without an alias
select * from unnest(array['x', 'y']) order by 1;
