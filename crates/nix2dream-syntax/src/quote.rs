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

/// [`write_attr_name`] into bytes, for printed values (see
/// [`write_quoted_bytes`]).
pub fn write_attr_name_bytes(name: &str, out: &mut Vec<u8>) {
    if is_plain_identifier(name) {
        out.extend_from_slice(name.as_bytes());
    } else {
        write_quoted_bytes(name.as_bytes(), true, out);
    }
}

/// A Nix string literal with the escapes C++ Nix prints. `every_dollar`:
/// C++ Nix 2.8 escapes every `$` in a quoted attribute name (`{ "\$" = 1; }`),
/// but in a string value only the `$` of `${`.
pub fn write_quoted(s: &str, every_dollar: bool, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Every escaped byte is ASCII, so every cut falls between two
    // characters and the slices are whole UTF-8.
    let end = for_each_escape(s.as_bytes(), every_dollar, |run, escape| {
        out.push_str(&s[run]);
        out.push_str(escape);
    });
    out.push_str(&s[end..]);
    out.push('"');
}

/// [`write_quoted`] for a string of any bytes: a Nix string need not be
/// UTF-8 (`builtins.readFile` of a Latin-1 file), and C++ Nix prints its
/// bytes as they are.
pub fn write_quoted_bytes(s: &[u8], every_dollar: bool, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let end = for_each_escape(s, every_dollar, |run, escape| {
        out.extend_from_slice(&s[run]);
        out.extend_from_slice(escape.as_bytes());
    });
    out.extend_from_slice(&s[end..]);
    out.push(b'"');
}

/// Calls `emit(run, escape)` for each byte of `s` that needs an escape,
/// with the run of plain bytes before it; returns where the last run
/// starts. Runs without an escape are copied whole by the callers.
fn for_each_escape(s: &[u8], every_dollar: bool, mut emit: impl FnMut(std::ops::Range<usize>, &str)) -> usize {
    let mut run_start = 0;
    for (i, &b) in s.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b'$' if every_dollar || s.get(i + 1) == Some(&b'{') => "\\$",
            _ => continue,
        };
        emit(run_start..i, escape);
        run_start = i + 1;
    }
    run_start
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

    #[test]
    fn bytes_that_are_not_utf8_are_printed_as_they_are() {
        let mut out = Vec::new();
        write_quoted_bytes(b"caf\xe9 \"${", false, &mut out);
        assert_eq!(out, b"\"caf\xe9 \\\"\\${\"");
        let mut name = Vec::new();
        write_attr_name_bytes("a b", &mut name);
        assert_eq!(name, b"\"a b\"");
    }
}
