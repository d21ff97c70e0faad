//! Parsing with rnix, where Nix 2.8 reads a program differently.
//!
//! - Numbers: Nix 2.8's lexer reads a float as
//!   `(([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?` and stops
//!   where that stops: `0.` is the integer `0` and a `.` (`0.e3` selects
//!   `e3` from `0`), and `1.5e` is the float `1.5` and the name `e`. rnix
//!   reads `0.` and `0.e3` as floats and `1.5e` as one bad token.
//! - `!` as an operand: Nix's grammar takes `! expr` as the operand of
//!   `+`, `-`, `*`, `/`, `++` and of unary `-` (`1 + !true` is an
//!   addition, an error only when evaluated); rnix takes `!` only where an
//!   operand of `//` or of a lower operator goes.
//!
//! rnix parses text and takes no tokens, so where the two differ the text
//! is parsed with a few characters put in: a blank between two tokens
//! that rnix would read as one, parentheses around a `!` and its operand
//! (which extends as far as Nix's does: over the operators that bind
//! tighter than `!`). The tree then loses them again: its text is the
//! file's, byte for byte, and every position is the file's own.

use rnix::{ParseError, SyntaxKind, SyntaxNode, TextRange, TextSize};
use rowan::ast::AstNode;
use rowan::{GreenNode, GreenNodeData, GreenToken, Language, NodeOrToken};
use std::ops::Range;

/// A parsed file: the tree (whose text is the file's) and rnix's errors.
pub(crate) struct Parsed {
    pub root: rnix::Root,
    pub errors: Vec<ParseError>,
}

/// Parse `text` as Nix 2.8 reads it.
pub(crate) fn parse(text: &str) -> Parsed {
    // Nearly every file has neither difference: those are parsed as they
    // are, without the passes below (which would tokenize the text twice
    // more and copy it; the embedded lib's startup took 20% longer).
    if !may_read_differently(text.as_bytes()) || !tokens_read_differently(text) {
        return plain(text);
    }
    let (parsed, mut broken) = parse_once(text);
    // A `!` whose operand is broken stays an error to rnix; Nix reads on
    // after it and stops where the operand does. Those errors are the ones
    // of the text with the `!` blanked out (same length, same positions);
    // a `!` after it (`1 + ! !`) may then be one too.
    let mut blanked = text.to_string();
    let mut errors = None;
    for _ in 0..8 {
        if broken.is_empty() {
            break;
        }
        for &at in &broken {
            blanked.replace_range(at..at + 1, " ");
        }
        let (other, next) = parse_once(&blanked);
        if !other.errors.is_empty() {
            errors = Some(other.errors);
        }
        broken = next;
    }
    Parsed { root: parsed.root, errors: errors.unwrap_or(parsed.errors) }
}

fn plain(text: &str) -> Parsed {
    let parse = rnix::Root::parse(text);
    Parsed { root: parse.tree(), errors: parse.errors().to_vec() }
}

/// How deep rnix may nest lists and unary operators (`-`, `!`). rnix
/// counts only the expressions it parses through its general rule towards
/// its limit of 512; a list's items and a unary operator's operand do not
/// go through it, and rowan hashes every node with its whole subtree, so
/// a deep enough list or `- - - 1` took time quadratic in its depth
/// (minutes for a file of a megabyte). Nix's own parser stops at about
/// this depth ("memory exhausted").
pub(crate) const LIST_AND_UNARY_LIMIT: usize = 10_000;

/// Where, if anywhere, `text` nests lists and unary operators deeper than
/// [`LIST_AND_UNARY_LIMIT`]: the offset of the token that goes past it.
/// A run of `-` and `!` counts as deep as it is long, on top of the lists
/// open around it; a `-` after an operand is counted too (one more at
/// most).
pub(crate) fn nesting_past_limit(text: &str) -> Option<usize> {
    use SyntaxKind::*;
    // Cheap for the files that cannot nest that deep (nearly all).
    if text.bytes().filter(|b| matches!(b, b'[' | b'-' | b'!')).count() <= LIST_AND_UNARY_LIMIT {
        return None;
    }
    let mut lists = 0usize;
    let mut run = 0usize;
    let mut at = 0;
    for (kind, token) in rnix::tokenize(text) {
        match kind {
            TOKEN_L_BRACK => {
                lists += 1;
                run = 0;
            }
            TOKEN_R_BRACK => {
                lists = lists.saturating_sub(1);
                run = 0;
            }
            TOKEN_SUB | TOKEN_INVERT => run += 1,
            _ if kind.is_trivia() => {}
            _ => run = 0,
        }
        if lists + run > LIST_AND_UNARY_LIMIT {
            return Some(at);
        }
        at += token.len();
    }
    None
}

/// Whether Nix 2.8 and rnix may read `text` differently: false only where
/// neither difference can occur. It looks at bytes, not tokens, so it may
/// answer true for text in a string or a comment; that costs time only.
fn may_read_differently(text: &[u8]) -> bool {
    let digit_at = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    // The digits that end just before `i`, unless they end a name (`t1`,
    // `set2`): how many there are.
    let number_before = |i: usize| {
        let run = text[..i].iter().rev().take_while(|b| b.is_ascii_digit()).count();
        let in_name = i > run && matches!(text[i - run - 1], b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'\'');
        if in_name {
            0
        } else {
            run
        }
    };
    text.iter().enumerate().any(|(i, &c)| match c {
        // A number cut short: digits, a dot and no digit (`0.`, `1.e3`),
        // or digits with a leading zero before a dot (`01.5`).
        b'.' => {
            let run = number_before(i);
            run > 0 && (!digit_at(i + 1) || (run > 1 && text[i - run] == b'0'))
        }
        // An exponent without digits (`1.5e`, `.5e-`).
        b'e' | b'E' => {
            number_before(i) > 0 && {
                let after = if matches!(text.get(i + 1), Some(b'+' | b'-')) { i + 2 } else { i + 1 };
                !digit_at(after)
            }
        }
        // A `!` after an arithmetic operator or `++`, blanks or comments
        // between: a `/* */` ends in `/`; a line comment may end the line
        // before, so a `!` first on its line counts wherever a `#` is.
        b'!' => {
            let before = text[..i].iter().rposition(|b| !b.is_ascii_whitespace());
            before.is_some_and(|j| {
                matches!(text[j], b'+' | b'-' | b'*' | b'/')
                    || text[j + 1..i].contains(&b'\n') && text[..j].contains(&b'#')
            })
        }
        _ => false,
    })
}

/// Whether rnix's tokens of `text` hold either difference: the exact
/// test, one tokenizing pass, for the texts the byte test lets through
/// (mostly for a number followed by a dot in a comment).
fn tokens_read_differently(text: &str) -> bool {
    use SyntaxKind::*;
    let mut previous = None;
    rnix::tokenize(text).any(|(kind, token)| {
        let differs = number_split(kind, token).is_some() || kind == TOKEN_INVERT && takes_inverted_operand(previous);
        if !kind.is_trivia() {
            previous = Some(kind);
        }
        differs
    })
}

/// Where Nix's lexer ends a number inside this token of rnix's, if it
/// does: in a float, or in rnix's bad number, an exponent without digits
/// (`1.5e`, `.5e-`); other bad tokens (`1.5/a/`, a path ending in `/`)
/// are not numbers.
fn number_split(kind: SyntaxKind, token: &str) -> Option<usize> {
    let bad_number = kind == SyntaxKind::TOKEN_ERROR
        && token.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if kind != SyntaxKind::TOKEN_FLOAT && !bad_number {
        return None;
    }
    nix_number_len(token).filter(|&n| n < token.len())
}

/// Whether a `!` after this token (the last that is not a blank or a
/// comment) is an operand rnix does not take: after arithmetic or `++`.
fn takes_inverted_operand(previous: Option<SyntaxKind>) -> bool {
    use SyntaxKind::*;
    matches!(previous, Some(TOKEN_ADD | TOKEN_SUB | TOKEN_MUL | TOKEN_DIV | TOKEN_CONCAT))
}

/// Parse `text`, and say where (in `text`) the `!`s are that are operands
/// of arithmetic but whose own operands are broken.
fn parse_once(text: &str) -> (Parsed, Vec<usize>) {
    let mut edited = Edited::new(text);
    split_numbers(&mut edited);
    let lexical = edited.clone();
    let broken = bracket_inverted_operands(&mut edited);
    let parsed = edited.parse().or_else(|| lexical.parse()).unwrap_or_else(|| plain(text));
    (parsed, broken)
}

/// The tokens of `text` as Nix 2.8's lexer cuts them (rnix's kinds).
pub(crate) fn tokenize(text: &str) -> Vec<(SyntaxKind, &str)> {
    if !may_read_differently(text.as_bytes()) {
        return rnix::tokenize(text).collect();
    }
    let mut edited = Edited::new(text);
    split_numbers(&mut edited);
    if edited.inserted.is_empty() {
        return rnix::tokenize(text).collect();
    }
    let mut out = Vec::new();
    let (mut at, mut skipped) = (0, 0);
    for (kind, token) in rnix::tokenize(&edited.text) {
        let range = at..at + token.len();
        at = range.end;
        if edited.is_inserted(&range) {
            skipped += token.len();
        } else {
            let start = range.start - skipped;
            out.push((kind, text.get(start..start + token.len()).unwrap_or_default()));
        }
    }
    out
}

/// The text with characters put in, and where (in the edited text).
#[derive(Clone)]
struct Edited {
    text: String,
    /// Sorted, disjoint.
    inserted: Vec<Range<usize>>,
}

impl Edited {
    fn new(text: &str) -> Edited {
        Edited { text: text.to_string(), inserted: Vec::new() }
    }

    /// Put `s` in at `at` (an offset in the edited text), before anything
    /// put in there already.
    fn insert(&mut self, at: usize, s: &str) {
        self.text.insert_str(at, s);
        for r in self.inserted.iter_mut().filter(|r| r.start >= at) {
            *r = r.start + s.len()..r.end + s.len();
        }
        let i = self.inserted.partition_point(|r| r.start < at);
        self.inserted.insert(i, at..at + s.len());
    }

    /// The insertion that overlaps `range`, if one does (they are sorted).
    fn inserted_at(&self, range: &Range<usize>) -> Option<&Range<usize>> {
        let i = self.inserted.partition_point(|r| r.end <= range.start);
        self.inserted.get(i).filter(|r| r.start < range.end)
    }

    /// Whether `range` is exactly an insertion.
    fn is_inserted(&self, range: &Range<usize>) -> bool {
        self.inserted_at(range) == Some(range)
    }

    /// The offset in the original text of offset `at` of the edited one.
    fn original(&self, at: usize) -> usize {
        let before: usize = self.inserted.iter().map(|r| r.end.min(at).saturating_sub(r.start)).sum();
        at - before
    }

    fn original_range(&self, r: TextRange) -> TextRange {
        let map = |o: TextSize| TextSize::from(self.original(usize::from(o)) as u32);
        TextRange::new(map(r.start()), map(r.end()))
    }

    /// Parse the edited text and take out what was put in; `None` where
    /// the tree does not hold the insertions as it should.
    fn parse(&self) -> Option<Parsed> {
        let parse = rnix::Root::parse(&self.text);
        if self.inserted.is_empty() {
            return Some(Parsed { root: parse.tree(), errors: parse.errors().to_vec() });
        }
        let green = parse.syntax().green().to_owned();
        let children = self.strip(&green, 0, false)?;
        let root = rnix::Root::cast(SyntaxNode::new_root(GreenNode::new(green.kind(), children)))?;
        let errors = parse.errors().iter().map(|e| self.original_error(e)).collect();
        Some(Parsed { root, errors })
    }

    /// The children of `node` (at `at` in the edited text) without the
    /// inserted blanks, and with the inserted parentheses replaced by what
    /// they hold. `bracket`: `node` is one of those parentheses.
    fn strip(
        &self,
        node: &GreenNodeData,
        mut at: usize,
        bracket: bool,
    ) -> Option<Vec<NodeOrToken<GreenNode, GreenToken>>> {
        let mut out = Vec::new();
        for child in node.children() {
            let range = at..at + usize::from(child.text_len());
            at = range.end;
            let inserted = self.inserted_at(&range).is_some();
            match child {
                NodeOrToken::Token(t) if inserted => {
                    let whole = self.is_inserted(&range);
                    let kind = rnix::NixLanguage::kind_from_raw(t.kind());
                    match kind {
                        SyntaxKind::TOKEN_WHITESPACE if whole && t.text() == " " => {}
                        SyntaxKind::TOKEN_L_PAREN | SyntaxKind::TOKEN_R_PAREN if whole && bracket => {}
                        _ => return None,
                    }
                }
                NodeOrToken::Token(t) => out.push(NodeOrToken::Token(t.to_owned())),
                NodeOrToken::Node(n) if self.is_bracket(n, range.start) => {
                    out.extend(self.strip(n, range.start, true)?)
                }
                NodeOrToken::Node(n) => {
                    let children = self.strip(n, range.start, false)?;
                    out.push(NodeOrToken::Node(GreenNode::new(n.kind(), children)));
                }
            }
        }
        Some(out)
    }

    /// Whether `node` (at `at`) is a pair of inserted parentheses around
    /// one expression.
    fn is_bracket(&self, node: &GreenNodeData, at: usize) -> bool {
        if rnix::NixLanguage::kind_from_raw(node.kind()) != SyntaxKind::NODE_PAREN {
            return false;
        }
        let mut offset = at;
        let mut parts = Vec::new();
        for child in node.children() {
            let range = offset..offset + usize::from(child.text_len());
            offset = range.end;
            match child {
                NodeOrToken::Token(t) if rnix::NixLanguage::kind_from_raw(t.kind()).is_trivia() => {}
                NodeOrToken::Token(_) => parts.push(Some(range)),
                NodeOrToken::Node(_) => parts.push(None),
            }
        }
        match parts.as_slice() {
            [Some(open), None, Some(close)] => self.is_inserted(open) && self.is_inserted(close),
            _ => false,
        }
    }

    fn original_error(&self, err: &ParseError) -> ParseError {
        let r = |range: &TextRange| self.original_range(*range);
        match err {
            ParseError::Unexpected(range) => ParseError::Unexpected(r(range)),
            ParseError::UnexpectedExtra(range) => ParseError::UnexpectedExtra(r(range)),
            ParseError::UnexpectedWanted(got, range, wanted) => {
                ParseError::UnexpectedWanted(*got, r(range), wanted.clone())
            }
            ParseError::UnexpectedDoubleBind(range) => ParseError::UnexpectedDoubleBind(r(range)),
            ParseError::DuplicatedArgs(range, name) => ParseError::DuplicatedArgs(r(range), name.clone()),
            other => other.clone(),
        }
    }
}

/// How long the number Nix 2.8's lexer reads at the start of `s` is (the
/// longer of its INT and FLOAT matches), if one starts there.
fn nix_number_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits = |from: usize| b.get(from..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count());
    let int = digits(0);
    let mantissa = match b.first()? {
        b'1'..=b'9' => Some(int).filter(|&i| b.get(i) == Some(&b'.')).map(|i| i + 1 + digits(i + 1)),
        b'0' | b'.' => {
            let dot = usize::from(b[0] == b'0');
            Some(dot).filter(|&d| b.get(d) == Some(&b'.') && digits(d + 1) > 0).map(|d| d + 1 + digits(d + 1))
        }
        _ => None,
    };
    let float = mantissa.map(|m| {
        if !matches!(b.get(m), Some(b'e' | b'E')) {
            return m;
        }
        let sign = usize::from(matches!(b.get(m + 1), Some(b'+' | b'-')));
        match digits(m + 1 + sign) {
            0 => m,
            n => m + 1 + sign + n,
        }
    });
    Some(int.max(float.unwrap_or(0))).filter(|&n| n > 0)
}

/// Put a blank wherever Nix's lexer ends a number inside a token of
/// rnix's (a float, or the bad token of an exponent without digits).
fn split_numbers(edited: &mut Edited) {
    let mut splits = Vec::new();
    let mut at = 0;
    for (kind, token) in rnix::tokenize(&edited.text) {
        if let Some(n) = number_split(kind, token) {
            splits.push(at + n);
        }
        at += token.len();
    }
    // What follows a split is a `.` or a name (`e`, `e3`, `e-`): it never
    // starts another number to split.
    for &at in splits.iter().rev() {
        edited.insert(at, " ");
    }
}

/// Put parentheses around each `!` that is an operand of an arithmetic
/// operator, `++` or a unary `-`, and around its own operand. Returns
/// where (in the original text) those are whose operand is broken.
fn bracket_inverted_operands(edited: &mut Edited) -> Vec<usize> {
    use SyntaxKind::*;
    // Each such `!`: where it starts, and where its operand ends at the
    // latest (the `;` or closing bracket that ends what holds it), so that
    // finding its extent reads that much only.
    let mut operands: Vec<(usize, usize)> = Vec::new();
    // The `!`s whose latest end is not known yet, with their depth.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut previous = None;
    let mut at = 0;
    for (kind, token) in rnix::tokenize(&edited.text) {
        let closes = matches!(kind, TOKEN_R_PAREN | TOKEN_R_BRACK | TOKEN_R_BRACE | TOKEN_INTERPOL_END);
        if closes || kind == TOKEN_SEMICOLON {
            while let Some(&(i, d)) = open.last() {
                if d < depth {
                    break;
                }
                operands[i].1 = at;
                open.pop();
            }
        }
        match kind {
            TOKEN_L_PAREN | TOKEN_L_BRACK | TOKEN_L_BRACE | TOKEN_INTERPOL_START => depth += 1,
            _ if closes => depth = depth.saturating_sub(1),
            TOKEN_INVERT if takes_inverted_operand(previous) => {
                open.push((operands.len(), depth));
                operands.push((at, edited.text.len()));
            }
            _ => {}
        }
        if !kind.is_trivia() {
            previous = Some(kind);
        }
        at += token.len();
    }
    // The last first: an operand's extent is found on a text in which the
    // `!`s inside it are bracketed already (two characters each). Reading
    // is bounded: a long chain of such `!`s nests each in the next.
    let mut budget = 16 * edited.text.len() + (1 << 18);
    let mut bracketed: Vec<usize> = Vec::new();
    let mut broken = Vec::new();
    for &(start, latest_end) in operands.iter().rev() {
        let end = latest_end + 2 * bracketed.iter().filter(|&&s| s < latest_end).count();
        budget = match budget.checked_sub(end - start) {
            Some(left) => left,
            None => break,
        };
        match inverted_operand_len(&edited.text[start..end]) {
            Some(len) => {
                edited.insert(start + len, ")");
                edited.insert(start, "(");
                bracketed.push(start);
            }
            None => broken.push(edited.original(start)),
        }
    }
    broken
}

/// How far the `!` at the start of `text` reaches with its operand, as
/// rnix reads a `!` at the start of an expression (which is as Nix reads
/// it anywhere); `None` where the operand is broken.
fn inverted_operand_len(text: &str) -> Option<usize> {
    let parse = rnix::Root::parse(text);
    let root = parse.syntax();
    let node = root
        .descendants()
        .find(|n| n.kind() == SyntaxKind::NODE_UNARY_OP && n.text_range().start() == TextSize::from(0))?;
    let end = node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !t.kind().is_trivia())
        .last()?
        .text_range()
        .end();
    let broken =
        node.descendants_with_tokens().any(|e| matches!(e.kind(), SyntaxKind::NODE_ERROR | SyntaxKind::TOKEN_ERROR))
            || parse.errors().iter().any(|e| match error_range(e) {
                Some(r) => r.start() < end,
                // The end of the file: the operand may be what is cut short.
                None => rnix::tokenize(&text[usize::from(end)..]).all(|(kind, _)| kind.is_trivia()),
            });
    (!broken).then_some(usize::from(end))
}

fn error_range(err: &ParseError) -> Option<TextRange> {
    match err {
        ParseError::Unexpected(r)
        | ParseError::UnexpectedExtra(r)
        | ParseError::UnexpectedWanted(_, r, _)
        | ParseError::UnexpectedDoubleBind(r)
        | ParseError::DuplicatedArgs(r, _) => Some(*r),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts `parse` edits, as the full passes find them.
    fn edited(text: &str) -> bool {
        let mut edited = Edited::new(text);
        split_numbers(&mut edited);
        let broken = bracket_inverted_operands(&mut edited);
        !edited.inserted.is_empty() || !broken.is_empty()
    }

    /// The shortcut may say "maybe" too often, never "no" wrongly: every
    /// text the full passes would edit must be sent through them.
    fn check(text: &str) {
        if edited(text) {
            assert!(may_read_differently(text.as_bytes()), "the byte test misses {text:?}");
            assert!(tokens_read_differently(text), "the token test misses {text:?}");
        }
    }

    #[test]
    fn prescan_sends_every_edited_text_through_the_passes() {
        let samples = [
            "0.",
            "0.e3",
            "1.",
            "1.e5",
            "1.5e",
            "1.5e+",
            ".5e-",
            "01.5",
            "00.5",
            "x: x.1.",
            "{ a = 1.; }",
            "[ 0. 1.5e2 .5 ]",
            "1 + !true",
            "1 -  !x",
            "[ 1 ] ++ !x",
            "-!x",
            "2 * !a",
            "1 / !b",
            "1 +\n\t!c",
            "1 + /* c */ !d",
            "1 + # c\n!e",
            "1 + # c\n  # d\n !f",
            "1.5",
            "1e3",
            ".5",
            "a != b",
            "!a",
            "x // !y",
            "x == !y",
            "x.e",
            "u8.x",
            "x-1.",
            "t1.desc",
            "a.5e",
            "x2e",
            "x' 1.",
        ];
        for text in samples {
            check(text);
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut dirs = vec![root.join("fixtures"), root.join("modules")];
        let mut files = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "nix") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        check(&text);
                        files += 1;
                    }
                }
            }
        }
        assert!(files > 1000, "found only {files} fixture files");
    }

    #[test]
    fn ordinary_code_is_parsed_as_it_is() {
        assert!(!may_read_differently(b"{ a = 1.5; b = x.y; c = !d; e = 1 - f; g = \"v1.2\"; }"));
    }
}
