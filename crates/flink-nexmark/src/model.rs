//! The Nexmark events: people, auctions and bids (the fields of
//! nexmark-flink's `Person`, `Auction` and `Bid`), as plain serde structs.
//! Times are milliseconds since the epoch; prices are in cents.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A person: a seller or bidder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Person id (from 1000).
    pub id: u64,
    /// "First Last".
    pub name: String,
    /// Email address.
    pub email_address: String,
    /// Credit card number, four groups of four digits.
    pub credit_card: String,
    /// US city.
    pub city: String,
    /// US state (two letters).
    pub state: String,
    /// Event time (ms).
    pub date_time: i64,
    /// Padding to the average person size.
    pub extra: String,
}

/// An auction of one item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auction {
    /// Auction id (from 1000).
    pub id: u64,
    /// Item name.
    pub item_name: String,
    /// Item description.
    pub description: String,
    /// Initial bid (cents).
    pub initial_bid: u64,
    /// Reserve price (cents), above the initial bid.
    pub reserve: u64,
    /// Event time (ms).
    pub date_time: i64,
    /// When the auction closes (ms).
    pub expires: i64,
    /// Seller (a person id).
    pub seller: u64,
    /// Category (10..=14).
    pub category: u64,
    /// Padding to the average auction size.
    pub extra: String,
}

/// A bid on an auction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    /// Auction id.
    pub auction: u64,
    /// Bidder (a person id).
    pub bidder: u64,
    /// Price (cents).
    pub price: u64,
    /// Channel the bid came through ("Google", ..., "channel-N"); generated
    /// bids borrow it from the generator's static table.
    pub channel: Cow<'static, str>,
    /// URL of the bid (borrowed like `channel`).
    pub url: Cow<'static, str>,
    /// Event time (ms).
    pub date_time: i64,
    /// Padding to the average bid size.
    pub extra: String,
}

/// One Nexmark event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A new person.
    Person(Person),
    /// A new auction.
    Auction(Auction),
    /// A bid.
    Bid(Bid),
}

impl Event {
    /// The event time (ms).
    pub fn date_time(&self) -> i64 {
        match self {
            Event::Person(p) => p.date_time,
            Event::Auction(a) => a.date_time,
            Event::Bid(b) => b.date_time,
        }
    }
    /// The bid, if this is one.
    pub fn into_bid(self) -> Option<Bid> {
        match self {
            Event::Bid(b) => Some(b),
            _ => None,
        }
    }
    /// Whether this is a bid.
    pub fn is_bid(&self) -> bool {
        matches!(self, Event::Bid(_))
    }
}
