//! Native versions of the per-option work of `modules/lib/modules.nix`.
//!
//! `builtins.__nix2dreamModules HELPERS` returns a set of functions with the
//! same names, arguments and results as their Nix counterparts in
//! `modules.nix` (`mergeDefinitions`, `evalOptionValue`, `mergeModules'`,
//! `pushDownProperties`, `dischargeProperties`, `filterOverrides'`,
//! `sortProperties`, `collectModulesWithGraph`). `HELPERS` is a set of Nix functions from `modules.nix`
//! for the rare paths (error messages, warnings, declarations that merge
//! several option declarations): they stay written once, in Nix, where
//! nixpkgs has them, and the native code calls them only when it needs them.
//!
//! Laziness is the contract: every field of every result is a thunk that
//! computes exactly what the Nix code would compute when that field is
//! read, and forces exactly what it would force. A thunk here is a
//! suspended call of one of the private primops below (see [`lazy`]);
//! fields that share work share one thunk, as `rec` and `let` do in Nix.

use nix2dream_eval::value::{AttrEntry, PrimOp, PrimOpApp, Thunk, ThunkState};
use nix2dream_eval::{Attrs, ErrorKind, EvalError, EvalResult, Evaluator, Value};
use nix2dream_syntax::{Span, Symbol};
use std::rc::Rc;

/// The default priority of a definition (`mkOverride 100`).
const DEFAULT_OVERRIDE_PRIORITY: i64 = 100;
/// The priority of an option's `default` (`mkOptionDefault`).
const OPTION_DEFAULT_PRIORITY: i64 = 1500;
/// The default `mkOrder` priority.
const DEFAULT_ORDER_PRIORITY: i64 = 1000;

pub(crate) fn install(ev: &mut Evaluator) {
    ev.register_primop(&ENTRY, false);
}

static ENTRY: PrimOp = PrimOp { name: "__nix2dreamModules", arity: 1, run: entry };

/// The exported functions; each receives HELPERS as its first argument.
static EXPORTS: &[PrimOp] = &[
    PrimOp { name: "mergeDefinitions", arity: 4, run: merge_definitions },
    PrimOp { name: "evalOptionValue", arity: 4, run: eval_option_value },
    PrimOp { name: "mergeModules'", arity: 4, run: merge_modules_prime },
    PrimOp { name: "mergeModules", arity: 3, run: merge_modules },
    PrimOp { name: "pushDownProperties", arity: 2, run: push_down_properties_op },
    PrimOp { name: "dischargeProperties", arity: 2, run: discharge_properties_op },
    PrimOp { name: "filterOverrides'", arity: 2, run: filter_overrides_op },
    PrimOp { name: "sortProperties", arity: 2, run: sort_properties_op },
    PrimOp { name: "collectModulesWithGraph", arity: 5, run: collect_modules_with_graph },
    PrimOp { name: "evalModules", arity: 6, run: eval_modules },
    PrimOp { name: "checkDefsForError", arity: 4, run: check_defs_for_error },
    PrimOp { name: "attrsMergeV2", arity: 5, run: attrs_merge_v2 },
    PrimOp { name: "listMergeV2", arity: 4, run: list_merge_v2 },
    PrimOp { name: "nullOrCheck", arity: 3, run: null_or_check },
    PrimOp { name: "nullOrMerge", arity: 5, run: null_or_merge },
    PrimOp { name: "eitherCheck", arity: 4, run: either_check },
    PrimOp { name: "eitherMergeV2", arity: 5, run: either_merge_v2 },
    PrimOp { name: "constant", arity: 3, run: constant },
];

fn entry(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let helpers = ev.force(&args[0])?;
    ev.expect_attrs(&helpers, span)?;
    let entries = EXPORTS
        .iter()
        .map(|op| AttrEntry {
            name: Symbol::intern(op.name),
            value: Value::PrimOpApp(Rc::new(PrimOpApp { op, args: vec![helpers.clone()] })),
            pos: None,
        })
        .collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

// ------------------------------------------------------------------ plumbing

/// A thunk that runs `op` on `args` when forced (`op.arity == args.len()`).
fn lazy(op: &'static PrimOp, mut args: Vec<Value>, span: Span) -> Value {
    debug_assert_eq!(op.arity, args.len());
    let last = args.pop().expect("lazy primops take arguments");
    let fun = if args.is_empty() { Value::PrimOp(op) } else { Value::PrimOpApp(Rc::new(PrimOpApp { op, args })) };
    Value::apply_thunk(fun, last, span)
}

/// A thunk whose computation is filled in later with [`fill`]: the
/// module-system fixpoint (`config` is an argument of the modules that
/// define it) needs thunks that refer to each other, as a `rec` set does.
fn hole() -> (Value, Rc<Thunk>) {
    let t = Rc::new(Thunk::new(ThunkState::Blackhole));
    (Value::Thunk(t.clone()), t)
}

fn fill(t: &Rc<Thunk>, op: &'static PrimOp, mut args: Vec<Value>, span: Span) {
    let last = args.pop().expect("lazy primops take arguments");
    let fun = if args.is_empty() { Value::PrimOp(op) } else { Value::PrimOpApp(Rc::new(PrimOpApp { op, args })) };
    *t.state.borrow_mut() = ThunkState::Apply(Box::new((fun, last, span)));
}

/// The symbol of a name known at compile time, interned once per thread.
macro_rules! sym {
    ($name:literal) => {{
        thread_local! { static SYMBOL: Symbol = Symbol::intern($name); }
        SYMBOL.with(|s| *s)
    }};
}

fn sym(s: &str) -> Symbol {
    Symbol::intern(s)
}

fn set(fields: Vec<(Symbol, Value)>) -> Value {
    Value::attrs(Attrs::from_entries(fields.into_iter().map(|(name, value)| AttrEntry { name, value, pos: None }).collect()))
}

/// `attrs // { name = value; }`, keeping positions.
fn with_fields(attrs: &Attrs, fields: Vec<(Symbol, Value)>) -> Value {
    let mut out = Attrs::with_capacity(attrs.len() + fields.len());
    for e in attrs.entries() {
        out.insert(e.name, e.value.clone(), e.pos);
    }
    for (name, value) in fields {
        out.insert(name, value, None);
    }
    Value::attrs(out)
}

fn attrs_of(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<Rc<Attrs>> {
    ev.expect_attrs(v, span)
}

/// `x.name` of a set (unforced), or an error like Nix's.
fn select(ev: &mut Evaluator, v: &Value, name: Symbol, span: Span) -> EvalResult<Value> {
    let a = attrs_of(ev, v, span)?;
    match a.get(name) {
        Some(v) => Ok(v.clone()),
        None => Err(EvalError::type_error(format!("attribute '{}' missing", name), span)),
    }
}

/// `x.name or null`-style lookup: `None` when `v` is not a set or lacks it.
fn select_or(ev: &mut Evaluator, v: &Value, name: Symbol) -> EvalResult<Option<Value>> {
    match ev.force(v)? {
        Value::Attrs(a) => Ok(a.get(name).cloned()),
        _ => Ok(None),
    }
}

/// `v._type or ""`, when it is a string.
fn type_tag(ev: &mut Evaluator, v: &Value) -> EvalResult<Option<Rc<str>>> {
    match select_or(ev, v, sym!("_type"))? {
        Some(t) => match ev.force(&t)? {
            Value::String(s) => Ok(Some(s.text.clone())),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

fn is_tag(tag: &Option<Rc<str>>, want: &str) -> bool {
    tag.as_deref() == Some(want)
}

fn list_of(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<Vec<Value>> {
    Ok(ev.expect_list(v, span)?.iter().cloned().collect())
}

fn helper(ev: &mut Evaluator, helpers: &Value, name: &str, span: Span) -> EvalResult<Value> {
    select(ev, helpers, sym(name), span)
}

/// Call a HELPERS function with several arguments.
fn call_helper(ev: &mut Evaluator, helpers: &Value, name: &str, args: Vec<Value>, span: Span) -> EvalResult<Value> {
    let mut f = helper(ev, helpers, name, span)?;
    for a in args {
        f = ev.call_value(&f, a, Some(span))?;
    }
    Ok(f)
}

fn show_option(ev: &mut Evaluator, helpers: &Value, loc: &Value, span: Span) -> EvalResult<String> {
    let shown = call_helper(ev, helpers, "showOption", vec![loc.clone()], span)?;
    Ok(ev.expect_str(&shown, span)?.to_string())
}

/// Run `f`; on failure, add the trace line `message()` as `addErrorContext`
/// would.
fn with_context<T>(
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

fn expect_bool_as_nix(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<bool> {
    ev.expect_bool(v, span)
}

// ------------------------------------------------------------------ properties

/// `mkIf`/`mkMerge`/`mkOverride` on a set, pushed down to its attributes.
fn push_down_properties(ev: &mut Evaluator, cfg: &Value, span: Span, out: &mut Vec<Value>) -> EvalResult<()> {
    let tag = type_tag(ev, cfg)?;
    if is_tag(&tag, "merge") {
        let contents = select(ev, cfg, sym!("contents"), span)?;
        for c in list_of(ev, &contents, span)? {
            ev.nested(Some(span), |ev| push_down_properties(ev, &c, span, out))?;
        }
    } else if is_tag(&tag, "if") || is_tag(&tag, "override") {
        let (wrapper, key) =
            if is_tag(&tag, "if") { ("if", sym!("condition")) } else { ("override", sym!("priority")) };
        let property = select(ev, cfg, key, span)?;
        let content = select(ev, cfg, sym!("content"), span)?;
        let mut inner = Vec::new();
        ev.nested(Some(span), |ev| push_down_properties(ev, &content, span, &mut inner))?;
        for item in inner {
            let a = attrs_of(ev, &item, span)?;
            let entries = a
                .entries()
                .iter()
                .map(|e| AttrEntry {
                    name: e.name,
                    value: set(vec![(sym!("_type"), Value::string(wrapper)), (key, property.clone()), (sym!("content"), e.value.clone())]),
                    pos: e.pos,
                })
                .collect();
            out.push(Value::attrs(Attrs::from_sorted(entries)));
        }
    } else {
        out.push(cfg.clone());
    }
    Ok(())
}

fn push_down_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut out = Vec::new();
    push_down_properties(ev, &args[1], span, &mut out)?;
    Ok(Value::list(out))
}

/// Resolve `mkMerge` and `mkIf` in one definition.
fn discharge_properties(ev: &mut Evaluator, def: &Value, span: Span, out: &mut Vec<Value>) -> EvalResult<()> {
    let tag = type_tag(ev, def)?;
    if is_tag(&tag, "merge") {
        let contents = select(ev, def, sym!("contents"), span)?;
        for c in list_of(ev, &contents, span)? {
            ev.nested(Some(span), |ev| discharge_properties(ev, &c, span, out))?;
        }
    } else if is_tag(&tag, "if") {
        let condition = select(ev, def, sym!("condition"), span)?;
        match ev.force(&condition)? {
            Value::Bool(true) => {
                let content = select(ev, def, sym!("content"), span)?;
                ev.nested(Some(span), |ev| discharge_properties(ev, &content, span, out))?;
            }
            Value::Bool(false) => {}
            _ => return Err(EvalError::new(ErrorKind::Throw, "‘mkIf’ called with a non-Boolean condition", Some(span))),
        }
    } else {
        out.push(def.clone());
    }
    Ok(())
}

fn discharge_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut out = Vec::new();
    discharge_properties(ev, &args[1], span, &mut out)?;
    Ok(Value::list(out))
}

/// `filterOverrides'`: the definitions of the highest priority, with their
/// `mkOverride` wrappers removed, and that priority.
fn filter_overrides(ev: &mut Evaluator, defs: Vec<Value>, span: Span) -> EvalResult<(Vec<Value>, i64)> {
    let mut prios = Vec::with_capacity(defs.len());
    let mut highest = 9999;
    for def in &defs {
        let value = select(ev, def, sym!("value"), span)?;
        let prio = if is_tag(&type_tag(ev, &value)?, "override") {
            let p = select(ev, &value, sym!("priority"), span)?;
            ev.expect_int(&p, span)?
        } else {
            DEFAULT_OVERRIDE_PRIORITY
        };
        highest = highest.min(prio);
        prios.push(prio);
    }
    let mut kept = Vec::with_capacity(defs.len());
    for (def, prio) in defs.into_iter().zip(prios) {
        if prio != highest {
            continue;
        }
        let value = select(ev, &def, sym!("value"), span)?;
        if is_tag(&type_tag(ev, &value)?, "override") {
            let content = select(ev, &value, sym!("content"), span)?;
            let a = attrs_of(ev, &def, span)?;
            kept.push(with_fields(&a, vec![(sym!("value"), content)]));
        } else {
            kept.push(def);
        }
    }
    Ok((kept, highest))
}

fn filter_overrides_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[1], span)?;
    let (values, highest) = filter_overrides(ev, defs, span)?;
    Ok(set(vec![(sym!("values"), Value::list(values)), (sym!("highestPrio"), Value::Int(highest))]))
}

/// Stable sort by `mkOrder` priority, unwrapping the order properties.
fn sort_properties(ev: &mut Evaluator, defs: Vec<Value>, span: Span) -> EvalResult<Vec<Value>> {
    let mut keyed = Vec::with_capacity(defs.len());
    for def in defs {
        let value = select(ev, &def, sym!("value"), span)?;
        if is_tag(&type_tag(ev, &value)?, "order") {
            let content = select(ev, &value, sym!("content"), span)?;
            let priority = select(ev, &value, sym!("priority"), span)?;
            let prio = ev.expect_int(&priority, span)?;
            let a = attrs_of(ev, &def, span)?;
            keyed.push((prio, with_fields(&a, vec![(sym!("value"), content), (sym!("priority"), priority)])));
        } else {
            // `a.priority or 1000`: a definition record may carry its own.
            let prio = match select_or(ev, &def, sym!("priority"))? {
                Some(p) => ev.expect_int(&p, span)?,
                None => DEFAULT_ORDER_PRIORITY,
            };
            keyed.push((prio, def));
        }
    }
    keyed.sort_by_key(|(p, _)| *p);
    Ok(keyed.into_iter().map(|(_, d)| d).collect())
}

fn sort_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[1], span)?;
    Ok(Value::list(sort_properties(ev, defs, span)?))
}

// ------------------------------------------------------------------ mergeDefinitions

/// `mergeDefinitions loc type defs`: a set of thunks, as the `rec` set of
/// `modules.nix` is.
fn merge_definitions(_: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(merge_definitions_value(&args[0], &args[1], &args[2], &args[3], span))
}

fn merge_definitions_value(helpers: &Value, loc: &Value, ty: &Value, defs: &Value, span: Span) -> Value {
    merged_definitions(helpers, loc, ty, defs, span).record
}

/// A `mergeDefinitions` record and the thunks of the fields that the
/// native type merges read directly.
struct MergedDefinitions {
    record: Value,
    core: Value,
    defs_final: Value,
    is_defined: Value,
    merged: Value,
    checked: Value,
}

fn merged_definitions(helpers: &Value, loc: &Value, ty: &Value, defs: &Value, span: Span) -> MergedDefinitions {
    let core = lazy(&MD_FINAL, vec![defs.clone()], span);
    let defs_final = lazy(&FIELD_VALUES, vec![core.clone()], span);
    let is_defined = lazy(&MD_IS_DEFINED, vec![defs_final.clone()], span);
    // Only meaningful for types with a v2 merge; never forced otherwise.
    let v2_result = lazy(&MD_V2_RESULT, vec![helpers.clone(), loc.clone(), ty.clone(), defs_final.clone()], span);
    let merged = lazy(&MD_MERGED, vec![helpers.clone(), loc.clone(), ty.clone(), defs_final.clone(), v2_result.clone()], span);
    let checked = lazy(&MD_CHECKED, vec![ty.clone(), v2_result, merged.clone()], span);
    let optional = lazy(&MD_OPTIONAL, vec![is_defined.clone(), merged.clone()], span);
    let record = set(vec![
        (sym!("defsFinal'"), core.clone()),
        (sym!("defsFinal"), defs_final.clone()),
        (sym!("mergedValue"), merged.clone()),
        (sym!("checkedAndMerged"), checked.clone()),
        (sym!("isDefined"), is_defined.clone()),
        (sym!("optionalValue"), optional),
    ]);
    MergedDefinitions { record, core, defs_final, is_defined, merged, checked }
}

/// A primop that forces its argument and returns one attribute of it,
/// forced: a lazy `x.NAME` that costs one thunk and no strings.
macro_rules! field_select {
    ($op:ident, $name:literal) => {
        static $op: PrimOp = PrimOp {
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
static MD_FINAL: PrimOp = PrimOp { name: "«modules: defsFinal'»", arity: 1, run: md_final };
static MD_IS_DEFINED: PrimOp = PrimOp { name: "«modules: isDefined»", arity: 1, run: md_is_defined };
static MD_V2_RESULT: PrimOp = PrimOp { name: "«modules: v2 merge»", arity: 4, run: md_v2_result };
static MD_CHECKED: PrimOp = PrimOp { name: "«modules: checkedAndMerged»", arity: 3, run: md_checked };
static MD_MERGED: PrimOp = PrimOp { name: "«modules: mergedValue»", arity: 5, run: md_merged };
static MD_OPTIONAL: PrimOp = PrimOp { name: "«modules: optionalValue»", arity: 2, run: md_optional };

/// Discharge, filter by priority, sort by order.
fn md_final(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[0], span)?;
    let mut discharged = Vec::with_capacity(defs.len());
    let (file_sym, value_sym) = (sym!("file"), sym!("value"));
    for m in defs {
        let value = select(ev, &m, sym!("value"), span)?;
        let file = select(ev, &m, sym!("file"), span)?;
        let mut values = Vec::new();
        with_context(
            ev,
            span,
            |ev| discharge_properties(ev, &value, span, &mut values),
            |ev| {
                let f = ev.coerce_to_string(&file, span, false, false).ok()?.0;
                Some(format!("while evaluating definitions from `{}':", f))
            },
        )?;
        for v in values {
            if is_tag(&type_tag(ev, &v)?, "definition") {
                discharged.push(v);
            } else {
                discharged.push(Value::attrs(Attrs::from_entries(vec![
                    AttrEntry { name: file_sym, value: file.clone(), pos: None },
                    AttrEntry { name: value_sym, value: v, pos: None },
                ])));
            }
        }
    }
    let (kept, highest) = filter_overrides(ev, discharged, span)?;
    let mut any_order = false;
    for def in &kept {
        let value = select(ev, def, sym!("value"), span)?;
        if is_tag(&type_tag(ev, &value)?, "order") {
            any_order = true;
            break;
        }
    }
    let values = if any_order { sort_properties(ev, kept, span)? } else { kept };
    Ok(set(vec![(sym!("values"), Value::list(values)), (sym!("highestPrio"), Value::Int(highest))]))
}

fn md_is_defined(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(Value::Bool(!ev.expect_list(&args[0], span)?.is_empty()))
}

/// `type.merge ? v2`
fn uses_v2(ev: &mut Evaluator, ty: &Value, span: Span) -> EvalResult<bool> {
    let merge = select(ev, ty, sym!("merge"), span)?;
    Ok(matches!(ev.force(&merge)?, Value::Attrs(a) if a.contains(sym!("v2"))))
}

fn md_v2_result(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    run_v2_merge(ev, &args[0], &args[1], &args[2], &args[3], span)
}

fn md_checked(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (ty, v2_result, merged) = (&args[0], &args[1], &args[2]);
    if uses_v2(ev, ty, span)? {
        let r = attrs_of(ev, v2_result, span)?;
        let meta = match r.get(sym!("valueMeta")).cloned() {
            Some(m) => attrs_of(ev, &m, span)?,
            None => Rc::new(Attrs::default()),
        };
        let internal = set(vec![(sym!("type"), ty.clone())]);
        let meta = with_fields(&meta, vec![(sym!("_internal"), internal)]);
        Ok(with_fields(&r, vec![(sym!("valueMeta"), meta)]))
    } else {
        Ok(set(vec![(sym!("headError"), Value::Null), (sym!("value"), merged.clone()), (sym!("valueMeta"), set(vec![]))]))
    }
}

/// `checkV2MergeCoherence loc type (type.merge.v2 { inherit loc defs; })`
fn run_v2_merge(ev: &mut Evaluator, helpers: &Value, loc: &Value, ty: &Value, defs: &Value, span: Span) -> EvalResult<Value> {
    let merge = select(ev, ty, sym!("merge"), span)?;
    let v2 = select(ev, &merge, sym!("v2"), span)?;
    let result = ev.call_value(&v2, set(vec![(sym!("loc"), loc.clone()), (sym!("defs"), defs.clone())]), Some(span))?;
    let check = select(ev, ty, sym!("check"), span)?;
    let coherent = match select_or(ev, &check, sym!("isV2MergeCoherent"))? {
        Some(c) => ev.expect_bool(&c, span)?,
        None => false,
    };
    if coherent {
        ev.force(&result)
    } else {
        call_helper(ev, helpers, "checkV2MergeCoherence", vec![loc.clone(), ty.clone(), result], span)
    }
}

fn md_merged(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, ty, defs_final, checked) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    // For v2 types, `checked` is the v2 merge's result: its `headError`
    // and `value` are what `checkedAndMerged` shows.
    let defs = list_of(ev, defs_final, span)?;
    if defs.is_empty() {
        return call_helper(ev, helpers, "noValueError", vec![loc.clone()], span);
    }
    if uses_v2(ev, ty, span)? {
        let head_error = select_or(ev, checked, sym!("headError"))?;
        let has_error = match &head_error {
            Some(e) => !matches!(ev.force(e)?, Value::Null),
            None => false,
        };
        if has_error {
            return call_helper(ev, helpers, "headTypeError", vec![loc.clone(), ty.clone(), head_error.unwrap()], span);
        }
        let v = select(ev, checked, sym!("value"), span)?;
        return ev.force(&v);
    }
    let check = select(ev, ty, sym!("check"), span)?;
    let mut all_valid = true;
    for def in &defs {
        let value = select(ev, def, sym!("value"), span)?;
        let ok = ev.call_value(&check, value, Some(span))?;
        if !expect_bool_as_nix(ev, &ok, span)? {
            all_valid = false;
            break;
        }
    }
    if all_valid {
        return call_merge(ev, helpers, ty, loc, defs_final, &defs, span);
    }
    let mut invalid = Vec::new();
    for def in &defs {
        let value = select(ev, def, sym!("value"), span)?;
        let ok = ev.call_value(&check, value, Some(span))?;
        if !expect_bool_as_nix(ev, &ok, span)? {
            invalid.push(def.clone());
        }
    }
    call_helper(ev, helpers, "defsTypeError", vec![loc.clone(), ty.clone(), Value::list(invalid)], span)
}

fn md_optional(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    if ev.expect_bool(&args[0], span)? {
        Ok(set(vec![(sym!("value"), args[1].clone())]))
    } else {
        Ok(set(vec![]))
    }
}

// ------------------------------------------------------------------ evalOptionValue

fn eval_option_value(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    eval_option_value_of(ev, &args[0], &args[1], &args[2], &args[3], span)
}

/// The option record: `opt // { value; definitions; files; ... }`.
fn eval_option_value_of(ev: &mut Evaluator, helpers: &Value, loc: &Value, opt: &Value, defs: &Value, span: Span) -> EvalResult<Value> {
    let opt_attrs = attrs_of(ev, opt, span)?;
    let ty = select(ev, opt, sym!("type"), span)?;
    // `warnIf (type.deprecationMessage or null != null)`, as the Nix code
    // checks it whenever the record is built.
    if let Some(message) = select_or(ev, &ty, sym!("deprecationMessage"))? {
        if !matches!(ev.force(&message)?, Value::Null) {
            call_helper(ev, helpers, "warnDeprecation", vec![loc.clone(), opt.clone(), Value::Null], span)?;
        }
    }
    // The record's fields are the merge's own thunks: the definitions
    // (with the default, and the read-only check that the Nix code makes
    // when its `res` is first read) feed every one of them.
    let all_defs = lazy(&EOV_DEFS, vec![helpers.clone(), loc.clone(), opt.clone(), defs.clone()], span);
    let res = merged_definitions(helpers, loc, &ty, &all_defs, span);
    let value =
        lazy(&EOV_VALUE, vec![helpers.clone(), loc.clone(), opt.clone(), res.is_defined.clone(), res.merged], span);
    let to_string = Value::PrimOpApp(Rc::new(PrimOpApp { op: &EOV_TO_STRING, args: vec![helpers.clone(), loc.clone()] }));
    Ok(with_fields(
        &opt_attrs,
        vec![
            (sym!("value"), value),
            (sym!("highestPrio"), lazy(&FIELD_HIGHEST_PRIO, vec![res.core], span)),
            (sym!("definitions"), lazy(&PLUCK_VALUE, vec![res.defs_final.clone()], span)),
            (sym!("files"), lazy(&PLUCK_FILE, vec![res.defs_final.clone()], span)),
            (sym!("definitionsWithLocations"), res.defs_final),
            (sym!("isDefined"), res.is_defined),
            (sym!("valueMeta"), lazy(&FIELD_VALUE_META, vec![res.checked], span)),
            (sym!("__toString"), to_string),
        ],
    ))
}

static EOV_DEFS: PrimOp = PrimOp { name: "«modules: option definitions»", arity: 4, run: eov_defs };
static EOV_VALUE: PrimOp = PrimOp { name: "«modules: option value»", arity: 5, run: eov_value };
static EOV_TO_STRING: PrimOp = PrimOp { name: "«modules: option name»", arity: 3, run: eov_to_string };
static PLUCK_VALUE: PrimOp = PrimOp { name: "«modules: definitions»", arity: 1, run: |ev, args, span| pluck(ev, args, sym!("value"), span) };
static PLUCK_FILE: PrimOp = PrimOp { name: "«modules: files»", arity: 1, run: |ev, args, span| pluck(ev, args, sym!("file"), span) };

/// `map (def: def.NAME) list`
fn pluck(ev: &mut Evaluator, args: &[Value], name: Symbol, span: Span) -> EvalResult<Value> {
    let list = list_of(ev, &args[0], span)?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.push(select(ev, &item, name, span)?);
    }
    Ok(Value::list(out))
}

/// `__toString = _: showOption loc` (the extra argument is the option).
fn eov_to_string(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(Value::string(show_option(ev, &args[0], &args[1], span)?))
}

/// The definitions with the default prepended (or the read-only error).
fn eov_defs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, opt, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let opt_attrs = attrs_of(ev, opt, span)?;
    let ty = select(ev, opt, sym!("type"), span)?;
    let mut all = Vec::new();
    if let Some(default) = opt_attrs.get(sym!("default")) {
        let file = first_declaration(opt, span);
        let value = set(vec![
            (sym!("_type"), Value::string("override")),
            (sym!("priority"), Value::Int(OPTION_DEFAULT_PRIORITY)),
            (sym!("content"), default.clone()),
        ]);
        all.push(set(vec![(sym!("file"), file), (sym!("value"), value)]));
    }
    all.extend(list_of(ev, defs, span)?);
    let read_only = match opt_attrs.get(sym!("readOnly")).cloned() {
        Some(r) => ev.expect_bool(&r, span)?,
        None => false,
    };
    if read_only && all.len() > 1 {
        return call_helper(ev, helpers, "readOnlyError", vec![loc.clone(), ty, Value::list(all)], span);
    }
    Ok(Value::list(all))
}

/// `head opt.declarations`, lazily.
fn first_declaration(opt: &Value, span: Span) -> Value {
    lazy(&HEAD_OF, vec![opt.clone(), Value::string("declarations")], span)
}

static HEAD_OF: PrimOp = PrimOp { name: "«modules: head»", arity: 2, run: head_of };

fn head_of(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = ev.expect_str(&args[1], span)?;
    let list = select(ev, &args[0], sym(&name), span)?;
    let list = ev.expect_list(&list, span)?;
    match list.first() {
        Some(v) => ev.force(&v.clone()),
        None => Err(EvalError::new(ErrorKind::Other, "list index 0 is out of bounds", Some(span))),
    }
}

/// `apply` over the merged value (or the type's empty value), inside
/// "while evaluating the option".
fn eov_value(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, opt, is_defined, res_merged) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    with_context(
        ev,
        span,
        |ev| {
            let ty = select(ev, opt, sym!("type"), span)?;
            let mut merged = None;
            if !ev.expect_bool(is_defined, span)? {
                if let Some(empty) = select_or(ev, &ty, sym!("emptyValue"))? {
                    if let Some(empty_value) = select_or(ev, &empty, sym!("value"))? {
                        let file = first_declaration(opt, span);
                        let defs = Value::list(vec![set(vec![(sym!("file"), file), (sym!("value"), empty_value)])]);
                        let r = merge_definitions_value(helpers, loc, &ty, &defs, span);
                        merged = Some(select(ev, &r, sym!("mergedValue"), span)?);
                    }
                }
            }
            let merged = match merged {
                Some(m) => m,
                None => res_merged.clone(),
            };
            let opt_attrs = attrs_of(ev, opt, span)?;
            match opt_attrs.get(sym!("apply")).cloned() {
                Some(apply) => ev.call_value(&apply, merged, Some(span)),
                None => ev.force(&merged),
            }
        },
        |ev| show_option(ev, helpers, loc, span).ok().map(|o| format!("while evaluating the option `{}':", o)),
    )
}

// ------------------------------------------------------------------ mergeModules

/// `mergeModules prefix modules`: every module's `config`, pushed down.
fn merge_modules(_: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, modules) = (&args[0], &args[1], &args[2]);
    let configs = lazy(&MODULE_CONFIGS, vec![modules.clone()], span);
    Ok(merge_modules_value(helpers, prefix, modules, &configs, span))
}

static MODULE_CONFIGS: PrimOp = PrimOp { name: "«modules: configs»", arity: 1, run: module_configs };

/// `concatMap (m: map (config: { file = m._file; inherit config; }) (pushDownProperties m.config)) modules`
fn module_configs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    pushed_down(ev, &args[0], sym!("_file"), sym!("config"), span)
}

/// Every item's `value_name`, with its properties pushed down one level,
/// as `{ file; config; }` records.
fn pushed_down(ev: &mut Evaluator, items: &Value, file_name: Symbol, value_name: Symbol, span: Span) -> EvalResult<Value> {
    let mut out = Vec::new();
    for item in list_of(ev, items, span)? {
        let file = select(ev, &item, file_name, span)?;
        let value = select(ev, &item, value_name, span)?;
        let mut pushed = Vec::new();
        push_down_properties(ev, &value, span, &mut pushed)?;
        for c in pushed {
            out.push(set(vec![(sym!("file"), file.clone()), (sym!("config"), c)]));
        }
    }
    Ok(Value::list(out))
}

fn merge_modules_prime(_: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(merge_modules_value(&args[0], &args[1], &args[2], &args[3], span))
}

fn merge_modules_value(helpers: &Value, prefix: &Value, modules: &Value, configs: &Value, span: Span) -> Value {
    let decls = lazy(&DECLS_BY_NAME, vec![helpers.clone(), prefix.clone(), modules.clone()], span);
    let defs = lazy(&DEFS_BY_NAME, vec![helpers.clone(), prefix.clone(), configs.clone()], span);
    let results = lazy(&RESULTS_BY_NAME, vec![helpers.clone(), prefix.clone(), decls, defs.clone()], span);
    let matched = lazy(&MATCHED, vec![results.clone()], span);
    let unmatched = lazy(&UNMATCHED, vec![configs.clone(), results, defs], span);
    set(vec![(sym!("matchedOptions"), matched), (sym!("unmatchedDefns"), unmatched)])
}

static DECLS_BY_NAME: PrimOp = PrimOp { name: "«modules: declarations»", arity: 3, run: decls_by_name };
static DEFS_BY_NAME: PrimOp = PrimOp { name: "«modules: definitions»", arity: 3, run: defs_by_name };
static RESULTS_BY_NAME: PrimOp = PrimOp { name: "«modules: options»", arity: 4, run: results_by_name };
static MATCHED: PrimOp = PrimOp { name: "«modules: matched options»", arity: 1, run: matched };
static UNMATCHED: PrimOp = PrimOp { name: "«modules: unmatched definitions»", arity: 3, run: unmatched };
static PER_NAME: PrimOp = PrimOp { name: "«modules: option»", arity: 5, run: per_name };
static PUSHED_DEFS: PrimOp = PrimOp { name: "«modules: pushed definitions»", arity: 1, run: pushed_defs };
static OPTION_FROM_DECLS: PrimOp = PrimOp { name: "«modules: option record»", arity: 4, run: option_from_decls };

/// A map from names to values, built in module order (what `zipAttrsWith
/// (n: concatLists)` gives).
struct ByName {
    entries: Vec<(Symbol, Vec<Value>, Option<Span>)>,
    index: std::collections::HashMap<Symbol, usize>,
}

impl ByName {
    fn new() -> ByName {
        ByName { entries: Vec::new(), index: std::collections::HashMap::new() }
    }

    fn push(&mut self, name: Symbol, value: Value, pos: Option<Span>) {
        match self.index.get(&name) {
            Some(&i) => self.entries[i].1.push(value),
            None => {
                self.index.insert(name, self.entries.len());
                self.entries.push((name, vec![value], pos));
            }
        }
    }
}

/// name => [ { _file; pos; options; } ] over all modules' `options`.
fn decls_by_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, modules) = (&args[0], &args[1], &args[2]);
    let mut by_name = ByName::new();
    for module in list_of(ev, modules, span)? {
        let file = select(ev, &module, sym!("_file"), span)?;
        let options = select(ev, &module, sym!("options"), span)?;
        let options = match ev.force(&options)? {
            Value::Attrs(a) => a,
            _ => return call_helper(ev, helpers, "optionsNotASetError", vec![prefix.clone(), options], span),
        };
        for e in options.entries() {
            // `unsafeGetAttrPos`, made only when a position is read.
            let pos = match e.pos {
                Some(p) => Value::apply_thunk(Value::PrimOp(&POSITION), Value::Null, p),
                None => Value::Null,
            };
            let decl = set(vec![(sym!("_file"), file.clone()), (sym!("pos"), pos), (sym!("options"), e.value.clone())]);
            by_name.push(e.name, decl, None);
        }
    }
    let entries = by_name
        .entries
        .into_iter()
        .map(|(name, decls, _)| AttrEntry { name, value: Value::list(decls), pos: None })
        .collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

/// name => [ raw definitions, pushed-down definitions (a thunk) ].
fn defs_by_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, configs) = (&args[0], &args[1], &args[2]);
    let configs = list_of(ev, configs, span)?;
    // Every definition root must be a set; the first that is not fails.
    let mut roots = Vec::with_capacity(configs.len());
    for c in &configs {
        let config = select(ev, c, sym!("config"), span)?;
        match ev.force(&config)? {
            Value::Attrs(a) => roots.push((select(ev, c, sym!("file"), span)?, a)),
            _ => return call_helper(ev, helpers, "configNotASetError", vec![prefix.clone(), c.clone()], span),
        }
    }
    let mut by_name = ByName::new();
    for (file, config) in roots {
        for e in config.entries() {
            by_name.push(e.name, set(vec![(sym!("file"), file.clone()), (sym!("value"), e.value.clone())]), None);
        }
    }
    let entries = by_name
        .entries
        .into_iter()
        .map(|(name, raw, _)| {
            let raw = Value::list(raw);
            let pushed = lazy(&PUSHED_DEFS, vec![raw.clone()], span);
            AttrEntry { name, value: Value::list(vec![raw, pushed]), pos: None }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

/// `concatMap ({ file, value }: map (config: { inherit file config; }) (pushDownProperties value))`
fn pushed_defs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    pushed_down(ev, &args[0], sym!("file"), sym!("value"), span)
}

static DEFS_PART: PrimOp = PrimOp { name: "«modules: definitions of»", arity: 3, run: defs_part };

/// The definitions of a name: raw (0) or pushed down (1); none if absent.
fn defs_part(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = attrs_of(ev, &args[0], span)?;
    let name = sym(&ev.expect_str(&args[1], span)?);
    let part = ev.expect_int(&args[2], span)? as usize;
    match defs.get(name).cloned() {
        Some(pair) => {
            let pair = list_of(ev, &pair, span)?;
            ev.force(&pair[part])
        }
        None => Ok(Value::list(vec![])),
    }
}

fn results_by_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, decls, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let decls = attrs_of(ev, decls, span)?;
    let prefix_items = list_of(ev, prefix, span)?;
    let entries = decls
        .entries()
        .iter()
        .map(|e| {
            let mut loc = prefix_items.clone();
            loc.push(Value::string(e.name.as_str()));
            let value = lazy(
                &PER_NAME,
                vec![helpers.clone(), Value::list(loc), e.value.clone(), defs.clone(), Value::string(e.name.as_str())],
                span,
            );
            AttrEntry { name: e.name, value, pos: e.pos }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

/// One name of `mergeModules'`: an option, a namespace of options, or a
/// mix of both (the rare case, left to the Nix code).
fn per_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, decls, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let decl_list = list_of(ev, decls, span)?;
    let mut option_count = 0;
    for d in &decl_list {
        let options = select(ev, d, sym!("options"), span)?;
        let tag = match ev.force(&options)? {
            Value::Attrs(a) => match a.get(sym!("_type")).cloned() {
                Some(t) => Some(t),
                None => None,
            },
            _ => None,
        };
        if let Some(t) = tag {
            let is_option = matches!(ev.force(&t)?, Value::String(s) if &*s.text == "option");
            if !is_option {
                let file = select(ev, d, sym!("_file"), span)?;
                return call_helper(ev, helpers, "declarationTypeError", vec![loc.clone(), t, file], span);
            }
            option_count += 1;
        }
    }
    // The definitions stay unread until the option's value (or the
    // namespace's definitions) are: reading an option record must not
    // force the `config` of every module.
    let raw = lazy(&DEFS_PART, vec![defs.clone(), args[4].clone(), Value::Int(0)], span);
    let pushed = lazy(&DEFS_PART, vec![defs.clone(), args[4].clone(), Value::Int(1)], span);
    if option_count == decl_list.len() {
        let option = lazy(&OPTION_FROM_DECLS, vec![helpers.clone(), loc.clone(), decls.clone(), raw], span);
        Ok(set(vec![(sym!("matchedOptions"), option), (sym!("unmatchedDefns"), Value::list(vec![]))]))
    } else if option_count > 0 {
        call_helper(ev, helpers, "mixedDeclarations", vec![loc.clone(), decls.clone(), pushed, raw], span)
    } else {
        Ok(merge_modules_value(helpers, loc, decls, &pushed, span))
    }
}

/// `evalOptionValue loc (fixupOptionType loc (mergeOptionDecls loc decls)) defs`
fn option_from_decls(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, decls, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let decl_list = list_of(ev, decls, span)?;
    let merged = if decl_list.len() == 1 {
        merge_one_declaration(ev, loc, &decl_list[0], span)?
    } else {
        call_helper(ev, helpers, "mergeOptionDecls", vec![loc.clone(), decls.clone()], span)?
    };
    let opt = fixup_option_type(ev, helpers, &merged, span)?;
    eval_option_value_of(ev, helpers, loc, &opt, defs, span)
}

/// `mergeOptionDecls` of a single declaration.
fn merge_one_declaration(ev: &mut Evaluator, loc: &Value, decl: &Value, span: Span) -> EvalResult<Value> {
    let options = select(ev, decl, sym!("options"), span)?;
    let options = attrs_of(ev, &options, span)?;
    let file = select(ev, decl, sym!("_file"), span)?;
    let sub_modules = match options.get(sym!("type")).cloned() {
        Some(ty) => match select_or(ev, &ty, sym!("getSubModules"))? {
            Some(g) => match ev.force(&g)? {
                Value::Null => None,
                other => Some(other),
            },
            None => None,
        },
        None => None,
    };
    let positions = lazy(&DECLARATION_POSITIONS, vec![decl.clone()], span);
    let submodules = match sub_modules {
        Some(list) => {
            let items = list_of(ev, &list, span)?;
            Value::list(
                items
                    .into_iter()
                    .map(|m| set(vec![(sym!("_file"), file.clone()), (sym!("imports"), Value::list(vec![m]))]))
                    .collect(),
            )
        }
        None => Value::list(vec![]),
    };
    Ok(with_fields(
        &options,
        vec![
            (sym!("loc"), loc.clone()),
            (sym!("declarations"), Value::list(vec![file])),
            (sym!("declarationPositions"), positions),
            (sym!("options"), submodules),
        ],
    ))
}

/// Give a submodule type the modules collected from all declarations.
fn fixup_option_type(ev: &mut Evaluator, helpers: &Value, opt: &Value, span: Span) -> EvalResult<Value> {
    let attrs = attrs_of(ev, opt, span)?;
    let ty = attrs.get(sym!("type")).cloned();
    let sub_modules = match &ty {
        Some(t) => match select_or(ev, t, sym!("getSubModules"))? {
            Some(g) => !matches!(ev.force(&g)?, Value::Null),
            None => false,
        },
        None => false,
    };
    if !sub_modules {
        let ty = match ty {
            Some(t) => t,
            None => helper(ev, helpers, "unspecified", span)?,
        };
        return Ok(with_fields(&attrs, vec![(sym!("type"), ty)]));
    }
    let ty = ty.expect("checked above");
    let subst = select(ev, &ty, sym!("substSubModules"), span)?;
    let options = select(ev, opt, sym!("options"), span)?;
    let new_type = Value::apply_thunk(subst, options, span);
    Ok(with_fields(&attrs, vec![(sym!("type"), new_type), (sym!("options"), Value::list(vec![]))]))
}

fn matched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let results = attrs_of(ev, &args[0], span)?;
    let entries = results
        .entries()
        .iter()
        .map(|e| AttrEntry {
            name: e.name,
            value: lazy(&FIELD_MATCHED_OPTIONS, vec![e.value.clone()], span),
            pos: e.pos,
        })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

/// The definitions that found no option, each with its `prefix`.
fn unmatched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (configs, results, defs) = (&args[0], &args[1], &args[2]);
    if ev.expect_list(configs, span)?.is_empty() {
        return Ok(Value::list(vec![]));
    }
    let results = attrs_of(ev, results, span)?;
    let defs = attrs_of(ev, defs, span)?;
    // `mapAttrs (n: v: v.unmatchedDefns) results // removeAttrs raw (attrNames results)`
    let mut by_name: Vec<(Symbol, Value)> = Vec::with_capacity(results.len() + defs.len());
    for e in results.entries() {
        let r = select(ev, &e.value, sym!("unmatchedDefns"), span)?;
        by_name.push((e.name, r));
    }
    for e in defs.entries() {
        if !results.contains(e.name) {
            let pair = list_of(ev, &e.value, span)?;
            by_name.push((e.name, pair[0].clone()));
        }
    }
    by_name.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut out = Vec::new();
    for (name, list) in by_name {
        for def in list_of(ev, &list, span)? {
            let a = attrs_of(ev, &def, span)?;
            let mut prefix = vec![Value::string(name.as_str())];
            if let Some(p) = a.get(sym!("prefix")).cloned() {
                prefix.extend(list_of(ev, &p, span)?);
            }
            out.push(with_fields(&a, vec![(sym!("prefix"), Value::list(prefix))]));
        }
    }
    Ok(Value::list(out))
}

// ------------------------------------------------------------------ collectModules

/// `collectModulesWithGraph class modulesPath initialModules args`:
/// `{ modules; graph; }`. Loads every module reachable through `imports`
/// (calling module functions with their arguments, looked up lazily),
/// brings each into canonical form, drops disabled modules and keeps the
/// first module of every key, breadth first, as `genericClosure` does.
fn collect_modules_with_graph(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    collect_with_graph(ev, &args[0], &args[1], &args[2], &args[3], &args[4], span)
}

fn collect_with_graph(
    ev: &mut Evaluator,
    helpers: &Value,
    class: &Value,
    modules_path: &Value,
    initial: &Value,
    module_args: &Value,
    span: Span,
) -> EvalResult<Value> {
    let class = match ev.force(class)? {
        Value::Null => None,
        c => Some(c),
    };
    let mut collector = Collector { helpers, class, module_args, span, disabled: Vec::new() };
    let unknown = helper(ev, helpers, "unknownModule", span)?;
    let roots = collector.collect(ev, &unknown, "", initial)?;
    let disabled_keys: Vec<Value> = if collector.disabled.is_empty() {
        Vec::new()
    } else {
        let disabled = Value::list(std::mem::take(&mut collector.disabled));
        let keys = call_helper(ev, helpers, "disabledKeysOf", vec![modules_path.clone(), disabled], span)?;
        list_of(ev, &keys, span)?
    };
    let mut disabled_set = std::collections::HashSet::new();
    for k in &disabled_keys {
        disabled_set.insert(ev.expect_str(k, span)?.to_string());
    }
    // genericClosure: breadth first, first of every key wins.
    let mut seen = std::collections::HashSet::new();
    let mut queue: std::collections::VecDeque<&Collected> = roots.iter().filter(|c| !disabled_set.contains(&c.key)).collect();
    let mut modules = Vec::new();
    while let Some(c) = queue.pop_front() {
        if !seen.insert(c.key.as_str()) {
            continue;
        }
        modules.push(c.module.clone());
        queue.extend(c.imports.iter().filter(|i| !disabled_set.contains(&i.key)));
    }
    let structured = Value::list(roots.iter().map(Collected::to_value).collect());
    let graph = Value::apply_thunk(
        Value::PrimOpApp(Rc::new(PrimOpApp { op: &GRAPH, args: vec![helpers.clone(), structured] })),
        Value::list(disabled_keys),
        span,
    );
    Ok(set(vec![(sym!("modules"), Value::list(modules)), (sym!("graph"), graph)]))
}

static GRAPH: PrimOp = PrimOp { name: "«modules: graph»", arity: 3, run: graph };

fn graph(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    call_helper(ev, &args[0], "moduleGraph", vec![args[1].clone(), args[2].clone()], span)
}

/// One loaded module and what it imports.
struct Collected {
    key: String,
    module: Value,
    imports: Vec<Collected>,
}

impl Collected {
    /// `{ key; module; modules; }`, what the Nix code's graph is built from.
    fn to_value(&self) -> Value {
        set(vec![
            (sym!("key"), Value::string(self.key.as_str())),
            (sym!("module"), self.module.clone()),
            (sym!("modules"), Value::list(self.imports.iter().map(Collected::to_value).collect())),
        ])
    }
}

struct Collector<'a> {
    helpers: &'a Value,
    class: Option<Value>,
    module_args: &'a Value,
    span: Span,
    /// `{ file; disabled; }` of every module with `disabledModules`.
    disabled: Vec<Value>,
}

impl Collector<'_> {
    fn collect(&mut self, ev: &mut Evaluator, parent_file: &Value, parent_key: &str, list: &Value) -> EvalResult<Vec<Collected>> {
        let span = self.span;
        let items = list_of(ev, list, span)?;
        let mut out = Vec::with_capacity(items.len());
        for (n, item) in items.into_iter().enumerate() {
            let fallback_key = format!("{}:anon-{}", parent_key, n + 1);
            let module = self.load(ev, parent_file, &fallback_key, &item)?;
            let module = self.check_class(ev, module)?;
            let m = attrs_of(ev, &module, span)?;
            let key = ev.expect_str(m.get(sym!("key")).expect("unified modules have a key"), span)?.to_string();
            let file = m.get(sym!("_file")).cloned().expect("unified modules have a file");
            let disabled = m.get(sym!("disabledModules")).cloned().expect("unified modules list disabledModules");
            if !ev.expect_list(&disabled, span)?.is_empty() {
                self.disabled.push(set(vec![(sym!("file"), file.clone()), (sym!("disabled"), disabled)]));
            }
            let imports = m.get(sym!("imports")).cloned().expect("unified modules list imports");
            let imports = ev.nested(Some(span), |ev| self.collect(ev, &file, &key, &imports))?;
            out.push(Collected { key, module, imports });
        }
        Ok(out)
    }

    fn check_class(&mut self, ev: &mut Evaluator, module: Value) -> EvalResult<Value> {
        let Some(class) = &self.class else { return Ok(module) };
        let own = select(ev, &module, sym!("_class"), self.span)?;
        let own_forced = ev.force(&own)?;
        if matches!(own_forced, Value::Null) || ev.values_equal(&own_forced, class, self.span)? {
            return Ok(module);
        }
        call_helper(ev, self.helpers, "classError", vec![class.clone(), module], self.span)
    }

    /// `loadModule`: a function, a set, a property, or a path to import.
    fn load(&mut self, ev: &mut Evaluator, file: &Value, key: &str, m: &Value) -> EvalResult<Value> {
        let span = self.span;
        let forced = ev.force(m)?;
        let key_value = Value::string(key);
        match &forced {
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => {
                let applied = self.apply_args(ev, &key_value, &forced)?;
                self.unify(ev, file, &key_value, &applied)
            }
            Value::Attrs(a) if a.contains(sym!("__functor")) => {
                let applied = self.apply_args(ev, &key_value, &forced)?;
                self.unify(ev, file, &key_value, &applied)
            }
            Value::Attrs(a) => {
                let tag = match a.get(sym!("_type")).cloned() {
                    Some(t) => Some(ev.force(&t)?),
                    None => None,
                };
                let tag_str = match &tag {
                    Some(Value::String(s)) => Some(s.text.clone()),
                    _ => None,
                };
                match (tag.is_some(), tag_str.as_deref()) {
                    (false, _) | (true, Some("module")) => self.unify(ev, file, &key_value, &forced),
                    (true, Some("if")) | (true, Some("override")) => {
                        let wrapped = set(vec![(sym!("config"), forced.clone())]);
                        self.load(ev, file, key, &wrapped)
                    }
                    _ => call_helper(ev, self.helpers, "notAModuleError", vec![self.class_value(), file.clone(), forced.clone()], span),
                }
            }
            Value::List(_) => call_helper(ev, self.helpers, "nestedListError", vec![file.clone(), forced.clone()], span),
            _ => {
                let (name, context) = ev.coerce_to_string(&forced, span, true, false)?;
                let name = Value::string_with_context(name, context);
                let imported = call_helper(ev, self.helpers, "importModule", vec![forced.clone()], span)?;
                let imported = ev.force(&imported)?;
                let applied = if is_function(ev, &imported)? { self.apply_args(ev, &name, &imported)? } else { imported };
                self.unify(ev, &name, &name, &applied)
            }
        }
    }

    fn class_value(&self) -> Value {
        self.class.clone().unwrap_or(Value::Null)
    }

    /// `applyModuleArgs`: call a module function with the arguments it
    /// names, each looked up lazily in the module arguments, then in
    /// `config._module.args`.
    fn apply_args(&mut self, ev: &mut Evaluator, key: &Value, f: &Value) -> EvalResult<Value> {
        let span = self.span;
        let formals = call_helper(ev, self.helpers, "functionArgs", vec![f.clone()], span)?;
        let formals = attrs_of(ev, &formals, span)?;
        let args = attrs_of(ev, self.module_args, span)?;
        let mut given = Attrs::with_capacity(args.len() + formals.len());
        for e in args.entries() {
            given.insert(e.name, e.value.clone(), e.pos);
        }
        for e in formals.entries() {
            let name = Value::string(e.name.as_str());
            let lookup = lazy(&MODULE_ARG, vec![self.module_args.clone(), key.clone(), name], span);
            given.insert(e.name, lookup, None);
        }
        ev.call_value(f, Value::attrs(given), Some(span))
    }

    /// `unifyModuleSyntax file key m`: `{ _file; _class; key;
    /// disabledModules; imports; options; config; }`.
    fn unify(&mut self, ev: &mut Evaluator, file: &Value, key: &Value, m: &Value) -> EvalResult<Value> {
        let span = self.span;
        let a = match ev.force(m)? {
            Value::Attrs(a) => a,
            _ => return call_helper(ev, self.helpers, "notLikeAModuleError", vec![file.clone(), key.clone(), m.clone()], span),
        };
        let get = |name: &str| a.get(sym(name)).cloned();
        let to_string = |ev: &mut Evaluator, v: Option<Value>, fallback: &Value| -> EvalResult<Value> {
            let v = v.unwrap_or_else(|| fallback.clone());
            let (s, context) = ev.coerce_to_string(&v, span, true, false)?;
            Ok(Value::string_with_context(s, context))
        };
        let explicit = a.contains(sym!("config")) || a.contains(sym!("options"));
        if explicit {
            const ALLOWED: &[&str] =
                &["_class", "_file", "key", "disabledModules", "imports", "options", "config", "meta", "freeformType"];
            if a.entries().iter().any(|e| !ALLOWED.contains(&e.name.as_str())) {
                return call_helper(ev, self.helpers, "unsupportedAttributeError", vec![key.clone(), m.clone()], span);
            }
        }
        let file = to_string(ev, get("_file"), file)?;
        let key = to_string(ev, get("key"), key)?;
        let (imports, options, config) = if explicit {
            let mut config = get("config").unwrap_or_else(|| set(vec![]));
            if let Some(meta) = get("meta") {
                config = mk_merge(config, set(vec![(sym!("meta"), meta)]));
            }
            (get("imports").unwrap_or_else(|| Value::list(vec![])), get("options").unwrap_or_else(|| set(vec![])), config)
        } else {
            let imports = match (get("require"), get("imports")) {
                (None, None) => Value::list(vec![]),
                (None, Some(i)) => i,
                (r, i) => {
                    let mut all = list_of(ev, &r.unwrap_or_else(|| Value::list(vec![])), span)?;
                    all.extend(list_of(ev, &i.unwrap_or_else(|| Value::list(vec![])), span)?);
                    Value::list(all)
                }
            };
            const STRUCTURE: &[&str] = &["_class", "_file", "key", "disabledModules", "require", "imports", "freeformType"];
            let mut config = Attrs::with_capacity(a.len());
            for e in a.entries().iter().filter(|e| !STRUCTURE.contains(&e.name.as_str())) {
                config.insert(e.name, e.value.clone(), e.pos);
            }
            (imports, set(vec![]), Value::attrs(config))
        };
        let config = match get("freeformType") {
            Some(t) => mk_merge(config, set(vec![(sym!("_module"), set(vec![(sym!("freeformType"), t)]))])),
            None => config,
        };
        Ok(set(vec![
            (sym!("_file"), file),
            (sym!("_class"), get("_class").unwrap_or(Value::Null)),
            (sym!("key"), key),
            (sym!("disabledModules"), get("disabledModules").unwrap_or_else(|| Value::list(vec![]))),
            (sym!("imports"), imports),
            (sym!("options"), options),
            (sym!("config"), config),
        ]))
    }
}

/// `mkMerge [ a b ]`
fn mk_merge(a: Value, b: Value) -> Value {
    set(vec![(sym!("_type"), Value::string("merge")), (sym!("contents"), Value::list(vec![a, b]))])
}

/// The same closure (not merely an equal one).
fn same_function(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Lambda(a), Value::Lambda(b)) if Rc::ptr_eq(a, b))
}

/// `lib.isFunction`: a function, or a set with `__functor`.
fn is_function(ev: &mut Evaluator, v: &Value) -> EvalResult<bool> {
    Ok(match ev.force(v)? {
        Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => true,
        Value::Attrs(a) => a.contains(sym!("__functor")),
        _ => false,
    })
}

static MODULE_ARG: PrimOp = PrimOp { name: "«modules: module argument»", arity: 3, run: module_arg };

/// `args.${name} or config._module.args.${name}`, in the context Nix
/// gives it.
fn module_arg(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (module_args, key, name) = (&args[0], &args[1], &args[2]);
    let name = ev.expect_str(name, span)?;
    with_context(
        ev,
        span,
        |ev| {
            let a = attrs_of(ev, module_args, span)?;
            if let Some(v) = a.get(sym(&name)).cloned() {
                return ev.force(&v);
            }
            let config = select(ev, module_args, sym!("config"), span)?;
            let module = select(ev, &config, sym!("_module"), span)?;
            let module_args = select(ev, &module, sym!("args"), span)?;
            let v = select(ev, &module_args, sym(&name), span)?;
            ev.force(&v)
        },
        |ev| {
            let key = ev.coerce_to_string(key, span, true, false).ok()?.0;
            Some(format!("while evaluating the module argument `{}' in \"{}\":", name, key))
        },
    )
}

// ------------------------------------------------------------------ evalModules

/// `evalModules` without the deprecated `args`/`check` arguments: the same
/// record as `evalModulesNix`, built from the native pieces above. Its
/// thunks refer to each other as the Nix `let` does: modules receive
/// `config` and `options`, which are computed from those modules.
fn eval_modules(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, eval_args, modules, prefix, special_args, class) =
        (&args[0], &args[1], &args[2], &args[3], &args[4], &args[5]);
    let call = |name: &str, args: Vec<Value>| {
        lazy(&CALL_HELPER, vec![helpers.clone(), Value::string(name), Value::list(args)], span)
    };
    let module_type = call("moduleTypeFor", vec![modules.clone(), special_args.clone(), class.clone()]);
    let extend_modules = call("extendModulesFor", vec![eval_args.clone()]);
    let internal_module = set(vec![
        (sym!("_file"), Value::string("lib/modules.nix")),
        (sym!("key"), Value::string("lib/modules.nix")),
        (sym!("options"), call("internalOptionsFor", vec![prefix.clone()])),
        (
            sym!("config"),
            set(vec![(
                sym!("_module"),
                set(vec![
                    (
                        sym!("args"),
                        set(vec![(sym!("extendModules"), extend_modules.clone()), (sym!("moduleType"), module_type.clone())]),
                    ),
                    (sym!("specialArgs"), special_args.clone()),
                ]),
            )]),
        ),
    ]);
    let (options, options_cell) = hole();
    let (config, config_cell) = hole();
    let lib = helper(ev, helpers, "lib", span)?;
    let module_args = lazy(
        &MODULE_ARGS,
        vec![helpers.clone(), lib, options.clone(), special_args.clone(), class.clone(), prefix.clone(), config.clone()],
        span,
    );
    let collected = lazy(
        &COLLECT_FOR_EVAL,
        vec![helpers.clone(), class.clone(), special_args.clone(), modules.clone(), internal_module, module_args],
        span,
    );
    let merged = lazy(&MERGE_FOR_EVAL, vec![helpers.clone(), prefix.clone(), collected.clone()], span);
    fill(&options_cell, &SELECT_MATCHED, vec![merged.clone()], span);
    let declared = lazy(&DECLARED_CONFIG, vec![options.clone()], span);
    fill(&config_cell, &EVAL_CONFIG, vec![helpers.clone(), prefix.clone(), declared, merged.clone()], span);
    let check = lazy(&CHECK_UNMATCHED, vec![helpers.clone(), prefix.clone(), options.clone(), config.clone(), merged], span);
    Ok(set(vec![
        (sym!("_type"), Value::string("configuration")),
        (sym!("options"), lazy(&CHECKED, vec![check.clone(), options], span)),
        (sym!("config"), lazy(&CHECKED_CONFIG, vec![check.clone(), config.clone()], span)),
        (sym!("_module"), lazy(&CHECKED_MODULE, vec![check, config], span)),
        (sym!("graph"), lazy(&SELECT_GRAPH, vec![collected], span)),
        (sym!("extendModules"), extend_modules),
        (sym!("type"), module_type),
        (sym!("class"), class.clone()),
    ]))
}

static CALL_HELPER: PrimOp = PrimOp { name: "«modules: helper»", arity: 3, run: call_helper_op };
static MODULE_ARGS: PrimOp = PrimOp { name: "«modules: module arguments»", arity: 7, run: module_args };
static COLLECT_FOR_EVAL: PrimOp = PrimOp { name: "«modules: collected»", arity: 6, run: collect_for_eval };
static MERGE_FOR_EVAL: PrimOp = PrimOp { name: "«modules: merged»", arity: 3, run: merge_for_eval };
static SELECT_MATCHED: PrimOp = PrimOp { name: "«modules: options»", arity: 1, run: select_matched };
static SELECT_GRAPH: PrimOp = PrimOp { name: "«modules: graph of»", arity: 1, run: select_graph };
static DECLARED_CONFIG: PrimOp = PrimOp { name: "«modules: declared config»", arity: 1, run: declared_config };
static CONFIG_ENTRY: PrimOp = PrimOp { name: "«modules: config value»", arity: 1, run: config_entry };
static EVAL_CONFIG: PrimOp = PrimOp { name: "«modules: config»", arity: 4, run: eval_config };
static CHECK_UNMATCHED: PrimOp = PrimOp { name: "«modules: check»", arity: 5, run: check_unmatched };
static CHECKED: PrimOp = PrimOp { name: "«modules: checked»", arity: 2, run: checked };
static CHECKED_CONFIG: PrimOp = PrimOp { name: "«modules: checked config»", arity: 2, run: checked_config };
static CHECKED_MODULE: PrimOp = PrimOp { name: "«modules: checked _module»", arity: 2, run: checked_module };
static CONFIG_ARGUMENT: PrimOp = PrimOp { name: "«modules: config argument»", arity: 2, run: config_argument };

fn call_helper_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = ev.expect_str(&args[1], span)?;
    let list = list_of(ev, &args[2], span)?;
    let r = call_helper(ev, &args[0], &name, list, span)?;
    ev.force(&r)
}

/// `{ inherit lib options specialArgs; _class; _prefix; config; } // specialArgs`
fn module_args(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, lib, options, special_args, class, prefix, config) =
        (&args[0], &args[1], &args[2], &args[3], &args[4], &args[5], &args[6]);
    let config = lazy(&CONFIG_ARGUMENT, vec![helpers.clone(), config.clone()], span);
    let own = set(vec![
        (sym!("lib"), lib.clone()),
        (sym!("options"), options.clone()),
        (sym!("specialArgs"), special_args.clone()),
        (sym!("_class"), class.clone()),
        (sym!("_prefix"), prefix.clone()),
        (sym!("config"), config),
    ]);
    let own = attrs_of(ev, &own, span)?;
    let special = attrs_of(ev, special_args, span)?;
    Ok(Value::attrs(Attrs::update(&own, &special)))
}

/// `addErrorContext configArgumentContext config`
fn config_argument(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, config) = (&args[0], &args[1]);
    with_context(
        ev,
        span,
        |ev| ev.force(config),
        |ev| {
            let message = helper(ev, helpers, "configArgumentContext", span).ok()?;
            Some(ev.expect_str(&message, span).ok()?.to_string())
        },
    )
}

/// `collectModulesWithGraph class (specialArgs.modulesPath or "") (modules ++ [ internalModule ]) moduleArgs`
fn collect_for_eval(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, class, special_args, modules, internal_module, module_args) =
        (&args[0], &args[1], &args[2], &args[3], &args[4], &args[5]);
    let modules_path = match select_or(ev, special_args, sym!("modulesPath"))? {
        Some(p) => p,
        None => Value::string(""),
    };
    let mut all = list_of(ev, modules, span)?;
    all.push(internal_module.clone());
    collect_with_graph(ev, helpers, class, &modules_path, &Value::list(all), module_args, span)
}

/// `mergeModules prefix (reverseList collected.modules)`
fn merge_for_eval(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, collected) = (&args[0], &args[1], &args[2]);
    let modules = select(ev, collected, sym!("modules"), span)?;
    let mut modules = list_of(ev, &modules, span)?;
    modules.reverse();
    let modules = Value::list(modules);
    let configs = lazy(&MODULE_CONFIGS, vec![modules.clone()], span);
    Ok(merge_modules_value(helpers, prefix, &modules, &configs, span))
}

fn select_matched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let v = select(ev, &args[0], sym!("matchedOptions"), span)?;
    ev.force(&v)
}

fn select_graph(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let v = select(ev, &args[0], sym!("graph"), span)?;
    ev.force(&v)
}

/// `mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value) options`
fn declared_config(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let node = attrs_of(ev, &args[0], span)?;
    let entries = node
        .entries()
        .iter()
        .map(|e| AttrEntry { name: e.name, value: lazy(&CONFIG_ENTRY, vec![e.value.clone()], span), pos: e.pos })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

fn config_entry(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let v = ev.force(&args[0])?;
    if let Value::Attrs(_) = &v {
        if !is_tag(&type_tag(ev, &v)?, "option") {
            return declared_config(ev, &[v], span);
        }
    }
    let value = select(ev, &v, sym!("value"), span)?;
    ev.force(&value)
}

/// The declared options' values, or with a freeform type, those merged
/// with the definitions that have no option.
fn eval_config(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, declared, merged) = (&args[0], &args[1], &args[2], &args[3]);
    let module = select(ev, declared, sym!("_module"), span)?;
    let freeform_type = select(ev, &module, sym!("freeformType"), span)?;
    if let Value::Null = ev.force(&freeform_type)? {
        return ev.force(declared);
    }
    let unmatched = lazy(&FIELD_UNMATCHED_DEFNS, vec![merged.clone()], span);
    call_helper(ev, helpers, "withFreeformConfig", vec![prefix.clone(), declared.clone(), unmatched], span)
}

/// `config._module.check && config._module.freeformType == null && merged.unmatchedDefns != [ ]`
/// is an error.
fn check_unmatched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, options, config, merged) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let module = select(ev, config, sym!("_module"), span)?;
    let check = select(ev, &module, sym!("check"), span)?;
    if !ev.expect_bool(&check, span)? {
        return Ok(Value::Null);
    }
    let freeform_type = select(ev, &module, sym!("freeformType"), span)?;
    if !matches!(ev.force(&freeform_type)?, Value::Null) {
        return Ok(Value::Null);
    }
    let unmatched = select(ev, merged, sym!("unmatchedDefns"), span)?;
    if ev.expect_list(&unmatched, span)?.is_empty() {
        return Ok(Value::Null);
    }
    call_helper(ev, helpers, "unmatchedError", vec![prefix.clone(), options.clone(), unmatched], span)
}

fn checked(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    ev.force(&args[1])
}

/// `removeAttrs config [ "_module" ]`, once checked.
fn checked_config(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    let config = attrs_of(ev, &args[1], span)?;
    let module = sym!("_module");
    let entries = config.entries().iter().filter(|e| e.name != module).cloned().collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

fn checked_module(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    let module = select(ev, &args[1], sym!("_module"), span)?;
    ev.force(&module)
}

// ------------------------------------------------------------------ type merges

/// `checkDefsForError check loc defs`: null, or `{ message; }` naming the
/// definitions that fail the type's check.
fn check_defs_for_error(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, check, _loc, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let mut invalid = Vec::new();
    for def in list_of(ev, defs, span)? {
        let value = select(ev, &def, sym!("value"), span)?;
        let ok = ev.call_value(check, value, Some(span))?;
        if !ev.expect_bool(&ok, span)? {
            invalid.push(def);
        }
    }
    if invalid.is_empty() {
        return Ok(Value::Null);
    }
    // The message stays a thunk: `either` only asks whether there is an
    // error, and showing the definitions is costly.
    let message = lazy(&DEFINITION_VALUES, vec![helpers.clone(), Value::list(invalid)], span);
    Ok(set(vec![(sym!("message"), message)]))
}

static DEFINITION_VALUES: PrimOp = PrimOp { name: "«modules: definition values»", arity: 2, run: definition_values };

/// `"Definition values: ${showDefs invalidDefs}"`
fn definition_values(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let shown = call_helper(ev, &args[0], "showDefs", vec![args[1].clone()], span)?;
    let shown = ev.expect_string(&shown, span)?;
    let mut bytes = b"Definition values: ".to_vec();
    bytes.extend_from_slice(shown.as_bytes());
    Ok(Value::string_from_bytes(bytes, shown.context.clone()))
}

fn loc_and_defs(ev: &mut Evaluator, args: &Value, span: Span) -> EvalResult<(Value, Value)> {
    Ok((select(ev, args, sym!("loc"), span)?, select(ev, args, sym!("defs"), span)?))
}

/// `attrsWith`'s `merge.v2 { loc, defs }`: every attribute merged by the
/// element type; only attributes with a value, unless `lazy`.
fn attrs_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, is_lazy, check) = (&args[0], &args[1], &args[2], &args[3]);
    let (loc, defs) = loc_and_defs(ev, &args[4], span)?;
    let head_error = lazy(&CHECK_DEFS, vec![helpers.clone(), check.clone(), loc.clone(), defs.clone()], span);
    let merged = lazy(&ATTRS_MERGED, vec![helpers.clone(), elem_type.clone(), is_lazy.clone(), loc, defs], span);
    Ok(set(vec![
        (sym!("headError"), head_error),
        (sym!("value"), lazy(&SELECT_FIRST, vec![merged.clone()], span)),
        (sym!("valueMeta"), set(vec![(sym!("attrs"), lazy(&SELECT_SECOND, vec![merged], span))])),
    ]))
}

static CHECK_DEFS: PrimOp = PrimOp { name: "«modules: checkDefsForError»", arity: 4, run: check_defs_for_error };
static ATTRS_MERGED: PrimOp = PrimOp { name: "«modules: attrsOf merge»", arity: 5, run: attrs_merged };
static LIST_MERGED: PrimOp = PrimOp { name: "«modules: listOf merge»", arity: 4, run: list_merged };
static SELECT_FIRST: PrimOp = PrimOp { name: "«modules: value»", arity: 1, run: select_first };
static SELECT_SECOND: PrimOp = PrimOp { name: "«modules: valueMeta»", arity: 1, run: select_second };
static LAZY_ATTR_VALUE: PrimOp = PrimOp { name: "«modules: lazy attribute»", arity: 4, run: lazy_attr_value };

fn select_first(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let pair = ev.expect_list(&args[0], span)?;
    ev.force(&pair[0].clone())
}

fn select_second(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let pair = ev.expect_list(&args[0], span)?;
    ev.force(&pair[1].clone())
}

/// `[ value valueMeta.attrs ]` of an attrsOf merge.
fn attrs_merged(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, is_lazy, loc, defs) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let is_lazy = ev.expect_bool(is_lazy, span)?;
    // zipAttrsWith over the definitions, each attribute's file pushed down.
    let mut by_name = ByName::new();
    for def in list_of(ev, defs, span)? {
        let file = select(ev, &def, sym!("file"), span)?;
        let value = select(ev, &def, sym!("value"), span)?;
        let value = attrs_of(ev, &value, span)?;
        for e in value.entries() {
            by_name.push(e.name, set(vec![(sym!("file"), file.clone()), (sym!("value"), e.value.clone())]), None);
        }
    }
    let loc_items = list_of(ev, loc, span)?;
    let mut entries: Vec<(Symbol, MergedDefinitions)> = Vec::with_capacity(by_name.entries.len());
    for (name, defs, _) in by_name.entries {
        let mut elem_loc = loc_items.clone();
        elem_loc.push(Value::string(name.as_str()));
        let merged = merged_definitions(helpers, &Value::list(elem_loc), elem_type, &Value::list(defs), span);
        entries.push((name, merged));
    }
    if !is_lazy {
        // filterAttrs (n: v: v.optionalValue ? value)
        let mut kept = Vec::with_capacity(entries.len());
        for (name, m) in entries {
            if ev.expect_bool(&m.is_defined, span)? {
                kept.push((name, m));
            }
        }
        entries = kept;
    }
    let mut values = Vec::with_capacity(entries.len());
    let mut metas = Vec::with_capacity(entries.len());
    for (name, m) in entries {
        // Defined attributes: `optionalValue.value` is `mergedValue`.
        let value = if is_lazy {
            lazy(&LAZY_ATTR_VALUE, vec![m.is_defined.clone(), m.merged.clone(), elem_type.clone(), m.record.clone()], span)
        } else {
            m.merged.clone()
        };
        values.push(AttrEntry { name, value, pos: None });
        let meta = lazy(&FIELD_VALUE_META, vec![m.checked.clone()], span);
        metas.push(AttrEntry { name, value: meta, pos: None });
    }
    Ok(Value::list(vec![Value::attrs(Attrs::from_entries(values)), Value::attrs(Attrs::from_entries(metas))]))
}

/// `v.optionalValue.value or elemType.emptyValue.value or v.mergedValue`
fn lazy_attr_value(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (is_defined, merged, elem_type) = (&args[0], &args[1], &args[2]);
    if !ev.expect_bool(is_defined, span)? {
        if let Some(empty) = select_or(ev, elem_type, sym!("emptyValue"))? {
            if let Some(value) = select_or(ev, &empty, sym!("value"))? {
                return ev.force(&value);
            }
        }
    }
    ev.force(merged)
}

/// `listOf`'s `merge.v2 { loc, defs }`: every element merged on its own,
/// named `[definition N-entry M]`; elements without a value are dropped.
fn list_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, check) = (&args[0], &args[1], &args[2]);
    let (loc, defs) = loc_and_defs(ev, &args[3], span)?;
    let head_error = lazy(&CHECK_DEFS, vec![helpers.clone(), check.clone(), loc.clone(), defs.clone()], span);
    let merged = lazy(&LIST_MERGED, vec![helpers.clone(), elem_type.clone(), loc, defs], span);
    Ok(set(vec![
        (sym!("headError"), head_error),
        (sym!("value"), lazy(&SELECT_FIRST, vec![merged.clone()], span)),
        (sym!("valueMeta"), set(vec![(sym!("list"), lazy(&SELECT_SECOND, vec![merged], span))])),
    ]))
}

/// `[ value valueMeta.list ]` of a listOf merge.
fn list_merged(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, loc, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let loc_items = list_of(ev, loc, span)?;
    let mut values = Vec::new();
    let mut metas = Vec::new();
    for (n, def) in list_of(ev, defs, span)?.into_iter().enumerate() {
        let file = select(ev, &def, sym!("file"), span)?;
        let items = select(ev, &def, sym!("value"), span)?;
        for (m, item) in list_of(ev, &items, span)?.into_iter().enumerate() {
            let mut elem_loc = loc_items.clone();
            elem_loc.push(Value::string(format!("[definition {}-entry {}]", n + 1, m + 1)));
            let elem_defs = Value::list(vec![set(vec![(sym!("file"), file.clone()), (sym!("value"), item)])]);
            let merged = merged_definitions(helpers, &Value::list(elem_loc), elem_type, &elem_defs, span);
            if ev.expect_bool(&merged.is_defined, span)? {
                values.push(merged.merged.clone());
                metas.push(lazy(&FIELD_VALUE_META, vec![merged.checked.clone()], span));
            }
        }
    }
    Ok(Value::list(vec![Value::list(values), Value::list(metas)]))
}

/// `type.merge loc defs`, where `defs` is the forced list `defs_value`.
fn call_merge(
    ev: &mut Evaluator,
    helpers: &Value,
    ty: &Value,
    loc: &Value,
    defs_value: &Value,
    defs: &[Value],
    span: Span,
) -> EvalResult<Value> {
    let merge = select(ev, ty, sym!("merge"), span)?;
    // `mergeEqualOption` of one definition is that definition's value: the
    // merge of most scalar types, worth two calls per option.
    if defs.len() == 1 {
        let merge = ev.force(&merge)?;
        let equal = helper(ev, helpers, "mergeEqualOption", span)?;
        if same_function(&merge, &ev.force(&equal)?) {
            let value = select(ev, &defs[0], sym!("value"), span)?;
            return ev.force(&value);
        }
    }
    let f = ev.call_value(&merge, loc.clone(), Some(span))?;
    let r = ev.call_value(&f, defs_value.clone(), Some(span))?;
    ev.force(&r)
}

/// `x: x == null || elemType.check x`
fn null_or_check(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (elem_type, x) = (&args[1], &args[2]);
    if let Value::Null = ev.force(x)? {
        return Ok(Value::Bool(true));
    }
    let check = select(ev, elem_type, sym!("check"), span)?;
    let r = ev.call_value(&check, x.clone(), Some(span))?;
    Ok(Value::Bool(ev.expect_bool(&r, span)?))
}

/// `nullOr`'s merge: null when every definition is null, the error
/// `on_mixed loc defs` when some are, else the element type's merge.
fn null_or_merge(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, on_mixed, elem_type, loc, defs_value) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let defs = list_of(ev, defs_value, span)?;
    let mut nulls = 0;
    for def in &defs {
        let value = select(ev, def, sym!("value"), span)?;
        if let Value::Null = ev.force(&value)? {
            nulls += 1;
        }
    }
    if nulls == defs.len() {
        return Ok(Value::Null);
    }
    if nulls != 0 {
        let f = ev.call_value(on_mixed, loc.clone(), Some(span))?;
        return ev.call_value(&f, defs_value.clone(), Some(span));
    }
    call_merge(ev, helpers, elem_type, loc, defs_value, &defs, span)
}

/// `x: t1.check x || t2.check x`
fn either_check(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (t1, t2, x) = (&args[1], &args[2], &args[3]);
    for t in [t1, t2] {
        let check = select(ev, t, sym!("check"), span)?;
        let r = ev.call_value(&check, x.clone(), Some(span))?;
        if ev.expect_bool(&r, span)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// `checkedMerge t loc defs`: the v2 merge, or `{ value; headError; valueMeta; }`
/// from the type's merge and check.
fn checked_merge(ev: &mut Evaluator, helpers: &Value, ty: &Value, loc: &Value, defs: &Value, span: Span) -> EvalResult<Value> {
    if uses_v2(ev, ty, span)? {
        return run_v2_merge(ev, helpers, loc, ty, defs, span);
    }
    let merge = select(ev, ty, sym!("merge"), span)?;
    let value = Value::apply_thunk(Value::apply_thunk(merge, loc.clone(), span), defs.clone(), span);
    let check = select(ev, ty, sym!("check"), span)?;
    let head_error = lazy(&CHECK_DEFS, vec![helpers.clone(), check, loc.clone(), defs.clone()], span);
    Ok(set(vec![(sym!("value"), value), (sym!("headError"), head_error), (sym!("valueMeta"), set(vec![]))]))
}

/// `either`'s `merge.v2`: the first type whose checked merge has no
/// error, else `on_failure t1 t2 loc defs` (the Nix code's warning path).
fn either_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, on_failure, t1, t2) = (&args[0], &args[1], &args[2], &args[3]);
    let (loc, defs) = loc_and_defs(ev, &args[4], span)?;
    for t in [t1, t2] {
        let r = checked_merge(ev, helpers, t, &loc, &defs, span)?;
        let error = match select_or(ev, &r, sym!("headError"))? {
            Some(e) => !matches!(ev.force(&e)?, Value::Null),
            None => false,
        };
        if !error {
            return Ok(r);
        }
    }
    let mut f = on_failure.clone();
    for a in [t1.clone(), t2.clone(), loc, defs] {
        f = ev.call_value(&f, a, Some(span))?;
    }
    ev.force(&f)
}

/// `_: x`: a functor that returns what it was made with.
fn constant(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    ev.force(&args[1])
}

static POSITION: PrimOp = PrimOp { name: "«modules: position»", arity: 1, run: |ev, _, span| Ok(ev.pos_attrs(span)) };
static DECLARATION_POSITIONS: PrimOp =
    PrimOp { name: "«modules: declaration positions»", arity: 1, run: declaration_positions };

/// `if opt.pos or null != null then [ opt.pos ] else [ { file = opt._file; line = null; column = null; } ]`
fn declaration_positions(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let decl = &args[0];
    let pos = select(ev, decl, sym!("pos"), span)?;
    let position = match ev.force(&pos)? {
        Value::Null => {
            let file = select(ev, decl, sym!("_file"), span)?;
            set(vec![(sym!("file"), file), (sym!("line"), Value::Null), (sym!("column"), Value::Null)])
        }
        p => p,
    };
    Ok(Value::list(vec![position]))
}
