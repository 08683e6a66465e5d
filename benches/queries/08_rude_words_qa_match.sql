-- QA: agent utterances breaking the "no rude words" rule (callqa qa_match over the rule's phrase list), per queue.
SELECT c.queue,
       count(*) AS hits,
       count(DISTINCT u.call_id) AS calls
FROM utterances u
JOIN calls c ON c.call_id = u.call_id
WHERE u.speaker = 'agent' AND qa_match('no_rude_words', u.text)
GROUP BY 1
ORDER BY 1
