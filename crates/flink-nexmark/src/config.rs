//! Generator parameters (Nexmark's `NexmarkConfiguration` defaults) and the
//! derived per-run [`GeneratorConfig`].

use crate::error::NexmarkError;
use serde::{Deserialize, Serialize};

/// The Nexmark parameters that shape the generated events. Defaults are
/// Nexmark's (`NexmarkConfiguration`); the benchmark itself runs with
/// `first_event_rate` 10 M/s (nexmark-flink's `nexmark.yaml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct NexmarkConfig {
    /// Events per second of event time (fixes the event-time spacing, not
    /// how fast events are produced).
    pub first_event_rate: f64,
    /// Number of generators the rate is shared by (`interEventDelayUs`
    /// is multiplied by it). 1: one timeline over all source subtasks.
    pub num_event_generators: u32,
    /// Person : auction : bid proportion.
    pub person_proportion: u32,
    /// See `person_proportion`.
    pub auction_proportion: u32,
    /// See `person_proportion`.
    pub bid_proportion: u32,
    /// Average person size in bytes (the `extra` field pads to it).
    pub avg_person_byte_size: u32,
    /// Average auction size in bytes.
    pub avg_auction_byte_size: u32,
    /// Average bid size in bytes.
    pub avg_bid_byte_size: u32,
    /// 1 in this many bids goes to a random auction, the rest to a hot one.
    pub hot_auction_ratio: u32,
    /// 1 in this many auctions has a random seller, the rest a hot one.
    pub hot_sellers_ratio: u32,
    /// 1 in this many bids has a random bidder, the rest a hot one.
    pub hot_bidders_ratio: u32,
    /// Auctions that are open at any time (id spread of bids, auction length).
    pub num_in_flight_auctions: u32,
    /// People that bid and sell at any time.
    pub num_active_people: u32,
    /// Events within a group of this size are emitted out of order (1: in order).
    pub out_of_order_group_size: u64,
    /// Event time of event 0 (ms since the epoch).
    pub base_time: i64,
}

impl Default for NexmarkConfig {
    fn default() -> Self {
        Self {
            first_event_rate: 10_000.0,
            num_event_generators: 1,
            person_proportion: 1,
            auction_proportion: 3,
            bid_proportion: 46,
            avg_person_byte_size: 200,
            avg_auction_byte_size: 500,
            avg_bid_byte_size: 100,
            hot_auction_ratio: 2,
            hot_sellers_ratio: 4,
            hot_bidders_ratio: 4,
            num_in_flight_auctions: 100,
            num_active_people: 1000,
            out_of_order_group_size: 1,
            // 2020-01-01T00:00:00Z: fixed so runs are reproducible.
            base_time: 1_577_836_800_000,
        }
    }
}

fn invalid(name: &'static str, value: impl ToString, reason: &'static str) -> NexmarkError {
    NexmarkError::InvalidConfig {
        name,
        value: value.to_string(),
        reason,
    }
}

impl NexmarkConfig {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), NexmarkError> {
        if !(self.first_event_rate.is_finite() && self.first_event_rate > 0.0) {
            return Err(invalid(
                "first-event-rate",
                self.first_event_rate,
                "must be a positive number of events per second",
            ));
        }
        if self.num_event_generators == 0 {
            return Err(invalid("num-event-generators", 0, "must be at least 1"));
        }
        if self.person_proportion == 0 || self.auction_proportion == 0 {
            return Err(invalid(
                "person-proportion/auction-proportion",
                format!("{}/{}", self.person_proportion, self.auction_proportion),
                "must both be at least 1",
            ));
        }
        for (name, v) in [
            ("hot-auction-ratio", self.hot_auction_ratio),
            ("hot-sellers-ratio", self.hot_sellers_ratio),
            ("hot-bidders-ratio", self.hot_bidders_ratio),
            ("num-in-flight-auctions", self.num_in_flight_auctions),
            ("num-active-people", self.num_active_people),
        ] {
            if v == 0 || v > i32::MAX as u32 {
                return Err(invalid(name, v, "must be between 1 and 2^31-1"));
            }
        }
        if self.out_of_order_group_size == 0 {
            return Err(invalid(
                "out-of-order-group-size",
                0,
                "must be at least 1 (1 = in order)",
            ));
        }
        Ok(())
    }

    /// Microseconds of event time between consecutive events.
    pub fn inter_event_delay_us(&self) -> f64 {
        1_000_000.0 / self.first_event_rate * self.num_event_generators as f64
    }

    /// Proportion denominator (50 by default).
    pub fn total_proportion(&self) -> u64 {
        (self.person_proportion + self.auction_proportion + self.bid_proportion) as u64
    }
}
