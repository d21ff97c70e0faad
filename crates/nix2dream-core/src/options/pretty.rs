//! Values as Nix code, laid out exactly as
//! `lib.generators.toPretty { multiline = true; allowPrettyValues = true; }`
//! lays them out: how option documentation shows a default or an example
//! that is a plain value rather than a literal.

use nix2dream_eval::print::format_float;
use nix2dream_eval::AttrSet;
use nix2dream_eval::{ErrorKind, EvalError, EvalResult, Evaluator, Value};
use nix2dream_syntax::ir::Param;
use nix2dream_syntax::Symbol;
use std::fmt::Write as _;

/// Deeper values are refused: every level indents its lines further, so
/// the text of a value that contains itself would grow without bound.
const MAX_NESTING: usize = 1000;

const NIX_KEYWORDS: [&str; 10] = ["assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"];

pub(crate) fn to_pretty(ev: &mut Evaluator, value: &Value) -> EvalResult<String> {
    let mut out = String::new();
    write_value(ev, value, 0, &mut out)?;
    Ok(out)
}

/// An attribute name as Nix code (`lib.escapeNixIdentifier`): as it is if
/// it is an identifier and not a keyword, else a string literal.
pub fn escape_nix_identifier(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !NIX_KEYWORDS.contains(&name);
    if identifier {
        name.to_string()
    } else {
        // `lib.escapeNixString`: the JSON string, with every `$` escaped.
        serde_json::Value::String(name.to_string()).to_string().replace('$', "\\$")
    }
}

/// `go` in `toPretty`, at `depth` levels of nesting (two spaces each).
fn write_value(ev: &mut Evaluator, value: &Value, depth: usize, out: &mut String) -> EvalResult<()> {
    if depth > MAX_NESTING {
        return Err(EvalError::new(
            ErrorKind::Other,
            format!("the value is nested more than {} levels deep, too deep to show", MAX_NESTING),
            None,
        ));
    }
    ev.nested(None, |ev| {
        let value = ev.force(value)?;
        match &value {
            Value::Int(i) => {
                let _ = write!(out, "{}", i);
            }
            // `builtins.toJSON`, which prints floats as C++ streams do.
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::String(s) => write_string(s.as_str(), depth, out),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Null => out.push_str("null"),
            Value::Path(path) => out.push_str(path),
            Value::List(items) if items.is_empty() => out.push_str("[ ]"),
            Value::List(items) => {
                out.push('[');
                for item in items.iter() {
                    line_break(depth + 1, out);
                    write_value(ev, item, depth + 1, out)?;
                }
                line_break(depth, out);
                out.push(']');
            }
            Value::Attrs(attrs) => match function_args(ev, &value)? {
                Some(args) => write_function(args, out),
                None => write_attrs(ev, attrs, depth, out)?,
            },
            // Functions (forcing never leaves a thunk).
            _ => write_function(function_args(ev, &value)?.unwrap_or_default(), out),
        }
        Ok(())
    })
}

fn write_function(args: Vec<(String, bool)>, out: &mut String) {
    if args.is_empty() {
        out.push_str("<function>");
        return;
    }
    let shown: Vec<String> =
        args.into_iter().map(|(name, has_default)| if has_default { name + "?" } else { name }).collect();
    let _ = write!(out, "<function, args: {{{}}}>", shown.join(", "));
}

fn write_attrs(ev: &mut Evaluator, attrs: &AttrSet, depth: usize, out: &mut String) -> EvalResult<()> {
    // A value that shows itself (`allowPrettyValues`): `v.__pretty v.val`.
    if let (Some(pretty), Some(val)) = (attr(attrs, "__pretty"), attr(attrs, "val")) {
        let shown = ev.call_value(&pretty, val, None)?;
        out.push_str(&string(ev, &shown)?);
        return Ok(());
    }
    if attrs.is_empty() {
        out.push_str("{ }");
        return Ok(());
    }
    if let Some(ty) = attr(attrs, "type") {
        if matches!(ev.force(&ty)?, Value::String(s) if s.as_str() == "derivation") {
            let name = match attr(attrs, "name") {
                Some(name) => string(ev, &name)?,
                None => "???".to_string(),
            };
            let _ = write!(out, "<derivation {}>", name);
            return Ok(());
        }
    }
    out.push('{');
    for entry in attrs.sorted_by_name() {
        let name = entry.name.as_str();
        line_break(depth + 1, out);
        out.push_str(&escape_nix_identifier(name));
        out.push_str(" = ");
        write_value(ev, &entry.value, depth + 1, out)
            .map_err(|e| e.context(entry.pos, format!("while evaluating an attribute `{}`", name)))?;
        out.push(';');
    }
    line_break(depth, out);
    out.push('}');
    Ok(())
}

/// A string on one line as a `"…"` literal, else as an indented `''…''`
/// literal with one line of text per line of code.
fn write_string(text: &str, depth: usize, out: &mut String) {
    let lines: Vec<&str> = text.split('\n').collect();
    match lines.split_last() {
        Some((last, init)) if !init.is_empty() => {
            const MULTI_LINE_ESCAPES: &[(&str, &str)] = &[("${", "''${"), ("''", "'''")];
            out.push_str("''");
            for line in init {
                line_break(depth + 1, out);
                replace_all(line, MULTI_LINE_ESCAPES, out);
            }
            if last.is_empty() {
                line_break(depth, out);
            } else {
                line_break(depth + 1, out);
                replace_all(last, MULTI_LINE_ESCAPES, out);
            }
            out.push_str("''");
        }
        _ => {
            out.push('"');
            replace_all(text, &[("\\", "\\\\"), ("\"", "\\\""), ("${", "\\${")], out);
            out.push('"');
        }
    }
}

/// `builtins.replaceStrings`: at each position the first pattern that
/// matches is replaced, and scanning continues after it.
fn replace_all(text: &str, replacements: &[(&str, &str)], out: &mut String) {
    let mut rest = text;
    'scan: while let Some(c) = rest.chars().next() {
        for (from, to) in replacements {
            if let Some(after) = rest.strip_prefix(from) {
                out.push_str(to);
                rest = after;
                continue 'scan;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
}

/// A new line indented for `depth` levels.
fn line_break(depth: usize, out: &mut String) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

/// `lib.functionArgs` of a value `lib.isFunction` accepts (a function, or a
/// set whose `__functor` applied to the set is one), sorted by name, each
/// with whether it has a default; `None` for every other value.
fn function_args(ev: &mut Evaluator, value: &Value) -> EvalResult<Option<Vec<(String, bool)>>> {
    match value {
        Value::Lambda(closure) => {
            let mut args: Vec<(String, bool)> = match &closure.def.param {
                Param::Ident(_) => Vec::new(),
                Param::Pattern { formals, .. } => {
                    formals.iter().map(|f| (f.name.as_str().to_string(), f.default.is_some())).collect()
                }
            };
            args.sort();
            Ok(Some(args))
        }
        Value::PrimOp(_) | Value::PrimOpApp(_) => Ok(Some(Vec::new())),
        Value::Attrs(attrs) => {
            let Some(functor) = attr(attrs, "__functor") else { return Ok(None) };
            let applied = ev.call_value(&functor, value.clone(), None)?;
            let applied = ev.force(&applied)?;
            let Some(args) = function_args(ev, &applied)? else { return Ok(None) };
            match attr(attrs, "__functionArgs") {
                Some(declared) => declared_args(ev, &declared).map(Some),
                None => Ok(Some(args)),
            }
        }
        _ => Ok(None),
    }
}

/// A `__functionArgs` set (`lib.setFunctionArgs`): name to has-a-default.
fn declared_args(ev: &mut Evaluator, declared: &Value) -> EvalResult<Vec<(String, bool)>> {
    let Value::Attrs(declared) = ev.force(declared)? else {
        return Err(EvalError::new(ErrorKind::Type, "expected `__functionArgs' to be a set", None));
    };
    let mut args = Vec::new();
    for entry in declared.sorted_by_name() {
        match ev.force(&entry.value)? {
            Value::Bool(has_default) => args.push((entry.name.as_str().to_string(), has_default)),
            other => {
                return Err(EvalError::new(
                    ErrorKind::Type,
                    format!("expected a Boolean in `__functionArgs', but the value is {}", other.type_desc()),
                    None,
                ))
            }
        }
    }
    Ok(args)
}

fn attr(attrs: &AttrSet, name: &str) -> Option<Value> {
    attrs.get(Symbol::intern(name)).cloned()
}

fn string(ev: &mut Evaluator, value: &Value) -> EvalResult<String> {
    match ev.force(value)? {
        Value::String(s) => Ok(s.as_str().to_string()),
        other => Err(EvalError::new(
            ErrorKind::Type,
            format!("expected a string, but the value is {}", other.type_desc()),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_stay_and_other_names_become_strings() {
        assert_eq!(escape_nix_identifier("a-b_c'"), "a-b_c'");
        assert_eq!(escape_nix_identifier("let"), "\"let\"");
        assert_eq!(escape_nix_identifier("1a"), "\"1a\"");
        assert_eq!(escape_nix_identifier(""), "\"\"");
        assert_eq!(escape_nix_identifier("a b"), "\"a b\"");
        assert_eq!(escape_nix_identifier("$x\n\"${y}\""), "\"\\$x\\n\\\"\\${y}\\\"\"");
    }

    #[test]
    fn replacements_apply_left_to_right_without_rescanning() {
        let mut out = String::new();
        replace_all("'''${x}''", &[("${", "''${"), ("''", "'''")], &mut out);
        assert_eq!(out, "''''''${x}'''");
    }
}
