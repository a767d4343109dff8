//! `java.util.Random` re-implemented: the 48-bit linear congruential
//! generator the Nexmark generator draws every field from. Seeding it with
//! the event id makes every event a pure function of its id, as in Beam's
//! Nexmark generator.

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const ADDEND: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;

/// A `java.util.Random` with the same sequence for the same seed.
#[derive(Clone, Debug)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    /// `new Random(seed)`.
    #[inline]
    pub fn new(seed: i64) -> Self {
        Self {
            seed: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    #[inline]
    fn next(&mut self, bits: u32) -> i32 {
        self.seed = self.seed.wrapping_mul(MULTIPLIER).wrapping_add(ADDEND) & MASK;
        (self.seed >> (48 - bits)) as u32 as i32
    }

    /// `nextInt()`: any i32.
    #[inline]
    pub fn next_int(&mut self) -> i32 {
        self.next(32)
    }

    /// `nextInt(bound)`: uniform in `[0, bound)`; `bound` must be positive
    /// (a non-positive bound yields 0 instead of Java's exception).
    #[inline]
    pub fn next_int_bounded(&mut self, bound: i32) -> i32 {
        if bound <= 0 {
            return 0;
        }
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((bound as i64 * r as i64) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            // Java's rejection test relies on i32 overflow.
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }

    /// `nextLong()`.
    #[inline]
    pub fn next_long(&mut self) -> i64 {
        let hi = self.next(32) as i64;
        let lo = self.next(32) as i64;
        (hi << 32).wrapping_add(lo)
    }

    /// `nextDouble()`: uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_double(&mut self) -> f64 {
        let hi = self.next(26) as i64;
        let lo = self.next(27) as i64;
        ((hi << 27) + lo) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java_util_random() {
        // Reference values from the JDK: new Random(42).nextInt() etc.
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int(), -1_170_105_035);
        assert_eq!(r.next_int(), 234_785_527);
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int_bounded(10), 0);
        assert_eq!(r.next_int_bounded(10), 3);
        assert_eq!(r.next_int_bounded(10), 8);
        let mut r = JavaRandom::new(0);
        assert_eq!(r.next_long(), -4_962_768_465_676_381_896);
        let mut r = JavaRandom::new(0);
        assert_eq!(r.next_double(), 0.730_967_787_376_657);
        // Power-of-two bounds take the multiply path.
        let mut r = JavaRandom::new(42);
        assert_eq!(r.next_int_bounded(16), 11);
    }

    #[test]
    fn bounded_values_stay_in_range() {
        let mut r = JavaRandom::new(7);
        for bound in [1, 2, 3, 13, 26, 100, 10_000, i32::MAX] {
            for _ in 0..1000 {
                let v = r.next_int_bounded(bound);
                assert!((0..bound).contains(&v), "{v} not in 0..{bound}");
            }
        }
        assert_eq!(r.next_int_bounded(0), 0);
    }
}
