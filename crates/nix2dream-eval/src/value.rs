//! Runtime values, environments and thunks.

use crate::error::EvalResult;
use nix2dream_syntax::ir::{ExprRef, LambdaDef};
use nix2dream_syntax::{Span, Symbol};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// A Nix value. Cheap to clone: everything larger than a word is behind an
/// `Rc`. A value read from an environment, list or attribute set may be a
/// [`Value::Thunk`]; [`crate::Evaluator::force`] never returns one.
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(NixString),
    /// An absolute, canonical path.
    Path(Rc<String>),
    Attrs(AttrSet),
    List(List),
    Lambda(Shared<Closure>),
    PrimOp(&'static PrimOp),
    PrimOpApp(Shared<PrimOpApp>),
    Thunk(Shared<Thunk>),
}

impl Clone for Value {
    /// Cloning is the most frequent operation of an evaluation. Every
    /// counted block keeps its count first (see `shared::Count`), so this
    /// is one test of the tag and one increment; the derived `Clone` was a
    /// jump through a table, one arm per kind of pointer.
    #[inline]
    fn clone(&self) -> Value {
        if let Value::Path(p) = self {
            return Value::Path(p.clone());
        }
        if let Some(count) = self.count() {
            count.retain();
        }
        // SAFETY: the other variants are plain data or counted pointers
        // (a block's address), whose count now includes the copy, which
        // the copy's drop will release.
        unsafe { std::ptr::read(self) }
    }
}

impl Value {
    /// The count of the block a counted variant points to: the same
    /// place in every block, so this is a test of the tag and a load.
    #[inline]
    fn count(&self) -> Option<&crate::shared::Count> {
        match self {
            Value::String(s) => Some(s.count()),
            Value::Attrs(a) => Some(a.count()),
            Value::List(l) => Some(l.count()),
            Value::Lambda(c) => Some(c.count()),
            Value::PrimOpApp(p) => Some(p.count()),
            Value::Thunk(t) => Some(t.count()),
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::PrimOp(_) | Value::Path(_) => None,
        }
    }
}

impl Value {
    pub fn string(s: impl AsRef<str>) -> Value {
        Value::String(NixString::new(s.as_ref(), Context::default()))
    }

    pub fn string_with_context(s: impl AsRef<str>, context: Context) -> Value {
        Value::String(NixString::new(s.as_ref(), context))
    }

    /// A string from arbitrary bytes: Nix strings are byte strings, and
    /// `substring` may cut a UTF-8 sequence in half.
    pub fn string_from_bytes(bytes: Vec<u8>, context: Context) -> Value {
        Value::String(NixString::from_bytes(bytes, context))
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::from_vec(items))
    }

    pub fn attrs(a: Attrs) -> Value {
        Value::Attrs(AttrSet::from_attrs(a))
    }

    pub fn thunk(expr: ExprRef, env: Env) -> Value {
        Value::Thunk(Shared::new(Thunk::new(ThunkState::Pending(expr, env))))
    }

    /// A suspended call `fun arg`, as builtins like `map` produce.
    /// `span` is the builtin call that suspended it, for error positions.
    pub fn apply_thunk(fun: Value, arg: Value, span: Span) -> Value {
        Value::Thunk(Shared::new(Thunk::new(ThunkState::Apply(Box::new((fun, arg, span))))))
    }

    /// A suspended call of `op` on all its arguments (`args.len() == op.arity`).
    pub fn native_thunk<const N: usize>(op: &'static PrimOp, args: [Value; N], span: Span) -> Value {
        Value::Thunk(Shared::new(Thunk::new(ThunkState::native(op, args, span))))
    }

    /// A suspended call `fun a b` (one thunk, not two, for `mapAttrs`).
    pub fn apply2_thunk(fun: Value, a: Value, b: Value, span: Span) -> Value {
        Value::Thunk(Shared::new(Thunk::new(ThunkState::Apply2(Box::new((fun, a, b, span))))))
    }

    /// The type name Nix uses in messages ("an integer", "a set", ...):
    /// C++ Nix's `showType(Value)`, which names builtins and tells strings
    /// with context apart.
    pub fn type_desc(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Value::Null => "null",
            Value::Bool(_) => "a Boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::String(s) if !s.context().is_empty() => "a string with context",
            Value::String(_) => "a string",
            Value::Path(_) => "a path",
            Value::Attrs(_) => "a set",
            Value::List(_) => "a list",
            Value::Lambda(_) => "a function",
            Value::PrimOp(op) if op.lambda => "a function",
            Value::PrimOpApp(app) if app.op.lambda => "a function",
            Value::PrimOp(op) => return format!("the built-in function '{}'", op.name).into(),
            Value::PrimOpApp(app) => {
                return format!("the partially applied built-in function '{}'", app.op.name).into()
            }
            Value::Thunk(_) => "a thunk",
        })
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

    /// The position C++ Nix's `Value::determinePos` finds for some errors
    /// about a value (toJSON of a function, concatMap's result): a lambda's
    /// own, else `fallback`. (Nix also gives sets one; ours carry none.)
    pub fn pos_or(&self, fallback: Span) -> Span {
        match self {
            Value::Lambda(c) => c.def.span,
            _ => fallback,
        }
    }

    pub fn is_function(&self) -> bool {
        matches!(self, Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_))
    }

    /// Same object (used for the pointer-equality shortcuts Nix makes).
    pub fn ptr_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Attrs(a), Value::Attrs(b)) => AttrSet::ptr_eq(a, b),
            (Value::List(a), Value::List(b)) => List::ptr_eq(a, b),
            (Value::Thunk(a), Value::Thunk(b)) => Shared::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Shallow: scalars in full, containers by size, thunks unevaluated.
impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{}", b),
            Value::Int(i) => write!(f, "{}", i),
            Value::Float(x) => write!(f, "{}", x),
            Value::String(s) => write!(f, "{:?}", s.as_str()),
            Value::Path(p) => f.write_str(p),
            Value::Attrs(a) => write!(f, "{{ {} attributes }}", a.len()),
            Value::List(l) => write!(f, "[ {} elements ]", l.len()),
            Value::Lambda(_) => f.write_str("«lambda»"),
            Value::PrimOp(op) => write!(f, "«primop {}»", op.name),
            Value::PrimOpApp(app) => write!(f, "«partially applied primop {}»", app.op.name),
            Value::Thunk(_) => f.write_str("«thunk»"),
        }
    }
}

pub use crate::list::List;
pub use crate::string::NixString;

thread_local! {
    static DROP_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// How many parts wait in `DROP_QUEUE`. The outermost drop reads this
    /// plain cell and touches the queue only when something waits: the
    /// queue's thread-local has a destructor, so every access to it checks
    /// its registration, and nearly every drop is an outermost one.
    static DROPS_QUEUED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static DROP_QUEUE: RefCell<Vec<Box<dyn std::any::Any>>> = const { RefCell::new(Vec::new()) };
}

/// Drop `parts` now, unless we are already deep inside nested drops (a
/// list of a list of ... a million deep); then queue them, and let the
/// outermost drop empty the queue iteratively.
// Out of line: inlined into every counted pointer's drop, it made the
// evaluator's hot loops larger and cost fib and strings about 1.5%.
#[inline(never)]
pub(crate) fn deferred_drop<T: 'static>(parts: T) {
    const MAX_NESTED_DROPS: u32 = 256;
    let depth = DROP_DEPTH.get();
    if depth >= MAX_NESTED_DROPS {
        DROP_QUEUE.with(|q| q.borrow_mut().push(Box::new(parts)));
        DROPS_QUEUED.set(DROPS_QUEUED.get() + 1);
        return;
    }
    DROP_DEPTH.set(depth + 1);
    drop(parts);
    if depth == 0 {
        while DROPS_QUEUED.get() != 0 {
            let next = DROP_QUEUE.with(|q| q.borrow_mut().pop());
            DROPS_QUEUED.set(DROPS_QUEUED.get() - 1);
            drop(next);
        }
    }
    DROP_DEPTH.set(depth);
}

/// String context: what a string refers to in the store. Elements use C++
/// Nix's encoding: a plain path, `=DRV` for a whole derivation, and
/// `!OUTPUT!DRV` for one output.
pub type Context = BTreeSet<Rc<str>>;

/// An attribute set being built: entries sorted by symbol id, so lookup is
/// a binary search. [`Value::attrs`] freezes it into the [`AttrSet`] that
/// values hold.
#[derive(Clone, Default)]
pub struct Attrs {
    own: Vec<AttrEntry>,
}

impl Drop for Attrs {
    fn drop(&mut self) {
        let own = std::mem::take(&mut self.own);
        if !own.is_empty() {
            deferred_drop(own);
        }
    }
}

pub use crate::attr_set::{AttrSet, MAX_LAYERS};

#[derive(Clone)]
pub struct AttrEntry {
    pub name: Symbol,
    pub value: Value,
    pub pos: Option<Span>,
}

// Sets are the bulk of the heap: keep an entry at four words.
const _: () = assert!(std::mem::size_of::<AttrEntry>() == 32);

pub(crate) fn merge_sorted(a: &[AttrEntry], b: &[AttrEntry]) -> Vec<AttrEntry> {
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
    out
}

impl Attrs {
    pub fn with_capacity(n: usize) -> Attrs {
        Attrs { own: Vec::with_capacity(n) }
    }

    /// Build from entries in any order; on duplicate names the first wins.
    pub fn from_entries(mut entries: Vec<AttrEntry>) -> Attrs {
        entries.sort_by_key(|e| e.name);
        entries.dedup_by_key(|e| e.name);
        Attrs::from_sorted(entries)
    }

    /// Build from entries already sorted by symbol with no duplicates.
    pub fn from_sorted(entries: Vec<AttrEntry>) -> Attrs {
        debug_assert!(entries.windows(2).all(|w| w[0].name < w[1].name));
        Attrs { own: entries }
    }

    pub fn len(&self) -> usize {
        self.own.len()
    }

    pub fn is_empty(&self) -> bool {
        self.own.is_empty()
    }

    pub fn get(&self, name: Symbol) -> Option<&Value> {
        self.get_entry(name).map(|e| &e.value)
    }

    pub fn get_entry(&self, name: Symbol) -> Option<&AttrEntry> {
        let i = self.own.binary_search_by_key(&name, |e| e.name).ok()?;
        Some(&self.own[i])
    }

    pub fn contains(&self, name: Symbol) -> bool {
        self.get_entry(name).is_some()
    }

    /// Insert or replace.
    pub fn insert(&mut self, name: Symbol, value: Value, pos: Option<Span>) {
        match self.own.binary_search_by_key(&name, |e| e.name) {
            Ok(i) => self.own[i] = AttrEntry { name, value, pos },
            Err(i) => self.own.insert(i, AttrEntry { name, value, pos }),
        }
    }

    /// All entries in symbol order.
    pub fn entries(&self) -> &[AttrEntry] {
        &self.own
    }

    pub fn into_entries(mut self) -> Vec<AttrEntry> {
        std::mem::take(&mut self.own)
    }
}

/// A lambda together with the environment it closes over.
pub struct Closure {
    pub def: Rc<LambdaDef>,
    pub env: Env,
}

/// A native builtin. `arity` arguments are collected before `run` is
/// called; the arguments are *not* forced beforehand.
pub struct PrimOp {
    pub name: &'static str,
    /// A native stand-in for a function written in Nix (the module
    /// system's, in nix2dream-modules): printed and described as the
    /// lambda it replaces (`<LAMBDA>`, "a function"), as C++ Nix shows the
    /// Nix code. A builtin is `false`.
    pub lambda: bool,
    pub arity: usize,
    pub run: fn(&mut crate::Evaluator, &[Value], Span) -> EvalResult<Value>,
}

pub struct PrimOpApp {
    pub op: &'static PrimOp,
    pub args: Vec<Value>,
}

pub use crate::env::Env;
pub use crate::shared::Shared;

/// See [`ThunkState::Native`]. The arguments are stored inline, so a
/// suspended call is one allocation of exactly its size.
pub struct NativeCall<Args: ?Sized = [Value]> {
    pub op: &'static PrimOp,
    pub span: Span,
    pub args: Args,
}

// A thunk's state is the most numerous object there is: keep it three words.
const _: () = assert!(std::mem::size_of::<ThunkState>() <= 24);

/// A suspended computation and, once run, its value. The state is only
/// ever read by cloning out of it or replaced whole (`done`, `take`,
/// `set`), never borrowed across a call that could touch the thunk again,
/// so it needs no borrow flag: a thunk is 32 bytes with its count (see `Shared`).
pub struct Thunk {
    state: std::cell::UnsafeCell<ThunkState>,
}

pub enum ThunkState {
    Pending(ExprRef, Env),
    /// A call suspended by a builtin (`map f xs` makes one per element).
    /// Boxed, like `Apply2`, so that every thunk stays small: most are
    /// `Pending` (two pointers), and thunks are the most numerous objects.
    Apply(Box<(Value, Value, Span)>),
    /// A two-argument call suspended by a builtin (`mapAttrs f set`).
    Apply2(Box<(Value, Value, Value, Span)>),
    /// A saturated call of a native primop, suspended by native code (the
    /// module system makes one per lazy field): one box, where `Apply` of a
    /// partial application would take three.
    Native(Box<NativeCall>),
    /// Being evaluated: forcing it again is infinite recursion.
    Blackhole,
    Done(Value),
}

impl ThunkState {
    /// See [`Value::native_thunk`].
    pub fn native<const N: usize>(op: &'static PrimOp, args: [Value; N], span: Span) -> ThunkState {
        debug_assert_eq!(op.arity, N);
        let call: Box<NativeCall> = Box::new(NativeCall { op, span, args });
        ThunkState::Native(call)
    }
}

impl Drop for Thunk {
    fn drop(&mut self) {
        let state = std::mem::replace(self.state.get_mut(), ThunkState::Blackhole);
        if !matches!(state, ThunkState::Blackhole) {
            deferred_drop(state);
        }
    }
}

impl Thunk {
    pub fn new(state: ThunkState) -> Thunk {
        Thunk { state: std::cell::UnsafeCell::new(state) }
    }

    /// The value, if the thunk has been evaluated.
    #[inline]
    pub fn done(&self) -> Option<Value> {
        // SAFETY: evaluation is single-threaded (`Rc` is not `Send`) and no
        // reference into the state outlives a method of `Thunk`; cloning a
        // value only touches reference counts, never another thunk's state.
        match unsafe { &*self.state.get() } {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// Whether it is a call suspended by a builtin (`map f xs`): what C++
    /// Nix calls "a function application" rather than "a thunk".
    pub fn is_application(&self) -> bool {
        // SAFETY: as in `done`.
        matches!(unsafe { &*self.state.get() }, ThunkState::Apply(_) | ThunkState::Apply2(_))
    }

    /// The value, borrowed, if the thunk has been evaluated.
    #[inline]
    pub fn done_ref(&self) -> Option<&Value> {
        // SAFETY: a `Done` state is final: `replace` is only ever called on
        // a thunk that is not done (a pending thunk being forced, a hole
        // being filled), which it checks in debug builds, and the state is
        // dropped only with the thunk. So the value stays where it is for
        // as long as the thunk is borrowed.
        match unsafe { &*self.state.get() } {
            ThunkState::Done(v) => Some(v),
            _ => None,
        }
    }

    /// Replace the state, returning the old one (dropped by the caller,
    /// outside the cell: dropping may run arbitrary destructors). Never
    /// called on a thunk that is done (see `done_ref`).
    #[inline]
    pub fn replace(&self, state: ThunkState) -> ThunkState {
        // SAFETY: as in `done`; the old state is moved out, not dropped here.
        let old = unsafe { std::mem::replace(&mut *self.state.get(), state) };
        debug_assert!(!matches!(old, ThunkState::Done(_)), "a done thunk is final");
        old
    }

    /// Set the state, dropping the old one after the cell is consistent.
    #[inline]
    pub fn set(&self, state: ThunkState) {
        drop(self.replace(state));
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// `Value::clone` reads every block's count at the same place: a copy
    /// of each kind of counted value is counted, shares its block, and
    /// leaves the original intact when dropped.
    #[test]
    fn clones_count_every_kind_of_block() {
        let text = Value::string("x");
        let Value::String(s) = &text else { unreachable!() };
        let copy = text.clone();
        assert_eq!(s.count().get(), 2);
        assert!(matches!(&copy, Value::String(c) if NixString::ptr_eq(c, s)));
        drop(copy);
        assert_eq!(s.count().get(), 1);

        let thunk = Value::Thunk(Shared::new(Thunk::new(ThunkState::Done(Value::Int(1)))));
        let Value::Thunk(t) = &thunk else { unreachable!() };
        let copies: Vec<Value> = (0..3).map(|_| thunk.clone()).collect();
        assert_eq!(Shared::strong_count(t), 4);
        drop(copies);
        assert_eq!(Shared::strong_count(t), 1);

        let list = Value::list(vec![text.clone(), Value::Int(2)]);
        let set = Value::attrs(Attrs::from_entries(vec![AttrEntry {
            name: Symbol::intern("a"),
            value: list.clone(),
            pos: None,
        }]));
        for v in [list, set] {
            let copy = v.clone();
            assert!(copy.ptr_eq(&v));
            drop(copy);
        }
        let path = Value::Path(Rc::new("/p".into()));
        let Value::Path(p) = &path else { unreachable!() };
        let copy = path.clone();
        assert_eq!(Rc::strong_count(p), 2);
        drop(copy);
        for v in [Value::Null, Value::Bool(true), Value::Int(7), Value::Float(0.5)] {
            assert_eq!(format!("{:?}", v.clone()), format!("{v:?}"));
        }
        assert_eq!(s.count().get(), 1, "dropping the list released the string");
    }

    /// Values, thunks and set entries are the most numerous objects of an
    /// evaluation; their sizes are a performance contract.
    #[test]
    fn hot_types_stay_small() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert!(std::mem::size_of::<ThunkState>() <= 24, "{}", std::mem::size_of::<ThunkState>());
        assert_eq!(std::mem::size_of::<Thunk>(), 24);
        assert!(std::mem::size_of::<AttrEntry>() <= 40);
        assert_eq!(std::mem::size_of::<AttrSet>(), 8);
    }
}
