//! The tree-walking interpreter: expressions to values.
//!
//! Speed comes from what C++ Nix does too: variables are (depth, slot) pairs
//! resolved before evaluation, thunks are overwritten with their value, and
//! tail positions (`if`, `let`, `with`, `assert`, a call's body) loop instead
//! of recursing. The Rust stack grows on demand, so deep recursion is bounded
//! by [`EvalOptions::max_depth`], not by the 8 MiB main stack.

use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::ir::*;
use nix2dream_syntax::{Span, Symbol};
use std::rc::Rc;

/// How much stack must be left before we allocate a new segment, and how
/// large each new segment is.
const RED_ZONE: usize = 256 * 1024;
const STACK_SEGMENT: usize = 16 * 1024 * 1024;

impl Evaluator {
    /// Evaluate `expr` in `env` to weak head normal form.
    #[inline]
    pub fn eval(&mut self, expr: &ExprRef, env: &Env) -> EvalResult<Value> {
        // Leaves cannot recurse: answer them without the depth and stack
        // checks, which dominate otherwise.
        match &**expr {
            Expr::Int(i) => return Ok(Value::Int(*i)),
            Expr::Var(Var::Local { depth, slot }, span) => {
                if let Some(v) = env.ancestor(*depth).get_ref(*slot) {
                    return Ok(self.force_ref(v).map_err(|e| e.at(*span))?.clone());
                }
            }
            _ => {}
        }
        self.eval_nested(expr, env)
    }

    /// A string literal's value, shared by every evaluation of the literal
    /// (strings are immutable; see `string_literals`).
    #[inline]
    fn string_literal(&mut self, text: &Rc<str>) -> Value {
        let key = text.as_ptr() as usize;
        if let Some((_, v)) = self.string_literals.get(&key) {
            return v.clone();
        }
        let v = Value::String(NixString::new(text, Context::new()));
        self.string_literals.insert(key, (text.clone(), v.clone()));
        v
    }

    fn eval_nested(&mut self, expr: &ExprRef, env: &Env) -> EvalResult<Value> {
        self.nested(expr.span(), |ev| ev.eval_inner(expr, env))
    }

    /// Turn an expression into a value without evaluating it, avoiding a
    /// thunk allocation where the value is already known.
    #[inline]
    pub fn maybe_thunk(&mut self, expr: &ExprRef, env: &Env) -> Value {
        match &**expr {
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => self.string_literal(s),
            Expr::Path(p) => Value::Path(p.clone()),
            // C++ Nix resolves `~/` as it parses: a value, never a thunk.
            Expr::HomePath(rest) => Value::Path(self.home_path(rest).into()),
            Expr::Var(Var::Local { depth, slot }, _) => match env.ancestor(*depth).get(*slot) {
                Some(v) => v,
                // The slot is in the scope being built: defer the lookup.
                None => Value::thunk(expr.clone(), env.clone()),
            },
            Expr::Var(Var::Global(i), _) => self.globals[*i as usize].clone(),
            Expr::Lambda(def) if self.options.speculate => {
                Value::Lambda(Shared::new(Closure { def: def.clone(), env: env.clone() }))
            }
            Expr::BinOp(..) if self.options.speculate => match cheap_value(expr, env, 2) {
                Some(v) => v,
                None => Value::thunk(expr.clone(), env.clone()),
            },
            Expr::Select(sel) if self.options.speculate => match self.cheap_select(sel, env) {
                Some(v) => v,
                None => Value::thunk(expr.clone(), env.clone()),
            },
            _ => Value::thunk(expr.clone(), env.clone()),
        }
    }

    /// `a.b.c` when every set on the path is already evaluated and the
    /// value found is too (`types.str` in a module, once `types` is): a
    /// lookup without effects or errors, so answering it now instead of
    /// allocating a thunk is unobservable. Except for functions: C++ Nix
    /// compares two thunks of one function as unequal (they are different
    /// values), but one function with itself as equal, so those stay thunks.
    fn cheap_select(&self, sel: &Select, env: &Env) -> Option<Value> {
        let mut cur = match &*sel.expr {
            Expr::Var(Var::Local { depth, slot }, _) => env.ancestor(*depth).get_ref(*slot)?,
            Expr::Var(Var::Global(i), _) => &self.globals[*i as usize],
            _ => return None,
        };
        for key in sel.path.iter() {
            let AttrKey::Static(name) = key else { return None };
            let Value::Attrs(attrs) = evaluated(cur)? else { return None };
            cur = attrs.get(*name)?;
        }
        match evaluated(cur)? {
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => None,
            v => Some(v.clone()),
        }
    }

    /// Force a value to weak head normal form, borrowing the result from
    /// `v` (or from its thunk, whose value is final) instead of cloning it.
    #[inline]
    pub fn force_ref<'a>(&mut self, v: &'a Value) -> EvalResult<&'a Value> {
        match v {
            Value::Thunk(t) => {
                if t.done_ref().is_none() {
                    self.force_pending(t)?;
                }
                Ok(t.done_ref().expect("a forced thunk is done"))
            }
            other => Ok(other),
        }
    }

    /// Force a value to weak head normal form.
    #[inline]
    pub fn force(&mut self, v: &Value) -> EvalResult<Value> {
        match v {
            Value::Thunk(t) => self.force_thunk(t),
            other => Ok(other.clone()),
        }
    }

    #[inline]
    fn force_thunk(&mut self, t: &Shared<Thunk>) -> EvalResult<Value> {
        if let Some(v) = t.done() {
            return Ok(v);
        }
        self.force_pending(t)
    }

    fn force_pending(&mut self, t: &Shared<Thunk>) -> EvalResult<Value> {
        let pending = t.replace(ThunkState::Blackhole);
        let result = match &pending {
            ThunkState::Pending(expr, env) => self.eval(expr, env),
            ThunkState::Apply(call) => {
                let (f, a, span) = (call.0.clone(), call.1.clone(), call.2);
                self.call_value(&f, a, Some(span))
            }
            ThunkState::Apply2(call) => {
                let (f, a, b, span) = (call.0.clone(), call.1.clone(), call.2.clone(), call.3);
                self.call_value2(&f, a, b, span)
            }
            ThunkState::Native(call) => self.run_primop(call.op, &call.args, call.span),
            ThunkState::Blackhole => {
                return Err(EvalError::new(ErrorKind::InfiniteRecursion, "infinite recursion encountered", None));
            }
            ThunkState::Done(_) => unreachable!("checked above"),
        };
        match result {
            Ok(v) => {
                // Nothing else writes a thunk while it is being forced: the
                // state replaced is the black hole, which owns nothing.
                let blackhole = t.replace(ThunkState::Done(v.clone()));
                debug_assert!(matches!(blackhole, ThunkState::Blackhole));
                std::mem::forget(blackhole);
                Ok(v)
            }
            Err(e) => {
                // Put the thunk back so that a later force (after tryEval)
                // re-evaluates it and reports the same error.
                t.set(pending);
                Err(e)
            }
        }
    }

    #[inline]
    fn eval_inner(&mut self, expr: &ExprRef, env: &Env) -> EvalResult<Value> {
        // Constructs without a tail position skip the loop's large frame.
        match &**expr {
            Expr::BinOp(op, l, r, span, rhs_start) => return self.eval_binop(*op, l, r, env, *span, *rhs_start),
            Expr::Select(sel) => return self.eval_select(sel, env),
            Expr::Var(var, span) => return self.eval_var(var, env, *span),
            Expr::Attrs(def) => return self.eval_attrs(def, env),
            _ => {}
        }
        // Tail calls loop instead of recursing, but they still count towards
        // the depth limit, so that `f = x: f x` fails as in C++ Nix instead
        // of running forever.
        let entry_depth = self.depth;
        let r = self.eval_loop(expr, env);
        self.depth = entry_depth;
        r
    }

    fn eval_loop(&mut self, first_expr: &ExprRef, first_env: &Env) -> EvalResult<Value> {
        // Tail positions replace (expr, env) instead of recursing; until the
        // first one, the caller's references are used without cloning.
        let mut owned: Option<(ExprRef, Env)> = None;
        loop {
            let (expr, env) = match &owned {
                Some((e, v)) => (e, v),
                None => (first_expr, first_env),
            };
            let next: (ExprRef, Env) = match &**expr {
                Expr::Int(i) => return Ok(Value::Int(*i)),
                Expr::Float(f) => return Ok(Value::Float(*f)),
                Expr::Str(s) => return Ok(self.string_literal(s)),
                Expr::Path(p) => return Ok(Value::Path(p.clone())),
                Expr::HomePath(rest) => {
                    let p = self.home_path(rest);
                    return Ok(Value::Path(p.into()));
                }
                Expr::Var(var, span) => return self.eval_var(var, env, *span),
                Expr::Select(sel) => return self.eval_select(sel, env),
                Expr::HasAttr(target, path, span) => return self.eval_has_attr(target, path, env, *span),
                Expr::Attrs(def) => return self.eval_attrs(def, env),
                Expr::List(items) => {
                    let v: Vec<Value> = items.iter().map(|i| self.maybe_thunk(i, env)).collect();
                    return Ok(Value::list(v));
                }
                Expr::Lambda(def) => {
                    return Ok(Value::Lambda(Shared::new(Closure { def: def.clone(), env: env.clone() })))
                }
                Expr::Call(fun, args, span) => {
                    let mut f = self.eval(fun, env)?;
                    let (last, init) = args.split_last().expect("a call has at least one argument");
                    for a in init {
                        let arg = self.maybe_thunk(a, env);
                        f = self.call_value(&f, arg, Some(*span))?;
                    }
                    let arg = self.maybe_thunk(last, env);
                    match &f {
                        // Tail call: evaluate the body in this loop (unless
                        // `show_trace` wants a frame for the call, which a
                        // loop does not leave).
                        Value::Lambda(c) if !self.options.show_trace => {
                            self.tick(*span)?;
                            self.depth += 1;
                            if self.depth > self.options.max_depth {
                                return Err(EvalError::stack_overflow(Some(*span)));
                            }
                            let new_env = self.bind_args(c, arg, *span)?;
                            (c.def.body.clone(), new_env)
                        }
                        _ => return self.call_value(&f, arg, Some(*span)),
                    }
                }
                Expr::Let(values, body) => {
                    let new_env = Env::new(Some(env.clone()), values.len());
                    for v in values.iter() {
                        let val = self.maybe_thunk(&v.value, &new_env);
                        new_env.push(val);
                    }
                    (body.clone(), new_env)
                }
                Expr::With(ns, body, _) => {
                    let ns_val = self.maybe_thunk(ns, env);
                    let new_env = Env::with_one(Some(env.clone()), ns_val);
                    (body.clone(), new_env)
                }
                Expr::If(c, t, f, span) => {
                    let cond = self.eval(c, env)?;
                    // C++ Nix reports a condition that is not a Boolean at the `if`.
                    let b = self.expect_bool(&cond, *span)?;
                    (if b { t.clone() } else { f.clone() }, env.clone())
                }
                Expr::Assert(c, body, span) => {
                    let cond = self.eval(c, env)?;
                    if !self.expect_bool(&cond, *span)? {
                        let text = crate::show::show_expr(self, c);
                        return Err(EvalError::new(
                            ErrorKind::Assertion,
                            format!("assertion '{}' failed", text),
                            Some(*span),
                        ));
                    }
                    (body.clone(), env.clone())
                }
                Expr::Not(e, span) => {
                    let v = self.eval(e, env)?;
                    return Ok(Value::Bool(!self.expect_bool(&v, *span)?));
                }
                Expr::Neg(e, span) => {
                    let v = self.eval(e, env)?;
                    return self.arith(BinOp::Sub, Value::Int(0), v, *span, *span);
                }
                Expr::BinOp(op, l, r, span, rhs_start) => return self.eval_binop(*op, l, r, env, *span, *rhs_start),
                Expr::Interp(parts, kind, span) => return self.eval_interp(parts, *kind, env, *span),
                Expr::CurPos(span) => return Ok(self.pos_attrs(*span)),
                Expr::Error(span) => {
                    return Err(EvalError::new(ErrorKind::Syntax, "syntax error", Some(*span)));
                }
            };
            owned = Some(next);
        }
    }

    fn eval_var(&mut self, var: &Var, env: &Env, span: Span) -> EvalResult<Value> {
        match var {
            Var::Local { depth, slot } => match env.ancestor(*depth).get_ref(*slot) {
                Some(v) => Ok(self.force_ref(v).map_err(|e| e.at(span))?.clone()),
                None => Err(EvalError::new(ErrorKind::InfiniteRecursion, "infinite recursion encountered", Some(span))),
            },
            Var::Global(i) => {
                let v = self.globals[*i as usize].clone();
                self.force(&v)
            }
            Var::With { name, with_depths } => {
                for d in with_depths.iter() {
                    let holder = env.ancestor(*d).get(0).unwrap_or(Value::Null);
                    let attrs = self.force(&holder)?;
                    let Value::Attrs(attrs) = &attrs else {
                        return Err(EvalError::type_error(
                            format!("value is {} while a set was expected", attrs.type_desc()),
                            span,
                        ));
                    };
                    if let Some(v) = attrs.get(*name) {
                        return Ok(self.force_ref(v)?.clone());
                    }
                }
                Err(EvalError::new(ErrorKind::Type, format!("undefined variable '{}'", name), Some(span)))
            }
        }
    }

    /// The name of an attribute-path element, evaluating dynamic ones.
    fn attr_key(&mut self, key: &AttrKey, env: &Env, span: Span) -> EvalResult<Option<Symbol>> {
        match key {
            AttrKey::Static(s) => Ok(Some(*s)),
            AttrKey::Dynamic(e) => {
                let v = self.eval(e, env)?;
                match &v {
                    Value::Null => Ok(None),
                    // A name must not refer to the store (`forceStringNoCtx`).
                    _ => {
                        let s = crate::builtins::context::expect_str_no_ctx(self, &v, e.span().unwrap_or(span))?;
                        Ok(Some(Symbol::intern(&s)))
                    }
                }
            }
        }
    }

    fn eval_select(&mut self, sel: &Select, env: &Env) -> EvalResult<Value> {
        let mut cur = self.eval(&sel.expr, env)?;
        for (i, key) in sel.path.iter().enumerate() {
            let name = match self.attr_key(key, env, sel.span)? {
                Some(n) => n,
                None => {
                    return Err(EvalError::type_error("value is null while a string was expected", sel.span));
                }
            };
            let found = match &cur {
                Value::Attrs(a) => a.get_entry(name),
                other => {
                    if let Some(d) = &sel.default {
                        return self.eval(d, env);
                    }
                    return Err(EvalError::type_error(
                        format!("value is {} while a set was expected", other.type_desc()),
                        sel.span,
                    ));
                }
            };
            match found {
                Some(entry) => {
                    let next = self
                        .force_ref(&entry.value)
                        .map_err(|e| {
                            // C++ Nix forces the value selected last with the
                            // attribute's position, so infinite recursion is
                            // reported there.
                            let e = match (e.kind(), entry.pos) {
                                (ErrorKind::InfiniteRecursion, Some(pos)) if i + 1 == sel.path.len() => e.at(pos),
                                _ => e,
                            };
                            e.context(Some(sel.span), format!("while evaluating the attribute '{}'", name))
                        })?
                        .clone();
                    cur = next;
                }
                None => {
                    if let Some(d) = &sel.default {
                        return self.eval(d, env);
                    }
                    let mut err = EvalError::type_error(format!("attribute '{}' missing", name), sel.span);
                    if let Value::Attrs(a) = &cur {
                        if let Some(s) = suggest(name.as_str(), a.entries().iter().map(|e| e.name.as_str())) {
                            err = err.with_hint(format!("Did you mean {}?", s));
                        }
                    }
                    return Err(err);
                }
            }
        }
        Ok(cur)
    }

    fn eval_has_attr(&mut self, target: &ExprRef, path: &[AttrKey], env: &Env, span: Span) -> EvalResult<Value> {
        let mut cur = self.eval(target, env)?;
        for (i, key) in path.iter().enumerate() {
            // The name first, as C++ Nix: a failing or null name is an error
            // even where the value is not a set.
            let Some(name) = self.attr_key(key, env, span)? else {
                return Err(EvalError::type_error("value is null while a string was expected", span));
            };
            let Value::Attrs(a) = &cur else { return Ok(Value::Bool(false)) };
            match a.get(name) {
                // Only the sets along the path are forced, never the value
                // found at its end.
                Some(_) if i + 1 == path.len() => return Ok(Value::Bool(true)),
                Some(v) => {
                    let next = self.force_ref(v)?.clone();
                    cur = next;
                }
                None => return Ok(Value::Bool(false)),
            }
        }
        Ok(Value::Bool(true))
    }

    fn eval_attrs(&mut self, def: &Rc<AttrsDef>, env: &Env) -> EvalResult<Value> {
        let scope = if def.rec { Env::new(Some(env.clone()), def.statics.len()) } else { env.clone() };
        if def.dynamics.is_empty() && def.overrides.is_none() {
            // Lowering sorts static attributes by symbol: write them
            // straight into the set.
            return Ok(Value::Attrs(AttrSet::from_fn(def.statics.len(), |i| {
                let a = &def.statics[i];
                let v = self.maybe_thunk(&a.value, &scope);
                if def.rec {
                    scope.push(v.clone());
                }
                AttrEntry { name: a.name, value: v, pos: Some(a.span) }
            })));
        }
        let mut attrs = match def.overrides {
            Some(index) => self.overridden_statics(def, &scope, index)?,
            None => {
                let mut entries = Vec::with_capacity(def.statics.len() + def.dynamics.len());
                for a in def.statics.iter() {
                    let v = self.maybe_thunk(&a.value, &scope);
                    if def.rec {
                        scope.push(v.clone());
                    }
                    entries.push(AttrEntry { name: a.name, value: v, pos: Some(a.span) });
                }
                // Lowering sorts static attributes by symbol, so no sort is
                // needed unless dynamic attributes are added.
                Attrs::from_sorted(entries)
            }
        };
        for d in def.dynamics.iter() {
            let Some(name) = self.attr_key(&AttrKey::Dynamic(d.name.clone()), &scope, d.span)? else { continue };
            if let Some(first) = attrs.get_entry(name) {
                return Err(self.duplicate_dynamic_attribute(name, first.pos, d.span));
            }
            let v = self.maybe_thunk(&d.value, &scope);
            attrs.insert(name, v, Some(d.span));
        }
        Ok(Value::attrs(attrs))
    }

    /// `dynamic attribute 'a' already defined at FILE:L:C`, naming where
    /// the first definition is, as C++ Nix does.
    #[cold]
    fn duplicate_dynamic_attribute(&self, name: Symbol, first: Option<Span>, span: Span) -> EvalError {
        let at = first.map(|first| format!(" at {}", self.position_text(first))).unwrap_or_default();
        EvalError::type_error(
            format!("dynamic attribute '{}' already defined{}", crate::symbol_text(name.as_str()), at),
            span,
        )
    }

    /// The static attributes of `rec { ...; __overrides = e; }`, as C++ Nix
    /// 2.8 builds them: `e` is forced to a set as soon as the set is built,
    /// and each of its attributes replaces the attribute of that name, in the
    /// set and for the other attributes that refer to it, or is added.
    fn overridden_statics(&mut self, def: &AttrsDef, scope: &Env, index: usize) -> EvalResult<Attrs> {
        // Every slot is a thunk of its own, so that it can be redirected.
        let mut entries = Vec::with_capacity(def.statics.len());
        for a in def.statics.iter() {
            let v = Value::thunk(a.value.clone(), scope.clone());
            scope.push(v.clone());
            entries.push(AttrEntry { name: a.name, value: v, pos: Some(a.span) });
        }
        let overrides = self.force(&entries[index].value)?;
        let overrides = self.expect_attrs(&overrides, def.statics[index].span)?;
        let mut attrs = Attrs::from_sorted(entries);
        for o in overrides.entries() {
            if let Ok(slot) = def.statics.binary_search_by_key(&o.name, |a| a.name) {
                // A slot already forced while forcing `e` keeps its value.
                if let Some(Value::Thunk(t)) = scope.get_ref(slot as u32) {
                    if t.done_ref().is_none() {
                        let read = Rc::new(Expr::Var(Var::Local { depth: 0, slot: 0 }, def.statics[slot].span));
                        t.set(ThunkState::Pending(read, Env::with_one(None, o.value.clone())));
                    }
                }
            }
            attrs.insert(o.name, o.value.clone(), o.pos);
        }
        Ok(attrs)
    }

    // Inlined into `eval_loop`, its one hot caller: arithmetic and
    // comparisons are most of what small functions do.
    #[inline(always)]
    fn eval_binop(
        &mut self,
        op: BinOp,
        l: &ExprRef,
        r: &ExprRef,
        env: &Env,
        span: Span,
        rhs_start: u32,
    ) -> EvalResult<Value> {
        match op {
            BinOp::And => {
                let a = self.eval(l, env)?;
                if !self.expect_bool(&a, span)? {
                    return Ok(Value::Bool(false));
                }
                let b = self.eval(r, env)?;
                Ok(Value::Bool(self.expect_bool(&b, span)?))
            }
            BinOp::Or => {
                let a = self.eval(l, env)?;
                if self.expect_bool(&a, span)? {
                    return Ok(Value::Bool(true));
                }
                let b = self.eval(r, env)?;
                Ok(Value::Bool(self.expect_bool(&b, span)?))
            }
            BinOp::Impl => {
                let a = self.eval(l, env)?;
                if !self.expect_bool(&a, span)? {
                    return Ok(Value::Bool(true));
                }
                let b = self.eval(r, env)?;
                Ok(Value::Bool(self.expect_bool(&b, span)?))
            }
            BinOp::Eq => {
                let (a, b) = (self.eval(l, env)?, self.eval(r, env)?);
                Ok(Value::Bool(self.values_equal(&a, &b, span)?))
            }
            BinOp::NotEq => {
                let (a, b) = (self.eval(l, env)?, self.eval(r, env)?);
                Ok(Value::Bool(!self.values_equal(&a, &b, span)?))
            }
            BinOp::Less | BinOp::LessEq | BinOp::Greater | BinOp::GreaterEq => {
                // C++ Nix parses `a > b` as `__lessThan b a` and `a <= b` as
                // `!(b < a)`: their right side is evaluated first.
                let (a, b) = if matches!(op, BinOp::Greater | BinOp::LessEq) {
                    let b = self.eval(r, env)?;
                    (self.eval(l, env)?, b)
                } else {
                    (self.eval(l, env)?, self.eval(r, env)?)
                };
                if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
                    return Ok(Value::Bool(match op {
                        BinOp::Less => x < y,
                        BinOp::Greater => x > y,
                        BinOp::LessEq => x <= y,
                        _ => x >= y,
                    }));
                }
                let res = match op {
                    BinOp::Less => self.less_than(&a, &b, span)?,
                    BinOp::Greater => self.less_than(&b, &a, span)?,
                    BinOp::LessEq => !self.less_than(&b, &a, span)?,
                    _ => !self.less_than(&a, &b, span)?,
                };
                Ok(Value::Bool(res))
            }
            BinOp::Concat => {
                let (a, b) = (self.eval(l, env)?, self.eval(r, env)?);
                let la = self.expect_list(&a, span)?;
                let lb = self.expect_list(&b, span)?;
                if la.is_empty() {
                    return Ok(b);
                }
                if lb.is_empty() {
                    return Ok(a);
                }
                let mut v = Vec::with_capacity(la.len() + lb.len());
                v.extend_from_slice(&la);
                v.extend_from_slice(&lb);
                Ok(Value::list(v))
            }
            BinOp::Update => {
                // Each side is checked to be a set as soon as it is evaluated.
                let a = self.eval(l, env)?;
                let aa = self.expect_attrs(&a, span)?;
                let b = self.eval(r, env)?;
                let ab = self.expect_attrs(&b, span)?;
                if ab.is_empty() {
                    return Ok(a);
                }
                if aa.is_empty() {
                    return Ok(b);
                }
                Ok(Value::Attrs(AttrSet::update(&aa, &ab)))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let a = self.eval(l, env)?;
                // C++ Nix's `+` reports its errors at the operand they are
                // about: the right one's, or the left one's (the start).
                let rhs_span = Span::new(span.file, rhs_start, span.end);
                if op == BinOp::Add && !matches!(a, Value::Int(_) | Value::Float(_) | Value::String(_) | Value::Path(_))
                {
                    return self.add_to_coerced(a, r, env, span, rhs_span);
                }
                let b = self.eval(r, env)?;
                self.arith(op, a, b, span, rhs_span)
            }
        }
    }

    /// `a + b` where `a` is not a number, string or path: C++ Nix's `+`
    /// takes its first operand's kind first, so `a` is coerced to a string
    /// before `b` is evaluated, and then no path is copied to the store.
    #[cold]
    #[inline(never)]
    fn add_to_coerced(&mut self, a: Value, r: &ExprRef, env: &Env, span: Span, rhs_span: Span) -> EvalResult<Value> {
        let (mut text, mut context) = self.coerce_to_string(&a, span, false, false)?;
        let b = self.eval(r, env)?;
        let (more, more_context) = self.coerce_to_string(&b, rhs_span, false, false)?;
        text.push_str(&more);
        context.extend(more_context);
        Ok(Value::string_with_context(text, context))
    }

    /// Arithmetic and `+` on strings and paths. Both operands are forced;
    /// `rhs_span` is where errors about `b` as an operand of `+` go.
    pub fn arith(&mut self, op: BinOp, a: Value, b: Value, span: Span, rhs_span: Span) -> EvalResult<Value> {
        use Value::*;
        // Nix 2.8 wraps silently; current Nix reports overflow, and so do we.
        let overflow = |what: &str, x: i64, sign: char, y: i64| {
            EvalError::new(ErrorKind::Other, format!("integer overflow in {} {} {} {}", what, x, sign, y), Some(span))
        };
        match (op, &a, &b) {
            (BinOp::Add, Int(x), Int(y)) => x.checked_add(*y).map(Int).ok_or_else(|| overflow("adding", *x, '+', *y)),
            (BinOp::Sub, Int(x), Int(y)) => {
                x.checked_sub(*y).map(Int).ok_or_else(|| overflow("subtracting", *x, '-', *y))
            }
            (BinOp::Mul, Int(x), Int(y)) => {
                x.checked_mul(*y).map(Int).ok_or_else(|| overflow("multiplying", *x, '*', *y))
            }
            (BinOp::Div, Int(x), Int(y)) => {
                if *y == 0 {
                    return Err(EvalError::new(ErrorKind::Other, "division by zero", Some(span)));
                }
                x.checked_div(*y)
                    .map(Int)
                    .ok_or_else(|| EvalError::new(ErrorKind::Other, "overflow in integer division", Some(span)))
            }
            (_, Int(_) | Float(_), Int(_) | Float(_)) => {
                let x = as_f64(&a);
                let y = as_f64(&b);
                Ok(Float(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    _ => {
                        if y == 0.0 {
                            return Err(EvalError::new(ErrorKind::Other, "division by zero", Some(span)));
                        }
                        x / y
                    }
                }))
            }
            // `+` is string concatenation unless the left side is a number
            // or a path, and the right side is coerced like interpolation.
            (BinOp::Add, Int(_), _) | (BinOp::Add, Float(_), _) => {
                Err(EvalError::type_error(format!("cannot add {} to {}", b.type_desc(), a.type_desc()), rhs_span))
            }
            (BinOp::Add, Path(p), _) => {
                let (s, ctx) = self.coerce_to_string(&b, rhs_span, false, false)?;
                if !ctx.is_empty() {
                    return Err(EvalError::type_error(
                        "a string that refers to a store path cannot be appended to a path",
                        span,
                    ));
                }
                let joined = format!("{}{}", p, s);
                Ok(Path(nix2dream_syntax::lower::canonicalize(std::path::Path::new(&joined)).into()))
            }
            (BinOp::Add, _, _) => {
                let (mut bytes, mut ctx) = self.coerce_to_bytes(&a, span, false, true)?;
                let (ys, yctx) = self.coerce_to_bytes(&b, rhs_span, false, true)?;
                ctx.extend(yctx);
                bytes.extend_from_slice(&ys);
                Ok(Value::string_from_bytes(bytes, ctx))
            }
            // The remaining cases are type errors, reported in the order
            // C++ Nix's prim_sub/mul/div check their operands: `/` checks the
            // divisor as a float (and for zero) first; otherwise a float on either side asks
            // for floats, else for integers, left operand first.
            _ => {
                let wanted = |v: &Value, float: bool| {
                    let kind = if float { "a float" } else { "an integer" };
                    EvalError::type_error(format!("value is {} while {} was expected", v.type_desc(), kind), span)
                };
                let is_num = |v: &Value| matches!(v, Int(_) | Float(_));
                if op == BinOp::Div {
                    if !is_num(&b) {
                        return Err(wanted(&b, true));
                    }
                    // prim_div tests the divisor for zero before it looks
                    // at the dividend: `"a" / 0` is a division by zero.
                    if as_f64(&b) == 0.0 {
                        return Err(EvalError::new(ErrorKind::Other, "division by zero", Some(span)));
                    }
                }
                let float = matches!(a, Float(_)) || matches!(b, Float(_));
                if !is_num(&a) {
                    return Err(wanted(&a, float));
                }
                Err(wanted(&b, float))
            }
        }
    }

    fn eval_interp(&mut self, parts: &[InterpPart], kind: InterpKind, env: &Env, span: Span) -> EvalResult<Value> {
        let mut out: Vec<u8> = Vec::new();
        let mut ctx = Context::new();
        let mut first = true;
        let mut is_path = false;
        for part in parts {
            let v = self.eval(&part.expr, env)?;
            let pspan = Span::new(span.file, part.at, span.end);
            if first && kind == InterpKind::Path {
                if let Value::Path(p) = &v {
                    out.extend_from_slice(p.as_bytes());
                    is_path = true;
                    first = false;
                    continue;
                }
            }
            if is_path {
                // Interpolation into a path: strings only, no store paths.
                let (s, c) = self.coerce_to_string(&v, pspan, false, false)?;
                if !c.is_empty() {
                    return Err(EvalError::type_error(
                        "a string that refers to a store path cannot be appended to a path",
                        span,
                    ));
                }
                out.extend_from_slice(s.as_bytes());
            } else {
                match &v {
                    Value::String(s) => {
                        out.extend_from_slice(s.as_bytes());
                        ctx.extend(s.context().iter().cloned());
                    }
                    _ => {
                        let (s, c) = self.coerce_to_bytes(&v, pspan, false, true)?;
                        out.extend_from_slice(&s);
                        ctx.extend(c);
                    }
                }
            }
            first = false;
        }
        if is_path {
            let text = String::from_utf8_lossy(&out);
            return Ok(Value::Path(nix2dream_syntax::lower::canonicalize(std::path::Path::new(&*text)).into()));
        }
        Ok(Value::string_from_bytes(out, ctx))
    }

    /// Call `f` with one argument.
    pub fn call_value(&mut self, f: &Value, arg: Value, span: Option<Span>) -> EvalResult<Value> {
        let f = self.force(f)?;
        let span = span.unwrap_or(self.dummy_span());
        match &f {
            Value::Lambda(c) => {
                self.tick(span)?;
                let env = self.bind_args(c, arg, span)?;
                let body = c.def.body.clone();
                if self.options.show_trace {
                    return self.eval(&body, &env).map_err(|e| with_call_frames(e, c.def.name, c.def.span, span));
                }
                self.eval(&body, &env)
            }
            Value::PrimOp(op) => {
                if op.arity == 1 {
                    self.run_primop(op, &[arg], span)
                } else {
                    Ok(Value::PrimOpApp(Shared::new(PrimOpApp { op, args: vec![arg] })))
                }
            }
            Value::PrimOpApp(app) => {
                if app.args.len() + 1 == app.op.arity {
                    // Saturated: the arguments live on the stack.
                    let mut args: smallvec::SmallVec<[Value; 6]> = smallvec::SmallVec::with_capacity(app.op.arity);
                    args.extend(app.args.iter().cloned());
                    args.push(arg);
                    self.run_primop(app.op, &args, span)
                } else {
                    let mut args = Vec::with_capacity(app.op.arity);
                    args.extend(app.args.iter().cloned());
                    args.push(arg);
                    Ok(Value::PrimOpApp(Shared::new(PrimOpApp { op: app.op, args })))
                }
            }
            Value::Attrs(a) => {
                if let Some(functor) = a.get(Symbol::FUNCTOR).cloned() {
                    let inner = self.call_value(&functor, f.clone(), Some(span))?;
                    // Nested: a functor may give back a set with a functor
                    // (itself, say), and calling that must end in an error.
                    return self.nested(Some(span), |ev| ev.call_value(&inner, arg, Some(span)));
                }
                Err(EvalError::type_error(
                    format!("attempt to call something which is not a function but {}", f.type_desc()),
                    span,
                ))
            }
            other => Err(EvalError::type_error(
                format!("attempt to call something which is not a function but {}", other.type_desc()),
                span,
            )),
        }
    }

    fn run_primop(&mut self, op: &'static PrimOp, args: &[Value], span: Span) -> EvalResult<Value> {
        let r = self.nested(Some(span), |ev| (op.run)(ev, args, span));
        r.map_err(|e| {
            let e = e.at(span);
            if e.is_catchable() || e.kind() == ErrorKind::Abort {
                e
            } else {
                e.context(Some(span), format!("while calling the '{}' builtin", op.name))
            }
        })
    }

    /// Count a function call against the fuel limit and poll the interrupt
    /// hook now and then.
    #[inline]
    fn tick(&mut self, span: Span) -> EvalResult<()> {
        self.steps = self.steps.wrapping_add(1);
        if let Some(fuel) = &mut self.fuel {
            if *fuel == 0 {
                return Err(EvalError::new(ErrorKind::Interrupted, "evaluation ran out of fuel", Some(span)));
            }
            *fuel -= 1;
        }
        if self.steps & 0xfff == 0 {
            if let Some(hook) = &mut self.interrupt {
                if hook() {
                    return Err(EvalError::new(ErrorKind::Interrupted, "evaluation interrupted", Some(span)));
                }
            }
        }
        Ok(())
    }

    /// Run `f` one level deeper: it counts towards `max_depth` (so endless
    /// structures fail with "stack overflow" instead of eating memory) and
    /// gets a fresh stack segment when the current one runs out. Every
    /// recursive walk over values (printing, JSON, XML, equality, deep
    /// forcing) goes through here.
    /// Asking stacker costs a call per level; comparing the stack pointer
    /// with a cached guard address is nearly free, so only near the end of
    /// the current stack segment do we ask. `eval` itself goes through here.
    #[inline]
    pub fn nested<T>(&mut self, span: Option<Span>, f: impl FnOnce(&mut Evaluator) -> EvalResult<T>) -> EvalResult<T> {
        self.depth += 1;
        if self.depth > self.options.max_depth {
            self.depth -= 1;
            return Err(EvalError::stack_overflow(span));
        }
        let r = if approximate_sp() < self.stack_guard { self.on_new_stack_segment(f) } else { f(self) };
        self.depth -= 1;
        r
    }

    /// `f` on a fresh stack segment, out of line: inlined, the segment
    /// switch made every `eval` frame larger and slower to enter.
    #[cold]
    #[inline(never)]
    fn on_new_stack_segment<T>(&mut self, f: impl FnOnce(&mut Evaluator) -> EvalResult<T>) -> EvalResult<T> {
        let saved = self.stack_guard;
        let r = stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            self.stack_guard = stack_guard_here();
            f(self)
        });
        self.stack_guard = saved;
        r
    }

    /// Charge `units` of work (for builtins that build large values) against
    /// the fuel limit.
    pub fn charge(&mut self, units: u64, span: Span) -> EvalResult<()> {
        if let Some(fuel) = &mut self.fuel {
            if *fuel < units {
                *fuel = 0;
                return Err(EvalError::new(ErrorKind::Interrupted, "evaluation ran out of fuel", Some(span)));
            }
            *fuel -= units;
        }
        Ok(())
    }

    /// Bind a call's argument into a fresh environment for the lambda body.
    pub(crate) fn bind_args(&mut self, c: &Shared<Closure>, arg: Value, span: Span) -> EvalResult<Env> {
        self.bind_lambda_args(&c.def, &c.env, arg, span)
    }

    /// Call a curried function with two arguments. A lambda whose body is a
    /// lambda (`a: b: ...`) gets both bound directly, without allocating
    /// the intermediate closure (sort comparators, fold functions).
    pub fn call_value2(&mut self, f: &Value, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        let f = &self.force(f)?;
        if let Value::Lambda(c) = f {
            if let Expr::Lambda(inner) = &*c.def.body {
                self.tick(span)?;
                let env1 = self.bind_lambda_args(&c.def, &c.env, a, span)?;
                self.tick(span)?;
                let env2 = self.bind_lambda_args(inner, &env1, b, span)?;
                return self.eval(&inner.body, &env2);
            }
        }
        let partial = self.call_value(f, a, Some(span))?;
        self.call_value(&partial, b, Some(span))
    }

    fn bind_lambda_args(&mut self, def: &LambdaDef, closure_env: &Env, arg: Value, span: Span) -> EvalResult<Env> {
        let c = ClosureParts { def, env: closure_env };
        match &c.def.param {
            Param::Ident(_) => Ok(Env::with_one(Some(c.env.clone()), arg)),
            Param::Pattern { formals, ellipsis, bind } => {
                let forced = self.force_ref(&arg)?;
                let Value::Attrs(attrs) = forced else {
                    return Err(EvalError::type_error(
                        format!("value is {} while a set was expected", forced.type_desc()),
                        span,
                    ));
                };
                let env = Env::new(Some(c.env.clone()), c.def.env_size as usize);
                let mut used = 0;
                for f in formals.iter() {
                    match attrs.get(f.name) {
                        Some(v) => {
                            used += 1;
                            env.push(v.clone());
                        }
                        None => match &f.default {
                            // Nothing reads the slot (see `Formal::referenced`).
                            Some(_) if !f.referenced => env.push(Value::Null),
                            Some(d) => {
                                let v = self.maybe_thunk(d, &env);
                                env.push(v);
                            }
                            None => return Err(self.argument_error(c.def, f.name, false, span)),
                        },
                    }
                }
                if !*ellipsis && used != attrs.len() {
                    for e in attrs.entries() {
                        if !formals.iter().any(|f| f.name == e.name) {
                            return Err(self.argument_error(c.def, e.name, true, span));
                        }
                    }
                }
                if bind.is_some() {
                    env.push(forced.clone());
                }
                Ok(env)
            }
        }
    }

    /// A call's argument error, worded as C++ Nix words it: `'f' at
    /// FILE:LINE:COL called without required argument 'a'` (or `with
    /// unexpected argument`, with a hint when a formal is close), and
    /// `anonymous function at ...` for a lambda bound to no name. Out of
    /// line: in the binding of every call's arguments it cost instructions.
    #[cold]
    #[inline(never)]
    fn argument_error(&self, def: &LambdaDef, name: Symbol, unexpected: bool, span: Span) -> EvalError {
        let at = self.position_text(def.span);
        let function = match def.name {
            Some(n) => format!("'{}' at {}", n, at),
            None => format!("anonymous function at {}", at),
        };
        // The argument is a symbol to C++ Nix, shown quoted unless it is an
        // identifier; the function's own name is shown as it is.
        let shown = crate::symbol_text(name.as_str());
        if !unexpected {
            return EvalError::type_error(format!("{function} called without required argument '{shown}'"), span);
        }
        let mut err = EvalError::type_error(format!("{function} called with unexpected argument '{shown}'"), span);
        if let Param::Pattern { formals, .. } = &def.param {
            if let Some(s) = suggest(name.as_str(), formals.iter().map(|f| f.name.as_str())) {
                err = err.with_hint(format!("Did you mean {}?", s));
            }
        }
        err
    }

    pub(crate) fn dummy_span(&self) -> Span {
        Span::new(nix2dream_syntax::FileId::new(0), 0, 0)
    }

    pub(crate) fn source_text(&self, span: Span) -> String {
        let file = self.sources.get(span.file);
        file.text.get(span.start as usize..span.end as usize).unwrap_or("").to_string()
    }

    /// `__curPos` and `unsafeGetAttrPos` results.
    pub fn pos_attrs(&mut self, span: Span) -> Value {
        let file = self.sources.get(span.file).clone();
        let lc = file.line_col(span.start);
        let mut a = Attrs::with_capacity(3);
        // C++ Nix 2.8 names the file of an expression given as text (`-E`,
        // stdin) by the text itself: the `Pos` keeps the parsed string where
        // a file's path would be.
        let name = match &file.origin {
            nix2dream_syntax::Origin::Path(_) => Value::string(file.origin.display()),
            nix2dream_syntax::Origin::Named(_) => Value::string(file.text.clone()),
        };
        a.insert(Symbol::intern("file"), name, None);
        a.insert(Symbol::intern("line"), Value::Int(lc.line as i64), None);
        a.insert(Symbol::intern("column"), Value::Int(lc.column as i64), None);
        Value::attrs(a)
    }
}

/// `v` if it is evaluated: not a thunk, or a thunk already forced.
#[inline]
fn evaluated(v: &Value) -> Option<&Value> {
    match v {
        Value::Thunk(t) => t.done_ref(),
        other => Some(other),
    }
}

/// Speculate on integer arithmetic whose operands are already values
/// (`n - 1` with `n` evaluated): computing it now instead of allocating a
/// thunk is unobservable, because such an expression has no effects and
/// every failure (a non-integer, overflow, division by zero) makes us fall
/// back to the lazy thunk, which reports it only if it is ever forced.
fn cheap_value(expr: &Expr, env: &Env, budget: u8) -> Option<Value> {
    /// A leaf's integer: a literal, or a variable already evaluated to one.
    #[inline(always)]
    fn leaf(expr: &Expr, env: &Env) -> Option<i64> {
        match expr {
            Expr::Int(i) => Some(*i),
            Expr::Var(Var::Local { depth, slot }, _) => match evaluated(env.ancestor(*depth).get_ref(*slot)?)? {
                Value::Int(i) => Some(*i),
                _ => None,
            },
            _ => None,
        }
    }
    #[inline(always)]
    fn apply(op: BinOp, a: i64, b: i64) -> Option<i64> {
        match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            _ => None,
        }
    }
    fn int(expr: &Expr, env: &Env, budget: u8) -> Option<i64> {
        match expr {
            Expr::BinOp(op, l, r, _, _) if budget > 0 => {
                let (a, b) = (int(l, env, budget - 1)?, int(r, env, budget - 1)?);
                apply(*op, a, b)
            }
            _ => leaf(expr, env),
        }
    }
    match expr {
        Expr::BinOp(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), l, r, _, _) => {
            // Most are a variable and a literal (`n - 1`): no recursion.
            if let (Some(a), Some(b)) = (leaf(l, env), leaf(r, env)) {
                return apply(*op, a, b).map(Value::Int);
            }
            int(expr, env, budget).map(Value::Int)
        }
        _ => None,
    }
}

/// The frames C++ Nix's `--show-trace` adds for an error that leaves a
/// function's body: the function, then where it was called.
fn with_call_frames(e: EvalError, name: Option<Symbol>, lambda: Span, call: Span) -> EvalError {
    let function = match name {
        Some(name) => format!("'{}'", name),
        None => "anonymous lambda".to_string(),
    };
    e.context(Some(lambda), format!("while evaluating {}", function)).context(Some(call), "from call site")
}

/// A closure borrowed in parts (definition and environment).
struct ClosureParts<'a> {
    def: &'a LambdaDef,
    env: &'a Env,
}

/// The real stack pointer. (The address of a local is not good enough:
/// under AddressSanitizer locals may live on a heap-allocated fake stack,
/// which the fuzzer found.)
#[inline(always)]
fn approximate_sp() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: reads a register, touches no memory.
        unsafe { std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let sp: usize;
        // SAFETY: reads a register, touches no memory.
        unsafe { std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        psm::stack_pointer() as usize
    }
}

/// The lowest address evaluation may reach on the current stack segment
/// before it must switch to a new one.
pub(crate) fn stack_guard_here() -> usize {
    let remaining = stacker::remaining_stack().unwrap_or(0);
    approximate_sp().saturating_sub(remaining) + RED_ZONE
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => 0.0,
    }
}

/// The closest candidate by edit distance, if close enough to be a typo.
pub fn suggest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(wanted, c);
        let limit = (wanted.len().max(c.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 1 };
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}
