//! Shared settings for the property tests (`*/props.rs`).

use proptest::prelude::ProptestConfig;
use proptest::test_runner::RngSeed;

/// CI must not flake: every run explores the same cases (from `seed`) unless `PROPTEST_RNG_SEED`
/// asks for others, and `PROPTEST_CASES` for more. No regression files are written into the tree.
pub(crate) fn config(cases: u32, seed: u64) -> ProptestConfig {
    let base = ProptestConfig::default();
    let rng_seed = match base.rng_seed {
        RngSeed::Random => RngSeed::Fixed(seed),
        fixed @ RngSeed::Fixed(_) => fixed,
    };
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        base.cases
    } else {
        cases
    };
    ProptestConfig {
        cases,
        rng_seed,
        failure_persistence: None,
        ..base
    }
}
