-- String functions and pattern matching as an analyst writes them over calls, utterances,
-- surveys and agents (utterances.text and surveys.comment hold Chinese and English text).

-- LIKE with a trailing wildcard, counted per queue
select queue, count(*) as n from calls where recording_uri like 's3://recordings/2026/10/1%' group by queue order by queue;

-- LIKE with _ single-character wildcards
select count(*) from calls where call_id like 'C2026100_-00001_';

-- NOT LIKE excludes matching rows; NULL recording_uri is neither LIKE nor NOT LIKE
select count(*) as total, count(*) filter (where recording_uri not like '%.wav') as not_wav, count(*) filter (where recording_uri is null) as no_uri from calls;

-- LIKE on Chinese text with a wildcard on both sides
select count(*) from utterances where text like '%套餐%';

-- ILIKE is case-insensitive on English text
select count(*) as ilike_n, count(*) filter (where text like '%starriver%') as like_n from utterances where text ilike '%starriver%';

-- NOT ILIKE combined with LIKE
select speaker, count(*) from utterances where text like 'Hello%' and text not ilike '%HOW MAY I HELP%' group by speaker order by speaker;

-- LIKE with ESCAPE '/' to match a literal underscore
select outcome, count(*) from calls where outcome like '%/_%' escape '/' group by outcome order by outcome;

-- LIKE with ESCAPE '/' to match a literal percent sign in a constant
select 'a%b' like 'a/%b' escape '/' as esc_pct, 'axb' like 'a/%b' escape '/' as esc_other, 'a_b' like 'a/_b' escape '/' as esc_us;

-- backslash is the default LIKE escape
select 'tech_support' like 'tech\_%' as esc_default, 'techXsupport' like 'tech\_%' as esc_default_no;

-- SIMILAR TO with alternation and a character class
select queue, count(*) from calls where queue similar to '(billing|sales)%' group by queue order by queue;

-- SIMILAR TO anchored on the whole string with a repetition
select count(*) from calls where call_id similar to 'C[0-9]{8}-[0-9]{6}';

-- SIMILAR TO metacharacters on constants: _ is any character, . is literal
select 'billing' similar to 'bill_ng' as us, 'billx' similar to 'bill.' as dot, 'bill.' similar to 'bill.' as dot_lit, 'billing' similar to 'bill.*' as dot_star;

-- NOT SIMILAR TO
select count(*) from agents where name not similar to '(李|王|张)%';

-- regex match ~ on digits groups (phone numbers)
select count(*) from utterances where text ~ '[0-9]{3} [0-9]{4} [0-9]{4}';

-- case-insensitive regex match ~*
select count(*) from utterances where text ~* '^(hello|hi)\M';

-- case-insensitive regex match ~* with an alternation and a character class
select speaker, count(*) from utterances where text ~* '^(hello|hi)[, ]' group by speaker order by speaker;

-- \b in a PostgreSQL regex is a backspace, not a word boundary
select 'Hello there' ~* '^(hello|hi)\b' as b_escape, 'Hello' ~* '^(hello|hi)\b' as b_end;

-- !~ negated regex match
select speaker, count(*) from utterances where call_id = 'C20261005-000001' and text !~ '[吗？]' group by speaker order by speaker;

-- regexp_replace masking every digit with the g flag
select turn, regexp_replace(text, '[0-9]', '#', 'g') as masked from utterances where call_id = 'C20261005-000001' order by turn;

-- regexp_replace without g replaces only the first match
select turn, regexp_replace(text, '[0-9]+', 'N') as first_only from utterances where call_id = 'C20261005-000003' order by turn;

-- regexp_replace with the case-insensitive i flag and a back-reference
select turn, regexp_replace(text, '(starriver)', '<\1>', 'gi') as tagged from utterances where call_id = 'C20261005-000003' order by turn;

-- regexp_match returns a text array of the capture groups
select turn, regexp_match(text, '([0-9]{3}) ([0-9]{4}) ([0-9]{4})') as phone from utterances where call_id = 'C20261005-000001' order by turn;

-- indexing the regexp_match array
select (regexp_match(recording_uri, '/([0-9]{2})/([0-9]{2})/'))[2] as day, count(*) from calls where recording_uri is not null group by 1 order by 1;

-- regexp_matches with the g flag returns one row per match
select u.turn, m from utterances u, regexp_matches(u.text, '[0-9]{4}', 'g') as m where u.call_id = 'C20261005-000001' order by u.turn, m;

-- substring with a regex pattern: FROM 'pattern'
select call_id, substring(recording_uri from '[0-9]{6}\.wav$') as tail from calls where call_id <= 'C20261005-000005' order by call_id;

-- substring FROM FOR with positions on Chinese text
select turn, substring(text from 3 for 4) as mid from utterances where call_id = 'C20261005-000001' order by turn;

-- substring with SIMILAR escape syntax
select substring('C20261005-000123' similar '%#"[0-9]{6}#"' escape '#') as seq;

-- position of a Chinese substring counts characters, not bytes
select turn, position('套餐' in text) as pos from utterances where call_id = 'C20261005-000001' order by turn;

-- strpos is position with the arguments the other way round
select turn, strpos(text, '，') as comma_at from utterances where call_id = 'C20261005-000001' order by turn;

-- split_part on the recording URI path
select split_part(recording_uri, '/', 4) as year, split_part(recording_uri, '/', 6) as day, count(*) from calls where recording_uri is not null group by 1, 2 order by 1, 2;

-- split_part on the call id and a part beyond the end
select call_id, split_part(call_id, '-', 1) as p1, split_part(call_id, '-', 2) as p2, split_part(call_id, '-', 3) as p3 from calls where call_id <= 'C20261005-000003' order by call_id;

-- length, char_length and octet_length on Chinese text
select turn, length(text) as len, char_length(text) as clen, octet_length(text) as olen from utterances where call_id = 'C20261005-000001' order by turn;

-- average character length per speaker and language
select c.language, u.speaker, sum(length(u.text)) as chars, count(*) as n from utterances u join calls c on c.call_id = u.call_id group by 1, 2 order by 1, 2;

-- upper, lower and initcap on English text with a Chinese name in it
select turn, upper(text) as up, lower(text) as low, initcap(text) as cap from utterances where call_id = 'C20261005-000003' and turn < 3 order by turn;

-- initcap on snake_case queue names
select distinct queue, initcap(queue) as label, initcap(replace(queue, '_', ' ')) as spaced from calls order by queue;

-- concat skips NULL while || yields NULL
select call_id, concat(queue, '/', agent_id) as c, queue || '/' || agent_id as pipe from calls where call_id in ('C20261005-000001', (select min(call_id) from calls where agent_id is null)) order by call_id;

-- concat_ws with a NULL argument in the middle
select call_id, concat_ws(' | ', region, agent_id, customer_tier) as label from calls where call_id <= 'C20261005-000010' order by call_id;

-- || with a non-text operand (integer, date)
select call_id || ':' || transfers || ':' || date as k from calls where call_id <= 'C20261005-000003' order by 1;

-- left and right with positive and negative counts
select call_id, left(call_id, 9) as l9, right(call_id, 6) as r6, left(call_id, -7) as lneg, right(call_id, -10) as rneg from calls where call_id <= 'C20261005-000003' order by call_id;

-- left on Chinese text takes characters
select turn, left(text, 5) as head, right(text, 3) as tail from utterances where call_id = 'C20261005-000001' order by turn;

-- lpad and rpad, including truncation when the string is longer
select agent_id, lpad(agent_id, 8, '*') as lp, rpad(team, 10, '.') as rp, lpad(team, 4) as cut from agents order by agent_id;

-- lpad on a number cast to text
select transfers, lpad(transfers::text, 3, '0') as padded, count(*) from calls group by transfers order by transfers;

-- btrim, ltrim, rtrim with and without a character set
select btrim('  x y  ') as b, ltrim('  x y  ') as l, rtrim('  x y  ') as r, btrim('xxhixx', 'x') as bx, ltrim('0042', '0') as lz, rtrim('abc...', '.') as rd;

-- trim(both/leading/trailing ... from ...) SQL syntax on Chinese punctuation
select turn, trim(trailing '。' from text) as t1, trim(both '？' from text) as t2 from utterances where call_id = 'C20261005-000001' order by turn;

-- replace of a Chinese substring
select turn, replace(text, '套餐', 'plan') as r from utterances where call_id = 'C20261005-000001' order by turn;

-- translate maps and deletes characters
select call_id, translate(call_id, 'C-', 'X') as t from calls where call_id <= 'C20261005-000003' order by call_id;

-- starts_with on text
select starts_with(text, '您好') as greets, count(*) from utterances where speaker = 'agent' group by 1 order by 1;

-- md5 of text
select agent_id, md5(agent_id) as h, md5(name) as hn from agents where agent_id <= 'A0005' order by agent_id;

-- format with %s, %I and %L
select agent_id, format('%s works in %I at %L', name, team, site) as f from agents where agent_id <= 'A0005' order by agent_id;

-- format with positional arguments, width and NULL
select format('%1$s-%1$s %2$5s|%3$L|%3$s|', 'ab', 'x', null::text) as f;

-- format %I quotes identifiers that need quoting
select format('%I.%I', 'public', 'Calls Table') as q1, format('%I', 'select') as q2, format('%I', 'queue') as q3;

-- string_agg with ORDER BY inside the aggregate
select team, string_agg(agent_id, ',' order by agent_id) as ids from agents group by team order by team;

-- string_agg of Chinese names ordered descending, and a DISTINCT string_agg
select site, string_agg(name, '、' order by agent_id desc) as names, string_agg(distinct shift, '/' order by shift) as shifts from agents group by site order by site;

-- string_agg over utterances of one call in turn order
select call_id, string_agg(speaker || ':' || turn, ' ' order by turn) as turns from utterances where call_id in ('C20261005-000001', 'C20261005-000002') group by call_id order by call_id;

-- quote_ident and quote_literal
select quote_ident('calls') as a, quote_ident('Calls') as b, quote_ident('two words') as c, quote_literal('it''s') as d, quote_literal(42) as e, quote_nullable(null::text) as f;

-- quote_literal with a backslash uses E'' syntax
select quote_literal('a\b') as q;

-- reverse and repeat on Chinese and ASCII
select reverse('客服很耐心') as r, repeat('ab', 3) as rp, repeat('好', 2) as rz;

-- ascii and chr, including a Chinese code point
select ascii('A') as a, ascii('客') as k, chr(65) as c, chr(23458) as z;

-- comment text of surveys: NULL handling with coalesce and length
select csat, count(*) as n, count(comment) as with_comment, sum(length(coalesce(comment, ''))) as chars from surveys group by csat order by csat;

-- comments containing Chinese characters, by regex on a Unicode range
select comment ~ '[一-龥]' as chinese, count(*) from surveys where comment is not null group by 1 order by 1;

-- to_hex and string casts of numbers
select to_hex(255) as h, to_hex(talk_ms) as ht, talk_ms::text as t from calls where call_id = 'C20261005-000001';
