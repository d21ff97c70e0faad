//! Type expectations, equality, ordering and string coercion, with Nix's
//! rules and error messages.

use crate::error::{EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};
use std::cmp::Ordering;

impl Evaluator {
    fn expected(&self, v: &Value, what: &str, span: Span) -> EvalError {
        EvalError::type_error(format!("value is {} while {} was expected", v.type_desc(), what), span)
    }

    #[inline]
    pub fn expect_bool(&mut self, v: &Value, span: Span) -> EvalResult<bool> {
        if let Value::Bool(b) = v {
            return Ok(*b);
        }
        match self.force(v)? {
            Value::Bool(b) => Ok(b),
            other => Err(self.expected(&other, "a Boolean", span)),
        }
    }

    pub fn expect_int(&mut self, v: &Value, span: Span) -> EvalResult<i64> {
        match self.force(v)? {
            Value::Int(i) => Ok(i),
            other => Err(self.expected(&other, "an integer", span)),
        }
    }

    pub fn expect_list(&mut self, v: &Value, span: Span) -> EvalResult<List> {
        self.expect_list_ref(v, span).cloned()
    }

    /// [`Evaluator::expect_list`], borrowed (see [`Evaluator::force_ref`]).
    pub fn expect_list_ref<'a>(&mut self, v: &'a Value, span: Span) -> EvalResult<&'a List> {
        match self.force_ref(v)? {
            Value::List(l) => Ok(l),
            other => Err(self.expected(other, "a list", span)),
        }
    }

    /// [`Evaluator::expect_attrs`], borrowed (see [`Evaluator::force_ref`]).
    pub fn expect_attrs_ref<'a>(&mut self, v: &'a Value, span: Span) -> EvalResult<&'a AttrSet> {
        match self.force_ref(v)? {
            Value::Attrs(a) => Ok(a),
            other => Err(self.expected(other, "a set", span)),
        }
    }

    pub fn expect_attrs(&mut self, v: &Value, span: Span) -> EvalResult<AttrSet> {
        self.expect_attrs_ref(v, span).cloned()
    }

    pub fn expect_function(&mut self, v: &Value, span: Span) -> EvalResult<Value> {
        let f = self.force(v)?;
        if f.is_function() {
            return Ok(f);
        }
        if let Value::Attrs(a) = &f {
            if a.contains(Symbol::FUNCTOR) {
                return Ok(f);
            }
        }
        Err(self.expected(&f, "a function", span))
    }

    /// A string value (not coerced), with its context.
    pub fn expect_string(&mut self, v: &Value, span: Span) -> EvalResult<NixString> {
        match self.force(v)? {
            Value::String(s) => Ok(s),
            other => Err(self.expected(&other, "a string", span)),
        }
    }

    /// The text of a string, ignoring context (for names, regexes, ...).
    pub fn expect_str(&mut self, v: &Value, span: Span) -> EvalResult<NixString> {
        self.expect_string(v, span)
    }

    /// [`Evaluator::coerce_to_string`], but exact for strings that are not
    /// valid UTF-8 (Nix strings are bytes).
    pub fn coerce_to_bytes(
        &mut self,
        v: &Value,
        span: Span,
        coerce_more: bool,
        copy_to_store: bool,
    ) -> EvalResult<(Vec<u8>, Context)> {
        match self.force(v)? {
            Value::String(s) => Ok((s.as_bytes().to_vec(), s.context().clone())),
            Value::List(items) if coerce_more => {
                let mut out = Vec::new();
                let mut ctx = Context::new();
                for (i, item) in items.iter().enumerate() {
                    // Nested: a list that contains itself is a stack overflow error.
                    let (s, c) =
                        self.nested(Some(span), |ev| ev.coerce_to_bytes(item, span, coerce_more, copy_to_store))?;
                    out.extend_from_slice(&s);
                    ctx.extend(c);
                    // Like C++ Nix: no separator after an empty list element.
                    if i + 1 < items.len() {
                        let is_empty_list = matches!(self.force(item)?, Value::List(ref l) if l.is_empty());
                        if !is_empty_list {
                            out.push(b' ');
                        }
                    }
                }
                Ok((out, ctx))
            }
            _ => {
                let (s, ctx) = self.coerce_to_string(v, span, coerce_more, copy_to_store)?;
                Ok((s.into_bytes(), ctx))
            }
        }
    }

    /// Nix's `coerceToString`. `coerce_more` is `toString`'s extra leniency
    /// (numbers, booleans, null, lists); `copy_to_store` turns paths into
    /// store paths, as interpolation does.
    pub fn coerce_to_string(
        &mut self,
        v: &Value,
        span: Span,
        coerce_more: bool,
        copy_to_store: bool,
    ) -> EvalResult<(String, Context)> {
        let v = self.force(v)?;
        match &v {
            Value::String(s) => Ok((s.as_str().to_string(), s.context().clone())),
            Value::Path(p) => {
                if copy_to_store {
                    let store_path = self.copy_path_to_store(p, span)?;
                    let mut ctx = Context::new();
                    ctx.insert(store_path.clone().into());
                    Ok((store_path, ctx))
                } else {
                    Ok((p.to_string(), Context::new()))
                }
            }
            Value::Attrs(a) => {
                // Both can lead back to this set (`__toString = self: self`):
                // nested, so that endless coercion is a stack overflow error.
                if let Some(f) = a.get(Symbol::TO_STRING).cloned() {
                    let r = self.call_value(&f, v.clone(), Some(span))?;
                    return self.nested(Some(span), |ev| ev.coerce_to_string(&r, span, coerce_more, copy_to_store));
                }
                if let Some(out) = a.get(Symbol::OUT_PATH).cloned() {
                    return self.nested(Some(span), |ev| ev.coerce_to_string(&out, span, coerce_more, copy_to_store));
                }
                Err(EvalError::type_error("cannot coerce a set to a string", span))
            }
            Value::Int(i) if coerce_more => Ok((i.to_string(), Context::new())),
            // `%f`; C's NaN is "nan"/"-nan" where Rust's `{:.6}` says "NaN".
            Value::Float(f) if coerce_more && f.is_nan() => {
                Ok((if f.is_sign_negative() { "-nan" } else { "nan" }.to_string(), Context::new()))
            }
            Value::Float(f) if coerce_more => Ok((format!("{:.6}", f), Context::new())),
            Value::Bool(b) if coerce_more => Ok((if *b { "1" } else { "" }.to_string(), Context::new())),
            Value::Null if coerce_more => Ok((String::new(), Context::new())),
            // Joined as bytes (see `coerce_to_bytes`), then read as text.
            Value::List(_) if coerce_more => {
                let (bytes, ctx) = self.coerce_to_bytes(&v, span, coerce_more, copy_to_store)?;
                Ok((String::from_utf8_lossy(&bytes).into_owned(), ctx))
            }
            other => Err(EvalError::type_error(format!("cannot coerce {} to a string", other.type_desc()), span)),
        }
    }

    /// The store path a path literal is copied to (added to the virtual
    /// store, see [`crate::store`]).
    pub fn copy_path_to_store(&mut self, path: &str, span: Span) -> EvalResult<String> {
        crate::store::copy_path_to_store(self, path, span)
    }

    /// `==`: deep, forcing both sides.
    pub fn values_equal(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        self.values_equal_inner(a, b, span, true)
    }

    fn values_equal_inner(&mut self, a: &Value, b: &Value, span: Span, top: bool) -> EvalResult<bool> {
        // Elements of lists and sets that are the very same object compare
        // equal once forced, as in C++ Nix (so `[f] == [f]` holds).
        let same = !top && same_object(a, b);
        let a = self.force_ref(a)?;
        let b = self.force_ref(b)?;
        if same {
            return Ok(true);
        }
        Ok(match (a, b) {
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Int(x), Value::Float(y)) => (*x as f64) == *y,
            (Value::Float(x), Value::Int(y)) => *x == (*y as f64),
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Null, Value::Null) => true,
            (Value::String(x), Value::String(y)) => x.as_bytes() == y.as_bytes(),
            (Value::Path(x), Value::Path(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    if !self.nested(Some(span), |ev| ev.values_equal_inner(p, q, span, false))? {
                        return Ok(false);
                    }
                }
                true
            }
            (Value::Attrs(x), Value::Attrs(y)) => {
                // Derivations compare by their output path.
                if is_derivation(self, x)? && is_derivation(self, y)? {
                    let out = Symbol::OUT_PATH;
                    if let (Some(p), Some(q)) = (x.get(out).cloned(), y.get(out).cloned()) {
                        return self.nested(Some(span), |ev| ev.values_equal_inner(&p, &q, span, false));
                    }
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (p, q) in x.entries().iter().zip(y.entries().iter()) {
                    if p.name != q.name {
                        return Ok(false);
                    }
                }
                for (p, q) in x.entries().iter().zip(y.entries().iter()) {
                    if !self.nested(Some(span), |ev| ev.values_equal_inner(&p.value, &q.value, span, false))? {
                        return Ok(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    /// `<` on numbers, strings, paths and lists (lexicographically).
    pub fn less_than(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        Ok(self.compare(a, b, span)? == Ordering::Less)
    }

    pub fn compare(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<Ordering> {
        // Borrowed, not cloned: a sort compares every element about
        // log2(n) times, and each clone and drop touches a count.
        let a = self.force_ref(a)?;
        let b = self.force_ref(b)?;
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                let (x, y) = (num(a), num(b));
                Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal))
            }
            (Value::String(x), Value::String(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
            (Value::Path(x), Value::Path(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
            (Value::List(x), Value::List(y)) => {
                for (p, q) in x.iter().zip(y.iter()) {
                    if self.values_equal(p, q, span)? {
                        continue;
                    }
                    return Ok(if self.less_than(p, q, span)? { Ordering::Less } else { Ordering::Greater });
                }
                Ok(x.len().cmp(&y.len()))
            }
            _ => Err(EvalError::type_error(format!("cannot compare {} with {}", a.type_desc(), b.type_desc()), span)),
        }
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

fn same_object(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Thunk(x), Value::Thunk(y)) => Shared::ptr_eq(x, y),
        (Value::Attrs(x), Value::Attrs(y)) => AttrSet::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => List::ptr_eq(x, y),
        (Value::Lambda(x), Value::Lambda(y)) => Shared::ptr_eq(x, y),
        (Value::PrimOp(x), Value::PrimOp(y)) => std::ptr::eq(*x, *y),
        (Value::PrimOpApp(x), Value::PrimOpApp(y)) => Shared::ptr_eq(x, y),
        _ => false,
    }
}

/// `type = "derivation"`.
pub(crate) fn is_derivation(ev: &mut Evaluator, a: &AttrSet) -> EvalResult<bool> {
    match a.get(Symbol::TYPE).cloned() {
        Some(t) => match ev.force_ref(&t)? {
            Value::String(s) => Ok(s.as_str() == "derivation"),
            _ => Ok(false),
        },
        None => Ok(false),
    }
}
