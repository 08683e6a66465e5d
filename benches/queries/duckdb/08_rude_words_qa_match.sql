-- Rewrite: qa_match('no_rude_words', text) is callqa's Aho-Corasick matcher over the rule's phrase
-- list (sample_data/rules/default.toml). Fairest DuckDB equivalent: the same phrases, lower-cased,
-- as contains(lower(text), phrase) ORed (DuckDB has no LIKE ANY in 2.0). (callqa also matches across spaces / full-width punctuation and
-- English as whole words; on this data the answers are the same, checked by the runner.)
SELECT c.queue,
       count(*) AS hits,
       count(DISTINCT u.call_id) AS calls
FROM utterances u
JOIN calls c ON c.call_id = u.call_id
WHERE u.speaker = 'agent'
  AND (contains(lower(u.text), '没办法') OR contains(lower(u.text), '你别急') OR contains(lower(u.text), '挂了')
       OR contains(lower(u.text), '你听不懂吗') OR contains(lower(u.text), '不归我管') OR contains(lower(u.text), '爱找谁找谁')
       OR contains(lower(u.text), 'nothing i can do') OR contains(lower(u.text), 'calm down')
       OR contains(lower(u.text), 'not my problem') OR contains(lower(u.text), 'shut up'))
GROUP BY 1
ORDER BY 1
