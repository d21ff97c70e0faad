//! What `config`, `render` and `up` share: the deployment file argument,
//! `-I` search path entries, and loading the deployment.

use crate::eval_cmd;
use anyhow::bail;
use nix2dream_core::{load_deployment, LoadError, Loaded};
use std::path::{Path, PathBuf};

/// Loads a deployment; on failure, the error report as the evaluator
/// renders it (Nix errors with their source lines), ready for stderr.
pub fn load(file: &Path, includes: &[String]) -> Result<Loaded, String> {
    let mut ev = eval_cmd::new_evaluator(includes);
    let result = load_deployment(&mut ev, file);
    for trace in ev.traces.drain(..) {
        eprintln!("{}", trace);
    }
    match result {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("warning: {}", warning);
            }
            Ok(loaded)
        }
        Err(LoadError::Eval(e)) => Err(ev.render_error(&e)),
        Err(rejected @ (LoadError::Invalid(_) | LoadError::Module(_))) => Err(format!("{}\n", rejected)),
    }
}

/// Split `-I PATH` / `-IPATH` entries off the arguments.
pub fn take_includes(args: &[String]) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut includes = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-I" || a == "--include" {
            let Some(value) = args.get(i + 1) else { bail!("flag '{}' requires an argument", a) };
            includes.push(value.clone());
            i += 2;
            continue;
        }
        if let Some(value) = a.strip_prefix("-I").filter(|v| !v.is_empty()) {
            includes.push(value.to_string());
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    Ok((includes, rest))
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
