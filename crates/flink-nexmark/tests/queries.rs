//! Every query on real stream tasks at parallelism 2 over a small generated
//! input, checked against a straightforward computation over the same
//! events in plain loops.

mod common;

use flink_nexmark::queries::{self, AuctionCount, Q3Result, Q4Result, Q8Result};
use flink_nexmark::{Bid, Event, Generator, NexmarkConfig};
use flink_streaming::{ProgramError, ProgramRegistry, StreamExecutionEnvironment, take_collected};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const EVENTS: u64 = 30_000;
/// Event-time rate: 30k events span 30 s, so windows fire mid-stream.
const EVENT_RATE: u64 = 1_000;

fn all_events() -> Vec<Event> {
    let g = Generator::new(NexmarkConfig {
        first_event_rate: EVENT_RATE as f64,
        ..NexmarkConfig::default()
    });
    (0..EVENTS).map(|n| g.event(n)).collect()
}

fn all_bids() -> Vec<Bid> {
    all_events()
        .into_iter()
        .filter_map(Event::into_bid)
        .collect()
}

macro_rules! programs {
    ($($name:ident => $q:literal),*) => {
        $(fn $name(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
            queries::program(env, $q).map_err(Into::into)
        })*
        fn registry() -> ProgramRegistry {
            let mut r = ProgramRegistry::new();
            $(r.register($q, "test", $name);)*
            r
        }
    };
}

programs!(p0 => "q0", p1 => "q1", p2 => "q2", p3 => "q3", p4 => "q4", p5 => "q5", p7 => "q7", p8 => "q8");

/// Runs `query` at parallelism 2 and returns its collected results.
fn run<T: serde::de::DeserializeOwned>(query: &str) -> Vec<T> {
    let sink = format!("nexmark-test-{query}");
    let args: Vec<String> = [
        "--events".to_string(),
        EVENTS.to_string(),
        "--event-rate".into(),
        EVENT_RATE.to_string(),
        "--sink".into(),
        format!("collect:{sink}"),
    ]
    .into();
    common::run(registry(), query, &args, 2);
    take_collected(&sink).unwrap()
}

fn bid_key(b: &Bid) -> (i64, u64, u64, u64, String) {
    (b.date_time, b.auction, b.bidder, b.price, b.extra.clone())
}

fn sorted_bids(mut v: Vec<Bid>) -> Vec<Bid> {
    v.sort_by_key(bid_key);
    v
}

#[test]
fn q0_passes_every_bid_through() {
    let got: Vec<Bid> = run("q0");
    let want = all_bids();
    assert_eq!(want.len() as u64, EVENTS * 46 / 50);
    assert_eq!(sorted_bids(got), sorted_bids(want));
}

#[test]
fn q1_converts_prices() {
    let got: Vec<Bid> = run("q1");
    let want: Vec<Bid> = all_bids()
        .into_iter()
        .map(|mut b| {
            b.price = (b.price as f64 * 0.908).round() as u64;
            b
        })
        .collect();
    assert_eq!(sorted_bids(got), sorted_bids(want));
}

#[test]
fn q2_selects_auctions() {
    let mut got: Vec<(u64, u64)> = run("q2");
    let mut want: Vec<(u64, u64)> = all_bids()
        .into_iter()
        .filter(|b| b.auction % 123 == 0)
        .map(|b| (b.auction, b.price))
        .collect();
    assert!(!want.is_empty());
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn q3_joins_sellers_and_auctions() {
    let mut got: Vec<Q3Result> = run("q3");
    let events = all_events();
    let persons: HashMap<u64, _> = events
        .iter()
        .filter_map(|e| match e {
            Event::Person(p) if ["OR", "ID", "CA"].contains(&p.state.as_str()) => Some((p.id, p)),
            _ => None,
        })
        .collect();
    let mut want = Vec::new();
    for e in &events {
        if let Event::Auction(a) = e
            && a.category == 10
            && let Some(p) = persons.get(&a.seller)
        {
            want.push(Q3Result {
                name: p.name.clone(),
                city: p.city.clone(),
                state: p.state.clone(),
                auction: a.id,
            });
        }
    }
    assert!(want.len() > 10, "{}", want.len());
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn q4_averages_winning_prices_per_category() {
    let got: Vec<Q4Result> = run("q4");
    let mut last: BTreeMap<u64, Q4Result> = BTreeMap::new();
    for r in got {
        let e = last.entry(r.category).or_insert_with(|| r.clone());
        if r.auctions > e.auctions {
            *e = r;
        }
    }
    let events = all_events();
    let mut best: HashMap<u64, u64> = HashMap::new();
    let auctions: HashMap<u64, _> = events
        .iter()
        .filter_map(|e| match e {
            Event::Auction(a) => Some((a.id, a)),
            _ => None,
        })
        .collect();
    for e in &events {
        if let Event::Bid(b) = e
            && let Some(a) = auctions.get(&b.auction)
            && a.date_time <= b.date_time
            && b.date_time <= a.expires
        {
            let m = best.entry(a.id).or_insert(0);
            *m = (*m).max(b.price);
        }
    }
    let mut want: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (id, price) in best {
        let w = want.entry(auctions[&id].category).or_insert((0, 0));
        w.0 += price;
        w.1 += 1;
    }
    let want: BTreeMap<u64, Q4Result> = want
        .into_iter()
        .map(|(category, (sum, n))| {
            (
                category,
                Q4Result {
                    category,
                    avg_price: sum / n,
                    auctions: n,
                },
            )
        })
        .collect();
    assert_eq!(want.len(), 5);
    assert_eq!(last, want);
}

#[test]
fn q5_finds_hot_items_per_sliding_window() {
    let mut got: Vec<AuctionCount> = run("q5");
    let mut counts: BTreeMap<i64, HashMap<u64, u64>> = BTreeMap::new();
    for b in all_bids() {
        // Windows [s, s + 10 s) with s a multiple of 2 s that contain the bid.
        let last_start = b.date_time - b.date_time.rem_euclid(2000);
        let mut start = last_start;
        while start > b.date_time - 10_000 {
            *counts
                .entry(start + 10_000)
                .or_default()
                .entry(b.auction)
                .or_default() += 1;
            start -= 2000;
        }
    }
    let mut want = Vec::new();
    for (end, per_auction) in counts {
        let max = per_auction.values().copied().max().unwrap_or(0);
        for (auction, count) in per_auction {
            if count == max {
                want.push(AuctionCount {
                    window_end: end,
                    auction,
                    count,
                });
            }
        }
    }
    assert!(want.len() >= 15);
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn q7_finds_the_highest_bid_per_window() {
    let got: Vec<Bid> = run("q7");
    let mut max: BTreeMap<i64, u64> = BTreeMap::new();
    for b in all_bids() {
        let w = b.date_time - b.date_time.rem_euclid(10_000);
        let m = max.entry(w).or_insert(0);
        *m = (*m).max(b.price);
    }
    let bids: BTreeSet<_> = all_bids().iter().map(bid_key).collect();
    let mut got_max: BTreeMap<i64, u64> = BTreeMap::new();
    for b in &got {
        assert!(
            bids.contains(&bid_key(b)),
            "q7 emitted a bid never generated"
        );
        let w = b.date_time - b.date_time.rem_euclid(10_000);
        assert!(
            got_max.insert(w, b.price).is_none(),
            "two results for window {w}"
        );
    }
    assert!(max.len() >= 3);
    assert_eq!(got_max, max);
}

#[test]
fn q8_finds_new_sellers_per_window() {
    let mut got: Vec<Q8Result> = run("q8");
    let events = all_events();
    let window = |t: i64| t - t.rem_euclid(10_000);
    let sellers: BTreeSet<(u64, i64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Auction(a) => Some((a.seller, window(a.date_time))),
            _ => None,
        })
        .collect();
    let mut want: Vec<Q8Result> = events
        .iter()
        .filter_map(|e| match e {
            Event::Person(p) if sellers.contains(&(p.id, window(p.date_time))) => Some(Q8Result {
                id: p.id,
                name: p.name.clone(),
                window_start: window(p.date_time),
            }),
            _ => None,
        })
        .collect();
    assert!(want.len() > 10, "{}", want.len());
    got.sort();
    want.sort();
    assert_eq!(got, want);
}
