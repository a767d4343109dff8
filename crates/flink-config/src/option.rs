//! [`ConfigOption`]: a typed, documented configuration key.

use crate::value::OptionValue;
use std::marker::PhantomData;

/// A value check and the "expected ..." text shown when it fails.
type Check<T> = (fn(&T) -> bool, &'static str);

/// A typed configuration option (Flink `ConfigOption<T>`): key, default,
/// description and deprecated keys that are still read as fallbacks.
///
/// The default is written as the string a user would write in config.yaml
/// (e.g. `"10 s"`), so the documentation shows exactly what a user types and
/// a test checks that every default parses.
pub struct ConfigOption<T> {
    key: &'static str,
    default: Option<&'static str>,
    description: &'static str,
    deprecated_keys: &'static [&'static str],
    check: Option<Check<T>>,
    _type: PhantomData<fn() -> T>,
}

impl<T> ConfigOption<T> {
    /// An option without default and description.
    pub const fn new(key: &'static str) -> Self {
        Self {
            key,
            default: None,
            description: "",
            deprecated_keys: &[],
            check: None,
            _type: PhantomData,
        }
    }
    /// Sets the default, written as in config.yaml.
    pub const fn with_default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
    /// Sets the description (one or two sentences, shown in the docs and in
    /// "missing configuration" errors).
    pub const fn with_description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
    /// Deprecated keys, read in order when the key itself is not set.
    pub const fn with_deprecated_keys(mut self, keys: &'static [&'static str]) -> Self {
        self.deprecated_keys = keys;
        self
    }
    /// An extra check on the parsed value; `expected` replaces the type's
    /// "expected ..." text in errors (e.g. "a positive integer").
    pub const fn with_check(mut self, check: fn(&T) -> bool, expected: &'static str) -> Self {
        self.check = Some((check, expected));
        self
    }
    /// The key.
    pub const fn key(&self) -> &'static str {
        self.key
    }
}

impl<T: OptionValue> ConfigOption<T> {
    /// Parses and checks a raw value; the error is the "expected ..." text.
    pub(crate) fn parse_checked(&self, raw: &str) -> Result<T, String> {
        let expected = || match self.check {
            Some((_, e)) => e.to_string(),
            None => T::expected(),
        };
        let v = T::parse_value(raw).map_err(|_| expected())?;
        match self.check {
            Some((ok, _)) if !ok(&v) => Err(expected()),
            _ => Ok(v),
        }
    }
}

/// Type-erased view of a [`ConfigOption`], for the registry and the docs.
pub trait AnyOption: Sync {
    /// The key.
    fn key(&self) -> &'static str;
    /// The default as written in config.yaml, if any.
    fn default_str(&self) -> Option<&'static str>;
    /// The description.
    fn description(&self) -> &'static str;
    /// Deprecated keys still read as fallbacks.
    fn deprecated_keys(&self) -> &'static [&'static str];
    /// The value type's name ("Integer", "Duration", ...).
    fn type_name(&self) -> &'static str;
    /// What a valid value looks like.
    fn expected(&self) -> String;
    /// Checks that a raw value would be accepted.
    fn validate_raw(&self, raw: &str) -> Result<(), String>;
}

impl<T: OptionValue> AnyOption for ConfigOption<T> {
    fn key(&self) -> &'static str {
        self.key
    }
    fn default_str(&self) -> Option<&'static str> {
        self.default
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn deprecated_keys(&self) -> &'static [&'static str] {
        self.deprecated_keys
    }
    fn type_name(&self) -> &'static str {
        T::type_name()
    }
    fn expected(&self) -> String {
        match self.check {
            Some((_, e)) => e.to_string(),
            None => T::expected(),
        }
    }
    fn validate_raw(&self, raw: &str) -> Result<(), String> {
        self.parse_checked(raw).map(|_| ())
    }
}

/// Check: a value greater than zero.
pub fn positive_u32(v: &u32) -> bool {
    *v > 0
}

/// Check: a value greater than zero.
pub fn positive_f64(v: &f64) -> bool {
    *v > 0.0
}

/// Check: a value between 0 and 1 inclusive.
pub fn unit_interval(v: &f64) -> bool {
    (0.0..=1.0).contains(v)
}

/// Check: a value of at least 1.
pub fn at_least_one(v: &f64) -> bool {
    *v >= 1.0
}

/// Check: a non-zero duration.
pub fn positive_duration(v: &std::time::Duration) -> bool {
    !v.is_zero()
}

/// Check: a non-zero memory size.
pub fn positive_memory(v: &crate::MemorySize) -> bool {
    v.bytes() > 0
}

/// Check: a non-empty string.
#[allow(clippy::ptr_arg)] // must match `fn(&String) -> bool`
pub fn non_empty(v: &String) -> bool {
    !v.trim().is_empty()
}
