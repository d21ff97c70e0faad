//! `nix2dream options [--json]`: every option of a deployment, with its
//! type, default, description and where it is declared, as Markdown or as
//! JSON (an object keyed by option name, like NixOS's `options.json`).

use crate::eval_cmd::{new_evaluator, EMBEDDED_ROOT};
use anyhow::{bail, Context as _};
use nix2dream_eval::print;
use serde_json::{Map, Value as Json};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let (includes, rest) = crate::deployment_args::take_includes(args)?;
    let mut json = false;
    for a in &rest {
        match a.as_str() {
            "--json" => json = true,
            other => bail!("unexpected argument '{}' (nix2dream options [--json])", other),
        }
    }
    let mut ev = new_evaluator(&includes);
    let docs = match ev.eval_string("(import <nix2dream>).optionsDocs", "«nix2dream options»").and_then(|v| {
        let mut out = String::new();
        let span = nix2dream_syntax::Span::new(nix2dream_syntax::FileId(0), 0, 0);
        print::write_json(&mut ev, &v, span, &mut out, &mut Default::default()).map(|_| out)
    }) {
        Ok(text) => text,
        Err(e) => {
            eprint!("{}", ev.render_error(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let docs: Vec<Json> = serde_json::from_str(&docs).context("reading the options documentation")?;
    let options = documented(docs);
    let text = if json {
        serde_json::to_string_pretty(&Json::Object(options))? + "\n"
    } else {
        markdown(&options)
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The visible, non-internal options by name, with declarations shown as
/// `<nix2dream/...>` paths instead of where the binary mounts its modules.
fn documented(docs: Vec<Json>) -> Map<String, Json> {
    let mut options = Map::new();
    for mut doc in docs {
        let visible = doc.get("visible").and_then(Json::as_bool).unwrap_or(true);
        let internal = doc.get("internal").and_then(Json::as_bool).unwrap_or(false);
        let Some(name) = doc.get("name").and_then(Json::as_str).map(str::to_string) else { continue };
        if !visible || internal || name.starts_with("_module") {
            continue;
        }
        if let Some(Json::Array(declarations)) = doc.get_mut("declarations") {
            for d in declarations.iter_mut() {
                if let Some(path) = d.as_str() {
                    if let Some(rest) = path.strip_prefix(EMBEDDED_ROOT) {
                        *d = Json::String(format!("<nix2dream{}>", rest));
                    }
                }
            }
        }
        if let Json::Object(fields) = &mut doc {
            for key in ["name", "visible", "internal", "loc"] {
                fields.remove(key);
            }
        }
        options.insert(name, doc);
    }
    options
}

fn literal(value: Option<&Json>) -> Option<String> {
    let value = value?;
    Some(match value.get("text").and_then(Json::as_str) {
        Some(text) => text.to_string(),
        None => value.to_string(),
    })
}

fn markdown(options: &Map<String, Json>) -> String {
    let mut out = String::from("# nix2dream deployment options\n");
    for (name, doc) in options {
        let _ = write!(out, "\n## `{}`\n\n", name);
        if let Some(description) = doc.get("description").and_then(Json::as_str) {
            let _ = write!(out, "{}\n\n", description.trim());
        }
        if let Some(ty) = doc.get("type").and_then(Json::as_str) {
            let _ = writeln!(out, "*Type:* {}", ty);
        }
        for (label, key) in [("Default", "default"), ("Example", "example")] {
            if let Some(text) = literal(doc.get(key)) {
                if text.contains('\n') {
                    let _ = write!(out, "\n*{}:*\n```nix\n{}\n```\n", label, text.trim_end());
                } else {
                    let _ = writeln!(out, "\n*{}:* `{}`", label, text);
                }
            }
        }
        if doc.get("readOnly").and_then(Json::as_bool) == Some(true) {
            let _ = writeln!(out, "\n*Read only.*");
        }
        if let Some(Json::Array(declarations)) = doc.get("declarations") {
            let list: Vec<String> = declarations.iter().filter_map(Json::as_str).map(|d| format!("`{}`", d)).collect();
            if !list.is_empty() {
                let _ = writeln!(out, "\n*Declared by:* {}", list.join(", "));
            }
        }
    }
    out
}
