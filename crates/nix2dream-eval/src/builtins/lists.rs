//! Builtins on lists.

use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("length", 1, length),
    primop!("head", 1, head),
    primop!("tail", 1, tail),
    primop!("elemAt", 2, elem_at),
    primop!("map", 2, map),
    primop!("filter", 2, filter),
    primop!("foldl'", 3, foldl),
    primop!("genList", 2, gen_list),
    primop!("concatLists", 1, concat_lists),
    primop!("concatMap", 2, concat_map),
    primop!("elem", 2, elem),
    primop!("all", 2, all),
    primop!("any", 2, any),
    primop!("sort", 2, sort),
    primop!("partition", 2, partition),
    primop!("groupBy", 2, group_by),
    primop!("genericClosure", 1, generic_closure),
];

fn length(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(Value::Int(ev.expect_list(&args[0], span)?.len() as i64))
}

fn head(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[0], span)?;
    match l.first() {
        Some(v) => ev.force(v),
        None => Err(EvalError::new(ErrorKind::Other, "list index 0 is out of bounds", Some(span))),
    }
}

fn tail(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[0], span)?;
    if l.is_empty() {
        return Err(EvalError::new(ErrorKind::Other, "'tail' called on an empty list", Some(span)));
    }
    Ok(Value::list(l[1..].to_vec()))
}

fn elem_at(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[0], span)?;
    let i = ev.expect_int(&args[1], span)?;
    if i < 0 || i as usize >= l.len() {
        return Err(EvalError::new(ErrorKind::Other, format!("list index {} is out of bounds", i), Some(span)));
    }
    ev.force(&l[i as usize])
}

fn map(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = args[0].clone();
    Ok(Value::list(l.iter().map(|x| Value::apply_thunk(f.clone(), x.clone(), span)).collect()))
}

fn filter(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    let mut out = Vec::new();
    let mut all_kept = true;
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        if ev.expect_bool(&r, span)? {
            out.push(x.clone());
        } else {
            all_kept = false;
        }
    }
    if all_kept {
        return Ok(Value::List(l));
    }
    Ok(Value::list(out))
}

fn foldl(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    // C++ Nix forces the function first, even for an empty list.
    ev.force(&args[0])?;
    let l = ev.expect_list(&args[2], span)?;
    let f = args[0].clone();
    let mut acc = args[1].clone();
    if l.is_empty() {
        return ev.force(&acc);
    }
    let f = ev.expect_function(&f, span)?;
    for x in l.iter() {
        acc = ev.call_value2(&f, acc, x.clone(), span)?;
    }
    ev.force(&acc)
}

fn gen_list(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let n = ev.expect_int(&args[1], span)?;
    if n < 0 {
        return Err(EvalError::new(ErrorKind::Other, format!("cannot create list of size {}", n), Some(span)));
    }
    ev.charge(n as u64, span)?;
    // A length no memory can hold is an error, as in C++ Nix ("out of
    // memory"), not a panic or an abort of the allocator.
    let mut items = Vec::new();
    if items.try_reserve_exact(usize::try_from(n).unwrap_or(usize::MAX)).is_err() {
        return Err(EvalError::new(ErrorKind::Other, "out of memory", Some(span)));
    }
    let f = args[0].clone();
    items.extend((0..n).map(|i| Value::apply_thunk(f.clone(), Value::Int(i), span)));
    Ok(Value::list(items))
}

fn concat_lists(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[0], span)?;
    let mut out = Vec::new();
    for x in l.iter() {
        out.extend(ev.expect_list(x, span)?.iter().cloned());
    }
    Ok(Value::list(out))
}

fn concat_map(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    let mut out = Vec::new();
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        out.extend(ev.expect_list(&r, span)?.iter().cloned());
    }
    Ok(Value::list(out))
}

fn elem(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    for x in l.iter() {
        if ev.values_equal(&args[0], x, span)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn all(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        if !ev.expect_bool(&r, span)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn any(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        if ev.expect_bool(&r, span)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn sort(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    let mut items: Vec<Value> = Vec::with_capacity(l.len());
    for x in l.iter() {
        items.push(ev.force(x)?);
    }
    // A stable merge sort driven by the user's comparator; errors escape
    // through `failure` because the comparator closure cannot return them.
    let is_less_than_builtin = matches!(&f, Value::PrimOp(op) if op.name == "lessThan");
    let mut failure: Option<EvalError> = None;
    let mut cmp = |a: &Value, b: &Value| -> bool {
        if failure.is_some() {
            return false;
        }
        let r = if is_less_than_builtin {
            ev.less_than(a, b, span)
        } else {
            ev.call_value2(&f, a.clone(), b.clone(), span).and_then(|r| ev.expect_bool(&r, span))
        };
        match r {
            Ok(b) => b,
            Err(e) => {
                failure = Some(e);
                false
            }
        }
    };
    let sorted = merge_sort(items, &mut cmp);
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Value::list(sorted))
}

/// Stable merge sort calling only `less(a, b)`, like `std::stable_sort`.
/// It sorts indices bottom-up with one scratch buffer, so values are
/// cloned once, and it never relies on the comparator being a total order
/// (a user's comparator may be inconsistent; Nix must not crash on it).
fn merge_sort(v: Vec<Value>, less: &mut dyn FnMut(&Value, &Value) -> bool) -> Vec<Value> {
    let n = v.len();
    if n <= 1 {
        return v;
    }
    const RUN: usize = 16;
    let mut idx: Vec<u32> = (0..n as u32).collect();
    for start in (0..n).step_by(RUN) {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let mut j = i;
            while j > start && less(&v[idx[j] as usize], &v[idx[j - 1] as usize]) {
                idx.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut scratch: Vec<u32> = vec![0; n];
    let mut width = RUN;
    while width < n {
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if less(&v[idx[j] as usize], &v[idx[i] as usize]) {
                    scratch[k] = idx[j];
                    j += 1;
                } else {
                    scratch[k] = idx[i];
                    i += 1;
                }
                k += 1;
            }
            scratch[k..k + (mid - i)].copy_from_slice(&idx[i..mid]);
            k += mid - i;
            scratch[k..k + (end - j)].copy_from_slice(&idx[j..end]);
        }
        std::mem::swap(&mut idx, &mut scratch);
        width *= 2;
    }
    idx.into_iter().map(|i| v[i as usize].clone()).collect()
}

fn partition(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        if ev.expect_bool(&r, span)? {
            right.push(x.clone());
        } else {
            wrong.push(x.clone());
        }
    }
    let mut a = Attrs::with_capacity(2);
    a.insert(Symbol::intern("right"), Value::list(right), None);
    a.insert(Symbol::intern("wrong"), Value::list(wrong), None);
    Ok(Value::attrs(a))
}

fn group_by(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let l = ev.expect_list(&args[1], span)?;
    let f = ev.expect_function(&args[0], span)?;
    let mut groups: Vec<(Symbol, Vec<Value>)> = Vec::new();
    let mut index: nix2dream_syntax::SymbolMap<usize> = Default::default();
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        let key = Symbol::intern(&ev.expect_str(&r, span)?);
        match index.get(&key) {
            Some(&i) => groups[i].1.push(x.clone()),
            None => {
                index.insert(key, groups.len());
                groups.push((key, vec![x.clone()]));
            }
        }
    }
    let entries = groups.into_iter().map(|(name, v)| AttrEntry { name, value: Value::list(v), pos: None }).collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

fn generic_closure(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[0], span)?;
    let missing =
        |name: &str| EvalError::type_error(format!("attribute '{}' missing for call to 'genericClosure'", name), span);
    let start = a.get(Symbol::intern("startSet")).cloned().ok_or_else(|| missing("startSet"))?;
    let mut work: std::collections::VecDeque<Value> = ev.expect_list(&start, span)?.iter().cloned().collect();
    let op = a.get(Symbol::intern("operator")).cloned().ok_or_else(|| missing("operator"))?;
    ev.force(&op)?;
    let key_sym = Symbol::intern("key");
    // The keys seen so far, sorted by C++ Nix's `CompareValues`.
    let mut done: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    while let Some(item) = work.pop_front() {
        let e = ev.expect_attrs(&item, span)?;
        let Some(key) = e.get(key_sym).cloned() else {
            return Err(EvalError::type_error("attribute 'key' required", span));
        };
        let key = ev.force(&key)?;
        let (mut lo, mut hi) = (0, done.len());
        let mut found = false;
        while lo < hi {
            let mid = (lo + hi) / 2;
            if closure_key_less(ev, &key, &done[mid], span)? {
                hi = mid;
            } else if closure_key_less(ev, &done[mid], &key, span)? {
                lo = mid + 1;
            } else {
                found = true;
                break;
            }
        }
        if found {
            continue;
        }
        done.insert(lo, key);
        out.push(item.clone());
        let next = ev.call_value(&op, item, Some(span))?;
        work.extend(ev.expect_list(&next, span)?.iter().cloned());
    }
    Ok(Value::list(out))
}

/// C++ Nix's `CompareValues`: numbers, strings, paths and (element-wise)
/// lists.
fn closure_key_less(ev: &mut Evaluator, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
    let a = &ev.force(a)?;
    let b = &ev.force(b)?;
    Ok(match (a, b) {
        (Value::List(x), Value::List(y)) => {
            for i in 0.. {
                if i == y.len() {
                    return Ok(false);
                }
                if i == x.len() {
                    return Ok(true);
                }
                if !ev.values_equal(&x[i], &y[i], span)? {
                    return closure_key_less(ev, &x[i], &y[i], span);
                }
            }
            unreachable!()
        }
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Int(x), Value::Float(y)) => (*x as f64) < *y,
        (Value::Float(x), Value::Int(y)) => *x < (*y as f64),
        (Value::String(x), Value::String(y)) => x.text.as_bytes() < y.text.as_bytes(),
        (Value::Path(x), Value::Path(y)) => x.as_bytes() < y.as_bytes(),
        _ => {
            return Err(EvalError::new(
                ErrorKind::Other,
                format!("cannot compare {} with {}", a.type_desc(), b.type_desc()),
                Some(span),
            ))
        }
    })
}
