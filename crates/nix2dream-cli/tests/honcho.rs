//! honcho (the reference Procfile runner, `pip install honcho==2.0.0`) runs
//! the rendered Procfile of every example, and behaves as `nix2dream up`
//! does: dependencies first, jobs complete without stopping the rest.

mod support;

use std::time::Duration;
use support::{assert_nothing_left, run, scratch, Running};

const LONG: Duration = Duration::from_secs(30);

/// Render `example` for the Procfile target, run it with honcho until every
/// line in `expected` has appeared, then stop honcho with SIGINT.
fn honcho_runs(example: &str, expected: &[&str]) {
    if !support::oracle("honcho", &format!("running the {} example's Procfile with honcho", example)) {
        return;
    }
    let tag = format!("honcho-{}", example);
    let dir = scratch(&tag);
    let out_dir = dir.join("out");
    let example_dir = support::repo().join("examples").join(example);
    let rendered = run(
        &["render", "--target", "procfile", example_dir.to_str().unwrap(), "--out", out_dir.to_str().unwrap()],
        &dir.join("state"),
    );
    assert_eq!(rendered.code, Some(0), "{}", rendered.stderr);
    let procfile = out_dir.join("Procfile");
    let mut honcho = Running::start("honcho", &["-f", procfile.to_str().unwrap(), "start"], &dir.join("state"), &tag);
    for line in expected {
        honcho.wait_for(line, LONG);
    }
    let text = honcho.text();
    assert!(!text.contains("stopped (rc=1"), "a process failed:\n{}", text);
    honcho.signal(libc::SIGINT);
    honcho.wait_exit(LONG);
    assert_nothing_left(&tag, Duration::from_secs(10));
}

#[test]
fn honcho_runs_the_web_example() {
    honcho_runs(
        "web",
        &[
            "| waiting for migrate (to complete successfully)",
            "| migrate: wrote 2 pages to",
            "| migrate completed successfully",
            "| worker: poll 1: the site says ok",
            "| worker: poll 2: the site says ok",
        ],
    );
}

#[test]
fn honcho_runs_the_hello_example() {
    honcho_runs(
        "hello",
        &[
            "hello.1         | Hello there, General Kenobi!",
            "other-service.1 | Hello from the other service!",
            "hello.1         | hello completed successfully",
            "other-service.1 | other-service completed successfully",
        ],
    );
}

#[test]
fn honcho_runs_the_modular_example() {
    honcho_runs(
        "modular",
        &[
            "clock-slow-1.1 | slow (copy 1): tick 1",
            "clock-slow-2.1 | slow (copy 2): tick 1",
            "reporter.1     | reporter: the clocks are ticking",
            "clock-fast.1   | clock-fast (copy 1): tick 2",
        ],
    );
}

#[test]
fn honcho_runs_the_notes_example() {
    honcho_runs(
        "notes",
        &[
            "api.1    | api: listening on 127.0.0.1:",
            "client.1 | client: added 'buy milk'",
            "client.1 | client: Notes from nix2dream: buy milk, write a deployment",
            "client.1 | client completed successfully",
        ],
    );
}
