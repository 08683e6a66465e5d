-- Rewrite: qa_match('no_rude_words', text) is callqa's Aho-Corasick matcher over the rule's phrase
-- list (sample_data/rules/default.toml). Fairest ClickHouse equivalent: the same phrases with
-- multiSearchAnyCaseInsensitiveUTF8 (one Volnitsky multi-searcher). (callqa also matches across
-- spaces / full-width punctuation and English as whole words; on this data the answers are the
-- same, checked by the runner.)
SELECT c.queue,
       count(*) AS hits,
       count(DISTINCT u.call_id) AS calls
FROM utterances u
JOIN calls c ON c.call_id = u.call_id
WHERE u.speaker = 'agent'
  AND multiSearchAnyCaseInsensitiveUTF8(u.text, ['没办法', '你别急', '挂了', '你听不懂吗', '不归我管', '爱找谁找谁',
                                                 'nothing i can do', 'calm down', 'not my problem', 'shut up'])
GROUP BY 1
ORDER BY 1
