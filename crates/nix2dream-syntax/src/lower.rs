//! Lowering: rnix syntax tree → [`ir::Expr`] with variables resolved.
//!
//! Also makes the checks that rnix leaves to the evaluator: duplicate
//! attributes, duplicate formals, undefined variables, dynamic attributes in
//! `let`. A file with errors still lowers completely; broken parts become
//! [`Expr::Error`].

use crate::diagnostics::Diagnostic;
use crate::intern::Symbol;
use crate::ir::*;
use crate::source::{FileId, Span};
use rnix::ast::{self, AstToken, HasEntry};
use rowan::ast::AstNode;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// The names every file can see without binding them (`true`, `map`,
/// `builtins`, ...), mapped to their index in the evaluator's global table.
pub trait Globals {
    fn lookup(&self, name: Symbol) -> Option<u32>;
}

impl Globals for HashMap<Symbol, u32> {
    fn lookup(&self, name: Symbol) -> Option<u32> {
        self.get(&name).copied()
    }
}

/// The result of lowering one file: always a tree, plus what was wrong.
#[derive(Debug)]
pub struct Lowered {
    pub expr: ExprRef,
    pub diagnostics: Vec<Diagnostic>,
}

impl Lowered {
    pub fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }
}

/// Parse and lower `text`. `base_dir` resolves relative path literals.
pub fn lower_file(text: &str, file: FileId, base_dir: &Path, globals: &dyn Globals) -> Lowered {
    lower_file_inner(text, file, base_dir, globals, None)
}

/// Like [`lower_file`], for `scopedImport`: the file is lowered inside one
/// extra static scope whose names (slot `i` holds `scope[i]`) shadow the
/// globals, so its top-level environment must hold those values.
pub fn lower_file_scoped(
    text: &str,
    file: FileId,
    base_dir: &Path,
    globals: &dyn Globals,
    scope: &[Symbol],
) -> Lowered {
    let names = scope.iter().enumerate().map(|(i, &n)| (n, i as u32)).collect();
    lower_file_inner(text, file, base_dir, globals, Some(Scope::Static(names)))
}

fn lower_file_inner(text: &str, file: FileId, base_dir: &Path, globals: &dyn Globals, outer: Option<Scope>) -> Lowered {
    // Too deep for rnix in reasonable time: said before it is tried.
    if let Some(at) = crate::parse::nesting_past_limit(text) {
        let span = Span::new(file, at as u32, at as u32);
        let message = format!(
            "syntax error, expression nested too deeply (nix2dream's parser takes up to {} nested lists and unary operators)",
            crate::parse::LIST_AND_UNARY_LIMIT
        );
        return Lowered { expr: Rc::new(Expr::Error(span)), diagnostics: vec![Diagnostic::syntax(span, message)] };
    }
    let parse = crate::parse::parse(text);
    let mut lowerer = Lowerer {
        file,
        base_dir: base_dir.to_path_buf(),
        globals,
        scopes: outer.into_iter().collect(),
        formal_uses: Vec::new(),
        diagnostics: Vec::new(),
        text_len: text.len() as u32,
        binding_end: None,
    };
    // The grammar check's errors first: where one and rnix's are at one
    // place, the check's (the innermost construct, Nix's words) is Nix's.
    let (parse_errors, gave_up_at) =
        crate::diagnostics::from_parse_errors(&parse.errors, parse.root.syntax(), file, text);
    let grammar = crate::grammar::check(parse.root.syntax(), file, text);
    lowerer.diagnostics.extend(grammar.into_iter().filter(|d| gave_up_at.is_none_or(|at| d.span.start < at)));
    lowerer.diagnostics.extend(parse_errors);
    let root = parse.root;
    let expr = match root.expr() {
        Some(e) => lowerer.expr(e),
        None => {
            if lowerer.diagnostics.is_empty() {
                let span = crate::diagnostics::end_of_file_span(file, text);
                lowerer.error(span, "syntax error, unexpected end of file".into());
            }
            Rc::new(Expr::Error(Span::new(file, 0, 0)))
        }
    };
    // Syntax errors come first in the order Nix's parser meets them, as Nix
    // reports the first; the others in the order the lowering met them,
    // which is the order of C++ Nix's checks of the (desugared) tree.
    let mut diagnostics = lowerer.diagnostics;
    diagnostics.sort_by_key(|d| (!d.is_syntax, if d.is_syntax { d.found_at.unwrap_or(d.span.start) } else { 0 }));
    Lowered { expr, diagnostics }
}

enum Scope {
    /// `let`, `rec { }`, lambda: names to slots.
    Static(HashMap<Symbol, u32>),
    With,
}

struct Lowerer<'a> {
    file: FileId,
    base_dir: PathBuf,
    globals: &'a dyn Globals,
    scopes: Vec<Scope>,
    /// For each pattern lambda being lowered: the index of its scope in
    /// `scopes` and which of its slots a variable has referred to.
    formal_uses: Vec<(usize, Vec<bool>)>,
    diagnostics: Vec<Diagnostic>,
    text_len: u32,
    /// The end of the binding being collected (of the outermost one, while
    /// a later literal set merges into an earlier one): where C++ Nix's
    /// parser reduces it and finds a duplicate attribute.
    binding_end: Option<u32>,
}

/// A binding set being assembled from `a.b.c = v` entries before lowering.
struct PendingAttrs {
    rec: bool,
    statics: Vec<(Symbol, PendingValue, Span)>,
    index: HashMap<Symbol, usize>,
    dynamics: Vec<(ast::Attr, PendingValue, Span)>,
    span: Span,
}

enum PendingValue {
    Expr(ast::Expr),
    Nested(PendingAttrs),
    /// `inherit x;` (from the enclosing scope) or `inherit (e) x;`.
    Inherit(Option<ast::Expr>, Symbol, Span),
}

impl PendingAttrs {
    fn new(rec: bool, span: Span) -> PendingAttrs {
        PendingAttrs { rec, statics: Vec::new(), index: HashMap::new(), dynamics: Vec::new(), span }
    }
}

/// What an attribute name in a path lowered to.
enum KeyName {
    Static(Symbol),
    Dynamic(ast::Attr),
}

impl<'a> Lowerer<'a> {
    fn span(&self, node: &rnix::SyntaxNode) -> Span {
        let r = node.text_range();
        Span::new(self.file, r.start().into(), r.end().into())
    }

    fn error(&mut self, span: Span, message: String) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    fn error_expr(&mut self, span: Span) -> ExprRef {
        Rc::new(Expr::Error(span))
    }

    fn missing(&mut self, parent: &rnix::SyntaxNode) -> ExprRef {
        let span = self.span(parent);
        if self.diagnostics.is_empty() {
            self.error(span, "syntax error, unexpected end of file".into());
        }
        self.error_expr(Span::new(self.file, span.end.min(self.text_len), span.end.min(self.text_len)))
    }

    fn missing_at(&mut self, span: Span) -> ExprRef {
        if self.diagnostics.is_empty() {
            self.error(span, "syntax error, unexpected end of file".into());
        }
        self.error_expr(span)
    }

    fn opt_expr(&mut self, e: Option<ast::Expr>, parent: &rnix::SyntaxNode) -> ExprRef {
        match e {
            Some(e) => self.expr(e),
            None => self.missing(parent),
        }
    }

    // ----- variables -----

    /// Resolve `name`, skipping the `skip` innermost scopes (used for
    /// `inherit x;` inside the scope that `inherit` itself creates).
    fn resolve(&self, name: Symbol, skip: usize) -> Option<Var> {
        let mut with_depths = Vec::new();
        for (depth, scope) in self.scopes.iter().rev().enumerate() {
            if depth < skip {
                continue;
            }
            match scope {
                Scope::Static(names) => {
                    if let Some(&slot) = names.get(&name) {
                        return Some(Var::Local { depth: depth as u32, slot });
                    }
                }
                Scope::With => with_depths.push(depth as u32),
            }
        }
        // The global scope is the outermost *lexical* scope, so it wins over
        // `with`, exactly as in C++ Nix (`with { true = 1; }; true` is true).
        if let Some(idx) = self.globals.lookup(name) {
            return Some(Var::Global(idx));
        }
        if with_depths.is_empty() {
            None
        } else {
            Some(Var::With { name, with_depths: with_depths.into() })
        }
    }

    fn var(&mut self, name: Symbol, span: Span, skip: usize) -> ExprRef {
        match self.resolve(name, skip) {
            Some(v) => {
                if let Var::Local { depth, slot } = v {
                    self.note_use(self.scopes.len() - 1 - depth as usize, slot);
                }
                Rc::new(Expr::Var(v, span))
            }
            None => {
                // Quoted where it is no identifier (`inherit "a b";`), as Nix
                // prints it.
                let mut shown = String::new();
                crate::quote::write_attr_name(name.as_str(), &mut shown);
                self.error(span, format!("undefined variable '{}'", shown));
                self.error_expr(span)
            }
        }
    }

    /// Record that slot `slot` of scope `scope` is referred to, if that
    /// scope is a pattern lambda's.
    fn note_use(&mut self, scope: usize, slot: u32) {
        if let Some((_, used)) = self.formal_uses.iter_mut().rev().find(|(s, _)| *s == scope) {
            if let Some(u) = used.get_mut(slot as usize) {
                *u = true;
            }
        }
    }

    // ----- expressions -----

    fn expr(&mut self, e: ast::Expr) -> ExprRef {
        let span = self.span(e.syntax());
        match e {
            ast::Expr::Literal(lit) => match lit.kind() {
                ast::LiteralKind::Integer(i) => match i.value() {
                    Ok(v) => Rc::new(Expr::Int(v)),
                    Err(_) => {
                        self.error(span, format!("invalid integer '{}'", i.syntax().text()));
                        self.error_expr(span)
                    }
                },
                ast::LiteralKind::Float(f) => match f.value() {
                    Ok(v) if !float_out_of_range(v, f.syntax().text()) => Rc::new(Expr::Float(v)),
                    _ => {
                        self.error(span, format!("invalid float '{}'", f.syntax().text()));
                        self.error_expr(span)
                    }
                },
                ast::LiteralKind::Uri(u) => Rc::new(Expr::Str(u.syntax().text().into())),
            },
            ast::Expr::Ident(id) => {
                let name = ident_name(&id);
                self.var(name, span, 0)
            }
            ast::Expr::Paren(p) => self.opt_expr(p.expr(), p.syntax()),
            ast::Expr::Root(r) => self.opt_expr(r.expr(), r.syntax()),
            ast::Expr::Error(_) => {
                if self.diagnostics.is_empty() {
                    self.error(span, "syntax error".into());
                }
                self.error_expr(span)
            }
            ast::Expr::Str(s) => self.string(&s, span),
            ast::Expr::PathAbs(p) => self.path(crate::strings::path_parts(p.syntax()), PathKind::Abs, span),
            ast::Expr::PathRel(p) => self.path(crate::strings::path_parts(p.syntax()), PathKind::Rel, span),
            ast::Expr::PathHome(p) => self.path(crate::strings::path_parts(p.syntax()), PathKind::Home, span),
            ast::Expr::PathSearch(p) => {
                let text = p.content().map(|c| c.text().to_string()).unwrap_or_default();
                let inner = text.trim_start_matches('<').trim_end_matches('>').to_string();
                let find_file = self.var(Symbol::intern("__findFile"), span, 0);
                let nix_path = self.var(Symbol::intern("__nixPath"), span, 0);
                Rc::new(Expr::Call(find_file, vec![nix_path, Rc::new(Expr::Str(inner.into()))].into(), span))
            }
            ast::Expr::List(l) => {
                let items: Vec<ExprRef> = l.items().map(|i| self.expr(i)).collect();
                Rc::new(Expr::List(items.into()))
            }
            ast::Expr::Apply(a) => {
                // Flatten `f a b c` into one call node, lowered in source
                // order (the function, then each argument), which is the
                // order in which Nix meets undefined variables.
                let mut applications = Vec::new();
                let mut cur = ast::Expr::Apply(a.clone());
                while let ast::Expr::Apply(app) = cur {
                    match app.lambda() {
                        Some(f) => cur = f,
                        None => return self.missing(app.syntax()),
                    }
                    applications.push(app);
                }
                let fun_is_call = matches!(strip_parens(cur.clone()), ast::Expr::Apply(_));
                let fun = self.expr(cur);
                // C++ Nix's parser also flattens `(f a) b` into `f a b`, so
                // such a call is reported where the inner one is.
                let span = match &*fun {
                    Expr::Call(_, _, inner) if fun_is_call => *inner,
                    _ => span,
                };
                let args: Vec<ExprRef> =
                    applications.iter().rev().map(|app| self.opt_expr(app.argument(), app.syntax())).collect();
                Rc::new(Expr::Call(fun, args.into(), span))
            }
            ast::Expr::Select(s) => {
                let target = self.opt_expr(s.expr(), s.syntax());
                let path = match s.attrpath() {
                    Some(p) => self.attr_path(&p),
                    None => {
                        self.missing(s.syntax());
                        Box::new([])
                    }
                };
                let default = s.default_expr().map(|d| self.expr(d));
                Rc::new(Expr::Select(Box::new(Select { expr: target, path, default, span })))
            }
            ast::Expr::HasAttr(h) => {
                let target = self.opt_expr(h.expr(), h.syntax());
                let path = match h.attrpath() {
                    Some(p) => self.attr_path(&p),
                    None => {
                        self.missing(h.syntax());
                        Box::new([])
                    }
                };
                Rc::new(Expr::HasAttr(target, path, span))
            }
            ast::Expr::IfElse(i) => {
                let c = self.opt_expr(i.condition(), i.syntax());
                let t = self.opt_expr(i.body(), i.syntax());
                let f = self.opt_expr(i.else_body(), i.syntax());
                Rc::new(Expr::If(c, t, f, span))
            }
            ast::Expr::Assert(a) => {
                let c = self.opt_expr(a.condition(), a.syntax());
                let b = self.opt_expr(a.body(), a.syntax());
                Rc::new(Expr::Assert(c, b, span))
            }
            ast::Expr::UnaryOp(u) => {
                let inner = self.opt_expr(u.expr(), u.syntax());
                match u.operator() {
                    Some(ast::UnaryOpKind::Invert) => Rc::new(Expr::Not(inner, span)),
                    Some(ast::UnaryOpKind::Negate) => Rc::new(Expr::Neg(inner, span)),
                    None => self.missing(u.syntax()),
                }
            }
            ast::Expr::BinOp(b) => {
                use ast::BinOpKind as K;
                // `a > b` and `a <= b` are `__lessThan b a` to C++ Nix, whose
                // checks of variables follow that order.
                let (lhs, rhs) = if matches!(b.operator(), Some(K::More) | Some(K::LessOrEq)) {
                    let rhs = self.opt_expr(b.rhs(), b.syntax());
                    (self.opt_expr(b.lhs(), b.syntax()), rhs)
                } else {
                    let lhs = self.opt_expr(b.lhs(), b.syntax());
                    (lhs, self.opt_expr(b.rhs(), b.syntax()))
                };
                let op = match b.operator() {
                    Some(K::Add) => BinOp::Add,
                    Some(K::Sub) => BinOp::Sub,
                    Some(K::Mul) => BinOp::Mul,
                    Some(K::Div) => BinOp::Div,
                    Some(K::Concat) => BinOp::Concat,
                    Some(K::Update) => BinOp::Update,
                    Some(K::Equal) => BinOp::Eq,
                    Some(K::NotEqual) => BinOp::NotEq,
                    Some(K::Less) => BinOp::Less,
                    Some(K::LessOrEq) => BinOp::LessEq,
                    Some(K::More) => BinOp::Greater,
                    Some(K::MoreOrEq) => BinOp::GreaterEq,
                    Some(K::And) => BinOp::And,
                    Some(K::Or) => BinOp::Or,
                    Some(K::Implication) => BinOp::Impl,
                    Some(K::PipeLeft) | Some(K::PipeRight) => {
                        self.error(span, "experimental Nix feature 'pipe-operators' is disabled".into());
                        return self.error_expr(span);
                    }
                    None => return self.missing(b.syntax()),
                };
                let rhs_start = b.rhs().map_or(span.end, |rhs| rhs.syntax().text_range().start().into());
                Rc::new(Expr::BinOp(op, lhs, rhs, span, rhs_start))
            }
            ast::Expr::With(w) => {
                let ns = self.opt_expr(w.namespace(), w.syntax());
                self.scopes.push(Scope::With);
                let body = self.opt_expr(w.body(), w.syntax());
                self.scopes.pop();
                Rc::new(Expr::With(ns, body, span))
            }
            ast::Expr::CurPos(_) => Rc::new(Expr::CurPos(span)),
            ast::Expr::Lambda(l) => self.lambda(&l, span, None),
            ast::Expr::LetIn(l) => {
                let mut pending = PendingAttrs::new(true, span);
                self.collect_entries(&l, &mut pending);
                let body_node = l.body();
                self.let_like(pending, span, |this| this.opt_expr(body_node, l.syntax()))
            }
            ast::Expr::LegacyLet(l) => {
                // `let { a = 1; body = a; }` is `(rec { a = 1; body = a; }).body`.
                let mut pending = PendingAttrs::new(true, span);
                self.collect_entries(&l, &mut pending);
                let attrs = self.attrs_from_pending(pending);
                Rc::new(Expr::Select(Box::new(Select {
                    expr: attrs,
                    path: Box::new([AttrKey::Static(Symbol::intern("body"))]),
                    default: None,
                    span,
                })))
            }
            ast::Expr::AttrSet(a) => {
                let mut pending = PendingAttrs::new(a.rec_token().is_some(), span);
                self.collect_entries(&a, &mut pending);
                self.attrs_from_pending(pending)
            }
        }
    }

    fn lambda(&mut self, l: &ast::Lambda, span: Span, name: Option<Symbol>) -> ExprRef {
        let param_node = l.param();
        let mut names = HashMap::new();
        let param = match param_node {
            Some(ast::Param::IdentParam(ip)) => {
                let n = ip.ident().map(|i| ident_name(&i)).unwrap_or_else(|| Symbol::intern(""));
                names.insert(n, 0);
                Param::Ident(n)
            }
            Some(ast::Param::Pattern(p)) => {
                let mut formal_nodes = Vec::new();
                for entry in p.pat_entries() {
                    let Some(id) = entry.ident() else { continue };
                    let n = ident_name(&id);
                    let fspan = self.span(id.syntax());
                    if names.contains_key(&n) {
                        self.error(fspan, format!("duplicate formal function argument '{}'", n));
                        continue;
                    }
                    names.insert(n, formal_nodes.len() as u32);
                    formal_nodes.push((n, entry.default(), fspan));
                }
                let bind = p.pat_bind().and_then(|b| b.ident()).map(|i| {
                    let n = ident_name(&i);
                    if names.contains_key(&n) {
                        let s = self.span(i.syntax());
                        self.error(s, format!("duplicate formal function argument '{}'", n));
                    }
                    n
                });
                if let Some(b) = bind {
                    names.entry(b).or_insert(formal_nodes.len() as u32);
                }
                let size = formal_nodes.len() as u32 + bind.is_some() as u32;
                // Defaults see every formal, so they are lowered in the
                // lambda's own scope.
                self.scopes.push(Scope::Static(names));
                self.formal_uses.push((self.scopes.len() - 1, vec![false; size as usize]));
                let mut formals = formal_nodes
                    .into_iter()
                    .map(|(n, d, s)| Formal { name: n, default: d.map(|d| self.expr(d)), span: s, referenced: true })
                    .collect::<Vec<_>>();
                let ellipsis = p.ellipsis_token().is_some();
                let body = self.lambda_body(l, name);
                self.scopes.pop();
                let (_, used) = self.formal_uses.pop().expect("pushed above");
                for (formal, used) in formals.iter_mut().zip(used) {
                    formal.referenced = used;
                }
                return Rc::new(Expr::Lambda(Rc::new(LambdaDef {
                    param: Param::Pattern { formals, ellipsis, bind },
                    body,
                    env_size: size,
                    span,
                    name,
                })));
            }
            None => {
                let m = self.missing(l.syntax());
                return m;
            }
        };
        self.scopes.push(Scope::Static(names));
        let body = self.lambda_body(l, name);
        self.scopes.pop();
        Rc::new(Expr::Lambda(Rc::new(LambdaDef { param, body, env_size: 1, span, name })))
    }

    /// A lambda's body. A function there takes the lambda's name too, as C++
    /// Nix's `setName` passes it down: in `f = x: { a }: a;` both are `'f'`
    /// in messages. Parentheses are no node in Nix's tree, so they pass it on.
    fn lambda_body(&mut self, l: &ast::Lambda, name: Option<Symbol>) -> ExprRef {
        if name.is_some() {
            if let Some(ast::Expr::Lambda(inner)) = l.body().map(strip_parens) {
                let span = self.span(inner.syntax());
                return self.lambda(&inner, span, name);
            }
        }
        self.opt_expr(l.body(), l.syntax())
    }

    fn string(&mut self, s: &ast::Str, span: Span) -> ExprRef {
        if let Some(text) = crate::strings::plain_text(s) {
            return Rc::new(Expr::Str(text.as_str().into()));
        }
        let parts = crate::strings::string_parts(s);
        let mut lowered: Vec<InterpPart> = Vec::with_capacity(parts.len());
        let mut all_literal = true;
        for part in parts {
            match part {
                crate::strings::Part::Literal(text) => {
                    lowered.push(InterpPart { expr: Rc::new(Expr::Str(text.into())), at: span.start })
                }
                crate::strings::Part::Interpolation(i) => {
                    all_literal = false;
                    let at = i.syntax().text_range().start().into();
                    lowered.push(InterpPart { expr: self.opt_expr(i.expr(), i.syntax()), at });
                }
            }
        }
        if all_literal {
            let mut text = String::new();
            for p in &lowered {
                if let Expr::Str(s) = &*p.expr {
                    text.push_str(s);
                }
            }
            return Rc::new(Expr::Str(text.into()));
        }
        Rc::new(Expr::Interp(lowered.into(), InterpKind::String, span))
    }

    fn path(&mut self, parts: Vec<rnix::NodeOrToken<String, ast::Interpol>>, kind: PathKind, span: Span) -> ExprRef {
        let mut lowered: Vec<InterpPart> = Vec::new();
        let literal = |expr: Expr| InterpPart { expr: Rc::new(expr), at: span.start };
        let mut first = true;
        let n = parts.len();
        for part in parts {
            match part {
                rnix::NodeOrToken::Node(text) => {
                    let t = text.as_str();
                    if first {
                        let p = match kind {
                            PathKind::Abs => canonicalize(Path::new(t)),
                            PathKind::Rel => canonicalize(&self.base_dir.join(t)),
                            PathKind::Home => {
                                // Resolved at evaluation time against $HOME.
                                let rest = t.trim_start_matches('~').to_string();
                                lowered.push(literal(Expr::HomePath(rest.into())));
                                first = false;
                                continue;
                            }
                        };
                        // A trailing slash survives canonicalization only
                        // when interpolation follows (`./a/${x}`).
                        let mut s = p;
                        if n > 1 && t.ends_with('/') && !s.ends_with('/') {
                            s.push('/');
                        }
                        lowered.push(literal(Expr::Path(s.into())));
                    } else {
                        lowered.push(literal(Expr::Str(t.into())));
                    }
                }
                rnix::NodeOrToken::Token(i) => {
                    let at = i.syntax().text_range().start().into();
                    lowered.push(InterpPart { expr: self.opt_expr(i.expr(), i.syntax()), at });
                }
            }
            first = false;
        }
        if lowered.len() == 1 {
            if let Some(only) = lowered.pop() {
                return only.expr;
            }
        }
        if lowered.is_empty() {
            return self.missing_at(span);
        }
        Rc::new(Expr::Interp(lowered.into(), InterpKind::Path, span))
    }

    fn attr_path(&mut self, p: &ast::Attrpath) -> Box<[AttrKey]> {
        p.attrs()
            .map(|a| match self.key_name(&a) {
                KeyName::Static(s) => AttrKey::Static(s),
                KeyName::Dynamic(a) => AttrKey::Dynamic(self.dynamic_key(&a)),
            })
            .collect()
    }

    fn key_name(&mut self, a: &ast::Attr) -> KeyName {
        match a {
            ast::Attr::Ident(id) => KeyName::Static(ident_name(id)),
            ast::Attr::Str(s) => match static_string(s) {
                Some(text) => KeyName::Static(Symbol::intern(&text)),
                None => KeyName::Dynamic(a.clone()),
            },
            ast::Attr::Dynamic(d) => match d.expr() {
                Some(ast::Expr::Str(s)) => match static_string(&s) {
                    Some(text) => KeyName::Static(Symbol::intern(&text)),
                    None => KeyName::Dynamic(a.clone()),
                },
                _ => KeyName::Dynamic(a.clone()),
            },
        }
    }

    fn dynamic_key(&mut self, a: &ast::Attr) -> ExprRef {
        let span = self.span(a.syntax());
        match a {
            ast::Attr::Ident(id) => Rc::new(Expr::Str(ident_name(id).as_str().into())),
            ast::Attr::Str(s) => self.string(s, span),
            ast::Attr::Dynamic(d) => self.opt_expr(d.expr(), d.syntax()),
        }
    }

    // ----- binding sets -----

    fn collect_entries(&mut self, node: &impl HasEntry, into: &mut PendingAttrs) {
        // C++ Nix gives the variable or selection an `inherit` makes the
        // position where its list of bindings starts: right after the `{`
        // (or the `let` of a `let ... in`), whatever comes first inside.
        let binds_at = node
            .syntax()
            .children_with_tokens()
            .filter_map(|c| c.into_token())
            .find(|t| t.kind() == rnix::SyntaxKind::TOKEN_L_BRACE)
            .or_else(|| {
                node.syntax()
                    .children_with_tokens()
                    .filter_map(|c| c.into_token())
                    .find(|t| t.kind() == rnix::SyntaxKind::TOKEN_LET)
            })
            .map_or_else(|| node.syntax().text_range().start(), |t| t.text_range().end());
        let binds_span = Span::new(self.file, binds_at.into(), binds_at.into());
        for entry in node.entries() {
            let outer_end = self.binding_end;
            let end: u32 = entry.syntax().text_range().end().into();
            self.binding_end = Some(outer_end.map_or(end, |o| o.max(end)));
            self.collect_entry(entry, binds_span, into);
            self.binding_end = outer_end;
        }
    }

    fn collect_entry(&mut self, entry: ast::Entry, binds_span: Span, into: &mut PendingAttrs) {
        match entry {
            ast::Entry::Inherit(inh) => {
                let from = inh.from().map(|f| f.expr());
                let from = match from {
                    Some(Some(e)) => Some(e),
                    Some(None) => {
                        self.missing(inh.syntax());
                        None
                    }
                    None => None,
                };
                // C++ Nix gives every name of one `inherit` the position
                // where its list of names starts: right after the keyword
                // or after `(e)` (`unsafeGetAttrPos` shows it).
                let names_at = match (inh.from(), inh.inherit_token()) {
                    (Some(f), _) => f.syntax().text_range().end(),
                    (None, Some(t)) => t.text_range().end(),
                    (None, None) => inh.syntax().text_range().start(),
                };
                let names_span = Span::new(self.file, names_at.into(), names_at.into());
                for attr in inh.attrs() {
                    let aspan = self.span(attr.syntax());
                    match self.key_name(&attr) {
                        KeyName::Static(name) => {
                            let value = PendingValue::Inherit(from.clone(), name, binds_span);
                            self.insert_static(into, name, value, names_span, &[name]);
                        }
                        KeyName::Dynamic(_) => {
                            self.error(aspan, "dynamic attributes not allowed in inherit".into());
                        }
                    }
                }
            }
            ast::Entry::AttrpathValue(apv) => {
                let Some(path) = apv.attrpath() else {
                    self.missing(apv.syntax());
                    return;
                };
                let keys: Vec<ast::Attr> = path.attrs().collect();
                let Some(value) = apv.value() else {
                    self.missing(apv.syntax());
                    return;
                };
                if keys.is_empty() {
                    return;
                }
                let mut shown = Vec::new();
                self.insert_path(into, &keys, value, &mut shown);
            }
        }
    }

    /// Insert `keys = value` into `into`, merging nested sets as Nix does.
    /// Every attribute created by one `a.b.c = v` entry gets the position of
    /// the whole path (its first element), as in C++ Nix; `unsafeGetAttrPos`
    /// and the module system's declaration positions show it.
    fn insert_path(&mut self, into: &mut PendingAttrs, keys: &[ast::Attr], value: ast::Expr, shown: &mut Vec<Symbol>) {
        let path_span = self.span(keys[0].syntax());
        self.insert_path_at(into, keys, value, shown, path_span)
    }

    fn insert_path_at(
        &mut self,
        into: &mut PendingAttrs,
        keys: &[ast::Attr],
        value: ast::Expr,
        shown: &mut Vec<Symbol>,
        kspan: Span,
    ) {
        let key = &keys[0];
        let rest = &keys[1..];
        match self.key_name(key) {
            KeyName::Dynamic(k) => {
                let v = if rest.is_empty() {
                    PendingValue::Expr(value)
                } else {
                    let mut nested = PendingAttrs::new(false, kspan);
                    let mut sub_shown = Vec::new();
                    self.insert_path_at(&mut nested, rest, value, &mut sub_shown, kspan);
                    PendingValue::Nested(nested)
                };
                into.dynamics.push((k, v, kspan));
            }
            KeyName::Static(name) => {
                shown.push(name);
                if rest.is_empty() {
                    let v = match unparenthesized_set(value) {
                        ast::Expr::AttrSet(set) if into.index.contains_key(&name) => {
                            // `a.x = 1; a = { y = 2; };` merges into the first.
                            let mut nested = PendingAttrs::new(set.rec_token().is_some(), self.span(set.syntax()));
                            self.collect_entries(&set, &mut nested);
                            PendingValue::Nested(nested)
                        }
                        other => PendingValue::Expr(other),
                    };
                    self.insert_static(into, name, v, kspan, shown);
                } else {
                    let idx = match into.index.get(&name) {
                        Some(&i) => i,
                        None => {
                            let i = into.statics.len();
                            into.statics.push((name, PendingValue::Nested(PendingAttrs::new(false, kspan)), kspan));
                            into.index.insert(name, i);
                            i
                        }
                    };
                    // An existing literal set `a = { ... };` becomes mergeable.
                    if let PendingValue::Expr(ast::Expr::AttrSet(set)) = &into.statics[idx].1 {
                        let set = set.clone();
                        let mut nested = PendingAttrs::new(set.rec_token().is_some(), self.span(set.syntax()));
                        self.collect_entries(&set, &mut nested);
                        into.statics[idx].1 = PendingValue::Nested(nested);
                    }
                    match &mut into.statics[idx].1 {
                        PendingValue::Nested(nested) => {
                            // Temporarily take it out to satisfy the borrow checker.
                            let mut taken = std::mem::replace(nested, PendingAttrs::new(false, kspan));
                            self.insert_path_at(&mut taken, rest, value, shown, kspan);
                            if let PendingValue::Nested(slot) = &mut into.statics[idx].1 {
                                *slot = taken;
                            }
                        }
                        _ => {
                            // `a = 1; a.b = 2;`: C++ Nix names the whole path being defined.
                            let first = into.statics[idx].2;
                            self.duplicate_path(kspan, shown, rest, first);
                        }
                    }
                }
            }
        }
    }

    fn insert_static(
        &mut self,
        into: &mut PendingAttrs,
        name: Symbol,
        value: PendingValue,
        span: Span,
        shown: &[Symbol],
    ) {
        if let Some(&idx) = into.index.get(&name) {
            // Two literal sets under one name merge: `a = { x = 1; }; a = { y = 2; };`.
            let existing = &mut into.statics[idx];
            let existing_set = match &existing.1 {
                PendingValue::Expr(ast::Expr::AttrSet(set)) => Some(set.clone()),
                _ => None,
            };
            if let Some(set) = existing_set {
                let mut nested = PendingAttrs::new(set.rec_token().is_some(), self.span(set.syntax()));
                self.collect_entries(&set, &mut nested);
                into.statics[idx].1 = PendingValue::Nested(nested);
            }
            let first_span = into.statics[idx].2;
            match (&mut into.statics[idx].1, value) {
                (PendingValue::Nested(target), PendingValue::Nested(src)) => merge_pending(self, target, src),
                (PendingValue::Nested(target), PendingValue::Expr(ast::Expr::AttrSet(set))) => {
                    let mut tmp = std::mem::replace(target, PendingAttrs::new(false, span));
                    self.collect_entries(&set, &mut tmp);
                    if let PendingValue::Nested(slot) = &mut into.statics[idx].1 {
                        *slot = tmp;
                    }
                }
                _ => self.duplicate(span, shown, first_span),
            }
            return;
        }
        into.index.insert(name, into.statics.len());
        into.statics.push((name, value, span));
    }

    fn duplicate(&mut self, span: Span, path: &[Symbol], first: Span) {
        self.duplicate_path(span, path, &[], first)
    }

    /// `attribute 'a.b' already defined`, for the attribute path `path`
    /// followed by the keys `rest` (a dynamic key shows as `"${...}"`).
    fn duplicate_path(&mut self, span: Span, path: &[Symbol], rest: &[ast::Attr], first: Span) {
        let mut shown = String::new();
        for name in path {
            if !shown.is_empty() {
                shown.push('.');
            }
            crate::quote::write_attr_name(name.as_str(), &mut shown);
        }
        for key in rest {
            shown.push('.');
            match self.key_name(key) {
                KeyName::Static(name) => crate::quote::write_attr_name(name.as_str(), &mut shown),
                KeyName::Dynamic(attr) => {
                    let text = attr.syntax().text().to_string();
                    let inner = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')).unwrap_or(&text);
                    shown.push_str("\"${");
                    shown.push_str(inner.trim());
                    shown.push_str("}\"");
                }
            }
        }
        // C++ Nix finds a duplicate while it parses, before it resolves names.
        let mut d = Diagnostic::syntax(span, format!("attribute '{}' already defined", shown));
        d.first_definition = Some(first);
        d.found_at = self.binding_end;
        self.diagnostics.push(d);
    }

    /// Lower a `let` (or anything with `let` scoping): statics become slots
    /// of a new environment in which `body` is lowered.
    fn let_like(&mut self, pending: PendingAttrs, span: Span, body: impl FnOnce(&mut Self) -> ExprRef) -> ExprRef {
        for (key, _, kspan) in &pending.dynamics {
            let _ = key;
            self.diagnostics.push(Diagnostic::syntax(*kspan, "dynamic attributes not allowed in let".into()));
        }
        let mut names = HashMap::new();
        for (i, (name, _, _)) in pending.statics.iter().enumerate() {
            names.insert(*name, i as u32);
        }
        self.scopes.push(Scope::Static(names));
        let values: Vec<LetBinding> = pending
            .statics
            .into_iter()
            .map(|(name, v, _)| {
                let inherited = matches!(v, PendingValue::Inherit(None, _, _));
                LetBinding { name, value: self.pending_value(v, name, true), inherited }
            })
            .collect();
        let body = body(self);
        self.scopes.pop();
        let _ = span;
        Rc::new(Expr::Let(values.into(), body))
    }

    fn attrs_from_pending(&mut self, mut pending: PendingAttrs) -> ExprRef {
        // Sorted by symbol: the evaluator builds the set without sorting.
        pending.statics.sort_by_key(|(name, _, _)| *name);
        let rec = pending.rec;
        if rec {
            let mut names = HashMap::new();
            for (i, (name, _, _)) in pending.statics.iter().enumerate() {
                names.insert(*name, i as u32);
            }
            self.scopes.push(Scope::Static(names));
        }
        let mut statics = Vec::with_capacity(pending.statics.len());
        for (name, v, aspan) in pending.statics {
            let inherited = matches!(v, PendingValue::Inherit(None, _, _));
            let value = self.pending_value(v, name, rec);
            statics.push(StaticAttr { name, value, span: aspan, inherited });
        }
        let mut dynamics = Vec::with_capacity(pending.dynamics.len());
        for (key, v, kspan) in pending.dynamics {
            let name = self.dynamic_key(&key);
            let value = self.pending_value(v, Symbol::intern(""), false);
            dynamics.push(DynamicAttr { name, value, span: kspan });
        }
        if rec {
            self.scopes.pop();
        }
        let overrides = if rec { statics.iter().position(|a| a.name.as_str() == "__overrides") } else { None };
        Rc::new(Expr::Attrs(Rc::new(AttrsDef { rec, statics, dynamics, span: pending.span, overrides })))
    }

    /// `in_new_scope`: the innermost scope is the one this binding belongs
    /// to, so a plain `inherit x;` must skip it.
    fn pending_value(&mut self, v: PendingValue, name: Symbol, in_new_scope: bool) -> ExprRef {
        match v {
            // A function bound to a name is named by it (through parentheses).
            PendingValue::Expr(e) => match strip_parens(e.clone()) {
                ast::Expr::Lambda(l) => {
                    let span = self.span(l.syntax());
                    self.lambda(&l, span, Some(name))
                }
                _ => self.expr(e),
            },
            PendingValue::Nested(p) => self.attrs_from_pending(p),
            PendingValue::Inherit(None, n, span) => self.var(n, span, in_new_scope as usize),
            PendingValue::Inherit(Some(from), n, span) => {
                let target = self.expr(from);
                Rc::new(Expr::Select(Box::new(Select {
                    expr: target,
                    path: Box::new([AttrKey::Static(n)]),
                    default: None,
                    span,
                })))
            }
        }
    }
}

/// Merge a later literal set into an earlier one of the same name
/// (`a = { x = 1; }; a = { y = 2; };`) as C++ Nix 2.8 does: one level deep,
/// so a name both define is a duplicate (reported at the first, "already
/// defined" at the second), and the later set's dynamic attributes are lost.
fn merge_pending(lowerer: &mut Lowerer, target: &mut PendingAttrs, src: PendingAttrs) {
    for (name, v, span) in src.statics {
        match target.index.get(&name) {
            Some(&idx) => {
                let first = target.statics[idx].2;
                lowerer.duplicate(first, &[name], span);
            }
            None => {
                target.index.insert(name, target.statics.len());
                target.statics.push((name, v, span));
            }
        }
    }
}

enum PathKind {
    Abs,
    Rel,
    Home,
}

/// `e` without the parentheses around it.
fn strip_parens(mut e: ast::Expr) -> ast::Expr {
    while let ast::Expr::Paren(p) = &e {
        match p.expr() {
            Some(inner) => e = inner,
            None => break,
        }
    }
    e
}

fn ident_name(id: &ast::Ident) -> Symbol {
    // The identifier's one token, read in place: collecting the node's
    // text would format it into a fresh string for every name.
    match id.ident_token() {
        Some(token) => Symbol::intern(token.text()),
        None => Symbol::intern(id.syntax().text().to_string().trim()),
    }
}

/// A set literal in parentheses, as the set itself: C++ Nix's parser has no
/// node for parentheses, so `a = ({ b = 1; }); a.c = 2;` merges as
/// `a = { b = 1; }; a.c = 2;` does. Any other expression as it is.
fn unparenthesized_set(e: ast::Expr) -> ast::Expr {
    match strip_parens(e.clone()) {
        set @ ast::Expr::AttrSet(_) => set,
        _ => e,
    }
}

/// The text of a string without interpolation, or `None`.
fn static_string(s: &ast::Str) -> Option<String> {
    if let Some(text) = crate::strings::plain_text(s) {
        return Some(text.as_str().to_string());
    }
    let mut out = String::new();
    for part in crate::strings::string_parts(s) {
        match part {
            crate::strings::Part::Literal(t) => out.push_str(&t),
            crate::strings::Part::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// Lexical canonicalization, as Nix does for path literals: no symlink
/// resolution, `.` and `..` removed, no trailing slash.
pub fn canonicalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => parts.clear(),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    format!("/{}", parts.join("/"))
}

/// C++ Nix rejects a float literal when `strtod` sets `ERANGE`: on overflow
/// (`1.0e309`) and on underflow, where glibc's result is subnormal or zero
/// for a non-zero literal (`5.0e-324`, `1.0e-400`).
fn float_out_of_range(v: f64, text: &str) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    v.is_infinite() || (v.abs() < f64::MIN_POSITIVE && mantissa.bytes().any(|b| matches!(b, b'1'..=b'9')))
}
