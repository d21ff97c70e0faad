//! The native module system against its reference: every
//! `fixtures/modules` and `fixtures/lib` case evaluated twice in-process,
//! once with the native builtins installed and once running
//! `modules/lib`'s own Nix implementation, must print the same value or
//! fail with the same message. (The recorded results and C++ Nix are
//! checked by the CLI's tests; this one needs no oracle and pins the two
//! implementations to each other.)

use nix2dream_eval::{print, EvalOptions, Evaluator, RealFs};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `nix-instantiate --eval --strict` of one file: the printed value, or
/// the error message.
fn evaluate(file: &Path, native: bool) -> Result<String, String> {
    let modules = repo().join("modules").display().to_string();
    let options = EvalOptions { search_path: vec![("nix2dream".into(), modules)], ..EvalOptions::default() };
    let mut ev = Evaluator::new(Box::new(RealFs), options);
    if native {
        nix2dream_modules::install(&mut ev);
    }
    let result = ev.eval_file(file).and_then(|v| ev.force_deep(&v)).and_then(|v| print::print_value(&mut ev, &v, true));
    result.map_err(|e| e.message().to_string())
}

fn check(area: &str, minimum: usize) {
    let dir = repo().join("fixtures").join(area);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nix"))
        .collect();
    cases.sort();
    assert!(cases.len() >= minimum, "expected at least {} {} cases, found {}", minimum, area, cases.len());
    let mut differences = Vec::new();
    for case in &cases {
        let (native, reference) = (evaluate(case, true), evaluate(case, false));
        if native != reference {
            differences.push(format!("{}:\n  native:    {:?}\n  reference: {:?}", case.display(), native, reference));
        }
    }
    assert!(differences.is_empty(), "{} {} cases differ:\n{}", differences.len(), area, differences.join("\n"));
}

#[test]
fn module_fixtures_agree_with_the_nix_implementation() {
    check("modules", 150);
}

#[test]
fn lib_fixtures_agree_with_the_nix_implementation() {
    check("lib", 100);
}

/// The comparison above means something only if `install` really switches
/// `modules/lib` to the native functions.
#[test]
fn install_switches_the_lib_to_the_native_functions() {
    let probe = "(import <nix2dream/lib>).modules._nix2dreamNative != null";
    for native in [true, false] {
        let modules = repo().join("modules").display().to_string();
        let options = EvalOptions { search_path: vec![("nix2dream".into(), modules)], ..EvalOptions::default() };
        let mut ev = Evaluator::new(Box::new(RealFs), options);
        if native {
            nix2dream_modules::install(&mut ev);
        }
        let v = ev.eval_string(probe, "probe").unwrap();
        assert_eq!(print::print_value(&mut ev, &v, true).unwrap(), native.to_string());
    }
}
