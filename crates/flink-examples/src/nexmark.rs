//! `example:nexmark-q0` ... `example:nexmark-q8`: the Nexmark queries of
//! `flink-nexmark` with a blackhole sink. Arguments: `--events N` (default
//! 10 M, 0 = unbounded), `--rate R` (throttle, events/s; default as fast as
//! possible), `--event-rate E` (event-time rate, default 10 M/s),
//! `--watermark-delay-ms D` (default 4000).

use flink_streaming::{ProgramError, ProgramRegistry, StreamExecutionEnvironment};

macro_rules! queries {
    ($($f:ident => $q:literal: $what:literal),* $(,)?) => {
        $(
            #[doc = concat!("Nexmark ", $q, ": ", $what, ".")]
            pub fn $f(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
                flink_nexmark::queries::program(env, $q).map_err(Into::into)
            }
        )*
        /// Registers `example:nexmark-qN` for every query.
        pub fn register(registry: &mut ProgramRegistry) {
            $(registry.register(
                concat!("example:nexmark-", $q),
                concat!("Nexmark ", $q, ": ", $what, " (--events N --rate R)"),
                $f,
            );)*
        }
    };
}

queries!(
    q0 => "q0": "pass-through of bids",
    q1 => "q1": "bid prices in euros",
    q2 => "q2": "bids on auctions with id % 123 == 0",
    q3 => "q3": "local item suggestion, persons joined with auctions",
    q4 => "q4": "average winning price per category",
    q5 => "q5": "hot items per sliding 10 s / 2 s window",
    q7 => "q7": "highest bid per 10 s window",
    q8 => "q8": "new sellers per 10 s window",
);
