//! Runtime values, environments and thunks.

use crate::error::EvalResult;
use nix2dream_syntax::ir::{ExprRef, LambdaDef};
use nix2dream_syntax::{Span, Symbol};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// A Nix value. Cheap to clone: everything larger than a word is behind an
/// `Rc`. A value read from an environment, list or attribute set may be a
/// [`Value::Thunk`]; [`crate::Evaluator::force`] never returns one.
#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Rc<NixString>),
    /// An absolute, canonical path.
    Path(Rc<str>),
    Attrs(Rc<Attrs>),
    List(Rc<Vec<Value>>),
    Lambda(Rc<Closure>),
    PrimOp(&'static PrimOp),
    PrimOpApp(Rc<PrimOpApp>),
    Thunk(Rc<Thunk>),
}

impl Value {
    pub fn string(s: impl Into<Rc<str>>) -> Value {
        Value::String(Rc::new(NixString { text: s.into(), context: Context::default() }))
    }

    pub fn string_with_context(s: impl Into<Rc<str>>, context: Context) -> Value {
        Value::String(Rc::new(NixString { text: s.into(), context }))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }

    pub fn attrs(a: Attrs) -> Value {
        Value::Attrs(Rc::new(a))
    }

    pub fn thunk(expr: ExprRef, env: Rc<Env>) -> Value {
        Value::Thunk(Rc::new(Thunk::new(ThunkState::Pending(expr, env))))
    }

    /// A suspended call `fun arg`, as builtins like `map` produce.
    pub fn apply_thunk(fun: Value, arg: Value) -> Value {
        Value::Thunk(Rc::new(Thunk::new(ThunkState::Apply(fun, arg))))
    }

    /// The type name Nix uses in messages ("an integer", "a set", ...).
    pub fn type_desc(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(_) => "a string",
            Value::Path(_) => "a path",
            Value::Attrs(_) => "a set",
            Value::List(_) => "a list",
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => "a function",
            Value::Thunk(_) => "a thunk",
        }
    }

    /// `builtins.typeOf`.
    pub fn type_of(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Path(_) => "path",
            Value::Attrs(_) => "set",
            Value::List(_) => "list",
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => "lambda",
            Value::Thunk(_) => "thunk",
        }
    }

    pub fn is_function(&self) -> bool {
        matches!(self, Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_))
    }

    /// Same object (used for the pointer-equality shortcuts Nix makes).
    pub fn ptr_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Attrs(a), Value::Attrs(b)) => Rc::ptr_eq(a, b),
            (Value::List(a), Value::List(b)) => Rc::ptr_eq(a, b),
            (Value::Thunk(a), Value::Thunk(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// String context: what a string refers to in the store. Elements use C++
/// Nix's encoding: a plain path, `=DRV` for a whole derivation, and
/// `!OUTPUT!DRV` for one output.
pub type Context = BTreeSet<Rc<str>>;

pub struct NixString {
    pub text: Rc<str>,
    pub context: Context,
}

impl NixString {
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// An attribute set: entries sorted by symbol id, so lookup is a binary
/// search and `//` a linear merge. Names are *not* in lexicographic order;
/// [`Attrs::sorted_by_name`] gives that order for printing and `attrNames`.
#[derive(Clone, Default)]
pub struct Attrs {
    entries: Vec<AttrEntry>,
}

#[derive(Clone)]
pub struct AttrEntry {
    pub name: Symbol,
    pub value: Value,
    pub pos: Option<Span>,
}

impl Attrs {
    pub fn with_capacity(n: usize) -> Attrs {
        Attrs { entries: Vec::with_capacity(n) }
    }

    /// Build from entries in any order; on duplicate names the first wins.
    pub fn from_entries(mut entries: Vec<AttrEntry>) -> Attrs {
        entries.sort_by_key(|e| e.name);
        entries.dedup_by_key(|e| e.name);
        Attrs { entries }
    }

    /// Build from entries already sorted by symbol with no duplicates.
    pub fn from_sorted(entries: Vec<AttrEntry>) -> Attrs {
        debug_assert!(entries.windows(2).all(|w| w[0].name < w[1].name));
        Attrs { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn index_of(&self, name: Symbol) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&name, |e| e.name)
    }

    pub fn get(&self, name: Symbol) -> Option<&Value> {
        self.index_of(name).ok().map(|i| &self.entries[i].value)
    }

    pub fn get_entry(&self, name: Symbol) -> Option<&AttrEntry> {
        self.index_of(name).ok().map(|i| &self.entries[i])
    }

    pub fn get_str(&self, name: &str) -> Option<&Value> {
        self.get(Symbol::intern(name))
    }

    pub fn contains(&self, name: Symbol) -> bool {
        self.index_of(name).is_ok()
    }

    /// Insert or replace.
    pub fn insert(&mut self, name: Symbol, value: Value, pos: Option<Span>) {
        match self.index_of(name) {
            Ok(i) => self.entries[i] = AttrEntry { name, value, pos },
            Err(i) => self.entries.insert(i, AttrEntry { name, value, pos }),
        }
    }

    /// Entries in symbol order (fast, arbitrary but stable).
    pub fn entries(&self) -> &[AttrEntry] {
        &self.entries
    }

    pub fn into_entries(self) -> Vec<AttrEntry> {
        self.entries
    }

    /// Entries in lexicographic name order, as Nix shows them.
    pub fn sorted_by_name(&self) -> Vec<&AttrEntry> {
        let mut v: Vec<&AttrEntry> = self.entries.iter().collect();
        v.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        v
    }

    /// `self // other`: a linear merge; `other` wins.
    pub fn update(&self, other: &Attrs) -> Attrs {
        let (a, b) = (&self.entries, &other.entries);
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].name.cmp(&b[j].name) {
                std::cmp::Ordering::Less => {
                    out.push(a[i].clone());
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(b[j].clone());
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push(b[j].clone());
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        Attrs { entries: out }
    }
}

/// A lambda together with the environment it closes over.
pub struct Closure {
    pub def: Rc<LambdaDef>,
    pub env: Rc<Env>,
}

/// A native builtin. `arity` arguments are collected before `run` is
/// called; the arguments are *not* forced beforehand.
pub struct PrimOp {
    pub name: &'static str,
    pub arity: usize,
    pub run: fn(&mut crate::Evaluator, &[Value], Span) -> EvalResult<Value>,
}

pub struct PrimOpApp {
    pub op: &'static PrimOp,
    pub args: Vec<Value>,
}

/// A runtime scope: one per `let`, `rec`, lambda call and `with`. Small
/// scopes (the common case: a lambda's one argument) live inline, so a call
/// costs one allocation.
pub struct Env {
    pub up: Option<Rc<Env>>,
    // Interior mutability without a borrow flag: slots are only appended
    // (while the scope is built) and read by cloning; no reference into the
    // vector ever escapes `get`/`push`, and evaluation is single-threaded.
    slots: std::cell::UnsafeCell<smallvec::SmallVec<[Value; 3]>>,
}

impl Env {
    /// An environment whose `size` slots are filled in order with
    /// [`Env::push`]. A slot not yet filled reads as `None`: that is how
    /// `let x = x;` gets a real thunk (and infinite recursion) rather than
    /// a copy of an uninitialised slot.
    pub fn new(up: Option<Rc<Env>>, size: usize) -> Rc<Env> {
        Rc::new(Env { up, slots: std::cell::UnsafeCell::new(smallvec::SmallVec::with_capacity(size)) })
    }

    pub fn with_values(up: Option<Rc<Env>>, values: Vec<Value>) -> Rc<Env> {
        Rc::new(Env { up, slots: std::cell::UnsafeCell::new(smallvec::SmallVec::from_vec(values)) })
    }

    /// A scope with exactly one slot (a plain lambda argument, `with`).
    #[inline]
    pub fn with_one(up: Option<Rc<Env>>, value: Value) -> Rc<Env> {
        let mut slots = smallvec::SmallVec::new();
        slots.push(value);
        Rc::new(Env { up, slots: std::cell::UnsafeCell::new(slots) })
    }

    #[inline]
    pub fn get(&self, slot: u32) -> Option<Value> {
        // SAFETY: see the field comment; the shared borrow ends before
        // anything else can touch the slots.
        unsafe { (&*self.slots.get()).get(slot as usize).cloned() }
    }

    /// Fill the next slot.
    #[inline]
    pub fn push(&self, v: Value) {
        // SAFETY: see the field comment; no other borrow is alive.
        unsafe { (&mut *self.slots.get()).push(v) }
    }

    /// Walk `depth` scopes up.
    #[inline]
    pub fn ancestor(self: &Rc<Env>, depth: u32) -> &Rc<Env> {
        let mut env = self;
        for _ in 0..depth {
            env = env.up.as_ref().expect("lowering resolved a variable deeper than the environment chain");
        }
        env
    }
}

pub struct Thunk {
    pub state: RefCell<ThunkState>,
}

pub enum ThunkState {
    Pending(ExprRef, Rc<Env>),
    /// A call suspended by a builtin (`map f xs` makes one per element).
    Apply(Value, Value),
    /// Being evaluated: forcing it again is infinite recursion.
    Blackhole,
    Done(Value),
}

impl Thunk {
    pub fn new(state: ThunkState) -> Thunk {
        Thunk { state: RefCell::new(state) }
    }
}
