//! Differential tests of `nix2dream eval --strict` against outputs recorded
//! from C++ Nix (`fixtures/eval/`), and a re-check of those recordings
//! against `nix-instantiate` when it is installed (required in CI).
//!
//! A case is `<case>.nix` with `<case>.exp` (stdout) or `<case>.err` (first
//! line of stderr). A case whose behaviour deliberately follows current Nix
//! rather than Nix 2.8 has a `<case>.oracle` file holding what Nix 2.8
//! prints instead; the oracle check compares against that.

mod common;

#[test]
fn eval_fixtures_match_recorded_nix_output() {
    common::check_recorded_area("eval", 300);
}

#[test]
fn eval_fixtures_agree_with_nix_instantiate() {
    common::check_area_against_oracle("eval");
}
