//! Deep recursion never crashes the process: a 1,000,000-deep non-tail
//! recursion evaluates (C++ Nix 2.8 gives up at about 100,000), and an
//! endless one fails with a clean error.

use std::process::Command;

fn eval(expr: &str) -> (i32, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_nix2dream")).args(["eval", "--strict", "-E", expr]).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_million_deep_non_tail_recursion_evaluates() {
    let (code, out, err) = eval("let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 1000000");
    assert_eq!((code, out.as_str()), (0, "1000000\n"), "stderr: {}", err);
}

#[test]
fn endless_recursion_is_a_clean_error() {
    let (code, out, err) = eval("let f = n: 1 + f (n + 1); in f 0");
    assert_eq!(code, 1, "stdout: {} stderr: {}", out, err);
    assert!(err.starts_with("error: stack overflow (possible infinite recursion)"), "{}", err);
    let (code, _, err) = eval("let f = x: f x; in f 1");
    assert_eq!(code, 1);
    assert!(err.starts_with("error: stack overflow (possible infinite recursion)"), "{}", err);
}

#[test]
fn deeply_nested_data_prints() {
    let (code, out, err) =
        eval("builtins.stringLength (builtins.toJSON (builtins.foldl' (acc: _: [ acc ]) [ ] (builtins.genList (x: x) 200000)))");
    assert_eq!((code, out.as_str()), (0, "400002\n"), "stderr: {}", err);
}

#[test]
fn endless_structures_fail_cleanly_in_every_walk() {
    // Found by fuzzing: walks over values (JSON, XML) recursed until the
    // machine ran out of memory. C++ Nix overflows its stack on the first
    // and never finishes the second.
    for expr in [
        "let x = { a = x; }; in builtins.toJSON x",
        "let d = { type = \"tion\"; drvPath = \"/nix/store/d.drv\"; self = d; }; in builtins.toXML d",
    ] {
        let (code, out, err) = eval(expr);
        assert_eq!(code, 1, "{}: stdout {} stderr {}", expr, out, err);
        assert!(err.starts_with("error: stack overflow (possible infinite recursion)"), "{}: {}", expr, err);
    }
    // Coercions and calls that lead back to themselves (found by fuzzing:
    // each overflowed the stack and aborted the process).
    for expr in [
        "\"${{ __toString = self: self; }}\"",
        "let s = { outPath = s; }; in toString s",
        "let s = { __functor = self: self; }; in s 1 2",
        "let s = { __functor = self: s; }; in s 1",
    ] {
        let (code, out, err) = eval(expr);
        assert_eq!(code, 1, "{}: stdout {} stderr {}", expr, out, err);
        assert!(err.starts_with("error: stack overflow (possible infinite recursion)"), "{}: {}", expr, err);
    }
    // Cycles that C++ Nix handles stay fine.
    let (code, out, _) = eval("let x = [ x ]; in x == x");
    assert_eq!((code, out.as_str()), (0, "true\n"));
}

/// Modules that import each other fail as under nixpkgs ("stack
/// overflow"), but at once: the error points at the import that closes the
/// cycle and names the files in it (nixpkgs loads them again and again
/// until its stack runs out; that took seconds and gigabytes here).
#[test]
fn module_import_cycles_are_named_at_once() {
    let dir = std::env::temp_dir().join(format!("nix2dream-import-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("a.nix"), "{ ... }: { imports = [ ./b.nix ]; }\n").expect("write");
    std::fs::write(dir.join("b.nix"), "{\n  imports = [ ./a.nix ];\n}\n").expect("write");
    std::fs::write(dir.join("self.nix"), "{ imports = [ ./self.nix ]; }\n").expect("write");
    let run = |module: &str| {
        let expr = format!("(import <nix2dream/lib>).evalModules {{ modules = [ {}/{module} ]; }}", dir.display());
        let out = Command::new(env!("CARGO_BIN_EXE_nix2dream"))
            .args(["eval", "--strict", "-E", &format!("({expr}).config")])
            .output()
            .expect("runs");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let d = dir.display();
    let (code, err) = run("a.nix");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.starts_with("error: stack overflow (possible infinite recursion)\n"), "{err}");
    assert!(err.contains(&format!("at {d}/b.nix:2:3:")), "{err}");
    assert!(
        err.contains(&format!("in a cycle: {d}/a.nix -> {d}/b.nix -> {d}/a.nix; remove one of these imports")),
        "{err}"
    );
    let (code, err) = run("self.nix");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&format!("note: {d}/self.nix imports itself; remove that import")), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Running out of memory under an address-space limit (`ulimit -v`) is an
/// error like any other, not Rust's abort ("memory allocation of N bytes
/// failed", SIGABRT). Found by fuzz/robust/mutate.py.
#[test]
fn running_out_of_memory_is_a_clean_error() {
    for expr in [
        "builtins.length (builtins.genList (x: x) 30000000)",
        "builtins.stringLength (builtins.concatStringsSep \"\" (builtins.genList (x: \"xxxxxxxxxxxxxxxxxxxx\") 100000000))",
    ] {
        let script = format!("ulimit -v 4194304; exec \"$0\" eval --strict -E '{}'", expr);
        let out = Command::new("sh")
            .args(["-c", &script, env!("CARGO_BIN_EXE_nix2dream")])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {}", expr, err);
        assert!(err.starts_with("error: out of memory"), "{}: {}", expr, err);
        assert!(out.stdout.is_empty(), "{}", expr);
    }
}
