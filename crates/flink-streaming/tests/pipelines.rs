//! End-to-end pipelines on the stream-task runtime (no control plane).

mod common;

use flink_streaming::*;
use std::collections::BTreeMap;

fn word_count(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let text: Vec<String> = (0..2000)
        .map(|i| format!("w{} w{} common", i % 17, i % 5))
        .collect();
    env.from_collection(text)
        .flat_map(|line: String, out: &mut Collector<'_, (String, u64)>| {
            for w in line.split(' ') {
                out.collect((w.to_string(), 1));
            }
        })
        .key_by(|(w, _): &(String, u64)| w.clone())
        .sum(|t: &mut (String, u64)| &mut t.1)
        .collect_into(&env.arg("sink").unwrap_or_default());
    Ok(())
}

fn expected_counts() -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for i in 0..2000 {
        for w in [
            format!("w{}", i % 17),
            format!("w{}", i % 5),
            "common".to_string(),
        ] {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    m
}

#[test]
fn keyed_rolling_sum_over_the_network_matches_at_parallelism_1_and_3() {
    for p in [1u32, 3] {
        let sink = format!("wc-{p}");
        let mut reg = ProgramRegistry::new();
        reg.register("wc", "word count", word_count);
        let job = common::run(reg, "wc", &["--sink", &sink], p).unwrap();
        if p > 1 {
            assert!(
                job.vertices.len() >= 2,
                "key_by must cut the chain: {:?}",
                job.vertices
            );
        }
        let got: Vec<(String, u64)> = take_collected(&sink).unwrap();
        let mut finals: BTreeMap<String, u64> = BTreeMap::new();
        for (w, c) in got {
            let e = finals.entry(w).or_insert(0);
            *e = (*e).max(c);
        }
        assert_eq!(finals, expected_counts(), "parallelism {p}");
    }
}

fn panicking(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.from_sequence(1, 100)
        .map(|x: u64| {
            if x == 50 {
                panic!("boom at {x}");
            }
            x
        })
        .name("Exploding Map")
        .discard();
    Ok(())
}

#[test]
fn a_panicking_operator_fails_the_task_with_message_and_operator_name() {
    let mut reg = ProgramRegistry::new();
    reg.register("p", "panics", panicking);
    let err = common::run(reg, "p", &[], 1).unwrap_err();
    assert!(err.message.contains("boom at 50"), "{err}");
    assert!(err.operator.starts_with("Exploding Map"), "{err}");
}

fn union_and_filter(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    let a = env.from_sequence(1, 1000);
    let b = env.from_sequence(1001, 2000);
    a.union([b])
        .rebalance()
        .filter(|x: &u64| x.is_multiple_of(2))
        .map(|x: u64| x * 10)
        .collect_into("union");
    Ok(())
}

#[test]
fn union_rebalance_filter_map() {
    let mut reg = ProgramRegistry::new();
    reg.register("u", "union", union_and_filter);
    common::run(reg, "u", &[], 2).unwrap();
    let mut got: Vec<u64> = take_collected("union").unwrap();
    got.sort();
    let want: Vec<u64> = (1..=2000)
        .filter(|x: &u64| x.is_multiple_of(2))
        .map(|x| x * 10)
        .collect();
    assert_eq!(got, want);
}
