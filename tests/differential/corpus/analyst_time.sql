-- Analyst date/time queries across session time zones (UTC, Asia/Shanghai, America/New_York).

-- session zone set by name to UTC
SET TimeZone = 'UTC';

-- timestamptz literal with +08 offset displayed in UTC
select timestamptz '2026-10-12 08:00+08' as shift_start;

-- timestamptz column display (microseconds, +00) for the first calls
select call_id, started_at, ended_at from calls order by call_id limit 5;

-- hour-of-day histogram in UTC with extract (numeric)
select extract(hour from started_at) as hr, count(*) as calls from calls group by 1 order by 1;

-- day-of-week histogram with date_part (double precision)
select date_part('dow', started_at) as dow, count(*) as calls from calls group by 1 order by 1;

-- ISO day of week with average talk time per weekday
select extract(isodow from started_at) as isodow, count(*) as calls, round(avg(talk_ms) / 1000.0, 1) as avg_talk_s from calls group by 1 order by 1;

-- ISO week number of the call start
select extract(week from started_at) as wk, count(*) as calls from calls group by 1 order by 1;

-- epoch seconds of timestamptz (numeric with microseconds)
select call_id, extract(epoch from started_at) as start_epoch from calls order by call_id limit 5;

-- date_part epoch (double precision)
select call_id, date_part('epoch', ended_at) as end_epoch from calls order by call_id limit 5;

-- year, month, day, doy, quarter parts
select extract(year from started_at) as y, extract(month from started_at) as m, extract(quarter from started_at) as q, min(extract(doy from started_at)) as first_doy, count(*) as calls from calls group by 1, 2, 3 order by 1, 2, 3;

-- minute and fractional second parts
select call_id, extract(minute from started_at) as mi, extract(second from started_at) as sec, date_part('second', started_at) as sec_dp, extract(milliseconds from started_at) as ms from calls order by call_id limit 5;

-- hourly volume for one UTC day via date_trunc('hour')
select date_trunc('hour', started_at) as hour_bucket, count(*) as calls from calls where started_at >= '2026-10-07 00:00+00' and started_at < '2026-10-08 00:00+00' group by 1 order by 1;

-- daily volume and resolution rate via date_trunc('day')
select date_trunc('day', started_at) as day, count(*) as calls, count(*) filter (where outcome = 'resolved') as resolved from calls group by 1 order by 1;

-- weekly volume by queue via date_trunc('week') (Monday start)
select date_trunc('week', started_at) as week, queue, count(*) as calls from calls group by 1, 2 order by 1, 2;

-- monthly volume via date_trunc('month')
select date_trunc('month', started_at) as month, count(*) as calls, sum(talk_ms) as talk_ms from calls group by 1 order by 1;

-- comparison with +08 offset literals (one Shanghai business day)
select queue, count(*) as calls from calls where started_at >= '2026-10-12 08:00+08' and started_at < '2026-10-13 08:00+08' group by queue order by queue;

-- BETWEEN with timestamptz literals with different offsets
select count(*) as calls from calls where started_at between '2026-10-10 00:00:00-04' and '2026-10-10 23:59:59.999999-04';

-- zone-less literal is interpreted in the session zone (UTC)
select count(*) as calls from calls where started_at >= '2026-10-12' and started_at < '2026-10-13';

-- started_at::date against the stored date column in UTC
select count(*) filter (where started_at::date = date) as same_day, count(*) filter (where started_at::date <> date) as other_day from calls;

-- minimum/maximum timestamptz per region
select region, min(started_at) as first_call, max(ended_at) as last_end from calls group by region order by region;

-- session zone Asia/Shanghai by name
SET TimeZone = 'Asia/Shanghai';

-- SHOW reports the session zone
show timezone;

-- timestamptz display in +08
select call_id, started_at, ended_at from calls order by call_id limit 5;

-- the same literal now displays in +08
select timestamptz '2026-10-12 08:00+08' as shift_start, timestamptz '2026-10-12 00:00+00' as utc_midnight;

-- hour-of-day histogram in Shanghai local time
select extract(hour from started_at) as local_hr, count(*) as calls from calls group by 1 order by 1;

-- hour of day by queue (business-hours profile)
select queue, extract(hour from started_at)::int as local_hr, count(*) as calls from calls where queue in ('vip_service', 'retention') group by 1, 2 order by 1, 2;

-- local-day buckets with date_trunc('day') in Shanghai
select date_trunc('day', started_at) as local_day, count(*) as calls from calls group by 1 order by 1;

-- local dates by cast to date in Shanghai
select started_at::date as local_date, count(*) as calls, round(avg(talk_ms)) as avg_talk_ms from calls group by 1 order by 1;

-- how many calls' local date differs from the stored date column
select count(*) filter (where started_at::date = date) as same_day, count(*) filter (where started_at::date <> date) as other_day from calls;

-- week buckets in Shanghai local time
select date_trunc('week', started_at) as local_week, count(*) as calls from calls group by 1 order by 1;

-- day of week in Shanghai vs UTC via AT TIME ZONE
select extract(dow from started_at) as local_dow, extract(dow from started_at at time zone 'UTC') as utc_dow, count(*) as calls from calls group by 1, 2 order by 1, 2;

-- zone-less literal is interpreted in Shanghai now
select count(*) as calls from calls where started_at >= '2026-10-12' and started_at < '2026-10-13';

-- AT TIME ZONE turns timestamptz into a local timestamp
select call_id, started_at at time zone 'UTC' as utc_wall, started_at at time zone 'America/New_York' as ny_wall, started_at at time zone 'Asia/Tokyo' as tokyo_wall from calls order by call_id limit 5;

-- AT TIME ZONE on a timestamp gives timestamptz shown in the session zone
select timestamp '2026-10-12 08:00' at time zone 'America/New_York' as ny_eight;

-- local date in another zone via AT TIME ZONE then ::date
select (started_at at time zone 'America/New_York')::date as ny_date, count(*) as calls from calls group by 1 order by 1;

-- extract hour from a timestamp produced by AT TIME ZONE
select date_part('hour', started_at at time zone 'UTC') as utc_hr, count(*) as calls from calls group by 1 order by 1;

-- time zone offset parts of timestamptz
select extract(timezone from timestamptz '2026-10-12 08:00+00') as tz_s, extract(timezone_hour from timestamptz '2026-10-12 08:00+00') as tz_h;

-- to_char standard report format in local time
select call_id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS') as started_local, to_char(ended_at, 'YYYY-MM-DD HH24:MI:SS.MS') as ended_local from calls order by call_id limit 5;

-- to_char with day and month names, ISO week, quarter
select call_id, to_char(started_at, 'Dy DD Mon YYYY') as d1, to_char(started_at, 'IYYY-"W"IW') as iso_week, to_char(started_at, 'YYYY"Q"Q') as quarter, to_char(started_at, 'Day') as dayname from calls order by call_id limit 5;

-- to_char with FM modifiers and 12-hour clock
select call_id, to_char(started_at, 'FMMonth FMDD, YYYY') as long_date, to_char(started_at, 'FMHH12:MI AM') as clock, to_char(started_at, 'HH12:MI:SS PM') as clock_padded from calls order by call_id limit 5;

-- to_char with time zone abbreviation and offset, day of year, microseconds
select call_id, to_char(started_at, 'YYYY-MM-DD"T"HH24:MI:SSOF') as iso_local, to_char(started_at, 'DDD') as doy, to_char(started_at, 'US') as micros, to_char(started_at, 'TZ') as tz_abbr from calls order by call_id limit 3;

-- to_char hour labels for a dashboard
select to_char(date_trunc('hour', started_at), 'HH24:00') as hour_label, count(*) as calls from calls group by 1 order by 1;

-- to_char month/day labels
select to_char(started_at, 'MM/DD') as md, to_char(started_at, 'D') as dow_num, count(*) as calls from calls group by 1, 2 order by 1, 2;

-- session zone America/New_York with SET TIME ZONE
SET TIME ZONE 'America/New_York';

-- SHOW after SET TIME ZONE
show timezone;

-- timestamptz display in EDT
select call_id, started_at, ended_at from calls order by call_id limit 5;

-- hour of day in New York by direction
select direction, extract(hour from started_at) as ny_hr, count(*) as calls from calls group by 1, 2 order by 1, 2;

-- local days in New York with averages
select date_trunc('day', started_at) as ny_day, count(*) as calls, round(avg(queue_wait_ms) / 1000.0, 2) as avg_wait_s from calls group by 1 order by 1;

-- date_trunc across the DST change (interpreted in New York)
select date_trunc('day', timestamptz '2026-11-01 12:00+00') as d1, date_trunc('day', timestamptz '2026-11-02 12:00+00') as d2, date_trunc('month', timestamptz '2026-11-15 12:00+00') as m;

-- timestamptz plus interval across the DST change keeps wall-clock days
select timestamptz '2026-10-31 12:00-04' + interval '1 day' as plus_day, timestamptz '2026-10-31 12:00-04' + interval '24 hours' as plus_24h;

-- call duration interval display
select call_id, ended_at - started_at as duration from calls order by call_id limit 5;

-- average, min and max call duration per queue (interval aggregates)
select queue, avg(ended_at - started_at) as avg_duration, min(ended_at - started_at) as shortest, max(ended_at - started_at) as longest from calls group by queue order by queue;

-- total handled time per region as interval sum and justify_hours
select region, sum(ended_at - started_at) as total, justify_hours(sum(ended_at - started_at)) as total_justified from calls group by region order by region;

-- interval comparison filter
select queue, count(*) as long_calls from calls where ended_at - started_at > interval '5 minutes' group by queue order by queue;

-- epoch of an interval (duration seconds)
select call_id, extract(epoch from ended_at - started_at) as dur_s, (talk_ms + hold_ms) / 1000.0 as talk_hold_s from calls order by call_id limit 5;

-- age between two timestamptz values of a call
select call_id, age(ended_at, started_at) as age_dur from calls order by call_id limit 3;

-- age of agents' tenure from a fixed date
select agent_id, hired_on, age(date '2026-10-18', hired_on) as tenure from agents order by agent_id limit 10;

-- age on timestamptz spanning months in the New York zone
select age(timestamptz '2026-11-02 00:00+00', timestamptz '2026-10-01 00:00+00') as a1, age(timestamp '2026-03-31', timestamp '2026-02-28') as a2;

-- survey response delay after call end, per queue
select c.queue, count(*) as surveys, avg(s.answered_at - c.ended_at) as avg_delay, max(s.answered_at - c.ended_at) as max_delay from surveys s join calls c using (call_id) group by c.queue order by c.queue;

-- surveys answered within an hour of the call end
select count(*) filter (where s.answered_at - c.ended_at <= interval '1 hour') as within_hour, count(*) as total from surveys s join calls c using (call_id);

-- survey answer hour of day in New York
select extract(hour from answered_at) as ny_hr, count(*) as surveys, round(avg(csat), 2) as avg_csat from surveys group by 1 order by 1;

-- to_timestamp with a format, interpreted in the session zone
select to_timestamp('2026-10-12 08:00:00', 'YYYY-MM-DD HH24:MI:SS') as ts_ny;

-- to_timestamp of an epoch number
select to_timestamp(1791792000) as from_epoch, to_timestamp(1791792000.5) as from_epoch_frac;

-- to_date with different formats
select to_date('2026-10-12', 'YYYY-MM-DD') as d1, to_date('12/10/2026', 'DD/MM/YYYY') as d2, to_date('20261012', 'YYYYMMDD') as d3;

-- to_date used as a filter on the date column
select date, count(*) as calls from calls where date >= to_date('2026-10-16', 'YYYY-MM-DD') group by date order by date;

-- session zone back to UTC with SET TIME ZONE
SET TIME ZONE 'UTC';

-- date + integer, date - integer, date - date
select date '2026-10-12' + 7 as next_week, date '2026-10-12' - 1 as prev_day, date '2026-10-18' - date '2026-10-05' as days_between;

-- date + interval and date + time give timestamps
select date '2026-10-12' + interval '1 day' as d_plus_iv, date '2026-10-12' + time '08:30' as d_plus_time, date '2026-10-12' - interval '1 hour' as d_minus_iv;

-- agent tenure in days with date subtraction
select agent_id, date '2026-10-18' - hired_on as tenure_days from agents order by tenure_days desc, agent_id limit 10;

-- calls per agent tenure band computed from date arithmetic
select case when c.date - a.hired_on < 90 then 'new' when c.date - a.hired_on < 365 then 'first_year' else 'veteran' end as band, count(*) as calls from calls c join agents a using (agent_id) group by 1 order by 1;

-- date column parts: dow, isodow, week, day
select date, extract(dow from date) as dow, extract(isodow from date) as isodow, extract(week from date) as wk, extract(day from date) as dom from calls group by date order by date;

-- date_trunc('week') on a date column returns timestamptz
select date_trunc('week', date) as wk, count(*) as calls from calls group by 1 order by 1;

-- date_trunc on a date column in another session zone
SET TimeZone = 'Asia/Shanghai';

-- date_trunc('week') of a date in Shanghai (midnight local)
select date_trunc('week', date) as wk, count(*) as calls from calls group by 1 order by 1;

-- date column cast to timestamptz in Shanghai
select date::timestamptz as day_start, count(*) as calls from calls where date <= '2026-10-07' group by 1 order by 1;

-- make_interval with named arguments
select make_interval(hours => 2, mins => 30) as iv1, make_interval(days => 10) as iv2, make_interval(years => 1, months => 2, weeks => 1) as iv3, make_interval(secs => 90.5) as iv4;

-- make_interval from a column (SLA by number of transfers)
select transfers, make_interval(mins => 5 * (transfers + 1)) as sla, count(*) as calls from calls group by transfers order by transfers;

-- interval literal display
select interval '1 day 2 hours' as a, interval '90 minutes' as b, interval '-1 day +2 hours' as c, interval '1 year 2 months 3 days' as d, interval '36 hours' as e, interval '0.5 seconds' as f;

-- interval arithmetic
select interval '1 hour' * 2.5 as a, interval '1 day' / 3 as b, interval '1 hour' + interval '30 minutes' as c, interval '2 hours' - interval '3 hours' as d, -interval '5 minutes' as e;

-- justify_days / justify_interval and interval comparison
select justify_days(interval '45 days') as a, justify_interval(interval '1 month -1 hour') as b, interval '24 hours' = interval '1 day' as eq;

-- timestamptz plus interval computed from milliseconds
select call_id, started_at + talk_ms * interval '1 millisecond' as talk_end, started_at + make_interval(secs => queue_wait_ms / 1000.0) as answered from calls order by call_id limit 5;

-- timestamptz minus interval and difference of literals
select timestamptz '2026-10-12 08:00+08' - interval '8 hours' as a, timestamptz '2026-10-13 00:00+00' - timestamptz '2026-10-12 08:00+08' as b;

-- busiest hour per local day (window over hourly counts)
select local_day, hr, calls from (select started_at::date as local_day, extract(hour from started_at) as hr, count(*) as calls, row_number() over (partition by started_at::date order by count(*) desc, extract(hour from started_at)) as rn from calls group by 1, 2) t where rn = 1 order by local_day;

-- unaliased date/time expressions keep PostgreSQL's column names
select extract(hour from started_at), date_part('dow', started_at), date_trunc('day', started_at), to_char(started_at, 'HH24'), started_at::date from calls order by call_id limit 2;

-- survey timestamps whose fractional seconds have trailing zeros trimmed
select call_id, answered_at, answered_at - interval '30 minutes' as reminder_at from surveys order by call_id limit 5;
