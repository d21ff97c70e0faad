//! The embedded library (`modules/lib`), checked two ways: nix2dream must
//! print the recorded result of every `fixtures/lib` case, and C++ Nix
//! (`nix-instantiate`) running the *same* library must agree, which makes
//! every case a differential test of the evaluator as well.

mod common;

use common::{fixture_cases, oracle_available, run_parallel, Case};
use std::path::Path;
use std::process::Command;

fn modules_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../modules").canonicalize().unwrap().display().to_string()
}

fn compare(case: &Case, code: Option<i32>, stdout: &str, stderr: &str) -> Result<(), String> {
    match (&case.expected_stdout, &case.expected_error) {
        (Some(exp), _) if code == Some(0) && stdout == exp => Ok(()),
        (None, Some(err)) if code == Some(1) && common::error_matches(err, stderr.lines().next().unwrap_or("")) => Ok(()),
        _ => Err(format!(
            "expected {:?} / {:?}\n got exit {:?}, stdout {:?}\n stderr {}",
            case.expected_stdout, case.expected_error, code, stdout, stderr
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
    compare(case, out.status.code(), &String::from_utf8_lossy(&out.stdout), &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn lib_fixtures_match_recorded_results() {
    let dir = common::fixtures_dir("lib");
    let cases = fixture_cases(&dir);
    assert!(cases.len() >= 100, "expected at least 100 lib fixtures, found {}", cases.len());
    let failures = run_parallel(&cases, |c| run(env!("CARGO_BIN_EXE_nix2dream"), &["eval", "--strict"], &dir, c));
    assert!(failures.is_empty(), "{} lib fixtures failed: {:#?}", failures.len(), failures);
}

#[test]
fn cxx_nix_running_our_lib_agrees() {
    let dir = common::fixtures_dir("lib");
    if !oracle_available("lib fixtures under nix-instantiate") {
        return;
    }
    let include = format!("nix2dream={}", modules_dir());
    let cases = fixture_cases(&dir);
    let failures = run_parallel(&cases, |c| {
        run("nix-instantiate", &["--eval", "--strict", "-I", &include], &dir, c)
    });
    assert!(failures.is_empty(), "{} lib fixtures disagree under nix-instantiate: {:#?}", failures.len(), failures);
}
