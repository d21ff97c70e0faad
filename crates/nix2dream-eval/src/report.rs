//! Render an [`EvalError`] as C++ Nix does: the message, the position, the
//! source line with a caret, then the trace. Returns text; printing it is
//! the caller's business.

use crate::error::EvalError;
use crate::Evaluator;
use nix2dream_syntax::Span;
use std::fmt::Write;

impl Evaluator {
    /// The full, human-readable report of an error.
    pub fn render_error(&self, err: &EvalError) -> String {
        let mut out = String::new();
        // Continuation lines of a message line up under its first line;
        // trailing blanks are trimmed from every line, as C++ Nix does.
        let message = err.message().split('\n').map(str::trim_end).collect::<Vec<_>>().join("\n       ");
        let message = message.trim_end();
        if message.starts_with('\n') {
            let _ = writeln!(out, "error:{}", message);
        } else {
            let _ = writeln!(out, "error: {}", message);
        }
        if let Some(span) = err.span() {
            self.render_location(span, &mut out);
        }
        if let Some(hint) = err.hint() {
            let _ = writeln!(out, "\n       {}", hint);
        }
        for frame in err.trace() {
            let _ = writeln!(out, "\n       … {}", frame.message);
            if let Some(span) = frame.span {
                self.render_location(span, &mut out);
            }
        }
        filter_terminal(&out)
    }

    fn render_location(&self, span: Span, out: &mut String) {
        if span.file.index() == 0 {
            return;
        }
        let file = self.sources.get(span.file);
        let lc = file.line_col(span.start);
        let origin = match &file.origin {
            nix2dream_syntax::Origin::Path(p) => p.display().to_string(),
            nix2dream_syntax::Origin::Named(n) => n.clone(),
        };
        let _ = writeln!(out, "\n       at {}:{}:{}:\n", origin, lc.line, lc.column);
        let width = (lc.line + 1).to_string().len();
        if lc.line > 1 {
            let prev = file.line_text(lc.line - 1);
            if !prev.trim().is_empty() {
                let _ = writeln!(out, "       {:>w$}| {}", lc.line - 1, prev, w = width + 4);
            }
        }
        let _ = writeln!(out, "       {:>w$}| {}", lc.line, file.line_text(lc.line), w = width + 4);
        let line_text = file.line_text(lc.line);
        let caret_pad: String =
            line_text.chars().take(lc.column as usize - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let _ = writeln!(out, "       {:>w$}| {}^", "", caret_pad, w = width + 4);
    }
}

/// C++ Nix passes the whole report through `filterANSIEscapes` on its way
/// to a non-terminal stderr: escape sequences are dropped, `\r` is dropped
/// and a tab becomes spaces up to the next multiple of 8 characters,
/// counted from the start of the report (newlines included).
fn filter_terminal(s: &str) -> String {
    if !s.contains(['\t', '\r', '\x1b']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut width = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.next_if_eq(&'[').is_some() {
                    while chars.next_if(|c| ('\x30'..='\x3f').contains(c)).is_some() {}
                    while chars.next_if(|c| ('\x20'..='\x2f').contains(c)).is_some() {}
                    chars.next_if(|c| ('\x40'..='\x7e').contains(c));
                } else {
                    chars.next_if(|c| ('\x40'..='\x5f').contains(c));
                }
            }
            '\t' => {
                out.push(' ');
                width += 1;
                while !width.is_multiple_of(8) {
                    out.push(' ');
                    width += 1;
                }
            }
            '\r' => {}
            c => {
                out.push(c);
                width += 1;
            }
        }
    }
    out
}
