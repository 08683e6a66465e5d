-- The fields of a timestamptz are taken in the session's TimeZone (PostgreSQL semantics).

-- calls per hour of day, UTC
select extract(hour from started_at) as h, count(*) as n from calls group by 1 order by 1;
-- calls per day, UTC
select date_trunc('day', started_at) as d, count(*) as n from calls group by 1 order by 1;

SET TimeZone = 'Asia/Shanghai';
-- calls per hour of day in UTC+8
select extract(hour from started_at) as h, count(*) as n from calls group by 1 order by 1;
-- date_part of the same
select date_part('hour', started_at) as h, count(*) as n from calls group by 1 order by 1;
-- calls per local day
select date_trunc('day', started_at) as d, count(*) as n from calls group by 1 order by 1;
-- local weeks start on the local Monday
select date_trunc('week', started_at) as w, count(*) as n from calls group by 1 order by 1;
-- day of week in the session zone
select extract(dow from started_at) as dow, count(*) as n from calls group by 1 order by 1;
-- epoch does not depend on the zone
select extract(epoch from started_at) as e from calls where call_id = 'C20261012-000001';
-- the year filter is taken in the zone too
select count(*) as n from calls where extract(year from started_at) = 2026;
-- the display follows the zone
select started_at, date_trunc('hour', started_at) as h from calls where call_id = 'C20261012-000001';

SET TimeZone = 'America/New_York';
-- hour of day west of UTC
select extract(hour from started_at) as h, count(*) as n from calls group by 1 order by 1;
-- local days west of UTC
select date_trunc('day', started_at) as d, count(*) as n from calls group by 1 order by 1;

RESET TimeZone;
-- back to UTC after RESET
select extract(hour from started_at) as h, count(*) as n from calls group by 1 order by 1;
