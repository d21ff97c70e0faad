//! Builtins on strings, including POSIX-style regular expressions.

use super::primop;
use super::regex::{Captures, CompiledRegex};
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::Span;
use std::rc::Rc;

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("stringLength", 1, string_length),
    primop!("substring", 3, substring),
    primop!("concatStringsSep", 2, concat_strings_sep),
    primop!("replaceStrings", 3, replace_strings),
    primop!("toString", 1, to_string),
    primop!("split", 2, split),
    primop!("match", 2, regex_match),
    primop!("baseNameOf", 1, base_name_of),
    primop!("dirOf", 1, dir_of),
];

fn string_length(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, _) = ev.coerce_to_bytes(&args[0], span, false, true)?;
    Ok(Value::Int(s.len() as i64))
}

fn substring(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    // C++ Nix 2.8 reads both into a C `int`: 2^32 + 1 is 1, 2^31 negative.
    let start = ev.expect_int(&args[0], span)? as i32;
    let len = ev.expect_int(&args[1], span)? as i32;
    let (bytes, ctx) = ev.coerce_to_bytes(&args[2], span, false, true)?;
    if start < 0 {
        return Err(EvalError::new(ErrorKind::Other, "negative start position in 'substring'", Some(span)));
    }
    let start = (start as usize).min(bytes.len());
    let end = if len < 0 { bytes.len() } else { start.saturating_add(len as usize).min(bytes.len()) };
    Ok(Value::string_from_bytes(bytes[start..end].to_vec(), ctx))
}

fn concat_strings_sep(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let sep = ev.expect_string(&args[0], span)?;
    let list = ev.expect_list(&args[1], span)?;
    let mut out: Vec<u8> = Vec::new();
    let mut ctx = sep.context().clone();
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep.as_bytes());
        }
        match ev.force_ref(item)? {
            // The common case: no intermediate copy.
            Value::String(s) => {
                out.extend_from_slice(s.as_bytes());
                ctx.extend(s.context().iter().cloned());
            }
            other => {
                let (s, c) = ev.coerce_to_bytes(other, span, false, true)?;
                out.extend_from_slice(&s);
                ctx.extend(c);
            }
        }
    }
    Ok(Value::string_from_bytes(out, ctx))
}

fn replace_strings(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let from_list = ev.expect_list(&args[0], span)?;
    let to_list = ev.expect_list(&args[1], span)?;
    if from_list.len() != to_list.len() {
        return Err(EvalError::new(
            ErrorKind::Other,
            "'from' and 'to' arguments to 'replaceStrings' have different lengths",
            Some(span),
        ));
    }
    // Nix 2.8 forces every pattern and every replacement (as strings, not
    // coerced) before looking at the subject.
    let mut from = Vec::with_capacity(from_list.len());
    for f in from_list.iter() {
        from.push(ev.expect_str(f, span)?);
    }
    // Bytes throughout: a subject that is not UTF-8 keeps its bytes.
    let mut to: Vec<Option<(Vec<u8>, Context)>> = Vec::with_capacity(to_list.len());
    for t in to_list.iter() {
        let t = ev.expect_string(t, span)?;
        to.push(Some((t.as_bytes().to_vec(), t.context().clone())));
    }
    let subject = ev.expect_string(&args[2], span)?;
    let mut ctx = subject.context().clone();
    let bytes = subject.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut p = 0;
    while p <= bytes.len() {
        let mut found = false;
        for (i, pat) in from.iter().enumerate() {
            if bytes[p..].starts_with(pat.as_bytes()) {
                found = true;
                let (rep, rctx) = to[i].as_mut().expect("filled above");
                out.extend_from_slice(rep);
                // A replacement's context is added once, when first used.
                ctx.extend(std::mem::take(rctx));
                if pat.is_empty() {
                    if p < bytes.len() {
                        out.push(bytes[p]);
                    }
                    p += 1;
                } else {
                    p += pat.len();
                }
                break;
            }
        }
        if !found {
            if p < bytes.len() {
                out.push(bytes[p]);
            }
            p += 1;
        }
    }
    Ok(Value::string_from_bytes(out, ctx))
}

fn to_string(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (bytes, ctx) = ev.coerce_to_bytes(&args[0], span, true, false)?;
    Ok(Value::string_from_bytes(bytes, ctx))
}

/// Compile a POSIX extended regular expression (as C++ Nix's std::regex
/// does), cached by source text.
pub(crate) fn compile_regex(ev: &mut Evaluator, re: &str, span: Span) -> EvalResult<Rc<CompiledRegex>> {
    if let Some(r) = ev.regex_cache.get(re) {
        return Ok(r.clone());
    }
    let compiled = CompiledRegex::new(re.as_bytes())
        .ok_or_else(|| EvalError::new(ErrorKind::Other, format!("invalid regular expression '{}'", re), Some(span)))?;
    let rc = Rc::new(compiled);
    ev.regex_cache.insert(re.to_string(), rc.clone());
    Ok(rc)
}

/// Exact bytes: a piece may cut through a multi-byte character (`.`
/// matches one byte).
fn piece(s: &[u8], start: usize, end: usize) -> Value {
    Value::string_from_bytes(s[start..end].to_vec(), Default::default())
}

fn captures_list(s: &[u8], caps: &Captures) -> Value {
    let groups = caps.groups[1..]
        .iter()
        .map(|g| match g {
            Some((a, b)) => piece(s, *a, *b),
            None => Value::Null,
        })
        .collect();
    Value::list(groups)
}

fn regex_match(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let re = super::context::expect_str_no_ctx(ev, &args[0], span)?;
    let compiled = compile_regex(ev, &re, span)?;
    let s = ev.expect_string(&args[1], span)?;
    match compiled.match_full(s.as_bytes()) {
        Some(caps) => Ok(captures_list(s.as_bytes(), &caps)),
        None => Ok(Value::Null),
    }
}

fn split(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let re = super::context::expect_str_no_ctx(ev, &args[0], span)?;
    let compiled = compile_regex(ev, &re, span)?;
    let s = ev.expect_string(&args[1], span)?;
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut last = 0;
    for caps in compiled.find_all(bytes) {
        let (start, end) = caps.whole();
        out.push(piece(bytes, last, start));
        out.push(captures_list(bytes, &caps));
        last = end;
    }
    out.push(piece(bytes, last, bytes.len()));
    Ok(Value::list(out))
}

fn base_name_of(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, ctx) = ev.coerce_to_bytes(&args[0], span, false, false)?;
    let trimmed = s.strip_suffix(b"/").unwrap_or(&s);
    let base = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    Ok(Value::string_from_bytes(base.to_vec(), ctx))
}

fn dir_of(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let v = ev.force(&args[0])?;
    let (s, ctx) = ev.coerce_to_string(&v, span, false, false)?;
    let dir = match s.rfind('/') {
        None => ".".to_string(),
        Some(0) => "/".to_string(),
        Some(i) => s[..i].to_string(),
    };
    match v {
        Value::Path(_) => Ok(Value::Path(dir.into())),
        _ => Ok(Value::string_with_context(dir, ctx)),
    }
}
