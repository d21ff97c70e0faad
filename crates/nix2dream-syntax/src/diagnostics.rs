//! Diagnostics: problems found while parsing and lowering, as data.

use crate::source::{FileId, Span};
use rnix::{ParseError, SyntaxKind, SyntaxNode};
use std::cell::OnceCell;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// Found while parsing: a syntax error, or what C++ Nix's parser checks
    /// (a duplicate attribute), as opposed to a check once the tree is
    /// built (an undefined variable). Nix reports those first.
    pub is_syntax: bool,
    /// For "already defined" errors: where the first definition is.
    pub first_definition: Option<Span>,
    /// Where C++ Nix's parser meets the problem, when that is not where it
    /// is reported: a duplicate attribute is found when the binding that
    /// repeats it is reduced, at its `;`.
    pub found_at: Option<u32>,
}

impl Diagnostic {
    pub fn error(span: Span, message: String) -> Diagnostic {
        Diagnostic { span, message, is_syntax: false, first_definition: None, found_at: None }
    }

    /// An error C++ Nix's parser reports (see `is_syntax`).
    pub fn syntax(span: Span, message: String) -> Diagnostic {
        Diagnostic { span, message, is_syntax: true, first_definition: None, found_at: None }
    }
}

/// Bison's list where only an attribute name may come (after `.` or `?`).
pub(crate) const EXPECTING_NAME: &str = ", expecting ID or OR_KW or DOLLAR_CURLY or '\"'";

/// rnix's errors for one file in Nix's wording where it can, and where
/// rnix gave up, if it did.
///
/// rnix gives up on expressions nested more than 512 deep (Nix's parser
/// takes about ten times as many): it reads the rest of the file as one
/// error node, and every enclosing expression then misses its end. Errors
/// from there on are not the file's, so they are left out, and the limit
/// is reported where it was reached.
pub(crate) fn from_parse_errors(
    errors: &[ParseError],
    root: &SyntaxNode,
    file: FileId,
    text: &str,
) -> (Vec<Diagnostic>, Option<u32>) {
    let tokens = FileTokens::new(text);
    let mut out = Vec::new();
    for err in errors {
        if let ParseError::RecursionLimitExceeded = err {
            let at = nesting_limit_position(root);
            out.push(Diagnostic::syntax(
                Span::new(file, at, at),
                "syntax error, expression nested too deeply (nix2dream's parser takes up to 512 levels)".to_string(),
            ));
            return (out, Some(at));
        }
        out.push(from_parse_error(err, file, &tokens));
    }
    (out, None)
}

/// Where rnix stopped for nesting too deep: the start of the error node
/// that took every token left, the innermost error on the tree's
/// rightmost path (walked without recursion: the tree is deep there).
fn nesting_limit_position(root: &SyntaxNode) -> u32 {
    let mut node = root.clone();
    let mut at = root.text_range().end();
    // rnix's limit node takes every token left, so the parents' missing
    // parts after it (an `else`, a `)`) are empty nodes: skip those.
    while let Some(last) = node.children().filter(|child| !child.text_range().is_empty()).last() {
        if last.kind() == SyntaxKind::NODE_ERROR {
            let first = last.children_with_tokens().find(|t| !t.kind().is_trivia());
            at = first.map_or(last.text_range().start(), |t| t.text_range().start());
        }
        node = last;
    }
    at.into()
}

/// A file's tokens as Nix 2.8 cuts them, with their offsets: made once
/// however many errors a file has (each used to tokenize the whole file,
/// so a file with thousands of errors took seconds).
struct FileTokens<'t> {
    text: &'t str,
    cut: OnceCell<Vec<Token<'t>>>,
}

#[derive(Clone, Copy)]
struct Token<'t> {
    kind: SyntaxKind,
    start: usize,
    text: &'t str,
}

impl<'t> FileTokens<'t> {
    fn new(text: &'t str) -> Self {
        FileTokens { text, cut: OnceCell::new() }
    }

    fn all(&self) -> &[Token<'t>] {
        self.cut.get_or_init(|| {
            let mut start = 0;
            crate::parse::tokenize(self.text)
                .into_iter()
                .map(|(kind, text)| {
                    start += text.len();
                    Token { kind, start: start - text.len(), text }
                })
                .collect()
        })
    }

    /// The tokens that start before `offset`, and the others.
    fn split_at(&self, offset: usize) -> (&[Token<'t>], &[Token<'t>]) {
        let all = self.all();
        all.split_at(all.partition_point(|t| t.start < offset))
    }

    /// Where C++ Nix reports the end of this file (see `end_of_file_span`).
    fn end_of_file(&self, file: FileId) -> Span {
        let start = self.all().last().map_or(0, |t| t.start) as u32;
        Span::new(file, start, start)
    }

    /// The first token at or after `offset` that is not a blank or a
    /// comment: its kind and where it starts.
    fn next_significant(&self, offset: usize) -> Option<(SyntaxKind, usize)> {
        self.split_at(offset).1.iter().find(|t| !t.kind.is_trivia()).map(|t| (t.kind, t.start))
    }
}

/// Translate rnix's error into Nix's wording where it can.
fn from_parse_error(err: &ParseError, file: FileId, tokens: &FileTokens) -> Diagnostic {
    let text = tokens.text;
    let span_of = |r: rnix::TextRange| Span::new(file, r.start().into(), r.end().into());
    let (span, message) = match err {
        ParseError::Unexpected(r) => {
            let got = &text[usize::from(r.start())..usize::from(r.end())];
            let mut message = error_token_message(got);
            if message.starts_with("syntax error, unexpected ") && !message.contains(", expecting") {
                message.push_str(expected_after(tokens, r.start().into()));
            }
            (span_of(*r), message)
        }
        // Tokens after a whole expression: Nix has reduced it to the file's
        // expression, after which only the end of the file may come.
        ParseError::UnexpectedExtra(r) => {
            let got = &text[usize::from(r.start())..usize::from(r.end())];
            let message = error_token_message(got);
            let chained = tokens.next_significant(usize::from(r.start())).is_some_and(|(kind, _)| is_comparison(kind));
            let message = match message.starts_with("syntax error, unexpected ") && !chained {
                true => format!("{}, expecting end of file", message),
                false => message,
            };
            (span_of(*r), message)
        }
        // `let` where an operand goes starts Nix's old `let { ... }`: what
        // follows the keyword is unexpected unless it is `{`.
        ParseError::UnexpectedWanted(SyntaxKind::TOKEN_LET, r, wanted) => {
            match tokens.next_significant(usize::from(r.end())) {
                // Nix's old `let { ... }`, which we do not take as an operand.
                Some((SyntaxKind::TOKEN_L_BRACE, _)) => (
                    span_of(*r),
                    format!("syntax error, unexpected {}{}", describe_kind(SyntaxKind::TOKEN_LET), expecting(wanted)),
                ),
                Some((kind, start)) => (
                    Span::new(file, start as u32, start as u32),
                    format!("syntax error, unexpected {}, expecting '{{'", describe_kind(kind)),
                ),
                None => (tokens.end_of_file(file), "syntax error, unexpected end of file, expecting '{'".to_string()),
            }
        }
        // rnix reads the rest of a string that never ends as an error token.
        ParseError::UnexpectedWanted(SyntaxKind::TOKEN_ERROR, r, wanted)
            if wanted.contains(&SyntaxKind::TOKEN_STRING_END) =>
        {
            (span_of(*r), unterminated_string_message(tokens, r.start().into()))
        }
        ParseError::UnexpectedWanted(SyntaxKind::TOKEN_ERROR, r, _) => {
            let got = &text[usize::from(r.start())..usize::from(r.end())];
            (span_of(*r), error_token_message(got))
        }
        ParseError::UnexpectedWanted(got, r, _) if is_comparison(*got) => {
            (span_of(*r), format!("syntax error, unexpected {}", describe_kind(*got)))
        }
        ParseError::UnexpectedWanted(got, r, wanted) => {
            let mut expected = expecting(wanted);
            if expected.is_empty() {
                expected = expected_after(tokens, r.start().into()).to_string();
            }
            (span_of(*r), format!("syntax error, unexpected {}{}", describe_kind(*got), expected))
        }
        ParseError::UnexpectedDoubleBind(r) => (span_of(*r), "syntax error, unexpected '@'".to_string()),
        ParseError::UnexpectedEOF => (tokens.end_of_file(file), end_of_file_message(tokens, "")),
        ParseError::UnexpectedEOFWanted(wanted) => {
            (tokens.end_of_file(file), end_of_file_message(tokens, &expecting(wanted)))
        }
        ParseError::DuplicatedArgs(r, name) => (span_of(*r), format!("duplicate formal function argument '{}'", name)),
        _ => (Span::new(file, 0, 0), format!("syntax error, {}", err)),
    };
    let (span, message) = match unterminated_comment(text, span.start as usize) {
        Some((at, unexpected)) => (Span::new(file, at as u32, at as u32), unexpected),
        None => (span, message),
    };
    Diagnostic::syntax(span, message)
}

/// A comparison operator: Nix's are non-associative, and where one is
/// unexpected (`a == b == c`) so many tokens could come instead that Bison
/// lists none.
pub(crate) fn is_comparison(kind: SyntaxKind) -> bool {
    use SyntaxKind::*;
    matches!(kind, TOKEN_EQUAL | TOKEN_NOT_EQUAL | TOKEN_LESS | TOKEN_LESS_OR_EQ | TOKEN_MORE | TOKEN_MORE_OR_EQ)
}

/// The error for an unterminated comment at `start` (rnix reads it as one
/// error token): Nix's lexer reads its `/` and `*` as operators, and its
/// parser stops at the `/` unless a division may come there (after an
/// operand, outside a list), then at the `*`.
pub(crate) fn unterminated_comment(text: &str, start: usize) -> Option<(usize, String)> {
    use SyntaxKind::*;
    // A comment that ends is no error of its own (it may be the last token
    // before an unexpected end of the file).
    if !text.get(start..)?.starts_with("/*") || text[start + 2..].contains("*/") {
        return None;
    }
    let mut open = Vec::new();
    let mut previous = None;
    for (kind, _) in crate::parse::tokenize(&text[..start]) {
        match kind {
            TOKEN_L_PAREN | TOKEN_L_BRACK | TOKEN_L_BRACE | TOKEN_INTERPOL_START => open.push(kind),
            TOKEN_R_PAREN | TOKEN_R_BRACK | TOKEN_R_BRACE | TOKEN_INTERPOL_END => {
                open.pop();
            }
            _ => {}
        }
        if !kind.is_trivia() {
            previous = Some(kind);
        }
    }
    let after_operand = matches!(
        previous,
        Some(
            TOKEN_INTEGER
                | TOKEN_FLOAT
                | TOKEN_IDENT
                | TOKEN_R_PAREN
                | TOKEN_R_BRACK
                | TOKEN_R_BRACE
                | TOKEN_STRING_END
                | TOKEN_PATH_ABS
                | TOKEN_PATH_REL
                | TOKEN_PATH_HOME
                | TOKEN_PATH_SEARCH
                | TOKEN_URI
        )
    );
    Some(if after_operand && open.last() != Some(&TOKEN_L_BRACK) {
        (start + 1, "syntax error, unexpected '*'".to_string())
    } else {
        (start, "syntax error, unexpected '/'".to_string())
    })
}

/// Where C++ Nix reports the end of a file: at the start of its last token,
/// the run of blanks or the comment that ends most files included (its
/// lexer moves the position on every token, and no token comes at the end).
pub fn end_of_file_span(file: FileId, text: &str) -> Span {
    let start = crate::parse::tokenize(text).last().map_or(0, |t| text.len() - t.1.len()) as u32;
    Span::new(file, start, start)
}

/// `, expecting X` when rnix wants one token only.
fn expecting(wanted: &[SyntaxKind]) -> String {
    match wanted {
        // rnix wants only `=` after a binding's name; the name may go on.
        [SyntaxKind::TOKEN_ASSIGN] => ", expecting '.' or '='".to_string(),
        [one] => format!(", expecting {}", describe_kind(*one)),
        _ => String::new(),
    }
}

/// The end of the file, unexpected: what rnix expected if it names one
/// token, else what Bison lists in a string still open or after `.`.
fn end_of_file_message(tokens: &FileTokens, expected: &str) -> String {
    if !expected.is_empty() {
        return format!("syntax error, unexpected end of file{}", expected);
    }
    match string_open_at_end(tokens) {
        Some(opener) => string_end_message(opener),
        None => format!("syntax error, unexpected end of file{}", expected_after(tokens, tokens.text.len())),
    }
}

/// What Bison lists after the last significant token before `offset`,
/// where rnix lists nothing: after `.` or `?`, only a name may come;
/// after a formal's `?` (a name after `{` or `,`), any expression, too
/// many tokens for Bison to list.
fn expected_after(tokens: &FileTokens, offset: usize) -> &'static str {
    let mut before = tokens.split_at(offset).0.iter().rev().map(|t| t.kind).filter(|kind| !kind.is_trivia());
    match (before.next(), before.next(), before.next()) {
        (
            Some(SyntaxKind::TOKEN_QUESTION),
            Some(SyntaxKind::TOKEN_IDENT),
            Some(SyntaxKind::TOKEN_L_BRACE | SyntaxKind::TOKEN_COMMA),
        ) => "",
        (Some(SyntaxKind::TOKEN_DOT | SyntaxKind::TOKEN_QUESTION), _, _) => EXPECTING_NAME,
        _ => "",
    }
}

/// The opener (`"` or `''`) of a string still open at the end of the file,
/// outside any interpolation of it (`"${x}` is open; `"${x` is in the
/// interpolation).
fn string_open_at_end<'t>(tokens: &FileTokens<'t>) -> Option<&'t str> {
    enum Open<'t> {
        Str(&'t str),
        Interpolation,
    }
    let mut open = Vec::new();
    for token in tokens.all() {
        match token.kind {
            SyntaxKind::TOKEN_STRING_START => open.push(Open::Str(token.text)),
            SyntaxKind::TOKEN_INTERPOL_START => open.push(Open::Interpolation),
            SyntaxKind::TOKEN_STRING_END | SyntaxKind::TOKEN_INTERPOL_END => {
                open.pop();
            }
            _ => {}
        }
    }
    match open.last() {
        Some(Open::Str(opener)) => Some(*opener),
        _ => None,
    }
}

/// Nix's message for a string still open at `offset`: what bison expects
/// next depends on whether it is a `"` string or an indented `''` one.
fn unterminated_string_message(tokens: &FileTokens, offset: usize) -> String {
    // The innermost string open before `offset` (interpolations nest).
    let mut open = Vec::new();
    for token in tokens.split_at(offset).0 {
        match token.kind {
            SyntaxKind::TOKEN_STRING_START => open.push(token.text),
            SyntaxKind::TOKEN_STRING_END => {
                open.pop();
            }
            _ => {}
        }
    }
    string_end_message(open.last().copied().unwrap_or("\""))
}

/// The end of the file inside a string opened by `opener`: what Bison
/// expects depends on whether it is a `"` string or an indented `''` one.
fn string_end_message(opener: &str) -> String {
    match opener {
        "''" => {
            "syntax error, unexpected end of file, expecting IND_STR or DOLLAR_CURLY or IND_STRING_CLOSE".to_string()
        }
        _ => "syntax error, unexpected end of file, expecting '\"'".to_string(),
    }
}

/// Name the first token of `got` as Nix's bison parser does.
fn describe_text(got: &str) -> String {
    let first = crate::parse::tokenize(got.trim())
        .into_iter()
        .find(|t| !matches!(t.0, SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT));
    match first {
        Some(t) => describe_kind(t.0),
        None => "end of file".to_string(),
    }
}

/// rnix reports a bad token as an error token; Nix has specific messages
/// for the common ones.
pub(crate) fn error_token_message(text: &str) -> String {
    let t = text.trim();
    if t.starts_with('"') || t.starts_with("''") {
        "syntax error, unexpected end of file".to_string()
    } else if is_path_with_trailing_slash(t) {
        "path has a trailing slash".to_string()
    } else {
        format!("syntax error, unexpected {}", describe_text(t))
    }
}

/// Whether Nix 2.8's lexer reads a path with a trailing slash at the start
/// of `t`: the longest path there (`{PATH_CHAR}*(\/{PATH_CHAR}+)+`, or `~`
/// and its segments) is followed by a `/` (`./a/`, `1.5/a/`, `./a//`).
fn is_path_with_trailing_slash(t: &str) -> bool {
    let is_path_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+');
    let bytes = t.as_bytes();
    let mut at = if bytes.first() == Some(&b'~') { 1 } else { bytes.iter().take_while(|&&c| is_path_char(c)).count() };
    let mut segments = 0;
    while bytes.get(at) == Some(&b'/') {
        let length = bytes[at + 1..].iter().take_while(|&&c| is_path_char(c)).count();
        if length == 0 {
            break;
        }
        at += 1 + length;
        segments += 1;
    }
    segments > 0 && bytes.get(at) == Some(&b'/')
}

pub(crate) fn describe_kind(kind: SyntaxKind) -> String {
    use SyntaxKind::*;
    let s = match kind {
        TOKEN_R_BRACE | TOKEN_INTERPOL_END => "'}'",
        TOKEN_L_BRACE => "'{'",
        TOKEN_R_PAREN => "')'",
        TOKEN_L_PAREN => "'('",
        TOKEN_R_BRACK => "']'",
        TOKEN_L_BRACK => "'['",
        TOKEN_SEMICOLON => "';'",
        TOKEN_COLON => "':'",
        TOKEN_ASSIGN => "'='",
        TOKEN_COMMA => "','",
        TOKEN_DOT => "'.'",
        TOKEN_IN => "IN",
        TOKEN_THEN => "THEN",
        TOKEN_ELSE => "ELSE",
        TOKEN_IDENT => "ID",
        TOKEN_INTEGER => "INT",
        TOKEN_FLOAT => "FLOAT",
        TOKEN_STRING_START | TOKEN_STRING_END => "'\"'",
        TOKEN_INTERPOL_START => "DOLLAR_CURLY",
        TOKEN_SUB => "'-'",
        TOKEN_ADD => "'+'",
        TOKEN_MUL => "'*'",
        TOKEN_DIV => "'/'",
        TOKEN_LESS => "'<'",
        TOKEN_MORE => "'>'",
        TOKEN_QUESTION => "'?'",
        TOKEN_AT => "'@'",
        TOKEN_INVERT => "'!'",
        TOKEN_EQUAL => "EQ",
        TOKEN_NOT_EQUAL => "NEQ",
        TOKEN_LESS_OR_EQ => "LEQ",
        TOKEN_MORE_OR_EQ => "GEQ",
        TOKEN_AND_AND => "AND",
        TOKEN_OR_OR => "OR",
        TOKEN_IMPLICATION => "IMPL",
        TOKEN_UPDATE => "UPDATE",
        TOKEN_CONCAT => "CONCAT",
        TOKEN_IF => "IF",
        TOKEN_LET => "LET",
        TOKEN_REC => "REC",
        TOKEN_WITH => "WITH",
        TOKEN_ASSERT => "ASSERT",
        TOKEN_INHERIT => "INHERIT",
        TOKEN_OR => "OR_KW",
        TOKEN_ELLIPSIS => "ELLIPSIS",
        TOKEN_PATH_ABS | TOKEN_PATH_REL | TOKEN_PATH_HOME => "PATH",
        TOKEN_PATH_SEARCH => "SPATH",
        TOKEN_URI => "URI",
        TOKEN_ERROR => "invalid token",
        _ => return format!("{:?}", kind).trim_start_matches("TOKEN_").to_lowercase(),
    };
    s.to_string()
}
