//! `mergeModules'`: declarations matched with definitions, name by name,
//! into options, namespaces of options, and definitions without one.

use super::*;

/// `mergeModules prefix modules`: every module's `config`, pushed down.
pub(super) fn merge_modules(_: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, modules) = (&args[0], &args[1], &args[2]);
    let configs = lazy(&MODULE_CONFIGS, [modules.clone()], span);
    Ok(merge_modules_value(helpers, prefix, modules, &configs, span))
}

pub(super) static MODULE_CONFIGS: PrimOp =
    PrimOp { lambda: true, name: "«modules: configs»", arity: 1, run: module_configs };

/// `concatMap (m: map (config: { file = m._file; inherit config; }) (pushDownProperties m.config)) modules`
pub(super) fn module_configs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    pushed_down(ev, &args[0], sym!("_file"), sym!("config"), span)
}

/// Every item's `value_name`, with its properties pushed down one level,
/// as `{ file; config; }` records.
pub(super) fn pushed_down(
    ev: &mut Evaluator,
    items: &Value,
    file_name: Symbol,
    value_name: Symbol,
    span: Span,
) -> EvalResult<Value> {
    let items = self::items(ev, items, span)?;
    // Every item's list first, then the elements (see `push_down_spine`).
    let mut spine = Vec::with_capacity(items.len());
    let mut wrappers = Vec::new();
    let mut files = Vec::with_capacity(items.len());
    for item in items {
        let file = select(ev, item, file_name, span)?;
        let value = select(ev, item, value_name, span)?;
        let from = spine.len();
        push_down_spine(ev, &value, span, &mut wrappers, &mut spine)?;
        files.extend(std::iter::repeat_n(file, spine.len() - from));
    }
    let mut out = Vec::with_capacity(spine.len());
    for (pushed, file) in spine.into_iter().zip(files) {
        out.push(set([(sym!("file"), file), (sym!("config"), pushed.wrap(span))]));
    }
    Ok(Value::list(out))
}

pub(super) fn merge_modules_prime(_: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(merge_modules_value(&args[0], &args[1], &args[2], &args[3], span))
}

pub(super) fn merge_modules_value(
    helpers: &Value,
    prefix: &Value,
    modules: &Value,
    configs: &Value,
    span: Span,
) -> Value {
    let (matched, unmatched, _, _) = merge_modules_parts(helpers, prefix, modules, configs, span);
    set([(sym!("matchedOptions"), matched), (sym!("unmatchedDefns"), unmatched)])
}

/// `mergeModules'` for the native code: its set with the per-name
/// results beside it (`results`), from which `config` reads each option's
/// value without building the option's record, and its inputs (`modules`,
/// the declaring modules, and `configs`, the pushed-down definitions), from
/// which `internal_default` sees that an internal option is left alone.
pub(super) fn merge_modules_internal(
    helpers: &Value,
    prefix: &Value,
    modules: &Value,
    configs: &Value,
    span: Span,
) -> Value {
    let (matched, unmatched, results, internal) = merge_modules_parts(helpers, prefix, modules, configs, span);
    set([
        (sym!("configs"), configs.clone()),
        (sym!("internalNamespace"), internal),
        (sym!("matchedOptions"), matched),
        (sym!("modules"), modules.clone()),
        (sym!("results"), results),
        (sym!("unmatchedDefns"), unmatched),
    ])
}

/// `matchedOptions`, `unmatchedDefns`, the per-name results and their
/// `_module` as an [`InternalNamespace`] (made once, when first read).
fn merge_modules_parts(
    helpers: &Value,
    prefix: &Value,
    modules: &Value,
    configs: &Value,
    span: Span,
) -> (Value, Value, Value, Value) {
    let defs = lazy(&DEFS_BY_NAME, [helpers.clone(), prefix.clone(), configs.clone()], span);
    // The declarations by name are read by the results only, first thing.
    let results = lazy(&RESULTS_BY_NAME, [helpers.clone(), prefix.clone(), modules.clone(), defs.clone()], span);
    let matched = lazy(&MATCHED, [results.clone()], span);
    let internal = lazy(&INTERNAL_NAMESPACE, [helpers.clone(), results.clone()], span);
    let unmatched = lazy(&UNMATCHED, [configs.clone(), results.clone(), defs, internal.clone()], span);
    (matched, unmatched, results, internal)
}

static INTERNAL_NAMESPACE: PrimOp =
    PrimOp { lambda: true, name: "«modules: internal namespace»", arity: 2, run: internal_namespace };

/// The per-name results' `_module`, if only the internal module declares
/// it: `[ declared configs ]`, else null.
fn internal_namespace(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, results) = (&args[0], &args[1]);
    let Some(module) = attrs_of(ev, results, span)?.get(sym!("_module")).cloned() else { return Ok(Value::Null) };
    Ok(match InternalNamespace::of(ev, helpers, &module, span)? {
        Some(internal) => Value::list(vec![Value::Attrs(internal.declared), internal.configs]),
        None => Value::Null,
    })
}

pub(super) static DEFS_BY_NAME: PrimOp =
    PrimOp { lambda: true, name: "«modules: definitions»", arity: 3, run: defs_by_name };
pub(super) static RESULTS_BY_NAME: PrimOp =
    PrimOp { lambda: true, name: "«modules: options»", arity: 4, run: results_by_name };
pub(super) static MATCHED: PrimOp =
    PrimOp { lambda: true, name: "«modules: matched options»", arity: 1, run: matched };
pub(super) static UNMATCHED: PrimOp =
    PrimOp { lambda: true, name: "«modules: unmatched definitions»", arity: 4, run: unmatched };
pub(super) static PER_NAME: PrimOp = PrimOp { lambda: true, name: "«modules: option»", arity: 5, run: per_name };

/// A map from names to values, built in module order (what `zipAttrsWith
/// (n: concatLists)` gives).
pub(super) struct ByName {
    pub(super) entries: Vec<(Symbol, Vec<Value>)>,
    /// Where each name is in `entries`, once there are too many names to
    /// scan: most maps (a module's options, a service's settings) have a
    /// handful, and a hash table cost an allocation and its growth.
    index: Option<nix2dream_syntax::SymbolMap<usize>>,
}

impl ByName {
    const SCANNED: usize = 16;

    pub(super) fn new() -> ByName {
        ByName { entries: Vec::new(), index: None }
    }

    pub(super) fn push(&mut self, name: Symbol, value: Value) {
        let found = match &self.index {
            Some(index) => index.get(&name).copied(),
            None => self.entries.iter().position(|(n, _)| *n == name),
        };
        match found {
            Some(i) => self.entries[i].1.push(value),
            None => {
                let i = self.entries.len();
                self.entries.push((name, vec![value]));
                match &mut self.index {
                    Some(index) => {
                        index.insert(name, i);
                    }
                    None if i + 1 > Self::SCANNED => {
                        self.index = Some(self.entries.iter().enumerate().map(|(i, (n, _))| (*n, i)).collect());
                    }
                    None => {}
                }
            }
        }
    }
}

/// name => [ { _file; pos; options; } ] over all modules' `options`.
fn decls_by_name(
    ev: &mut Evaluator,
    helpers: &Value,
    prefix: &Value,
    modules: &Value,
    span: Span,
) -> EvalResult<Value> {
    let mut by_name = ByName::new();
    for module in items(ev, modules, span)? {
        let file = select(ev, module, sym!("_file"), span)?;
        let options = select(ev, module, sym!("options"), span)?;
        let options = match ev.force(&options)? {
            Value::Attrs(a) => a,
            _ => return call_helper(ev, helpers, sym!("optionsNotASetError"), vec![prefix.clone(), options], span),
        };
        for e in options.entries() {
            // `unsafeGetAttrPos`, made only when a position is read.
            let pos = match e.pos {
                Some(p) => lazy(&POSITION, [], p),
                None => Value::Null,
            };
            let decl = set([(sym!("_file"), file.clone()), (sym!("pos"), pos), (sym!("options"), e.value.clone())]);
            by_name.push(e.name, decl);
        }
    }
    let entries = by_name
        .entries
        .into_iter()
        .map(|(name, decls)| AttrEntry { name, value: Value::list(decls), pos: None })
        .collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

/// name => the raw definitions of that name, in module order.
pub(super) fn defs_by_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, configs) = (&args[0], &args[1], &args[2]);
    let configs = items(ev, configs, span)?;
    // Every definition root must be a set; the first that is not fails.
    let mut roots = Vec::with_capacity(configs.len());
    for c in configs {
        let config = select(ev, c, sym!("config"), span)?;
        match ev.force(&config)? {
            Value::Attrs(a) => roots.push((select(ev, c, sym!("file"), span)?, a)),
            _ => return call_helper(ev, helpers, sym!("configNotASetError"), vec![prefix.clone(), c.clone()], span),
        }
    }
    let mut by_name = ByName::new();
    for (file, config) in roots {
        for e in config.entries() {
            by_name.push(e.name, set([(sym!("file"), file.clone()), (sym!("value"), e.value.clone())]));
        }
    }
    let entries =
        by_name.entries.into_iter().map(|(name, raw)| AttrEntry { name, value: Value::list(raw), pos: None }).collect();
    Ok(Value::attrs(Attrs::from_entries(entries)))
}

pub(super) static DEFS_PART: PrimOp =
    PrimOp { lambda: true, name: "«modules: definitions of»", arity: 3, run: defs_part };

/// The definitions of a name: raw (0) or pushed down (1); none if absent.
/// Each name's parts are read by one `per_name` only, which holds them in
/// thunks: nothing here needs to be shared.
pub(super) fn defs_part(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let raw = OptionDefinitions { defs: args[0].clone(), name: args[1].clone() }.list_value(ev, span)?;
    if ev.expect_int(&args[2], span)? == 0 {
        return Ok(raw);
    }
    // `concatMap ({ file, value }: map (config: { inherit file config; }) (pushDownProperties value))`
    pushed_down(ev, &raw, sym!("file"), sym!("value"), span)
}

/// name => the per-name result (see `per_name`), from the modules'
/// declarations (`decls_by_name`) and the definitions by name.
pub(super) fn results_by_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, prefix, modules, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let decls = decls_by_name(ev, helpers, prefix, modules, span)?;
    let decls = attrs_of(ev, &decls, span)?;
    let prefix_items = items(ev, prefix, span)?;
    let entries = decls
        .entries()
        .iter()
        .map(|e| {
            let name = name_string(e.name);
            let loc = Value::list(loc_with(prefix_items, name.clone()));
            let value = lazy(&PER_NAME, [helpers.clone(), loc, e.value.clone(), defs.clone(), name], span);
            AttrEntry { name: e.name, value, pos: e.pos }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

/// One name of `mergeModules'`: an option, a namespace of options, or a
/// mix of both (the rare case, left to the Nix code). See [`NameResult`].
pub(super) fn per_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, decls, defs) = (&args[0], &args[1], &args[2], &args[3]);
    let decl_list = items(ev, decls, span)?;
    let mut option_count = 0;
    for d in decl_list {
        let options = select(ev, d, sym!("options"), span)?;
        let tag = match ev.force_ref(&options)? {
            Value::Attrs(a) => a.get(sym!("_type")).cloned(),
            _ => None,
        };
        if let Some(t) = tag {
            let is_option = matches!(ev.force_ref(&t)?, Value::String(s) if s.as_str() == "option");
            if !is_option {
                let file = select(ev, d, sym!("_file"), span)?;
                return call_helper(ev, helpers, sym!("declarationTypeError"), vec![loc.clone(), t, file], span);
            }
            option_count += 1;
        }
    }
    // The definitions stay unread until the option's value (or the
    // namespace's definitions) are: reading an option record must not
    // force the `config` of every module.
    let raw = || lazy(&DEFS_PART, [defs.clone(), args[4].clone(), Value::Int(0)], span);
    let pushed = || lazy(&DEFS_PART, [defs.clone(), args[4].clone(), Value::Int(1)], span);
    if option_count == decl_list.len() {
        // The value and the record share the declaration and the merge,
        // and `config` reads the value without building the record.
        let declared =
            lazy(&OPTION_DECLARED, [helpers.clone(), loc.clone(), decls.clone(), defs.clone(), args[4].clone()], span);
        let value = lazy(&OPTION_VALUE, [helpers.clone(), loc.clone(), declared.clone()], span);
        Ok(Value::list(vec![helpers.clone(), loc.clone(), declared, value]))
    } else if option_count > 0 {
        call_helper(ev, helpers, sym!("mixedDeclarations"), vec![loc.clone(), decls.clone(), pushed(), raw()], span)
    } else {
        Ok(merge_modules_internal(helpers, loc, decls, &pushed(), span))
    }
}

pub(super) static OPTION_DECLARED: PrimOp =
    PrimOp { lambda: true, name: "«modules: option declaration»", arity: 5, run: option_declared };

/// `fixupOptionType loc (mergeOptionDecls loc decls)` and the thunks of its
/// merge with `defs`, as a [`DeclaredOption`] list.
pub(super) fn option_declared(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (helpers, loc, decls) = (&args[0], &args[1], &args[2]);
    // The option's own definitions, read from the definitions by name.
    let defs = &OptionDefinitions { defs: args[3].clone(), name: args[4].clone() };
    let decl_list = items(ev, decls, span)?;
    if decl_list.len() == 1 {
        return single_declaration(ev, helpers, loc, &decl_list[0], defs, span);
    }
    let merged = call_helper(ev, helpers, sym!("mergeOptionDecls"), vec![loc.clone(), decls.clone()], span)?;
    let opt = fixup_option_type(ev, helpers, &merged, span)?;
    declare_merged_option(ev, helpers, loc, &opt, defs, span)
}

/// An option declared once: `mergeOptionDecls` and `fixupOptionType` of
/// one declaration, fused, so that its record is one set over the
/// declaration's attributes rather than three copies.
fn single_declaration(
    ev: &mut Evaluator,
    helpers: &Value,
    loc: &Value,
    decl: &Value,
    defs: &OptionDefinitions,
    span: Span,
) -> EvalResult<Value> {
    let options = select(ev, decl, sym!("options"), span)?;
    let options_attrs = attrs_of(ev, &options, span)?;
    let file = select(ev, decl, sym!("_file"), span)?;
    let declared_type = options_attrs.get(sym!("type")).cloned();
    let ty = match declared_type {
        Some(ty) => match sub_modules_of(ev, &ty)? {
            // A submodule type gets the declaration's modules, each under its file.
            Some(list) => {
                let modules = list_of(ev, &list, span)?
                    .into_iter()
                    .map(|m| set([(sym!("_file"), file.clone()), (sym!("imports"), Value::list(vec![m]))]))
                    .collect();
                substituted_type(ev, &ty, Value::list(modules), span)?
            }
            None => ty,
        },
        None => helper(ev, helpers, sym!("unspecified"), span)?,
    };
    let declaration = OptionDeclaration { ty, first_file: file, origin: DeclarationOrigin::Single(decl.clone()) };
    declare_option(ev, helpers, loc, &options, declaration, defs, span)
}

/// Give a submodule type the modules collected from all declarations.
pub(super) fn fixup_option_type(ev: &mut Evaluator, helpers: &Value, opt: &Value, span: Span) -> EvalResult<Value> {
    let attrs = attrs_of(ev, opt, span)?;
    let ty = match attrs.get(sym!("type")).cloned() {
        Some(ty) => ty,
        None => {
            let unspecified = helper(ev, helpers, sym!("unspecified"), span)?;
            return Ok(with_fields(&attrs, vec![(sym!("type"), unspecified)]));
        }
    };
    if sub_modules_of(ev, &ty)?.is_none() {
        return Ok(with_fields(&attrs, vec![(sym!("type"), ty)]));
    }
    let options = select(ev, opt, sym!("options"), span)?;
    let new_type = substituted_type(ev, &ty, options, span)?;
    Ok(with_fields(&attrs, vec![(sym!("type"), new_type), (sym!("options"), empty_list())]))
}

/// `type.getSubModules`, unless the type has none (`null`).
fn sub_modules_of(ev: &mut Evaluator, ty: &Value) -> EvalResult<Option<Value>> {
    match select_or(ev, ty, sym!("getSubModules"))? {
        Some(g) => match ev.force(&g)? {
            Value::Null => Ok(None),
            list => Ok(Some(list)),
        },
        None => Ok(None),
    }
}

/// `type.substSubModules modules`, lazily.
fn substituted_type(ev: &mut Evaluator, ty: &Value, modules: Value, span: Span) -> EvalResult<Value> {
    let subst = select(ev, ty, sym!("substSubModules"), span)?;
    Ok(Value::apply_thunk(subst, modules, span))
}

/// What `per_name` gives for one name. An option is the list
/// `[ helpers loc declared value ]`, from which its record is built only
/// when `matchedOptions` is read; a namespace or a mix is a set with
/// `matchedOptions` and `unmatchedDefns` (and `results` for a namespace).
pub(super) enum NameResult {
    Option { helpers: Value, loc: Value, declared: Value, value: Value },
    Other(AttrSet),
}

impl NameResult {
    pub(super) fn of(ev: &mut Evaluator, result: &Value, span: Span) -> EvalResult<NameResult> {
        match ev.force_ref(result)? {
            Value::List(items) => {
                let item = |i: usize| items[i].clone();
                Ok(NameResult::Option { helpers: item(0), loc: item(1), declared: item(2), value: item(3) })
            }
            other => Ok(NameResult::Other(attrs_of(ev, other, span)?)),
        }
    }
}

pub(super) fn matched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let results = attrs_of(ev, &args[0], span)?;
    Ok(map_lazily(&results, &MATCHED_OPTION, span))
}

static MATCHED_OPTION: PrimOp =
    PrimOp { lambda: true, name: "«modules: matched option»", arity: 1, run: matched_option };

/// One name's `matchedOptions`: an option's record, or a namespace's.
fn matched_option(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    match NameResult::of(ev, &args[0], span)? {
        NameResult::Option { helpers, loc, declared, value } => {
            option_record(ev, &helpers, &loc, &declared, value, span)
        }
        NameResult::Other(result) => {
            let matched = select(ev, &Value::Attrs(result), sym!("matchedOptions"), span)?;
            ev.force(&matched)
        }
    }
}

/// A namespace of `mergeModules'` that only the internal module declares
/// (`_module`, in every evaluation): its declarations are the internal
/// options themselves, so what its merge would find out about definitions
/// can be read from their names.
pub(super) struct InternalNamespace {
    /// The internal module's `_module` options.
    pub(super) declared: AttrSet,
    /// The namespace's definitions, pushed down: `[ { file; config; } ]`.
    configs: Value,
}

impl InternalNamespace {
    /// The `_module` of a merge, as its `internalNamespace` field (or the
    /// thunk behind it) made it.
    pub(super) fn made(ev: &mut Evaluator, internal: &Value, span: Span) -> EvalResult<Option<InternalNamespace>> {
        match ev.force_ref(internal)? {
            Value::List(parts) if parts.len() == 2 => {
                let declared = attrs_of(ev, &parts.as_slice()[0], span)?;
                Ok(Some(InternalNamespace { declared, configs: parts.as_slice()[1].clone() }))
            }
            _ => Ok(None),
        }
    }

    /// `result`, a per-name result, if it is such a namespace.
    fn of(ev: &mut Evaluator, helpers: &Value, result: &Value, span: Span) -> EvalResult<Option<InternalNamespace>> {
        let NameResult::Other(namespace) = NameResult::of(ev, result, span)? else { return Ok(None) };
        let (Some(decls), Some(configs)) = (namespace.get(sym!("modules")), namespace.get(sym!("configs"))) else {
            return Ok(None);
        };
        // The internal module always declares `_module`: one declaration
        // is its own, two or more mean another module declares there too.
        let [decl] = items(ev, decls, span)? else { return Ok(None) };
        let declared = select(ev, decl, sym!("options"), span)?;
        let Value::Attrs(declared) = ev.force_ref(&declared)? else { return Ok(None) };
        let declared = declared.clone();
        for which in [sym!("internalOptionsNested"), sym!("internalOptionsRoot")] {
            let options = helper(ev, helpers, which, span)?;
            let own = select(ev, &options, sym!("_module"), span)?;
            if AttrSet::ptr_eq(&attrs_of(ev, &own, span)?, &declared) {
                return Ok(Some(InternalNamespace { declared, configs: configs.clone() }));
            }
        }
        Ok(None)
    }

    /// The namespace's definitions, pushed down: `[ { file; config; } ]`.
    pub(super) fn configs(&self) -> &Value {
        &self.configs
    }

    /// Whether every definition is a set (as the merge requires) and none
    /// sets a name for which `unwanted` holds.
    pub(super) fn definitions_avoid(
        &self,
        ev: &mut Evaluator,
        unwanted: impl Fn(Symbol) -> bool,
        span: Span,
    ) -> EvalResult<bool> {
        for def in items(ev, &self.configs, span)? {
            let config = select(ev, def, sym!("config"), span)?;
            match ev.force_ref(&config)? {
                Value::Attrs(a) if !a.entries().iter().any(|e| unwanted(e.name)) => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }
}

/// The definitions that found no option, each with its `prefix`.
pub(super) fn unmatched(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (configs, results, defs) = (&args[0], &args[1], &args[2]);
    if ev.expect_list(configs, span)?.is_empty() {
        return Ok(empty_list());
    }
    let results = attrs_of(ev, results, span)?;
    let defs = attrs_of(ev, defs, span)?;
    // `mapAttrs (n: v: v.unmatchedDefns) results // removeAttrs raw (attrNames results)`
    let mut by_name: Vec<(Symbol, Value)> = Vec::with_capacity(results.len() + defs.len());
    for e in results.entries() {
        let r = match NameResult::of(ev, &e.value, span)? {
            NameResult::Option { .. } => continue,
            NameResult::Other(result) => {
                // `_module`, left to the internal options: nothing is unmatched
                // when every definition sets one of them.
                let internal =
                    if e.name == sym!("_module") { InternalNamespace::made(ev, &args[3], span)? } else { None };
                if let Some(internal) = internal {
                    let declared = internal.declared.clone();
                    if internal.definitions_avoid(ev, |n| !declared.contains(n), span)? {
                        continue;
                    }
                }
                select(ev, &Value::Attrs(result), sym!("unmatchedDefns"), span)?
            }
        };
        by_name.push((e.name, r));
    }
    for e in defs.entries() {
        if !results.contains(e.name) {
            by_name.push((e.name, e.value.clone()));
        }
    }
    by_name.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut out = Vec::new();
    for (name, list) in by_name {
        for def in items(ev, &list, span)? {
            let a = attrs_of(ev, def, span)?;
            let mut prefix = vec![name_string(name)];
            if let Some(p) = a.get(sym!("prefix")) {
                prefix.extend_from_slice(items(ev, p, span)?);
            }
            out.push(with_fields(&a, vec![(sym!("prefix"), Value::list(prefix))]));
        }
    }
    Ok(Value::list(out))
}

pub(super) static POSITION: PrimOp =
    PrimOp { lambda: true, name: "«modules: position»", arity: 0, run: |ev, _, span| Ok(ev.pos_attrs(span)) };
pub(super) static DECLARATION_POSITIONS: PrimOp =
    PrimOp { lambda: true, name: "«modules: declaration positions»", arity: 1, run: declaration_positions };

/// `if opt.pos or null != null then [ opt.pos ] else [ { file = opt._file; line = null; column = null; } ]`
pub(super) fn declaration_positions(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let decl = &args[0];
    let pos = select(ev, decl, sym!("pos"), span)?;
    let position = match ev.force(&pos)? {
        Value::Null => {
            let file = select(ev, decl, sym!("_file"), span)?;
            set([(sym!("file"), file), (sym!("line"), Value::Null), (sym!("column"), Value::Null)])
        }
        p => p,
    };
    Ok(Value::list(vec![position]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names keep their first-seen order and gather their values, below
    /// and above the size where `ByName` switches from scanning to an index.
    #[test]
    fn by_name_groups_in_first_seen_order() {
        for count in [3usize, ByName::SCANNED, ByName::SCANNED + 1, 100] {
            let names: Vec<Symbol> = (0..count).map(|i| Symbol::intern(&format!("by-name-{i}"))).collect();
            let mut by_name = ByName::new();
            for round in 0..3 {
                for (i, name) in names.iter().enumerate().rev() {
                    by_name.push(*name, Value::Int((round * 1000 + i) as i64));
                }
            }
            let got: Vec<Symbol> = by_name.entries.iter().map(|(n, _)| *n).collect();
            let want: Vec<Symbol> = names.iter().rev().copied().collect();
            assert_eq!(got, want, "{count} names");
            for (name, values) in &by_name.entries {
                let i = names.iter().position(|n| n == name).unwrap() as i64;
                let ints: Vec<i64> = values
                    .iter()
                    .map(|v| match v {
                        Value::Int(n) => *n,
                        _ => unreachable!(),
                    })
                    .collect();
                assert_eq!(ints, vec![i, 1000 + i, 2000 + i], "{count} names");
            }
        }
    }
}
