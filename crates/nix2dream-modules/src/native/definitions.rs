//! One option: `mergeDefinitions` (discharge, priorities, order, type
//! check and merge) and `evalOptionValue` (the option record). A declared
//! option (its declaration and its merge's thunks, see `declare_option`)
//! is shared by the option's value, which `config` reads, and its record,
//! which `options` shows; each is built from it only when it is read.

use super::*;

/// `mergeDefinitions loc type defs`: a set of thunks, as the `rec` set of
/// `modules.nix` is.
pub(super) fn merge_definitions(_: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(merge_definitions_value(&args[0], &args[1], &args[2], &args[3], span))
}

/// The record that Nix callers of `mergeDefinitions` read: every field is
/// a thunk of its own, and `checkedAndMerged.value` is `mergedValue`.
pub(super) fn merge_definitions_value(helpers: &Value, loc: &Value, ty: &Value, defs: &Value, span: Span) -> Value {
    let core = lazy(&MD_FINAL, [defs.clone()], span);
    let defs_final = lazy(&FIELD_VALUES, [core.clone()], span);
    let is_defined = lazy(&MD_IS_DEFINED, [defs_final.clone()], span);
    // Only forced for types with a v2 merge.
    let v2_result = lazy(&MD_V2_RESULT, [helpers.clone(), loc.clone(), ty.clone(), defs_final.clone()], span);
    let merged = lazy(&MD_MERGED, [helpers.clone(), loc.clone(), ty.clone(), core.clone(), v2_result.clone()], span);
    let checked =
        lazy(&MD_CHECKED, [helpers.clone(), loc.clone(), ty.clone(), core.clone(), merged.clone(), v2_result], span);
    let optional = lazy(&MD_OPTIONAL, [is_defined.clone(), merged.clone()], span);
    set([
        (sym!("defsFinal'"), core),
        (sym!("defsFinal"), defs_final),
        (sym!("mergedValue"), merged),
        (sym!("checkedAndMerged"), checked),
        (sym!("isDefined"), is_defined),
        (sym!("optionalValue"), optional),
        (sym!("useV2"), lazy(&MD_USE_V2, [ty.clone()], span)),
    ])
}

static MD_USE_V2: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: useV2»",
    arity: 1,
    run: |ev, args, span| Ok(Value::Bool(uses_v2(ev, &args[0], span)?)),
};

/// A merge as native callers hold it: two thunks, `defsFinal'` (`core`)
/// and `checkedAndMerged` (`checked`). The other fields of the record are
/// derived from them when read, so an option or an attribute costs two
/// thunks until something asks for more.
pub(super) struct MergedDefinitions {
    pub(super) core: Value,
    pub(super) checked: Value,
}

pub(super) fn merged_definitions(
    helpers: &Value,
    loc: &Value,
    ty: &Value,
    defs: &Value,
    span: Span,
) -> MergedDefinitions {
    MergedDefinitions::from_core(helpers, loc, ty, lazy(&MD_FINAL, [defs.clone()], span), span)
}

impl MergedDefinitions {
    fn from_core(helpers: &Value, loc: &Value, ty: &Value, core: Value, span: Span) -> MergedDefinitions {
        let checked =
            lazy(&MD_CHECKED, [helpers.clone(), loc.clone(), ty.clone(), core.clone(), Value::Null, Value::Null], span);
        MergedDefinitions { core, checked }
    }

    /// `isDefined`: whether any definition is left once filtered.
    pub(super) fn is_defined(&self, ev: &mut Evaluator, span: Span) -> EvalResult<bool> {
        Ok(!final_definitions(ev, &self.core, span)?.is_empty())
    }

    /// `mergedValue`, as a thunk.
    pub(super) fn merged(&self, helpers: &Value, loc: &Value, ty: &Value, span: Span) -> Value {
        lazy(&MD_MERGED, self.merged_args(helpers, loc, ty), span)
    }

    /// `mergedValue`, computed now.
    fn merged_now(
        &self,
        ev: &mut Evaluator,
        helpers: &Value,
        loc: &Value,
        ty: &Value,
        span: Span,
    ) -> EvalResult<Value> {
        md_merged(ev, &self.merged_args(helpers, loc, ty), span)
    }

    fn merged_args(&self, helpers: &Value, loc: &Value, ty: &Value) -> [Value; 5] {
        [helpers.clone(), loc.clone(), ty.clone(), self.core.clone(), self.checked.clone()]
    }
}

/// `defsFinal`, forced, from `defsFinal'`.
pub(super) fn final_definitions(ev: &mut Evaluator, core: &Value, span: Span) -> EvalResult<List> {
    let values = select(ev, core, sym!("values"), span)?;
    ev.expect_list(&values, span)
}

pub(super) static MD_FINAL: PrimOp = PrimOp { lambda: true, name: "«modules: defsFinal'»", arity: 1, run: md_final };
pub(super) static MD_OPTION_FINAL: PrimOp =
    PrimOp { lambda: true, name: "«modules: option defsFinal'»", arity: 7, run: md_option_final };
pub(super) static MD_IS_DEFINED: PrimOp =
    PrimOp { lambda: true, name: "«modules: isDefined»", arity: 1, run: md_is_defined };
pub(super) static MD_V2_RESULT: PrimOp =
    PrimOp { lambda: true, name: "«modules: v2 merge»", arity: 4, run: md_v2_result };
pub(super) static MD_CHECKED: PrimOp =
    PrimOp { lambda: true, name: "«modules: checkedAndMerged»", arity: 6, run: md_checked };
pub(super) static MD_MERGED: PrimOp =
    PrimOp { lambda: true, name: "«modules: mergedValue»", arity: 5, run: md_merged };
pub(super) static MD_OPTIONAL: PrimOp =
    PrimOp { lambda: true, name: "«modules: optionalValue»", arity: 2, run: md_optional };

/// Discharge, filter by priority, sort by order.
pub(super) fn md_final(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[0], span)?;
    final_of(ev, None, defs, span)
}

/// An option's `defsFinal'`: its definitions, with the default first.
fn md_option_final(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (default, defs) = eov_defs(ev, args, span)?;
    final_of(ev, default, defs, span)
}

/// `default` is an option's default as `{ file; value; }`, the definition
/// that `mkOptionDefault opt.default` becomes once its priority is read.
fn final_of(ev: &mut Evaluator, default: Option<OptionDefault>, defs: Vec<Value>, span: Span) -> EvalResult<Value> {
    let mut discharged = Vec::with_capacity(defs.len());
    // Reused for every definition's discharged values; a plain value (the
    // common case) discharges to itself and never needs it.
    let mut values = Vec::new();
    for m in defs {
        let value = select(ev, &m, sym!("value"), span)?;
        // `inherit (m) file`: read only if something asks for it.
        let file = lazy_select(ev, &m, sym!("file"), span)?;
        values.clear();
        // `Some(is a definition record)` for a plain value, `None` once
        // `mkMerge`/`mkIf` are discharged into `values`.
        let plain = with_context(
            ev,
            span,
            |ev| {
                let tag = type_tag(ev, &value)?;
                if is_tag(&tag, "merge") || is_tag(&tag, "if") {
                    discharge_properties(ev, &value, span, &mut values)?;
                    return Ok(None);
                }
                Ok(Some(is_tag(&tag, "definition")))
            },
            |ev| {
                let f = ev.coerce_to_string(&file, span, false, false).ok()?.0;
                Some(format!("while evaluating definitions from `{}':", f))
            },
        )?;
        match plain {
            Some(true) => discharged.push(value),
            // `{ inherit (m) file; inherit value; }` is `m` itself when
            // that is all `m` has.
            Some(false) if attrs_of(ev, &m, span)?.len() == 2 => discharged.push(m),
            Some(false) => discharged.push(set([(sym!("file"), file), (sym!("value"), value)])),
            None => {
                for v in values.drain(..) {
                    if is_tag(&type_tag(ev, &v)?, "definition") {
                        discharged.push(v);
                    } else {
                        discharged.push(set([(sym!("file"), file.clone()), (sym!("value"), v)]));
                    }
                }
            }
        }
    }
    let (kept, highest) = filter_overrides(ev, default, discharged, span)?;
    // The order check forces the kept values; `highestPrio` alone must not.
    // Values already evaluated and not mkOrder need no sorting: known now
    // without forcing anything, which saves a thunk per merge.
    for def in &kept {
        if settled_is_order(&select(ev, def, sym!("value"), span)?) != Some(false) {
            let values = lazy(&ORDERED_VALUES, [Value::list(kept)], span);
            return Ok(set([(sym!("values"), values), (sym!("highestPrio"), highest)]));
        }
    }
    Ok(set([(sym!("values"), Value::list(kept)), (sym!("highestPrio"), highest)]))
}

/// Whether `v` is an `mkOrder`, if that is known without forcing anything.
fn settled_is_order(v: &Value) -> Option<bool> {
    let v = match v {
        Value::Thunk(t) => t.done_ref()?,
        v => v,
    };
    let Value::Attrs(a) = v else { return Some(false) };
    let tag = match a.get(sym!("_type")) {
        None => return Some(false),
        Some(Value::Thunk(t)) => t.done_ref()?,
        Some(tag) => tag,
    };
    Some(matches!(tag, Value::String(s) if &**s == "order"))
}

static ORDERED_VALUES: PrimOp =
    PrimOp { lambda: true, name: "«modules: sorted definitions»", arity: 1, run: ordered_values };

/// The definitions sorted by `mkOrder`, only when some definition asks for it.
fn ordered_values(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let kept = list_of(ev, &args[0], span)?;
    for def in &kept {
        let value = select(ev, def, sym!("value"), span)?;
        if is_tag(&type_tag(ev, &value)?, "order") {
            return Ok(Value::list(sort_properties(ev, kept, span)?));
        }
    }
    Ok(args[0].clone())
}

pub(super) fn md_is_defined(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(Value::Bool(!ev.expect_list(&args[0], span)?.is_empty()))
}

/// `type.merge ? v2`
pub(super) fn uses_v2(ev: &mut Evaluator, ty: &Value, span: Span) -> EvalResult<bool> {
    let merge = select(ev, ty, sym!("merge"), span)?;
    Ok(matches!(ev.force_ref(&merge)?, Value::Attrs(a) if a.contains(sym!("v2"))))
}

pub(super) fn md_v2_result(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    run_v2_merge(ev, &args[0], &args[1], &args[2], &args[3], span)
}

/// `checkedAndMerged`: for a v2 type, its merge's result (`args[5]`, or
/// run here when null) with `_internal.type` in its `valueMeta`; otherwise
/// `mergedValue` (`args[4]`, or a thunk of its own when null) without a
/// head error or meta.
pub(super) fn md_checked(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, ty, core) = (&args[0], &args[1], &args[2], &args[3]);
    if uses_v2(ev, ty, span)? {
        let r = match &args[5] {
            Value::Null => {
                let defs_final = lazy(&FIELD_VALUES, [core.clone()], span);
                run_v2_merge(ev, helpers, loc, ty, &defs_final, span)?
            }
            v2_result => ev.force(v2_result)?,
        };
        let r = attrs_of(ev, &r, span)?;
        // `r.valueMeta // { _internal = { inherit type; }; }`, lazily.
        let meta = lazy(&V2_META, [ty.clone(), r.get(sym!("valueMeta")).cloned().unwrap_or(Value::Null)], span);
        Ok(with_fields(&r, vec![(sym!("valueMeta"), meta)]))
    } else {
        let merged = match &args[4] {
            Value::Null => {
                lazy(&MD_MERGED, [helpers.clone(), loc.clone(), ty.clone(), core.clone(), Value::Null], span)
            }
            merged => merged.clone(),
        };
        Ok(set([(sym!("headError"), Value::Null), (sym!("value"), merged), (sym!("valueMeta"), empty_set())]))
    }
}

static V2_META: PrimOp = PrimOp { lambda: true, name: "«modules: valueMeta»", arity: 2, run: v2_meta };

fn v2_meta(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let meta = match &args[1] {
        Value::Null => AttrSet::default(),
        m => attrs_of(ev, m, span)?,
    };
    let internal = set([(sym!("type"), args[0].clone())]);
    Ok(with_fields(&meta, vec![(sym!("_internal"), internal)]))
}

/// `checkV2MergeCoherence loc type (type.merge.v2 { inherit loc defs; })`
pub(super) fn run_v2_merge(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    ty: &Value,
    defs: &Value,
    span: Span,
) -> EvalResult<Value> {
    let merge = select(ev, ty, sym!("merge"), span)?;
    let v2 = select(ev, &merge, sym!("v2"), span)?;
    let result = ev.call_value(&v2, set([(sym!("loc"), loc.clone()), (sym!("defs"), defs.clone())]), Some(span))?;
    let check = select(ev, ty, sym!("check"), span)?;
    let coherent = match select_or(ev, &check, sym!("isV2MergeCoherent"))? {
        Some(c) => ev.expect_bool(&c, span)?,
        None => false,
    };
    if coherent {
        ev.force(&result)
    } else {
        call_helper(ev, helpers, sym!("checkV2MergeCoherence"), vec![loc.clone(), ty.clone(), result], span)
    }
}

/// `mergedValue`. For a v2 type, `args[4]` holds the v2 merge's result
/// (or `checkedAndMerged`, which has the same `headError` and `value`).
pub(super) fn md_merged(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, ty, core, v2_result) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let defs_final = select(ev, core, sym!("values"), span)?;
    let defs = items(ev, &defs_final, span)?;
    if defs.is_empty() {
        return call_helper(ev, helpers, sym!("noValueError"), vec![loc.clone()], span);
    }
    if uses_v2(ev, ty, span)? {
        let head_error = select_or(ev, v2_result, sym!("headError"))?;
        let has_error = match &head_error {
            Some(e) => !matches!(ev.force(e)?, Value::Null),
            None => false,
        };
        if has_error {
            return call_helper(
                ev,
                helpers,
                sym!("headTypeError"),
                vec![loc.clone(), ty.clone(), head_error.unwrap()],
                span,
            );
        }
        let v = select(ev, v2_result, sym!("value"), span)?;
        return ev.force(&v);
    }
    let check = select(ev, ty, sym!("check"), span)?;
    let mut all_valid = true;
    for def in defs {
        let value = select(ev, def, sym!("value"), span)?;
        let ok = ev.call_value(&check, value, Some(span))?;
        if !ev.expect_bool(&ok, span)? {
            all_valid = false;
            break;
        }
    }
    if all_valid {
        return call_merge(ev, helpers, ty, loc, &defs_final, defs, span);
    }
    let mut invalid = Vec::new();
    for def in defs {
        let value = select(ev, def, sym!("value"), span)?;
        let ok = ev.call_value(&check, value, Some(span))?;
        if !ev.expect_bool(&ok, span)? {
            invalid.push(def.clone());
        }
    }
    call_helper(ev, helpers, sym!("defsTypeError"), vec![loc.clone(), ty.clone(), Value::list(invalid)], span)
}

pub(super) fn md_optional(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    if ev.expect_bool(&args[0], span)? {
        Ok(set([(sym!("value"), args[1].clone())]))
    } else {
        Ok(empty_set())
    }
}

// ------------------------------------------------------------------ evalOptionValue

pub(super) fn eval_option_value(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, opt, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let declared = declare_merged_option(ev, helpers, loc, opt, &OptionDefinitions::list(defs), span)?;
    let value = lazy(&OPTION_VALUE, [helpers.clone(), loc.clone(), declared.clone()], span);
    option_record(ev, helpers, loc, &declared, value, span)
}

/// The declaration of an option whose declarations are merged already
/// (`opt` has its `type`, `declarations` and so on).
pub(super) fn declare_merged_option(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    opt: &Value,
    defs: &OptionDefinitions,
    span: Span,
) -> EvalResult<Value> {
    let declaration = OptionDeclaration {
        ty: select(ev, opt, sym!("type"), span)?,
        first_file: first_declaration(opt, span),
        origin: DeclarationOrigin::Merged(lazy(&FIELD_DECLARATIONS, [opt.clone()], span)),
    };
    declare_option(ev, helpers, loc, opt, declaration, defs, span)
}

/// What an option record adds to, or overrides in, the attributes of its
/// declaration.
pub(super) struct OptionDeclaration {
    /// The option's type, once fixed up for submodules.
    pub(super) ty: Value,
    /// `head declarations`, the file of the default's definition.
    pub(super) first_file: Value,
    pub(super) origin: DeclarationOrigin,
}

pub(super) enum DeclarationOrigin {
    /// One declaration `{ _file; pos; options; }`, whose record also gets
    /// `loc`, `declarations`, `declarationPositions`, `options` and
    /// `type`, made from it when the record is built.
    Single(Value),
    /// Declarations merged by `mergeOptionDecls`: `opt` has those fields,
    /// and this is its `declarations` (a list, maybe a thunk).
    Merged(Value),
}

impl OptionDeclaration {
    /// `declarations`: the files that declare the option.
    fn declarations(&self) -> Value {
        match &self.origin {
            DeclarationOrigin::Single(_) => Value::list(vec![self.first_file.clone()]),
            DeclarationOrigin::Merged(declarations) => declarations.clone(),
        }
    }
}

/// A declared option, as the list `[ opt type firstFile declarations
/// singleDeclaration defsFinal' checkedAndMerged ]` (one of `declarations`
/// and `singleDeclaration` is null):
/// the declaration and the thunks of its merge, shared by the option's
/// value (what `config` reads) and its record (what `options` shows),
/// which are built from it independently.
struct DeclaredOption {
    opt: Value,
    declaration: OptionDeclaration,
    merge: MergedDefinitions,
}

impl DeclaredOption {
    fn into_value(self) -> Value {
        let (d, m) = (self.declaration, self.merge);
        let (declarations, single) = match d.origin {
            DeclarationOrigin::Single(decl) => (Value::Null, decl),
            DeclarationOrigin::Merged(declarations) => (declarations, Value::Null),
        };
        Value::list(vec![self.opt, d.ty, d.first_file, declarations, single, m.core, m.checked])
    }

    fn from_value(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<DeclaredOption> {
        let items = ev.expect_list(v, span)?;
        let item = |i: usize| items[i].clone();
        Ok(DeclaredOption {
            opt: item(0),
            declaration: OptionDeclaration {
                ty: item(1),
                first_file: item(2),
                origin: match item(4) {
                    Value::Null => DeclarationOrigin::Merged(item(3)),
                    decl => DeclarationOrigin::Single(decl),
                },
            },
            merge: MergedDefinitions { core: item(5), checked: item(6) },
        })
    }
}

/// An option's definitions, unread: the list `defs`, or, when `name` is a
/// string, the definitions of that name in `defs`, a set of definitions by
/// name (see `defs_by_name`), which saves a thunk per option.
pub(super) struct OptionDefinitions {
    pub(super) defs: Value,
    pub(super) name: Value,
}

impl OptionDefinitions {
    pub(super) fn list(defs: &Value) -> OptionDefinitions {
        OptionDefinitions { defs: defs.clone(), name: Value::Null }
    }

    /// The definitions, as a forced list.
    pub(super) fn list_value(&self, ev: &mut Evaluator, span: Span) -> EvalResult<Value> {
        if let Value::Null = self.name {
            return ev.force(&self.defs);
        }
        let by_name = attrs_of(ev, &self.defs, span)?;
        match by_name.get(sym(&ev.expect_str(&self.name, span)?)).cloned() {
            Some(defs) => ev.force(&defs),
            None => Ok(empty_list()),
        }
    }

    pub(super) fn read(&self, ev: &mut Evaluator, span: Span) -> EvalResult<Vec<Value>> {
        let defs = self.list_value(ev, span)?;
        list_of(ev, &defs, span)
    }
}

/// `evalOptionValue`'s preamble: the deprecation warning, made whenever
/// the Nix code builds the record, and the merge of the definitions (with
/// the default, and the read-only check that the Nix code makes when its
/// `res` is first read). `opt` gives `default`, `readOnly` and `apply`.
pub(super) fn declare_option(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    opt: &Value,
    declaration: OptionDeclaration,
    defs: &OptionDefinitions,
    span: Span,
) -> EvalResult<Value> {
    // The record is `opt // { ... }`: `opt` must be a set.
    attrs_of(ev, opt, span)?;
    let ty = &declaration.ty;
    if let Some(message) = select_or(ev, ty, sym!("deprecationMessage"))? {
        if !matches!(ev.force(&message)?, Value::Null) {
            let shown = set([(sym!("type"), ty.clone()), (sym!("declarations"), declaration.declarations())]);
            call_helper(ev, helpers, sym!("warnDeprecation"), vec![loc.clone(), shown, Value::Null], span)?;
        }
    }
    let final_args = [
        helpers.clone(),
        loc.clone(),
        opt.clone(),
        ty.clone(),
        declaration.first_file.clone(),
        defs.defs.clone(),
        defs.name.clone(),
    ];
    let core = lazy(&MD_OPTION_FINAL, final_args.clone(), span);
    let mut merge = MergedDefinitions::from_core(helpers, loc, ty, core, span);
    if attrs_of(ev, opt, span)?.contains(sym!("readOnly")) {
        // In the Nix code the read-only error is `res` itself, so it is
        // also what `checkedAndMerged` (a non-v2 type's `valueMeta`, which
        // reads no definition) gives.
        merge.checked = lazy(&READ_ONLY_GUARD, [Value::list(final_args.to_vec()), merge.checked], span);
    }
    Ok(DeclaredOption { opt: opt.clone(), declaration, merge }.into_value())
}

static READ_ONLY_GUARD: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: read-only checkedAndMerged»",
    arity: 2,
    // The arguments of `MD_OPTION_FINAL` (as a list), and `checkedAndMerged`.
    run: |ev, args, span| {
        let final_args = ev.expect_list(&args[0], span)?;
        let read_only = select(ev, &final_args[2], sym!("readOnly"), span)?;
        if ev.expect_bool(&read_only, span)? {
            eov_defs(ev, &final_args, span)?;
        }
        ev.force(&args[1])
    },
};

pub(super) static OPTION_VALUE: PrimOp =
    PrimOp { lambda: true, name: "«modules: option value»", arity: 3, run: option_value };

/// An option's value: `apply` over the merged value (or the type's empty
/// value), inside "while evaluating the option".
pub(super) fn option_value(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc) = (&args[0], &args[1]);
    let DeclaredOption { opt, declaration: d, merge } = DeclaredOption::from_value(ev, &args[2], span)?;
    eov_value(ev, helpers, loc, &opt, &d.ty, &d.first_file, &merge, span)
}

/// The option record, `opt // { value; definitions; files; ... }`, built
/// in one set; `value` is the option's value thunk, shared with `config`.
pub(super) fn option_record(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    declared: &Value,
    value: Value,
    span: Span,
) -> EvalResult<Value> {
    let DeclaredOption { opt, declaration: d, merge: res } = DeclaredOption::from_value(ev, declared, span)?;
    let opt_attrs = attrs_of(ev, &opt, span)?;
    let to_string =
        Value::PrimOpApp(Shared::new(PrimOpApp { op: &EOV_TO_STRING, args: vec![helpers.clone(), loc.clone()] }));
    let declared_fields = match &d.origin {
        DeclarationOrigin::Single(decl) => vec![
            (sym!("loc"), loc.clone()),
            (sym!("declarations"), d.declarations()),
            (sym!("declarationPositions"), lazy(&DECLARATION_POSITIONS, [decl.clone()], span)),
            (sym!("options"), empty_list()),
            (sym!("type"), d.ty.clone()),
        ],
        DeclarationOrigin::Merged(_) => vec![],
    };
    // Earlier entries win: the record's fields, then the declaration's.
    let mut entries = Vec::with_capacity(8 + declared_fields.len() + opt_attrs.len());
    let defs_final = lazy(&FIELD_VALUES, [res.core.clone()], span);
    for (name, value) in [
        (sym!("value"), value),
        (sym!("highestPrio"), lazy(&FIELD_HIGHEST_PRIO, [res.core], span)),
        (sym!("definitions"), lazy(&PLUCK_VALUE, [defs_final.clone()], span)),
        (sym!("files"), lazy(&PLUCK_FILE, [defs_final.clone()], span)),
        (sym!("isDefined"), lazy(&MD_IS_DEFINED, [defs_final.clone()], span)),
        (sym!("definitionsWithLocations"), defs_final),
        (sym!("valueMeta"), lazy(&FIELD_VALUE_META, [res.checked], span)),
        (Symbol::TO_STRING, to_string),
    ]
    .into_iter()
    .chain(declared_fields)
    {
        entries.push(AttrEntry { name, value, pos: None });
    }
    entries.extend(opt_attrs.entries().iter().cloned());
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

field_select!(FIELD_DECLARATIONS, "declarations");
pub(super) static EOV_TO_STRING: PrimOp =
    PrimOp { lambda: true, name: "«modules: option name»", arity: 3, run: eov_to_string };
pub(super) static PLUCK_VALUE: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: definitions»",
    arity: 1,
    run: |ev, args, span| pluck(ev, args, sym!("value"), span),
};
pub(super) static PLUCK_FILE: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: files»",
    arity: 1,
    run: |ev, args, span| pluck(ev, args, sym!("file"), span),
};

/// `map (def: def.NAME) list`
pub(super) fn pluck(ev: &mut Evaluator, args: &[Value], name: Symbol, span: Span) -> EvalResult<Value> {
    let list = list_of(ev, &args[0], span)?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.push(select(ev, &item, name, span)?);
    }
    Ok(Value::list(out))
}

/// `__toString = _: showOption loc` (the extra argument is the option).
pub(super) fn eov_to_string(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(Value::string(show_option(ev, &args[0], &args[1], span)?))
}

/// The default, as a plain `{ file; value; }` with the option-default
/// priority implied, and the definitions (or the read-only error).
fn eov_defs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<(Option<OptionDefault>, Vec<Value>)> {
    let (helpers, loc, opt, ty, file) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let opt_attrs = attrs_of(ev, opt, span)?;
    let default = opt_attrs.get(sym!("default")).cloned();
    let defs = OptionDefinitions { defs: args[5].clone(), name: args[6].clone() }.read(ev, span)?;
    let read_only = match opt_attrs.get(sym!("readOnly")).cloned() {
        Some(r) => ev.expect_bool(&r, span)?,
        None => false,
    };
    if read_only && defs.len() + usize::from(default.is_some()) > 1 {
        // The message shows the default as the Nix code has it.
        let mut all = Vec::with_capacity(defs.len() + 1);
        if let Some(default) = default {
            let value = set([
                (sym!("_type"), text!("override")),
                (sym!("priority"), Value::Int(OPTION_DEFAULT_PRIORITY)),
                (sym!("content"), default),
            ]);
            all.push(set([(sym!("file"), file.clone()), (sym!("value"), value)]));
        }
        all.extend(defs);
        let error =
            call_helper(ev, helpers, sym!("readOnlyError"), vec![loc.clone(), ty.clone(), Value::list(all)], span)?;
        return Ok((None, list_of(ev, &error, span)?));
    }
    Ok((default.map(|value| OptionDefault { file: file.clone(), value }), defs))
}

/// `head opt.declarations`, lazily.
pub(super) fn first_declaration(opt: &Value, span: Span) -> Value {
    lazy(&FIRST_DECLARATION, [opt.clone()], span)
}

pub(super) static FIRST_DECLARATION: PrimOp =
    PrimOp { lambda: true, name: "«modules: first declaration»", arity: 1, run: first_declaration_of };

pub(super) fn first_declaration_of(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let list = select(ev, &args[0], sym!("declarations"), span)?;
    let list = ev.expect_list(&list, span)?;
    match list.first() {
        Some(v) => ev.force(&v.clone()),
        None => Err(EvalError::new(ErrorKind::Other, "list index 0 is out of bounds", Some(span))),
    }
}

/// `apply` over the merged value (or the type's empty value), inside
/// "while evaluating the option". Without `apply`, the merge runs here
/// rather than in a thunk of its own: this call is the value's thunk.
/// With `apply`, the merged value stays a thunk, as in the Nix code: an
/// `apply` that does not force its argument must not force the merge
/// (whose `mkIf` conditions may read this very option).
#[allow(clippy::too_many_arguments)]
fn eov_value(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    opt: &Value,
    ty: &Value,
    file: &Value,
    merge: &MergedDefinitions,
    span: Span,
) -> EvalResult<Value> {
    with_context(
        ev,
        span,
        |ev| {
            let opt_attrs = attrs_of(ev, opt, span)?;
            match opt_attrs.get(sym!("apply")).cloned() {
                Some(apply) => {
                    let merged = lazy(
                        &EOV_MERGED,
                        [
                            helpers.clone(),
                            loc.clone(),
                            ty.clone(),
                            file.clone(),
                            merge.core.clone(),
                            merge.checked.clone(),
                        ],
                        span,
                    );
                    ev.call_value(&apply, merged, Some(span))
                }
                None => merged_or_empty(ev, helpers, loc, ty, file, merge, span),
            }
        },
        |ev| show_option(ev, helpers, loc, span).ok().map(|o| format!("while evaluating the option `{}':", o)),
    )
}

static EOV_MERGED: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: option mergedValue»",
    arity: 6,
    run: |ev, args, span| {
        let merge = MergedDefinitions { core: args[4].clone(), checked: args[5].clone() };
        merged_or_empty(ev, &args[0], &args[1], &args[2], &args[3], &merge, span)
    },
};

/// `evalOptionValue`'s `mergedValue`: the merge, or without any definition
/// the type's empty value merged like a definition.
fn merged_or_empty(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    ty: &Value,
    file: &Value,
    merge: &MergedDefinitions,
    span: Span,
) -> EvalResult<Value> {
    if !merge.is_defined(ev, span)? {
        if let Some(empty) = select_or(ev, ty, sym!("emptyValue"))? {
            if let Some(empty_value) = select_or(ev, &empty, sym!("value"))? {
                let defs = Value::list(vec![set([(sym!("file"), file.clone()), (sym!("value"), empty_value)])]);
                return merged_definitions(helpers, loc, ty, &defs, span).merged_now(ev, helpers, loc, ty, span);
            }
        }
    }
    merge.merged_now(ev, helpers, loc, ty, span)
}
