//! Print an expression the way C++ Nix's `Expr::show` does, for messages
//! such as "assertion '(x == 1)' failed": fully parenthesized, with the
//! arithmetic operators shown as the builtin calls they desugar to.

use crate::Evaluator;
use nix2dream_syntax::ir::*;

pub(crate) fn show_expr(ev: &Evaluator, e: &Expr) -> String {
    let mut out = String::new();
    show(ev, e, &mut out);
    out
}

fn show(ev: &Evaluator, e: &Expr, out: &mut String) {
    match e {
        Expr::Int(i) => out.push_str(&i.to_string()),
        Expr::Float(f) => out.push_str(&crate::print::format_float(*f)),
        // Every `$` escaped, as C++ Nix shows a string literal.
        Expr::Str(s) => nix2dream_syntax::write_quoted(s, true, out),
        Expr::Path(p) => out.push_str(p),
        // Expanded, as C++ Nix's lexer expands it.
        Expr::HomePath(p) => out.push_str(&ev.home_path(p)),
        Expr::Var(_, span) => out.push_str(&ev.source_text(*span)),
        Expr::Select(sel) => {
            out.push('(');
            show(ev, &sel.expr, out);
            out.push_str(").");
            show_path(ev, &sel.path, out);
            if let Some(d) = &sel.default {
                out.push_str(" or (");
                show(ev, d, out);
                out.push(')');
            }
        }
        Expr::HasAttr(target, path, _) => {
            out.push_str("((");
            show(ev, target, out);
            out.push_str(") ? ");
            show_path(ev, path, out);
            out.push(')');
        }
        Expr::Attrs(def) => {
            if def.rec {
                out.push_str("rec ");
            }
            out.push_str("{ ");
            // By name, as C++ Nix keeps a set's attributes; `let` keeps
            // its bindings in source order.
            let mut statics: Vec<&StaticAttr> = def.statics.iter().collect();
            statics.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
            for a in statics {
                if a.inherited {
                    // Sic: C++ Nix 2.8 writes a blank before the `;` here.
                    out.push_str(&format!("inherit {} ; ", a.name));
                } else {
                    nix2dream_syntax::write_attr_name(a.name.as_str(), out);
                    out.push_str(" = ");
                    show(ev, &a.value, out);
                    out.push_str("; ");
                }
            }
            for d in &def.dynamics {
                out.push_str("\"${");
                show(ev, &d.name, out);
                out.push_str("}\" = ");
                show(ev, &d.value, out);
                out.push_str("; ");
            }
            out.push('}');
        }
        Expr::List(items) => {
            out.push_str("[ ");
            for i in items.iter() {
                out.push('(');
                show(ev, i, out);
                out.push_str(") ");
            }
            out.push(']');
        }
        Expr::Lambda(l) => {
            out.push('(');
            match &l.param {
                Param::Ident(n) => out.push_str(n.as_str()),
                Param::Pattern { formals, ellipsis, bind } => {
                    out.push_str("{ ");
                    // In source order; the lowering sorts them by name.
                    let mut in_order: Vec<&Formal> = formals.iter().collect();
                    in_order.sort_by_key(|f| f.span.start);
                    for (i, f) in in_order.into_iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(f.name.as_str());
                        if let Some(d) = &f.default {
                            out.push_str(" ? ");
                            show(ev, d, out);
                        }
                    }
                    if *ellipsis {
                        out.push_str(if formals.is_empty() { "..." } else { ", ..." });
                    }
                    out.push_str(" }");
                    if let Some(b) = bind {
                        out.push_str(" @ ");
                        out.push_str(b.as_str());
                    }
                }
            }
            out.push_str(": ");
            show(ev, &l.body, out);
            out.push(')');
        }
        // `<name>`: a call of `__findFile` on `__nixPath`, both lowered as
        // variables spanning the `<name>` token.
        Expr::Call(f, args, _)
            if args.len() == 2 && matches!(&**f, Expr::Var(_, span) if ev.source_text(*span).starts_with('<')) =>
        {
            out.push_str("(__findFile __nixPath ");
            show(ev, &args[1], out);
            out.push(')');
        }
        Expr::Call(f, args, _) => {
            out.push('(');
            // `(f a) b` is one call of `f` with two arguments to C++ Nix's
            // parser, parentheses or not.
            let mut callee = f;
            let mut all: Vec<&Expr> = args.iter().rev().map(|a| &**a).collect();
            while let Expr::Call(g, first, _) = &**callee {
                all.extend(first.iter().rev().map(|a| &**a));
                callee = g;
            }
            all.reverse();
            // A call that an operator desugars to takes the arguments too:
            // `(a - b) c` is `(__sub a b c)` to C++ Nix's parser.
            if !show_operator_call(ev, callee, &all, out) {
                show(ev, callee, out);
                for a in all {
                    out.push(' ');
                    show(ev, a, out);
                }
            }
            out.push(')');
        }
        Expr::Let(values, body) => {
            out.push_str("(let ");
            for v in values.iter() {
                if v.inherited {
                    out.push_str("inherit ");
                    out.push_str(v.name.as_str());
                    out.push_str("; ");
                } else {
                    nix2dream_syntax::write_attr_name(v.name.as_str(), out);
                    out.push_str(" = ");
                    show(ev, &v.value, out);
                    out.push_str("; ");
                }
            }
            out.push_str("in ");
            show(ev, body, out);
            out.push(')');
        }
        Expr::With(a, b, _) => {
            out.push_str("(with ");
            show(ev, a, out);
            out.push_str("; ");
            show(ev, b, out);
            out.push(')');
        }
        Expr::If(c, t, f, _) => {
            out.push_str("(if ");
            show(ev, c, out);
            out.push_str(" then ");
            show(ev, t, out);
            out.push_str(" else ");
            show(ev, f, out);
            out.push(')');
        }
        Expr::Assert(c, b, _) => {
            out.push_str("assert ");
            show(ev, c, out);
            out.push_str("; ");
            show(ev, b, out);
        }
        Expr::Not(e, _) => {
            out.push_str("(! ");
            show(ev, e, out);
            out.push(')');
        }
        Expr::Neg(..) => {
            out.push('(');
            show_operator_call(ev, e, &[], out);
            out.push(')');
        }
        Expr::BinOp(op, l, r, _, _) => {
            let infix = |sym: &str, out: &mut String| {
                out.push('(');
                show(ev, l, out);
                out.push_str(&format!(" {} ", sym));
                show(ev, r, out);
                out.push(')');
            };
            match op {
                BinOp::Add => infix("+", out),
                BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Less | BinOp::Greater => {
                    out.push('(');
                    show_operator_call(ev, e, &[], out);
                    out.push(')');
                }
                BinOp::LessEq => {
                    out.push_str("(! ");
                    call(ev, "__lessThan", &[r, l], out);
                    out.push(')');
                }
                BinOp::GreaterEq => {
                    out.push_str("(! ");
                    call(ev, "__lessThan", &[l, r], out);
                    out.push(')');
                }
                BinOp::Eq => infix("==", out),
                BinOp::NotEq => infix("!=", out),
                BinOp::And => infix("&&", out),
                BinOp::Or => infix("||", out),
                BinOp::Impl => infix("->", out),
                BinOp::Update => infix("//", out),
                BinOp::Concat => infix("++", out),
            }
        }
        Expr::Interp(parts, _, _) => {
            out.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(" + ");
                }
                show(ev, &p.expr, out);
            }
            out.push(')');
        }
        Expr::CurPos(_) => out.push_str("__curPos"),
        Expr::Error(span) => out.push_str(&ev.source_text(*span)),
    }
}

/// The builtin call that `e`, an operator, is in C++ Nix's parser, with
/// `extra` arguments after its own and without parentheses: `a - b` is
/// `__sub a b`, `a > b` is `__lessThan b a`, `-a` is `__sub 0 a`. False,
/// and nothing written, for any other expression.
fn show_operator_call(ev: &Evaluator, e: &Expr, extra: &[&Expr], out: &mut String) -> bool {
    let zero = Expr::Int(0);
    let (name, own): (&str, [&Expr; 2]) = match e {
        Expr::Neg(x, _) => ("__sub", [&zero, x]),
        Expr::BinOp(BinOp::Sub, l, r, _, _) => ("__sub", [l, r]),
        Expr::BinOp(BinOp::Mul, l, r, _, _) => ("__mul", [l, r]),
        Expr::BinOp(BinOp::Div, l, r, _, _) => ("__div", [l, r]),
        Expr::BinOp(BinOp::Less, l, r, _, _) => ("__lessThan", [l, r]),
        Expr::BinOp(BinOp::Greater, l, r, _, _) => ("__lessThan", [r, l]),
        _ => return false,
    };
    out.push_str(name);
    for a in own.into_iter().chain(extra.iter().copied()) {
        out.push(' ');
        show(ev, a, out);
    }
    true
}

fn call(ev: &Evaluator, name: &str, args: &[&Expr], out: &mut String) {
    out.push('(');
    out.push_str(name);
    for a in args {
        out.push(' ');
        show(ev, a, out);
    }
    out.push(')');
}

fn show_path(ev: &Evaluator, path: &[AttrKey], out: &mut String) {
    for (i, k) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match k {
            AttrKey::Static(s) => nix2dream_syntax::write_attr_name(s.as_str(), out),
            AttrKey::Dynamic(e) => {
                out.push_str("\"${");
                show(ev, e, out);
                out.push_str("}\"");
            }
        }
    }
}
