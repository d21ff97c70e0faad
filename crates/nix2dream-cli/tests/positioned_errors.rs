//! Errors whose first line holds the absolute path of a file, which the
//! recorded corpora cannot hold (their cases run wherever the repository
//! is cloned): each case is written to a temporary directory and its first
//! stderr line compared with the expected text and, when it is installed,
//! with what `nix-instantiate` prints for the same file.

mod common;

use std::path::Path;
use std::process::Command;

/// (file name, contents, expected first line with `{dir}` for the directory)
const CASES: &[(&str, &str, &str)] = &[
    (
        "named.nix",
        "let f = { a }: a; in f { }\n",
        "error: 'f' at {dir}/named.nix:1:9 called without required argument 'a'",
    ),
    (
        "anonymous.nix",
        "({ a }: a) { a = 1; b = 2; }\n",
        "error: anonymous function at {dir}/anonymous.nix:1:2 called with unexpected argument 'b'",
    ),
    (
        "attribute.nix",
        "{ g = { a, b ? 1 }: a; }.g { c = 1; }\n",
        "error: 'g' at {dir}/attribute.nix:1:7 called without required argument 'a'",
    ),
    (
        // The name passes down to a function in the body, even through
        // parentheses (C++ Nix's `setName`).
        "curried.nix",
        "let f = x: (y: { a }: a); in f 1 2 { }\n",
        "error: 'f' at {dir}/curried.nix:1:16 called without required argument 'a'",
    ),
    (
        "functor.nix",
        "let s = { __functor = self: { a }: a; }; in s { }\n",
        "error: '__functor' at {dir}/functor.nix:1:29 called without required argument 'a'",
    ),
    (
        "imported.nix",
        "(import ./function.nix) { }\n",
        "error: anonymous function at {dir}/function.nix:1:1 called without required argument 'x'",
    ),
    (
        // An argument name is a symbol to C++ Nix: quoted unless it is an
        // identifier, while the function's name is shown as it is.
        "unexpected-quoted.nix",
        "({ a }: a) { a = 1; \"b c\" = 2; }\n",
        "error: anonymous function at {dir}/unexpected-quoted.nix:1:2 called with unexpected argument '\"b c\"'",
    ),
    (
        "unexpected-keyword.nix",
        "let f = { a }: a; in f { a = 1; \"if\" = 2; }\n",
        "error: 'f' at {dir}/unexpected-keyword.nix:1:9 called with unexpected argument '\"if\"'",
    ),
    (
        "unexpected-functor.nix",
        "let s = { __functor = self: { a }: a; }; in s { a = 1; \"x$y\" = 2; }\n",
        "error: '__functor' at {dir}/unexpected-functor.nix:1:29 called with unexpected argument '\"x\\$y\"'",
    ),
    (
        "function-name-not-quoted.nix",
        "{ \"a b\" = { x }: x; }.\"a b\" { }\n",
        "error: 'a b' at {dir}/function-name-not-quoted.nix:1:11 called without required argument 'x'",
    ),
    (
        "dynamic-duplicate.nix",
        "let n = \"a b\"; in { ${n} = 1; ${n} = 2; }\n",
        "error: dynamic attribute '\"a b\"' already defined at {dir}/dynamic-duplicate.nix:1:21",
    ),
];

fn first_error_line(program: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(program).args(args).arg(file).env("NIX_PATH", "").output().expect("runs");
    assert!(!out.status.success(), "{} {}: expected a failure", program, file.display());
    String::from_utf8_lossy(&out.stderr).lines().find(|l| !l.starts_with("GC Warning:")).unwrap_or("").to_string()
}

/// File builtins take a string path as written (the system resolves its
/// `..`) and word a failure as C++ Nix does.
const FILE_CASES: &[(&str, &str, &str)] = &[
    (
        "readfile-file-slash.nix",
        "builtins.readFile (toString ./data.txt + \"/\")\n",
        "error: opening file '{dir}/data.txt/': Not a directory",
    ),
    (
        "readfile-nul.nix",
        "builtins.readFile ./nul.txt\n",
        "error: the contents of the file '{dir}/nul.txt' cannot be represented as a Nix string",
    ),
    ("readdir-file.nix", "builtins.readDir ./data.txt\n", "error: opening directory '{dir}/data.txt': Not a directory"),
    (
        "readdir-up-from-missing.nix",
        "builtins.readDir (toString ./. + \"/missing/..\")\n",
        "error: opening directory '{dir}/missing/..': No such file or directory",
    ),
    (
        "import-file-slash.nix",
        "import (toString ./function.nix + \"/\")\n",
        "error: getting status of '{dir}/function.nix/': Not a directory",
    ),
    (
        "import-up-from-missing.nix",
        "import (toString ./. + \"/missing/../function.nix\")\n",
        "error: getting status of '{dir}/missing/../function.nix': No such file or directory",
    ),
    (
        "import-empty-dir.nix",
        "import ./emptydir\n",
        "error: opening file '{dir}/emptydir/default.nix': No such file or directory",
    ),
    (
        "scoped-empty-dir.nix",
        "scopedImport { } ./emptydir\n",
        "error: opening file '{dir}/emptydir/default.nix': No such file or directory",
    ),
    (
        "scoped-up-from-missing.nix",
        "scopedImport { } (toString ./. + \"/missing/../function.nix\")\n",
        "error: getting status of '{dir}/missing/../function.nix': No such file or directory",
    ),
];

/// Writes each case to a fresh temporary directory (named by `tag`) with
/// the helper files every case may use, and compares first error lines.
fn check_cases(tag: &str, cases: &[(&str, &str, &str)]) {
    let dir = std::env::temp_dir().join(format!("nix2dream-{}-{}", tag, std::process::id()));
    std::fs::create_dir_all(dir.join("emptydir")).expect("temp dir");
    std::fs::write(dir.join("function.nix"), "{ x }: x\n").expect("write");
    std::fs::write(dir.join("data.txt"), "data\n").expect("write");
    std::fs::write(dir.join("nul.txt"), b"a\0b").expect("write");
    let oracle = common::oracle_available("positioned error messages");
    let mut failures = Vec::new();
    for (name, text, expected) in cases {
        let file = dir.join(name);
        std::fs::write(&file, text).expect("write");
        let want = expected.replace("{dir}", &dir.display().to_string());
        let got = first_error_line(env!("CARGO_BIN_EXE_nix2dream"), &["eval", "--strict"], &file);
        if got != want {
            failures.push(format!("{name}: nix2dream printed {got:?}, expected {want:?}"));
        }
        if oracle {
            let nix = first_error_line("nix-instantiate", &["--eval", "--strict"], &file);
            if nix != want {
                failures.push(format!("{name}: nix-instantiate printed {nix:?}, expected {want:?}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn function_argument_errors_name_the_function_and_where_it_is() {
    check_cases("positioned-errors", CASES);
}

#[test]
fn file_errors_name_the_path_as_written() {
    check_cases("file-errors", FILE_CASES);
}
