//! The merges and checks of the most used types: `attrsOf`,
//! `lazyAttrsOf`, `listOf`, `nullOr`, `either`, and `checkDefsForError`.

use super::*;

/// `checkDefsForError check loc defs`: null, or `{ message; }` naming the
/// definitions that fail the type's check.
pub(super) fn check_defs_for_error(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, check, _loc, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let mut invalid = Vec::new();
    for def in items(ev, defs, span)? {
        let value = select(ev, def, sym!("value"), span)?;
        let ok = ev.call_value(check, value, Some(span))?;
        if !ev.expect_bool(&ok, span)? {
            invalid.push(def.clone());
        }
    }
    if invalid.is_empty() {
        return Ok(Value::Null);
    }
    // The message stays a thunk: `either` only asks whether there is an
    // error, and showing the definitions is costly.
    let message = lazy(&DEFINITION_VALUES, [helpers.clone(), Value::list(invalid)], span);
    Ok(set([(sym!("message"), message)]))
}

pub(super) static DEFINITION_VALUES: PrimOp =
    PrimOp { lambda: true, name: "«modules: definition values»", arity: 2, run: definition_values };

/// `"Definition values: ${showDefs invalidDefs}"`
pub(super) fn definition_values(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let shown = call_helper(ev, &args[0], sym!("showDefs"), vec![args[1].clone()], span)?;
    let shown = ev.expect_string(&shown, span)?;
    let mut bytes = b"Definition values: ".to_vec();
    bytes.extend_from_slice(shown.as_bytes());
    Ok(Value::string_from_bytes(bytes, shown.context().clone()))
}

pub(super) fn loc_and_defs(ev: &mut Evaluator, args: &Value, span: Span) -> EvalResult<(Value, Value)> {
    Ok((select(ev, args, sym!("loc"), span)?, select(ev, args, sym!("defs"), span)?))
}

/// `attrsWith`'s `merge.v2 { loc, defs }`: every attribute merged by the
/// element type; only attributes with a value, unless `lazy`.
pub(super) fn attrs_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, is_lazy, check) = (&args[0], &args[1], &args[2], &args[3]);
    let (loc, defs) = loc_and_defs(ev, &args[4], span)?;
    let head_error = lazy(&CHECK_DEFS, [helpers.clone(), check.clone(), loc.clone(), defs.clone()], span);
    let merged = lazy(&ATTRS_MERGED, [helpers.clone(), elem_type.clone(), is_lazy.clone(), loc, defs], span);
    Ok(container_merge_result(head_error, merged, sym!("attrs"), span))
}

/// `{ headError; value; valueMeta.KIND; }` of a container's v2 merge, from
/// a thunk of `[ value valueMeta.KIND ]`.
fn container_merge_result(head_error: Value, merged: Value, kind: Symbol, span: Span) -> Value {
    set([
        (sym!("headError"), head_error),
        (sym!("value"), lazy(&SELECT_FIRST, [merged.clone()], span)),
        (sym!("valueMeta"), set([(kind, lazy(&SELECT_SECOND, [merged], span))])),
    ])
}

pub(super) static CHECK_DEFS: PrimOp =
    PrimOp { lambda: true, name: "«modules: checkDefsForError»", arity: 4, run: check_defs_for_error };
pub(super) static ATTRS_MERGED: PrimOp =
    PrimOp { lambda: true, name: "«modules: attrsOf merge»", arity: 5, run: attrs_merged };
pub(super) static LIST_MERGED: PrimOp =
    PrimOp { lambda: true, name: "«modules: listOf merge»", arity: 4, run: list_merged };
pub(super) static SELECT_FIRST: PrimOp =
    PrimOp { lambda: true, name: "«modules: value»", arity: 1, run: select_first };
pub(super) static SELECT_SECOND: PrimOp =
    PrimOp { lambda: true, name: "«modules: valueMeta»", arity: 1, run: select_second };
pub(super) static LAZY_ATTR_VALUE: PrimOp =
    PrimOp { lambda: true, name: "«modules: lazy attribute»", arity: 3, run: lazy_attr_value };

pub(super) fn select_first(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let pair = ev.expect_list(&args[0], span)?;
    ev.force(&pair[0].clone())
}

pub(super) fn select_second(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let pair = ev.expect_list(&args[0], span)?;
    ev.force(&pair[1].clone())
}

/// `[ value valueMeta.attrs ]` of an attrsOf merge.
pub(super) fn attrs_merged(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, is_lazy, loc, defs) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let is_lazy = ev.expect_bool(is_lazy, span)?;
    // zipAttrsWith over the definitions, each attribute's file pushed down.
    let mut by_name = ByName::new();
    for def in items(ev, defs, span)? {
        let file = select(ev, def, sym!("file"), span)?;
        let value = select(ev, def, sym!("value"), span)?;
        let value = ev.expect_attrs_ref(&value, span)?;
        for e in value.entries() {
            by_name.push(e.name, set([(sym!("file"), file.clone()), (sym!("value"), e.value.clone())]));
        }
    }
    let mut entries: Vec<(Symbol, Value, MergedDefinitions)> = Vec::with_capacity(by_name.entries.len());
    for (name, defs) in by_name.entries {
        let elem_loc = lazy(&LOC_WITH, [loc.clone(), name_string(name)], span);
        let merged = merged_definitions(helpers, &elem_loc, elem_type, &Value::list(defs), span);
        entries.push((name, elem_loc, merged));
    }
    if !is_lazy {
        // filterAttrs (n: v: v.optionalValue ? value)
        let mut kept = Vec::with_capacity(entries.len());
        for entry in entries {
            if entry.2.is_defined(ev, span)? {
                kept.push(entry);
            }
        }
        entries = kept;
    }
    let mut values = Vec::with_capacity(entries.len());
    let mut checked = Vec::with_capacity(entries.len());
    for (name, elem_loc, m) in entries {
        let merged = m.merged(helpers, &elem_loc, elem_type, span);
        // Defined attributes: `optionalValue.value` is `mergedValue`.
        let value = if is_lazy { lazy(&LAZY_ATTR_VALUE, [m.core, merged, elem_type.clone()], span) } else { merged };
        values.push(AttrEntry { name, value, pos: None });
        checked.push(AttrEntry { name, value: m.checked, pos: None });
    }
    let metas = lazy(&VALUE_METAS, [Value::attrs(Attrs::from_entries(checked))], span);
    Ok(Value::list(vec![Value::attrs(Attrs::from_entries(values)), metas]))
}

/// `mapAttrs (n: v: v.checkedAndMerged.valueMeta)`, from the attributes'
/// `checkedAndMerged`.
static VALUE_METAS: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: valueMeta.attrs»",
    arity: 1,
    run: |ev, args, span| Ok(map_lazily(&attrs_of(ev, &args[0], span)?, &FIELD_VALUE_META, span)),
};

/// `v.optionalValue.value or elemType.emptyValue.value or v.mergedValue`
pub(super) fn lazy_attr_value(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (core, merged, elem_type) = (&args[0], &args[1], &args[2]);
    if final_definitions(ev, core, span)?.is_empty() {
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
pub(super) fn list_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, check) = (&args[0], &args[1], &args[2]);
    let (loc, defs) = loc_and_defs(ev, &args[3], span)?;
    let head_error = lazy(&CHECK_DEFS, [helpers.clone(), check.clone(), loc.clone(), defs.clone()], span);
    let merged = lazy(&LIST_MERGED, [helpers.clone(), elem_type.clone(), loc, defs], span);
    Ok(container_merge_result(head_error, merged, sym!("list"), span))
}

/// `[ value valueMeta.list ]` of a listOf merge.
pub(super) fn list_merged(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, elem_type, loc, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let mut values = Vec::new();
    let mut metas = Vec::new();
    for (n, def) in items(ev, defs, span)?.iter().enumerate() {
        let file = select(ev, def, sym!("file"), span)?;
        let def_items = select(ev, def, sym!("value"), span)?;
        for (m, item) in items(ev, &def_items, span)?.iter().enumerate() {
            let entry = Value::string(format!("[definition {}-entry {}]", n + 1, m + 1));
            let elem_loc = lazy(&LOC_WITH, [loc.clone(), entry], span);
            let elem_defs = Value::list(vec![set([(sym!("file"), file.clone()), (sym!("value"), item.clone())])]);
            let merged = merged_definitions(helpers, &elem_loc, elem_type, &elem_defs, span);
            if merged.is_defined(ev, span)? {
                values.push(merged.merged(helpers, &elem_loc, elem_type, span));
                metas.push(lazy(&FIELD_VALUE_META, [merged.checked], span));
            }
        }
    }
    Ok(Value::list(vec![Value::list(values), Value::list(metas)]))
}

/// `type.merge loc defs`, where `defs` is the forced list `defs_value`.
pub(super) fn call_merge(
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
        let equal = helper(ev, helpers, sym!("mergeEqualOption"), span)?;
        if same_function(&merge, &ev.force(&equal)?) {
            let value = select(ev, &defs[0], sym!("value"), span)?;
            return ev.force(&value);
        }
    }
    let r = apply(ev, merge, vec![loc.clone(), defs_value.clone()], span)?;
    ev.force(&r)
}

/// `x: x == null || elemType.check x`
pub(super) fn null_or_check(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
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
pub(super) fn null_or_merge(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
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
        return apply(ev, on_mixed.clone(), vec![loc.clone(), defs_value.clone()], span);
    }
    call_merge(ev, helpers, elem_type, loc, defs_value, &defs, span)
}

/// `x: t1.check x || t2.check x`
pub(super) fn either_check(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
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
pub(super) fn checked_merge(
    ev: &mut Evaluator,
    helpers: &Value,
    ty: &Value,
    loc: &Value,
    defs: &Value,
    span: Span,
) -> EvalResult<Value> {
    if uses_v2(ev, ty, span)? {
        return run_v2_merge(ev, helpers, loc, ty, defs, span);
    }
    let value = lazy(&MERGE_CALL, [helpers.clone(), ty.clone(), loc.clone(), defs.clone()], span);
    let check = select(ev, ty, sym!("check"), span)?;
    let head_error = lazy(&CHECK_DEFS, [helpers.clone(), check, loc.clone(), defs.clone()], span);
    Ok(set([(sym!("value"), value), (sym!("headError"), head_error), (sym!("valueMeta"), empty_set())]))
}

pub(super) static MERGE_CALL: PrimOp = PrimOp { lambda: true, name: "«modules: merge»", arity: 4, run: merge_call };

/// `type.merge loc defs`, lazily (see [`call_merge`]).
pub(super) fn merge_call(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, ty, loc, defs_value) = (&args[0], &args[1], &args[2], &args[3]);
    let defs = list_of(ev, defs_value, span)?;
    call_merge(ev, helpers, ty, loc, defs_value, &defs, span)
}

/// `addCheck`'s check, `x: elemType.check x && check x`.
pub(super) fn add_check_check(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (elem_type, check, x) = (&args[1], &args[2], &args[3]);
    let elem_check = select(ev, elem_type, sym!("check"), span)?;
    let r = ev.call_value(&elem_check, x.clone(), Some(span))?;
    if !ev.expect_bool(&r, span)? {
        return Ok(Value::Bool(false));
    }
    let r = ev.call_value(check, x.clone(), Some(span))?;
    Ok(Value::Bool(ev.expect_bool(&r, span)?))
}

/// `either`'s `merge.v2`: the first type whose checked merge has no
/// error, else the failure record of the Nix code's `eitherFailure`, its
/// message and (warning) value left to the Nix helpers it is given.
pub(super) fn either_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, failure_message, failure_value, t1, t2) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let (loc, defs) = loc_and_defs(ev, &args[5], span)?;
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
    let message = lazy(
        &APPLY_ALL,
        [failure_message.clone(), Value::list(vec![t1.clone(), t2.clone(), loc.clone(), defs.clone()])],
        span,
    );
    let value = lazy(&APPLY_ALL, [failure_value.clone(), Value::list(vec![message.clone(), loc, defs])], span);
    let head_error = set([(sym!("message"), message)]);
    Ok(set([
        (sym!("valueMeta"), set([(sym!("headError"), head_error.clone())])),
        (sym!("headError"), head_error),
        (sym!("value"), value),
    ]))
}

/// `_: x`: a functor that returns what it was made with.
pub(super) fn constant(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    ev.force(&args[1])
}

/// `v2Merge`'s functor, `self: loc: defs: (self.v2 { inherit loc defs; }).value`:
/// how a v2 type merges when called as a plain merge function.
pub(super) fn v2_functor(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (this, loc, defs) = (&args[1], &args[2], &args[3]);
    let v2 = select(ev, this, sym!("v2"), span)?;
    let result = ev.call_value(&v2, set([(sym!("loc"), loc.clone()), (sym!("defs"), defs.clone())]), Some(span))?;
    let value = select(ev, &result, sym!("value"), span)?;
    ev.force(&value)
}

/// `submoduleWith`'s `merge.v2 { loc, defs }`: the element's own
/// configuration,
///
/// ```nix
/// evalModules (baseArgs // {
///   modules = baseArgs.modules ++ [ { _module.args.name = last loc; } ] ++ allModules defs;
///   prefix = loc;
/// })
/// ```
///
/// with `headError`, `value` (its `config`) and `valueMeta.configuration`;
/// `args[4]` is `definitionModule`, the function `allModules` maps.
/// Every element of an `attrsOf (submodule ...)` makes this call, and the
/// Nix wrapper around the native `evalModules` (the `//`, the two `++`,
/// the argument checks) was a tenth of an element's cost. Calling
/// `evalModules` now rather than when `value` is read forces nothing:
/// it only builds thunks, and `baseArgs` is a set literal.
pub(super) fn submodule_merge_v2(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, base_args, shorthand, check, definition_module) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let (loc, defs) = loc_and_defs(ev, &args[5], span)?;
    let base = attrs_of(ev, base_args, span)?;
    let special_args = base.get(sym!("specialArgs")).cloned().unwrap_or_else(empty_set);
    let class = base.get(sym!("class")).cloned().unwrap_or(Value::Null);
    let modules = lazy(
        &SUBMODULE_MODULES,
        [base_args.clone(), loc.clone(), defs.clone(), shorthand.clone(), definition_module.clone()],
        span,
    );
    let eval_args = lazy(&SUBMODULE_EVAL_ARGS, [base_args.clone(), modules.clone(), loc.clone()], span);
    let configuration =
        eval_modules(ev, &[helpers.clone(), eval_args, modules, loc.clone(), special_args, class], span)?;
    let config = select(ev, &configuration, sym!("config"), span)?;
    Ok(set([
        (sym!("headError"), lazy(&CHECK_DEFS, [helpers.clone(), check.clone(), loc, defs], span)),
        (sym!("value"), config),
        (sym!("valueMeta"), set([(sym!("configuration"), configuration)])),
    ]))
}

static SUBMODULE_MODULES: PrimOp =
    PrimOp { lambda: true, name: "«modules: submodule modules»", arity: 5, run: submodule_modules };
static SUBMODULE_EVAL_ARGS: PrimOp =
    PrimOp { lambda: true, name: "«modules: submodule evalModules arguments»", arity: 3, run: submodule_eval_args };
static DEFINITION_MODULE: PrimOp =
    PrimOp { lambda: true, name: "«modules: definition module»", arity: 3, run: definition_module };
static LAST: PrimOp = PrimOp { lambda: true, name: "«modules: last»", arity: 1, run: last };

/// `baseArgs.modules ++ [ { _module.args.name = last loc; } ] ++ allModules defs`
fn submodule_modules(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (base_args, loc, defs, shorthand, nix_definition) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let base_modules = select(ev, base_args, sym!("modules"), span)?;
    let base_modules = items(ev, &base_modules, span)?;
    let defs = items(ev, defs, span)?;
    let mut modules = Vec::with_capacity(base_modules.len() + 1 + defs.len());
    modules.extend_from_slice(base_modules);
    let name = lazy(&LAST, [loc.clone()], span);
    modules.push(set([(sym!("_module"), set([(sym!("args"), set([(sym!("name"), name)]))]))]));
    // `map` leaves each module unmade until the collection reads it.
    modules.extend(
        defs.iter().map(|def| lazy(&DEFINITION_MODULE, [shorthand.clone(), def.clone(), nix_definition.clone()], span)),
    );
    Ok(Value::list(modules))
}

/// `baseArgs // { modules; prefix = loc; }`, which only `extendModules` reads.
fn submodule_eval_args(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let base = attrs_of(ev, &args[0], span)?;
    let own = attr_set([(sym!("modules"), args[1].clone()), (sym!("prefix"), args[2].clone())]);
    Ok(Value::Attrs(AttrSet::update(&base, &own)))
}

/// `definitionModule` (`args[2]`), for one definition:
///
/// ```nix
/// { value, file }:
/// if isAttrs value && shorthandOnlyDefinesConfig
/// then { _file = file; config = value; }
/// else { _file = file; imports = [ value ]; }
/// ```
///
/// A definition that is not exactly `{ value; file; }` goes to the Nix
/// function, whose call gives the error.
fn definition_module(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (shorthand, def, nix_definition) = (&args[0], &args[1], &args[2]);
    let def_attrs = match ev.force_ref(def)? {
        Value::Attrs(a) if a.len() == 2 && a.contains(sym!("value")) && a.contains(sym!("file")) => a.clone(),
        _ => return ev.call_value(nix_definition, def.clone(), Some(span)),
    };
    let file = def_attrs.get(sym!("file")).cloned().expect("checked above");
    let value = def_attrs.get(sym!("value")).cloned().expect("checked above");
    let config_only = matches!(ev.force_ref(&value)?, Value::Attrs(_)) && ev.expect_bool(shorthand, span)?;
    Ok(if config_only {
        set([(sym!("_file"), file), (sym!("config"), value)])
    } else {
        set([(sym!("_file"), file), (sym!("imports"), Value::list(vec![value]))])
    })
}

/// `lib.lists.last`.
fn last(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    match items(ev, &args[0], span)?.last() {
        Some(v) => ev.force(&v.clone()),
        None => Err(EvalError::new(ErrorKind::Throw, "lists.last: list must not be empty!", Some(span))),
    }
}
