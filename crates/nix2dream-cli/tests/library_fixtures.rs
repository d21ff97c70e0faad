//! The embedded library (`modules/lib`) and the module system written in
//! it, checked two ways: nix2dream must print the recorded result of every
//! `fixtures/lib` and `fixtures/modules` case, and C++ Nix
//! (`nix-instantiate`) running the *same* library must agree, which makes
//! every case a differential test of the evaluator as well.

mod common;

use common::{fixture_cases, oracle_available, run_parallel, Case};
use std::path::Path;
use std::process::Command;

fn modules_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../modules").canonicalize().unwrap().display().to_string()
}

fn compare(case: &Case, code: Option<i32>, stdout: &[u8], stderr: &str) -> Result<(), String> {
    match (&case.expected_stdout, &case.expected_error) {
        (Some(exp), _) if code == Some(0) && stdout == exp.as_slice() => Ok(()),
        (None, Some(err)) if code == Some(1) && common::error_matches(err, stderr.lines().next().unwrap_or("")) => {
            Ok(())
        }
        _ => Err(format!(
            "expected {:?} / {:?}\n got exit {:?}, stdout {:?}\n stderr {}",
            case.expected_stdout.as_deref().map(common::shown),
            case.expected_error,
            code,
            common::shown(stdout),
            stderr
        )),
    }
}

fn run(program: &str, args: &[&str], dir: &Path, case: &Case) -> Result<(), String> {
    let out = Command::new(program)
        .current_dir(dir)
        .env("NIX_PATH", "")
        .args(args)
        .arg(format!("./{}.nix", case.name))
        .output()
        .map_err(|e| e.to_string())?;
    compare(case, out.status.code(), &out.stdout, &String::from_utf8_lossy(&out.stderr))
}

fn check_area(area: &str, minimum: usize) {
    let dir = common::fixtures_dir(area);
    let cases = fixture_cases(&dir);
    assert!(cases.len() >= minimum, "expected at least {} {} fixtures, found {}", minimum, area, cases.len());
    let failures = run_parallel(&cases, |c| run(env!("CARGO_BIN_EXE_nix2dream"), &["eval", "--strict"], &dir, c));
    assert!(failures.is_empty(), "{} {} fixtures failed: {:#?}", failures.len(), area, failures);
}

fn check_area_under_cxx_nix(area: &str) {
    let dir = common::fixtures_dir(area);
    if !oracle_available(&format!("{} fixtures under nix-instantiate", area)) {
        return;
    }
    let include = format!("nix2dream={}", modules_dir());
    let cases = fixture_cases(&dir);
    let failures = run_parallel(&cases, |c| run("nix-instantiate", &["--eval", "--strict", "-I", &include], &dir, c));
    assert!(
        failures.is_empty(),
        "{} {} fixtures disagree under nix-instantiate: {:#?}",
        failures.len(),
        area,
        failures
    );
}

#[test]
fn lib_fixtures_match_recorded_results() {
    check_area("lib", 100);
}

#[test]
fn cxx_nix_running_our_lib_agrees() {
    check_area_under_cxx_nix("lib");
}

#[test]
fn module_fixtures_match_recorded_results() {
    check_area("modules", 150);
}

#[test]
fn cxx_nix_running_our_module_system_agrees() {
    check_area_under_cxx_nix("modules");
}
