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

use common::{fixture_cases, oracle_available, run_parallel, Case};
use std::path::Path;
use std::process::Command;

fn check(dir: &Path, case: &Case) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_nix2dream"))
        .current_dir(dir)
        .env("NIX_PATH", "")
        .args(["eval", "--strict"])
        .arg(format!("./{}.nix", case.name))
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match (&case.expected_stdout, &case.expected_error) {
        (Some(exp), _) => {
            if out.status.success() && stdout == *exp {
                Ok(())
            } else {
                Err(format!(
                    "expected stdout {:?}\n got stdout {:?}\n stderr {}",
                    exp, stdout, stderr
                ))
            }
        }
        (None, Some(err)) => {
            let first = stderr.lines().next().unwrap_or("");
            if out.status.code() != Some(1) {
                return Err(format!(
                    "expected exit 1 with {:?}, got {:?}: {}",
                    err, out.status, stderr
                ));
            }
            if !common::error_matches(err, first) {
                return Err(format!("expected error {:?}\n got {:?}", err, first));
            }
            // Every error names a location (file:line:col) and shows source.
            if !stderr.contains(":\n") || !stderr.contains('^') {
                return Err(format!("error without a source location:\n{}", stderr));
            }
            Ok(())
        }
        _ => Err("case has neither .exp nor .err".into()),
    }
}

#[test]
fn builtins_fixtures_match_recorded_nix_output() {
    let dir = common::fixtures_dir("builtins");
    let cases = fixture_cases(&dir);
    assert!(
        cases.len() >= 400,
        "expected at least 400 builtins fixtures, found {}",
        cases.len()
    );
    let failures = run_parallel(&cases, |c| check(&dir, c));
    if !failures.is_empty() {
        let mut msg = format!(
            "{} of {} builtins fixtures failed:\n",
            failures.len(),
            cases.len()
        );
        for (name, why) in &failures {
            msg.push_str(&format!("--- {}\n{}\n", name, why));
        }
        panic!("{}", msg);
    }
}

#[test]
fn builtins_fixtures_agree_with_nix_instantiate() {
    let dir = common::fixtures_dir("builtins");
    if !oracle_available("builtins fixtures oracle re-check") {
        return;
    }
    let cases = fixture_cases(&dir);
    let failures = run_parallel(&cases, |c| common::check_against_oracle(&dir, c));
    assert!(
        failures.is_empty(),
        "recorded outputs disagree with nix-instantiate: {:#?}",
        failures
    );
}
