-- Export: about 1 M utterance rows (two weeks of transcripts) streamed to the client.
SELECT call_id, turn, speaker, start_ms, end_ms, asr_confidence, text
FROM utterances
WHERE date >= '2026-10-05' AND date <= '2026-10-18'
