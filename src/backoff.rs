//! Backoff with full jitter, from a seedable generator, so every delay can be replayed exactly.
//!
//! Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the delay before retry `n`
//! is uniform in `[0, min(cap, base × 2^(n−1))]`. The generator is SplitMix64: small, fast, and the
//! same sequence for the same seed on every platform and build.

/// A deterministic pseudo-random generator (SplitMix64).
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `[0, bound]`.
    pub(crate) fn up_to(&mut self, bound: u64) -> u64 {
        if bound == u64::MAX {
            return self.next_u64();
        }
        self.next_u64() % (bound + 1)
    }
}

/// How long to wait before a retry, in whatever unit `base` and `cap` are given (seconds, milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) base: u64,
    pub(crate) cap: u64,
}

impl Backoff {
    /// The full-jitter delay before retry number `retry` (1 for the first retry).
    pub(crate) fn delay(self, retry: u32, rng: &mut Rng) -> u64 {
        let exponent = retry.saturating_sub(1).min(32);
        let ceiling = self.base.saturating_mul(1u64 << exponent).min(self.cap);
        rng.up_to(ceiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(43).next_u64(), xs[0]);
    }

    #[test]
    fn splitmix64_reference_values() {
        // First outputs for seed 0, as published with the algorithm (Vigna, prng.di.unimi.it).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn delays_stay_within_the_exponential_ceiling() {
        let b = Backoff { base: 10, cap: 300 };
        let mut rng = Rng::new(7);
        for retry in 1..=10u32 {
            let ceiling = (10u64 << (retry - 1)).min(300);
            for _ in 0..200 {
                assert!(b.delay(retry, &mut rng) <= ceiling);
            }
        }
    }
}
