//! `toXML`: C++ Nix's XML rendering of a value (`value-to-xml.cc`), forced
//! deeply, with the string contexts of all strings kept.

use super::primop;
use crate::error::{EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::ir::Param;
use nix2dream_syntax::{Span, Symbol};
use std::collections::HashSet;

pub(crate) static PRIMOPS: &[PrimOp] = &[primop!("toXML", 1, to_xml)];

fn to_xml(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut w = XmlWriter { out: String::from("<?xml version='1.0' encoding='utf-8'?>\n"), pending: Vec::new() };
    let mut ctx = Context::new();
    let mut drvs_seen = HashSet::new();
    w.open("expr", &[]);
    print_xml(ev, &args[0], &mut w, &mut ctx, &mut drvs_seen, span)?;
    w.close();
    Ok(Value::string_with_context(w.out, ctx))
}

struct XmlWriter {
    out: String,
    pending: Vec<&'static str>,
}

impl XmlWriter {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    /// Attributes must be given sorted by name (C++ keeps them in a map).
    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            for c in v.chars() {
                match c {
                    '"' => self.out.push_str("&quot;"),
                    '<' => self.out.push_str("&lt;"),
                    '>' => self.out.push_str("&gt;"),
                    '&' => self.out.push_str("&amp;"),
                    '\n' => self.out.push_str("&#xA;"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
    }

    fn open(&mut self, name: &'static str, attrs: &[(&str, &str)]) {
        self.indent(self.pending.len());
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str(">\n");
        self.pending.push(name);
    }

    fn close(&mut self) {
        let name = self.pending.pop().expect("an open element");
        self.indent(self.pending.len());
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent(self.pending.len());
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str(" />\n");
    }
}

fn print_xml(
    ev: &mut Evaluator,
    v: &Value,
    w: &mut XmlWriter,
    ctx: &mut Context,
    drvs_seen: &mut HashSet<String>,
    span: Span,
) -> EvalResult<()> {
    // Output grows with the square of the nesting (indentation), so an
    // endless structure must stop long before the evaluator's depth limit;
    // C++ Nix never finishes such a structure either.
    const MAX_XML_NESTING: usize = 10_000;
    if w.pending.len() > MAX_XML_NESTING {
        return Err(EvalError::stack_overflow(Some(span)));
    }
    ev.nested(Some(span), |ev| {
        let v = ev.force(v)?;
        match &v {
            Value::Int(i) => w.empty("int", &[("value", &i.to_string())]),
            Value::Bool(b) => w.empty("bool", &[("value", if *b { "true" } else { "false" })]),
            Value::String(s) => {
                ctx.extend(s.context().iter().cloned());
                w.empty("string", &[("value", s.as_str())]);
            }
            Value::Path(p) => w.empty("path", &[("value", p)]),
            Value::Null => w.empty("null", &[]),
            Value::Float(f) => w.empty("float", &[("value", &crate::print::format_float(*f))]),
            Value::Attrs(a) => {
                if crate::ops::is_derivation(ev, a)? {
                    let mut drv_path: Option<String> = None;
                    let mut out_path = None;
                    if let Some(d) = a.get(Symbol::intern("drvPath")).cloned() {
                        if let Value::String(s) = &ev.force(&d)? {
                            drv_path = Some(s.as_str().to_string());
                        }
                    }
                    if let Some(o) = a.get(Symbol::OUT_PATH).cloned() {
                        if let Value::String(s) = &ev.force(&o)? {
                            out_path = Some(s.as_str().to_string());
                        }
                    }
                    let mut attrs: Vec<(&str, &str)> = Vec::new();
                    if let Some(d) = &drv_path {
                        attrs.push(("drvPath", d));
                    }
                    if let Some(o) = &out_path {
                        attrs.push(("outPath", o));
                    }
                    w.open("derivation", &attrs);
                    let drv_path = drv_path.unwrap_or_default();
                    if !drv_path.is_empty() && drvs_seen.insert(drv_path) {
                        show_attrs(ev, a, w, ctx, drvs_seen, span)?;
                    } else {
                        w.empty("repeated", &[]);
                    }
                    w.close();
                } else {
                    w.open("attrs", &[]);
                    show_attrs(ev, a, w, ctx, drvs_seen, span)?;
                    w.close();
                }
            }
            Value::List(items) => {
                w.open("list", &[]);
                for item in items.iter() {
                    print_xml(ev, item, w, ctx, drvs_seen, span)?;
                }
                w.close();
            }
            Value::Lambda(c) => {
                w.open("function", &[]);
                match &c.def.param {
                    Param::Ident(name) => w.empty("varpat", &[("name", name.as_str())]),
                    Param::Pattern { formals, ellipsis, bind } => {
                        let mut attrs: Vec<(&str, &str)> = Vec::new();
                        if *ellipsis {
                            attrs.push(("ellipsis", "1"));
                        }
                        if let Some(b) = bind {
                            attrs.push(("name", b.as_str()));
                        }
                        w.open("attrspat", &attrs);
                        let mut names: Vec<&str> = formals.iter().map(|f| f.name.as_str()).collect();
                        names.sort();
                        for n in names {
                            w.empty("attr", &[("name", n)]);
                        }
                        w.close();
                    }
                }
                w.close();
            }
            Value::PrimOp(_) | Value::PrimOpApp(_) | Value::Thunk(_) => w.empty("unevaluated", &[]),
        }
        Ok(())
    })
}

fn show_attrs(
    ev: &mut Evaluator,
    a: &AttrSet,
    w: &mut XmlWriter,
    ctx: &mut Context,
    drvs_seen: &mut HashSet<String>,
    span: Span,
) -> EvalResult<()> {
    for e in a.sorted_by_name() {
        w.open("attr", &[("name", e.name.as_str())]);
        print_xml(ev, &e.value, w, ctx, drvs_seen, e.pos.unwrap_or(span))?;
        w.close();
    }
    Ok(())
}
