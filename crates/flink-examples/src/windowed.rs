//! `example:windowed`: event-time tumbling windows over out-of-order sensor
//! readings.
//!
//! Generates `--events N` (default 10000) readings deterministically from
//! their index: sensor `i % 8`, a timestamp 50 ms after the previous one but
//! shifted back by up to 1950 ms (so readings arrive out of order), and a
//! temperature in tenths of a degree. Timestamps are taken from the
//! readings with a bounded out-of-orderness of 2 s; readings are grouped per
//! sensor into 5 s tumbling windows and each window emits one line
//!
//! ```text
//! sensor-3 [1700000000000, 1700000005000) count=13 avg=24.6 min=15.3 max=34.1
//! ```
//!
//! written as text into `--output <dir>` (part files), or printed when
//! absent. `--rate R` throttles the generator to R readings/s in total.

use flink_streaming::{
    AggregateFunction, Collector, ProgramError, StreamExecutionEnvironment,
    TumblingEventTimeWindows, WatermarkStrategy, WindowContext,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Epoch millisecond of the first reading.
pub const START_MS: i64 = 1_700_000_000_000;
/// Window size.
pub const WINDOW: Duration = Duration::from_secs(5);
/// Largest delay of a reading behind its in-order position.
pub const MAX_OUT_OF_ORDERNESS: Duration = Duration::from_secs(2);
/// Number of sensors.
pub const SENSORS: u64 = 8;

/// One temperature reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorReading {
    /// Sensor id.
    pub sensor: u32,
    /// Event time (ms since the epoch).
    pub timestamp: i64,
    /// Temperature in tenths of a degree Celsius.
    pub deci_celsius: i64,
}

/// Reading number `i` (deterministic; out of order by up to 1950 ms).
pub fn reading(i: u64) -> SensorReading {
    let delay = ((i.wrapping_mul(7919)) % 40) as i64 * 50;
    SensorReading {
        sensor: (i % SENSORS) as u32,
        timestamp: START_MS + i as i64 * 50 - delay,
        deci_celsius: 150 + (i.wrapping_mul(37) % 200) as i64,
    }
}

/// Count, sum, min and max of a window's temperatures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemperatureStats {
    /// Number of readings.
    pub count: u64,
    /// Sum (tenths of a degree).
    pub sum: i64,
    /// Minimum (tenths of a degree).
    pub min: i64,
    /// Maximum (tenths of a degree).
    pub max: i64,
}

/// Aggregates readings into [`TemperatureStats`].
#[derive(Clone, Copy, Debug)]
pub struct StatsAggregate;

impl AggregateFunction<SensorReading, TemperatureStats, TemperatureStats> for StatsAggregate {
    fn create_accumulator(&self) -> TemperatureStats {
        TemperatureStats {
            count: 0,
            sum: 0,
            min: i64::MAX,
            max: i64::MIN,
        }
    }
    fn add(&self, r: SensorReading, acc: &mut TemperatureStats) {
        acc.count += 1;
        acc.sum += r.deci_celsius;
        acc.min = acc.min.min(r.deci_celsius);
        acc.max = acc.max.max(r.deci_celsius);
    }
    fn get_result(&self, acc: &TemperatureStats) -> TemperatureStats {
        *acc
    }
    fn merge(&self, a: TemperatureStats, b: TemperatureStats) -> TemperatureStats {
        TemperatureStats {
            count: a.count + b.count,
            sum: a.sum + b.sum,
            min: a.min.min(b.min),
            max: a.max.max(b.max),
        }
    }
}

fn deci(v: i64) -> String {
    format!(
        "{}{}.{}",
        if v < 0 { "-" } else { "" },
        v.abs() / 10,
        v.abs() % 10
    )
}

/// The output line of one window.
pub fn format_window(sensor: u32, start: i64, end: i64, s: &TemperatureStats) -> String {
    // Average rounded to tenths (half away from zero).
    let count = s.count.max(1) as i64;
    let avg = (2 * s.sum + count * s.sum.signum()) / (2 * count);
    format!(
        "sensor-{sensor} [{start}, {end}) count={} avg={} min={} max={}",
        s.count,
        deci(avg),
        deci(s.min),
        deci(s.max)
    )
}

fn parse_arg<T: std::str::FromStr>(
    env: &StreamExecutionEnvironment,
    name: &str,
) -> Result<Option<T>, ProgramError>
where
    T::Err: std::fmt::Display,
{
    match env.arg(name) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e| format!("--{name} '{v}' is not valid: {e}").into()),
    }
}

/// The program.
pub fn windowed_event_time(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.set_job_name("Windowed Sensor Statistics");
    let events: u64 = parse_arg(env, "events")?.unwrap_or(10_000);
    let rate: Option<f64> = parse_arg(env, "rate")?;
    if let Some(r) = rate
        && (r.is_nan() || r <= 0.0)
    {
        return Err(format!("--rate must be a positive number of readings/s, got {r}").into());
    }
    let lines = env
        .from_generator(Some(events), rate, reading)
        .name("Sensor Readings")
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(MAX_OUT_OF_ORDERNESS)
                .with_timestamp_assigner(|r: &SensorReading| r.timestamp),
        )
        .key_by(|r: &SensorReading| r.sensor)
        .window(TumblingEventTimeWindows::of(WINDOW))
        .aggregate_with_window(
            StatsAggregate,
            |sensor: &u32,
             ctx: &WindowContext,
             stats: TemperatureStats,
             out: &mut Collector<'_, String>| {
                out.collect(format_window(
                    *sensor,
                    ctx.window.start,
                    ctx.window.end,
                    &stats,
                ));
                Ok(())
            },
        )
        .name("Temperature Statistics");
    match env.arg("output") {
        Some(dir) => {
            lines.write_as_text(&dir);
        }
        None => {
            lines.print();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_out_of_order_within_the_bound() {
        let mut max_seen = i64::MIN;
        let mut out_of_order = 0;
        for i in 0..10_000 {
            let r = reading(i);
            if r.timestamp < max_seen {
                out_of_order += 1;
                assert!(max_seen - r.timestamp < MAX_OUT_OF_ORDERNESS.as_millis() as i64);
            }
            max_seen = max_seen.max(r.timestamp);
        }
        assert!(out_of_order > 1000, "{out_of_order}");
    }

    #[test]
    fn window_line_format() {
        let s = TemperatureStats {
            count: 3,
            sum: 100,
            min: 20,
            max: 50,
        };
        assert_eq!(
            format_window(2, 0, 5000, &s),
            "sensor-2 [0, 5000) count=3 avg=3.3 min=2.0 max=5.0"
        );
    }
}
