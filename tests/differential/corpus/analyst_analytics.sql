-- Analytical SQL as an analyst writes it: window functions, grouping sets, ordered-set
-- aggregates, subqueries, set operations, and the names PostgreSQL gives unnamed columns.

-- a constant integer: column ?column?, type int4
select 7;

-- a constant string literal: column ?column?, type text
select 'a';

-- two unnamed columns get the same name ?column?
select 1, 2;

-- two identical unnamed aggregates are both named count
select queue, count(*), count(*) from calls group by queue order by queue;

-- the same unnamed expression twice: both columns ?column?
select call_id, talk_ms / 1000, talk_ms / 1000 from calls where call_id <= 'C20261005-000003' order by call_id;

-- unnamed expressions over columns: ?column? for operators, the function name for calls
select call_id, talk_ms / 1000, upper(queue), count(*) over () from calls where call_id <= 'C20261005-000003' order by call_id;

-- an unnamed CASE expression is named case
select call_id, case when talk_ms > 120000 then 'long' else 'short' end from calls where call_id <= 'C20261005-000005' order by call_id;

-- searched CASE with several branches and no ELSE, grouped
select case when queue_wait_ms = 0 then 'none' when queue_wait_ms < 30000 then '<30s' when queue_wait_ms < 120000 then '<2m' end as wait_band, count(*) from calls group by 1 order by 1 nulls first;

-- simple CASE form with ELSE
select case customer_tier when 'vip' then 1 when 'regular' then 2 else 3 end as tier_rank, customer_tier, count(*) from calls group by 1, 2 order by 1;

-- a cast column is named after the cast target type
select cast(talk_ms as numeric), talk_ms::float8, date::text from calls where call_id = 'C20261005-000001';

-- row_number per queue by start time with call_id as tie-breaker
select call_id, queue, row_number() over (partition by queue order by started_at, call_id) as rn from calls where date = '2026-10-05' order by queue, rn;

-- (row_number() - 1) / 20 integer division gives page numbers
select (row_number() over (order by call_id) - 1) / 20 as page, count(*) over () as total, call_id from calls where date = '2026-10-06' order by call_id;

-- pages of 20 calls, counted per page
select page, count(*), min(call_id), max(call_id) from (select call_id, (row_number() over (order by started_at, call_id) - 1) / 20 as page from calls) t group by page order by page;

-- rank and dense_rank on a value with ties
select call_id, transfers, rank() over (order by transfers desc) as r, dense_rank() over (order by transfers desc) as dr from calls where date = '2026-10-05' order by transfers desc, call_id;

-- top 3 longest calls per queue via rank in a subquery
select queue, call_id, talk_ms, r from (select queue, call_id, talk_ms, rank() over (partition by queue order by talk_ms desc, call_id) as r from calls) t where r <= 3 order by queue, r;

-- lag and lead of start time within an agent's day, gap in seconds
select agent_id, call_id, started_at, lag(call_id) over w as prev_call, lead(call_id) over w as next_call, extract(epoch from started_at - lag(ended_at) over w) as gap_s from calls where date = '2026-10-05' and agent_id in ('A0001', 'A0002') window w as (partition by agent_id order by started_at, call_id) order by agent_id, started_at, call_id;

-- lag with an offset and a default value
select call_id, transfers, lag(transfers, 2, -1) over (order by call_id) as lag2 from calls where date = '2026-10-05' and queue = 'vip_service' order by call_id;

-- first_value and last_value with a full frame
select queue, call_id, first_value(call_id) over w as first_call, last_value(call_id) over (partition by queue order by started_at, call_id rows between unbounded preceding and unbounded following) as last_call from calls where date = '2026-10-07' window w as (partition by queue order by started_at, call_id) order by queue, call_id;

-- nth_value within a partition
select team, agent_id, nth_value(agent_id, 2) over (partition by team order by agent_id rows between unbounded preceding and unbounded following) as second from agents order by team, agent_id;

-- ntile into 4 buckets of talk time
select call_id, talk_ms, ntile(4) over (order by talk_ms, call_id) as quartile from calls where date = '2026-10-10' order by talk_ms, call_id;

-- running sum with the default RANGE frame (peers by date included)
select date, count(*) as n, sum(count(*)) over (order by date) as running from calls group by date order by date;

-- running sum with a ROWS frame, and a 3-row moving average
select date, count(*) as n, sum(count(*)) over (order by date rows between unbounded preceding and current row) as running, avg(count(*)) over (order by date rows between 2 preceding and current row) as ma3 from calls group by date order by date;

-- moving sum with a centered ROWS frame per queue
select queue, date, sum(talk_ms) as talk, sum(sum(talk_ms)) over (partition by queue order by date rows between 1 preceding and 1 following) as talk3 from calls group by queue, date order by queue, date;

-- share of total with sum() over ()
select queue, count(*) as n, round(100.0 * count(*) / sum(count(*)) over (), 2) as pct from calls group by queue order by queue;

-- percent_rank and cume_dist on csat
select call_id, csat, percent_rank() over (order by csat) as pr, cume_dist() over (order by csat) as cd from surveys where date = '2026-10-05' order by csat, call_id;

-- window aggregate count and max per partition without ORDER BY
select agent_id, call_id, count(*) over (partition by agent_id) as agent_calls, max(talk_ms) over (partition by agent_id) as agent_max from calls where date = '2026-10-08' and agent_id is not null order by agent_id, call_id;

-- aggregate FILTER (WHERE ...) for several outcomes
select queue, count(*) filter (where outcome = 'resolved') as resolved, count(*) filter (where outcome <> 'resolved') as other, sum(talk_ms) filter (where complaint) as complaint_talk from calls group by queue order by queue;

-- FILTER on avg and a resolution rate
select region, avg(talk_ms) filter (where direction = 'inbound') as avg_in, avg(talk_ms) filter (where direction = 'outbound') as avg_out, count(*) filter (where outcome = 'resolved')::float8 / count(*) as rate from calls group by region order by region;

-- GROUPING SETS with grouping() to tell subtotal rows apart
select queue, direction, grouping(queue) as gq, grouping(direction) as gd, count(*) from calls group by grouping sets ((queue, direction), (queue), ()) order by queue nulls last, direction nulls last;

-- ROLLUP over two columns
select customer_tier, outcome, count(*), sum(transfers) from calls group by rollup (customer_tier, outcome) order by customer_tier nulls last, outcome nulls last;

-- CUBE with a combined grouping() bitmask
select direction, complaint, grouping(direction, complaint) as g, count(*) from calls group by cube (direction, complaint) order by g, direction, complaint;

-- DISTINCT ON: each agent's longest call
select distinct on (agent_id) agent_id, call_id, talk_ms from calls where agent_id is not null order by agent_id, talk_ms desc, call_id;

-- DISTINCT ON: the first utterance of each speaker in a few calls
select distinct on (call_id, speaker) call_id, speaker, turn, left(text, 10) as head from utterances where call_id <= 'C20261005-000004' order by call_id, speaker, turn;

-- LATERAL join: each agent's two most recent calls
select a.agent_id, a.name, c.call_id, c.started_at from agents a cross join lateral (select call_id, started_at from calls where calls.agent_id = a.agent_id order by started_at desc, call_id limit 2) c order by a.agent_id, c.started_at desc, c.call_id;

-- LEFT JOIN LATERAL with ON true, keeping calls without utterances
select c.call_id, u.turns, u.chars from calls c left join lateral (select count(*) as turns, sum(length(text)) as chars from utterances where utterances.call_id = c.call_id) u on true where c.date = '2026-10-05' and c.queue = 'retention' order by c.call_id;

-- CTE feeding an aggregate and a join back
with per_agent as (select agent_id, count(*) as n, sum(talk_ms) as talk from calls where agent_id is not null group by agent_id) select a.team, sum(p.n) as calls, max(p.talk) as max_talk from per_agent p join agents a using (agent_id) group by a.team order by a.team;

-- two chained CTEs
with daily as (select date, queue, count(*) as n from calls group by date, queue), ranked as (select date, queue, n, rank() over (partition by date order by n desc, queue) as r from daily) select date, queue, n from ranked where r = 1 order by date;

-- correlated scalar subquery in the select list
select a.agent_id, a.name, (select count(*) from calls c where c.agent_id = a.agent_id and c.complaint) as complaints from agents a order by a.agent_id;

-- correlated subquery comparing with the queue's average
select call_id, queue, talk_ms from calls c where c.date = '2026-10-05' and c.talk_ms > (select avg(talk_ms) * 2 from calls c2 where c2.queue = c.queue) order by call_id;

-- EXISTS and NOT EXISTS
select count(*) filter (where exists (select 1 from surveys s where s.call_id = c.call_id)) as surveyed, count(*) filter (where not exists (select 1 from surveys s where s.call_id = c.call_id)) as not_surveyed from calls c;

-- EXISTS and NOT EXISTS in WHERE
select c.queue, count(*) filter (where c.complaint) as complaints, count(*) as n from calls c where exists (select 1 from surveys s where s.call_id = c.call_id and s.csat <= 2) and not exists (select 1 from agents a where a.agent_id = c.agent_id and a.shift = 'night') group by c.queue order by c.queue;

-- IN (subquery) and NOT IN (subquery)
select queue, count(*) from calls where call_id in (select call_id from surveys where csat <= 2) and agent_id not in (select agent_id from agents where shift = 'night') group by queue order by queue;

-- ARRAY(subquery) builds an ordered array per agent
select a.agent_id, array(select c.call_id from calls c where c.agent_id = a.agent_id and c.date = '2026-10-05' order by c.call_id) as calls from agents a where a.team = 'vip_service' order by a.agent_id;

-- array_agg with ORDER BY and array_length
select team, array_agg(agent_id order by agent_id) as ids, array_length(array_agg(agent_id), 1) as n from agents group by team order by team;

-- percentile_cont(0.5) and percentile_disc per queue
select queue, percentile_cont(0.5) within group (order by talk_ms) as median, percentile_disc(0.9) within group (order by talk_ms) as p90 from calls group by queue order by queue;

-- percentile_cont over several fractions as an array
select percentile_cont(array[0.25, 0.5, 0.75]) within group (order by csat) as quartiles from surveys;

-- mode() WITHIN GROUP
select queue, mode() within group (order by outcome) as common_outcome from calls group by queue order by queue;

-- count(distinct ...) and count(distinct) over two columns
select date, count(distinct agent_id) as agents, count(distinct customer_id) as customers, count(distinct (queue, region)) as queue_regions from calls group by date order by date;

-- bool_and / bool_or / every
select queue, bool_and(talk_ms > 0) as all_talked, bool_or(complaint) as any_complaint, every(transfers < 3) as few_transfers from calls group by queue order by queue;

-- stddev, variance and their population forms on bigint
select queue, stddev(talk_ms) as sd, variance(talk_ms) as var, stddev_pop(talk_ms) as sdp, var_pop(talk_ms) as vp from calls group by queue order by queue;

-- stddev and avg on float8 (asr_confidence)
select speaker, avg(asr_confidence) as a, stddev_samp(asr_confidence) as sd, min(asr_confidence), max(asr_confidence) from utterances group by speaker order by speaker;

-- corr and regr_slope between survey scores
select corr(csat, nps) as r, regr_slope(nps, csat) as slope, covar_pop(csat, nps) as cov from surveys;

-- corr between wait time and csat via a join
select c.queue, corr(c.queue_wait_ms, s.csat) as r, count(*) from calls c join surveys s on s.call_id = c.call_id group by c.queue order by c.queue;

-- width_bucket on talk time into 10 buckets
select width_bucket(talk_ms, 0, 600000, 10) as bucket, count(*) from calls group by 1 order by 1;

-- width_bucket with a float operand
select width_bucket(asr_confidence, 0.5, 1.0, 5) as bucket, count(*) from utterances group by 1 order by 1;

-- UNION removes duplicates, UNION ALL keeps them
select queue from calls where date = '2026-10-05' union select team from agents order by 1;

-- UNION ALL of two aggregates with a label column
select 'calls' as src, count(*) as n from calls union all select 'surveys', count(*) from surveys union all select 'agents', count(*) from agents order by src;

-- INTERSECT and EXCEPT
select agent_id from calls where date = '2026-10-05' intersect select agent_id from agents where site = 'manila' except select agent_id from calls where date = '2026-10-06' and complaint order by 1;

-- EXCEPT ALL keeps multiplicity
select count(*) from (select queue from calls except all select team from agents) t;

-- INTERSECT ALL keeps the smaller multiplicity
select count(*) from (select queue from calls intersect all select team from agents) t;

-- a VALUES list joined to calls
select v.queue, v.target, count(c.call_id) as n from (values ('billing', 800), ('sales', 500), ('nope', 1)) as v(queue, target) left join calls c on c.queue = v.queue group by v.queue, v.target order by v.queue;

-- a bare VALUES list: columns column1, column2
values (1, 'one'), (2, 'two'), (3, null) order by 1;

-- calls joined with agents and surveys
select a.team, count(*) as calls, count(s.call_id) as surveys, avg(s.csat) as csat from calls c join agents a on a.agent_id = c.agent_id left join surveys s on s.call_id = c.call_id group by a.team order by a.team;

-- calls joined with utterances: turns per call outcome
select c.outcome, count(distinct c.call_id) as calls, count(*) as turns, count(*) filter (where u.speaker = 'agent') as agent_turns from calls c join utterances u on u.call_id = c.call_id group by c.outcome order by c.outcome;

-- calls without an agent (LEFT JOIN ... IS NULL anti-join)
select c.outcome, count(*) from calls c left join agents a on a.agent_id = c.agent_id where a.agent_id is null group by c.outcome order by c.outcome;

-- HAVING with an aggregate comparison
select agent_id, count(*) as n from calls where agent_id is not null group by agent_id having count(*) > 80 and sum(talk_ms) > 0 order by n desc, agent_id;

-- ORDER BY with NULLS FIRST / DESC NULLS LAST and LIMIT OFFSET on a total order
select call_id, agent_id from calls where date = '2026-10-05' order by agent_id desc nulls last, call_id limit 10 offset 5;

-- integer division and modulo on bigint, and numeric division
select talk_ms / 60000 as minutes, talk_ms % 60000 as rest, talk_ms / 60000.0 as exact from calls where call_id <= 'C20261005-000003' order by call_id;

-- interval arithmetic from ended_at - started_at, its epoch, and justify
select call_id, ended_at - started_at as dur, extract(epoch from ended_at - started_at) as secs from calls where call_id <= 'C20261005-000003' order by call_id;

-- extract(second ...) keeps the fractional seconds; date_part is the same function
select call_id, extract(second from started_at) as s, date_part('second', started_at) as dp, extract(minute from started_at) as m from calls where call_id <= 'C20261005-000003' order by call_id;

-- GROUP BY an expression with a window over the grouped result
select extract(hour from started_at) as hr, count(*) as n, rank() over (order by count(*) desc) as r from calls group by 1 order by 1;

-- generate_series joined to find empty hours
select h, count(c.call_id) as n from generate_series(0, 23) as h left join calls c on extract(hour from c.started_at) = h and c.date = '2026-10-05' group by h order by h;

-- nested aggregates via a subquery: average calls per agent per day
select round(avg(n), 3) as avg_per_agent_day, max(n) from (select agent_id, date, count(*) as n from calls where agent_id is not null group by agent_id, date) t;

-- coalesce, nullif and greatest/least
select call_id, coalesce(agent_id, '(none)') as agent, nullif(transfers, 0) as t, greatest(ivr_ms, queue_wait_ms, hold_ms) as g, least(ivr_ms, queue_wait_ms) as l from calls where date = '2026-10-05' and (agent_id is null or transfers > 0) order by call_id;
