//! Native versions of the hot paths of `modules/lib/modules.nix` and
//! `modules/lib/types.nix`.
//!
//! `builtins.__nix2dreamModules HELPERS` returns a set of functions with the
//! same names, arguments and results as their Nix counterparts (`EXPORTS`
//! lists them). `HELPERS` is a set of Nix functions from `modules.nix` for
//! the rare paths (error messages, warnings, declarations that merge
//! several option declarations): they stay written once, in Nix, where
//! nixpkgs has them, and the native code calls them only when it needs them.
//!
//! Laziness is the contract: every field of every result is a thunk that
//! computes exactly what the Nix code would compute when that field is
//! read, and forces exactly what it would force. A thunk here is a
//! suspended call of one of the private primops (see `lazy`); fields
//! that share work share one thunk, as `rec` and `let` do in Nix.
//!
//! The files follow an evaluation from the outside in: `eval_modules`
//! (the fixpoint), `collect` (modules and imports), `merge_modules`
//! (declarations against definitions), `definitions` (one option's
//! value and record), `properties` (`mkIf`, `mkMerge`, priorities,
//! order) and `type_merges` (the common container types).

use nix2dream_eval::value::{AttrEntry, List, PrimOp, PrimOpApp, Shared, Thunk, ThunkState};
use nix2dream_eval::{AttrSet, Attrs, ErrorKind, EvalError, EvalResult, Evaluator, NixString, Value};
use nix2dream_syntax::{Span, Symbol};

/// The default priority of a definition (`mkOverride 100`).
pub(super) const DEFAULT_OVERRIDE_PRIORITY: i64 = 100;
/// The priority of an option's `default` (`mkOptionDefault`).
pub(super) const OPTION_DEFAULT_PRIORITY: i64 = 1500;
/// The default `mkOrder` priority.
pub(super) const DEFAULT_ORDER_PRIORITY: i64 = 1000;

pub(crate) fn install(ev: &mut Evaluator) {
    ev.register_primop(&ENTRY, false);
}

static ENTRY: PrimOp = PrimOp { lambda: true, name: "__nix2dreamModules", arity: 1, run: entry };

/// The exported functions; each receives HELPERS as its first argument.
static EXPORTS: &[PrimOp] = &[
    PrimOp { lambda: true, name: "mergeDefinitions", arity: 4, run: merge_definitions },
    PrimOp { lambda: true, name: "evalOptionValue", arity: 4, run: eval_option_value },
    PrimOp { lambda: true, name: "mergeModules'", arity: 4, run: merge_modules_prime },
    PrimOp { lambda: true, name: "mergeModules", arity: 3, run: merge_modules },
    PrimOp { lambda: true, name: "pushDownProperties", arity: 2, run: push_down_properties_op },
    PrimOp { lambda: true, name: "dischargeProperties", arity: 2, run: discharge_properties_op },
    PrimOp { lambda: true, name: "filterOverrides'", arity: 2, run: filter_overrides_op },
    PrimOp { lambda: true, name: "sortProperties", arity: 2, run: sort_properties_op },
    PrimOp { lambda: true, name: "collectModulesWithGraph", arity: 5, run: collect_modules_with_graph },
    PrimOp { lambda: true, name: "evalModules", arity: 6, run: eval_modules },
    PrimOp { lambda: true, name: "checkDefsForError", arity: 4, run: check_defs_for_error },
    PrimOp { lambda: true, name: "attrsMergeV2", arity: 5, run: attrs_merge_v2 },
    PrimOp { lambda: true, name: "listMergeV2", arity: 4, run: list_merge_v2 },
    PrimOp { lambda: true, name: "submoduleMergeV2", arity: 6, run: submodule_merge_v2 },
    PrimOp { lambda: true, name: "nullOrCheck", arity: 3, run: null_or_check },
    PrimOp { lambda: true, name: "nullOrMerge", arity: 5, run: null_or_merge },
    PrimOp { lambda: true, name: "eitherCheck", arity: 4, run: either_check },
    PrimOp { lambda: true, name: "addCheckCheck", arity: 4, run: add_check_check },
    PrimOp { lambda: true, name: "eitherMergeV2", arity: 6, run: either_merge_v2 },
    PrimOp { lambda: true, name: "constant", arity: 3, run: constant },
    PrimOp { lambda: true, name: "v2Functor", arity: 4, run: v2_functor },
];

fn entry(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let helpers = ev.force(&args[0])?;
    ev.expect_attrs(&helpers, span)?;
    let entries = EXPORTS
        .iter()
        .map(|op| AttrEntry {
            name: Symbol::intern(op.name),
            value: Value::PrimOpApp(Shared::new(PrimOpApp { op, args: vec![helpers.clone()] })),
            pos: None,
        })
        .collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

// ------------------------------------------------------------------ plumbing

/// A thunk that runs `op` on `args` when forced (`op.arity == N`).
pub(super) fn lazy<const N: usize>(op: &'static PrimOp, args: [Value; N], span: Span) -> Value {
    Value::native_thunk(op, args, span)
}

/// A thunk whose computation is filled in later with [`fill`]: the
/// module-system fixpoint (`config` is an argument of the modules that
/// define it) needs thunks that refer to each other, as a `rec` set does.
pub(super) fn hole() -> (Value, Shared<Thunk>) {
    let t = Shared::new(Thunk::new(ThunkState::Blackhole));
    (Value::Thunk(t.clone()), t)
}

pub(super) fn fill<const N: usize>(t: &Shared<Thunk>, op: &'static PrimOp, args: [Value; N], span: Span) {
    t.set(ThunkState::native(op, args, span));
}

/// The symbol of a name known at compile time, interned once per thread.
macro_rules! sym {
    ($name:literal) => {{
        thread_local! { static SYMBOL: Symbol = Symbol::intern($name); }
        SYMBOL.with(|s| *s)
    }};
}

/// A constant Nix string, made once per thread.
macro_rules! text {
    ($text:literal) => {{
        thread_local! { static TEXT: Value = Value::string($text); }
        TEXT.with(|t| t.clone())
    }};
}

/// `[ ]`, shared: empty lists are everywhere in module records.
pub(super) fn empty_list() -> Value {
    thread_local! { static EMPTY: Value = Value::list(Vec::new()); }
    EMPTY.with(|e| e.clone())
}

/// `{ }`, shared.
pub(super) fn empty_set() -> Value {
    thread_local! { static EMPTY: Value = Value::attrs(Attrs::default()); }
    EMPTY.with(|e| e.clone())
}

/// An attribute name as a Nix string, made once per thread and name:
/// names go into every `loc` list, once per option and element.
pub(super) fn name_string(name: Symbol) -> Value {
    thread_local! { static NAMES: std::cell::RefCell<Vec<Option<Value>>> = const { std::cell::RefCell::new(Vec::new()) }; }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let i = name.id() as usize;
        if i >= names.len() {
            names.resize(i + 1, None);
        }
        names[i].get_or_insert_with(|| Value::string(name.as_str())).clone()
    })
}

pub(super) fn sym(s: &str) -> Symbol {
    Symbol::intern(s)
}

/// `{ name = value; ... }` of distinct names, built without a vector.
pub(super) fn set<const N: usize>(fields: [(Symbol, Value); N]) -> Value {
    Value::Attrs(attr_set(fields))
}

/// [`set`], as the set itself: for `//` with it.
pub(super) fn attr_set<const N: usize>(mut fields: [(Symbol, Value); N]) -> AttrSet {
    fields.sort_unstable_by_key(|(name, _)| *name);
    let mut fields = fields.into_iter();
    AttrSet::from_fn(N, |_| {
        let (name, value) = fields.next().expect("one field per entry");
        AttrEntry { name, value, pos: None }
    })
}

/// `attrs // { name = value; }`, keeping positions.
pub(super) fn with_fields(attrs: &AttrSet, fields: Vec<(Symbol, Value)>) -> Value {
    let mut out = Attrs::with_capacity(attrs.len() + fields.len());
    for e in attrs.entries() {
        out.insert(e.name, e.value.clone(), e.pos);
    }
    for (name, value) in fields {
        out.insert(name, value, None);
    }
    Value::attrs(out)
}

/// `mapAttrs (_: v: op v) attrs`, each value a lazy call of `op`, keeping
/// the attributes' positions.
pub(super) fn map_lazily(attrs: &AttrSet, op: &'static PrimOp, span: Span) -> Value {
    let entries = attrs
        .entries()
        .iter()
        .map(|e| AttrEntry { name: e.name, value: lazy(op, [e.value.clone()], span), pos: e.pos })
        .collect();
    Value::attrs(Attrs::from_sorted(entries))
}

/// `prefix ++ [ name ]`, allocated once at its final size.
pub(super) fn loc_with(prefix: &[Value], name: Value) -> Vec<Value> {
    let mut loc = Vec::with_capacity(prefix.len() + 1);
    loc.extend_from_slice(prefix);
    loc.push(name);
    loc
}

/// A thunk of `loc ++ [ name ]`. A merge hands each element its location,
/// which Nix builds only when it is read (by an error message, a
/// submodule's prefix). Built eagerly, values nested `depth` deep kept
/// `depth²/2` location entries alive: 10,000 levels of `types.anything`
/// took 6 s and 830 MB, against C++ Nix's 1 s and 100 MB.
pub(super) static LOC_WITH: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: loc»",
    arity: 2,
    run: |ev, args, span| Ok(Value::list(loc_with(items(ev, &args[0], span)?, args[1].clone()))),
};

pub(super) fn attrs_of(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<AttrSet> {
    ev.expect_attrs(v, span)
}

/// `x.name` of a set (unforced), or an error like Nix's.
pub(super) fn select(ev: &mut Evaluator, v: &Value, name: Symbol, span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs_ref(v, span)?;
    match a.get(name) {
        Some(v) => Ok(v.clone()),
        None => Err(EvalError::type_error(format!("attribute '{}' missing", name), span)),
    }
}

/// `x.name or null`-style lookup: `None` when `v` is not a set or lacks it.
pub(super) fn select_or(ev: &mut Evaluator, v: &Value, name: Symbol) -> EvalResult<Option<Value>> {
    match ev.force_ref(v)? {
        Value::Attrs(a) => Ok(a.get(name).cloned()),
        _ => Ok(None),
    }
}

/// `set.name`, unforced: the attribute itself when `set` (forced) has it,
/// else a thunk that fails as the selection would, if it is ever read.
pub(super) fn lazy_select(ev: &mut Evaluator, set: &Value, name: Symbol, span: Span) -> EvalResult<Value> {
    if let Value::Attrs(a) = ev.force_ref(set)? {
        if let Some(v) = a.get(name) {
            return Ok(v.clone());
        }
    }
    Ok(lazy(&SELECT_NAMED, [set.clone(), name_string(name)], span))
}

static SELECT_NAMED: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: select»",
    arity: 2,
    run: |ev, args, span| {
        let name = sym(&ev.expect_str(&args[1], span)?);
        let v = select(ev, &args[0], name, span)?;
        ev.force(&v)
    },
};

/// `v._type or ""`, when it is a string.
pub(super) fn type_tag(ev: &mut Evaluator, v: &Value) -> EvalResult<Option<NixString>> {
    let tag = match ev.force_ref(v)? {
        Value::Attrs(a) => match a.get(sym!("_type")) {
            Some(t) => t,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    match ev.force_ref(tag)? {
        Value::String(s) => Ok(Some(s.clone())),
        _ => Ok(None),
    }
}

pub(super) fn is_tag(tag: &Option<NixString>, want: &str) -> bool {
    tag.as_deref() == Some(want)
}

/// The items of a list, borrowed from `v` (see `Evaluator::force_ref`):
/// for reading, where `list_of` would copy them.
pub(super) fn items<'a>(ev: &mut Evaluator, v: &'a Value, span: Span) -> EvalResult<&'a [Value]> {
    Ok(ev.expect_list_ref(v, span)?.as_slice())
}

pub(super) fn list_of(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<Vec<Value>> {
    Ok(ev.expect_list_ref(v, span)?.iter().cloned().collect())
}

pub(super) fn helper(ev: &mut Evaluator, helpers: &Value, name: Symbol, span: Span) -> EvalResult<Value> {
    select(ev, helpers, name, span)
}

/// Call a HELPERS function with several arguments.
pub(super) fn call_helper(
    ev: &mut Evaluator,
    helpers: &Value,
    name: Symbol,
    args: Vec<Value>,
    span: Span,
) -> EvalResult<Value> {
    let f = helper(ev, helpers, name, span)?;
    apply(ev, f, args, span)
}

/// `f a b ...`: a curried call with several arguments.
pub(super) fn apply(ev: &mut Evaluator, mut f: Value, args: Vec<Value>, span: Span) -> EvalResult<Value> {
    for a in args {
        f = ev.call_value(&f, a, Some(span))?;
    }
    Ok(f)
}

pub(super) fn show_option(ev: &mut Evaluator, helpers: &Value, loc: &Value, span: Span) -> EvalResult<String> {
    let shown = call_helper(ev, helpers, sym!("showOption"), vec![loc.clone()], span)?;
    Ok(ev.expect_str(&shown, span)?.to_string())
}

/// A thunk of `f a b ...`: see [`lazy`].
pub(super) static APPLY_ALL: PrimOp = PrimOp { lambda: true, name: "«modules: apply»", arity: 2, run: apply_all };

/// `f a b ...` for the list `[ a b ... ]`.
pub(super) fn apply_all(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let args_list = list_of(ev, &args[1], span)?;
    let r = apply(ev, args[0].clone(), args_list, span)?;
    ev.force(&r)
}

/// Run `f`; on failure, add the trace line `message()` as `addErrorContext`
/// would.
pub(super) fn with_context<T>(
    ev: &mut Evaluator,
    span: Span,
    f: impl FnOnce(&mut Evaluator) -> EvalResult<T>,
    message: impl FnOnce(&mut Evaluator) -> Option<String>,
) -> EvalResult<T> {
    match f(ev) {
        Ok(v) => Ok(v),
        Err(e) => match message(ev) {
            Some(m) => Err(e.context(Some(span), m)),
            None => Err(e),
        },
    }
}

/// A primop that forces its argument and returns one attribute of it,
/// forced: a lazy `x.NAME` that costs one thunk and no strings.
macro_rules! field_select {
    ($op:ident, $name:literal) => {
        pub(super) static $op: PrimOp = PrimOp {
            lambda: true,
            name: concat!("«modules: ", $name, "»"),
            arity: 1,
            run: |ev, args, span| {
                let v = select(ev, &args[0], sym!($name), span)?;
                ev.force(&v)
            },
        };
    };
}

field_select!(FIELD_VALUES, "values");
field_select!(FIELD_HIGHEST_PRIO, "highestPrio");
field_select!(FIELD_VALUE_META, "valueMeta");
field_select!(FIELD_MATCHED_OPTIONS, "matchedOptions");
field_select!(FIELD_UNMATCHED_DEFNS, "unmatchedDefns");
field_select!(FIELD_GRAPH, "graph");

mod collect;
mod definitions;
mod eval_modules;
mod merge_modules;
mod properties;
mod type_merges;

use collect::*;
use definitions::*;
use eval_modules::*;
use merge_modules::*;
use properties::*;
use type_merges::*;
