//! What `config`, `render` and `up` share: the deployment file argument,
//! the evaluation flags (`-I` search path entries, `--show-trace`), and
//! loading the deployment.

use crate::eval_cmd::{self, EMBEDDED_ROOT};
use anyhow::bail;
use nix2dream_core::{load_deployment, LoadError, Loaded};
use nix2dream_eval::{EvalError, Evaluator, TraceFrame};
use nix2dream_syntax::{Origin, Span};
use std::path::{Path, PathBuf};

/// How a deployment is evaluated and its errors reported.
#[derive(Default)]
pub struct EvaluationFlags {
    /// `-I [NAME=]PATH` entries, in order.
    pub includes: Vec<String>,
    /// Report an evaluation error with its whole trace, the module
    /// system's own frames included.
    pub show_trace: bool,
}

/// Loads a deployment; on failure, the error report as the evaluator
/// renders it (Nix errors with their source lines), ready for stderr.
pub fn load(file: &Path, flags: &EvaluationFlags) -> Result<Loaded, String> {
    let mut ev = eval_cmd::new_evaluator(&flags.includes);
    let result = load_deployment(&mut ev, file);
    match result {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("warning: {}", warning);
            }
            Ok(loaded)
        }
        Err(LoadError::Eval(e)) if flags.show_trace => Err(ev.render_error(&e)),
        Err(LoadError::Eval(e)) => {
            let (e, shortened) = for_deployment_authors(&ev, e, &module_roots(&flags.includes));
            let mut report = ev.render_error(&e);
            if shortened {
                report.push_str("(use '--show-trace' to see the module system's own frames)\n");
            }
            Err(report)
        }
        Err(rejected @ (LoadError::Invalid(_) | LoadError::Module(_))) => Err(format!("{}\n", rejected)),
    }
}

/// An evaluation error as the author of a deployment needs it. The
/// module system's frames say nothing to them: a frame of one of its
/// native builtins (`while calling the '«modules: ...»' builtin`) goes,
/// and a frame inside nix2dream's own modules keeps its message (which
/// option, which file's definitions) but not the code of ours it points
/// at. Frames that say the same thing twice in a row are shown once.
/// The message and its position stay as they are. Also says whether
/// anything was left out.
fn for_deployment_authors(ev: &Evaluator, mut err: EvalError, module_roots: &[PathBuf]) -> (EvalError, bool) {
    let ours = |span: Span| match &ev.sources.get(span.file).origin {
        Origin::Path(p) => module_roots.iter().any(|root| p.starts_with(root)),
        Origin::Named(_) => false,
    };
    let mut shortened = false;
    let mut kept: Vec<TraceFrame> = Vec::new();
    for mut frame in std::mem::take(&mut err.0.trace) {
        if frame.message.starts_with("while calling the '«") {
            shortened = true;
            continue;
        }
        if frame.span.is_some_and(ours) {
            frame.span = None;
            shortened = true;
        }
        if kept.last() != Some(&frame) {
            kept.push(frame);
        }
    }
    err.0.trace = kept;
    (err, shortened)
}

/// Where nix2dream's own modules are read from: the copy built into the
/// binary, and a `-I nix2dream=PATH` checkout.
fn module_roots(includes: &[String]) -> Vec<PathBuf> {
    let mut roots = vec![PathBuf::from(EMBEDDED_ROOT)];
    for entry in includes {
        if let Some(path) = entry.strip_prefix("nix2dream=") {
            let path = PathBuf::from(path);
            roots.push(path.canonicalize().unwrap_or(path));
        }
    }
    roots
}

/// Split the evaluation flags (`-I PATH`, `-IPATH`, `--show-trace`) off
/// the arguments.
pub fn take_evaluation_flags(args: &[String]) -> anyhow::Result<(EvaluationFlags, Vec<String>)> {
    let mut flags = EvaluationFlags::default();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-I" || a == "--include" {
            let Some(value) = args.get(i + 1) else { bail!("flag '{}' requires an argument", a) };
            flags.includes.push(value.clone());
            i += 2;
            continue;
        }
        if a == "--show-trace" {
            flags.show_trace = true;
        } else if let Some(value) = a.strip_prefix("-I").filter(|v| !v.is_empty()) {
            flags.includes.push(value.to_string());
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    Ok((flags, rest))
}

/// The one positional argument: the deployment file (a directory means its
/// `default.nix`).
pub fn deployment_file(positional: &[String], command: &str) -> anyhow::Result<PathBuf> {
    match positional {
        [file] => {
            let path = PathBuf::from(file);
            let path = if path.is_dir() { path.join("default.nix") } else { path };
            if !path.exists() {
                bail!("deployment file '{}' does not exist", path.display());
            }
            Ok(path)
        }
        [] => bail!("usage: nix2dream {} DEPLOYMENT.nix (the deployment file is missing)", command),
        [_, extra, ..] => bail!("unexpected argument '{}' (nix2dream {} takes one deployment file)", extra, command),
    }
}
