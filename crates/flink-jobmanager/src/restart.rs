//! Restart strategies with Flink's keys and defaults (`restart-strategy.*`),
//! read from the job's configuration.

use crate::config::parse_duration;
use crate::error::JobManagerError;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// A restart strategy (Flink `RestartBackoffTimeStrategy` configuration).
#[derive(Clone, Debug, PartialEq)]
pub enum RestartStrategy {
    /// Never restart: the first failure fails the job.
    None,
    /// Restart up to `attempts` times, waiting `delay` before each.
    FixedDelay {
        /// `restart-strategy.fixed-delay.attempts` (1).
        attempts: u32,
        /// `restart-strategy.fixed-delay.delay` (1 s).
        delay: Duration,
    },
    /// Restart unless more than `max_failures` failures happen within `interval`.
    FailureRate {
        /// `restart-strategy.failure-rate.max-failures-per-interval` (1).
        max_failures: u32,
        /// `restart-strategy.failure-rate.failure-rate-interval` (1 min).
        interval: Duration,
        /// `restart-strategy.failure-rate.delay` (1 s).
        delay: Duration,
    },
    /// Restart with exponentially growing delays.
    ExponentialDelay {
        /// `...initial-backoff` (1 s).
        initial_backoff: Duration,
        /// `...max-backoff` (1 min).
        max_backoff: Duration,
        /// `...backoff-multiplier` (1.5).
        multiplier: f64,
        /// `...jitter-factor` (0.1).
        jitter: f64,
        /// `...reset-backoff-threshold` (1 h): a run this long resets the backoff.
        reset_threshold: Duration,
        /// `...attempts-before-reset-backoff` (unbounded).
        attempts_before_reset: u32,
    },
}

const P: &str = "restart-strategy.";

impl RestartStrategy {
    /// Reads the strategy from a job configuration. Without
    /// `restart-strategy.type`, like Flink: `none` unless checkpointing is
    /// enabled (`execution.checkpointing.interval`), then exponential-delay.
    pub fn from_config(conf: &BTreeMap<String, String>) -> Result<Self, JobManagerError> {
        let get = |k: &str| conf.get(&format!("{P}{k}")).map(|s| s.trim().to_string());
        let dur = |k: &str, d: Duration| -> Result<Duration, JobManagerError> {
            match get(k) {
                Some(v) => parse_duration(&format!("{P}{k}"), &v),
                None => Ok(d),
            }
        };
        let num = |k: &str, d: u32| -> Result<u32, JobManagerError> {
            match get(k) {
                Some(v) => v
                    .parse()
                    .map_err(|_| bad(&format!("{P}{k}"), &v, "expected a non-negative integer")),
                None => Ok(d),
            }
        };
        let float = |k: &str, d: f64| -> Result<f64, JobManagerError> {
            match get(k) {
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| bad(&format!("{P}{k}"), &v, "expected a non-negative number")),
                None => Ok(d),
            }
        };
        let kind = match get("type") {
            Some(t) => t.to_ascii_lowercase(),
            None if conf.contains_key("execution.checkpointing.interval") => {
                "exponential-delay".into()
            }
            None => "none".into(),
        };
        Ok(match kind.as_str() {
            "none" | "off" | "disable" => Self::None,
            "fixed-delay" | "fixeddelay" => Self::FixedDelay {
                attempts: num("fixed-delay.attempts", 1)?,
                delay: dur("fixed-delay.delay", Duration::from_secs(1))?,
            },
            "failure-rate" | "failurerate" => Self::FailureRate {
                max_failures: num("failure-rate.max-failures-per-interval", 1)?,
                interval: dur(
                    "failure-rate.failure-rate-interval",
                    Duration::from_secs(60),
                )?,
                delay: dur("failure-rate.delay", Duration::from_secs(1))?,
            },
            "exponential-delay" | "exponentialdelay" => {
                let multiplier = float("exponential-delay.backoff-multiplier", 1.5)?;
                if multiplier < 1.0 {
                    return Err(bad(
                        "restart-strategy.exponential-delay.backoff-multiplier",
                        &multiplier.to_string(),
                        "must be at least 1.0",
                    ));
                }
                let jitter = float("exponential-delay.jitter-factor", 0.1)?;
                if jitter > 1.0 {
                    return Err(bad(
                        "restart-strategy.exponential-delay.jitter-factor",
                        &jitter.to_string(),
                        "must be between 0.0 and 1.0",
                    ));
                }
                Self::ExponentialDelay {
                    initial_backoff: dur(
                        "exponential-delay.initial-backoff",
                        Duration::from_secs(1),
                    )?,
                    max_backoff: dur("exponential-delay.max-backoff", Duration::from_secs(60))?,
                    multiplier,
                    jitter,
                    reset_threshold: dur(
                        "exponential-delay.reset-backoff-threshold",
                        Duration::from_secs(3600),
                    )?,
                    attempts_before_reset: num(
                        "exponential-delay.attempts-before-reset-backoff",
                        u32::MAX,
                    )?,
                }
            }
            other => {
                return Err(bad(
                    "restart-strategy.type",
                    other,
                    "expected none, fixed-delay, failure-rate or exponential-delay",
                ));
            }
        })
    }

    /// A fresh backoff tracker for one job.
    pub fn backoff(&self) -> RestartBackoff {
        RestartBackoff {
            strategy: self.clone(),
            restarts: 0,
            failures: VecDeque::new(),
            current_backoff: None,
            last_failure: None,
        }
    }
}

fn bad(key: &str, value: &str, reason: &str) -> JobManagerError {
    JobManagerError::Config {
        key: key.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

/// The per-job state of a restart strategy.
#[derive(Debug)]
pub struct RestartBackoff {
    strategy: RestartStrategy,
    restarts: u32,
    failures: VecDeque<Instant>,
    current_backoff: Option<Duration>,
    last_failure: Option<Instant>,
}

impl RestartBackoff {
    /// Records a failure at `now`; returns the delay before the restart, or
    /// `None` if the job must fail for good.
    pub fn on_failure(&mut self, now: Instant) -> Option<Duration> {
        let last = self.last_failure.replace(now);
        match &self.strategy {
            RestartStrategy::None => None,
            RestartStrategy::FixedDelay { attempts, delay } => {
                if self.restarts >= *attempts {
                    return None;
                }
                self.restarts += 1;
                Some(*delay)
            }
            RestartStrategy::FailureRate {
                max_failures,
                interval,
                delay,
            } => {
                self.failures.push_back(now);
                while let Some(first) = self.failures.front() {
                    if now.duration_since(*first) > *interval {
                        self.failures.pop_front();
                    } else {
                        break;
                    }
                }
                if self.failures.len() as u64 > u64::from(*max_failures) {
                    return None;
                }
                Some(*delay)
            }
            RestartStrategy::ExponentialDelay {
                initial_backoff,
                max_backoff,
                multiplier,
                jitter,
                reset_threshold,
                attempts_before_reset,
            } => {
                if last.is_some_and(|l| now.duration_since(l) >= *reset_threshold) {
                    self.current_backoff = None;
                    self.restarts = 0;
                }
                if self.restarts >= *attempts_before_reset {
                    return None;
                }
                self.restarts += 1;
                let next = match self.current_backoff {
                    None => *initial_backoff,
                    Some(b) => b.mul_f64(*multiplier).min(*max_backoff),
                };
                self.current_backoff = Some(next);
                let spread = next.as_secs_f64() * jitter;
                let offset = if spread > 0.0 {
                    rand::random_range(-spread..=spread)
                } else {
                    0.0
                };
                Some(Duration::from_secs_f64(
                    (next.as_secs_f64() + offset).max(0.0),
                ))
            }
        }
    }

    /// Restarts granted so far.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn default_is_none_or_exponential_with_checkpointing() {
        assert_eq!(
            RestartStrategy::from_config(&conf(&[])).unwrap(),
            RestartStrategy::None
        );
        let s =
            RestartStrategy::from_config(&conf(&[("execution.checkpointing.interval", "10 s")]))
                .unwrap();
        assert!(
            matches!(s, RestartStrategy::ExponentialDelay { multiplier, .. } if multiplier == 1.5)
        );
    }

    #[test]
    fn fixed_delay_grants_exactly_attempts() {
        let s = RestartStrategy::from_config(&conf(&[
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "2"),
            ("restart-strategy.fixed-delay.delay", "10 ms"),
        ]))
        .unwrap();
        let mut b = s.backoff();
        let now = Instant::now();
        assert_eq!(b.on_failure(now), Some(Duration::from_millis(10)));
        assert_eq!(b.on_failure(now), Some(Duration::from_millis(10)));
        assert_eq!(b.on_failure(now), None);
        let mut none = RestartStrategy::None.backoff();
        assert_eq!(none.on_failure(now), None);
    }

    #[test]
    fn failure_rate_counts_within_interval() {
        let s = RestartStrategy::from_config(&conf(&[
            ("restart-strategy.type", "failure-rate"),
            (
                "restart-strategy.failure-rate.max-failures-per-interval",
                "2",
            ),
            ("restart-strategy.failure-rate.failure-rate-interval", "1 s"),
        ]))
        .unwrap();
        let mut b = s.backoff();
        let t0 = Instant::now();
        assert!(b.on_failure(t0).is_some());
        assert!(b.on_failure(t0 + Duration::from_millis(100)).is_some());
        assert!(b.on_failure(t0 + Duration::from_millis(200)).is_none());
        // Outside the interval the old failures no longer count.
        let mut b = s.backoff();
        assert!(b.on_failure(t0).is_some());
        assert!(b.on_failure(t0 + Duration::from_millis(100)).is_some());
        assert!(b.on_failure(t0 + Duration::from_secs(5)).is_some());
    }

    #[test]
    fn exponential_grows_caps_and_resets() {
        let s = RestartStrategy::from_config(&conf(&[
            ("restart-strategy.type", "exponential-delay"),
            (
                "restart-strategy.exponential-delay.initial-backoff",
                "100 ms",
            ),
            ("restart-strategy.exponential-delay.max-backoff", "300 ms"),
            ("restart-strategy.exponential-delay.backoff-multiplier", "2"),
            ("restart-strategy.exponential-delay.jitter-factor", "0"),
            (
                "restart-strategy.exponential-delay.reset-backoff-threshold",
                "10 s",
            ),
        ]))
        .unwrap();
        let mut b = s.backoff();
        let t = Instant::now();
        assert_eq!(b.on_failure(t), Some(Duration::from_millis(100)));
        assert_eq!(b.on_failure(t), Some(Duration::from_millis(200)));
        assert_eq!(b.on_failure(t), Some(Duration::from_millis(300)));
        assert_eq!(b.on_failure(t), Some(Duration::from_millis(300)));
        assert_eq!(
            b.on_failure(t + Duration::from_secs(11)),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = RestartStrategy::from_config(&conf(&[("restart-strategy.type", "sometimes")]))
            .unwrap_err();
        assert!(e.to_string().contains("restart-strategy.type"), "{e}");
        let e = RestartStrategy::from_config(&conf(&[
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "-1"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("fixed-delay.attempts"), "{e}");
    }
}
