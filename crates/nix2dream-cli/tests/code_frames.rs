//! The source lines an error shows: which lines C++ Nix 2.8 picks (the one
//! before, the error's own, the one after, each only if a newline ends it
//! when read from a file), how it numbers them, how it expands tabs,
//! where it places the end of a file, and how syntax errors are worded.
//! Each case's whole stderr is compared with the expected text and, when it
//! is installed, with what `nix-instantiate` prints.

mod common;

use std::process::Command;

/// (file name, contents, expected stderr with `{dir}` for the directory)
const FILE_CASES: &[(&str, &str, &str)] = &[
    (
        "neighbours.nix",
        "let\n  b = c;\nin b\n",
        concat!(
            "error: undefined variable 'c'\n",
            "\n",
            "       at {dir}/neighbours.nix:2:7:\n",
            "\n",
            "            1| let\n",
            "            2|   b = c;\n",
            "             |       ^\n",
            "            3| in b\n",
        ),
    ),
    (
        "blank-neighbours.nix",
        "let\n  a = 1;\n\n  b = c;\n\nin b\n",
        concat!(
            "error: undefined variable 'c'\n",
            "\n",
            "       at {dir}/blank-neighbours.nix:4:7:\n",
            "\n",
            "            3|\n",
            "            4|   b = c;\n",
            "             |       ^\n",
            "            5|\n",
        ),
    ),
    (
        "line-ten.nix",
        "\n\n\n\n\n\n\n\n\nlet b = c; in b\n",
        concat!(
            "error: undefined variable 'c'\n",
            "\n",
            "       at {dir}/line-ten.nix:10:9:\n",
            "\n",
            "            9|\n",
            "           10| let b = c; in b\n",
            "             |         ^\n",
        ),
    ),
    (
        // A file's last line with no newline is not shown, nor is anything
        // else when it is the error's.
        "unterminated-error-line.nix",
        "let a = 1; in\nc",
        concat!("error: undefined variable 'c'\n", "\n", "       at {dir}/unterminated-error-line.nix:2:1:\n",),
    ),
    (
        "unterminated-next-line.nix",
        "let\n  b = c;\nin b",
        concat!(
            "error: undefined variable 'c'\n",
            "\n",
            "       at {dir}/unterminated-next-line.nix:2:7:\n",
            "\n",
            "            1| let\n",
            "            2|   b = c;\n",
            "             |       ^\n",
        ),
    ),
    (
        // The end of a file is where its last token starts: here the blanks
        // after `+`.
        "end-of-file.nix",
        "let a = 1;\nin a +\n\n",
        concat!(
            "error: syntax error, unexpected end of file\n",
            "\n",
            "       at {dir}/end-of-file.nix:2:7:\n",
            "\n",
            "            1| let a = 1;\n",
            "            2| in a +\n",
            "             |       ^\n",
            "            3|\n",
        ),
    ),
    (
        // The message names where the first definition is.
        "duplicate-dynamic-attribute.nix",
        "let x = \"a\"; in {\n  a = 1;\n  ${x} = 2;\n}\n",
        concat!(
            "error: dynamic attribute 'a' already defined at {dir}/duplicate-dynamic-attribute.nix:2:3\n",
            "\n",
            "       at {dir}/duplicate-dynamic-attribute.nix:3:3:\n",
            "\n",
            "            2|   a = 1;\n",
            "            3|   ${x} = 2;\n",
            "             |   ^\n",
            "            4| }\n",
        ),
    ),
];

/// (expression given with `-E`, expected stderr): text read with `getline`
/// shows a last line with no newline; tabs become spaces to a multiple of
/// eight characters counted from the report's start.
const EXPRESSION_CASES: &[(&str, &str)] = &[
    (
        "let\n  b = c;\nin b",
        concat!(
            "error: undefined variable 'c'\n",
            "\n",
            "       at «string»:2:7:\n",
            "\n",
            "            1| let\n",
            "            2|   b = c;\n",
            "             |       ^\n",
            "            3| in b\n",
        ),
    ),
    (
        "let\n\tx = 1;\n\ty =\tz;\nin y",
        concat!(
            "error: undefined variable 'z'\n",
            "\n",
            "       at «string»:3:6:\n",
            "\n",
            "            2|  x = 1;\n",
            "            3|   y =     z;\n",
            "             |      ^\n",
            "            4| in y\n",
        ),
    ),
    (
        // A string that never ends: what bison expects depends on its kind.
        "[ \"a\" \"b ]",
        concat!(
            "error: syntax error, unexpected end of file, expecting '\"'\n",
            "\n",
            "       at «string»:1:8:\n",
            "\n",
            "            1| [ \"a\" \"b ]\n",
            "             |        ^\n",
        ),
    ),
    (
        "''a${b}c",
        concat!(
            "error: syntax error, unexpected end of file, expecting IND_STR or DOLLAR_CURLY or IND_STRING_CLOSE\n",
            "\n",
            "       at «string»:1:8:\n",
            "\n",
            "            1| ''a${b}c\n",
            "             |        ^\n",
        ),
    ),
    (
        "let a = 1 in a",
        concat!(
            "error: syntax error, unexpected IN, expecting ';'\n",
            "\n",
            "       at «string»:1:11:\n",
            "\n",
            "            1| let a = 1 in a\n",
            "             |           ^\n",
        ),
    ),
    (
        // Nix 2.8's lexer reads `0.` as the integer 0 and a `.`.
        "[ 0. 1.5e2 .5 ]",
        concat!(
            "error: syntax error, unexpected FLOAT, expecting ID or OR_KW or DOLLAR_CURLY or '\"'\n",
            "\n",
            "       at «string»:1:6:\n",
            "\n",
            "            1| [ 0. 1.5e2 .5 ]\n",
            "             |      ^\n",
        ),
    ),
    (
        "{ a = 0.; }",
        concat!(
            "error: syntax error, unexpected ';', expecting ID or OR_KW or DOLLAR_CURLY or '\"'\n",
            "\n",
            "       at «string»:1:9:\n",
            "\n",
            "            1| { a = 0.; }\n",
            "             |         ^\n",
        ),
    ),
    (
        // `!` as an operand of `++`: the variable is checked, not the grammar.
        "[ 1 ] ++ !x",
        concat!(
            "error: undefined variable 'x'\n",
            "\n",
            "       at «string»:1:11:\n",
            "\n",
            "            1| [ 1 ] ++ !x\n",
            "             |           ^\n",
        ),
    ),
    (
        // Nix reads on after such a `!`: the end of the file is unexpected.
        "1 + !",
        concat!(
            "error: syntax error, unexpected end of file\n",
            "\n",
            "       at «string»:1:5:\n",
            "\n",
            "            1| 1 + !\n",
            "             |     ^\n",
        ),
    ),
    (
        // A path ends at a blank or a comment: the `${` after it is a
        // token of its own (rnix reads on into an interpolation).
        "[ ./a #c\n  ${x} ]",
        concat!(
            "error: syntax error, unexpected DOLLAR_CURLY\n",
            "\n",
            "       at «string»:2:3:\n",
            "\n",
            "            1| [ ./a #c\n",
            "            2|   ${x} ]\n",
            "             |   ^\n",
        ),
    ),
    (
        // After a formal's `?` any expression may come: Bison lists none.
        "{ a, b ? }: 1",
        concat!(
            "error: syntax error, unexpected '}'\n",
            "\n",
            "       at «string»:1:10:\n",
            "\n",
            "            1| { a, b ? }: 1\n",
            "             |          ^\n",
        ),
    ),
    (
        // `+` reports an error about its right operand where that starts.
        "1 + (2 + \"a\")",
        concat!(
            "error: cannot add a string to an integer\n",
            "\n",
            "       at «string»:1:10:\n",
            "\n",
            "            1| 1 + (2 + \"a\")\n",
            "             |          ^\n",
        ),
    ),
    (
        "\"a\" + \"b\" + 1",
        concat!(
            "error: cannot coerce an integer to a string\n",
            "\n",
            "       at «string»:1:13:\n",
            "\n",
            "            1| \"a\" + \"b\" + 1\n",
            "             |             ^\n",
        ),
    ),
    (
        // An interpolation's error is at its `${`, in strings and paths.
        "\"a${ {} }b\"",
        concat!(
            "error: cannot coerce a set to a string\n",
            "\n",
            "       at «string»:1:3:\n",
            "\n",
            "            1| \"a${ {} }b\"\n",
            "             |   ^\n",
        ),
    ),
    (
        "''a${{}}''",
        concat!(
            "error: cannot coerce a set to a string\n",
            "\n",
            "       at «string»:1:4:\n",
            "\n",
            "            1| ''a${{}}''\n",
            "             |    ^\n",
        ),
    ),
    (
        "./a/${{}}",
        concat!(
            "error: cannot coerce a set to a string\n",
            "\n",
            "       at «string»:1:5:\n",
            "\n",
            "            1| ./a/${{}}\n",
            "             |     ^\n",
        ),
    ),
    (
        // A condition that is not a Boolean is reported at the `if`, `assert` or operator.
        "let c = 1;\nin\n  if c\n  then 1\n  else 2",
        concat!(
            "error: value is an integer while a Boolean was expected\n",
            "\n",
            "       at «string»:3:3:\n",
            "\n",
            "            2| in\n",
            "            3|   if c\n",
            "             |   ^\n",
            "            4|   then 1\n",
        ),
    ),
    (
        "let f = x: assert x; x; in f 1",
        concat!(
            "error: value is an integer while a Boolean was expected\n",
            "\n",
            "       at «string»:1:12:\n",
            "\n",
            "            1| let f = x: assert x; x; in f 1\n",
            "             |            ^\n",
        ),
    ),
    (
        "let x = 1; in\n  true\n    && x",
        concat!(
            "error: value is an integer while a Boolean was expected\n",
            "\n",
            "       at «string»:2:3:\n",
            "\n",
            "            1| let x = 1; in\n",
            "            2|   true\n",
            "             |   ^\n",
            "            3|     && x\n",
        ),
    ),
    (
        // `(f a) b` is one call in C++ Nix, reported where `f a` is.
        "let f = x: {y}: x; in (f 1) {}",
        concat!(
            "error: 'f' at (string):1:12 called without required argument 'y'\n",
            "\n",
            "       at «string»:1:24:\n",
            "\n",
            "            1| let f = x: {y}: x; in (f 1) {}\n",
            "             |                        ^\n",
        ),
    ),
    (
        // What an `inherit` makes is at the start of its bindings.
        "let inherit (1) a; in a",
        concat!(
            "error: value is an integer while a set was expected\n",
            "\n",
            "       at «string»:1:4:\n",
            "\n",
            "            1| let inherit (1) a; in a\n",
            "             |    ^\n",
        ),
    ),
    (
        "rec {\n  inherit x;\n}",
        concat!(
            "error: undefined variable 'x'\n",
            "\n",
            "       at «string»:1:6:\n",
            "\n",
            "            1| rec {\n",
            "             |      ^\n",
            "            2|   inherit x;\n",
        ),
    ),
    (
        // A parenthesis whose expression is cut short: Bison stops inside
        // it, not at the missing `)`.
        "( 1 +",
        concat!(
            "error: syntax error, unexpected end of file\n",
            "\n",
            "       at «string»:1:5:\n",
            "\n",
            "            1| ( 1 +\n",
            "             |     ^\n",
        ),
    ),
    (
        "[ ( ( ]",
        concat!(
            "error: syntax error, unexpected ']'\n",
            "\n",
            "       at «string»:1:7:\n",
            "\n",
            "            1| [ ( ( ]\n",
            "             |       ^\n",
        ),
    ),
    // A blank message: Nix trims the report's end before it writes
    // "error: " before its first line, and there is none left.
    ("throw \"\"", "\n"),
    ("[ (builtins.throw \" \\n\") ]", "\n"),
];

/// Errors whose report goes on with trace frames that C++ Nix prints only
/// with `--show-trace`: the message and its code frame, up to the first
/// frame, are compared (expression, expected head of stderr).
const PRIMARY_POSITION_CASES: &[(&str, &str)] = &[
    (
        // A function in JSON is reported at the lambda, other values at the attribute holding them.
        "builtins.toJSON { a = x: x; }",
        concat!(
            "error: cannot convert a function to JSON\n",
            "\n",
            "       at «string»:1:23:\n",
            "\n",
            "            1| builtins.toJSON { a = x: x; }\n",
            "             |                       ^\n",
        ),
    ),
    (
        "builtins.toJSON {\n  a = [ builtins.add ];\n}",
        concat!(
            "error: cannot convert the built-in function 'add' to JSON\n",
            "\n",
            "       at «string»:2:3:\n",
            "\n",
            "            1| builtins.toJSON {\n",
            "            2|   a = [ builtins.add ];\n",
            "             |   ^\n",
            "            3| }\n",
        ),
    ),
    (
        // concatMap reports a result that is not a list at the function.
        "builtins.concatMap (x: 1) [ 1 ]",
        concat!(
            "error: value is an integer while a list was expected\n",
            "\n",
            "       at «string»:1:21:\n",
            "\n",
            "            1| builtins.concatMap (x: 1) [ 1 ]\n",
            "             |                     ^\n",
        ),
    ),
    (
        // listToAttrs reports a name that is not a string at the name attribute.
        "builtins.listToAttrs [ { name = 1; value = 2; } ]",
        concat!(
            "error: value is an integer while a string was expected\n",
            "\n",
            "       at «string»:1:26:\n",
            "\n",
            "            1| builtins.listToAttrs [ { name = 1; value = 2; } ]\n",
            "             |                          ^\n",
        ),
    ),
    (
        // A derivation's args that are not a list are reported at the call of derivationStrict.
        "builtins.derivationStrict { name = \"a\"; system = \"x\"; builder = \"b\"; args = 1; }",
        concat!(
            "error: value is an integer while a list was expected\n",
            "\n",
            "       at «string»:1:1:\n",
            "\n",
            "            1| builtins.derivationStrict { name = \"a\"; system = \"x\"; builder = \"b\"; args = 1; }\n",
            "             | ^\n",
        ),
    ),
    (
        // A value selected last that is being evaluated is infinite recursion at its attribute.
        "let x = {\n  a = x.a;\n}; in x",
        concat!(
            "error: infinite recursion encountered\n",
            "\n",
            "       at «string»:2:3:\n",
            "\n",
            "            1| let x = {\n",
            "            2|   a = x.a;\n",
            "             |   ^\n",
            "            3| }; in x\n",
        ),
    ),
];

fn stderr_of(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).env("NIX_PATH", "").output().expect("runs");
    assert!(!out.status.success(), "{program} {args:?}: expected a failure");
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines().filter(|l| !l.starts_with("GC Warning:")).map(|l| format!("{l}\n")).collect()
}

fn check(args: &[&str], want: &str, oracle: bool, nix_args: &[&str], failures: &mut Vec<String>) {
    let got = stderr_of(env!("CARGO_BIN_EXE_nix2dream"), args);
    if got != want {
        failures.push(format!("{args:?}: nix2dream printed\n{got}expected\n{want}"));
    }
    if oracle {
        let nix = stderr_of("nix-instantiate", nix_args);
        if nix != want {
            failures.push(format!("{nix_args:?}: nix-instantiate printed\n{nix}expected\n{want}"));
        }
    }
}

#[test]
fn errors_show_the_source_lines_that_cpp_nix_shows() {
    let dir = std::env::temp_dir().join(format!("nix2dream-code-frames-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let oracle = common::oracle_available("code frames of errors");
    let mut failures = Vec::new();
    for (name, text, expected) in FILE_CASES {
        let file = dir.join(name);
        std::fs::write(&file, text).expect("write");
        let want = expected.replace("{dir}", &dir.display().to_string());
        let file = file.to_str().expect("a UTF-8 path");
        check(&["eval", "--strict", file], &want, oracle, &["--eval", "--strict", file], &mut failures);
    }
    for (expr, want) in EXPRESSION_CASES {
        check(&["eval", "--strict", "-E", expr], want, oracle, &["--eval", "--strict", "-E", expr], &mut failures);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Thousands of syntax errors in one file: Nix reports the first. (Each
/// used to tokenize the whole file again, and past rnix's nesting limit
/// the report named the wrong error at the wrong place.)
/// The report up to its first trace frame (ours) or the hint to use
/// `--show-trace` (C++ Nix's), without the blank lines before them.
fn primary(report: &str) -> String {
    let lines: Vec<&str> =
        report.lines().take_while(|l| !l.starts_with("       … ") && !l.starts_with("(use '--show-trace'")).collect();
    let end = lines.iter().rposition(|l| !l.is_empty()).map_or(0, |i| i + 1);
    lines[..end].iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn errors_are_reported_where_cpp_nix_reports_them() {
    let oracle = common::oracle_available("positions of errors");
    let mut failures = Vec::new();
    for (expr, want) in PRIMARY_POSITION_CASES {
        let got = primary(&stderr_of(env!("CARGO_BIN_EXE_nix2dream"), &["eval", "--strict", "-E", expr]));
        if got != *want {
            failures.push(format!("{expr:?}: nix2dream printed\n{got}expected\n{want}"));
        }
        if oracle {
            let nix = primary(&stderr_of("nix-instantiate", &["--eval", "--strict", "-E", expr]));
            if nix != *want {
                failures.push(format!("{expr:?}: nix-instantiate printed\n{nix}expected\n{want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_first_of_many_syntax_errors_is_reported() {
    let dir = std::env::temp_dir().join(format!("nix2dream-many-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("many.nix");
    std::fs::write(&file, format!("[\n{}]\n", " (1 +)\n".repeat(8000))).expect("write");
    let file = file.to_str().expect("a UTF-8 path");
    let want = format!(
        concat!(
            "error: syntax error, unexpected ')'\n",
            "\n",
            "       at {}:2:6:\n",
            "\n",
            "            1| [\n",
            "            2|  (1 +)\n",
            "             |      ^\n",
            "            3|  (1 +)\n",
        ),
        file
    );
    let oracle = common::oracle_available("many syntax errors");
    let mut failures = Vec::new();
    check(&["eval", file], &want, oracle, &["--eval", file], &mut failures);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Deeper than rnix's parser goes (Nix's goes deeper: a known difference),
/// the error says so where the limit is reached, not at the file's start
/// or end.
#[test]
fn nesting_past_the_parser_limit_is_reported_where_it_is_reached() {
    let too_deep = "syntax error, expression nested too deeply (nix2dream's parser takes up to 512 levels)";
    let cases = [
        (format!("{}1{}", "(".repeat(600), ")".repeat(600)), "«string»:1:513:"),
        // Each `then` nests a level: the 512th `if`'s condition is past it.
        (format!("{}1{}", "if true then ".repeat(1000), " else 2".repeat(1000)), "«string»:1:6647:"),
    ];
    for (expr, at) in cases {
        let got = stderr_of(env!("CARGO_BIN_EXE_nix2dream"), &["eval", "-E", &expr]);
        let got: String = got.lines().take(3).map(|l| format!("{l}\n")).collect();
        let mut lines = got.lines();
        assert_eq!(lines.next(), Some(format!("error: {too_deep}").as_str()), "{got}");
        assert_eq!(lines.nth(1).map(str::trim), Some(format!("at {at}").as_str()), "{got}");
    }
}

/// Lists and unary operators nest without counting towards rnix's limit,
/// and parsing them took time quadratic in the depth (a 800 KB file of
/// `[`s ran for minutes): past 10 000 levels (about where Nix's own parser
/// runs out of memory) they are an error, reported where the limit is
/// passed, at once. Found by fuzz/robust/mutate.py.
#[test]
fn lists_and_unary_operators_past_the_nesting_limit_fail_quickly() {
    let too_deep =
        "syntax error, expression nested too deeply (nix2dream's parser takes up to 10000 nested lists and unary operators)";
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("nesting-limit");
    std::fs::create_dir_all(&dir).unwrap();
    let n = 400_000;
    let cases = [
        ("lists", format!("{}1{}", "[ ".repeat(n), " ]".repeat(n)), 20_001),
        ("inverts", format!("{}true", "!".repeat(n)), 10_001),
        ("mixed", format!("{}1{}", "[ !".repeat(n), " ]".repeat(n)), 30_000),
    ];
    for (name, text, column) in cases {
        let file = dir.join(format!("{name}.nix"));
        std::fs::write(&file, text).unwrap();
        let start = std::time::Instant::now();
        let got = stderr_of(env!("CARGO_BIN_EXE_nix2dream"), &["eval", file.to_str().unwrap()]);
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "{name}: took {:?}", start.elapsed());
        let mut lines = got.lines();
        assert_eq!(lines.next(), Some(format!("error: {too_deep}").as_str()), "{name}: {got}");
        let at = format!("at {}:1:{}:", file.display(), column);
        assert_eq!(lines.nth(1).map(str::trim), Some(at.as_str()), "{name}");
    }
    // As deep as the limit is still a value.
    let file = dir.join("at-the-limit.nix");
    std::fs::write(&file, format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nix2dream")).args(["eval", file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `--show-trace` adds the frames Nix 2.8 adds for each function call an
/// error leaves: the function (by the name it was bound to) and the call
/// site; tail calls included. Compared whole with nix-instantiate's.
#[test]
fn show_trace_lists_the_calls_an_error_leaves() {
    let oracle = common::oracle_available("--show-trace frames");
    let mut failures = Vec::new();
    for expr in [
        "let f = n: if n == 0 then 1 + \"a\" else f (n - 1); in f 2",
        "let f = x: x + \"a\"; g = y: f y; in { a = g 1; }",
        "({ a }: a + \"b\") { a = 1; }",
    ] {
        let args = ["--strict", "--show-trace", "-E", expr];
        let want =
            if oracle { stderr_of("nix-instantiate", &[&["--eval"], &args[..]].concat()) } else { String::new() };
        let got = stderr_of(env!("CARGO_BIN_EXE_nix2dream"), &[&["eval"], &args[..]].concat());
        assert!(got.matches("… while evaluating").count() >= 1, "{expr}: no call frames in\n{got}");
        if oracle && got != want {
            failures.push(format!("{expr}: nix2dream printed\n{got}nix-instantiate printed\n{want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
