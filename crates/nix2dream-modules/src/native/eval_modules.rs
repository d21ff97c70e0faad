//! `evalModules`: the fixpoint that ties modules, options and `config`
//! together.

use super::*;

/// `evalModules` without the deprecated `args`/`check` arguments: the same
/// record as `evalModulesNix`, built from the native pieces above. Its
/// thunks refer to each other as the Nix `let` does: modules receive
/// `config` and `options`, which are computed from those modules.
pub(super) fn eval_modules(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, eval_args, modules, prefix, special_args, class) =
        (&args[0], &args[1], &args[2], &args[3], &args[4], &args[5]);
    // A HELPERS function applied lazily, as the Nix `let` would.
    let mut call = |name: Symbol, args: Vec<Value>| -> EvalResult<Value> {
        let f = helper(ev, helpers, name, span)?;
        Ok(lazy(&APPLY_ALL, [f, Value::list(args)], span))
    };
    let module_type = call(sym!("moduleTypeFor"), vec![modules.clone(), special_args.clone(), class.clone()])?;
    let extend_modules = call(sym!("extendModulesFor"), vec![eval_args.clone()])?;
    let internal_options = lazy(&INTERNAL_OPTIONS, [helpers.clone(), prefix.clone()], span);
    let internal_module = set([
        (sym!("_file"), text!("lib/modules.nix")),
        (sym!("key"), text!("lib/modules.nix")),
        (sym!("options"), internal_options),
        (
            sym!("config"),
            set([(
                sym!("_module"),
                set([
                    (
                        sym!("args"),
                        set([
                            (sym!("extendModules"), extend_modules.clone()),
                            (sym!("moduleType"), module_type.clone()),
                        ]),
                    ),
                    (sym!("specialArgs"), special_args.clone()),
                ]),
            )]),
        ),
    ]);
    let (options, options_cell) = hole();
    let (config, config_cell) = hole();
    // Module arguments read from `_module.args` look at the merge's inputs
    // (see `collect::module_arg`), so the collection gets the merge too.
    let (merged, merged_cell) = hole();
    let lib = helper(ev, helpers, sym!("lib"), span)?;
    let module_args = lazy(
        &MODULE_ARGS,
        [helpers.clone(), lib, options.clone(), special_args.clone(), class.clone(), prefix.clone(), config.clone()],
        span,
    );
    let collected = lazy(
        &COLLECT_FOR_EVAL,
        [
            helpers.clone(),
            class.clone(),
            special_args.clone(),
            modules.clone(),
            internal_module,
            module_args,
            lazy(&MERGED_FOR_ARGS, [special_args.clone(), merged.clone()], span),
        ],
        span,
    );
    fill(&merged_cell, &MERGE_FOR_EVAL, [helpers.clone(), prefix.clone(), collected.clone()], span);
    fill(&options_cell, &FIELD_MATCHED_OPTIONS, [merged.clone()], span);
    let declared = lazy(&DECLARED_CONFIG, [merged.clone()], span);
    fill(&config_cell, &EVAL_CONFIG, [helpers.clone(), prefix.clone(), declared, merged.clone()], span);
    let check =
        lazy(&CHECK_UNMATCHED, [helpers.clone(), prefix.clone(), options.clone(), config.clone(), merged], span);
    Ok(set([
        (sym!("_type"), text!("configuration")),
        (sym!("options"), lazy(&CHECKED, [check.clone(), options], span)),
        (sym!("config"), lazy(&CHECKED_CONFIG, [check.clone(), config.clone()], span)),
        (sym!("_module"), lazy(&CHECKED_MODULE, [check, config], span)),
        (sym!("graph"), lazy(&FIELD_GRAPH, [collected], span)),
        (sym!("extendModules"), extend_modules),
        (sym!("type"), module_type),
        (sym!("class"), class.clone()),
    ]))
}

pub(super) static INTERNAL_OPTIONS: PrimOp =
    PrimOp { lambda: true, name: "«modules: internal options»", arity: 2, run: internal_options };

/// `internalOptionsFor prefix`: `if prefix == [ ] then internalOptionsRoot
/// else internalOptionsNested`, both made once by the Nix code.
pub(super) fn internal_options(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let root = matches!(ev.force_ref(&args[1])?, Value::List(l) if l.is_empty());
    let options =
        helper(ev, &args[0], if root { sym!("internalOptionsRoot") } else { sym!("internalOptionsNested") }, span)?;
    ev.force(&options)
}

pub(super) static MODULE_ARGS: PrimOp =
    PrimOp { lambda: true, name: "«modules: module arguments»", arity: 7, run: module_args };
pub(super) static COLLECT_FOR_EVAL: PrimOp =
    PrimOp { lambda: true, name: "«modules: collected»", arity: 7, run: collect_for_eval };
pub(super) static MERGE_FOR_EVAL: PrimOp =
    PrimOp { lambda: true, name: "«modules: merged»", arity: 3, run: merge_for_eval };
pub(super) static DECLARED_CONFIG: PrimOp =
    PrimOp { lambda: true, name: "«modules: declared config»", arity: 1, run: declared_config };
pub(super) static CONFIG_ENTRY: PrimOp =
    PrimOp { lambda: true, name: "«modules: config value»", arity: 1, run: config_entry };
pub(super) static EVAL_CONFIG: PrimOp =
    PrimOp { lambda: true, name: "«modules: config»", arity: 4, run: eval_config };
pub(super) static CHECK_UNMATCHED: PrimOp =
    PrimOp { lambda: true, name: "«modules: check»", arity: 5, run: check_unmatched };
pub(super) static CHECKED: PrimOp = PrimOp { lambda: true, name: "«modules: checked»", arity: 2, run: checked };
pub(super) static CHECKED_CONFIG: PrimOp =
    PrimOp { lambda: true, name: "«modules: checked config»", arity: 2, run: checked_config };
pub(super) static CHECKED_MODULE: PrimOp =
    PrimOp { lambda: true, name: "«modules: checked _module»", arity: 2, run: checked_module };
pub(super) static CONFIG_ARGUMENT: PrimOp =
    PrimOp { lambda: true, name: "«modules: config argument»", arity: 2, run: config_argument };

/// The merge that module arguments may be read from (see
/// `collect::module_arg`), or null when `specialArgs` replaces `config`:
/// then `config._module.args` is the caller's set, not this evaluation's.
/// Forced only after the module arguments, which force `specialArgs`.
static MERGED_FOR_ARGS: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: merge for arguments»",
    arity: 2,
    run: |ev, args, span| {
        if attrs_of(ev, &args[0], span)?.contains(sym!("config")) {
            return Ok(Value::Null);
        }
        ev.force(&args[1])
    },
};

/// `{ inherit lib options specialArgs; _class; _prefix; config; } // specialArgs`
pub(super) fn module_args(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, lib, options, special_args, class, prefix, config) =
        (&args[0], &args[1], &args[2], &args[3], &args[4], &args[5], &args[6]);
    let config = lazy(&CONFIG_ARGUMENT, [helpers.clone(), config.clone()], span);
    let own = attr_set([
        (sym!("lib"), lib.clone()),
        (sym!("options"), options.clone()),
        (sym!("specialArgs"), special_args.clone()),
        (sym!("_class"), class.clone()),
        (sym!("_prefix"), prefix.clone()),
        (sym!("config"), config),
    ]);
    let special = attrs_of(ev, special_args, span)?;
    Ok(Value::Attrs(AttrSet::update(&own, &special)))
}

/// `addErrorContext configArgumentContext config`
pub(super) fn config_argument(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, config) = (&args[0], &args[1]);
    with_context(
        ev,
        span,
        |ev| ev.force(config),
        |ev| {
            let message = helper(ev, helpers, sym!("configArgumentContext"), span).ok()?;
            Some(ev.expect_str(&message, span).ok()?.to_string())
        },
    )
}

/// `collectModulesWithGraph class (specialArgs.modulesPath or "") (modules ++ [ internalModule ]) moduleArgs`
pub(super) fn collect_for_eval(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, class, special_args, modules, internal_module, module_args, merged) =
        (&args[0], &args[1], &args[2], &args[3], &args[4], &args[5], &args[6]);
    // Read only by a `disabledModules` entry that is a string: `specialArgs`
    // stays unread until a module function asks for its arguments.
    let modules_path = lazy(&MODULES_PATH, [special_args.clone()], span);
    let mut all = list_of(ev, modules, span)?;
    all.push(internal_module.clone());
    let collector = Collector::new(ev, helpers, class, module_args, merged, span)?;
    collect_with_graph(ev, collector, &modules_path, &Value::list(all))
}

static MODULES_PATH: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: modulesPath»",
    arity: 1,
    run: |ev, args, _| match select_or(ev, &args[0], sym!("modulesPath"))? {
        Some(path) => ev.force(&path),
        None => Ok(text!("")),
    },
};

/// `mergeModules prefix (reverseList collected.modules)`
pub(super) fn merge_for_eval(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, collected) = (&args[0], &args[1], &args[2]);
    let modules = select(ev, collected, sym!("modules"), span)?;
    let mut modules = list_of(ev, &modules, span)?;
    modules.reverse();
    let modules = Value::list(modules);
    let configs = lazy(&MODULE_CONFIGS, [modules.clone()], span);
    Ok(merge_modules_internal(helpers, prefix, &modules, &configs, span))
}

/// `mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value) options`, read
/// from the per-name results of a merge (see `merge_modules_internal`):
/// an option's value is there without its record.
pub(super) fn declared_config(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let results = select(ev, &args[0], sym!("results"), span)?;
    let results = attrs_of(ev, &results, span)?;
    Ok(map_lazily(&results, &CONFIG_ENTRY, span))
}

/// One name of the declared config: an option's value, or a namespace.
pub(super) fn config_entry(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let result = match NameResult::of(ev, &args[0], span)? {
        NameResult::Option { value, .. } => return ev.force(&value),
        NameResult::Other(result) => result,
    };
    if result.contains(sym!("results")) {
        return declared_config(ev, &args[..1], span);
    }
    // Declarations mixing options and namespaces (merged by the Nix code).
    let matched = select(ev, &args[0], sym!("matchedOptions"), span)?;
    config_of_options(ev, &matched, span)
}

/// The config of an option tree: `.value` of options, recursively.
fn config_of_options(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<Value> {
    let v = ev.force(v)?;
    if let Value::Attrs(node) = &v {
        if !is_tag(&type_tag(ev, &v)?, "option") {
            return Ok(map_lazily(node, &OPTIONS_CONFIG, span));
        }
    }
    let value = select(ev, &v, sym!("value"), span)?;
    ev.force(&value)
}

pub(super) static OPTIONS_CONFIG: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: config value»",
    arity: 1,
    run: |ev, args, span| config_of_options(ev, &args[0], span),
};

/// The declared options' values, or with a freeform type, those merged
/// with the definitions that have no option.
pub(super) fn eval_config(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, declared, merged) = (&args[0], &args[1], &args[2], &args[3]);
    if let Value::Null = module_option(ev, declared, merged, sym!("freeformType"), span)? {
        return ev.force(declared);
    }
    let unmatched = lazy(&FIELD_UNMATCHED_DEFNS, [merged.clone()], span);
    call_helper(ev, helpers, sym!("withFreeformConfig"), vec![prefix.clone(), declared.clone(), unmatched], span)
}

/// `config._module.check && config._module.freeformType == null && merged.unmatchedDefns != [ ]`
/// is an error.
pub(super) fn check_unmatched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, options, config, merged) = (&args[0], &args[1], &args[2], &args[3], &args[4]);
    let check = module_option(ev, config, merged, sym!("check"), span)?;
    if !ev.expect_bool(&check, span)? {
        return Ok(Value::Null);
    }
    if !matches!(module_option(ev, config, merged, sym!("freeformType"), span)?, Value::Null) {
        return Ok(Value::Null);
    }
    let unmatched = select(ev, merged, sym!("unmatchedDefns"), span)?;
    if ev.expect_list(&unmatched, span)?.is_empty() {
        return Ok(Value::Null);
    }
    call_helper(ev, helpers, sym!("unmatchedError"), vec![prefix.clone(), options.clone(), unmatched], span)
}

/// `config._module.<name>`, forced: the default when `internal_default`
/// knows it, else read from `config` (a configuration's declared config
/// or its whole config), which merges the `_module` namespace.
fn module_option(ev: &mut Evaluator, config: &Value, merged: &Value, name: Symbol, span: Span) -> EvalResult<Value> {
    if let Some(default) = internal_default(ev, merged, name, span)? {
        return Ok(default);
    }
    let module = select(ev, config, sym!("_module"), span)?;
    let value = select(ev, &module, name, span)?;
    ev.force(&value)
}

/// `config._module.<name>` (`check` or `freeformType`) when only the
/// internal module declares anything under `_module` and no definition of
/// `_module` sets `<name>`: the option's default, `true` or `null`, which
/// is what merging it would give. Every element of an `attrsOf (submodule
/// ...)` reads both, and merging them was a tenth of an element's cost.
/// `None` when the merge must decide. It forces only what the merge would
/// force first (the `_module` definitions, pushed down), in the same order.
pub(super) fn internal_default(
    ev: &mut Evaluator,
    merged: &Value,
    name: Symbol,
    span: Span,
) -> EvalResult<Option<Value>> {
    let Some(internal) = internal_namespace_of(ev, merged, span)? else { return Ok(None) };
    if !internal.definitions_avoid(ev, |n| n == name, span)? {
        return Ok(None);
    }
    Ok(Some(if name == sym!("check") { Value::Bool(true) } else { Value::Null }))
}

/// The `_module` of an evaluation's merge, if only the internal module
/// declares it (see [`InternalNamespace`]).
pub(super) fn internal_namespace_of(
    ev: &mut Evaluator,
    merged: &Value,
    span: Span,
) -> EvalResult<Option<InternalNamespace>> {
    let internal = select(ev, merged, sym!("internalNamespace"), span)?;
    InternalNamespace::made(ev, &internal, span)
}

pub(super) fn checked(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    ev.force(&args[1])
}

/// `removeAttrs config [ "_module" ]`, once checked.
pub(super) fn checked_config(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    let config = attrs_of(ev, &args[1], span)?;
    let module = sym!("_module");
    let entries = config.entries().iter().filter(|e| e.name != module).cloned().collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

pub(super) fn checked_module(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    let module = select(ev, &args[1], sym!("_module"), span)?;
    ev.force(&module)
}
