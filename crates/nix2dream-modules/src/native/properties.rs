//! `mkIf`, `mkMerge`, `mkOverride` and `mkOrder`: pushing properties down
//! to attributes, discharging them in a definition, priorities and order.

use super::*;

/// `mkIf`/`mkMerge`/`mkOverride` on a set, pushed down to its attributes.
pub(super) fn push_down_properties(
    ev: &mut Evaluator,
    cfg: &Value,
    span: Span,
    out: &mut Vec<Value>,
) -> EvalResult<()> {
    let mut spine = Vec::new();
    push_down_spine(ev, cfg, span, &mut Vec::new(), &mut spine)?;
    out.extend(spine.into_iter().map(|pushed| pushed.wrap(span)));
    Ok(())
}

/// One set of a pushed-down definition, with the `mkIf`/`mkOverride`
/// wrappers (outermost first) still to put around each of its attributes.
pub(super) struct Pushed {
    item: Value,
    /// `(is mkIf, its condition or priority)`
    wrappers: Vec<(bool, Value)>,
}

/// The list `pushDownProperties` returns, without its elements: in the Nix
/// code each element (a `mapAttrs`) is a thunk, so the lists of all of a
/// merge's definitions are made (forcing each `mkIf`'s content and the
/// `mkMerge` lists) before any element is, and an error in a later list
/// comes before one in an earlier element. [`Pushed::wrap`] makes the
/// elements.
pub(super) fn push_down_spine(
    ev: &mut Evaluator,
    cfg: &Value,
    span: Span,
    wrappers: &mut Vec<(bool, Value)>,
    out: &mut Vec<Pushed>,
) -> EvalResult<()> {
    let tag = type_tag(ev, cfg)?;
    if is_tag(&tag, "merge") {
        let contents = select(ev, cfg, sym!("contents"), span)?;
        for c in items(ev, &contents, span)? {
            ev.nested(Some(span), |ev| push_down_spine(ev, c, span, wrappers, out))?;
        }
    } else if is_tag(&tag, "if") || is_tag(&tag, "override") {
        let is_if = is_tag(&tag, "if");
        let property = select(ev, cfg, if is_if { sym!("condition") } else { sym!("priority") }, span)?;
        let content = select(ev, cfg, sym!("content"), span)?;
        wrappers.push((is_if, property));
        let r = ev.nested(Some(span), |ev| push_down_spine(ev, &content, span, wrappers, out));
        wrappers.pop();
        r?;
    } else {
        out.push(Pushed { item: cfg.clone(), wrappers: wrappers.clone() });
    }
    Ok(())
}

impl Pushed {
    /// The element: each attribute wrapped, innermost wrapper first. Like
    /// the Nix code's `mapAttrs`, a wrapped element is a thunk: a consumer
    /// that fails on an earlier element never forces it.
    pub(super) fn wrap(self, span: Span) -> Value {
        let mut item = self.item;
        for (is_if, property) in self.wrappers.into_iter().rev() {
            item = lazy(&PUSHED_ATTRS, [Value::Bool(is_if), property, item], span);
        }
        item
    }
}

static PUSHED_ATTRS: PrimOp =
    PrimOp { lambda: true, name: "«modules: pushed-down attributes»", arity: 3, run: pushed_attrs };

/// `mapAttrs (n: v: mkIf condition v) item` (or `mkOverride priority`).
fn pushed_attrs(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    // The tag is one shared string, not one per attribute.
    let (wrapper, key) = if matches!(args[0], Value::Bool(true)) {
        (text!("if"), sym!("condition"))
    } else {
        (text!("override"), sym!("priority"))
    };
    let a = attrs_of(ev, &args[2], span)?;
    let entries = a
        .entries()
        .iter()
        .map(|e| AttrEntry {
            name: e.name,
            value: set([(sym!("_type"), wrapper.clone()), (key, args[1].clone()), (sym!("content"), e.value.clone())]),
            pos: e.pos,
        })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

pub(super) fn push_down_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut out = Vec::new();
    push_down_properties(ev, &args[1], span, &mut out)?;
    Ok(Value::list(out))
}

/// Resolve `mkMerge` and `mkIf` in one definition.
pub(super) fn discharge_properties(
    ev: &mut Evaluator,
    def: &Value,
    span: Span,
    out: &mut Vec<Value>,
) -> EvalResult<()> {
    let tag = type_tag(ev, def)?;
    if is_tag(&tag, "merge") {
        let contents = select(ev, def, sym!("contents"), span)?;
        for c in items(ev, &contents, span)? {
            ev.nested(Some(span), |ev| discharge_properties(ev, c, span, out))?;
        }
    } else if is_tag(&tag, "if") {
        let condition = select(ev, def, sym!("condition"), span)?;
        match ev.force(&condition)? {
            Value::Bool(true) => {
                let content = select(ev, def, sym!("content"), span)?;
                ev.nested(Some(span), |ev| discharge_properties(ev, &content, span, out))?;
            }
            Value::Bool(false) => {}
            _ => {
                return Err(EvalError::new(ErrorKind::Throw, "‘mkIf’ called with a non-Boolean condition", Some(span)))
            }
        }
    } else {
        out.push(def.clone());
    }
    Ok(())
}

pub(super) fn discharge_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut out = Vec::new();
    discharge_properties(ev, &args[1], span, &mut out)?;
    Ok(Value::list(out))
}

/// `filterOverrides'`: the definitions of the highest priority, with their
/// `mkOverride` wrappers removed, and that priority.
///
/// `option_default` is an option's default, first of all definitions, with
/// `mkOptionDefault`'s priority implied: it is already unwrapped.
///
/// Priorities are compared as the Nix code compares them (`lib.min` is
/// `<`, then `==`): any number will do, and a priority that is not one
/// fails as `<` fails.
pub(super) fn filter_overrides(
    ev: &mut Evaluator,
    option_default: Option<OptionDefault>,
    defs: Vec<Value>,
    span: Span,
) -> EvalResult<(Vec<Value>, Value)> {
    let mut prios = Vec::with_capacity(defs.len());
    let mut highest = Value::Int(if option_default.is_some() { OPTION_DEFAULT_PRIORITY } else { 9999 });
    for def in &defs {
        // `getPrio def`, folded with `lib.min (getPrio def) highest`.
        let is_override = is_tag(&def_value_tag(ev, def)?, "override");
        let prio = if is_override {
            let value = select(ev, def, sym!("value"), span)?;
            let p = select(ev, &value, sym!("priority"), span)?;
            ev.force(&p)?
        } else {
            Value::Int(DEFAULT_OVERRIDE_PRIORITY)
        };
        if priority_less(ev, &prio, &highest, span)? {
            highest = prio.clone();
        }
        prios.push((prio, is_override));
    }
    let mut kept = Vec::with_capacity(defs.len() + 1);
    if priority_equal(ev, &Value::Int(OPTION_DEFAULT_PRIORITY), &highest, span)? {
        kept.extend(option_default.map(OptionDefault::definition));
    }
    for (def, (prio, is_override)) in defs.into_iter().zip(prios) {
        if !priority_equal(ev, &prio, &highest, span)? {
            continue;
        }
        if is_override {
            // `def // { value = def.value.content; }`
            let value = select(ev, &def, sym!("value"), span)?;
            let content = lazy_select(ev, &value, sym!("content"), span)?;
            let a = attrs_of(ev, &def, span)?;
            kept.push(with_fields(&a, vec![(sym!("value"), content)]));
        } else {
            kept.push(def);
        }
    }
    Ok((kept, highest))
}

/// `a < b` of two priorities, forced.
fn priority_less(ev: &mut Evaluator, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x < y),
        _ => ev.less_than(a, b, span),
    }
}

/// `a == b` of two priorities, forced.
fn priority_equal(ev: &mut Evaluator, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x == y),
        _ => ev.values_equal(a, b, span),
    }
}

/// `def.value._type or ""`, when it is a string: a definition that is not
/// a set, or whose value is not one, has no property.
fn def_value_tag(ev: &mut Evaluator, def: &Value) -> EvalResult<Option<NixString>> {
    let value = match ev.force_ref(def)? {
        Value::Attrs(a) => match a.get(sym!("value")) {
            Some(v) => v.clone(),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    type_tag(ev, &value)
}

/// An option's default and the file that declares it: the definition
/// `{ file; value; }` it becomes, made only if it is kept (most options
/// with a default are defined, and the definition wins).
pub(super) struct OptionDefault {
    pub(super) file: Value,
    pub(super) value: Value,
}

impl OptionDefault {
    pub(super) fn definition(self) -> Value {
        set([(sym!("file"), self.file), (sym!("value"), self.value)])
    }
}

pub(super) fn filter_overrides_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[1], span)?;
    let (values, highest) = filter_overrides(ev, None, defs, span)?;
    Ok(set([(sym!("values"), Value::list(values)), (sym!("highestPrio"), highest)]))
}

/// `sortProperties`: the definitions with their `mkOrder` wrappers
/// removed (`def // { value = def.value.content; inherit (def.value)
/// priority; }`), sorted by `a.priority or 1000 < b.priority or 1000` as
/// `builtins.sort` sorts. Priorities are read when the sort compares them,
/// so a single definition's is never read.
pub(super) fn sort_properties(ev: &mut Evaluator, defs: Vec<Value>, span: Span) -> EvalResult<Vec<Value>> {
    let mut stripped = Vec::with_capacity(defs.len());
    for def in defs {
        match def_value_tag(ev, &def)? {
            Some(tag) if &*tag == "order" => {
                let value = select(ev, &def, sym!("value"), span)?;
                let content = lazy_select(ev, &value, sym!("content"), span)?;
                let priority = lazy_select(ev, &value, sym!("priority"), span)?;
                let a = attrs_of(ev, &def, span)?;
                stripped.push(with_fields(&a, vec![(sym!("value"), content), (sym!("priority"), priority)]));
            }
            _ => stripped.push(def),
        }
    }
    ev.sort_like_nix(stripped, |ev, a, b| {
        let (a, b) = (order_priority(ev, a)?, order_priority(ev, b)?);
        priority_less(ev, &a, &b, span)
    })
}

/// `def.priority or 1000`, forced.
fn order_priority(ev: &mut Evaluator, def: &Value) -> EvalResult<Value> {
    match select_or(ev, def, sym!("priority"))? {
        Some(p) => ev.force(&p),
        None => Ok(Value::Int(DEFAULT_ORDER_PRIORITY)),
    }
}

pub(super) fn sort_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[1], span)?;
    Ok(Value::list(sort_properties(ev, defs, span)?))
}
