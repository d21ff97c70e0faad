//! Nix's own value printing (`nix-instantiate --eval`) and JSON output.
//! Both write bytes: a Nix string need not be UTF-8, and C++ Nix prints
//! its bytes as they are.

use crate::error::{EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::FxHashSet;
use nix2dream_syntax::{write_attr_name_bytes, write_quoted_bytes, Span, Symbol};
use std::io::Write;

/// Print `v` as `nix-instantiate --eval` does. With `strict`, nested values
/// are forced; without it, unevaluated ones print as `<CODE>`.
pub fn print_value_bytes(ev: &mut Evaluator, v: &Value, strict: bool) -> EvalResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut seen = FxHashSet::default();
    print_inner(ev, v, strict, &mut out, &mut seen)?;
    Ok(out)
}

/// [`print_value_bytes`] as text, for messages and tests: bytes that are
/// not UTF-8 show as U+FFFD.
pub fn print_value(ev: &mut Evaluator, v: &Value, strict: bool) -> EvalResult<String> {
    Ok(into_text(print_value_bytes(ev, v, strict)?))
}

fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn print_inner(
    ev: &mut Evaluator,
    v: &Value,
    strict: bool,
    out: &mut Vec<u8>,
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
                    out.extend_from_slice(b"<CODE>");
                    return Ok(());
                }
            },
            other => ev.force(other)?,
        };
        match &v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => {
                let _ = write!(out, "{}", i);
            }
            Value::Float(f) => out.extend_from_slice(format_float(*f).as_bytes()),
            Value::String(s) => write_quoted_bytes(s.as_bytes(), false, out),
            Value::Path(p) => out.extend_from_slice(p.as_bytes()),
            Value::Attrs(a) => {
                if a.is_empty() {
                    out.extend_from_slice(b"{ }");
                    return Ok(());
                }
                // Anything printed before prints as «repeated» afterwards.
                if !seen.insert(a.as_ptr() as usize) {
                    out.extend_from_slice("«repeated»".as_bytes());
                    return Ok(());
                }
                out.extend_from_slice(b"{ ");
                for e in a.sorted_by_name() {
                    write_attr_name_bytes(e.name.as_str(), out);
                    out.extend_from_slice(b" = ");
                    print_inner(ev, &e.value, strict, out, seen)?;
                    out.extend_from_slice(b"; ");
                }
                out.push(b'}');
            }
            Value::List(l) => {
                if l.is_empty() {
                    out.extend_from_slice(b"[ ]");
                    return Ok(());
                }
                let key = match slot {
                    Some(slot) if l.len() <= 2 => slot,
                    _ => l.as_ptr() as usize,
                };
                if !seen.insert(key) {
                    out.extend_from_slice("«repeated»".as_bytes());
                    return Ok(());
                }
                out.extend_from_slice(b"[ ");
                for item in l.iter() {
                    print_inner(ev, item, strict, out, seen)?;
                    out.push(b' ');
                }
                out.push(b']');
            }
            Value::Lambda(_) => out.extend_from_slice(b"<LAMBDA>"),
            Value::PrimOp(op) if op.lambda => out.extend_from_slice(b"<LAMBDA>"),
            Value::PrimOpApp(app) if app.op.lambda => out.extend_from_slice(b"<LAMBDA>"),
            Value::PrimOp(_) => out.extend_from_slice(b"<PRIMOP>"),
            Value::PrimOpApp(_) => out.extend_from_slice(b"<PRIMOP-APP>"),
            Value::Thunk(_) => out.extend_from_slice(b"<CODE>"),
        }
        Ok(())
    })
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
/// `__toString` sets as strings, paths copied to the store. Strings keep
/// their bytes, as C++ Nix's JSON writer does.
pub fn write_json_bytes(
    ev: &mut Evaluator,
    v: &Value,
    span: Span,
    out: &mut Vec<u8>,
    ctx: &mut Context,
) -> EvalResult<()> {
    ev.nested(Some(span), |ev| {
        let v = ev.force(v)?;
        match &v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => {
                let _ = write!(out, "{}", i);
            }
            Value::Float(f) => out.extend_from_slice(format_float(*f).as_bytes()),
            Value::String(s) => {
                json_string(s.as_bytes(), out);
                ctx.extend(s.context().iter().cloned());
            }
            Value::Path(p) => {
                let store_path = ev.copy_path_to_store(p, span)?;
                json_string(store_path.as_bytes(), out);
                ctx.insert(store_path.into());
            }
            Value::List(l) => {
                out.push(b'[');
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_bytes(ev, item, span, out, ctx)?;
                }
                out.push(b']');
            }
            Value::Attrs(a) => {
                if a.contains(Symbol::TO_STRING) {
                    // As C++ Nix's `tryAttrsToString`: a path it returns is
                    // not copied to the store.
                    let (s, c) = ev.coerce_to_string(&v, span, false, false)?;
                    json_string(s.as_bytes(), out);
                    ctx.extend(c);
                    return Ok(());
                }
                // C++ Nix hands an attribute's own position down as the one
                // to report errors at (for outPath too).
                if let Some(p) = a.get_entry(Symbol::OUT_PATH).map(|e| (e.value.clone(), e.pos)) {
                    return write_json_bytes(ev, &p.0, p.1.unwrap_or(span), out, ctx);
                }
                out.push(b'{');
                for (i, e) in a.sorted_by_name().into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(e.name.as_str().as_bytes(), out);
                    out.push(b':');
                    let name = e.name;
                    write_json_bytes(ev, &e.value, e.pos.unwrap_or(span), out, ctx)
                        .map_err(|err| err.context(e.pos, format!("while evaluating attribute '{}'", name)))?;
                }
                out.push(b'}');
            }
            other => {
                let at = other.pos_or(span);
                return Err(EvalError::type_error(format!("cannot convert {} to JSON", other.type_desc()), at));
            }
        }
        Ok(())
    })
}

/// [`write_json_bytes`] as text, for callers that build messages or
/// documents: bytes that are not UTF-8 show as U+FFFD.
pub fn write_json(ev: &mut Evaluator, v: &Value, span: Span, out: &mut String, ctx: &mut Context) -> EvalResult<()> {
    let mut bytes = Vec::new();
    write_json_bytes(ev, v, span, &mut bytes, ctx)?;
    out.push_str(&into_text(bytes));
    Ok(())
}

/// A JSON string of `s`'s bytes: the escapes are all ASCII, so UTF-8 text
/// stays UTF-8, and other bytes are copied as they are.
fn json_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b if b < 0x20 => {
                let _ = write!(out, "\\u{:04x}", b);
            }
            b => out.push(b),
        }
    }
    out.push(b'"');
}
