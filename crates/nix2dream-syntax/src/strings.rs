//! String literal contents with C++ Nix's exact rules: escapes, and the
//! indentation stripping of `''` strings (`stripIndentation` in Nix's
//! parser). rnix hands us raw content tokens; this re-splits them into the
//! tokens Nix's lexer would produce, because stripping depends on them
//! (escapes and `$` end leading whitespace; only the last token loses a
//! trailing whitespace-only line).

use rnix::ast;
use rnix::{NodeOrToken, SyntaxKind};
use rowan::ast::AstNode;

pub enum Part {
    Literal(String),
    Interpolation(ast::Interpol),
}

/// A lexer token of an indented string: text, and whether it is plain
/// text that counts for indentation.
enum Tok {
    Text(String, bool),
    Interp(ast::Interpol),
}

/// The content of a `"..."` string that is one run of text without
/// escapes or interpolation (most strings in a deployment), read in place:
/// what [`string_parts`] would give, without its copies.
pub fn plain_text(s: &ast::Str) -> Option<PlainText> {
    let mut content = None;
    for child in s.syntax().children_with_tokens() {
        let NodeOrToken::Token(t) = child else { return None };
        match t.kind() {
            SyntaxKind::TOKEN_STRING_START if t.text() != "\"" => return None,
            SyntaxKind::TOKEN_STRING_CONTENT if content.is_some() || t.text().contains(['\\', '\r']) => return None,
            SyntaxKind::TOKEN_STRING_CONTENT => content = Some(t),
            _ => {}
        }
    }
    Some(PlainText(content))
}

/// See [`plain_text`]: the string's one content token, if it is not empty.
pub struct PlainText(Option<rnix::SyntaxToken>);

impl PlainText {
    pub fn as_str(&self) -> &str {
        self.0.as_ref().map_or("", |t| t.text())
    }
}

pub fn string_parts(s: &ast::Str) -> Vec<Part> {
    let mut multiline = false;
    let mut raw: Vec<NodeOrToken<String, ast::Interpol>> = Vec::new();
    for child in s.syntax().children_with_tokens() {
        match child {
            NodeOrToken::Token(t) => match t.kind() {
                SyntaxKind::TOKEN_STRING_START => multiline = t.text() == "''",
                SyntaxKind::TOKEN_STRING_CONTENT => raw.push(NodeOrToken::Node(t.text().to_string())),
                _ => {}
            },
            NodeOrToken::Node(n) => {
                if let Some(i) = ast::Interpol::cast(n) {
                    raw.push(NodeOrToken::Token(i));
                }
            }
        }
    }
    if multiline {
        indented_parts(raw)
    } else {
        raw.into_iter()
            .map(|p| match p {
                NodeOrToken::Node(text) => Part::Literal(unescape_plain(&text)),
                NodeOrToken::Token(i) => Part::Interpolation(i),
            })
            .collect()
    }
}

fn unescape_plain(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        // A CR or CRLF line ending is a newline, as in C++ Nix's lexer.
        if c == '\r' {
            out.push('\n');
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
        } else if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Split raw `''` content into Nix lexer tokens.
fn lex_indented(raw: &str, out: &mut Vec<Tok>) {
    let b: Vec<char> = raw.chars().collect();
    let mut plain = String::new();
    let flush = |plain: &mut String, out: &mut Vec<Tok>| {
        if !plain.is_empty() {
            out.push(Tok::Text(std::mem::take(plain), true));
        }
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\'' && b.get(i + 1) == Some(&'\'') {
            match b.get(i + 2) {
                Some('$') => {
                    flush(&mut plain, out);
                    out.push(Tok::Text("$".into(), false));
                    i += 3;
                }
                Some('\'') => {
                    flush(&mut plain, out);
                    out.push(Tok::Text("''".into(), false));
                    i += 3;
                }
                Some('\\') => {
                    flush(&mut plain, out);
                    let esc = match b.get(i + 3) {
                        Some('n') => "\n".to_string(),
                        Some('r') => "\r".to_string(),
                        Some('t') => "\t".to_string(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    out.push(Tok::Text(esc, false));
                    i += 4;
                }
                _ => {
                    // Cannot happen inside content (it would close the string).
                    plain.push_str("''");
                    i += 2;
                }
            }
        } else if c == '$' && matches!(b.get(i + 1), None | Some('\'')) {
            flush(&mut plain, out);
            out.push(Tok::Text("$".into(), false));
            i += 1;
        } else if c == '$' {
            // `$x` and `$$` are plain text.
            plain.push(c);
            if let Some(&n) = b.get(i + 1) {
                plain.push(n);
            }
            i += 2;
        } else if c == '\'' && matches!(b.get(i + 1), None | Some('$')) {
            flush(&mut plain, out);
            out.push(Tok::Text("'".into(), false));
            i += 1;
        } else {
            plain.push(c);
            i += 1;
        }
    }
    flush(&mut plain, out);
}

fn indented_parts(raw: Vec<NodeOrToken<String, ast::Interpol>>) -> Vec<Part> {
    let mut toks = Vec::new();
    for (idx, p) in raw.into_iter().enumerate() {
        match p {
            NodeOrToken::Node(mut text) => {
                if idx == 0 {
                    // The opening `''` swallows spaces up to the first newline.
                    let spaces = text.chars().take_while(|&c| c == ' ').count();
                    if text[spaces..].starts_with('\n') {
                        text = text[spaces + 1..].to_string();
                    }
                }
                lex_indented(&text, &mut toks);
            }
            NodeOrToken::Token(i) => toks.push(Tok::Interp(i)),
        }
    }
    // Minimum indentation over lines that have content.
    let mut at_start = true;
    let mut min_indent = usize::MAX;
    let mut cur = 0;
    for t in &toks {
        match t {
            Tok::Text(s, true) => {
                for c in s.chars() {
                    if at_start {
                        if c == ' ' {
                            cur += 1;
                        } else if c == '\n' {
                            cur = 0;
                        } else {
                            at_start = false;
                            min_indent = min_indent.min(cur);
                        }
                    } else if c == '\n' {
                        at_start = true;
                        cur = 0;
                    }
                }
            }
            _ => {
                if at_start {
                    at_start = false;
                    min_indent = min_indent.min(cur);
                }
            }
        }
    }
    if min_indent == usize::MAX {
        min_indent = 1_000_000;
    }
    // Strip it.
    let mut parts = Vec::new();
    at_start = true;
    let mut dropped = 0;
    let n = toks.len();
    for (k, t) in toks.into_iter().enumerate() {
        match t {
            Tok::Interp(i) => {
                at_start = false;
                dropped = 0;
                parts.push(Part::Interpolation(i));
            }
            Tok::Text(s, _) => {
                let mut s2 = String::with_capacity(s.len());
                for c in s.chars() {
                    if at_start {
                        if c == ' ' {
                            if dropped >= min_indent {
                                s2.push(c);
                            }
                            dropped += 1;
                        } else if c == '\n' {
                            dropped = 0;
                            s2.push(c);
                        } else {
                            at_start = false;
                            dropped = 0;
                            s2.push(c);
                        }
                    } else {
                        s2.push(c);
                        if c == '\n' {
                            at_start = true;
                        }
                    }
                }
                if k + 1 == n {
                    if let Some(p) = s2.rfind('\n') {
                        if s2[p + 1..].chars().all(|c| c == ' ') {
                            s2.truncate(p + 1);
                        }
                    }
                }
                parts.push(Part::Literal(s2));
            }
        }
    }
    parts
}

/// The parts of a path literal (`./a/${b}/c`). rnix's own accessor panics
/// on a path whose interpolation failed to parse (found by fuzzing), so
/// anything that is neither path text nor an interpolation is skipped here;
/// the parse error is reported separately.
pub fn path_parts(node: &rnix::SyntaxNode) -> Vec<NodeOrToken<String, ast::Interpol>> {
    node.children_with_tokens()
        .filter_map(|child| match child {
            NodeOrToken::Token(t) => match t.kind() {
                SyntaxKind::TOKEN_PATH_ABS | SyntaxKind::TOKEN_PATH_REL | SyntaxKind::TOKEN_PATH_HOME => {
                    Some(NodeOrToken::Node(t.text().to_string()))
                }
                _ => None,
            },
            NodeOrToken::Node(n) => ast::Interpol::cast(n).map(NodeOrToken::Token),
        })
        .collect()
}
