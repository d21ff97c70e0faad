//! `nix2dream eval` takes nix-instantiate's flags and prints what it
//! prints: non-strict `<CODE>`, `--json`, `-A` paths, auto-arguments,
//! `-I`/`NIX_PATH` and the ignored flags. Cases live in
//! `fixtures/cli/cases.txt`; each `NAME.out` was recorded from
//! nix-instantiate (stdout, or the first stderr line on failure) and is
//! re-checked against it when it is installed.

mod common;

use std::path::Path;
use std::process::Command;

struct CliCase {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    expected: String,
}

fn cases(dir: &Path) -> Vec<CliCase> {
    std::fs::read_to_string(dir.join("cases.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut parts = line.split('|').map(str::trim);
            let name = parts.next().unwrap().to_string();
            let args = parts.next().unwrap().split_whitespace().map(str::to_string).collect();
            let env = parts
                .next()
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                .collect();
            let expected = std::fs::read_to_string(dir.join(format!("{}.out", name))).unwrap();
            CliCase { name, args, env, expected }
        })
        .collect()
}

/// stdout on success, else the first line of stderr, as recorded.
fn output_of(mut cmd: Command, case: &CliCase, dir: &Path) -> String {
    cmd.current_dir(dir).env("NIX_PATH", "").env("HOME", std::env::temp_dir());
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        format!("{}\n", String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or(""))
    }
}

#[test]
fn eval_flags_behave_like_nix_instantiate() {
    let dir = common::fixtures_dir("cli");
    let mut failures = Vec::new();
    for case in cases(&dir) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nix2dream"));
        cmd.arg("eval").args(case.args.iter().filter(|a| *a != "--eval"));
        let got = output_of(cmd, &case, &dir);
        if got != case.expected {
            failures.push(format!("{}: expected {:?}, got {:?}", case.name, case.expected, got));
        }
    }
    assert!(failures.is_empty(), "{:#?}", failures);
}

#[test]
fn recorded_cli_outputs_agree_with_nix_instantiate() {
    if !common::oracle_available("cli fixtures oracle re-check") {
        return;
    }
    let dir = common::fixtures_dir("cli");
    for case in cases(&dir) {
        let mut cmd = Command::new("nix-instantiate");
        cmd.args(&case.args);
        assert_eq!(output_of(cmd, &case, &dir), case.expected, "case {}", case.name);
    }
}

/// `-` reads the expression from standard input, as nix-instantiate does:
/// relative paths are relative to the working directory, and positions
/// name the text itself as their file (recorded from nix-instantiate).
#[test]
fn a_dash_reads_standard_input() {
    use std::io::Write as _;
    let dir = common::fixtures_dir("cli");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nix2dream"))
        .args(["eval", "--strict", "-"])
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"{ a = baseNameOf ./x; b = __curPos; }\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{ a = \"x\"; b = { column = 27; file = \"{ a = baseNameOf ./x; b = __curPos; }\\n\"; line = 1; }; }\n"
    );
}

/// A trace is written when it happens: between the results of two `-A`
/// paths when the second traces, as nix-instantiate writes it (both
/// streams into one file, as a terminal or `2>&1` sees them).
#[test]
fn traces_are_written_as_they_happen() {
    let expr = "{ a = 1; b = builtins.trace \"between\" 2; }";
    let want = "1\ntrace: between\n2\n";
    let run = |program: &str, args: &[&str]| {
        let path = std::env::temp_dir().join(format!("nix2dream-trace-order-{}-{}", std::process::id(), args.len()));
        let file = std::fs::File::create(&path).unwrap();
        let status = Command::new(program)
            .args(args)
            .args(["-E", expr, "-A", "a", "-A", "b"])
            .env("NIX_PATH", "")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(status.success(), "{program}: {text}");
        text
    };
    assert_eq!(run(env!("CARGO_BIN_EXE_nix2dream"), &["eval"]), want);
    if common::oracle_available("trace order") {
        assert_eq!(run("nix-instantiate", &["--eval", "--strict"]), want);
    }
}
