//! Shared helpers for the data-driven fixture tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub struct Case {
    pub name: String,
    /// Bytes, not text: a printed Nix string need not be UTF-8.
    pub expected_stdout: Option<Vec<u8>>,
    pub expected_error: Option<String>,
    /// What Nix 2.8 prints where we deliberately follow current Nix.
    pub oracle_override: Option<Vec<u8>>,
}

/// Output bytes as text, for failure messages.
pub fn shown(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

pub fn fixtures_dir(area: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(area).canonicalize().unwrap()
}

/// Every top-level `<case>.nix` with its recorded expectation.
pub fn fixture_cases(dir: &Path) -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".nix").map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read = |ext: &str| std::fs::read(dir.join(format!("{}.{}", name, ext))).ok();
            Case {
                expected_stdout: read("exp"),
                expected_error: read("err").map(|s| shown(&s).trim_end_matches('\n').to_string()),
                oracle_override: read("oracle"),
                name,
            }
        })
        .collect()
}

/// The first line of stderr is what C++ Nix printed, word for word:
/// syntax errors included (the syntax crate words rnix's errors as
/// Nix's Bison parser does).
pub fn error_matches(expected: &str, got: &str) -> bool {
    expected == got
}

pub fn oracle_available(what: &str) -> bool {
    let found = Command::new("nix-instantiate").arg("--version").output().map(|o| o.status.success()).unwrap_or(false);
    if !found {
        if std::env::var("NIX2DREAM_REQUIRE_ORACLES").as_deref() == Ok("1") {
            panic!("{}: nix-instantiate is required (NIX2DREAM_REQUIRE_ORACLES=1) but not installed", what);
        }
        eprintln!("skipped {}: nix-instantiate not installed (apt-get install -y nix-bin)", what);
    }
    found
}

/// Re-run the oracle on a case and compare with the recording.
pub fn check_against_oracle(dir: &Path, case: &Case) -> Result<(), String> {
    let home = std::env::temp_dir().join("nix2dream-oracle-home");
    let _ = std::fs::create_dir_all(&home);
    let out = Command::new("nix-instantiate")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("NIX_PATH", "")
        .args(["--eval", "--strict"])
        .arg(format!("./{}.nix", case.name))
        .output()
        .map_err(|e| e.to_string())?;
    // The garbage collector's warnings (before "error: out of memory")
    // are not the error.
    let first_err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|line| !line.starts_with("GC Warning:"))
        .unwrap_or("")
        .to_string();
    let got = if out.status.success() { out.stdout } else { (first_err + "\n").into_bytes() };
    let want = match (&case.oracle_override, &case.expected_stdout, &case.expected_error) {
        (Some(o), _, _) => o.clone(),
        (None, Some(e), _) => e.clone(),
        (None, None, Some(e)) => format!("{}\n", e).into_bytes(),
        _ => return Err("no expectation".into()),
    };
    if got == want {
        Ok(())
    } else {
        Err(format!("oracle printed {:?}, recorded {:?}", shown(&got), shown(&want)))
    }
}

/// Run `f` over all cases on a few threads; collect failures.
pub fn run_parallel<F>(cases: &[Case], f: F) -> Vec<(String, String)>
where
    F: Fn(&Case) -> Result<(), String> + Sync,
{
    let failures = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 8);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                if let Err(why) = f(case) {
                    failures.lock().unwrap().push((case.name.clone(), why));
                }
            });
        }
    });
    let mut v = failures.into_inner().unwrap();
    v.sort();
    v
}

/// Run `nix2dream eval --strict` on one case and compare with its recording.
/// Errors must also name a location (file:line:col) and show the source.
pub fn check_eval_case(dir: &Path, case: &Case) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_nix2dream"))
        .current_dir(dir)
        .env("NIX_PATH", "")
        .args(["eval", "--strict"])
        .arg(format!("./{}.nix", case.name))
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match (&case.expected_stdout, &case.expected_error) {
        (Some(exp), _) => {
            if out.status.success() && out.stdout == *exp {
                Ok(())
            } else {
                Err(format!(
                    "expected stdout {:?}\n got stdout {:?}\n stderr {}",
                    shown(exp),
                    shown(&out.stdout),
                    stderr
                ))
            }
        }
        (None, Some(err)) => {
            let first = stderr.lines().next().unwrap_or("");
            if out.status.code() != Some(1) {
                return Err(format!("expected exit 1 with {:?}, got {:?}: {}", err, out.status, stderr));
            }
            if !error_matches(err, first) {
                return Err(format!("expected error {:?}\n got {:?}", err, first));
            }
            if !stderr.contains(":\n") || !stderr.contains('^') {
                return Err(format!("error without a source location:\n{}", stderr));
            }
            Ok(())
        }
        _ => Err("case has neither .exp nor .err".into()),
    }
}

/// Every case of `fixtures/<area>` prints its recorded result.
pub fn check_recorded_area(area: &str, minimum: usize) {
    let dir = fixtures_dir(area);
    let cases = fixture_cases(&dir);
    assert!(cases.len() >= minimum, "expected at least {} {} fixtures, found {}", minimum, area, cases.len());
    let failures = run_parallel(&cases, |c| check_eval_case(&dir, c));
    if !failures.is_empty() {
        let mut msg = format!("{} of {} {} fixtures failed:\n", failures.len(), cases.len(), area);
        for (name, why) in &failures {
            msg.push_str(&format!("--- {}\n{}\n", name, why));
        }
        panic!("{}", msg);
    }
}

/// The recordings of `fixtures/<area>` still match nix-instantiate.
pub fn check_area_against_oracle(area: &str) {
    let dir = fixtures_dir(area);
    if !oracle_available(&format!("{} fixtures oracle re-check", area)) {
        return;
    }
    let cases = fixture_cases(&dir);
    let failures = run_parallel(&cases, |c| check_against_oracle(&dir, c));
    assert!(failures.is_empty(), "recorded {} outputs disagree with nix-instantiate: {:#?}", area, failures);
}
