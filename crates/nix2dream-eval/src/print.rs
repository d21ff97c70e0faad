//! Nix's own value printing (`nix-instantiate --eval`) and JSON output.

use crate::error::{EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::FxHashSet;
use nix2dream_syntax::{write_attr_name, write_quoted, Span, Symbol};
use std::fmt::Write;

/// Print `v` as `nix-instantiate --eval` does. With `strict`, nested values
/// are forced; without it, unevaluated ones print as `<CODE>`.
pub fn print_value(ev: &mut Evaluator, v: &Value, strict: bool) -> EvalResult<String> {
    let mut out = String::new();
    let mut seen = FxHashSet::default();
    print_inner(ev, v, strict, &mut out, &mut seen)?;
    Ok(out)
}

fn print_inner(
    ev: &mut Evaluator,
    v: &Value,
    strict: bool,
    out: &mut String,
    seen: &mut FxHashSet<usize>,
) -> EvalResult<()> {
    ev.nested(None, |ev| {
        // The slot the value is printed from: C++ Nix 2.8 keeps lists of up
        // to two elements inside the value itself, so two slots holding
        // copies of a short list are two lists to it, never «repeated».
        let slot = match v {
            Value::Thunk(t) => Some(Shared::as_ptr(t) as usize),
            _ => None,
        };
        let v = match v {
            Value::Thunk(t) if !strict => match t.done() {
                Some(v) => v,
                _ => {
                    out.push_str("<CODE>");
                    return Ok(());
                }
            },
            other => ev.force(other)?,
        };
        match &v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{}", i);
            }
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::String(s) => print_string(s.as_str(), out),
            Value::Path(p) => out.push_str(p),
            Value::Attrs(a) => {
                if a.is_empty() {
                    out.push_str("{ }");
                    return Ok(());
                }
                // Anything printed before prints as «repeated» afterwards.
                if !seen.insert(a.as_ptr() as usize) {
                    out.push_str("«repeated»");
                    return Ok(());
                }
                out.push_str("{ ");
                for e in a.sorted_by_name() {
                    write_attr_name(e.name.as_str(), out);
                    out.push_str(" = ");
                    print_inner(ev, &e.value, strict, out, seen)?;
                    out.push_str("; ");
                }
                out.push('}');
            }
            Value::List(l) => {
                if l.is_empty() {
                    out.push_str("[ ]");
                    return Ok(());
                }
                let key = match slot {
                    Some(slot) if l.len() <= 2 => slot,
                    _ => l.as_ptr() as usize,
                };
                if !seen.insert(key) {
                    out.push_str("«repeated»");
                    return Ok(());
                }
                out.push_str("[ ");
                for item in l.iter() {
                    print_inner(ev, item, strict, out, seen)?;
                    out.push(' ');
                }
                out.push(']');
            }
            Value::Lambda(_) => out.push_str("<LAMBDA>"),
            Value::PrimOp(op) if op.lambda => out.push_str("<LAMBDA>"),
            Value::PrimOpApp(app) if app.op.lambda => out.push_str("<LAMBDA>"),
            Value::PrimOp(_) => out.push_str("<PRIMOP>"),
            Value::PrimOpApp(_) => out.push_str("<PRIMOP-APP>"),
            Value::Thunk(_) => out.push_str("<CODE>"),
        }
        Ok(())
    })
}

/// A Nix string literal with the escapes C++ Nix prints.
pub fn print_string(s: &str, out: &mut String) {
    write_quoted(s, false, out);
}

/// A float as C++'s `ostream << double` prints it: `%g` with six
/// significant digits.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    const P: i32 = 6;
    // The exponent after rounding to P significant digits decides the style.
    let sci = format!("{:.*e}", (P - 1) as usize, f);
    let (mantissa, exp) = sci.split_once('e').expect("exponent format");
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..P).contains(&exp) {
        let m = trim_zeros(mantissa);
        format!("{}e{}{:02}", m, if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (P - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, f)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `builtins.toJSON` and `--json`: strict, sorted keys, `outPath` and
/// `__toString` sets as strings, paths copied to the store.
pub fn write_json(ev: &mut Evaluator, v: &Value, span: Span, out: &mut String, ctx: &mut Context) -> EvalResult<()> {
    ev.nested(Some(span), |ev| {
        let v = ev.force(v)?;
        match &v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{}", i);
            }
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::String(s) => {
                json_string(s.as_str(), out);
                ctx.extend(s.context().iter().cloned());
            }
            Value::Path(p) => {
                let store_path = ev.copy_path_to_store(p, span)?;
                json_string(&store_path, out);
                ctx.insert(store_path.into());
            }
            Value::List(l) => {
                out.push('[');
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json(ev, item, span, out, ctx)?;
                }
                out.push(']');
            }
            Value::Attrs(a) => {
                if a.contains(Symbol::TO_STRING) {
                    // As C++ Nix's `tryAttrsToString`: a path it returns is
                    // not copied to the store.
                    let (s, c) = ev.coerce_to_string(&v, span, false, false)?;
                    json_string(&s, out);
                    ctx.extend(c);
                    return Ok(());
                }
                // C++ Nix hands an attribute's own position down as the one
                // to report errors at (for outPath too).
                if let Some(p) = a.get_entry(Symbol::OUT_PATH).map(|e| (e.value.clone(), e.pos)) {
                    return write_json(ev, &p.0, p.1.unwrap_or(span), out, ctx);
                }
                out.push('{');
                for (i, e) in a.sorted_by_name().into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(e.name.as_str(), out);
                    out.push(':');
                    let name = e.name;
                    write_json(ev, &e.value, e.pos.unwrap_or(span), out, ctx)
                        .map_err(|err| err.context(e.pos, format!("while evaluating attribute '{}'", name)))?;
                }
                out.push('}');
            }
            other => {
                let at = other.pos_or(span);
                return Err(EvalError::type_error(format!("cannot convert {} to JSON", other.type_desc()), at));
            }
        }
        Ok(())
    })
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
