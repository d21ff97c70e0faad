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
    let tag = type_tag(ev, cfg)?;
    if is_tag(&tag, "merge") {
        let contents = select(ev, cfg, sym!("contents"), span)?;
        for c in items(ev, &contents, span)? {
            ev.nested(Some(span), |ev| push_down_properties(ev, c, span, out))?;
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
                    value: set([
                        (sym!("_type"), Value::string(wrapper)),
                        (key, property.clone()),
                        (sym!("content"), e.value.clone()),
                    ]),
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
pub(super) fn filter_overrides(
    ev: &mut Evaluator,
    option_default: Option<OptionDefault>,
    defs: Vec<Value>,
    span: Span,
) -> EvalResult<(Vec<Value>, i64)> {
    let mut prios = Vec::with_capacity(defs.len());
    let mut highest = if option_default.is_some() { OPTION_DEFAULT_PRIORITY } else { 9999 };
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
    let mut kept = Vec::with_capacity(defs.len() + 1);
    if highest == OPTION_DEFAULT_PRIORITY {
        kept.extend(option_default.map(OptionDefault::definition));
    }
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
    Ok(set([(sym!("values"), Value::list(values)), (sym!("highestPrio"), Value::Int(highest))]))
}

/// Stable sort by `mkOrder` priority, unwrapping the order properties.
pub(super) fn sort_properties(ev: &mut Evaluator, defs: Vec<Value>, span: Span) -> EvalResult<Vec<Value>> {
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

pub(super) fn sort_properties_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let defs = list_of(ev, &args[1], span)?;
    Ok(Value::list(sort_properties(ev, defs, span)?))
}
