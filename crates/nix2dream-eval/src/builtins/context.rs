//! String context: `hasContext`, `getContext`, `appendContext`,
//! `unsafeDiscardStringContext`, `unsafeDiscardOutputDependency` and
//! `addDrvOutputDependencies`.
//!
//! Context elements use C++ Nix's encoding (see [`crate::value::Context`]):
//! a plain store path, `=DRV` for a derivation with all its outputs, and
//! `!OUTPUT!DRV` for one output of a derivation.

use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};
use std::collections::BTreeMap;
use std::rc::Rc;

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("hasContext", 1, has_context),
    primop!("getContext", 1, get_context),
    primop!("appendContext", 2, append_context),
    primop!("unsafeDiscardStringContext", 1, unsafe_discard_string_context),
    primop!("unsafeDiscardOutputDependency", 1, unsafe_discard_output_dependency),
    primop!("addDrvOutputDependencies", 1, add_drv_output_dependencies),
];

/// The store directory the evaluator pretends to have.
pub const STORE_DIR: &str = "/nix/store";

/// `forceStringNoCtx`: a string that must not refer to the store.
pub fn expect_str_no_ctx(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<NixString> {
    let s = ev.expect_string(v, span)?;
    if let Some(first) = s.context().iter().next() {
        return Err(EvalError::new(
            ErrorKind::Other,
            format!("the string '{}' is not allowed to refer to a store path (such as '{}')", s.as_str(), first),
            Some(span),
        ));
    }
    Ok(s)
}

/// Whether `name` is a valid store path base name (`<hash>-<name>`), as
/// C++ Nix's `StorePath` constructor checks it.
pub fn is_valid_store_base_name(base: &str) -> bool {
    const HASH_LEN: usize = 32;
    let b = base.as_bytes();
    if b.len() < HASH_LEN + 1 {
        return false;
    }
    for &c in &b[..HASH_LEN] {
        if matches!(c, b'e' | b'o' | b'u' | b't') || !(c.is_ascii_digit() || c.is_ascii_lowercase()) {
            return false;
        }
    }
    let name = &b[HASH_LEN + 1..];
    if name.is_empty() || name.len() > 211 {
        return false;
    }
    name.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_' | b'?' | b'='))
}

/// `Store::isStorePath`: directly inside the store, with a valid name.
pub fn is_store_path(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    let canon = nix2dream_syntax::lower::canonicalize(std::path::Path::new(path));
    match canon.rsplit_once('/') {
        Some((dir, base)) => dir == STORE_DIR && is_valid_store_base_name(base),
        None => false,
    }
}

fn has_context(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let s = ev.expect_string(&args[0], span)?;
    Ok(Value::Bool(!s.context().is_empty()))
}

fn unsafe_discard_string_context(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let v = ev.force(&args[0])?;
    if matches!(&v, Value::String(s) if s.context().is_empty()) {
        return Ok(v);
    }
    let (s, _) = ev.coerce_to_string(&args[0], span, false, true)?;
    Ok(Value::string(s))
}

fn unsafe_discard_output_dependency(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, ctx) = ev.coerce_to_bytes(&args[0], span, false, true)?;
    let ctx = ctx
        .into_iter()
        .map(|c| match c.strip_prefix('=') {
            Some(rest) => Rc::from(rest),
            None => c,
        })
        .collect();
    Ok(Value::string_from_bytes(s, ctx))
}

fn add_drv_output_dependencies(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, ctx) = ev.coerce_to_string(&args[0], span, false, true)?;
    if ctx.len() != 1 {
        return Err(EvalError::new(
            ErrorKind::Other,
            format!("context of string '{}' must have exactly one element, but has {}", s, ctx.len()),
            Some(span),
        ));
    }
    let elem = ctx.into_iter().next().expect("one element");
    let new_elem: Rc<str> = if elem.starts_with('=') {
        elem
    } else if let Some(rest) = elem.strip_prefix('!') {
        let output = rest.split('!').next().unwrap_or("");
        return Err(EvalError::new(
            ErrorKind::Other,
            format!(
                "`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '{}'",
                output
            ),
            Some(span),
        ));
    } else {
        if !elem.ends_with(".drv") {
            return Err(EvalError::new(ErrorKind::Other, format!("path '{}' is not a derivation", elem), Some(span)));
        }
        Rc::from(format!("={}", elem))
    };
    let mut c = Context::new();
    c.insert(new_elem);
    Ok(Value::string_with_context(s, c))
}

#[derive(Default)]
struct ContextInfo {
    path: bool,
    all_outputs: bool,
    outputs: Vec<String>,
}

fn get_context(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let s = ev.expect_string(&args[0], span)?;
    let mut infos: BTreeMap<String, ContextInfo> = BTreeMap::new();
    for elem in s.context().iter() {
        if let Some(drv) = elem.strip_prefix('=') {
            infos.entry(drv.to_string()).or_default().all_outputs = true;
        } else if let Some(rest) = elem.strip_prefix('!') {
            let (output, drv) = rest.split_once('!').unwrap_or((rest, ""));
            infos.entry(drv.to_string()).or_default().outputs.push(output.to_string());
        } else {
            infos.entry(elem.to_string()).or_default().path = true;
        }
    }
    let (path_sym, all_sym, outputs_sym) =
        (Symbol::intern("path"), Symbol::intern("allOutputs"), Symbol::intern("outputs"));
    let mut out = Attrs::with_capacity(infos.len());
    for (key, info) in infos {
        let mut a = Attrs::with_capacity(3);
        if info.path {
            a.insert(path_sym, Value::Bool(true), None);
        }
        if info.all_outputs {
            a.insert(all_sym, Value::Bool(true), None);
        }
        if !info.outputs.is_empty() {
            let list = info.outputs.into_iter().map(Value::string).collect();
            a.insert(outputs_sym, Value::list(list), None);
        }
        out.insert(Symbol::intern(&key), Value::attrs(a), None);
    }
    Ok(Value::attrs(out))
}

fn append_context(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let s = ev.expect_string(&args[0], span)?;
    let mut ctx = s.context().clone();
    let attrs = ev.expect_attrs(&args[1], span)?;
    let (path_sym, all_sym, outputs_sym) =
        (Symbol::intern("path"), Symbol::intern("allOutputs"), Symbol::intern("outputs"));
    for e in attrs.entries() {
        let name = e.name.as_str();
        let pos = e.pos.unwrap_or(span);
        if !is_store_path(name) {
            let mut shown = String::new();
            nix2dream_syntax::write_attr_name(name, &mut shown);
            return Err(EvalError::new(
                ErrorKind::Other,
                format!("Context key '{}' is not a store path", shown),
                Some(pos),
            ));
        }
        let info = ev.expect_attrs(&e.value, pos)?;
        if let Some(entry) = info.get_entry(path_sym) {
            let p = entry.pos.unwrap_or(pos);
            if ev.expect_bool(&entry.value, p)? {
                ctx.insert(Rc::from(name));
            }
        }
        if let Some(entry) = info.get_entry(all_sym) {
            let p = entry.pos.unwrap_or(pos);
            if ev.expect_bool(&entry.value, p)? {
                if !name.ends_with(".drv") {
                    return Err(EvalError::new(
                        ErrorKind::Other,
                        format!(
                            "Tried to add all-outputs context of \"{}\", which is not a derivation, to a string",
                            name
                        ),
                        Some(pos),
                    ));
                }
                ctx.insert(Rc::from(format!("={}", name)));
            }
        }
        if let Some(entry) = info.get_entry(outputs_sym) {
            let p = entry.pos.unwrap_or(pos);
            let outputs = ev.expect_list(&entry.value, p)?;
            if !outputs.is_empty() && !name.ends_with(".drv") {
                return Err(EvalError::new(
                    ErrorKind::Other,
                    format!(
                        "Tried to add derivation output context of \"{}\", which is not a derivation, to a string",
                        name
                    ),
                    Some(pos),
                ));
            }
            for o in outputs.iter() {
                let o = expect_str_no_ctx(ev, o, p)?;
                ctx.insert(Rc::from(format!("!{}!{}", o, name)));
            }
        }
    }
    Ok(Value::string_from_bytes(s.as_bytes().to_vec(), ctx))
}
