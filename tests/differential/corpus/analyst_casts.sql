-- Analyst casts, numeric types, rounding, integer arithmetic, booleans and NULL handling.

-- session zone fixed so text casts of timestamptz are deterministic
SET TimeZone = 'UTC';

-- talk time converted to seconds as float8, float4 and numeric(10,2)
select call_id, talk_ms / 1000.0 as s_numeric, (talk_ms / 1000.0)::float as s_float, (talk_ms / 1000.0)::real as s_real, (talk_ms / 1000.0)::numeric(10,2) as s_num2 from calls order by call_id limit 5;

-- integer cast of numeric halves rounds half away from zero
select 2.5::int as a, 3.5::int as b, (-2.5)::int as c, (-0.5)::int as d, 0.49999::int as e, 1.5::bigint as f;

-- integer cast of float8 halves rounds half to even
select 2.5::float8::int as a, 3.5::float8::int as b, (-2.5)::float8::int as c, 0.5::float8::bigint as d, 1.5::real::int as e;

-- round/trunc/ceil/floor of numeric and float8
select round(2.5) as r1, round(-2.5) as r2, round(2.5::float8) as r3, round(3.14159, 2) as r4, trunc(3.789, 1) as t1, trunc(-3.789) as t2, ceil(2.1) as c1, ceil(-2.1) as c2, floor(-2.1) as f1;

-- round of a negative scale and of a numeric(10,2) cast tie
select round(1234.5678, -2) as r1, 1234.565::numeric(10,2) as n1, (-1234.565)::numeric(10,2) as n2, '0.005'::numeric(4,2) as n3;

-- integer division and modulo with negatives
select 7 / 2 as a, -7 / 2 as b, 7 / -2 as c, 7 % 3 as d, -7 % 3 as e, 7 % -3 as f, mod(-7, 3) as g, div(-7, 2) as h;

-- bigint division of a column and numeric division
select call_id, talk_ms / 1000 as talk_s_int, talk_ms % 1000 as talk_ms_rem, talk_ms / 1000.0 as talk_s, talk_ms::numeric / 60000 as talk_min from calls order by call_id limit 5;

-- duration seconds as bigint from epoch of an interval
select call_id, extract(epoch from ended_at - started_at)::bigint as dur_s, extract(epoch from ended_at - started_at)::int as dur_s_int from calls order by call_id limit 5;

-- average duration seconds per queue rounded
select queue, round(avg(extract(epoch from ended_at - started_at)), 1) as avg_dur_s, max(extract(epoch from ended_at - started_at))::bigint as max_dur_s from calls group by queue order by queue;

-- talk-time buckets by integer division
select talk_ms / 60000 as talk_minute, count(*) as calls from calls group by 1 order by 1;

-- avg and sum result types over bigint and integer columns
select queue, avg(talk_ms) as avg_talk, sum(talk_ms) as sum_talk, sum(transfers) as sum_transfers, avg(transfers) as avg_transfers from calls group by queue order by queue;

-- avg over integer survey scores (numeric with many digits)
select c.region, avg(s.csat) as avg_csat, avg(s.nps) as avg_nps, sum(s.csat) as sum_csat, count(*) as n from surveys s join calls c using (call_id) group by c.region order by c.region;

-- avg over float8 asr_confidence by speaker
select speaker, avg(asr_confidence) as avg_conf, min(asr_confidence) as min_conf, round(avg(asr_confidence)::numeric, 4) as avg_conf4 from utterances group by speaker order by speaker;

-- share of calls per queue as float8 ratio
select queue, count(*)::float / (select count(*) from calls) as share from calls group by queue order by queue;

-- percentage with numeric math and rounding
select queue, round(100.0 * count(*) filter (where outcome = 'resolved') / count(*), 1) as resolved_pct, round(100.0 * avg(complaint::int), 2) as complaint_pct from calls group by queue order by queue;

-- integer ratio pitfall: count/count is integer division
select region, count(*) filter (where complaint) / count(*) as int_ratio, count(*) filter (where complaint) * 100 / count(*) as int_pct from calls group by region order by region;

-- numeric precision of division
select 1 / 3::numeric as a, 10::numeric / 3 as b, 2::numeric / 3 * 3 as c, 1.0 / 7 as d, 100::numeric / 7 as e;

-- numeric literal scales and typmod casts
select 1.10 as a, 1.100::numeric(6,1) as b, '1e3'::numeric as c, 123.456::numeric(5,1) as d, '3.14159'::numeric(4,2) as e, 0.000001234::numeric as f;

-- float8 display of inexact sums
select 0.1::float8 + 0.2::float8 as a, 1 / 3::float8 as b, 1e20::float8 as c, 1e-7::float8 as d, 1 / 3::real as e, 100::float8 as f;

-- sum of float8 seconds per region
select region, sum(talk_ms / 1000.0::float8) as talk_s_float, sum(talk_ms) / 1000.0 as talk_s_numeric from calls group by region order by region;

-- numeric total handle time in hours per agent team
select a.team, (sum(c.talk_ms + c.hold_ms + c.acw_ms) / 3600000.0)::numeric(10,2) as aht_hours from calls c join agents a using (agent_id) group by a.team order by a.team;

-- mixed int/bigint arithmetic result
select call_id, transfers * 1000 + ivr_ms as x, transfers + 0.5 as y, ivr_ms::int * 2 as z from calls order by call_id limit 5;

-- text casts of booleans, dates, timestamps, intervals and numbers
select complaint::text as c_text, date::text as d_text, started_at::text as ts_text, (ended_at - started_at)::text as iv_text, talk_ms::text as ms_text, (talk_ms / 1000.0)::text as s_text from calls order by call_id limit 3;

-- CAST syntax to text, varchar and integer
select cast(complaint as text) as c, cast(date as varchar) as d, cast('42' as int) as i, cast('42.5' as numeric) as n, cast(transfers as bigint) as b from calls order by call_id limit 3;

-- boolean literal spellings
select 't'::boolean as a, 'yes'::boolean as b, 'off'::boolean as c, '1'::boolean as d, 'N'::bool as e, 'TRUE'::boolean as f, cast('on' as boolean) as g;

-- boolean to integer and filters on boolean text
select complaint, complaint::int as ci, count(*) as calls from calls group by complaint order by complaint;

-- boolean aggregates per queue
select queue, bool_or(complaint) as any_complaint, bool_and(transfers = 0) as never_transferred, sum(complaint::int) as complaints from calls group by queue order by queue;

-- boolean expressions in the select list
select call_id, talk_ms > 60000 as long_talk, hold_ms = 0 and transfers = 0 as clean, outcome in ('resolved', 'transferred') as handled from calls order by call_id limit 5;

-- text to numbers and dates from strings
select '0042'::int as a, ' 17 '::int as b, '-3'::bigint as c, '2026-10-12'::date as d, '12:30:15'::time as e, '2.5e2'::float8 as f;

-- date and timestamptz comparisons with string literals
select count(*) filter (where date = '2026-10-12') as on_day, count(*) filter (where date > '2026-10-15'::date) as after, count(*) filter (where started_at::date = '2026-10-12') as started_day from calls;

-- coalesce of nullable agent and recording columns
select coalesce(agent_id, 'unassigned') as agent, count(*) as calls, count(recording_uri) as recorded from calls group by 1 order by calls desc, agent limit 8;

-- nullif to avoid division by zero and to average non-zero holds
select queue, avg(nullif(hold_ms, 0)) as avg_nonzero_hold, count(nullif(hold_ms, 0)) as held_calls, round(sum(hold_ms)::numeric / nullif(sum(talk_ms), 0), 4) as hold_ratio from calls group by queue order by queue;

-- empty string vs NULL survey comments
select count(*) as surveys, count(comment) as with_comment, count(nullif(comment, '')) as nonempty_comment, count(*) filter (where comment is null) as null_comment from surveys;

-- coalesce across types with casts
select call_id, coalesce(agent_id, '-') as agent, coalesce(nullif(transfers, 0)::text, 'none') as transfers_txt, coalesce(recording_uri, 'n/a') is not distinct from 'n/a' as missing_rec from calls where agent_id is null or call_id <= 'C20261005-000003' order by call_id limit 6;

-- default NULL ordering ascending (NULLs last)
select agent_id, count(*) as calls from calls where date = '2026-10-05' group by agent_id order by agent_id;

-- default NULL ordering descending (NULLs first)
select agent_id, count(*) as calls from calls where date = '2026-10-05' group by agent_id order by agent_id desc;

-- explicit NULLS FIRST ascending
select agent_id, count(*) as calls from calls where date = '2026-10-06' group by agent_id order by agent_id nulls first;

-- explicit NULLS LAST descending
select agent_id, count(*) as calls from calls where date = '2026-10-06' group by agent_id order by agent_id desc nulls last;

-- NULL ordering of a nullable aggregate in a LIMIT query
select a.agent_id, max(c.talk_ms) filter (where c.transfers > 0) as max_transfer_talk from agents a left join calls c using (agent_id) group by a.agent_id order by max_transfer_talk desc, a.agent_id limit 10;

-- NULL ordering on a text column with nulls in surveys
select c.queue, s.comment, count(*) as n from surveys s join calls c using (call_id) where c.queue = 'vip_service' group by 1, 2 order by s.comment nulls first, c.queue;

-- NULL arithmetic and comparison semantics
select null::int + 1 as a, null = null as b, null is null as c, coalesce(null, null, 3) as d, nullif(5, 5) as e, greatest(1, null, 3) as f, least(2, null) as g;

-- CASE with mixed numeric branches
select call_id, case when talk_ms > 100000 then talk_ms / 1000.0 when talk_ms > 50000 then talk_ms / 1000 else 0 end as talk_bucket from calls order by call_id limit 5;

-- to_char of numbers with grouping and fixed decimals
select to_char(1234567.891, 'FM9,999,999.00') as a, to_char(0.5, '0.00') as b, to_char(42, '000') as c, to_char(-12.3, 'FM999.9') as d;

-- to_char of aggregated talk minutes per queue
select queue, to_char(sum(talk_ms) / 60000.0, 'FM999,999.0') as talk_min from calls group by queue order by queue;

-- width_bucket for CSAT-like histograms
select width_bucket(talk_ms, 0, 180000, 6) as bucket, count(*) as calls from calls group by 1 order by 1;

-- stddev and variance result types
select queue, round(stddev(talk_ms), 2) as sd_talk, round(variance(transfers), 4) as var_transfers, stddev(asr_confidence) is not null as has_sd from calls join (select call_id, avg(asr_confidence) as asr_confidence from utterances group by call_id) u using (call_id) group by queue order by queue;

-- abs, sign, power, sqrt on numbers
select abs(-7) as a, sign(-2.5) as b, power(2, 10) as c, sqrt(16) as d, 2 ^ 3 as e, exp(0) as f, ln(1) as g;

-- average pitch per speaker for one call from audio features
select speaker, count(*) as seconds, count(pitch_hz) as voiced_seconds, round(avg(pitch_hz)::numeric, 1) as avg_pitch, round(avg(energy_db)::numeric, 2) as avg_energy from audio_features where call_id = 'C20261005-000001' group by speaker order by speaker;

-- unaliased expressions keep PostgreSQL's column names
select count(*), sum(talk_ms), avg(csat)::numeric(4,2), 1 + 1, cast(3.7 as int), coalesce(null, 'x') from calls join surveys using (call_id);
