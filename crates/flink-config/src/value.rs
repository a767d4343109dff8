//! Value types and formats as Flink writes them in its configuration:
//! memory sizes (`1728m`, `4 gb`), durations (`10 s`, `1 min`, bare number =
//! milliseconds), booleans, numbers, enums, `;`-separated lists and
//! `k1:v1,k2:v2` maps.
//!
//! Every type a [`crate::ConfigOption`] can hold implements [`OptionValue`]:
//! it parses from the stored string, says in words what it accepts (for
//! error messages and the generated docs) and renders back to a string that
//! parses to the same value.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A type that a configuration value can be parsed into.
pub trait OptionValue: Sized {
    /// What a valid value looks like, in words ("a positive integer", ...).
    /// Used after "expected" in error messages.
    fn expected() -> String;
    /// Short type name for the generated documentation ("Integer", "MemorySize", ...).
    fn type_name() -> &'static str;
    /// Parses the stored string. The error is a short reason; the caller
    /// adds key, value and source.
    fn parse_value(s: &str) -> Result<Self, String>;
    /// Renders the value so that [`OptionValue::parse_value`] gives it back.
    fn to_value_string(&self) -> String;
}

// ---------------------------------------------------------------------------
// Memory sizes
// ---------------------------------------------------------------------------

/// A number of bytes, written as Flink writes memory sizes: `1728m`, `4 gb`,
/// `32 kb`, `1024` (bytes). Units are powers of 1024 (1 kb = 1024 bytes, as
/// in Flink), case-insensitive, with an optional space before the unit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct MemorySize(u64);

const KIB: u64 = 1024;
const MIB: u64 = KIB * 1024;
const GIB: u64 = MIB * 1024;
const TIB: u64 = GIB * 1024;

/// Accepted memory units: (names, multiplier).
const MEMORY_UNITS: &[(&[&str], u64)] = &[
    (&["b", "bytes"], 1),
    (&["k", "kb", "kibibytes"], KIB),
    (&["m", "mb", "mebibytes"], MIB),
    (&["g", "gb", "gibibytes"], GIB),
    (&["t", "tb", "tebibytes"], TIB),
];

impl MemorySize {
    /// Zero bytes.
    pub const ZERO: MemorySize = MemorySize(0);

    /// A size of `bytes` bytes.
    pub const fn from_bytes(bytes: u64) -> Self {
        Self(bytes)
    }
    /// A size of `kib` kibibytes.
    pub const fn from_kibi(kib: u64) -> Self {
        Self(kib * KIB)
    }
    /// A size of `mib` mebibytes.
    pub const fn from_mebi(mib: u64) -> Self {
        Self(mib * MIB)
    }
    /// A size of `gib` gibibytes.
    pub const fn from_gibi(gib: u64) -> Self {
        Self(gib * GIB)
    }
    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }
    /// The size in whole kibibytes (rounded down).
    pub const fn kibi_bytes(self) -> u64 {
        self.0 / KIB
    }
    /// The size in whole mebibytes (rounded down), e.g. for YARN container requests.
    pub const fn mebi_bytes(self) -> u64 {
        self.0 / MIB
    }
    /// Parses Flink's memory size format.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("the value is empty".into());
        }
        let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        if digits_end == 0 {
            return Err("it does not start with a number".into());
        }
        let number: u64 = t[..digits_end]
            .parse()
            .map_err(|_| "the number is too large".to_string())?;
        let unit = t[digits_end..].trim_start().to_ascii_lowercase();
        let multiplier = if unit.is_empty() {
            1
        } else {
            MEMORY_UNITS
                .iter()
                .find(|(names, _)| names.contains(&unit.as_str()))
                .map(|(_, m)| *m)
                .ok_or_else(|| format!("unknown unit '{}'", &t[digits_end..].trim_start()))?
        };
        number
            .checked_mul(multiplier)
            .map(Self)
            .ok_or_else(|| "the size does not fit in 64 bits".to_string())
    }
}

impl fmt::Display for MemorySize {
    /// Renders with the largest unit that divides the size exactly: `1728m`, `32kb` style
    /// is avoided in favour of Flink's readable `1728 mb`, `32 kb`, `1000 bytes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b == 0 {
            return f.write_str("0 bytes");
        }
        for (unit, m) in [("tb", TIB), ("gb", GIB), ("mb", MIB), ("kb", KIB)] {
            if b.is_multiple_of(m) {
                return write!(f, "{} {unit}", b / m);
            }
        }
        write!(f, "{b} bytes")
    }
}

impl FromStr for MemorySize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for MemorySize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for MemorySize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl OptionValue for MemorySize {
    fn expected() -> String {
        "a memory size such as '1728m', '4 gb', '32 kb' or a number of bytes \
         (units: b, k/kb, m/mb, g/gb, t/tb)"
            .into()
    }
    fn type_name() -> &'static str {
        "MemorySize"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
    fn to_value_string(&self) -> String {
        self.to_string()
    }
}

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

/// Accepted duration units: (names, nanoseconds per unit). A bare number is milliseconds.
const DURATION_UNITS: &[(&[&str], u128)] = &[
    (&["ns", "nano", "nanos", "nanosecond", "nanoseconds"], 1),
    (
        &["us", "µs", "micro", "micros", "microsecond", "microseconds"],
        1_000,
    ),
    (
        &["ms", "milli", "millis", "millisecond", "milliseconds"],
        1_000_000,
    ),
    (&["s", "sec", "secs", "second", "seconds"], 1_000_000_000),
    (&["min", "m", "minute", "minutes"], 60_000_000_000),
    (&["h", "hour", "hours"], 3_600_000_000_000),
    (&["d", "day", "days"], 86_400_000_000_000),
];

/// Parses Flink's duration format: `10 s`, `1 min`, `500 ms`, `1h`, `2 d`;
/// a bare number is milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the value is empty".into());
    }
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits_end == 0 {
        return Err("it does not start with a number".into());
    }
    let number: u128 = t[..digits_end]
        .parse()
        .map_err(|_| "the number is too large".to_string())?;
    let unit_text = t[digits_end..].trim_start();
    let unit = unit_text.to_lowercase();
    let nanos_per_unit = if unit.is_empty() {
        1_000_000
    } else {
        DURATION_UNITS
            .iter()
            .find(|(names, _)| names.contains(&unit.as_str()))
            .map(|(_, n)| *n)
            .ok_or_else(|| format!("unknown unit '{unit_text}'"))?
    };
    let nanos = number
        .checked_mul(nanos_per_unit)
        .ok_or_else(|| "the duration is too long".to_string())?;
    let secs =
        u64::try_from(nanos / 1_000_000_000).map_err(|_| "the duration is too long".to_string())?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// Renders a duration with the largest unit that divides it exactly, the way
/// Flink prints durations: `10 s`, `1 min`, `500 ms`, `0 ms`.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0 ms".into();
    }
    for (unit, n) in [
        ("d", 86_400_000_000_000u128),
        ("h", 3_600_000_000_000),
        ("min", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if nanos.is_multiple_of(n) {
            return format!("{} {unit}", nanos / n);
        }
    }
    format!("{nanos} ns")
}

impl OptionValue for Duration {
    fn expected() -> String {
        "a duration such as '10 s', '1 min', '500 ms', '1h' or a number of milliseconds \
         (units: ns, us, ms, s, min/m, h, d)"
            .into()
    }
    fn type_name() -> &'static str {
        "Duration"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        parse_duration(s)
    }
    fn to_value_string(&self) -> String {
        format_duration(*self)
    }
}

// ---------------------------------------------------------------------------
// Plain scalars
// ---------------------------------------------------------------------------

impl OptionValue for bool {
    fn expected() -> String {
        "'true' or 'false'".into()
    }
    fn type_name() -> &'static str {
        "Boolean"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if t.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err("not a boolean".into())
        }
    }
    fn to_value_string(&self) -> String {
        self.to_string()
    }
}

macro_rules! integer_value {
    ($t:ty, $name:literal, $expected:literal) => {
        impl OptionValue for $t {
            fn expected() -> String {
                $expected.into()
            }
            fn type_name() -> &'static str {
                $name
            }
            fn parse_value(s: &str) -> Result<Self, String> {
                s.trim()
                    .parse::<$t>()
                    .map_err(|e| format!("not a valid number ({e})"))
            }
            fn to_value_string(&self) -> String {
                self.to_string()
            }
        }
    };
}

integer_value!(i32, "Integer", "an integer");
integer_value!(u32, "Integer", "a non-negative integer");
integer_value!(i64, "Long", "an integer");
integer_value!(u64, "Long", "a non-negative integer");
integer_value!(u16, "Integer", "a port number between 0 and 65535");

impl OptionValue for f64 {
    fn expected() -> String {
        "a number such as '1.5'".into()
    }
    fn type_name() -> &'static str {
        "Double"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|e| format!("not a valid number ({e})"))?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err("the number is not finite".into())
        }
    }
    fn to_value_string(&self) -> String {
        self.to_string()
    }
}

impl OptionValue for String {
    fn expected() -> String {
        "a string".into()
    }
    fn type_name() -> &'static str {
        "String"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        Ok(s.to_string())
    }
    fn to_value_string(&self) -> String {
        self.clone()
    }
}

// ---------------------------------------------------------------------------
// Lists and maps
// ---------------------------------------------------------------------------

/// Parses a `;`-separated list (YAML lists are stored in this form when a
/// configuration file is loaded). Blank items are dropped and items trimmed.
pub fn parse_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .collect()
}

impl OptionValue for Vec<String> {
    fn expected() -> String {
        "a list of values separated by ';' (or a YAML list)".into()
    }
    fn type_name() -> &'static str {
        "List<String>"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        Ok(parse_list(s))
    }
    fn to_value_string(&self) -> String {
        self.join(";")
    }
}

/// Parses Flink's map format `k1:v1,k2:v2` (the value may contain ':').
pub fn parse_map(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (k, v) = entry
            .split_once(':')
            .ok_or_else(|| format!("entry '{entry}' has no ':' between key and value"))?;
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("entry '{entry}' has an empty key"));
        }
        out.insert(k.to_string(), v.trim().to_string());
    }
    Ok(out)
}

impl OptionValue for BTreeMap<String, String> {
    fn expected() -> String {
        "a map written as 'k1:v1,k2:v2'".into()
    }
    fn type_name() -> &'static str {
        "Map"
    }
    fn parse_value(s: &str) -> Result<Self, String> {
        parse_map(s)
    }
    fn to_value_string(&self) -> String {
        self.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

// ---------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------

/// Declares a configuration enum whose values parse case-insensitively from
/// Flink's names (and optional aliases).
#[macro_export]
macro_rules! config_enum {
    (
        $(#[$m:meta])*
        pub enum $name:ident {
            $( $(#[$vm:meta])* $variant:ident = $flink:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum $name {
            $( $(#[$vm])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Flink's name of the value.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $flink ),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::OptionValue for $name {
            fn expected() -> String {
                let names: Vec<String> = Self::ALL.iter().map(|v| format!("'{}'", v.as_str())).collect();
                format!("one of {} (case-insensitive)", names.join(", "))
            }
            fn type_name() -> &'static str {
                "Enum"
            }
            fn parse_value(s: &str) -> Result<Self, String> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($flink) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                Err("not a known value".into())
            }
            fn to_value_string(&self) -> String {
                self.as_str().to_string()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_in_flink_format() {
        let cases = [
            ("1728m", 1728 * MIB),
            ("4 gb", 4 * GIB),
            ("32 kb", 32 * KIB),
            ("32KB", 32 * KIB),
            ("1024", 1024),
            ("0", 0),
            ("7 b", 7),
            ("7 bytes", 7),
            ("2 kibibytes", 2 * KIB),
            ("3 mebibytes", 3 * MIB),
            ("1G", GIB),
            ("1 tb", TIB),
            ("2t", 2 * TIB),
            ("  64 mb  ", 64 * MIB),
        ];
        for (text, bytes) in cases {
            assert_eq!(MemorySize::parse(text).unwrap().bytes(), bytes, "{text}");
        }
    }

    #[test]
    fn bad_memory_sizes_are_rejected_with_a_reason() {
        assert!(MemorySize::parse("").unwrap_err().contains("empty"));
        assert!(MemorySize::parse("abc").unwrap_err().contains("number"));
        assert!(
            MemorySize::parse("12 parsecs")
                .unwrap_err()
                .contains("unknown unit 'parsecs'")
        );
        assert!(MemorySize::parse("-1m").is_err());
        assert!(MemorySize::parse("1.5g").is_err());
        assert!(
            MemorySize::parse("99999999999 tb")
                .unwrap_err()
                .contains("64 bits")
        );
        assert!(
            MemorySize::parse("999999999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn memory_size_renders_and_round_trips() {
        assert_eq!(MemorySize::from_mebi(1728).to_string(), "1728 mb");
        assert_eq!(MemorySize::from_kibi(32).to_string(), "32 kb");
        assert_eq!(MemorySize::from_bytes(1000).to_string(), "1000 bytes");
        assert_eq!(MemorySize::ZERO.to_string(), "0 bytes");
        for b in [0, 1, 1000, 1024, 3 * MIB, 5 * GIB + 1, TIB] {
            let m = MemorySize::from_bytes(b);
            assert_eq!(MemorySize::parse(&m.to_string()).unwrap(), m);
        }
        assert_eq!(MemorySize::from_gibi(2).mebi_bytes(), 2048);
    }

    #[test]
    fn durations_in_flink_format() {
        let cases = [
            ("10 s", Duration::from_secs(10)),
            ("1 min", Duration::from_secs(60)),
            ("2m", Duration::from_secs(120)),
            ("500 ms", Duration::from_millis(500)),
            ("500", Duration::from_millis(500)),
            ("1h", Duration::from_secs(3600)),
            ("2 d", Duration::from_secs(2 * 86400)),
            ("3 days", Duration::from_secs(3 * 86400)),
            ("7 us", Duration::from_micros(7)),
            ("7 µs", Duration::from_micros(7)),
            ("9ns", Duration::from_nanos(9)),
            ("5 SEC", Duration::from_secs(5)),
            ("4 Minutes", Duration::from_secs(240)),
            ("0", Duration::ZERO),
        ];
        for (text, d) in cases {
            assert_eq!(parse_duration(text).unwrap(), d, "{text}");
        }
    }

    #[test]
    fn bad_durations_are_rejected_with_a_reason() {
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(parse_duration("soon").unwrap_err().contains("number"));
        assert!(
            parse_duration("10 fortnights")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("1.5 s").is_err());
        assert!(parse_duration("-5 s").is_err());
        assert!(parse_duration("99999999999999999999999 d").is_err());
    }

    #[test]
    fn durations_render_and_round_trip() {
        assert_eq!(format_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(format_duration(Duration::from_secs(60)), "1 min");
        assert_eq!(format_duration(Duration::from_millis(100)), "100 ms");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2 h");
        assert_eq!(format_duration(Duration::ZERO), "0 ms");
        for d in [
            Duration::from_nanos(3),
            Duration::from_micros(1500),
            Duration::from_millis(61_000),
            Duration::from_secs(86400 * 3),
        ] {
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }
    }

    #[test]
    fn booleans_numbers_and_strings() {
        assert!(bool::parse_value("TRUE").unwrap());
        assert!(!bool::parse_value(" false ").unwrap());
        assert!(bool::parse_value("yes").is_err());
        assert_eq!(u32::parse_value(" 4 ").unwrap(), 4);
        assert!(u32::parse_value("-4").is_err());
        assert!(u32::parse_value("abc").is_err());
        assert_eq!(i32::parse_value("-4").unwrap(), -4);
        assert_eq!(i64::parse_value("9000000000").unwrap(), 9_000_000_000);
        assert!(u16::parse_value("70000").is_err());
        assert_eq!(f64::parse_value("1.5").unwrap(), 1.5);
        assert!(f64::parse_value("NaN").is_err());
        assert!(f64::parse_value("x").is_err());
        assert_eq!(String::parse_value(" a b ").unwrap(), " a b ");
    }

    #[test]
    fn lists_and_maps() {
        assert_eq!(
            Vec::<String>::parse_value("a; b;;c ").unwrap(),
            vec!["a", "b", "c"]
        );
        assert!(Vec::<String>::parse_value("").unwrap().is_empty());
        let m = parse_map("k1:v1, k2 : v2,url:http://x:1").unwrap();
        assert_eq!(m["k1"], "v1");
        assert_eq!(m["k2"], "v2");
        assert_eq!(m["url"], "http://x:1");
        assert!(parse_map("k1v1").unwrap_err().contains("no ':'"));
        assert!(parse_map(":v").unwrap_err().contains("empty key"));
        let back = BTreeMap::<String, String>::parse_value(&m.to_value_string()).unwrap();
        assert_eq!(back, m);
    }

    config_enum! {
        /// Test enum.
        pub enum Color {
            /// Red.
            Red = "RED" | "crimson",
            /// Light blue.
            LightBlue = "LIGHT_BLUE",
        }
    }

    #[test]
    fn enums_parse_case_insensitively_with_aliases() {
        assert_eq!(Color::parse_value("red").unwrap(), Color::Red);
        assert_eq!(Color::parse_value("Crimson").unwrap(), Color::Red);
        assert_eq!(Color::parse_value("light_blue").unwrap(), Color::LightBlue);
        assert!(Color::parse_value("green").is_err());
        assert_eq!(
            Color::expected(),
            "one of 'RED', 'LIGHT_BLUE' (case-insensitive)"
        );
        assert_eq!(Color::LightBlue.to_string(), "LIGHT_BLUE");
    }
}
