//! The lowered program: an owned tree with every variable resolved.
//!
//! Each scope that introduces names (`let`, `rec`, a lambda, `with`) becomes
//! one runtime environment, so a variable is a hop count plus a slot index,
//! as in C++ Nix. Only names under a `with` are looked up by name at run time.

use crate::intern::Symbol;
use crate::source::Span;
use std::rc::Rc;

pub type ExprRef = Rc<Expr>;

#[derive(Debug)]
pub enum Expr {
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// An absolute, canonical path literal (relative ones are resolved
    /// against the file's directory while lowering).
    Path(Rc<String>),
    /// `~/rest`: resolved against `$HOME` when evaluated.
    HomePath(Rc<str>),
    Var(Var, Span),
    Select(Box<Select>),
    HasAttr(ExprRef, Box<[AttrKey]>, Span),
    Attrs(Rc<AttrsDef>),
    List(Box<[ExprRef]>),
    Lambda(Rc<LambdaDef>),
    /// `f a b c`, flattened.
    Call(ExprRef, Box<[ExprRef]>, Span),
    /// The bindings in their slot order, then the body.
    Let(Box<[LetBinding]>, ExprRef),
    With(ExprRef, ExprRef, Span),
    If(ExprRef, ExprRef, ExprRef, Span),
    Assert(ExprRef, ExprRef, Span),
    Not(ExprRef, Span),
    Neg(ExprRef, Span),
    /// The operator, its operands, its span, and where the right operand
    /// starts: C++ Nix reports `+`'s errors about that operand there.
    BinOp(BinOp, ExprRef, ExprRef, Span, u32),
    /// String interpolation; `path` when the first part is a path literal.
    Interp(Box<[InterpPart]>, InterpKind, Span),
    CurPos(Span),
    /// Stands in for a part of the tree that had errors; evaluating it fails
    /// with the first diagnostic of the file.
    Error(Span),
}

/// A part of an interpolated string or path.
#[derive(Debug)]
pub struct InterpPart {
    pub expr: ExprRef,
    /// Where C++ Nix reports an error in coercing this part: at its `${`
    /// (a literal part, which cannot fail, at the string's start).
    pub at: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpKind {
    String,
    Path,
}

#[derive(Debug, Clone)]
pub enum Var {
    /// Found lexically: walk `depth` environments up, read `slot`.
    Local { depth: u32, slot: u32 },
    /// One of the global builtins (`true`, `map`, `builtins`, ...).
    Global(u32),
    /// Not bound lexically: search the enclosing `with` scopes, innermost
    /// first; `with_depths` are their hop counts.
    With { name: Symbol, with_depths: Rc<[u32]> },
}

#[derive(Debug)]
pub struct Select {
    pub expr: ExprRef,
    pub path: Box<[AttrKey]>,
    pub default: Option<ExprRef>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum AttrKey {
    Static(Symbol),
    Dynamic(ExprRef),
}

#[derive(Debug)]
pub struct AttrsDef {
    /// `rec { }`: static values are evaluated in a new environment whose
    /// slots are the static attributes, in `statics` order.
    pub rec: bool,
    pub statics: Vec<StaticAttr>,
    pub dynamics: Vec<DynamicAttr>,
    pub span: Span,
    /// In a `rec` set, the index in `statics` of an attribute named
    /// `__overrides`: its attributes replace the set's own, also for the
    /// other attributes that refer to them.
    pub overrides: Option<usize>,
}

/// One binding of a `let`: its name and whether it is a plain `inherit`
/// are only for showing the expression in messages.
#[derive(Debug)]
pub struct LetBinding {
    pub name: Symbol,
    pub value: ExprRef,
    pub inherited: bool,
}

#[derive(Debug)]
pub struct StaticAttr {
    pub name: Symbol,
    pub value: ExprRef,
    pub span: Span,
    /// `inherit x;`: evaluated in the enclosing scope (the lowering
    /// resolves it there, also in a `rec` set); shown as written.
    pub inherited: bool,
}

#[derive(Debug)]
pub struct DynamicAttr {
    pub name: ExprRef,
    pub value: ExprRef,
    pub span: Span,
}

#[derive(Debug)]
pub struct LambdaDef {
    pub param: Param,
    pub body: ExprRef,
    /// Slots of the lambda's environment.
    pub env_size: u32,
    pub span: Span,
    /// The name of the binding this lambda was defined under, for traces.
    pub name: Option<Symbol>,
}

#[derive(Debug)]
pub enum Param {
    /// `x: body`, slot 0.
    Ident(Symbol),
    /// `{ a, b ? d, ... } @ bind: body`: formal `i` lives in slot `i`, the
    /// bind (if any) in the slot after the last formal.
    Pattern { formals: Vec<Formal>, ellipsis: bool, bind: Option<Symbol> },
}

#[derive(Debug)]
pub struct Formal {
    pub name: Symbol,
    pub default: Option<ExprRef>,
    pub span: Span,
    /// Whether the body or a default refers to it. A default nothing
    /// refers to can never be evaluated, so a call does not make it.
    pub referenced: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Concat,
    Update,
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    And,
    Or,
    Impl,
}

impl Expr {
    pub fn span(&self) -> Option<Span> {
        match self {
            Expr::Var(_, s)
            | Expr::HasAttr(_, _, s)
            | Expr::Call(_, _, s)
            | Expr::With(_, _, s)
            | Expr::If(_, _, _, s)
            | Expr::Assert(_, _, s)
            | Expr::Not(_, s)
            | Expr::Neg(_, s)
            | Expr::BinOp(_, _, _, s, _)
            | Expr::Interp(_, _, s)
            | Expr::CurPos(s)
            | Expr::Error(s) => Some(*s),
            Expr::Select(sel) => Some(sel.span),
            Expr::Attrs(a) => Some(a.span),
            Expr::Lambda(l) => Some(l.span),
            _ => None,
        }
    }
}
