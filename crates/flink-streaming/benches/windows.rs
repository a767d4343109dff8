//! Throughput of the window operators alone, on the hot loops of Nexmark
//! q5 (sliding count per auction) and q7 (tumbling max): 10k auctions,
//! bids 1 ms apart, a watermark every 1000 bids.
//!
//! `cargo bench -p flink-streaming --bench windows`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flink_streaming::operators::keyed::KeySelector;
use flink_streaming::operators::window::{
    AggregateContents, AlignedWindowOperator, ReduceContents, WindowOperator,
};
use flink_streaming::runtime::output::Discard;
use flink_streaming::{
    AggregateFunction, RuntimeContext, SlidingEventTimeWindows, StreamOperator,
    TumblingEventTimeWindows,
};
use std::sync::Arc;
use std::time::Duration;

type Bid = (u64, u64, i64);
const EVENTS: u64 = 200_000;

#[derive(Clone)]
struct CountBids;

impl AggregateFunction<Bid, u64, u64> for CountBids {
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, _: Bid, acc: &mut u64) {
        *acc += 1;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }
}

fn drive<O: Send, Op: StreamOperator<Bid, O>>(mut op: Op) {
    let mut out = Discard;
    for i in 0..EVENTS {
        let ts = i as i64;
        let auction = i.wrapping_mul(2_654_435_761) % 10_000;
        let _ = op.process((auction, i % 1000, ts), Some(ts), &mut out);
        if i % 1000 == 999 {
            let _ = op.watermark(ts - 100, &mut out);
        }
    }
    let _ = op.watermark(i64::MAX, &mut out);
}

fn max_bid(a: Bid, b: Bid) -> Bid {
    if b.1 > a.1 { b } else { a }
}

fn windows(c: &mut Criterion) {
    let ctx = RuntimeContext::standalone("Window");
    let key: KeySelector<Bid, u64> = Arc::new(|b: &Bid| b.0);
    let sliding = SlidingEventTimeWindows::of(Duration::from_secs(10), Duration::from_secs(2));
    let tumbling = TumblingEventTimeWindows::of(Duration::from_secs(10));
    let mut g = c.benchmark_group("window");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("q5 sliding count, generic", |b| {
        b.iter(|| {
            drive(WindowOperator::new(
                key.clone(),
                sliding,
                AggregateContents::new(CountBids),
                0,
                &ctx,
            ))
        })
    });
    g.bench_function("q5 sliding count, aligned", |b| {
        b.iter(|| {
            drive(AlignedWindowOperator::new(
                key.clone(),
                sliding,
                AggregateContents::new(CountBids),
                0,
                &ctx,
            ))
        })
    });
    g.bench_function("q7 tumbling max, generic", |b| {
        b.iter(|| {
            drive(WindowOperator::new(
                key.clone(),
                tumbling,
                ReduceContents::new(max_bid),
                0,
                &ctx,
            ))
        })
    });
    g.bench_function("q7 tumbling max, aligned", |b| {
        b.iter(|| {
            drive(AlignedWindowOperator::new(
                key.clone(),
                tumbling,
                ReduceContents::new(max_bid),
                0,
                &ctx,
            ))
        })
    });
    let all: KeySelector<Bid, ()> = Arc::new(|_: &Bid| ());
    g.bench_function("q7 tumbling global max", |b| {
        b.iter(|| {
            drive(AlignedWindowOperator::new(
                all.clone(),
                tumbling,
                ReduceContents::new(max_bid),
                0,
                &ctx,
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, windows);
criterion_main!(benches);
