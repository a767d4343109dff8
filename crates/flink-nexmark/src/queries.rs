//! Nexmark queries q0–q5, q7 and q8 on the DataStream API, written the way
//! a user writes them. Each `qN` function adds the query's pipeline over a
//! Nexmark source to an environment; [`build`] picks one by name and adds
//! the sink. The SQL they implement is nexmark-flink's
//! (`nexmark-flink/src/main/resources/queries/qN.sql`).

use crate::config::NexmarkConfig;
use crate::error::NexmarkError;
use crate::generator::Generator;
use crate::model::{Bid, Event, Person};
use crate::probe::{Probe, probe};
use crate::source::NexmarkSource;
use flink_streaming::{
    AggregateFunction, Collector, DataStream, Either, KeyedProcessContext, KeyedProcessFunction,
    ListStateDescriptor, OpResult, Output, RuntimeContext, SlidingEventTimeWindows,
    StreamExecutionEnvironment, StreamOperator, TumblingEventTimeWindows, ValueStateDescriptor,
    WatermarkStrategy, WindowContext,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The queries this crate implements.
pub const QUERIES: [&str; 8] = ["q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8"];

/// Where a query's results go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultSink {
    /// Nexmark's blackhole.
    Discard,
    /// `collect_into(name)` (tests).
    Collect(String),
    /// Blackhole that measures latency into the probe of that name.
    Latency(String),
}

/// How to run a query.
#[derive(Clone, Debug)]
pub struct QueryOptions {
    /// Generator parameters.
    pub config: NexmarkConfig,
    /// Events to generate (`None`: unbounded).
    pub events: Option<u64>,
    /// Throttle: events/s over all source subtasks (`None`: as fast as possible).
    pub rate: Option<f64>,
    /// Watermarks trail the largest event time by this much (Nexmark: 4 s).
    pub watermark_delay: Duration,
    /// The sink.
    pub sink: ResultSink,
    /// Probe that the sources log generation progress into.
    pub probe: Option<String>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            config: NexmarkConfig::default(),
            events: Some(10_000_000),
            rate: None,
            watermark_delay: Duration::from_secs(4),
            sink: ResultSink::Discard,
            probe: None,
        }
    }
}

fn parse<T: std::str::FromStr>(
    env: &StreamExecutionEnvironment,
    name: &str,
) -> Result<Option<T>, NexmarkError>
where
    T::Err: std::fmt::Display,
{
    match env.arg(name) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e: T::Err| NexmarkError::BadArgument {
                name: name.to_string(),
                value: v.clone(),
                reason: e.to_string(),
            }),
    }
}

impl QueryOptions {
    /// Options from program arguments: `--events N` (default 10 M; 0 =
    /// unbounded), `--rate R` (throttle, events/s), `--event-rate E`
    /// (event-time rate, default 10 M/s as the Nexmark benchmark), `--watermark-delay-ms D`
    /// (default 4000), `--sink discard|collect:NAME|latency:NAME`,
    /// `--probe NAME`.
    pub fn from_args(env: &StreamExecutionEnvironment) -> Result<Self, NexmarkError> {
        let mut o = QueryOptions {
            config: NexmarkConfig {
                first_event_rate: 10_000_000.0,
                ..NexmarkConfig::default()
            },
            ..QueryOptions::default()
        };
        if let Some(n) = parse::<u64>(env, "events")? {
            o.events = (n > 0).then_some(n);
        }
        if let Some(r) = parse::<f64>(env, "rate")? {
            if !(r.is_finite() && r > 0.0) {
                return Err(NexmarkError::BadArgument {
                    name: "rate".into(),
                    value: r.to_string(),
                    reason: "must be a positive number of events/s".into(),
                });
            }
            o.rate = Some(r);
        }
        if let Some(r) = parse::<f64>(env, "event-rate")? {
            o.config.first_event_rate = r;
        }
        if let Some(d) = parse::<u64>(env, "watermark-delay-ms")? {
            o.watermark_delay = Duration::from_millis(d);
        }
        if let Some(s) = env.arg("sink") {
            o.sink = if s == "discard" {
                ResultSink::Discard
            } else if let Some(n) = s.strip_prefix("collect:") {
                ResultSink::Collect(n.to_string())
            } else if let Some(n) = s.strip_prefix("latency:") {
                ResultSink::Latency(n.to_string())
            } else {
                return Err(NexmarkError::BadArgument {
                    name: "sink".into(),
                    value: s,
                    reason: "use discard, collect:NAME or latency:NAME".into(),
                });
            };
        }
        o.probe = env.arg("probe");
        o.config.validate()?;
        Ok(o)
    }
}

/// The Nexmark event stream (timestamps set, watermarks `watermark_delay` behind).
pub fn events(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Event> {
    let generator = Arc::new(Generator::new(o.config.clone()));
    let (count, rate) = (o.events, o.rate);
    let probe_name = o.probe.clone();
    env.add_source("Nexmark Source", move |_| {
        NexmarkSource::new(generator.clone(), count, rate)
            .with_probe(probe_name.as_deref().map(probe))
    })
}

fn with_watermarks(s: &DataStream<Event>, o: &QueryOptions) -> DataStream<Event> {
    s.assign_timestamps_and_watermarks(WatermarkStrategy::for_bounded_out_of_orderness(
        o.watermark_delay,
    ))
}

/// The bids of the stream (Nexmark's `bid` view).
pub fn bids(events: &DataStream<Event>) -> DataStream<Bid> {
    events.flat_map(|e: Event, out: &mut Collector<'_, Bid>| {
        if let Event::Bid(b) = e {
            out.collect(b)
        }
    })
}

/// Sink that measures latency (see [`crate::probe`]) of every `stride`-th record.
pub struct LatencySink {
    probe: Arc<Probe>,
    stride: u64,
    seen: u64,
}

impl<T: Send> StreamOperator<T, ()> for LatencySink {
    fn process(&mut self, _v: T, ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        if self.seen.is_multiple_of(self.stride)
            && let Some(ts) = ts
        {
            self.probe.result(ts);
        }
        self.seen += 1;
        Ok(())
    }
}

fn sink<T: flink_streaming::Data>(s: &DataStream<T>, o: &QueryOptions, stride: u64) {
    match &o.sink {
        ResultSink::Discard => {
            s.discard();
        }
        ResultSink::Collect(name) => {
            s.collect_into(name);
        }
        ResultSink::Latency(name) => {
            let name = name.clone();
            s.add_sink("Latency Sink", move |_: &RuntimeContext| LatencySink {
                probe: probe(&name),
                stride,
                seen: 0,
            });
        }
    }
}

/// Record-at-a-time queries measure every 1024th record, windowed ones every result.
const SAMPLE_STRIDE: u64 = 1024;

/// q0: pass-through of bids.
pub fn q0(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Bid> {
    bids(&events(env, o))
}

/// q1: bid prices in euros, `0.908 * price`, rounded to a cent.
pub fn q1(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Bid> {
    bids(&events(env, o)).map(|mut b: Bid| {
        b.price = dollars_to_euros(b.price);
        b
    })
}

/// The q1 conversion.
pub fn dollars_to_euros(cents: u64) -> u64 {
    (cents as f64 * 0.908).round() as u64
}

/// q2: `(auction, price)` of bids with `auction % 123 == 0`.
pub fn q2(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<(u64, u64)> {
    bids(&events(env, o))
        .filter(|b: &Bid| b.auction.is_multiple_of(123))
        .map(|b: Bid| (b.auction, b.price))
}

/// One q3 result: a seller in OR/ID/CA with an auction in category 10.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Q3Result {
    /// Seller name.
    pub name: String,
    /// Seller city.
    pub city: String,
    /// Seller state.
    pub state: String,
    /// Auction id.
    pub auction: u64,
}

/// The person fields q3 keeps.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Seller {
    /// Person id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
}

/// q3's incremental join: persons and auctions by seller, both kept in keyed state.
#[derive(Clone)]
pub struct LocalItemSuggestion {
    person: ValueStateDescriptor<Seller>,
    pending: ListStateDescriptor<u64>,
}

impl Default for LocalItemSuggestion {
    fn default() -> Self {
        Self {
            person: ValueStateDescriptor::new("person"),
            pending: ListStateDescriptor::new("pending-auctions"),
        }
    }
}

impl KeyedProcessFunction<u64, Either<Seller, (u64, u64)>, Q3Result> for LocalItemSuggestion {
    fn process_element(
        &mut self,
        v: Either<Seller, (u64, u64)>,
        ctx: &mut KeyedProcessContext<'_, u64>,
        out: &mut Collector<'_, Q3Result>,
    ) -> OpResult {
        match v {
            Either::Left(p) => {
                let pending = ctx.state(&self.pending)?.take();
                for auction in pending {
                    out.collect(Q3Result {
                        name: p.name.clone(),
                        city: p.city.clone(),
                        state: p.state.clone(),
                        auction,
                    });
                }
                ctx.state(&self.person)?.update(p);
            }
            Either::Right((_, auction)) => {
                let person = ctx.state(&self.person)?.value().cloned();
                match person {
                    Some(p) => out.collect(Q3Result {
                        name: p.name,
                        city: p.city,
                        state: p.state,
                        auction,
                    }),
                    None => ctx.state(&self.pending)?.add(auction),
                }
            }
        }
        Ok(())
    }
}

/// Whether q3 keeps this person.
pub fn q3_person(p: &Person) -> bool {
    matches!(p.state.as_str(), "OR" | "ID" | "CA")
}

/// q3: local item suggestion (auction ⋈ person on seller, category 10, OR/ID/CA).
pub fn q3(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Q3Result> {
    events(env, o)
        .flat_map(
            |e: Event, out: &mut Collector<'_, Either<Seller, (u64, u64)>>| match e {
                Event::Person(p) if q3_person(&p) => out.collect(Either::Left(Seller {
                    id: p.id,
                    name: p.name,
                    city: p.city,
                    state: p.state,
                })),
                Event::Auction(a) if a.category == 10 => {
                    out.collect(Either::Right((a.seller, a.id)))
                }
                _ => {}
            },
        )
        .key_by(|v: &Either<Seller, (u64, u64)>| match v {
            Either::Left(p) => p.id,
            Either::Right((seller, _)) => *seller,
        })
        .process(LocalItemSuggestion::default())
}

/// The auction fields q4 keeps.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct AuctionWindow {
    /// Auction id.
    pub id: u64,
    /// Category.
    pub category: u64,
    /// Opening time.
    pub date_time: i64,
    /// Closing time.
    pub expires: i64,
}

/// q4's first stage: the winning (highest) bid of each auction among the
/// bids within its lifetime, emitted when the auction closes (event time).
#[derive(Clone)]
pub struct WinningBids {
    auction: ValueStateDescriptor<AuctionWindow>,
    best: ValueStateDescriptor<u64>,
    early: ListStateDescriptor<(i64, u64)>,
    closed: ValueStateDescriptor<bool>,
}

impl Default for WinningBids {
    fn default() -> Self {
        Self {
            auction: ValueStateDescriptor::new("auction"),
            best: ValueStateDescriptor::new("best-price"),
            early: ListStateDescriptor::new("early-bids"),
            closed: ValueStateDescriptor::new("closed"),
        }
    }
}

/// A q4 input: an auction or a bid `(auction, date_time, price)`.
pub type AuctionOrBid = Either<AuctionWindow, (u64, i64, u64)>;

impl KeyedProcessFunction<u64, AuctionOrBid, (u64, u64)> for WinningBids {
    fn process_element(
        &mut self,
        v: AuctionOrBid,
        ctx: &mut KeyedProcessContext<'_, u64>,
        _out: &mut Collector<'_, (u64, u64)>,
    ) -> OpResult {
        if ctx.state(&self.closed)?.value().is_some() {
            return Ok(());
        }
        match v {
            Either::Left(a) => {
                let early = ctx.state(&self.early)?.take();
                let best = early
                    .iter()
                    .filter(|(t, _)| (a.date_time..=a.expires).contains(t))
                    .map(|(_, p)| *p)
                    .max();
                if let Some(b) = best {
                    ctx.state(&self.best)?.update(b);
                }
                ctx.state(&self.auction)?.update(a);
                ctx.timer_service().register_event_time_timer(a.expires);
            }
            Either::Right((_, t, price)) => {
                let window = ctx.state(&self.auction)?.value().copied();
                match window {
                    Some(a) if (a.date_time..=a.expires).contains(&t) => {
                        let mut best = ctx.state(&self.best)?;
                        let b = best.get_or_insert_with(|| 0);
                        *b = (*b).max(price);
                    }
                    Some(_) => {}
                    None => ctx.state(&self.early)?.add((t, price)),
                }
            }
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        _ts: i64,
        ctx: &mut KeyedProcessContext<'_, u64>,
        out: &mut Collector<'_, (u64, u64)>,
    ) -> OpResult {
        let a = ctx.state(&self.auction)?.take();
        let best = ctx.state(&self.best)?.take();
        if let (Some(a), Some(best)) = (a, best) {
            out.collect((a.category, best));
        }
        ctx.state(&self.closed)?.update(true);
        Ok(())
    }
}

/// One q4 result: the average winning price of a category so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Q4Result {
    /// Category.
    pub category: u64,
    /// Average of the winning prices (integer division, like SQL `AVG` on BIGINT).
    pub avg_price: u64,
    /// Closed auctions with a winning bid so far.
    pub auctions: u64,
}

/// q4's second stage: running average per category.
#[derive(Clone)]
pub struct CategoryAverage {
    sum: ValueStateDescriptor<(u64, u64)>,
}

impl Default for CategoryAverage {
    fn default() -> Self {
        Self {
            sum: ValueStateDescriptor::new("sum-count"),
        }
    }
}

impl KeyedProcessFunction<u64, (u64, u64), Q4Result> for CategoryAverage {
    fn process_element(
        &mut self,
        (category, price): (u64, u64),
        ctx: &mut KeyedProcessContext<'_, u64>,
        out: &mut Collector<'_, Q4Result>,
    ) -> OpResult {
        let mut s = ctx.state(&self.sum)?;
        let acc = s.get_or_insert_with(|| (0, 0));
        acc.0 += price;
        acc.1 += 1;
        out.collect(Q4Result {
            category,
            avg_price: acc.0 / acc.1,
            auctions: acc.1,
        });
        Ok(())
    }
}

/// q4: average closing price per category.
pub fn q4(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Q4Result> {
    with_watermarks(&events(env, o), o)
        .flat_map(|e: Event, out: &mut Collector<'_, AuctionOrBid>| match e {
            Event::Auction(a) => out.collect(Either::Left(AuctionWindow {
                id: a.id,
                category: a.category,
                date_time: a.date_time,
                expires: a.expires,
            })),
            Event::Bid(b) => out.collect(Either::Right((b.auction, b.date_time, b.price))),
            Event::Person(_) => {}
        })
        .key_by(|v: &AuctionOrBid| match v {
            Either::Left(a) => a.id,
            Either::Right((auction, _, _)) => *auction,
        })
        .process(WinningBids::default())
        .key_by(|(category, _): &(u64, u64)| *category)
        .process(CategoryAverage::default())
}

/// Counts elements.
#[derive(Clone, Copy, Debug)]
pub struct Count;

impl<T> AggregateFunction<T, u64, u64> for Count {
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, _: T, acc: &mut u64) {
        *acc += 1;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }
}

/// Bids of one auction in one window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AuctionCount {
    /// Window end (ms).
    pub window_end: i64,
    /// Auction id.
    pub auction: u64,
    /// Number of bids.
    pub count: u64,
}

/// q5's second stage: per window, the auctions with the most bids, emitted
/// when the watermark passes the window.
#[derive(Clone)]
pub struct HotItems {
    top: ValueStateDescriptor<(u64, Vec<u64>)>,
}

impl Default for HotItems {
    fn default() -> Self {
        Self {
            top: ValueStateDescriptor::new("top"),
        }
    }
}

impl KeyedProcessFunction<i64, AuctionCount, AuctionCount> for HotItems {
    fn process_element(
        &mut self,
        c: AuctionCount,
        ctx: &mut KeyedProcessContext<'_, i64>,
        _out: &mut Collector<'_, AuctionCount>,
    ) -> OpResult {
        let mut top = ctx.state(&self.top)?;
        let first = top.value().is_none();
        let (max, auctions) = top.get_or_insert_with(|| (0, Vec::new()));
        if c.count > *max {
            *max = c.count;
            auctions.clear();
        }
        if c.count == *max {
            auctions.push(c.auction);
        }
        if first {
            ctx.timer_service()
                .register_event_time_timer(c.window_end - 1);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        _ts: i64,
        ctx: &mut KeyedProcessContext<'_, i64>,
        out: &mut Collector<'_, AuctionCount>,
    ) -> OpResult {
        let window_end = *ctx.current_key();
        if let Some((count, auctions)) = ctx.state(&self.top)?.take() {
            for auction in auctions {
                out.collect(AuctionCount {
                    window_end,
                    auction,
                    count,
                });
            }
        }
        Ok(())
    }
}

/// q5's window: 10 s, sliding every 2 s.
pub const Q5_WINDOW: Duration = Duration::from_secs(10);
/// q5's slide.
pub const Q5_SLIDE: Duration = Duration::from_secs(2);

/// q5: hot items, the auctions with the most bids per sliding window.
pub fn q5(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<AuctionCount> {
    bids(&with_watermarks(&events(env, o), o))
        .map(|b: Bid| b.auction)
        .key_by(|a: &u64| *a)
        .window(SlidingEventTimeWindows::of(Q5_WINDOW, Q5_SLIDE))
        .aggregate_with_window(
            Count,
            |auction: &u64,
             w: &WindowContext,
             count: u64,
             out: &mut Collector<'_, AuctionCount>| {
                out.collect(AuctionCount {
                    window_end: w.window.end,
                    auction: *auction,
                    count,
                });
                Ok(())
            },
        )
        .key_by(|c: &AuctionCount| c.window_end)
        .process(HotItems::default())
}

/// q7's window: 10 s tumbling.
pub const Q7_WINDOW: Duration = Duration::from_secs(10);

/// q7 pre-aggregation, chained after the source: the highest bid per
/// tumbling window of this subtask, emitted when the watermark passes the
/// window (the local half of a two-phase aggregation).
pub struct LocalMaxBid {
    size: i64,
    open: std::collections::BTreeMap<i64, Bid>,
}

impl LocalMaxBid {
    /// Windows of `size`.
    pub fn new(size: Duration) -> Self {
        Self {
            size: size.as_millis() as i64,
            open: Default::default(),
        }
    }
}

impl StreamOperator<Bid, Bid> for LocalMaxBid {
    #[inline]
    fn process(&mut self, b: Bid, ts: Option<i64>, _out: &mut dyn Output<Bid>) -> OpResult {
        let t = ts.unwrap_or(b.date_time);
        let end = t - t.rem_euclid(self.size) + self.size;
        match self.open.get_mut(&end) {
            Some(best) if best.price >= b.price => {}
            Some(best) => *best = b,
            None => {
                self.open.insert(end, b);
            }
        }
        Ok(())
    }

    fn watermark(&mut self, wm: i64, out: &mut dyn Output<Bid>) -> OpResult {
        while let Some(entry) = self.open.first_entry() {
            if *entry.key() - 1 > wm {
                break;
            }
            let end = *entry.key();
            let bid = entry.remove();
            out.record(bid, Some(end - 1))?;
        }
        out.watermark(wm)
    }

    fn end_input(&mut self, out: &mut dyn Output<Bid>) -> OpResult {
        for (end, bid) in std::mem::take(&mut self.open) {
            out.record(bid, Some(end - 1))?;
        }
        Ok(())
    }
}

/// q7: the highest bid of each 10 s window.
pub fn q7(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Bid> {
    bids(&with_watermarks(&events(env, o), o))
        .transform("Local Max Bid", |_| LocalMaxBid::new(Q7_WINDOW))
        .window_all(TumblingEventTimeWindows::of(Q7_WINDOW))
        .reduce(|a: Bid, b: Bid| if b.price > a.price { b } else { a })
}

/// One q8 result: a person who opened an auction in the window they registered in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Q8Result {
    /// Person id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Window start (ms).
    pub window_start: i64,
}

/// q8's window: 10 s tumbling.
pub const Q8_WINDOW: Duration = Duration::from_secs(10);

/// q8 window contents: the person's name (if they registered) and whether they sold.
#[derive(Clone, Copy, Debug)]
pub struct PersonAndSale;

impl AggregateFunction<Either<(u64, String), u64>, (Option<String>, bool), Option<String>>
    for PersonAndSale
{
    fn create_accumulator(&self) -> (Option<String>, bool) {
        (None, false)
    }
    fn add(&self, v: Either<(u64, String), u64>, acc: &mut (Option<String>, bool)) {
        match v {
            Either::Left((_, name)) => acc.0 = Some(name),
            Either::Right(_) => acc.1 = true,
        }
    }
    fn get_result(&self, acc: &(Option<String>, bool)) -> Option<String> {
        if acc.1 { acc.0.clone() } else { None }
    }
    fn merge(
        &self,
        a: (Option<String>, bool),
        b: (Option<String>, bool),
    ) -> (Option<String>, bool) {
        (a.0.or(b.0), a.1 || b.1)
    }
}

/// q8: new users, persons ⋈ auction sellers per 10 s tumbling window.
pub fn q8(env: &StreamExecutionEnvironment, o: &QueryOptions) -> DataStream<Q8Result> {
    with_watermarks(&events(env, o), o)
        .flat_map(
            |e: Event, out: &mut Collector<'_, Either<(u64, String), u64>>| match e {
                Event::Person(p) => out.collect(Either::Left((p.id, p.name))),
                Event::Auction(a) => out.collect(Either::Right(a.seller)),
                Event::Bid(_) => {}
            },
        )
        .key_by(|v: &Either<(u64, String), u64>| match v {
            Either::Left((id, _)) => *id,
            Either::Right(seller) => *seller,
        })
        .window(TumblingEventTimeWindows::of(Q8_WINDOW))
        .aggregate_with_window(
            PersonAndSale,
            |id: &u64,
             w: &WindowContext,
             name: Option<String>,
             out: &mut Collector<'_, Q8Result>| {
                if let Some(name) = name {
                    out.collect(Q8Result {
                        id: *id,
                        name,
                        window_start: w.window.start,
                    });
                }
                Ok(())
            },
        )
}

/// Whether the query has windows (its results come when windows fire).
pub fn is_windowed(query: &str) -> bool {
    matches!(query, "q5" | "q7" | "q8")
}

/// Adds query `query` with its sink to `env`.
pub fn build(
    env: &StreamExecutionEnvironment,
    query: &str,
    o: &QueryOptions,
) -> Result<(), NexmarkError> {
    let stride = if is_windowed(query) { 1 } else { SAMPLE_STRIDE };
    match query {
        "q0" => sink(&q0(env, o), o, stride),
        "q1" => sink(&q1(env, o), o, stride),
        "q2" => sink(&q2(env, o), o, stride),
        "q3" => sink(&q3(env, o), o, stride),
        "q4" => sink(&q4(env, o), o, stride),
        "q5" => sink(&q5(env, o), o, stride),
        "q7" => sink(&q7(env, o), o, stride),
        "q8" => sink(&q8(env, o), o, stride),
        other => return Err(NexmarkError::UnknownQuery(other.to_string())),
    }
    env.set_job_name(&format!("Nexmark {query}"));
    Ok(())
}

/// Runs `build` for a query with options from the program arguments.
pub fn program(env: &StreamExecutionEnvironment, query: &str) -> Result<(), NexmarkError> {
    let o = QueryOptions::from_args(env)?;
    build(env, query, &o)
}
