//! Builtins on strings, including POSIX-style regular expressions.

use super::primop;
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
    let (s, _) = ev.coerce_to_string(&args[0], span, false, true)?;
    Ok(Value::Int(s.len() as i64))
}

fn substring(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let start = ev.expect_int(&args[0], span)?;
    let len = ev.expect_int(&args[1], span)?;
    let (s, ctx) = ev.coerce_to_string(&args[2], span, false, true)?;
    if start < 0 {
        return Err(EvalError::new(ErrorKind::Other, "negative start position in 'substring'", Some(span)));
    }
    let bytes = s.as_bytes();
    let start = (start as usize).min(bytes.len());
    let end = if len < 0 { bytes.len() } else { start.saturating_add(len as usize).min(bytes.len()) };
    let piece = String::from_utf8_lossy(&bytes[start..end]).into_owned();
    Ok(Value::string_with_context(piece, ctx))
}

fn concat_strings_sep(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let sep = ev.expect_string(&args[0], span)?;
    let list = ev.expect_list(&args[1], span)?;
    let mut out = String::new();
    let mut ctx = sep.context.clone();
    for (i, item) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep.text);
        }
        let (s, c) = ev.coerce_to_string(item, span, false, true)?;
        out.push_str(&s);
        ctx.extend(c);
    }
    Ok(Value::string_with_context(out, ctx))
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
    let mut from = Vec::with_capacity(from_list.len());
    for f in from_list.iter() {
        from.push(ev.expect_str(f, span)?);
    }
    // Replacements are forced only when used, as in C++ Nix.
    let mut to: Vec<Option<(String, Context)>> = vec![None; to_list.len()];
    let (s, mut ctx) = ev.coerce_to_string(&args[2], span, false, true)?;
    let bytes = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut p = 0;
    while p <= bytes.len() {
        let mut found = false;
        for (i, pat) in from.iter().enumerate() {
            if bytes[p..].starts_with(pat.as_bytes()) {
                found = true;
                if to[i].is_none() {
                    to[i] = Some(ev.coerce_to_string(&to_list[i], span, false, true)?);
                }
                let (rep, rctx) = to[i].as_ref().expect("just filled");
                out.extend_from_slice(rep.as_bytes());
                ctx.extend(rctx.iter().cloned());
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
    Ok(Value::string_with_context(String::from_utf8_lossy(&out).into_owned(), ctx))
}

fn to_string(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, ctx) = ev.coerce_to_string(&args[0], span, true, false)?;
    Ok(Value::string_with_context(s, ctx))
}

/// Compile a POSIX extended regular expression (as C++ Nix's std::regex
/// does) into a Rust regex, cached by source text.
pub(crate) fn compile_regex(ev: &mut Evaluator, re: &str, anchored: bool, span: Span) -> EvalResult<Rc<regex::Regex>> {
    let key = format!("{}{}", if anchored { "^" } else { "~" }, re);
    if let Some(r) = ev.regex_cache.get(&key) {
        return Ok(r.clone());
    }
    let translated = translate_ere(re);
    // POSIX `.` matches a newline too: (?s).
    let full = if anchored { format!("(?s)^(?:{})$", translated) } else { format!("(?s){}", translated) };
    let compiled = regex::Regex::new(&full).map_err(|_| {
        EvalError::new(ErrorKind::Other, format!("invalid regular expression '{}'", re), Some(span))
    })?;
    let rc = Rc::new(compiled);
    ev.regex_cache.insert(key, rc.clone());
    Ok(rc)
}

/// ERE and Rust syntax mostly agree; escape what Rust would read
/// differently (a `{` that does not start a repetition is literal in ERE,
/// and Rust has no POSIX collating elements).
fn translate_ere(re: &str) -> String {
    let mut out = String::with_capacity(re.len() + 8);
    let chars: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if in_class {
            match c {
                ']' if !out.ends_with('[') && !out.ends_with("[^") => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i + 1) == Some(&':') => {
                    // [:alpha:] passes through unchanged.
                    let rest: String = chars[i..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                        continue;
                    }
                    out.push_str("\\[");
                }
                '[' => out.push_str("\\["),
                '\\' => out.push_str("\\\\"),
                '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A leading `]` is literal in POSIX classes.
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '{' => {
                let rest: String = chars[i..].iter().collect();
                let is_rep = rest
                    .find('}')
                    .map(|end| {
                        let inner = &rest[1..end];
                        !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit() || c == ',')
                    })
                    .unwrap_or(false);
                if is_rep {
                    let end = rest.find('}').expect("checked above");
                    out.push_str(&rest[..=end]);
                    i += rest[..=end].chars().count();
                    continue;
                } else {
                    out.push_str("\\{");
                }
            }
            '}' => out.push_str("\\}"),
            '\\' => {
                if let Some(&n) = chars.get(i + 1) {
                    if n.is_ascii_alphanumeric() {
                        // Rust's \d, \w ... are similar enough; others literal.
                        match n {
                            'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' => {
                                out.push('\\');
                                out.push(n);
                            }
                            _ => out.push(n),
                        }
                    } else {
                        out.push('\\');
                        out.push(n);
                    }
                    i += 2;
                    continue;
                }
                out.push_str("\\\\");
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn captures_list(caps: &regex::Captures) -> Value {
    let groups = (1..caps.len())
        .map(|i| match caps.get(i) {
            Some(m) => Value::string(m.as_str()),
            None => Value::Null,
        })
        .collect();
    Value::list(groups)
}

fn regex_match(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let re = ev.expect_str(&args[0], span)?;
    let (s, _) = ev.coerce_to_string(&args[1], span, false, true)?;
    let compiled = compile_regex(ev, &re, true, span)?;
    match compiled.captures(&s) {
        Some(caps) => Ok(captures_list(&caps)),
        None => Ok(Value::Null),
    }
}

fn split(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let re = ev.expect_str(&args[0], span)?;
    let (s, _) = ev.coerce_to_string(&args[1], span, false, true)?;
    let compiled = compile_regex(ev, &re, false, span)?;
    let mut out = Vec::new();
    let mut last = 0;
    for caps in compiled.captures_iter(&s) {
        let m = caps.get(0).expect("group 0 always matches");
        out.push(Value::string(&s[last..m.start()]));
        out.push(captures_list(&caps));
        last = m.end();
    }
    out.push(Value::string(&s[last..]));
    Ok(Value::list(out))
}

fn base_name_of(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, ctx) = ev.coerce_to_string(&args[0], span, false, false)?;
    let trimmed = s.strip_suffix('/').unwrap_or(&s);
    let base = match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    };
    Ok(Value::string_with_context(base, ctx))
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
