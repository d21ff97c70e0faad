//! Nix source written back as C++ Nix 2.8 writes it: attribute names and
//! string literals, for printed values and for messages that show an
//! attribute path.

/// An attribute name as C++ Nix 2.8 shows it: bare when it is an
/// identifier, else quoted (`"b c"`, `"1a"`, and `"if"`, the one keyword
/// it quotes).
pub fn write_attr_name(name: &str, out: &mut String) {
    if is_plain_identifier(name) {
        out.push_str(name);
    } else {
        write_quoted(name, true, out);
    }
}

/// A Nix string literal with the escapes C++ Nix prints. `every_dollar`:
/// C++ Nix 2.8 escapes every `$` in a quoted attribute name (`{ "\$" = 1; }`),
/// but in a string value only the `$` of `${`.
pub fn write_quoted(s: &str, every_dollar: bool, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs without an escape are copied whole: the bytes escaped are all
    // ASCII, so every cut falls between two characters.
    let bytes = s.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b'$' if every_dollar || bytes.get(i + 1) == Some(&b'{') => "\\$",
            _ => continue,
        };
        out.push_str(&s[run_start..i]);
        out.push_str(escape);
        run_start = i + 1;
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// Written unquoted: identifiers, except the keyword `if` (C++ Nix 2.8
/// quotes only that one).
fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if s == "if" {
        return false;
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_where_nix_quotes_them() {
        let shown = |name: &str| {
            let mut out = String::new();
            write_attr_name(name, &mut out);
            out
        };
        assert_eq!(shown("a-b'"), "a-b'");
        assert_eq!(shown("then"), "then");
        assert_eq!(shown("if"), "\"if\"");
        assert_eq!(shown("b c"), "\"b c\"");
        assert_eq!(shown("1a"), "\"1a\"");
        assert_eq!(shown(""), "\"\"");
        assert_eq!(shown("$x"), "\"\\$x\"");
    }

    #[test]
    fn strings_escape_what_nix_escapes() {
        let shown = |s: &str| {
            let mut out = String::new();
            write_quoted(s, false, &mut out);
            out
        };
        assert_eq!(shown("plain"), r#""plain""#);
        assert_eq!(shown("a\"b\\c\n\r\td"), r#""a\"b\\c\n\r\td""#);
        assert_eq!(shown("${x} $y $"), r#""\${x} $y $""#);
        assert_eq!(shown("é\"ü${"), r#""é\"ü\${""#);
    }
}
