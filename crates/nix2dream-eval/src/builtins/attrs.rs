//! Builtins on attribute sets.

use super::primop;
use crate::error::{EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::ir::Param;
use nix2dream_syntax::{Span, Symbol};

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("attrNames", 1, attr_names),
    primop!("attrValues", 1, attr_values),
    primop!("getAttr", 2, get_attr),
    primop!("hasAttr", 2, has_attr),
    primop!("listToAttrs", 1, list_to_attrs),
    primop!("mapAttrs", 2, map_attrs),
    primop!("removeAttrs", 2, remove_attrs),
    primop!("intersectAttrs", 2, intersect_attrs),
    primop!("catAttrs", 2, cat_attrs),
    primop!("functionArgs", 1, function_args),
    primop!("zipAttrsWith", 2, zip_attrs_with),
    primop!("unsafeGetAttrPos", 2, unsafe_get_attr_pos),
];

fn attr_names(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[0], span)?;
    let names = a.sorted_by_name().into_iter().map(|e| Value::string(e.name.as_str())).collect();
    Ok(Value::list(names))
}

fn attr_values(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[0], span)?;
    let values = a.sorted_by_name().into_iter().map(|e| e.value.clone()).collect();
    Ok(Value::list(values))
}

fn get_attr(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = super::context::expect_str_no_ctx(ev, &args[0], span)?;
    let a = ev.expect_attrs(&args[1], span)?;
    match a.get(Symbol::intern(&name)).cloned() {
        Some(v) => ev.force(&v),
        None => Err(EvalError::type_error(
            format!("attribute '{}' missing for call to 'getAttr'", crate::symbol_text(&name)),
            span,
        )),
    }
}

fn has_attr(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = super::context::expect_str_no_ctx(ev, &args[0], span)?;
    let a = ev.expect_attrs(&args[1], span)?;
    Ok(Value::Bool(a.contains(Symbol::intern(&name))))
}

fn list_to_attrs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let list = ev.expect_list(&args[0], span)?;
    let (name_sym, value_sym) = (Symbol::intern("name"), Symbol::intern("value"));
    let mut entries = Vec::with_capacity(list.len());
    for item in list.iter() {
        let a = ev.expect_attrs(item, span)?;
        let Some((n, name_pos)) = a.get_entry(name_sym).map(|e| (e.value.clone(), e.pos)) else {
            return Err(EvalError::type_error("attribute 'name' missing for call to 'listToAttrs'", span));
        };
        // C++ Nix reports a name that is not a string at the `name` attribute.
        let name = super::context::expect_str_no_ctx(ev, &n, name_pos.unwrap_or(span))?;
        let Some(entry) = a.get_entry(value_sym) else {
            return Err(EvalError::type_error("attribute 'value' missing for call to 'listToAttrs'", span));
        };
        entries.push(AttrEntry { name: Symbol::intern(&name), value: entry.value.clone(), pos: entry.pos });
    }
    // First occurrence wins: a stable sort keeps input order among equals.
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

fn map_attrs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[1], span)?;
    let f = args[0].clone();
    let entries = a
        .entries()
        .iter()
        .map(|e| {
            let value = Value::apply2_thunk(f.clone(), Value::string(e.name.as_str()), e.value.clone(), span);
            // A new attribute: C++ Nix 2.8 gives it no position.
            AttrEntry { name: e.name, value, pos: None }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

fn remove_attrs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[0], span)?;
    let names = ev.expect_list(&args[1], span)?;
    let mut remove = Vec::with_capacity(names.len());
    for n in names.iter() {
        remove.push(Symbol::intern(&super::context::expect_str_no_ctx(ev, n, span)?));
    }
    if remove.is_empty() {
        return Ok(Value::Attrs(a));
    }
    remove.sort();
    let kept = a.entries().iter().filter(|e| remove.binary_search(&e.name).is_err()).cloned().collect();
    Ok(Value::attrs(Attrs::from_sorted(kept)))
}

fn intersect_attrs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[0], span)?;
    let b = ev.expect_attrs(&args[1], span)?;
    let kept = b.entries().iter().filter(|e| a.contains(e.name)).cloned().collect();
    Ok(Value::attrs(Attrs::from_sorted(kept)))
}

fn cat_attrs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = Symbol::intern(&super::context::expect_str_no_ctx(ev, &args[0], span)?);
    let list = ev.expect_list(&args[1], span)?;
    let mut out = Vec::new();
    for item in list.iter() {
        let a = ev.expect_attrs(item, span)?;
        if let Some(v) = a.get(name) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

fn function_args(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let f = ev.force(&args[0])?;
    match &f {
        Value::Lambda(c) => {
            let mut a = Attrs::default();
            if let Param::Pattern { formals, .. } = &c.def.param {
                for fm in formals {
                    a.insert(fm.name, Value::Bool(fm.default.is_some()), Some(fm.span));
                }
            }
            Ok(Value::attrs(a))
        }
        Value::PrimOp(_) | Value::PrimOpApp(_) => Ok(Value::attrs(Attrs::default())),
        _ => Err(EvalError::type_error("'functionArgs' requires a function", span)),
    }
}

fn zip_attrs_with(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    // The function is forced first, even for an empty list (C++ Nix 2.8).
    let f = ev.expect_function(&args[0], span)?;
    let list = ev.expect_list(&args[1], span)?;
    let mut groups: nix2dream_syntax::SymbolMap<Vec<Value>> = Default::default();
    let mut order = Vec::new();
    for item in list.iter() {
        let a = ev.expect_attrs(item, span)?;
        for e in a.entries() {
            groups
                .entry(e.name)
                .or_insert_with(|| {
                    order.push(e.name);
                    Vec::new()
                })
                .push(e.value.clone());
        }
    }
    let entries = order
        .into_iter()
        .map(|name| {
            let values = Value::list(groups.remove(&name).unwrap_or_default());
            let value = Value::apply2_thunk(f.clone(), Value::string(name.as_str()), values, span);
            AttrEntry { name, value, pos: None }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

fn unsafe_get_attr_pos(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = super::context::expect_str_no_ctx(ev, &args[0], span)?;
    let a = ev.expect_attrs(&args[1], span)?;
    match a.get_entry(Symbol::intern(&name)).and_then(|e| e.pos) {
        Some(pos) => Ok(ev.pos_attrs(pos)),
        None => Ok(Value::Null),
    }
}
