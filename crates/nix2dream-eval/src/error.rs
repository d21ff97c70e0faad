//! Evaluation errors, as data: a kind, a message, a span and a trace.

use nix2dream_syntax::Span;
use std::fmt;

pub type EvalResult<T> = Result<T, EvalError>;

/// What went wrong, coarsely; `tryEval` and embedders branch on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `throw`: catchable by `tryEval`.
    Throw,
    /// A failed `assert`: catchable by `tryEval`.
    Assertion,
    /// `abort`: never caught.
    Abort,
    /// A parse or lowering error in a file.
    Syntax,
    /// A value of the wrong type, a missing attribute, a bad argument.
    Type,
    InfiniteRecursion,
    /// The evaluation went deeper than the configured limit.
    StackOverflow,
    /// Reading a file or directory failed, or was not allowed.
    Io,
    /// The embedder's interrupt hook or fuel limit stopped the evaluation.
    Interrupted,
    /// Everything else (division by zero, bad regex, ...).
    Other,
}

/// One line of the evaluation trace ("while evaluating the attribute 'x'").
#[derive(Clone, Debug, PartialEq)]
pub struct TraceFrame {
    pub span: Option<Span>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct ErrorData {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Span>,
    /// Innermost first.
    pub trace: Vec<TraceFrame>,
    /// A suggestion shown after the location ("Did you mean foo?").
    pub hint: Option<String>,
}

/// An evaluation error. Boxed so that `Result<Value, EvalError>` stays small.
#[derive(Clone, Debug, thiserror::Error)]
pub struct EvalError(pub Box<ErrorData>);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl EvalError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Option<Span>) -> EvalError {
        EvalError(Box::new(ErrorData { kind, message: message.into(), span, trace: Vec::new(), hint: None }))
    }

    pub fn type_error(message: impl Into<String>, span: Span) -> EvalError {
        EvalError::new(ErrorKind::Type, message, Some(span))
    }

    /// What deep or endless recursion reports, in C++ Nix's words.
    pub fn stack_overflow(span: Option<Span>) -> EvalError {
        EvalError::new(ErrorKind::StackOverflow, "stack overflow (possible infinite recursion)", span)
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    pub fn trace(&self) -> &[TraceFrame] {
        &self.0.trace
    }

    /// Give the error a position if it has none yet.
    pub fn at(mut self, span: Span) -> EvalError {
        if self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }

    /// Add a trace line (outer context).
    pub fn context(mut self, span: Option<Span>, message: impl Into<String>) -> EvalError {
        if self.0.trace.len() < 64 {
            self.0.trace.push(TraceFrame { span, message: message.into() });
        }
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> EvalError {
        self.0.hint = Some(hint.into());
        self
    }

    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    pub fn is_catchable(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Throw | ErrorKind::Assertion)
    }
}
