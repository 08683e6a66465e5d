-- pgbench script: what a QA dashboard asks, one transaction = one refresh of the panels.
\set d random(5, 18)
\set a random(1, 40)
select queue, count(*) as calls, avg(talk_ms) / 1000.0 as aht_s, avg(case when complaint then 1.0 else 0.0 end) as complaint_rate from calls where date = cast('2026-10-' || lpad(cast(:d as text), 2, '0') as date) group by queue order by queue;
select agent_id, round(avg(score), 1) as qa_score, count(*) as calls from qa_scorecard where date = cast('2026-10-' || lpad(cast(:d as text), 2, '0') as date) group by agent_id order by qa_score desc limit 10;
select c.region, avg(s.csat) as csat, count(*) as surveys from calls c join surveys s on s.call_id = c.call_id group by c.region order by c.region;
select call_id, evidence_start_ms, evidence_text from qa_results where rule_id = 'greeting' and not passed and date = cast('2026-10-' || lpad(cast(:d as text), 2, '0') as date) order by call_id limit 20;
select u.call_id, u.start_ms, u.text from utterances u join calls c on c.call_id = u.call_id where c.agent_id = 'A' || lpad(cast(:a as text), 4, '0') and u.text like '%退款%' order by u.call_id, u.start_ms limit 50;
