//! Differential tests of the builtins (`fixtures/builtins/`): every case is
//! run with `nix2dream eval --strict` and compared with the output recorded
//! from C++ Nix 2.8 (`nix-instantiate --eval --strict`), and the recordings
//! are re-checked against `nix-instantiate` when it is installed (required
//! in CI).
//!
//! A case is `<case>.nix` with `<case>.exp` (stdout) or `<case>.err` (first
//! line of stderr). Cases for builtins newer than Nix 2.8 (`new-*`:
//! `convertHash`, `addDrvOutputDependencies`, `break`, ...) follow current
//! Nix; their `<case>.oracle` holds what Nix 2.8 prints instead, and the
//! oracle check compares against that. Helper files live in `_data/`.

mod common;

#[test]
fn builtins_fixtures_match_recorded_nix_output() {
    common::check_recorded_area("builtins", 400);
}

#[test]
fn builtins_fixtures_agree_with_nix_instantiate() {
    common::check_area_against_oracle("builtins");
}
