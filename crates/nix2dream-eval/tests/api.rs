//! The embedding API: evaluate from memory, inspect values from Rust,
//! stop runaway evaluations, and get errors as data.

use nix2dream_eval::{ErrorKind, EvalOptions, Evaluator, MemoryFs, Value};

fn evaluator(fs: MemoryFs) -> Evaluator {
    Evaluator::new(Box::new(fs), EvalOptions::default())
}

fn check(expr: &str, expect: &str) {
    let mut ev = evaluator(MemoryFs::new());
    let v = ev.eval_string(expr, "«test»").unwrap_or_else(|e| panic!("{}: {}", expr, ev.render_error(&e)));
    let v = ev.force_deep(&v).unwrap();
    assert_eq!(nix2dream_eval::print::print_value(&mut ev, &v, true).unwrap(), expect);
}

#[test]
fn imports_come_from_the_io_backend() {
    let mut fs = MemoryFs::new();
    fs.add_file("/project/lib.nix", "{ double = x: x * 2; }");
    fs.add_file("/project/main.nix", "(import ./lib.nix).double 21");
    fs.add_file("/project/dir/default.nix", "\"from a directory\"");
    let mut ev = evaluator(fs);
    let v = ev.eval_file(std::path::Path::new("/project/main.nix")).unwrap();
    assert!(matches!(v, Value::Int(42)));
    let v = ev.eval_string("import /project/dir", "«test»").unwrap();
    let Value::String(s) = v else { panic!("expected a string") };
    assert_eq!(s.as_str(), "from a directory");
}

#[test]
fn values_can_be_inspected_and_forced_from_rust() {
    let mut ev = evaluator(MemoryFs::new());
    let v = ev.eval_string("{ a = 1 + 1; b = throw \"lazy\"; }", "«test»").unwrap();
    let Value::Attrs(attrs) = &v else { panic!("expected a set") };
    let a = ev.force(attrs.get_str("a").unwrap()).unwrap();
    assert!(matches!(a, Value::Int(2)));
    // `b` is never forced unless asked for.
    let err = ev.force(attrs.get_str("b").unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throw);
    assert_eq!(err.message(), "lazy");
}

#[test]
fn fuel_stops_a_runaway_evaluation() {
    let mut ev = evaluator(MemoryFs::new());
    ev.set_fuel(Some(10_000));
    let err = ev.eval_string("let loop = n: if n < 0 then 0 else loop (n + 1); in loop 0", "«test»").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Interrupted);
}

#[test]
fn the_interrupt_hook_cancels() {
    let mut ev = evaluator(MemoryFs::new());
    let mut polls = 0;
    ev.set_interrupt(Some(Box::new(move || {
        polls += 1;
        polls > 3
    })));
    let err = ev.eval_string("let loop = n: if n < 0 then 0 else loop (n + 1); in loop 0", "«test»").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Interrupted);
}

#[test]
fn errors_are_data_with_positions() {
    let mut ev = evaluator(MemoryFs::new());
    let err = ev.eval_string("let a = 1;\nin a + b", "«test»").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert_eq!(err.message(), "undefined variable 'b'");
    let (file, lc) = ev.locate(err.span().unwrap());
    assert_eq!((file.as_str(), lc.line, lc.column), ("«test»", 2, 8));
    let report = ev.render_error(&err);
    assert!(report.contains("in a + b"), "{}", report);
}

#[test]
fn a_file_with_errors_reports_all_of_them() {
    let mut ev = evaluator(MemoryFs::new());
    let diags =
        ev.parse(nix2dream_syntax::Origin::Named("«test»".into()), "{ a = x; b = y; c = 1; c = 2; }").unwrap_err().1;
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    // In C++ Nix's order: its parser finds the duplicate before names are resolved.
    assert_eq!(messages, ["attribute 'c' already defined", "undefined variable 'x'", "undefined variable 'y'"]);
}

#[test]
fn laziness_and_sharing() {
    check("let xs = map (x: x * 2) [ 1 2 3 ]; in [ (builtins.elemAt xs 2) xs ]", "[ 6 [ 2 4 6 ] ]");
    check("(rec { a = b + 1; b = 2; }).a", "3");
    check("builtins.length [ (throw \"never forced\") ]", "1");
}

#[test]
fn deep_recursion_on_a_small_thread_stack_grows_the_stack() {
    // 256 KiB is far too small for 100,000 nested calls: the evaluator must
    // move to new stack segments instead of overflowing.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut ev = evaluator(MemoryFs::new());
            let v = ev
                .eval_string("let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 100000", "«test»")
                .map_err(|e| e.message().to_string());
            matches!(v, Ok(Value::Int(100000)))
        })
        .unwrap();
    assert!(handle.join().unwrap());
}

#[test]
fn errors_keep_their_own_position_and_the_attribute_trace() {
    let mut ev = evaluator(MemoryFs::new());
    let err = ev.eval_string("let a = { p = \"x\" + 1; }; in a.p", "«test»").unwrap_err();
    let (_, lc) = ev.locate(err.span().unwrap());
    // At the operand that cannot be coerced, as nix-instantiate reports it.
    assert_eq!((lc.line, lc.column), (1, 21), "{:?}", err);
    assert_eq!(err.trace().len(), 1, "{:?}", err);
    assert_eq!(err.trace()[0].message, "while evaluating the attribute 'p'");
}

#[test]
fn pure_mode_fixes_time_and_hides_the_environment() {
    let mut fs = MemoryFs::new();
    fs.set_env("HOME", "/home/someone");
    let options = EvalOptions { pure: true, ..EvalOptions::default() };
    let mut ev = Evaluator::new(Box::new(fs), options);
    let v = ev.eval_string("[ builtins.currentTime (builtins.getEnv \"HOME\") ]", "«test»").unwrap();
    let v = ev.force_deep(&v).unwrap();
    assert_eq!(nix2dream_eval::print::print_value(&mut ev, &v, true).unwrap(), "[ 0 \"\" ]");
}
