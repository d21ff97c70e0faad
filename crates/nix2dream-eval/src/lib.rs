//! nix2dream-eval: a lazy Nix evaluator that matches C++ Nix result for
//! result.
//!
//! Start reading at [`Evaluator`]: it owns the source map, the global scope
//! (builtins), the import cache and the IO backend. [`eval`] holds the
//! interpreter loop, [`value`] the runtime representation, [`builtins`] the
//! native functions and [`print`] Nix's value printing and JSON output.
//!
//! Architecture invariant: the evaluator reads files and the environment
//! only through [`io::EvalIo`], never prints, and never touches processes.
//! Higher layers (the module system) add native builtins through
//! [`Evaluator::register_primop`]; this crate knows nothing of them.

mod attr_set;
pub mod builtins;
mod env;
pub mod error;
pub mod eval;
pub mod io;
mod list;
mod ops;
pub mod print;
mod report;
pub mod shared;
mod show;
pub mod store;
mod string;
pub mod value;

pub use error::{ErrorKind, EvalError, EvalResult, TraceFrame};
pub use io::{EvalIo, MemoryFs, RealFs};
pub use report::{caret_line, source_line};
pub use string::NixString;
pub use value::{AttrSet, Attrs, Value};

use nix2dream_syntax::{lower_file, Diagnostic, FileId, Origin, SourceMap, Span, Symbol};
use nix2dream_syntax::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use value::Env;

/// Settings of one evaluator.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// How deep evaluation may nest before it fails with "stack overflow".
    /// The stack itself grows on demand, so this bounds memory, not crashes.
    pub max_depth: usize,
    /// `-I` entries and `NIX_PATH`: `(prefix, path)`; an empty prefix
    /// searches inside the path.
    pub search_path: Vec<(String, String)>,
    /// Pure mode: no environment variables, fixed time, restricted reads.
    pub pure: bool,
    /// In pure mode, the only directories files may be read from (and
    /// below); everything else reads as forbidden. Enforced by wrapping
    /// the IO backend in [`io::RestrictedFs`].
    pub allowed_roots: Vec<PathBuf>,
    /// Compute cheap, effect-free expressions (`n - 1` of known integers,
    /// a lambda literal) at once instead of allocating a thunk. Results are
    /// identical; only which values are still unevaluated differs, which
    /// is visible in non-strict printing (`<CODE>`), so the CLI turns it
    /// off there to print exactly what C++ Nix prints.
    pub speculate: bool,
    /// Nix's `--show-trace`: an error also records each function call it
    /// leaves (`while evaluating 'f'`, then `from call site`).
    pub show_trace: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            max_depth: 2_500_000,
            search_path: Vec::new(),
            pure: false,
            allowed_roots: Vec::new(),
            speculate: true,
            show_trace: false,
        }
    }
}

/// Where trace messages go as they happen (see `Evaluator::trace_sink`).
pub type TraceSink = Box<dyn FnMut(&str)>;

pub struct Evaluator {
    pub sources: SourceMap,
    pub options: EvalOptions,
    pub io: Box<dyn EvalIo>,
    pub(crate) globals: Vec<Value>,
    pub(crate) global_names: HashMap<Symbol, u32>,
    /// The `builtins` set under construction (primops, then constants).
    pub(crate) builtins_set: Attrs,
    /// Keyed by the path's text: `/a/b/` is not `/a/b` here.
    import_cache: HashMap<std::ffi::OsString, Value>,
    pub(crate) depth: usize,
    /// Below this stack address, evaluation moves to a new stack segment.
    pub(crate) stack_guard: usize,
    pub(crate) steps: u64,
    pub(crate) fuel: Option<u64>,
    pub(crate) interrupt: Option<Box<dyn FnMut() -> bool>>,
    /// The virtual store: everything evaluation added to `/nix/store`.
    pub store: store::Store,
    pub(crate) regex_cache: FxHashMap<String, Rc<builtins::regex::CompiledRegex>>,
    /// The value of each string literal, made once: a literal is evaluated
    /// every time its scope runs (`_type = "option"` once per `mkOption`).
    /// Keyed by the address of the literal's text, which the entry keeps
    /// alive, so that the address cannot be reused by another literal.
    pub(crate) string_literals: FxHashMap<usize, (Rc<str>, Value)>,
    /// Trace messages (`builtins.trace`, `warn`) for the embedder to show.
    pub traces: Vec<String>,
    /// If set, trace messages are handed to this callback as they happen
    /// instead of being collected in `traces`.
    pub trace_sink: Option<TraceSink>,
    root_env: Env,
}

impl Evaluator {
    pub fn new(io: Box<dyn EvalIo>, options: EvalOptions) -> Evaluator {
        let io: Box<dyn EvalIo> =
            if options.pure { Box::new(io::RestrictedFs::new(io, options.allowed_roots.clone())) } else { io };
        let mut ev = Evaluator {
            sources: SourceMap::default(),
            options,
            io,
            globals: Vec::new(),
            global_names: HashMap::new(),
            builtins_set: Attrs::default(),
            import_cache: HashMap::new(),
            depth: 0,
            stack_guard: eval::stack_guard_here(),
            steps: 0,
            fuel: None,
            interrupt: None,
            store: store::Store::new(),
            regex_cache: FxHashMap::default(),
            string_literals: FxHashMap::default(),
            traces: Vec::new(),
            trace_sink: None,
            root_env: Env::new(None, 0),
        };
        // File 0 is a placeholder so that a dummy span points somewhere.
        ev.sources.add(Origin::Named("«none»".into()), "".into());
        builtins::install(&mut ev);
        ev
    }

    /// An evaluator over the real filesystem with default options.
    pub fn with_real_fs() -> Evaluator {
        Evaluator::new(Box::new(RealFs), EvalOptions::default())
    }

    /// Stop after `calls` more function calls (for fuzzing and sandboxes).
    pub fn set_fuel(&mut self, calls: Option<u64>) {
        self.fuel = calls;
    }

    /// A hook polled every few thousand calls; returning `true` cancels the
    /// evaluation with [`ErrorKind::Interrupted`].
    pub fn set_interrupt(&mut self, hook: Option<Box<dyn FnMut() -> bool>>) {
        self.interrupt = hook;
    }

    /// Add or replace a global builtin, visible as `builtins.NAME` and, if
    /// `global` is set, as a plain name too. Must be called before code that
    /// uses it is lowered.
    pub fn register_primop(&mut self, op: &'static value::PrimOp, global: bool) {
        builtins::register(self, op.name, Value::PrimOp(op), global);
        builtins::refresh_builtins_set(self);
    }

    /// Add a constant to `builtins` (and optionally the global scope).
    pub fn register_constant(&mut self, name: &str, v: Value, global: bool) {
        builtins::register(self, name, v, global);
        builtins::refresh_builtins_set(self);
    }

    /// Parse and lower a source text; on errors, return them all.
    pub fn parse(
        &mut self,
        origin: Origin,
        text: &str,
    ) -> Result<(FileId, nix2dream_syntax::ir::ExprRef), (FileId, Vec<Diagnostic>)> {
        let base_dir = match &origin {
            Origin::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/")),
            Origin::Named(_) => self.cwd(),
        };
        let file = self.sources.add(origin, text.into());
        let lowered = lower_file(text, file, &base_dir, &self.global_names);
        if lowered.has_errors() {
            return Err((file, lowered.diagnostics));
        }
        Ok((file, lowered.expr))
    }

    fn cwd(&self) -> PathBuf {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
    }

    fn diagnostics_error(&self, diags: &[Diagnostic]) -> EvalError {
        let d = &diags[0];
        let mut msg = d.message.clone();
        if let Some(first) = d.first_definition {
            msg = format!("{} at {}", msg, self.position_text(first));
        }
        EvalError::new(ErrorKind::Syntax, msg, Some(d.span))
    }

    /// Parse and lower a source text; its first error, as an error.
    fn parse_expr(&mut self, origin: Origin, text: &str) -> EvalResult<nix2dream_syntax::ir::ExprRef> {
        match self.parse(origin, text) {
            Ok((_, expr)) => Ok(expr),
            Err((_, diags)) => Err(self.diagnostics_error(&diags)),
        }
    }

    /// Evaluate a source text (like `nix-instantiate -E`) to WHNF.
    pub fn eval_string(&mut self, text: &str, name: &str) -> EvalResult<Value> {
        let expr = self.parse_expr(Origin::Named(name.to_string()), text)?;
        let env = self.root_env.clone();
        self.eval(&expr, &env)
    }

    /// `~/rest`: `$HOME` and the rest as written, not canonicalized (C++
    /// Nix's lexer expands it so: `~/.` is `/root/.`).
    #[inline(never)]
    pub(crate) fn home_path(&self, rest: &str) -> String {
        format!("{}{}", self.io.env_var("HOME").unwrap_or_default(), rest)
    }

    /// Parse a source text now and evaluate it when forced, as C++ Nix makes
    /// `--arg` values: a syntax error is reported at once, an evaluation
    /// error only if the argument is used.
    pub fn lazy_string(&mut self, text: &str, name: &str) -> EvalResult<Value> {
        let expr = self.parse_expr(Origin::Named(name.to_string()), text)?;
        Ok(Value::thunk(expr, self.root_env.clone()))
    }

    /// Parse a source text and print it as `nix-instantiate --parse` does:
    /// the lowered expression, fully parenthesized (see `show`).
    pub fn show_parsed(&mut self, origin: Origin, text: &str) -> EvalResult<String> {
        let expr = self.parse_expr(origin, text)?;
        Ok(show::show_expr(self, &expr))
    }

    /// [`Evaluator::show_parsed`] of a file, found and read as
    /// [`Evaluator::eval_file`] finds and reads it.
    pub fn show_parsed_file(&mut self, path: &Path) -> EvalResult<String> {
        let path = self.resolve_expr_path(&self.absolute(path), None)?;
        let text = self.read_source_file(&path, None)?;
        self.show_parsed(Origin::Path(path), &text)
    }

    /// Evaluate a file (a directory means its `default.nix`), cached per
    /// path as `import` is.
    pub fn eval_file(&mut self, path: &Path) -> EvalResult<Value> {
        let abs = self.absolute(path);
        self.import_path(&abs, None)
    }

    /// `path` from the working directory, canonicalized as Nix does.
    fn absolute(&self, path: &Path) -> PathBuf {
        let abs = if path.is_absolute() { path.to_path_buf() } else { self.cwd().join(path) };
        PathBuf::from(nix2dream_syntax::lower::canonicalize(&abs))
    }

    /// The file `import` reads for `path`, found as C++ Nix's
    /// `resolveExprPath` finds it: symbolic links are followed (each
    /// target taken from the link's directory, without `.` and `..`), and
    /// a directory means its `default.nix`. The path itself is used as
    /// written, so the system resolves its `..` (`/missing/../x` fails).
    pub(crate) fn resolve_expr_path(&self, path: &Path, span: Option<Span>) -> EvalResult<PathBuf> {
        let io_error = |msg: String| EvalError::new(ErrorKind::Io, msg, span);
        let mut path = path.to_path_buf();
        let mut follows = 0;
        loop {
            follows += 1;
            if follows >= 1024 {
                return Err(io_error(format!(
                    "too many symbolic links encountered while traversing the path '{}'",
                    path.display()
                )));
            }
            let t = self
                .io
                .lstat(&path)
                .map_err(|e| io_error(format!("getting status of '{}': {}", path.display(), io_message(&e))))?;
            match t {
                io::FileType::Symlink => {
                    let target = self.io.read_link(&path).map_err(|e| {
                        io_error(format!("reading symbolic link '{}': {}", path.display(), io_message(&e)))
                    })?;
                    let text = path.to_string_lossy();
                    let dir = match text.rfind('/') {
                        Some(0) | None => "/".to_string(),
                        Some(i) => text[..i].to_string(),
                    };
                    let joined =
                        if target.is_absolute() { target } else { Path::new(&format!("{}/", dir)).join(target) };
                    path = PathBuf::from(nix2dream_syntax::lower::canonicalize(&joined));
                }
                io::FileType::Directory => {
                    let file = format!("{}/default.nix", path.to_string_lossy());
                    return Ok(PathBuf::from(nix2dream_syntax::lower::canonicalize(Path::new(&file))));
                }
                _ => return Ok(path),
            }
        }
    }

    /// The text of a Nix file [`Evaluator::resolve_expr_path`] found.
    pub(crate) fn read_source_file(&self, path: &Path, span: Option<Span>) -> EvalResult<String> {
        let bytes =
            self.io.read_file(path).map_err(|e| EvalError::new(ErrorKind::Io, read_file_message(path, &e), span))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `import`: parse, lower and evaluate a file once; later imports of the
    /// same path return the same value. As in C++ Nix, the cache holds the
    /// path as given and the file it resolved to.
    pub fn import_path(&mut self, path: &Path, span: Option<Span>) -> EvalResult<Value> {
        if let Some(v) = self.import_cache.get(path.as_os_str()).cloned() {
            return self.force(&v);
        }
        let resolved = self.resolve_expr_path(path, span)?;
        if let Some(v) = self.import_cache.get(resolved.as_os_str()).cloned() {
            return self.force(&v);
        }
        let text = self.read_source_file(&resolved, span)?;
        let expr = self.parse_expr(Origin::Path(resolved.clone()), &text)?;
        // The file's value is a thunk, so that a file importing itself
        // lazily works and a strict self-import is infinite recursion.
        let env = self.root_env.clone();
        let v = Value::thunk(expr, env);
        if resolved.as_os_str() != path.as_os_str() {
            self.import_cache.insert(path.as_os_str().to_owned(), v.clone());
        }
        self.import_cache.insert(resolved.into_os_string(), v.clone());
        self.force(&v)
    }

    /// Force deeply (`--strict`, `deepSeq`): every list element and
    /// attribute value, recursively.
    pub fn force_deep(&mut self, v: &Value) -> EvalResult<Value> {
        let v = self.force(v)?;
        let mut seen = FxHashSet::default();
        self.force_deep_inner(&v, &mut seen)?;
        Ok(v)
    }

    fn force_deep_inner(&mut self, v: &Value, seen: &mut FxHashSet<usize>) -> EvalResult<()> {
        self.nested(None, |this| {
            let v = this.force(v)?;
            match &v {
                Value::Attrs(a) => {
                    if !seen.insert(a.as_ptr() as usize) {
                        return Ok(());
                    }
                    for e in a.entries() {
                        let name = e.name;
                        this.force_deep_inner(&e.value, seen)
                            .map_err(|err| err.context(e.pos, format!("while evaluating the attribute '{}'", name)))?;
                    }
                }
                Value::List(l) => {
                    if !seen.insert(l.as_ptr() as usize) {
                        return Ok(());
                    }
                    for item in l.iter() {
                        this.force_deep_inner(item, seen)?;
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    /// Call a value with automatic arguments (`--arg`, `--argstr`), as
    /// nix-instantiate does: a function with formals gets the arguments it
    /// names (all of them if it takes `...`), and one without a default
    /// and without an argument is an error; a set with `__functor` is
    /// called through it; anything else is returned as it is.
    pub fn auto_call(&mut self, f: Value, args: &Attrs) -> EvalResult<Value> {
        let f = self.force(&f)?;
        // A set with `__functor` is called as the function it makes.
        if let Value::Attrs(set) = &f {
            if let Some(functor) = set.get(Symbol::FUNCTOR).cloned() {
                let made = self.call_value(&functor, f.clone(), None)?;
                return self.auto_call(made, args);
            }
        }
        let Value::Lambda(c) = &f else { return Ok(f) };
        let nix2dream_syntax::ir::Param::Pattern { formals, ellipsis, .. } = &c.def.param else { return Ok(f) };
        let mut given = Attrs::default();
        if *ellipsis {
            for e in args.entries() {
                given.insert(e.name, e.value.clone(), None);
            }
        } else {
            for formal in formals.iter() {
                match args.get(formal.name) {
                    Some(v) => given.insert(formal.name, v.clone(), None),
                    None if formal.default.is_none() => {
                        let message = format!(
                            "cannot evaluate a function that has an argument without a value ('{}')\n\
                             The file or expression evaluates to a function, so it is called with the \
                             arguments given\nby '--arg' and '--argstr'; every argument without a default \
                             needs one.",
                            formal.name
                        );
                        return Err(EvalError::new(ErrorKind::Type, message, Some(formal.span)));
                    }
                    None => {}
                }
            }
        }
        self.call_value(&f, Value::attrs(given), None)
    }

    /// The position of an error, for rendering: file, line, column.
    pub fn locate(&self, span: Span) -> (String, nix2dream_syntax::LineCol) {
        let file = self.sources.get(span.file);
        (file.origin.display(), file.line_col(span.start))
    }

    /// `FILE:LINE:COLUMN`, as an error report's `at` line names a position
    /// (`«string»:1:2` for `-E`).
    pub(crate) fn location_text(&self, span: Span) -> String {
        let (file, lc) = self.locate(span);
        format!("{}:{}:{}", file, lc.line, lc.column)
    }

    /// `FILE:LINE:COLUMN`, as C++ Nix 2.8 names a position inside a message
    /// (`'f' at FILE:1:9 called without ...`): text given on the command
    /// line or stdin is `(string)` there.
    pub(crate) fn position_text(&self, span: Span) -> String {
        let file = self.sources.get(span.file);
        let lc = file.line_col(span.start);
        match &file.origin {
            Origin::Path(p) => format!("{}:{}:{}", p.display(), lc.line, lc.column),
            Origin::Named(_) => format!("(string):{}:{}", lc.line, lc.column),
        }
    }

    pub(crate) fn trace(&mut self, msg: String) {
        match &mut self.trace_sink {
            Some(sink) => sink(&msg),
            None => self.traces.push(msg),
        }
    }
}

/// An attribute name as C++ Nix shows a symbol in a message (its
/// `printIdentifier`): bare when it is an identifier, else quoted
/// (`builtins.getAttr "a b" {}` says `attribute '"a b"' missing`).
pub(crate) fn symbol_text(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    nix2dream_syntax::write_attr_name(name, &mut out);
    out
}

/// Why an IO operation failed, worded as C++ Nix words it: the C
/// library's `strerror` text, without Rust's " (os error N)".
pub(crate) fn io_message(e: &std::io::Error) -> String {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<io::ReadFailed>()) {
        return io_message(&inner.0);
    }
    if let Some(code) = e.raw_os_error() {
        let text = e.to_string();
        return text.strip_suffix(&format!(" (os error {code})")).unwrap_or(&text).to_string();
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// A failed read of the whole file `path`, as C++ Nix's `readFile` words
/// it: "opening file 'PATH': REASON", or "reading from file: REASON" when
/// the file opened and the read failed (a directory).
pub(crate) fn read_file_message(path: &Path, e: &std::io::Error) -> String {
    if e.get_ref().is_some_and(|i| i.is::<io::ReadFailed>()) {
        format!("reading from file: {}", io_message(e))
    } else {
        format!("opening file '{}': {}", path.display(), io_message(e))
    }
}
