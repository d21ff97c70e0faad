//! Nix's grammar where rnix's parser is more lenient: programs that rnix
//! parses without an error but C++ Nix's parser rejects. Each check gives
//! the syntax error C++ Nix 2.8 reports, at the token where it stops.
//!
//! - A function is an operand (`1 == x: x`, `f x: x`, `[ x: x ]`,
//!   `a.b or x: x`): Nix allows `x: ...` only where a whole expression
//!   goes, so `x` is read as a variable and the `:` after it is
//!   unexpected.
//! - A parenthesis closed by something else (`(1 ;`, `(1]`) or by the end
//!   of the file: rnix takes whichever token follows the expression.
//! - An unterminated comment inside parentheses (`(1 /* x`): rnix keeps it
//!   as an error token inside the parenthesis and reports nothing.
//! - An indented string as an attribute name (`{ ''a'' = 1; }`): Nix's
//!   grammar has only `"..."` strings there.

use crate::diagnostics::{
    describe_kind, end_of_file_span, error_token_message, is_comparison, unterminated_comment, Diagnostic,
    EXPECTING_NAME,
};
use crate::source::{FileId, Span};
use rnix::{SyntaxKind, SyntaxNode, SyntaxToken};
use rowan::NodeOrToken;

/// The syntax errors of `root` that rnix did not report.
pub(crate) fn check(root: &SyntaxNode, file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Tokenizes the whole file: once, however many errors need it.
    let end_of_file = std::cell::OnceCell::new();
    let end_of_file = || *end_of_file.get_or_init(|| end_of_file_span(file, text));
    let error = |token: &SyntaxToken, message: String| {
        let start = u32::from(token.text_range().start());
        Diagnostic::syntax(Span::new(file, start, start), message)
    };
    for node in root.descendants() {
        match node.kind() {
            SyntaxKind::NODE_LAMBDA if is_operand(&node) => {
                if let Some((token, unexpected, expecting)) = lambda_error(&node) {
                    let expecting = expecting.map(|e| format!(", expecting {}", e)).unwrap_or_default();
                    out.push(error(&token, format!("syntax error, unexpected {}{}", unexpected, expecting)));
                }
            }
            // rnix ends a parenthesis with whichever token follows its
            // expression, `)` or not, and with nothing at the end of the file.
            SyntaxKind::NODE_PAREN => {
                let own: Vec<SyntaxToken> = significant_tokens(&node).collect();
                let Some(last) = own.last().cloned() else { continue };
                match last.kind() {
                    SyntaxKind::TOKEN_R_PAREN => {}
                    SyntaxKind::TOKEN_ERROR => {
                        let start = usize::from(last.text_range().start());
                        let mut d = error(&last, error_token_message(last.text()));
                        if let Some((at, message)) = unterminated_comment(text, start) {
                            (d.span, d.message) = (Span::new(file, at as u32, at as u32), message);
                        } else if d.message == "syntax error, unexpected invalid token" {
                            d.message.push_str(", expecting ')'");
                        }
                        out.push(d);
                    }
                    // An expression, then the end of the file (without one,
                    // the expression is what is missing).
                    SyntaxKind::TOKEN_L_PAREN
                        if own.len() == 1
                            && node.children().any(|c| c.kind() != SyntaxKind::NODE_ERROR)
                            && holds_whole_expression(&node) =>
                    {
                        out.push(Diagnostic::syntax(
                            end_of_file(),
                            "syntax error, unexpected end of file, expecting ')'".to_string(),
                        ))
                    }
                    SyntaxKind::TOKEN_L_PAREN if own.len() == 1 => {}
                    kind if is_comparison(kind) => {
                        out.push(error(&last, format!("syntax error, unexpected {}", describe_kind(kind))))
                    }
                    kind => out
                        .push(error(&last, format!("syntax error, unexpected {}, expecting ')'", describe_kind(kind)))),
                }
            }
            // rnix reads on into an interpolation after blanks or a
            // comment that end a path; Nix's path ends there, and its
            // `${` is a token of its own.
            SyntaxKind::NODE_PATH_ABS | SyntaxKind::NODE_PATH_REL | SyntaxKind::NODE_PATH_HOME => {
                let mut after_trivia = false;
                for element in node.children_with_tokens() {
                    match element {
                        NodeOrToken::Token(t) if t.kind().is_trivia() => after_trivia = true,
                        NodeOrToken::Node(n) if after_trivia && n.kind() == SyntaxKind::NODE_INTERPOL => {
                            let Some(start) = n.first_token() else { break };
                            let expecting = expected_after(&node).map(|e| format!(", expecting {}", e));
                            let message =
                                format!("syntax error, unexpected DOLLAR_CURLY{}", expecting.unwrap_or_default());
                            out.push(error(&start, message));
                            break;
                        }
                        _ => after_trivia = false,
                    }
                }
            }
            // rnix takes an indented string for an attribute name; Nix's
            // grammar has only "..." strings there.
            SyntaxKind::NODE_STRING => {
                let Some(open) = node.first_token().filter(|t| t.text() == "''") else { continue };
                let Some(parent) = node.parent() else { continue };
                // The first name of a binding, and inherited names, come
                // where Bison also takes other tokens; after `.` or `?`, a
                // name is all it takes.
                let first_of_binding = parent.kind() == SyntaxKind::NODE_ATTRPATH
                    && parent.parent().is_some_and(|b| b.kind() == SyntaxKind::NODE_ATTRPATH_VALUE)
                    && parent.first_child().as_ref() == Some(&node);
                let expecting = match parent.kind() {
                    SyntaxKind::NODE_INHERIT => "",
                    SyntaxKind::NODE_ATTRPATH if first_of_binding => "",
                    SyntaxKind::NODE_ATTRPATH => EXPECTING_NAME,
                    _ => continue,
                };
                out.push(error(&open, format!("syntax error, unexpected IND_STRING_OPEN{}", expecting)));
            }
            _ => {}
        }
    }
    out
}

/// The node's own tokens, without blanks and comments.
/// Whether what a parenthesis holds is a whole expression (so that only its
/// `)` is missing at the end of the file): nothing broken inside, and a
/// last token that can end an expression. Otherwise Bison stops inside
/// it first (`( (`, `( 1 +`, `( let`: "unexpected end of file").
fn holds_whole_expression(paren: &SyntaxNode) -> bool {
    use SyntaxKind::*;
    if paren.descendants().any(|n| n.kind() == NODE_ERROR) {
        return false;
    }
    let Some(last) =
        paren.descendants_with_tokens().filter_map(|e| e.into_token()).filter(|t| !t.kind().is_trivia()).last()
    else {
        return false;
    };
    // `./a/${x}` and `a.${b}` end in an interpolation's `}`; a string that
    // does (`"a${x}`) is not closed yet.
    if last.kind() == TOKEN_INTERPOL_END {
        let holder = last.parent().and_then(|interpolation| interpolation.parent());
        return holder.is_some_and(|n| n.kind() != NODE_STRING);
    }
    matches!(
        last.kind(),
        TOKEN_IDENT
            | TOKEN_INTEGER
            | TOKEN_FLOAT
            | TOKEN_STRING_END
            | TOKEN_PATH_ABS
            | TOKEN_PATH_HOME
            | TOKEN_PATH_REL
            | TOKEN_PATH_SEARCH
            | TOKEN_URI
            | TOKEN_CUR_POS
            | TOKEN_R_PAREN
            | TOKEN_R_BRACK
            | TOKEN_R_BRACE
    )
}

fn significant_tokens(node: &SyntaxNode) -> impl Iterator<Item = SyntaxToken> {
    node.children_with_tokens().filter_map(|c| match c {
        NodeOrToken::Token(t) if !t.kind().is_trivia() => Some(t),
        _ => None,
    })
}

/// Whether a lambda sits where Nix wants an operand (a function's
/// argument or callee, an operator's operand, a list element, an `or`
/// default), where Nix's grammar has no functions.
fn is_operand(lambda: &SyntaxNode) -> bool {
    let Some(parent) = lambda.parent() else { return false };
    matches!(
        parent.kind(),
        SyntaxKind::NODE_APPLY
            | SyntaxKind::NODE_BIN_OP
            | SyntaxKind::NODE_UNARY_OP
            | SyntaxKind::NODE_LIST
            | SyntaxKind::NODE_SELECT
            | SyntaxKind::NODE_HAS_ATTR
    )
}

/// Where Nix's parser stops in a function written as an operand: the
/// token, how Nix names it, and what it expected there instead.
fn lambda_error(lambda: &SyntaxNode) -> Option<(SyntaxToken, String, Option<String>)> {
    let param = lambda.first_child()?;
    let after_param = || significant_tokens(lambda).next();
    match param.kind() {
        // `x: ...`: `x` is a variable, the `:` is unexpected.
        SyntaxKind::NODE_IDENT_PARAM => {
            let colon = after_param()?;
            Some((colon, "':'".to_string(), expected_after(lambda)))
        }
        SyntaxKind::NODE_PATTERN => {
            let at_sign = || {
                param
                    .descendants_with_tokens()
                    .filter_map(|c| c.into_token())
                    .find(|t| t.kind() == SyntaxKind::TOKEN_AT)
            };
            let mut parts = param.children_with_tokens().filter(|c| !c.kind().is_trivia());
            // `y@{ ... }: ...`: `y` is a variable, the `@` is unexpected.
            if parts.next()?.kind() == SyntaxKind::NODE_PAT_BIND {
                return Some((at_sign()?, "'@'".to_string(), expected_after(lambda)));
            }
            // `{ ... }`: read as a set; where that stops depends on what is inside.
            match parts.next()? {
                // `{ a ...`: a set wants `.` or `=` after the name.
                NodeOrToken::Node(entry) if entry.kind() == SyntaxKind::NODE_PAT_ENTRY => {
                    let name_end = entry.first_child()?.text_range().end();
                    let next = param
                        .descendants_with_tokens()
                        .filter_map(|c| c.into_token())
                        .find(|t| !t.kind().is_trivia() && t.text_range().start() >= name_end)?;
                    Some((next.clone(), describe_kind(next.kind()), Some("'.' or '='".to_string())))
                }
                NodeOrToken::Token(t) if t.kind() == SyntaxKind::TOKEN_ELLIPSIS => {
                    Some((t, "ELLIPSIS".to_string(), None))
                }
                // `{ }` is an empty set: the `@` or `:` after it is unexpected.
                _ => {
                    let next = at_sign().or_else(after_param)?;
                    Some((next.clone(), describe_kind(next.kind()), expected_after(lambda)))
                }
            }
        }
        _ => None,
    }
}

/// What Nix expects after the expression that contains `node`: the token
/// that ends the innermost construct that takes a whole expression (`)`
/// of a parenthesis, `;` of a binding, `ELSE` after `then ...`, the end
/// of the file), or nothing where it expects one of many (a list).
fn expected_after(node: &SyntaxNode) -> Option<String> {
    let mut child = node.clone();
    while let Some(parent) = child.parent() {
        let before = |kind: SyntaxKind| {
            significant_tokens(&parent)
                .find(|t| t.kind() == kind)
                .is_some_and(|t| child.text_range().end() <= t.text_range().start())
        };
        let found = match parent.kind() {
            SyntaxKind::NODE_ROOT => Some("end of file"),
            SyntaxKind::NODE_PAREN => Some("')'"),
            SyntaxKind::NODE_INTERPOL => Some("'}'"),
            SyntaxKind::NODE_ATTRPATH_VALUE => Some("';'"),
            SyntaxKind::NODE_LIST => return None,
            SyntaxKind::NODE_IF_ELSE if before(SyntaxKind::TOKEN_THEN) => Some("THEN"),
            SyntaxKind::NODE_IF_ELSE if before(SyntaxKind::TOKEN_ELSE) => Some("ELSE"),
            SyntaxKind::NODE_ASSERT | SyntaxKind::NODE_WITH if before(SyntaxKind::TOKEN_SEMICOLON) => Some("';'"),
            // Operands, and the bodies that end where their parent ends.
            SyntaxKind::NODE_APPLY
            | SyntaxKind::NODE_BIN_OP
            | SyntaxKind::NODE_UNARY_OP
            | SyntaxKind::NODE_SELECT
            | SyntaxKind::NODE_HAS_ATTR
            | SyntaxKind::NODE_LAMBDA
            | SyntaxKind::NODE_LET_IN
            | SyntaxKind::NODE_IF_ELSE
            | SyntaxKind::NODE_ASSERT
            | SyntaxKind::NODE_WITH => None,
            _ => return None,
        };
        if let Some(found) = found {
            return Some(found.to_string());
        }
        child = parent;
    }
    None
}
