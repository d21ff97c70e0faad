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
    // The index first, as C++ Nix 2.8 reads it: as a C `int`, so 2^32 + 1
    // selects element 1.
    let i = ev.expect_int(&args[1], span)? as i32;
    let l = ev.expect_list(&args[0], span)?;
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
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
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
    // C++ Nix wants the function first, even for an empty list.
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[2], span)?;
    let mut acc = args[1].clone();
    if l.is_empty() {
        return ev.force(&acc);
    }
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
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
    let mut out = Vec::new();
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        // As C++ Nix: a result that is not a list is reported at the
        // function when it is a lambda.
        let r = ev.force(&r)?;
        out.extend(ev.expect_list(&r, r.pos_or(f.pos_or(span)))?.iter().cloned());
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
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        if !ev.expect_bool(&r, span)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn any(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
    for x in l.iter() {
        let r = ev.call_value(&f, x.clone(), Some(span))?;
        if ev.expect_bool(&r, span)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn sort(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
    let mut items: Vec<Value> = Vec::with_capacity(l.len());
    for x in l.iter() {
        items.push(ev.force(x)?);
    }
    let is_less_than_builtin = matches!(&f, Value::PrimOp(op) if op.name == "lessThan");
    let sorted = ev.sort_like_nix(items, |ev, a, b| {
        if is_less_than_builtin {
            ev.less_than(a, b, span)
        } else {
            let r = ev.call_value2(&f, a.clone(), b.clone(), span)?;
            ev.expect_bool(&r, span)
        }
    })?;
    Ok(Value::list(sorted))
}

impl Evaluator {
    /// Sort as C++ Nix's `builtins.sort` sorts (see `merge_sort`): the
    /// same order and the same calls of `less`, which may fail. The first
    /// failure stops the comparisons and is the result.
    pub fn sort_like_nix(
        &mut self,
        items: Vec<Value>,
        mut less: impl FnMut(&mut Evaluator, &Value, &Value) -> EvalResult<bool>,
    ) -> EvalResult<Vec<Value>> {
        // Errors escape through `failure`: the sort's comparison returns a bool.
        let mut failure: Option<EvalError> = None;
        let sorted = merge_sort(items, &mut |a, b| {
            if failure.is_some() {
                return false;
            }
            less(self, a, b).unwrap_or_else(|e| {
                failure = Some(e);
                false
            })
        });
        match failure {
            Some(e) => Err(e),
            None => Ok(sorted),
        }
    }
}

/// `std::stable_sort` step for step as libstdc++ implements it (C++ Nix
/// 2.8's `sort` calls it on the list), so a comparator that is not a
/// strict weak order (`a: b: a - b < 2`) still yields C++ Nix's order, with
/// the same calls to `less(a, b)`. It sorts indices, so values are cloned
/// once.
fn merge_sort(v: Vec<Value>, less: &mut dyn FnMut(&Value, &Value) -> bool) -> Vec<Value> {
    let n = v.len();
    if n <= 1 {
        return v;
    }
    let mut lt = |a: u32, b: u32| less(&v[a as usize], &v[b as usize]);
    let mut idx: Vec<u32> = (0..n as u32).collect();
    // Two halves sorted with a buffer of half the length, then merged.
    let mid = n.div_ceil(2);
    let mut buf: Vec<u32> = vec![0; mid];
    let (first, second) = idx.split_at_mut(mid);
    merge_sort_with_buffer(first, &mut buf, &mut lt);
    merge_sort_with_buffer(second, &mut buf, &mut lt);
    merge_adaptive(&mut idx, mid, &mut buf, &mut lt);
    idx.into_iter().map(|i| v[i as usize].clone()).collect()
}

type Less<'a> = dyn FnMut(u32, u32) -> bool + 'a;

/// libstdc++'s `__merge_sort_with_buffer`: insertion-sorted chunks of 7,
/// then merge passes alternating between `s` and `buf`.
fn merge_sort_with_buffer(s: &mut [u32], buf: &mut [u32], lt: &mut Less) {
    const CHUNK: usize = 7;
    let len = s.len();
    let buf = &mut buf[..len];
    for chunk in s.chunks_mut(CHUNK) {
        insertion_sort(chunk, lt);
    }
    let mut step = CHUNK;
    while step < len {
        merge_sort_loop(s, buf, step, lt);
        step *= 2;
        merge_sort_loop(buf, s, step, lt);
        step *= 2;
    }
}

fn insertion_sort(s: &mut [u32], lt: &mut Less) {
    for i in 1..s.len() {
        let val = s[i];
        if lt(val, s[0]) {
            s.copy_within(0..i, 1);
            s[0] = val;
        } else {
            // Unguarded in libstdc++: `lt(val, s[0])` was just false, and the
            // comparator is pure, so the scan stops at index 1 at the latest.
            let mut j = i;
            while j > 0 && lt(val, s[j - 1]) {
                s[j] = s[j - 1];
                j -= 1;
            }
            s[j] = val;
        }
    }
}

/// Merges runs of `step` from `src` into `dst` (`__merge_sort_loop`).
fn merge_sort_loop(src: &[u32], dst: &mut [u32], step: usize, lt: &mut Less) {
    let len = src.len();
    let mut f = 0;
    while len - f >= 2 * step {
        move_merge(&src[f..f + step], &src[f + step..f + 2 * step], &mut dst[f..], lt);
        f += 2 * step;
    }
    let step = step.min(len - f);
    move_merge(&src[f..f + step], &src[f + step..], &mut dst[f..], lt);
}

/// Takes from `b` only when `lt(b, a)`: equal elements keep their order.
fn move_merge(a: &[u32], b: &[u32], out: &mut [u32], lt: &mut Less) {
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if lt(b[j], a[i]) {
            out[k] = b[j];
            j += 1;
        } else {
            out[k] = a[i];
            i += 1;
        }
        k += 1;
    }
    out[k..k + a.len() - i].copy_from_slice(&a[i..]);
    k += a.len() - i;
    out[k..k + b.len() - j].copy_from_slice(&b[j..]);
}

/// `__merge_adaptive` with a buffer that fits either half: the shorter
/// half goes to the buffer; an odd length merges from the back.
fn merge_adaptive(s: &mut [u32], mid: usize, buf: &mut [u32], lt: &mut Less) {
    let n = s.len();
    let (len1, len2) = (mid, n - mid);
    if len1 <= len2 {
        buf[..len1].copy_from_slice(&s[..mid]);
        let (mut i, mut j, mut k) = (0, mid, 0);
        while i < len1 && j < n {
            if lt(s[j], buf[i]) {
                s[k] = s[j];
                j += 1;
            } else {
                s[k] = buf[i];
                i += 1;
            }
            k += 1;
        }
        s[k..k + len1 - i].copy_from_slice(&buf[i..len1]);
    } else {
        buf[..len2].copy_from_slice(&s[mid..]);
        let (mut l1, mut l2, mut r) = (mid - 1, len2 - 1, n);
        loop {
            r -= 1;
            if lt(buf[l2], s[l1]) {
                s[r] = s[l1];
                if l1 == 0 {
                    s[r - l2 - 1..r].copy_from_slice(&buf[..=l2]);
                    return;
                }
                l1 -= 1;
            } else {
                s[r] = buf[l2];
                if l2 == 0 {
                    return;
                }
                l2 -= 1;
            }
        }
    }
}

fn partition(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
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
    let f = ev.expect_function(&args[0], span)?;
    let l = ev.expect_list(&args[1], span)?;
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
        (Value::String(x), Value::String(y)) => x.as_bytes() < y.as_bytes(),
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
