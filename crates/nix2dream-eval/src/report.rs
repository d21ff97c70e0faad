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
        // Continuation lines of a message line up under its first line.
        let message = err.message().trim_end().replace('\n', "\n       ");
        if message.starts_with('\n') {
            let _ = writeln!(out, "error:{}", message);
        } else {
            let _ = writeln!(out, "error: {}", message);
        }
        // C++ Nix 2.8's `throw` has no position; ours shows the one we
        // keep, except under a blank message, where Nix's report has no
        // text at all (see below) and a lone position would say nothing.
        let blank_throw = err.kind() == crate::ErrorKind::Throw && is_blank(&message);
        if let Some(span) = err.span().filter(|_| !blank_throw) {
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
        // C++ Nix trims every line's trailing blanks, then filters the
        // report on its way to stderr.
        // A report with nothing but blanks after "error:" is printed as an
        // empty line: Nix trims the report's end before it puts "error: "
        // in front of its first line, and there is no first line then.
        if is_blank(&out["error:".len()..]) {
            return "\n".to_string();
        }
        let mut report = String::with_capacity(out.len());
        for line in out.lines() {
            report.push_str(line.trim_end());
            report.push('\n');
        }
        filter_terminal(report)
    }

    fn render_location(&self, span: Span, out: &mut String) {
        if span.file.index() == 0 {
            return;
        }
        let _ = writeln!(out, "\n       at {}:", self.location_text(span));
        let file = self.sources.get(span.file);
        let lc = file.line_col(span.start);
        // The lines around the error, chosen as C++ Nix 2.8 chooses them. It
        // reads a file again line by line and keeps only lines that a newline
        // ends (without the error's line it shows none); it reads text given
        // on the command line with `getline`, which also returns a last line
        // with no newline, so the line after shows when the error's has one.
        let from_file = matches!(file.origin, nix2dream_syntax::Origin::Path(_));
        if from_file && !file.line_is_terminated(lc.line) {
            return;
        }
        out.push('\n');
        if lc.line > 1 {
            let _ = writeln!(out, "{}", source_line(lc.line - 1, file.line_text(lc.line - 1)));
        }
        let _ = writeln!(out, "{}", source_line(lc.line, file.line_text(lc.line)));
        if lc.column > 0 {
            let _ = writeln!(out, "{}", caret_line(lc.column));
        }
        if file.line_is_terminated(if from_file { lc.line + 1 } else { lc.line }) {
            let _ = writeln!(out, "{}", source_line(lc.line + 1, file.line_text(lc.line + 1)));
        }
    }
}

/// Whether `s` is all blanks as C++ Nix's `chomp` counts them.
fn is_blank(s: &str) -> bool {
    s.trim_matches([' ', '\n', '\r', '\t']).is_empty()
}

/// What comes before a line of code: as wide as an error's continuation
/// lines.
const CODE_PREFIX: &str = "       ";

/// A line of source in an error report, `NNNNN| text`: the number
/// right-aligned in five columns, as C++ Nix prints it.
pub fn source_line(number: u32, text: &str) -> String {
    format!("{CODE_PREFIX} {number:>5}| {}", text.trim_end())
}

/// The caret under 1-based `column` of a [`source_line`]: C++ Nix pads
/// with spaces, tabs or not.
pub fn caret_line(column: u32) -> String {
    format!("{CODE_PREFIX}      |{}^", " ".repeat(column as usize))
}

/// C++ Nix passes the whole report through `filterANSIEscapes` on its way
/// to a non-terminal stderr: escape sequences are dropped, `\r` is dropped
/// and a tab becomes spaces up to the next multiple of 8 characters,
/// counted from the start of the report (newlines included).
fn filter_terminal(s: String) -> String {
    if !s.contains(['\t', '\r', '\x1b']) {
        return s;
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
