//! Every domain SQL function through the real server, over the sample data, with parameters
//! bound by the extended protocol and results read in binary.

use crate::harness::TestServer;

#[tokio::test(flavor = "multi_thread")]
async fn scalar_text_functions_answer_with_parameters() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let row = client
        .query_one(
            "select sentiment($1::text), sentiment_label($1::text), emotion($2::text), \
             emotion_intensity($2::text), redact_pii($3::text), has_pii($3::text), \
             speech_rate($4::text, $5::bigint, $6::bigint), agent_stress_index($7::int, $8::double, $9::double)",
            &[
                &"非常满意，谢谢",
                &"我要投诉你们！！！",
                &"电话138 1234 5678",
                &"您好请问有什么可以帮您",
                &0i64,
                &3000i64,
                &85i32,
                &0.6f64,
                &0.5f64,
            ],
        )
        .await
        .unwrap();
    assert!(row.get::<_, f64>(0) > 0.5);
    assert_eq!(row.get::<_, &str>(1), "positive");
    assert_eq!(row.get::<_, &str>(2), "angry");
    let intensity: f64 = row.get(3);
    assert!((5.0..=10.0).contains(&intensity), "{intensity}");
    assert_eq!(row.get::<_, &str>(4), "电话[PHONE]");
    assert!(row.get::<_, bool>(5));
    assert_eq!(row.get::<_, f64>(6), 220.0);
    let index: f64 = row.get(7);
    assert!((70.0..71.0).contains(&index), "{index}");

    // NULL in, NULL out, through the wire.
    let row = client
        .query_one("select sentiment(NULL), emotion(NULL), has_pii(NULL)", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<f64>>(0), None);
    assert_eq!(row.get::<_, Option<&str>>(1), None);
    assert_eq!(row.get::<_, Option<bool>>(2), None);

    // A bad constant is an error naming the function; the connection stays usable.
    let err = client
        .simple_query("select sentiment('x', 'fr')")
        .await
        .unwrap_err();
    let message = err.as_db_error().unwrap().message();
    assert!(
        message.contains("sentiment: unknown lang 'fr'"),
        "{message}"
    );
    assert_eq!(
        client
            .query_one("select 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn per_call_aggregates_and_voice_stress_over_sample_data() {
    let server = TestServer::start().await;
    let client = server.connect().await;
    let rows = client
        .query(
            "select call_id, \
                    interruption_count(speaker, start_ms, end_ms, 'agent') as interruptions, \
                    silence_ms(start_ms, end_ms) as silence, \
                    max_silence_ms(start_ms, end_ms) as longest, \
                    first_response_ms(speaker, start_ms) as first_response, \
                    sentiment_trend(sentiment(text), start_ms) as trend \
             from utterances group by call_id",
            &[],
        )
        .await
        .unwrap();
    let calls_with_transcripts = client
        .query_one("select count(distinct call_id) from utterances", &[])
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(rows.len() as i64, calls_with_transcripts);
    let mut interrupted = 0;
    for row in &rows {
        let interruptions: i64 = row.get("interruptions");
        let silence: i64 = row.get("silence");
        let longest: i64 = row.get("longest");
        assert!(interruptions >= 0 && silence >= 0);
        // The longest gap is part of the total when it passes the 3 s threshold.
        assert!(longest < 3000 || silence >= longest);
        assert!(row.get::<_, Option<i64>>("first_response").is_some());
        assert!(row.get::<_, Option<f64>>("trend").is_some());
        interrupted += usize::from(interruptions > 0);
    }
    assert!(interrupted > 0 && interrupted < rows.len());

    // voice_stress: 0..100 on voiced seconds, NULL on unvoiced ones.
    let row = client
        .query_one(
            "select count(*) filter (where vs is null and voiced), \
                    count(*) filter (where vs is not null and not voiced), \
                    min(vs), max(vs) \
             from (select voiced, voice_stress(pitch_hz, energy_db, speech_rate) \
                     over (partition by call_id, speaker order by second) as vs \
                   from audio_features where date = date '2026-10-05')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
    assert_eq!(row.get::<_, i64>(1), 0);
    let (min, max): (f64, f64) = (row.get(2), row.get(3));
    assert!(min >= 0.0 && max <= 100.0 && max > 50.0, "{min} {max}");
    server.stop().await;
}
