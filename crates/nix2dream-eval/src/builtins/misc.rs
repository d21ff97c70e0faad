//! `scopedImport`, `currentTime`, and current Nix's `break` and
//! `traceVerbose`.

use super::primop;
use crate::error::EvalResult;
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Origin, Span, Symbol};
use std::path::{Path, PathBuf};

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("scopedImport", 2, scoped_import),
    primop!("break", 1, |ev, args, _| ev.force(&args[0])),
    // Without `--trace-verbose`, C++ Nix makes this "return the second
    // argument".
    primop!("traceVerbose", 2, |ev, args, _| ev.force(&args[1])),
];

/// What `builtins.currentTime` is in pure mode: fixed, so that sandboxed
/// and CI evaluations are reproducible (C++ Nix's pure mode removes the
/// builtin instead; code that probes `builtins ? currentTime` still works).
pub const PURE_CURRENT_TIME: i64 = 0;

/// Constants of this module: `currentTime`.
pub(crate) fn install_constants(ev: &mut Evaluator) {
    let now = if ev.options.pure {
        PURE_CURRENT_TIME
    } else {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    };
    super::register(ev, "currentTime", Value::Int(now), false);
}

/// `scopedImport attrs path`: evaluate the file (not cached) with the
/// attributes of `attrs` in scope; they shadow even the global builtins.
fn scoped_import(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let path = super::control::value_to_path(ev, &args[1], span)?;
    let scope = ev.expect_attrs(&args[0], span)?;
    // Found and read as `import` finds and reads a file (a directory
    // without `default.nix` fails on opening that file).
    let path = ev.resolve_expr_path(&path, Some(span))?;
    let text = ev.read_source_file(&path, Some(span))?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
    let names: Vec<Symbol> = scope.entries().iter().map(|e| e.name).collect();
    let values: Vec<Value> = scope.entries().iter().map(|e| e.value.clone()).collect();
    let file = ev.sources.add(Origin::Path(path.clone()), text.clone().into());
    let lowered = nix2dream_syntax::lower_file_scoped(&text, file, &base_dir, &ev.global_names, &names);
    if lowered.has_errors() {
        return Err(ev.diagnostics_error(&lowered.diagnostics));
    }
    let env = Env::with_values(Some(ev.root_env.clone()), values);
    ev.eval(&lowered.expr, &env)
}
