//! `nix2dream eval`: nix-instantiate --eval, flag for flag.

use anyhow::{bail, Context as _};
use nix2dream_eval::{print, Attrs, EvalError, EvalOptions, Evaluator, MemoryFs, RealFs, Value};
use nix2dream_syntax::{Origin, Symbol};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

include!(concat!(env!("OUT_DIR"), "/embedded_modules.rs"));

/// Where the embedded `modules/` folder appears to the evaluator.
pub const EMBEDDED_ROOT: &str = "/nix2dream-embedded/modules";

#[derive(Default)]
struct EvalArgs {
    /// The positional arguments: files, or with `-E` expressions.
    sources: Vec<String>,
    /// `-E`: the positional arguments are expressions.
    from_args: bool,
    /// `-`: standard input is read, before any other source.
    read_stdin: bool,
    attr_paths: Vec<String>,
    strict: bool,
    json: bool,
    /// `(name, expression source, is_string)`
    auto_args: Vec<(String, String, bool)>,
    include: Vec<String>,
    /// `--pure`: no environment, reads only below the evaluated file's
    /// directory, the search path and the embedded modules.
    pure: bool,
    /// `--parse`: print the parsed expression instead of evaluating it.
    parse: bool,
    /// `--show-trace`: errors list every function call they leave.
    show_trace: bool,
}

fn parse_args(args: &[String]) -> anyhow::Result<EvalArgs> {
    let mut out = EvalArgs::default();
    let mut i = 0;
    let need = |i: usize, n: usize, flag: &str| -> anyhow::Result<()> {
        if i + n >= args.len() {
            bail!("flag '{}' requires {} argument{}", flag, n, if n > 1 { "s" } else { "" });
        }
        Ok(())
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--eval" | "--eval-only" | "--read-write-mode" => {}
            "--show-trace" => out.show_trace = true,
            "--no-show-trace" => out.show_trace = false,
            "--parse" => out.parse = true,
            "--strict" => out.strict = true,
            "--pure" | "--pure-eval" => out.pure = true,
            "--json" => out.json = true,
            "--timeout" => {
                need(i, 1, a)?;
                i += 1;
            }
            // A switch, as in nix-instantiate: `-E 1 2` and `-E 1 -E 2` both
            // evaluate two expressions.
            "-E" | "--expr" => out.from_args = true,
            "-" => out.read_stdin = true,
            "-A" | "--attr" => {
                need(i, 1, a)?;
                out.attr_paths.push(args[i + 1].clone());
                i += 1;
            }
            "--arg" => {
                need(i, 2, a)?;
                out.auto_args.push((args[i + 1].clone(), args[i + 2].clone(), false));
                i += 2;
            }
            "--argstr" => {
                need(i, 2, a)?;
                out.auto_args.push((args[i + 1].clone(), args[i + 2].clone(), true));
                i += 2;
            }
            "-I" | "--include" => {
                need(i, 1, a)?;
                out.include.push(args[i + 1].clone());
                i += 1;
            }
            _ if a.starts_with("-I") && a.len() > 2 => out.include.push(a[2..].to_string()),
            _ if a.starts_with('-') => bail!("unrecognised flag '{}'", a),
            _ => out.sources.push(a.to_string()),
        }
        i += 1;
    }
    Ok(out)
}

/// `-I` entries, then `NIX_PATH`, then the embedded `nix2dream` modules.
pub fn search_path(includes: &[String]) -> Vec<(String, String)> {
    let mut entries = Vec::new();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut add = |entry: &str| {
        if entry.is_empty() {
            return;
        }
        let (prefix, path) = match entry.split_once('=') {
            Some((p, path)) => (p.to_string(), path.to_string()),
            None => (String::new(), entry.to_string()),
        };
        let abs =
            if path.starts_with('/') || path.contains("://") { path } else { cwd.join(path).display().to_string() };
        entries.push((prefix, abs));
    };
    for inc in includes {
        add(inc);
    }
    if let Ok(nix_path) = std::env::var("NIX_PATH") {
        for entry in nix_path.split(':') {
            add(entry);
        }
    }
    entries.push(("nix2dream".to_string(), EMBEDDED_ROOT.to_string()));
    entries
}

/// An evaluator over the real filesystem with the embedded modules mounted.
#[allow(dead_code)]
pub fn new_evaluator(includes: &[String]) -> Evaluator {
    new_evaluator_with(includes, false, Vec::new())
}

/// Like [`new_evaluator`]; in pure mode, files may be read only below
/// `roots`, the search path entries and the embedded modules.
pub fn new_evaluator_with(includes: &[String], pure: bool, roots: Vec<PathBuf>) -> Evaluator {
    let mut fs = MemoryFs::over(Box::new(RealFs));
    for (rel, text) in EMBEDDED_MODULES {
        fs.add_file(Path::new(EMBEDDED_ROOT).join(rel), text.as_bytes().to_vec());
    }
    let search_path = search_path(includes);
    let mut allowed_roots = roots;
    if pure {
        allowed_roots.extend(search_path.iter().map(|(_, p)| PathBuf::from(p)));
    }
    let options = EvalOptions { search_path, pure, allowed_roots, ..EvalOptions::default() };
    let mut ev = Evaluator::new(Box::new(fs), options);
    nix2dream_modules::install(&mut ev);
    // Traces go out as they happen, as Nix's do: before the result, and
    // before an evaluation that never ends or fails later.
    ev.trace_sink = Some(Box::new(|message| {
        let _ = writeln!(std::io::stderr().lock(), "{}", message);
    }));
    ev
}

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let opts = parse_args(args)?;
    let mut roots = Vec::new();
    if opts.pure {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let root = match (opts.from_args, opts.sources.first()) {
            (false, Some(f)) => {
                let abs = cwd.join(f);
                if abs.is_dir() {
                    abs
                } else {
                    abs.parent().map(Path::to_path_buf).unwrap_or(cwd)
                }
            }
            _ => cwd,
        };
        roots.push(PathBuf::from(nix2dream_syntax::lower::canonicalize(&root)));
    }
    let mut ev = new_evaluator_with(&opts.include, opts.pure, roots);
    // Non-strict output shows which values are still thunks: evaluate
    // exactly as lazily as C++ Nix then.
    ev.options.speculate = opts.strict;
    ev.options.show_trace = opts.show_trace;
    // Each attribute path's result is printed as soon as it is known, as
    // nix-instantiate prints it: a value and a newline, or JSON alone (the
    // JSON of several paths runs together, as it does there).
    let mut written: std::io::Result<()> = Ok(());
    let evaluate = if opts.parse { show_parsed } else { evaluate };
    let result = evaluate(&mut ev, &opts, &mut |text| {
        let mut stdout = std::io::stdout().lock();
        // `--parse` ends its output with a newline, JSON or not.
        let newline: &[u8] = if opts.json && !opts.parse { b"" } else { b"\n" };
        let w = stdout.write_all(text).and_then(|_| stdout.write_all(newline));
        if let Err(e) = w.and_then(|_| stdout.flush()) {
            written = Err(e);
        }
    });
    written.context("writing to stdout")?;
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", ev.render_error(&e));
            ExitCode::from(1)
        }
    };
    // The process ends here: freeing millions of values one by one would
    // only cost time (a tenth of a large evaluation).
    std::mem::forget(ev);
    Ok(code)
}

/// What nix-instantiate reads, in its order: standard input (`-`), then
/// each positional argument, a file or with `-E` an expression; with
/// neither, `default.nix`.
enum Source {
    Stdin,
    Expr(String),
    File(String),
}

fn sources(opts: &EvalArgs) -> Vec<Source> {
    let mut out = Vec::new();
    if opts.read_stdin {
        out.push(Source::Stdin);
    } else if opts.sources.is_empty() && !opts.from_args {
        out.push(Source::File("default.nix".into()));
    }
    for s in &opts.sources {
        out.push(if opts.from_args { Source::Expr(s.clone()) } else { Source::File(s.clone()) });
    }
    out
}

fn read_stdin() -> Result<String, EvalError> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
        .map_err(|e| EvalError::new(nix2dream_eval::ErrorKind::Io, format!("reading standard input: {}", e), None))?;
    Ok(text)
}

/// `--parse`: each expression as nix-instantiate prints it, unevaluated.
fn show_parsed(ev: &mut Evaluator, opts: &EvalArgs, emit: &mut dyn FnMut(&[u8])) -> Result<(), EvalError> {
    for source in sources(opts) {
        let shown = match source {
            Source::Expr(e) => ev.show_parsed(Origin::Named("«string»".into()), &e)?,
            Source::Stdin => ev.show_parsed(Origin::Named("«stdin»".into()), &read_stdin()?)?,
            Source::File(file) => ev.show_parsed_file(Path::new(&file))?,
        };
        emit(shown.as_bytes());
    }
    Ok(())
}

fn evaluate(ev: &mut Evaluator, opts: &EvalArgs, emit: &mut dyn FnMut(&[u8])) -> Result<(), EvalError> {
    // Parsed now, evaluated when used, as nix-instantiate's `--arg`s are.
    let mut auto = Attrs::default();
    for (name, src, is_string) in &opts.auto_args {
        let v = if *is_string { Value::string(src.as_str()) } else { ev.lazy_string(src, "«string»")? };
        auto.insert(Symbol::intern(name), v, None);
    }
    for source in sources(opts) {
        let root = match source {
            Source::Expr(e) => ev.eval_string(&e, "«string»")?,
            Source::Stdin => {
                let text = read_stdin()?;
                ev.eval_string(&text, "«stdin»")?
            }
            Source::File(f) => ev.eval_file(Path::new(&f))?,
        };
        evaluate_root(ev, opts, &auto, root, emit)?;
    }
    Ok(())
}

/// One expression's results: the value at each `-A` path, or the whole.
fn evaluate_root(
    ev: &mut Evaluator,
    opts: &EvalArgs,
    auto: &Attrs,
    root: Value,
    emit: &mut dyn FnMut(&[u8]),
) -> Result<(), EvalError> {
    let paths = if opts.attr_paths.is_empty() { vec![String::new()] } else { opts.attr_paths.clone() };
    for path in &paths {
        // As nix-instantiate: every step of an attribute path calls what it
        // selects from, and the result is called only when arguments were
        // given (without them a function prints as `<LAMBDA>`).
        let mut v = root.clone();
        for part in parse_attr_path(path)? {
            v = ev.auto_call(v, auto)?;
            v = select_attr_path_part(ev, &v, &part, path)?;
        }
        if !auto.is_empty() {
            v = ev.auto_call(v, auto)?;
        }
        emit(&render(ev, &v, opts)?);
    }
    Ok(())
}

fn path_error(message: String) -> EvalError {
    EvalError::new(nix2dream_eval::ErrorKind::Type, message, None)
}

/// An `-A` path's names, split at dots outside double quotes (`a."b.c"`).
fn parse_attr_path(path: &str) -> Result<Vec<String>, EvalError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => parts.push(std::mem::take(&mut current)),
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => current.push(c),
                    None => return Err(path_error(format!("missing closing quote in selection path '{}'", path))),
                }
            },
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    Ok(parts)
}

/// One step of an `-A` path: a list index when `part` is a number, else
/// an attribute; errors name the whole `path`, as nix-instantiate's do.
fn select_attr_path_part(ev: &mut Evaluator, v: &Value, part: &str, path: &str) -> Result<Value, EvalError> {
    let v = ev.force(v)?;
    let index =
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) { part.parse::<u32>().ok() } else { None };
    match (index, &v) {
        (Some(i), Value::List(l)) => match l.get(i as usize) {
            Some(item) => ev.force(item),
            None => Err(path_error(format!("list index {} in selection path '{}' is out of range", i, path))),
        },
        (Some(_), other) => Err(path_error(format!(
            "the expression selected by the selection path '{}' should be a list but is {}",
            path,
            other.type_desc()
        ))),
        (None, Value::Attrs(_)) if part.is_empty() => {
            Err(path_error(format!("empty attribute name in selection path '{}'", path)))
        }
        (None, Value::Attrs(a)) => match a.get(Symbol::intern(part)).cloned() {
            Some(x) => ev.force(&x),
            None => Err(path_error(format!("attribute '{}' in selection path '{}' not found", part, path))),
        },
        (None, other) => Err(path_error(format!(
            "the expression selected by the selection path '{}' should be a set but is {}",
            path,
            other.type_desc()
        ))),
    }
}

/// Without `--strict`, C++ Nix refuses to print an unevaluated value as
/// JSON; find the first one, as it would.
fn reject_thunks(v: &Value, depth: usize) -> Result<(), EvalError> {
    let v = match v {
        Value::Thunk(t) => match t.done() {
            Some(v) => v,
            _ => {
                let what = if t.is_application() { "a function application" } else { "a thunk" };
                let message = format!("cannot convert {} to JSON", what);
                return Err(EvalError::new(nix2dream_eval::ErrorKind::Type, message, None));
            }
        },
        other => other.clone(),
    };
    if depth > 10_000 {
        return Ok(());
    }
    match &v {
        Value::List(l) => l.iter().try_for_each(|x| reject_thunks(x, depth + 1)),
        // A set with `__toString` is written as the string it gives, which
        // forces what it needs; one with `outPath` as that.
        Value::Attrs(a) if a.contains(Symbol::TO_STRING) => Ok(()),
        Value::Attrs(a) => match a.get(Symbol::OUT_PATH) {
            Some(out_path) => reject_thunks(out_path, depth + 1),
            None => a.entries().iter().try_for_each(|e| reject_thunks(&e.value, depth + 1)),
        },
        _ => Ok(()),
    }
}

fn render(ev: &mut Evaluator, v: &Value, opts: &EvalArgs) -> Result<Vec<u8>, EvalError> {
    if opts.json && !opts.strict {
        reject_thunks(v, 0)?;
    }
    if opts.json {
        let mut out = Vec::new();
        let mut ctx = Default::default();
        let span = nix2dream_syntax::Span::new(nix2dream_syntax::FileId::new(0), 0, 0);
        print::write_json_bytes(ev, v, span, &mut out, &mut ctx)?;
        return Ok(out);
    }
    if opts.strict {
        ev.force_deep(v)?;
    }
    print::print_value_bytes(ev, v, opts.strict)
}
