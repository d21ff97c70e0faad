//! Differential tests of derivations and the virtual store against outputs
//! recorded from C++ Nix 2.8 (`fixtures/derivations/`): `.drv` and output
//! paths (input-addressed, fixed-output, multiple outputs, chains),
//! `toFile`, path literals copied to the store, `builtins.path`,
//! `filterSource`, `placeholder`. Input files live in
//! `fixtures/derivations/_data/`; their store paths depend only on their
//! names, contents and executable bits, so they are stable across
//! checkouts. Record with
//! `FIXTURE_AREA=derivations fixtures/eval-tools/record.sh`.

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
            Ok(())
        }
        _ => Err("case has neither .exp nor .err".into()),
    }
}

#[test]
fn derivation_fixtures_match_recorded_nix_output() {
    let dir = common::fixtures_dir("derivations");
    let cases = fixture_cases(&dir);
    assert!(
        cases.len() >= 50,
        "expected at least 50 derivation fixtures, found {}",
        cases.len()
    );
    let failures = run_parallel(&cases, |c| check(&dir, c));
    if !failures.is_empty() {
        let mut msg = format!(
            "{} of {} derivation fixtures failed:\n",
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
fn derivation_fixture_data_is_as_recorded() {
    // The recorded store paths depend on the executable bits and the
    // symlink in `_data/`; a checkout that lost them cannot pass.
    let data = common::fixtures_dir("derivations").join("_data");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| {
        std::fs::metadata(data.join(p))
            .unwrap()
            .permissions()
            .mode()
    };
    assert!(
        mode("script.sh") & 0o100 != 0,
        "_data/script.sh must be executable"
    );
    assert!(
        mode("builder.sh") & 0o100 != 0,
        "_data/builder.sh must be executable"
    );
    assert!(
        mode("tree/b/run.sh") & 0o100 != 0,
        "_data/tree/b/run.sh must be executable"
    );
    assert!(
        mode("script-noexec.sh") & 0o100 == 0,
        "_data/script-noexec.sh must not be executable"
    );
    assert!(
        mode("hello.txt") & 0o100 == 0,
        "_data/hello.txt must not be executable"
    );
    let link = std::fs::symlink_metadata(data.join("tree/link")).unwrap();
    assert!(
        link.file_type().is_symlink(),
        "_data/tree/link must be a symlink"
    );
}

#[test]
fn derivation_fixtures_agree_with_nix_instantiate() {
    let dir = common::fixtures_dir("derivations");
    if !oracle_available("derivation fixtures oracle re-check") {
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
