//! Look-ups over the option registry ([`crate::options::SECTIONS`]):
//! find an option by key or deprecated key, and suggest a known key for a
//! misspelt one.

use crate::option::AnyOption;
use crate::options::SECTIONS;

/// Every registered option.
pub fn all() -> impl Iterator<Item = &'static dyn AnyOption> {
    SECTIONS.iter().flat_map(|s| s.options.iter().copied())
}

/// The option registered under `key`.
pub fn find(key: &str) -> Option<&'static dyn AnyOption> {
    all().find(|o| o.key() == key)
}

/// The option that lists `key` as a deprecated key.
pub fn find_by_deprecated_key(key: &str) -> Option<&'static dyn AnyOption> {
    all().find(|o| o.deprecated_keys().contains(&key))
}

/// A known key close to `key` by edit distance (case-insensitive), if any:
/// at most 2 edits, or 3 for keys longer than 24 characters.
pub fn suggest(key: &str) -> Option<&'static str> {
    let limit = if key.len() > 24 { 3 } else { 2 };
    let lower = key.to_ascii_lowercase();
    all()
        .map(|o| o.key())
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance between two strings (by chars).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("abc", "abd"), 1);
        assert_eq!(edit_distance("abc", "ab"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn keys_are_unique_and_defaults_valid() {
        let mut seen = BTreeSet::new();
        for o in all() {
            assert!(seen.insert(o.key()), "duplicate key {}", o.key());
            for d in o.deprecated_keys() {
                assert!(seen.insert(d), "duplicate deprecated key {d}");
            }
            assert!(
                !o.description().is_empty(),
                "{} has no description",
                o.key()
            );
            if let Some(d) = o.default_str() {
                o.validate_raw(d)
                    .unwrap_or_else(|e| panic!("default '{d}' of {} is invalid: {e}", o.key()));
            }
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("parallelism.defualt"), Some("parallelism.default"));
        assert_eq!(suggest("REST.PORT"), Some("rest.port"));
        assert_eq!(suggest("something.else.entirely"), None);
    }
}
