//! Evaluate a deployment file into a checked [`Deployment`].

use crate::extract;
use crate::locate::{definition_files, locate, locate_in_files, LocateContext};
use crate::model::Deployment;
use crate::problem::{LoadError, ModuleError, Problem};
use crate::read::{Node, Reader};
use crate::validate;
use nix2dream_eval::{EvalError, Evaluator};
use std::path::Path;

/// A deployment with the warnings its modules raised.
#[derive(Debug)]
pub struct Loaded {
    pub deployment: Deployment,
    pub warnings: Vec<String>,
}

/// Evaluate `file` with nix2dream's deployment module (`<nix2dream>` must
/// resolve, as it does in the CLI's evaluator) and check the result. The
/// native module system is installed into `ev` first, so an embedder's
/// evaluator is as fast as the CLI's.
pub fn load_deployment(ev: &mut Evaluator, file: &Path) -> Result<Loaded, LoadError> {
    nix2dream_modules::install(ev);
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let expr = format!(
        "let n2d = import <nix2dream>; in {{ inherit (n2d) lib; evaluated = n2d.evalDeployment (/. + {}); }}",
        nix_string(&absolute.to_string_lossy())
    );
    let top = Node::new(Vec::new(), ev.eval_string(&expr, "«nix2dream deployment»").map_err(LoadError::Eval)?);
    let mut reader = Reader { ev };
    let lib = reader.attr(&top, "lib")?.value;
    let evaluated = reader.attr(&top, "evaluated")?;
    let config = Node::new(Vec::new(), reader.attr(&evaluated, "config")?.value);
    let context = LocateContext { config: &config, lib: &lib };
    let deployment = match extract::deployment(&mut reader, &config) {
        Ok(d) => d,
        Err(LoadError::Eval(err)) => return Err(explain(reader.ev, &context, &absolute, err)),
        Err(LoadError::Invalid(problems)) => {
            let problems = problems
                .into_iter()
                .map(|p| {
                    let at: Vec<String> = p.option.split('.').map(str::to_string).collect();
                    with_location(reader.ev, &context, p, &at)
                })
                .collect();
            return Err(LoadError::Invalid(problems));
        }
        Err(e) => return Err(e),
    };
    let findings = validate::check(&deployment);
    if !findings.is_empty() {
        let problems =
            findings.into_iter().map(|f| with_location(reader.ev, &context, f.problem, &f.defined_at)).collect();
        return Err(LoadError::Invalid(problems));
    }
    let warnings = deployment.services.values().flat_map(|s| s.warnings.iter().cloned()).collect();
    Ok(Loaded { deployment, warnings })
}

fn with_location(ev: &mut Evaluator, context: &LocateContext, mut problem: Problem, defined_at: &[String]) -> Problem {
    if problem.location.is_none() {
        problem.location = locate(ev, context, defined_at);
    }
    problem
}

/// An error the module system threw about an option becomes
/// [`LoadError::Module`], pointing at the definition in the deployment's
/// files instead of at the `throw` inside the module system. Other errors
/// (a mistake in the deployment's own Nix code) stay as they are, with
/// their position and trace.
fn explain(ev: &mut Evaluator, context: &LocateContext, deployment_file: &Path, err: EvalError) -> LoadError {
    let Some(option) = quoted_after(err.message(), "option `").into_iter().next() else {
        return LoadError::Eval(err);
    };
    let thrown_by_module_system = err.span().is_some_and(|span| {
        let (file, _) = ev.locate(span);
        file.contains("/modules/lib/")
    });
    if !thrown_by_module_system {
        return LoadError::Eval(err);
    }
    let path = option_path(&option);
    let mut files: Vec<String> = quoted_after(err.message(), "In `");
    files.retain(|f| Path::new(f).is_file());
    if files.is_empty() {
        files = definition_files(ev, context.config, &path).unwrap_or_default();
    }
    if files.is_empty() {
        files.push(deployment_file.to_string_lossy().into_owned());
    }
    let location = locate_in_files(ev, context, &files, &path);
    // The one value every service needs, and several options can give.
    let hint = (path.len() == 4 && path[0] == "services" && path[2..] == ["service", "mainProgram"]).then(|| {
        "A service needs a program: set `process.argv`, `service.package` or `service.mainProgram`.".to_string()
    });
    LoadError::Module(Box::new(ModuleError { message: err.message().to_string(), option, location, hint }))
}

/// Every text between `opening` and the next `'` (how the module system
/// quotes option paths and files).
fn quoted_after(text: &str, opening: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(opening) {
        rest = &rest[start + opening.len()..];
        match rest.find('\'') {
            Some(end) => {
                found.push(rest[..end].to_string());
                rest = &rest[end..];
            }
            None => break,
        }
    }
    found
}

/// `services."my.site".port` to its attribute names.
fn option_path(shown: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in shown.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    parts.push(current);
    parts
}

/// A Nix string literal with the given contents.
pub fn nix_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    nix2dream_syntax::write_quoted(text, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_paths_split_on_dots_outside_quotes() {
        assert_eq!(option_path("services.a.replicas"), ["services", "a", "replicas"]);
        assert_eq!(option_path("services.\"my.site\".ports"), ["services", "my.site", "ports"]);
    }

    #[test]
    fn quoted_texts_are_found_in_order() {
        let message = "The option `a.b' does not exist. Definition values:\n- In `/x.nix': 1\n- In `/y.nix': 2";
        assert_eq!(quoted_after(message, "In `"), ["/x.nix", "/y.nix"]);
        assert_eq!(quoted_after(message, "option `"), ["a.b"]);
    }
}
