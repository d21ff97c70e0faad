//! `nix2dream options [--json]`: every option of a deployment, with its
//! type, default, description and where it is declared, as Markdown or as
//! JSON (an object keyed by option name, like NixOS's `options.json`).

use crate::eval_cmd::{new_evaluator, EMBEDDED_ROOT};
use anyhow::{bail, Context as _};
use nix2dream_core::options::{deployment_option_docs, Literal, LiteralKind, OptionDoc};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    // Errors here are in the option declarations, not a user's
    // deployment: they are always reported with their whole trace.
    let (flags, rest) = crate::deployment_args::take_evaluation_flags(args)?;
    let mut json = false;
    for a in &rest {
        match a.as_str() {
            "--json" => json = true,
            other => bail!("unexpected argument '{}' (nix2dream options [--json])", other),
        }
    }
    let mut ev = new_evaluator(&flags.includes);
    let docs = match deployment_option_docs(&mut ev) {
        Ok(docs) => docs,
        Err(e) => {
            eprint!("{}", ev.render_error(&e));
            return Ok(ExitCode::from(1));
        }
    };
    let options = documented(docs);
    let text = if json {
        let by_name: BTreeMap<&str, &OptionDoc> = options.iter().map(|(name, doc)| (name.as_str(), doc)).collect();
        serde_json::to_string_pretty(&by_name)? + "\n"
    } else {
        markdown(&options)
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The options documentation for users lists, by name (the module
/// system's `_module` options left out), with declarations in the
/// embedded modules shown as `<nix2dream/...>` instead of where the binary
/// mounts them.
fn documented(docs: Vec<OptionDoc>) -> BTreeMap<String, OptionDoc> {
    docs.into_iter()
        .filter(|doc| doc.is_documented() && doc.loc.first().is_none_or(|first| first != "_module"))
        .map(|mut doc| {
            for declaration in &mut doc.declarations {
                if let Some(rest) = declaration.file.strip_prefix(EMBEDDED_ROOT) {
                    declaration.file = format!("<nix2dream{}>", rest);
                }
            }
            (doc.name.clone(), doc)
        })
        .collect()
}

fn markdown(options: &BTreeMap<String, OptionDoc>) -> String {
    let mut out = String::from("# nix2dream deployment options\n");
    for (name, doc) in options {
        let _ = write!(out, "\n## `{}`\n\n", name);
        if let Some(description) = &doc.description {
            let _ = write!(out, "{}\n\n", description.trim());
        }
        let _ = writeln!(out, "*Type:* {}", doc.type_description);
        for (label, literal) in [("Default", &doc.default), ("Example", &doc.example)] {
            if let Some(literal) = literal {
                write_literal(&mut out, label, literal);
            }
        }
        if doc.read_only {
            let _ = writeln!(out, "\n*Read only.*");
        }
        if !doc.declarations.is_empty() {
            let list: Vec<String> = doc.declarations.iter().map(|d| format!("`{}`", d)).collect();
            let _ = writeln!(out, "\n*Declared by:* {}", list.join(", "));
        }
    }
    out
}

/// Code inline or in a `nix` block; prose (`literalMD`) as it is.
fn write_literal(out: &mut String, label: &str, literal: &Literal) {
    let text = &literal.text;
    let _ = match (literal.kind, text.contains('\n')) {
        (LiteralKind::Expression, false) => writeln!(out, "\n*{}:* `{}`", label, text),
        (LiteralKind::Expression, true) => write!(out, "\n*{}:*\n```nix\n{}\n```\n", label, text.trim_end()),
        (LiteralKind::Markdown, false) => writeln!(out, "\n*{}:* {}", label, text),
        (LiteralKind::Markdown, true) => write!(out, "\n*{}:*\n\n{}\n", label, text.trim_end()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix2dream_core::options::{Declaration, Visibility};

    fn option(name: &str) -> OptionDoc {
        OptionDoc {
            loc: name.split('.').map(str::to_string).collect(),
            name: name.to_string(),
            type_description: "string".to_string(),
            description: Some("What it is.\n".to_string()),
            default: None,
            example: None,
            read_only: false,
            internal: false,
            visibility: Visibility::Visible,
            declarations: Vec::new(),
        }
    }

    fn code(text: &str) -> Option<Literal> {
        Some(Literal { kind: LiteralKind::Expression, text: text.to_string() })
    }

    #[test]
    fn markdown_shows_code_as_code_prose_as_prose_and_each_declaration_where_known() {
        let mut a = option("a");
        a.default = code("\"x\"");
        a.example = Some(Literal { kind: LiteralKind::Markdown, text: "Any *name*.".to_string() });
        a.read_only = true;
        a.declarations = vec![
            Declaration { file: format!("{}/core/a.nix", EMBEDDED_ROOT), line: Some(3), column: Some(5) },
            Declaration { file: "/elsewhere/b.nix".to_string(), line: None, column: None },
        ];
        let mut b = option("b");
        b.description = None;
        b.default = code("[\n  1\n]");
        let mut internal = option("c");
        internal.internal = true;
        let module_system = option("_module.args");

        let shown = markdown(&documented(vec![a, b, internal, module_system]));
        assert_eq!(
            shown,
            "# nix2dream deployment options\n\
             \n## `a`\n\nWhat it is.\n\n*Type:* string\n\
             \n*Default:* `\"x\"`\n\
             \n*Example:* Any *name*.\n\
             \n*Read only.*\n\
             \n*Declared by:* `<nix2dream/core/a.nix>:3:5`, `/elsewhere/b.nix`\n\
             \n## `b`\n\n*Type:* string\n\
             \n*Default:*\n```nix\n[\n  1\n]\n```\n"
        );
    }
}
