//! Micro-benchmarks of the costs a Nexmark query is made of:
//!
//! * `generate/event`: one Nexmark event from its number;
//! * `bid/encode`, `bid/decode`: a bid through the network record format
//!   (`flink_streaming::element`, bincode) as it crosses a chain boundary;
//! * `chain/map_filter`: a record through a chained map → filter → sink;
//! * `state/value_get_put`: keyed `ValueState<u64>` increment on the heap
//!   backend over 100 k keys.
//!
//! The shuffle over loopback between two network environments is
//! `cargo bench -p flink-network --bench shuffle`.
//!
//! `cargo bench -p flink-nexmark --bench micro`

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use flink_nexmark::{Bid, Event, Generator, NexmarkConfig};
use flink_state::{HeapKeyedStateBackend, ValueStateDescriptor, VoidNamespace};
use flink_streaming::element::{Element, ElementReader, write_record};
use flink_streaming::operators::basic::{FilterOperator, MapOperator};
use flink_streaming::operators::sinks::DiscardSink;
use flink_streaming::runtime::operator::Chained;
use flink_streaming::runtime::output::Discard;
use flink_streaming::{Output, StreamOperator};
use flink_types::KeyGroupRange;
use std::hint::black_box;

fn bids(n: usize) -> Vec<Bid> {
    let g = Generator::new(NexmarkConfig::default());
    (0..)
        .filter_map(|i| g.event(i).into_bid())
        .take(n)
        .collect()
}

fn generate(c: &mut Criterion) {
    let g = Generator::new(NexmarkConfig::default());
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    group.bench_function("event", |b| {
        b.iter(|| {
            n += 1;
            black_box(g.event(n))
        })
    });
    group.finish();
}

fn bid_serde(c: &mut Criterion) {
    let bids = bids(1024);
    let mut group = c.benchmark_group("bid");
    group.throughput(Throughput::Elements(bids.len() as u64));
    let mut buf = BytesMut::with_capacity(256 * 1024);
    group.bench_function("encode", |b| {
        b.iter(|| {
            buf.clear();
            for bid in &bids {
                write_record(&mut buf, bid, Some(bid.date_time)).unwrap();
            }
            black_box(buf.len())
        })
    });
    buf.clear();
    for bid in &bids {
        write_record(&mut buf, bid, Some(bid.date_time)).unwrap();
    }
    let encoded = buf.freeze();
    group.bench_function("decode", |b| {
        b.iter(|| {
            let mut r = ElementReader::new(&encoded, 0);
            let mut n = 0;
            while let Some(Element::Record(bid, _)) = r.next_element::<Bid>().unwrap() {
                n += bid.price;
            }
            black_box(n)
        })
    });
    group.finish();
}

struct Sink;
impl StreamOperator<(u64, u64), ()> for Sink {
    fn process(
        &mut self,
        v: (u64, u64),
        ts: Option<i64>,
        out: &mut dyn Output<()>,
    ) -> flink_streaming::OpResult {
        DiscardSink.process(black_box(v), ts, out)
    }
}

fn chain(c: &mut Criterion) {
    let events: Vec<Event> = {
        let g = Generator::new(NexmarkConfig::default());
        (0..4096).map(|i| g.event(i)).collect()
    };
    // events -> flat_map-like filter to bids -> filter auction % 123 -> map (auction, price) -> sink
    let sink: Box<dyn Output<(u64, u64)>> = Box::new(Chained::new(Sink, Box::new(Discard), 3));
    let map: Box<dyn Output<Bid>> = Box::new(Chained::new(
        MapOperator(|b: Bid| (b.auction, b.price)),
        sink,
        2,
    ));
    let filter: Box<dyn Output<Bid>> = Box::new(Chained::new(
        FilterOperator(|b: &Bid| !b.auction.is_multiple_of(7)),
        map,
        1,
    ));
    let mut head: Box<dyn Output<Event>> = Box::new(Chained::new(
        FilterOperator(|e: &Event| e.is_bid()),
        Box::new(Chained::new(
            MapOperator(|e: Event| e.into_bid().unwrap()),
            filter,
            1,
        )),
        0,
    ));
    let mut group = c.benchmark_group("chain");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("map_filter", |b| {
        b.iter_batched(
            || events.clone(),
            |evs| {
                for e in evs {
                    let ts = e.date_time();
                    head.record(e, Some(ts)).unwrap();
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn state(c: &mut Criterion) {
    let mut backend: HeapKeyedStateBackend<u64, VoidNamespace> =
        HeapKeyedStateBackend::new(128, KeyGroupRange { start: 0, end: 127 });
    let count = ValueStateDescriptor::<u64>::new("count");
    let mut group = c.benchmark_group("state");
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("value_get_put", |b| {
        b.iter(|| {
            i = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
            backend.set_current_key(i % 100_000);
            *backend.state(&count).unwrap().get_or_insert_with(|| 0) += 1;
        })
    });
    group.finish();
}

criterion_group!(benches, generate, bid_serde, chain, state);
criterion_main!(benches);
