//! The Nexmark event generator, ported from the algorithm of Beam's and
//! nexmark-flink's `NexmarkGenerator` (`GeneratorConfig`, `PersonGenerator`,
//! `AuctionGenerator`, `BidGenerator`, `PriceGenerator`, `StringsGenerator`).
//!
//! Event number `n` is a pure function of `n` and the configuration:
//!
//! * its id is `n`; `n % 50` picks the kind (0: person, 1..=3: auction,
//!   4..=49: bid with the default 1:3:46 proportion);
//! * its event time is `base_time + floor(n * interEventDelayUs) / 1000` ms,
//!   `interEventDelayUs = 1e6 / first_event_rate * num_event_generators`;
//! * every field is drawn from a `java.util.Random` seeded with the event id
//!   (as Beam does), in the same order and with the same formulas as the Java
//!   generator: person/auction ids from the id arithmetic (`lastBase0PersonId`,
//!   `lastBase0AuctionId`), hot sellers/bidders/auctions, log-uniform prices
//!   `round(10^(6u) * 100)`, auction lengths around the time to generate
//!   `num_in_flight_auctions` more auctions, and `extra` padding so records
//!   average 200/500/100 bytes. nexmark-flink's quirk of adding
//!   `FIRST_PERSON_ID` to the bidder twice is kept.
//!
//! Deviation: nexmark-flink builds channel URLs from an unseeded `Random`;
//! here the URL of channel `c` comes from a `Random` seeded with `c` (and the
//! four hot URLs from seeds -1..-4), so every run and subtask agrees.

use crate::config::NexmarkConfig;
use crate::model::{Auction, Bid, Event, Person};
use crate::random::JavaRandom;
use std::borrow::Cow;
use std::sync::OnceLock;

/// First person id.
pub const FIRST_PERSON_ID: u64 = 1000;
/// First auction id.
pub const FIRST_AUCTION_ID: u64 = 1000;
/// First category id.
pub const FIRST_CATEGORY_ID: u64 = 10;
/// Number of categories.
pub const NUM_CATEGORIES: i32 = 5;
const PERSON_ID_LEAD: i64 = 10;
const AUCTION_ID_LEAD: i64 = 10;
const HOT_SELLER_RATIO: u64 = 100;
const HOT_AUCTION_RATIO: u64 = 100;
const HOT_BIDDER_RATIO: u64 = 100;
const HOT_CHANNELS_RATIO: i32 = 2;
const CHANNELS_NUMBER: i32 = 10_000;
const MIN_STRING_LENGTH: i32 = 3;

const US_STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES: [&str; 10] = [
    "Phoenix",
    "Los Angeles",
    "San Francisco",
    "Boise",
    "Portland",
    "Bend",
    "Redmond",
    "Seattle",
    "Kent",
    "Cheyenne",
];
const FIRST_NAMES: [&str; 11] = [
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter",
];
const LAST_NAMES: [&str; 9] = [
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris",
];
const HOT_CHANNELS: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];

/// A random string of 3..max_length characters: letters, and `special`
/// with probability 1/13; trimmed of spaces like Java's `String.trim`.
fn next_string(random: &mut JavaRandom, max_length: i32, special: char) -> String {
    let len = MIN_STRING_LENGTH + random.next_int_bounded(max_length - MIN_STRING_LENGTH);
    let mut s = String::with_capacity(len as usize);
    for _ in 0..len {
        if random.next_int_bounded(13) == 0 {
            s.push(special);
        } else {
            s.push((b'a' + random.next_int_bounded(26) as u8) as char);
        }
    }
    let trimmed = s.trim_matches(|c: char| c <= ' ');
    if trimmed.len() == s.len() {
        s
    } else {
        trimmed.to_string()
    }
}

/// A string of exactly `length` characters, six per `nextInt()` (Java's
/// remainder keeps the sign, so characters range over 'H'..='z').
fn next_exact_string(random: &mut JavaRandom, length: i32) -> String {
    let mut bytes = vec![0u8; length.max(0) as usize];
    // Java divides `rnd` by 26 after each character; truncating divisions
    // compose, so character k is `(rnd / 26^k) % 26`, computed independently.
    const POW: [i32; 6] = [1, 26, 676, 17_576, 456_976, 11_881_376];
    for chunk in bytes.chunks_mut(6) {
        let rnd = random.next_int();
        for (b, p) in chunk.iter_mut().zip(POW) {
            *b = (b'a' as i32 + (rnd / p) % 26) as u8;
        }
    }
    // Every byte is ASCII ('H'..='z').
    String::from_utf8(bytes).unwrap_or_default()
}

/// Padding so that `current_size + extra.len()` averages `desired_average`.
fn next_extra(random: &mut JavaRandom, current_size: i32, desired_average: i32) -> String {
    if current_size > desired_average {
        return String::new();
    }
    let avg = desired_average - current_size;
    let delta = (avg as f64 * 0.2).round() as i32;
    let min_size = avg - delta;
    let size = min_size
        + if delta == 0 {
            0
        } else {
            random.next_int_bounded(2 * delta)
        };
    next_exact_string(random, size)
}

/// Java `Math.round(Math.pow(10.0, random.nextDouble() * 6.0) * 100.0)`: cents in [100, 1e8).
fn next_price(random: &mut JavaRandom) -> u64 {
    (10f64.powf(random.next_double() * 6.0) * 100.0 + 0.5).floor() as u64
}

/// Nexmark's `LongGenerator.nextLong`: uniform below 2^31-1, skewed above.
fn next_long(random: &mut JavaRandom, n: i64) -> i64 {
    if n < i32::MAX as i64 {
        random.next_int_bounded(n as i32) as i64
    } else {
        (random.next_long() % n).abs()
    }
}

fn base_url(random: &mut JavaRandom) -> String {
    format!(
        "https://www.nexmark.com/{}/{}/{}/item.htm?query=1",
        next_string(random, 5, '_'),
        next_string(random, 5, '_'),
        next_string(random, 5, '_')
    )
}

struct Channels {
    hot_urls: Vec<String>,
    /// (channel name, url) of channel `c`.
    channels: Vec<(String, String)>,
}

fn channels() -> &'static Channels {
    static C: OnceLock<Channels> = OnceLock::new();
    C.get_or_init(|| Channels {
        hot_urls: (1..=HOT_CHANNELS.len() as i64)
            .map(|i| base_url(&mut JavaRandom::new(-i)))
            .collect(),
        channels: (0..CHANNELS_NUMBER)
            .map(|c| {
                let mut random = JavaRandom::new(c as i64);
                let mut url = base_url(&mut random);
                if random.next_int_bounded(10) > 0 {
                    url.push_str(&format!("&channel_id={}", c.reverse_bits().wrapping_abs()));
                }
                (format!("channel-{c}"), url)
            })
            .collect(),
    })
}

/// Generates Nexmark events by event number.
#[derive(Clone, Debug)]
pub struct Generator {
    config: NexmarkConfig,
    inter_event_delay_us: f64,
    total: u64,
    person: u64,
    auction: u64,
}

impl Generator {
    /// A generator for a (validated) configuration.
    pub fn new(config: NexmarkConfig) -> Self {
        // Build the channel table once per process, outside the hot path.
        let _ = channels();
        Self {
            inter_event_delay_us: config.inter_event_delay_us(),
            total: config.total_proportion(),
            person: config.person_proportion as u64,
            auction: config.auction_proportion as u64,
            config,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NexmarkConfig {
        &self.config
    }

    /// Event number adjusted for out-of-order groups (the event's id and time source).
    #[inline]
    pub fn adjusted_event_number(&self, n: u64) -> u64 {
        let g = self.config.out_of_order_group_size;
        if g == 1 {
            return n;
        }
        (n / g) * g + (n.wrapping_mul(953)) % g
    }

    /// Event time of event number `n` (ms).
    #[inline]
    pub fn timestamp_for_event(&self, n: u64) -> i64 {
        self.config.base_time + ((n as f64 * self.inter_event_delay_us) as i64) / 1000
    }

    /// The event time of event `n` after out-of-order adjustment.
    #[inline]
    pub fn event_timestamp(&self, n: u64) -> i64 {
        self.timestamp_for_event(self.adjusted_event_number(n))
    }

    /// Event number `n` (its id is the adjusted event number).
    pub fn event(&self, n: u64) -> Event {
        let id = self.adjusted_event_number(n);
        let ts = self.timestamp_for_event(id);
        let mut random = JavaRandom::new(id as i64);
        let rem = id % self.total;
        if rem < self.person {
            Event::Person(self.person_event(id, &mut random, ts))
        } else if rem < self.person + self.auction {
            Event::Auction(self.auction_event(id, &mut random, ts))
        } else {
            Event::Bid(self.bid_event(id, &mut random, ts))
        }
    }

    /// The last person id (base 0) generated at or before event `id`.
    pub fn last_base0_person_id(&self, id: u64) -> u64 {
        let epoch = id / self.total;
        let offset = (id % self.total).min(self.person - 1);
        epoch * self.person + offset
    }

    /// The last auction id (base 0) generated at or before event `id`
    /// (-1 before the first auction).
    pub fn last_base0_auction_id(&self, id: u64) -> i64 {
        let mut epoch = (id / self.total) as i64;
        let mut offset = (id % self.total) as i64;
        let (p, a) = (self.person as i64, self.auction as i64);
        if offset < p {
            epoch -= 1;
            offset = a - 1;
        } else if offset >= p + a {
            offset = a - 1;
        } else {
            offset -= p;
        }
        epoch * a + offset
    }

    fn next_base0_person_id(&self, id: u64, random: &mut JavaRandom) -> u64 {
        let num_people = self.last_base0_person_id(id) as i64 + 1;
        let active = num_people.min(self.config.num_active_people as i64);
        let n = next_long(random, active + PERSON_ID_LEAD);
        (num_people - active + n) as u64
    }

    fn next_base0_auction_id(&self, id: u64, random: &mut JavaRandom) -> i64 {
        let max = self.last_base0_auction_id(id);
        let min = (max - self.config.num_in_flight_auctions as i64).max(0);
        min + next_long(random, max - min + 1 + AUCTION_ID_LEAD)
    }

    fn person_event(&self, id: u64, random: &mut JavaRandom, ts: i64) -> Person {
        let person_id = self.last_base0_person_id(id) + FIRST_PERSON_ID;
        let first = FIRST_NAMES[random.next_int_bounded(FIRST_NAMES.len() as i32) as usize];
        let last = LAST_NAMES[random.next_int_bounded(LAST_NAMES.len() as i32) as usize];
        let name = format!("{first} {last}");
        let email = format!(
            "{}@{}.com",
            next_string(random, 7, ' '),
            next_string(random, 5, ' ')
        );
        let credit_card = format!(
            "{:04} {:04} {:04} {:04}",
            random.next_int_bounded(10_000),
            random.next_int_bounded(10_000),
            random.next_int_bounded(10_000),
            random.next_int_bounded(10_000)
        );
        let city = US_CITIES[random.next_int_bounded(US_CITIES.len() as i32) as usize];
        let state = US_STATES[random.next_int_bounded(US_STATES.len() as i32) as usize];
        let size = 8 + name.len() + email.len() + credit_card.len() + city.len() + state.len();
        let extra = next_extra(random, size as i32, self.config.avg_person_byte_size as i32);
        Person {
            id: person_id,
            name,
            email_address: email,
            credit_card,
            city: city.to_string(),
            state: state.to_string(),
            date_time: ts,
            extra,
        }
    }

    fn auction_event(&self, id: u64, random: &mut JavaRandom, ts: i64) -> Auction {
        let auction_id = self.last_base0_auction_id(id) as u64 + FIRST_AUCTION_ID;
        let seller = if random.next_int_bounded(self.config.hot_sellers_ratio as i32) > 0 {
            (self.last_base0_person_id(id) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
        } else {
            self.next_base0_person_id(id, random)
        } + FIRST_PERSON_ID;
        let category = FIRST_CATEGORY_ID + random.next_int_bounded(NUM_CATEGORIES) as u64;
        let initial_bid = next_price(random);
        // Auction length: on average the event time it takes to generate
        // num_in_flight_auctions more auctions.
        let events_for_auctions = (self.config.num_in_flight_auctions as u64 * self.total)
            / self.config.auction_proportion as u64;
        let future = self.timestamp_for_event(id + events_for_auctions);
        let horizon = future - ts;
        let expires = ts + 1 + next_long(random, (horizon * 2).max(1));
        let item_name = next_string(random, 20, ' ');
        let description = next_string(random, 100, ' ');
        let reserve = initial_bid + next_price(random);
        let size = 8 + item_name.len() + description.len() + 8 + 8 + 8 + 8 + 8;
        let extra = next_extra(
            random,
            size as i32,
            self.config.avg_auction_byte_size as i32,
        );
        Auction {
            id: auction_id,
            item_name,
            description,
            initial_bid,
            reserve,
            date_time: ts,
            expires,
            seller,
            category,
            extra,
        }
    }

    fn bid_event(&self, id: u64, random: &mut JavaRandom, ts: i64) -> Bid {
        let auction = if random.next_int_bounded(self.config.hot_auction_ratio as i32) > 0 {
            (self.last_base0_auction_id(id) / HOT_AUCTION_RATIO as i64) * HOT_AUCTION_RATIO as i64
        } else {
            self.next_base0_auction_id(id, random)
        } as u64
            + FIRST_AUCTION_ID;
        let mut bidder = if random.next_int_bounded(self.config.hot_bidders_ratio as i32) > 0 {
            (self.last_base0_person_id(id) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
        } else {
            self.next_base0_person_id(id, random)
        } + FIRST_PERSON_ID;
        let price = next_price(random);
        let ch = channels();
        // Channels and URLs come from a process-wide table: borrowed, not copied.
        let (channel, url): (&'static str, &'static str) =
            if random.next_int_bounded(HOT_CHANNELS_RATIO) > 0 {
                let i = random.next_int_bounded(HOT_CHANNELS.len() as i32) as usize;
                (HOT_CHANNELS[i], &ch.hot_urls[i])
            } else {
                let (c, u) = &ch.channels[random.next_int_bounded(CHANNELS_NUMBER) as usize];
                (c, u)
            };
        // nexmark-flink adds FIRST_PERSON_ID a second time here.
        bidder += FIRST_PERSON_ID;
        let extra = next_extra(random, 32, self.config.avg_bid_byte_size as i32);
        Bid {
            auction,
            bidder,
            price,
            channel: Cow::Borrowed(channel),
            url: Cow::Borrowed(url),
            date_time: ts,
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_gen() -> Generator {
        Generator::new(NexmarkConfig::default())
    }

    #[test]
    fn proportions_are_1_3_46() {
        let g = default_gen();
        let (mut p, mut a, mut b) = (0, 0, 0);
        for n in 0..50_000 {
            match g.event(n) {
                Event::Person(_) => p += 1,
                Event::Auction(_) => a += 1,
                Event::Bid(_) => b += 1,
            }
        }
        assert_eq!((p, a, b), (1000, 3000, 46_000));
    }

    #[test]
    fn ids_follow_event_numbers() {
        let g = default_gen();
        let Event::Person(p) = g.event(0) else {
            panic!()
        };
        assert_eq!(p.id, FIRST_PERSON_ID);
        let Event::Auction(a) = g.event(1) else {
            panic!()
        };
        assert_eq!(a.id, FIRST_AUCTION_ID);
        let Event::Auction(a) = g.event(53) else {
            panic!()
        };
        assert_eq!(a.id, FIRST_AUCTION_ID + 5);
        let Event::Person(p) = g.event(100) else {
            panic!()
        };
        assert_eq!(p.id, FIRST_PERSON_ID + 2);
        assert_eq!(g.last_base0_auction_id(0), -1);
    }

    #[test]
    fn deterministic_and_time_follows_rate() {
        let g = default_gen();
        assert_eq!(g.event(12_345), g.event(12_345));
        // 10k events/s: 10 events per ms.
        let base = g.config().base_time;
        assert_eq!(g.event(0).date_time(), base);
        assert_eq!(g.event(10).date_time(), base + 1);
        assert_eq!(g.event(10_009).date_time(), base + 1000);
    }

    #[test]
    fn fields_have_nexmark_distributions() {
        let g = default_gen();
        let mut bid_bytes = 0usize;
        let mut bids = 0usize;
        let mut hot_auction = 0usize;
        for n in 0..100_000u64 {
            match g.event(n) {
                Event::Bid(b) => {
                    assert!((100..100_000_000).contains(&b.price), "{}", b.price);
                    // Bidders carry FIRST_PERSON_ID twice (nexmark-flink quirk).
                    assert!(b.bidder >= 2 * FIRST_PERSON_ID);
                    let last = g.last_base0_auction_id(n) as u64 + FIRST_AUCTION_ID;
                    assert!(b.auction <= last + AUCTION_ID_LEAD as u64);
                    if b.auction % 100 == (FIRST_AUCTION_ID % 100) {
                        hot_auction += 1;
                    }
                    bid_bytes += 32 + b.extra.len();
                    bids += 1;
                }
                Event::Auction(a) => {
                    assert!((10..15).contains(&a.category));
                    assert!(a.reserve > a.initial_bid);
                    assert!(a.expires > a.date_time);
                    assert!(a.seller >= FIRST_PERSON_ID);
                }
                Event::Person(p) => {
                    assert!(US_STATES.contains(&p.state.as_str()));
                    assert_eq!(p.credit_card.len(), 19);
                    assert!(p.email_address.ends_with(".com"));
                }
            }
        }
        let avg = bid_bytes / bids;
        assert!((95..=105).contains(&avg), "average bid size {avg}");
        // Half of the bids go to a hot auction (plus random hits).
        let share = hot_auction as f64 / bids as f64;
        assert!((0.49..0.6).contains(&share), "hot share {share}");
    }

    #[test]
    fn exact_strings_match_sequential_division() {
        let mut a = JavaRandom::new(99);
        let mut b = JavaRandom::new(99);
        for len in [0, 1, 5, 6, 7, 13, 100] {
            let fast = next_exact_string(&mut a, len);
            let mut slow = String::new();
            let (mut rnd, mut n) = (0i32, 0);
            for _ in 0..len {
                if n == 0 {
                    rnd = b.next_int();
                    n = 6;
                }
                slow.push((b'a' as i32 + rnd % 26) as u8 as char);
                rnd /= 26;
                n -= 1;
            }
            assert_eq!(fast, slow);
        }
    }

    #[test]
    fn strings_are_java_like() {
        let mut r = JavaRandom::new(1);
        for _ in 0..1000 {
            let s = next_string(&mut r, 20, ' ');
            assert!(s.len() < 20);
            assert_eq!(s.trim(), s);
            let e = next_exact_string(&mut r, 17);
            assert_eq!(e.len(), 17);
            assert!(e.bytes().all(|c| (b'H'..=b'z').contains(&c)));
        }
    }
}
