//! nix2dream-syntax: the Nix front end.
//!
//! Parses Nix with `rnix` and lowers the lossless tree into [`ir::Expr`], an
//! owned IR in which every variable is already resolved to an environment
//! slot (or, under `with`, marked for a dynamic lookup). Lowering never stops
//! at the first problem: it returns a tree *and* every [`Diagnostic`].
//!
//! Start reading at [`lower::lower_file`], then [`ir`].
//!
//! Architecture invariant: this crate knows nothing of evaluation. It does
//! not read files, hold values, or call builtins; the evaluator tells it
//! which global names exist through [`lower::Globals`].

pub mod diagnostics;
mod grammar;
pub mod intern;
pub mod ir;
pub mod lower;
mod parse;
pub mod quote;
pub mod source;
mod strings;

pub use diagnostics::Diagnostic;
pub use intern::{FxHashMap, FxHashSet, Symbol, SymbolMap};
pub use lower::{lower_file, lower_file_scoped, Globals, Lowered};
pub use quote::{write_attr_name, write_attr_name_bytes, write_quoted, write_quoted_bytes};
pub use source::{FileId, LineCol, Origin, SourceFile, SourceMap, Span};
