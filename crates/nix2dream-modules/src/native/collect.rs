//! `collectModulesWithGraph`: every module reachable through `imports`,
//! loaded, brought into canonical form and de-duplicated by key.

use super::*;
use nix2dream_syntax::ir::Param;

/// `collectModulesWithGraph class modulesPath initialModules args`:
/// `{ modules; graph; }`. Loads every module reachable through `imports`
/// (calling module functions with their arguments, looked up lazily),
/// brings each into canonical form, drops disabled modules and keeps the
/// first module of every key, breadth first, as `genericClosure` does.
pub(super) fn collect_modules_with_graph(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let collector = Collector::new(ev, &args[0], &args[1], &args[4], &Value::Null, span)?;
    collect_with_graph(ev, collector, &args[2], &args[3])
}

/// See [`collect_modules_with_graph`]; `collector` says how modules are
/// loaded.
pub(super) fn collect_with_graph(
    ev: &mut Evaluator,
    mut collector: Collector,
    modules_path: &Value,
    initial: &Value,
) -> EvalResult<Value> {
    let (helpers, span) = (collector.helpers, collector.span);
    let unknown = helper(ev, helpers, sym!("unknownModule"), span)?;
    let roots = collector.collect(ev, &unknown, "", initial)?;
    let disabled_keys: Vec<Value> = if collector.disabled.is_empty() {
        Vec::new()
    } else {
        let disabled = Value::list(std::mem::take(&mut collector.disabled));
        let keys = call_helper(ev, helpers, sym!("disabledKeysOf"), vec![modules_path.clone(), disabled], span)?;
        list_of(ev, &keys, span)?
    };
    let mut disabled_set = std::collections::HashSet::new();
    for k in &disabled_keys {
        disabled_set.insert(ev.expect_str(k, span)?.to_string());
    }
    // genericClosure: breadth first, first of every key wins. An
    // evaluation has a handful of modules (a submodule element five), so
    // the keys seen are a vector, searched from the end.
    let mut seen: Vec<&str> = Vec::new();
    let mut queue: std::collections::VecDeque<&Collected> =
        roots.iter().filter(|c| !disabled_set.contains(c.key.as_str())).collect();
    let mut modules = Vec::new();
    while let Some(c) = queue.pop_front() {
        if seen.iter().rev().any(|k| *k == &*c.key) {
            continue;
        }
        seen.push(&c.key);
        modules.push(c.module.clone());
        queue.extend(c.imports.iter().filter(|i| !disabled_set.contains(i.key.as_str())));
    }
    // The graph is rarely read: keep the tree as one flat list, and build
    // its records only when it is.
    let mut tree = Vec::new();
    flatten(&roots, &mut tree);
    let graph = lazy(&GRAPH, [helpers.clone(), Value::list(tree), Value::list(disabled_keys)], span);
    Ok(set([(sym!("modules"), Value::list(modules)), (sym!("graph"), graph)]))
}

pub(super) static GRAPH: PrimOp = PrimOp { lambda: true, name: "«modules: module graph»", arity: 3, run: graph };

pub(super) fn graph(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let tree = list_of(ev, &args[1], span)?;
    let mut items = tree.into_iter();
    let mut roots = Vec::new();
    while items.len() > 0 {
        roots.push(unflatten(ev, &mut items, span)?);
    }
    call_helper(ev, &args[0], sym!("moduleGraph"), vec![Value::list(roots), args[2].clone()], span)
}

/// The collected tree in preorder, two values per module: the module and
/// how many modules it imports.
fn flatten(modules: &[Collected], out: &mut Vec<Value>) {
    for c in modules {
        out.push(c.module.clone());
        out.push(Value::Int(c.imports.len() as i64));
        flatten(&c.imports, out);
    }
}

/// `{ key; module; modules; }` of the next module of a flattened tree,
/// what the Nix code's graph is built from.
fn unflatten(ev: &mut Evaluator, items: &mut std::vec::IntoIter<Value>, span: Span) -> EvalResult<Value> {
    let malformed = || EvalError::new(ErrorKind::Other, "malformed module tree", Some(span));
    let module = items.next().ok_or_else(malformed)?;
    let count = match items.next() {
        Some(Value::Int(n)) => n,
        _ => return Err(malformed()),
    };
    let key = select(ev, &module, sym!("key"), span)?;
    let key = Value::string(ev.expect_str(&key, span)?.to_string());
    let mut imports = Vec::with_capacity(count as usize);
    for _ in 0..count {
        imports.push(ev.nested(Some(span), |ev| unflatten(ev, items, span))?);
    }
    Ok(set([(sym!("key"), key), (sym!("module"), module), (sym!("modules"), Value::list(imports))]))
}

/// One loaded module and what it imports.
pub(super) struct Collected {
    key: NixString,
    module: Value,
    imports: Vec<Collected>,
}

pub(super) struct Collector<'a> {
    helpers: &'a Value,
    class: Option<Value>,
    module_args: &'a Value,
    /// The evaluation's `mergeModules'` (see `module_arg`), or null when
    /// collecting for the Nix code.
    merged: &'a Value,
    span: Span,
    /// `{ file; disabled; }` of every module with `disabledModules`.
    disabled: Vec<Value>,
    module_attributes: ModuleAttributes,
    /// The files whose imports are being collected, outermost first: a file
    /// that imports itself, directly or not, would be collected forever.
    importing: Vec<Box<str>>,
    /// Where the `imports` being collected are written, if known: what an
    /// import cycle's error points at.
    imports_at: Option<Span>,
}

impl<'a> Collector<'a> {
    /// A collector for an evaluation of `class` (forced here; null for
    /// none) whose module functions get `module_args`.
    pub(super) fn new(
        ev: &mut Evaluator,
        helpers: &'a Value,
        class: &Value,
        module_args: &'a Value,
        merged: &'a Value,
        span: Span,
    ) -> EvalResult<Collector<'a>> {
        let class = match ev.force(class)? {
            Value::Null => None,
            c => Some(c),
        };
        Ok(Collector {
            helpers,
            class,
            module_args,
            merged,
            span,
            disabled: Vec::new(),
            module_attributes: module_attributes(),
            importing: Vec::new(),
            imports_at: None,
        })
    }

    fn collect(
        &mut self,
        ev: &mut Evaluator,
        parent_file: &Value,
        parent_key: &str,
        list: &Value,
    ) -> EvalResult<Vec<Collected>> {
        let span = self.span;
        let items = items(ev, list, span)?;
        let mut out = Vec::with_capacity(items.len());
        let mut fallback_key = String::new();
        for (n, item) in items.iter().enumerate() {
            anon_key(&mut fallback_key, parent_key, n + 1);
            let unified = self.load(ev, parent_file, &fallback_key, item)?;
            let Unified { module, file, key, disabled, imports, imports_at, imported, .. } =
                self.check_class(ev, unified)?;
            let key = ev.expect_str(&key, span)?;
            if !ev.expect_list(&disabled, span)?.is_empty() {
                self.disabled.push(set([(sym!("file"), file.clone()), (sym!("disabled"), disabled)]));
            }
            let pushed = imported.map(|path| self.importing.push(path)).is_some();
            let outer_imports_at = std::mem::replace(&mut self.imports_at, imports_at);
            let imports = ev.nested(Some(span), |ev| self.collect(ev, &file, &key, &imports));
            self.imports_at = outer_imports_at;
            if pushed {
                self.importing.pop();
            }
            out.push(Collected { key, module, imports: imports? });
        }
        Ok(out)
    }

    fn check_class(&mut self, ev: &mut Evaluator, unified: Unified) -> EvalResult<Unified> {
        let Some(class) = &self.class else { return Ok(unified) };
        let own = ev.force(&unified.class)?;
        if matches!(own, Value::Null) || ev.values_equal(&own, class, self.span)? {
            return Ok(unified);
        }
        self.fail(ev, sym!("classError"), vec![class.clone(), unified.module])
    }

    /// Call the `modules.nix` helper that reports a malformed module; it
    /// throws, and one that returns is a bug of ours, reported as such.
    fn fail<T>(&self, ev: &mut Evaluator, helper: Symbol, args: Vec<Value>) -> EvalResult<T> {
        call_helper(ev, self.helpers, helper, args, self.span)?;
        Err(EvalError::new(
            ErrorKind::Other,
            format!("modules.nix: {} returned instead of failing", helper),
            Some(self.span),
        ))
    }

    /// `loadModule`: a function, a set, a property, or a path to import.
    fn load(&mut self, ev: &mut Evaluator, file: &Value, key: &str, m: &Value) -> EvalResult<Unified> {
        let span = self.span;
        let forced = ev.force(m)?;
        let key_value = key_string(key);
        match &forced {
            Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => {
                let applied = self.apply_args(ev, &key_value, &forced)?;
                self.unify(ev, file, &key_value, &applied)
            }
            Value::Attrs(a) if a.contains(Symbol::FUNCTOR) => {
                let applied = self.apply_args(ev, &key_value, &forced)?;
                self.unify(ev, file, &key_value, &applied)
            }
            Value::Attrs(a) => {
                let tag = match a.get(sym!("_type")).cloned() {
                    Some(t) => Some(ev.force(&t)?),
                    None => None,
                };
                let tag_str = match &tag {
                    Some(Value::String(s)) => Some(s.as_str()),
                    _ => None,
                };
                match (tag.is_some(), tag_str) {
                    (false, _) | (true, Some("module")) => self.unify(ev, file, &key_value, &forced),
                    (true, Some("if")) | (true, Some("override")) => {
                        let wrapped = set([(sym!("config"), forced.clone())]);
                        self.load(ev, file, key, &wrapped)
                    }
                    _ => self.fail(ev, sym!("notAModuleError"), vec![self.class_value(), file.clone(), forced.clone()]),
                }
            }
            Value::List(_) => self.fail(ev, sym!("nestedListError"), vec![file.clone(), forced.clone()]),
            _ => {
                let (name, context) = ev.coerce_to_string(&forced, span, true, false)?;
                if let Some(start) = self.importing.iter().position(|p| **p == *name) {
                    return Err(self.import_cycle(start, &name));
                }
                let path: Box<str> = name.as_str().into();
                let name = Value::string_with_context(name, context);
                let imported = call_helper(ev, self.helpers, sym!("importModule"), vec![forced.clone()], span)?;
                let imported = ev.force(&imported)?;
                let applied =
                    if is_function(ev, &imported)? { self.apply_args(ev, &name, &imported)? } else { imported };
                // `toString m`, a thunk to the Nix code, shows as one too.
                let unified = self.unify(ev, &lazy(&FILE_STRING, [name.clone()], span), &name, &applied)?;
                Ok(Unified { imported: Some(path), ..unified })
            }
        }
    }

    /// A file that imports itself through `importing[start..]`. nixpkgs
    /// collects such a cycle until the stack overflows (its `disabled`
    /// lists recurse through every import), after loading the same files
    /// again and again: the same error, at once, and naming the cycle.
    fn import_cycle(&self, start: usize, path: &str) -> EvalError {
        let mut cycle: Vec<&str> = self.importing[start..].iter().map(|p| &**p).collect();
        cycle.push(path);
        let hint = if cycle.len() == 2 {
            format!("note: {path} imports itself; remove that import")
        } else {
            format!(
                "note: these modules import each other in a cycle: {}; remove one of these imports",
                cycle.join(" -> ")
            )
        };
        EvalError::stack_overflow(Some(self.imports_at.unwrap_or(self.span))).with_hint(hint)
    }

    fn class_value(&self) -> Value {
        self.class.clone().unwrap_or(Value::Null)
    }

    /// `applyModuleArgs`: call a module function with the arguments it
    /// names, each looked up lazily in the module arguments, then in
    /// `config._module.args`.
    fn apply_args(&mut self, ev: &mut Evaluator, key: &Value, f: &Value) -> EvalResult<Value> {
        let span = self.span;
        // `lib.functionArgs f`: of a lambda, its formals, read without
        // building the set `builtins.functionArgs` would.
        let formals: Vec<Symbol> = match ev.force_ref(f)? {
            Value::Lambda(c) => match &c.def.param {
                Param::Pattern { formals, .. } => formals.iter().map(|formal| formal.name).collect(),
                Param::Ident(_) => Vec::new(),
            },
            _ => {
                let formals = call_helper(ev, self.helpers, sym!("functionArgs"), vec![f.clone()], span)?;
                attrs_of(ev, &formals, span)?.entries().iter().map(|e| e.name).collect()
            }
        };
        let args = ev.expect_attrs_ref(self.module_args, span)?;
        // The formals' lookups come first: of two entries with one name,
        // `from_entries` keeps the first, and a formal's lookup wins.
        let mut given = Vec::with_capacity(args.len() + formals.len());
        for name in formals {
            let lookup = lazy(
                &MODULE_ARG,
                [self.module_args.clone(), key.clone(), name_string(name), self.merged.clone()],
                span,
            );
            given.push(AttrEntry { name, value: lookup, pos: None });
        }
        given.extend(args.entries().iter().cloned());
        ev.call_value(f, Value::attrs(Attrs::from_entries(given)), Some(span))
    }

    /// `unifyModuleSyntax file key m`: `{ _file; _class; key;
    /// disabledModules; imports; options; config; }`.
    fn unify(&mut self, ev: &mut Evaluator, file: &Value, key: &Value, m: &Value) -> EvalResult<Unified> {
        let span = self.span;
        let a = match ev.force_ref(m)? {
            Value::Attrs(a) => a,
            _ => return self.fail(ev, sym!("notLikeAModuleError"), vec![file.clone(), key.clone(), m.clone()]),
        };
        let get = |name: Symbol| a.get(name).cloned();
        let imports_at = a.get_entry(sym!("imports")).and_then(|e| e.pos);
        let explicit = a.contains(sym!("config")) || a.contains(sym!("options"));
        if explicit && a.entries().iter().any(|e| !self.is_module_attribute(e.name, true)) {
            return self.fail(ev, sym!("unsupportedAttributeError"), vec![key.clone(), m.clone()]);
        }
        // `toString m._file or file`, read only when a declaration's or a
        // definition's file is (the key, in contrast, is read right away).
        let file = match get(sym!("_file")) {
            Some(Value::Thunk(t)) if matches!(t.done_ref(), Some(Value::String(_))) => t.done().unwrap_or(Value::Null),
            Some(own @ Value::String(_)) => own,
            Some(own) => lazy(&FILE_STRING, [own], span),
            // The fallback is a file this collection made: a string already,
            // or a thunk of one.
            None => file.clone(),
        };
        let key = to_string(ev, &get(sym!("key")).unwrap_or_else(|| key.clone()), span)?;
        let (imports, options, config) = if explicit {
            let mut config = get(sym!("config")).unwrap_or_else(empty_set);
            if let Some(meta) = get(sym!("meta")) {
                config = mk_merge(config, set([(sym!("meta"), meta)]));
            }
            (get(sym!("imports")).unwrap_or_else(empty_list), get(sym!("options")).unwrap_or_else(empty_set), config)
        } else {
            let imports = match (get(sym!("require")), get(sym!("imports"))) {
                (None, None) => empty_list(),
                (None, Some(i)) => i,
                (r, i) => {
                    let mut all = list_of(ev, &r.unwrap_or_else(empty_list), span)?;
                    all.extend(list_of(ev, &i.unwrap_or_else(empty_list), span)?);
                    Value::list(all)
                }
            };
            // The definitions, in the set's own (sorted) order.
            let config = a.entries().iter().filter(|e| !self.is_module_attribute(e.name, false)).cloned().collect();
            (imports, empty_set(), Value::attrs(Attrs::from_sorted(config)))
        };
        let config = match get(sym!("freeformType")) {
            Some(t) => mk_merge(config, set([(sym!("_module"), set([(sym!("freeformType"), t)]))])),
            None => config,
        };
        let class = get(sym!("_class")).unwrap_or(Value::Null);
        let disabled = get(sym!("disabledModules")).unwrap_or_else(empty_list);
        let module = set([
            (sym!("_file"), file.clone()),
            (sym!("_class"), class.clone()),
            (sym!("key"), key.clone()),
            (sym!("disabledModules"), disabled.clone()),
            (sym!("imports"), imports.clone()),
            (sym!("options"), options),
            (sym!("config"), config),
        ]);
        Ok(Unified { module, file, key, class, disabled, imports, imports_at, imported: None })
    }

    /// Whether `name` is an attribute of a module's structure: of a module
    /// with `options` or `config` (`explicit`), every attribute it may have;
    /// of a shorthand module, those that are not definitions.
    fn is_module_attribute(&self, name: Symbol, explicit: bool) -> bool {
        let (explicit_names, shorthand_names) = &self.module_attributes;
        if explicit {
            explicit_names.contains(&name)
        } else {
            shorthand_names.contains(&name)
        }
    }
}

/// `toString v`, for a module's `key` and `_file`.
fn to_string(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<Value> {
    let v = ev.force(v)?;
    if let Value::String(_) = v {
        return Ok(v);
    }
    let (s, context) = ev.coerce_to_string(&v, span, true, false)?;
    Ok(Value::string_with_context(s, context))
}

static FILE_STRING: PrimOp = PrimOp {
    lambda: true,
    name: "«modules: module file»",
    arity: 1,
    run: |ev, args, span| to_string(ev, &args[0], span),
};

/// A module in canonical form, with the attributes that the collection
/// reads kept beside its set rather than looked up in it again.
struct Unified {
    module: Value,
    file: Value,
    key: Value,
    class: Value,
    disabled: Value,
    imports: Value,
    /// Where its `imports` attribute is written.
    imports_at: Option<Span>,
    /// The file it was imported from, when it was given as a path.
    imported: Option<Box<str>>,
}

/// `<parent>:anon-<n>`, the key of the `n`th module of a list, written
/// into `out` without the formatting machinery (every element of an
/// `attrsOf (submodule ...)` makes one per module).
fn anon_key(out: &mut String, parent: &str, n: usize) {
    out.clear();
    out.push_str(parent);
    out.push_str(":anon-");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
}

/// The attributes of a module's structure, as symbols (see
/// `Collector::is_module_attribute`): of a module with `options` or
/// `config`, and of a shorthand module. Interned once per thread, and
/// read once per collection: every element of an `attrsOf (submodule
/// ...)` asks about each attribute of each of its modules.
type ModuleAttributes = ([Symbol; 9], [Symbol; 7]);

fn module_attributes() -> ModuleAttributes {
    const EXPLICIT: [&str; 9] =
        ["_class", "_file", "key", "disabledModules", "imports", "options", "config", "meta", "freeformType"];
    const SHORTHAND: [&str; 7] = ["_class", "_file", "key", "disabledModules", "require", "imports", "freeformType"];
    thread_local! {
        static NAMES: ModuleAttributes = (EXPLICIT.map(Symbol::intern), SHORTHAND.map(Symbol::intern));
    }
    NAMES.with(|names| *names)
}
/// A module's fallback key (`<parent key>:anon-<n>`) as a Nix string,
/// made once per thread and key: every element of an `attrsOf (submodule
/// ...)` collects modules at the same places, so it asks for the same
/// keys each time.
fn key_string(key: &str) -> Value {
    thread_local! {
        static KEYS: std::cell::RefCell<nix2dream_syntax::FxHashMap<Box<str>, Value>> = Default::default();
    }
    KEYS.with(|keys| {
        if let Some(v) = keys.borrow().get(key) {
            return v.clone();
        }
        let v = Value::string(key);
        keys.borrow_mut().insert(key.into(), v.clone());
        v
    })
}

/// `mkMerge [ a b ]`
pub(super) fn mk_merge(a: Value, b: Value) -> Value {
    set([(sym!("_type"), text!("merge")), (sym!("contents"), Value::list(vec![a, b]))])
}

/// The same closure (not merely an equal one).
pub(super) fn same_function(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Lambda(a), Value::Lambda(b)) if Shared::ptr_eq(a, b))
}

/// `config._module.args.<name>` read from the definitions, when the merge
/// of `_module.args` (a `lazyAttrsOf raw`) would give one of them
/// unchanged: only the internal module declares `_module`, the
/// configuration has no freeform type, every definition of
/// `_module.args` is a plain set, and of the definitions of `<name>` (each
/// plain or under `mkOverride`) exactly one has the highest priority.
/// Then that value (an override's content) is the argument, as
/// `mergeOneOption` would return it. `None` leaves it to the merge, which
/// also makes every error. Submodules read `name` this way: the merge was
/// a third of an element's cost.
fn plain_module_arg(ev: &mut Evaluator, merged: &Value, name: Symbol, span: Span) -> EvalResult<Option<Value>> {
    // No freeform type: what `internal_default` checks, on the namespace
    // read once here.
    let Some(internal) = super::eval_modules::internal_namespace_of(ev, merged, span)? else { return Ok(None) };
    if !internal.definitions_avoid(ev, |n| n == sym!("freeformType"), span)? {
        return Ok(None);
    }
    // The argument's definitions as the merge sees them once discharged:
    // each is plain or an override (anything else, `mkIf` say, is left to
    // the merge, whose discharge reads it).
    let mut defs = Vec::new();
    for def in items(ev, internal.configs(), span)? {
        let config = select(ev, def, sym!("config"), span)?;
        let Value::Attrs(config) = ev.force_ref(&config)? else { return Ok(None) };
        let Some(module_args) = config.get(sym!("args")) else { continue };
        let module_args = match ev.force_ref(module_args)? {
            Value::Attrs(a) if !a.contains(sym!("_type")) => a,
            _ => return Ok(None),
        };
        let Some(value) = module_args.get(name).cloned() else { continue };
        match type_tag(ev, &value)? {
            None => {}
            Some(tag) if &*tag == "override" => {}
            Some(_) => return Ok(None),
        }
        let file = select(ev, def, sym!("file"), span)?;
        defs.push(set([(sym!("file"), file), (sym!("value"), value)]));
    }
    // The merge's own priority filter: it reads every override's priority
    // but only the winners' contents, so a losing `mkDefault` stays unread.
    let (kept, _) = filter_overrides(ev, None, defs, span)?;
    let [winner] = kept.as_slice() else { return Ok(None) };
    let value = select(ev, winner, sym!("value"), span)?;
    // The merge reads the winner's tag too (for `mkOrder`); a tagged
    // content (`mkOverride` over `mkIf`, say) is the merge's to handle.
    if type_tag(ev, &value)?.is_some() {
        return Ok(None);
    }
    Ok(Some(value))
}

/// `lib.isFunction`: a function, or a set with `__functor`.
pub(super) fn is_function(ev: &mut Evaluator, v: &Value) -> EvalResult<bool> {
    Ok(match ev.force_ref(v)? {
        Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_) => true,
        Value::Attrs(a) => a.contains(Symbol::FUNCTOR),
        _ => false,
    })
}

pub(super) static MODULE_ARG: PrimOp =
    PrimOp { lambda: true, name: "«modules: module argument»", arity: 4, run: module_arg };

/// `args.${name} or config._module.args.${name}`, in the context Nix
/// gives it. `args[3]` is the evaluation's merge (or null), from which an
/// argument defined plainly is read without merging `_module.args`.
pub(super) fn module_arg(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (module_args, key, name, merged) = (&args[0], &args[1], &args[2], &args[3]);
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
            // `config` is forced first, as the Nix code forces it: an
            // argument read where `config` cannot be computed yet (in
            // `imports`) is infinite recursion either way.
            ev.force_ref(&config)?;
            if !matches!(ev.force_ref(merged)?, Value::Null) {
                if let Some(v) = plain_module_arg(ev, merged, sym(&name), span)? {
                    return ev.force(&v);
                }
            }
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

#[cfg(test)]
mod tests {
    use super::anon_key;

    #[test]
    fn anon_keys_match_their_format() {
        let mut out = String::from("left over");
        for (parent, n) in [("", 1), ("", 9), ("", 10), ("/a/b.nix", 123), (":anon-2", usize::MAX)] {
            anon_key(&mut out, parent, n);
            assert_eq!(out, format!("{parent}:anon-{n}"));
        }
    }
}
