//! `fromTOML`, with a parser that follows toml11 (the TOML library C++ Nix
//! 2.8 uses) closely enough to accept the same documents, produce the same
//! values (clamped integer and float overflow, heterogeneous arrays, its
//! rules for redefining tables) and report the same first line of each
//! error ("[error] toml::parse_key_value_pair: missing value after ...").
//!
//! Nix 2.8 rejects dates and times ("Dates and times are not supported"),
//! after the whole document parsed, and so do we.

use super::context::expect_str_no_ctx;
use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};
use std::collections::HashMap;
use std::rc::Rc;

pub(crate) static PRIMOPS: &[PrimOp] = &[primop!("fromTOML", 1, from_toml)];

fn from_toml(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let text = expect_str_no_ctx(ev, &args[0], span)?;
    let fail = |m: String| {
        let first = m.lines().next().unwrap_or("").trim_end().to_string();
        EvalError::new(ErrorKind::Other, format!("while parsing a TOML string: {}", first), Some(span))
    };
    let root = parse_toml(text.as_bytes()).map_err(|e| fail(e.message()))?;
    table_to_value(&root).map_err(fail)
}

fn c_string(b: &[u8]) -> String {
    // Nix 2.8 stores string values as C strings: a NUL ends them.
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn table_to_value(t: &Table) -> Result<Value, String> {
    let mut a = Attrs::with_capacity(t.len());
    for (k, v) in t {
        a.insert(Symbol::intern(&String::from_utf8_lossy(k)), node_to_value(v)?, None);
    }
    Ok(Value::attrs(a))
}

fn node_to_value(n: &Node) -> Result<Value, String> {
    Ok(match &n.v {
        TVal::Str(s) => Value::string(c_string(s)),
        TVal::Int(i) => Value::Int(*i),
        TVal::Float(f) => Value::Float(*f),
        TVal::Bool(b) => Value::Bool(*b),
        TVal::DateTime => return Err("Dates and times are not supported".to_string()),
        TVal::Array(items) => Value::list(items.iter().map(node_to_value).collect::<Result<_, _>>()?),
        TVal::Table(t) => table_to_value(t)?,
    })
}

// ---------------------------------------------------------------------------
// Values

type Key = Vec<u8>;
type Table = HashMap<Key, Node>;
/// A dotted key's parts and the source region it came from.
type KeyPath = (Vec<Key>, Rc<[u8]>);

/// A value and the source region it came from (toml11 decides some
/// redefinition rules by looking at that text).
#[derive(Clone)]
struct Node {
    v: TVal,
    reg: Rc<[u8]>,
}

#[derive(Clone)]
enum TVal {
    Str(Vec<u8>),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime,
    Array(Vec<Node>),
    Table(Table),
}

/// A returned error (callers may replace it) or a thrown one.
enum PErr {
    Soft(String),
    Hard(String),
}

impl PErr {
    fn message(self) -> String {
        match self {
            PErr::Soft(m) | PErr::Hard(m) => m,
        }
    }
}

fn soft<T>(m: &str) -> Result<T, PErr> {
    Err(PErr::Soft(format!("[error] {}", m)))
}

fn hard<T>(m: impl AsRef<str>) -> Result<T, PErr> {
    Err(PErr::Hard(format!("[error] {}", m.as_ref())))
}

// ---------------------------------------------------------------------------
// Lexers: each takes the input and a position, and returns the position
// after a match.

type Lex = fn(&[u8], usize) -> Option<usize>;

fn ch(s: &[u8], i: usize, c: u8) -> Option<usize> {
    (s.get(i) == Some(&c)).then_some(i + 1)
}

fn range(s: &[u8], i: usize, lo: u8, hi: u8) -> Option<usize> {
    s.get(i).filter(|&&c| lo <= c && c <= hi).map(|_| i + 1)
}

fn repeat(s: &[u8], mut i: usize, f: impl Fn(&[u8], usize) -> Option<usize>) -> usize {
    while let Some(j) = f(s, i) {
        if j == i {
            break;
        }
        i = j;
    }
    i
}

fn repeat1(s: &[u8], i: usize, f: impl Fn(&[u8], usize) -> Option<usize>) -> Option<usize> {
    let j = f(s, i)?;
    Some(repeat(s, j, &f))
}

fn maybe(s: &[u8], i: usize, f: impl Fn(&[u8], usize) -> Option<usize>) -> usize {
    f(s, i).unwrap_or(i)
}

fn exactly(s: &[u8], mut i: usize, n: usize, f: impl Fn(&[u8], usize) -> Option<usize>) -> Option<usize> {
    for _ in 0..n {
        i = f(s, i)?;
    }
    Some(i)
}

fn wschar(s: &[u8], i: usize) -> Option<usize> {
    ch(s, i, b' ').or_else(|| ch(s, i, b'\t'))
}

fn lex_ws(s: &[u8], i: usize) -> Option<usize> {
    repeat1(s, i, wschar)
}

fn lex_newline(s: &[u8], i: usize) -> Option<usize> {
    ch(s, i, b'\n').or_else(|| ch(s, i, b'\r').and_then(|j| ch(s, j, b'\n')))
}

fn digit(s: &[u8], i: usize) -> Option<usize> {
    range(s, i, b'0', b'9')
}

fn hex_digit(s: &[u8], i: usize) -> Option<usize> {
    digit(s, i).or_else(|| range(s, i, b'A', b'F')).or_else(|| range(s, i, b'a', b'f'))
}

/// One valid UTF-8 encoded character of two or more bytes.
fn utf8_multi(s: &[u8], i: usize) -> Option<usize> {
    let c = *s.get(i)?;
    let n = match c {
        0xC2..=0xDF => 1,
        0xE0..=0xEF => 2,
        0xF0..=0xF4 => 3,
        _ => return None,
    };
    std::str::from_utf8(s.get(i..i + n + 1)?).ok()?;
    Some(i + n + 1)
}

fn lex_comment(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'#')?;
    Some(repeat(s, i, |s, i| ch(s, i, 0x09).or_else(|| range(s, i, 0x20, 0x7E)).or_else(|| utf8_multi(s, i))))
}

/// `(ws? comment? newline)+`
fn skip_line(s: &[u8], i: usize) -> Option<usize> {
    repeat1(s, i, |s, i| {
        let j = maybe(s, i, lex_ws);
        let j = maybe(s, j, lex_comment);
        lex_newline(s, j)
    })
}

/// `exclude<...>`: any single byte for which `bad` is false.
fn any_but(s: &[u8], i: usize, bad: fn(u8) -> bool) -> Option<usize> {
    s.get(i).filter(|&&c| !bad(c)).map(|_| i + 1)
}

fn is_ctrl(c: u8) -> bool {
    c <= 0x08 || (0x0A..=0x1F).contains(&c) || c == 0x7F
}

fn lex_escaped(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'\\')?;
    match *s.get(i)? {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => Some(i + 1),
        b'u' => exactly(s, i + 1, 4, hex_digit),
        b'U' => exactly(s, i + 1, 8, hex_digit),
        _ => None,
    }
}

fn lex_basic_string(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'"')?;
    let i = repeat(s, i, |s, i| any_but(s, i, |c| is_ctrl(c) || c == b'"' || c == b'\\').or_else(|| lex_escaped(s, i)));
    ch(s, i, b'"')
}

fn lex_literal_string(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'\'')?;
    let i = repeat(s, i, |s, i| any_but(s, i, |c| is_ctrl(c) || c == b'\''));
    ch(s, i, b'\'')
}

fn triple(s: &[u8], i: usize, q: u8) -> Option<usize> {
    (s.get(i..i + 3) == Some(&[q, q, q][..])).then_some(i + 3)
}

fn lex_ml_basic_unescaped(s: &[u8], i: usize) -> Option<usize> {
    if triple(s, i, b'"').is_some() {
        return None;
    }
    any_but(s, i, |c| is_ctrl(c) || c == b'\\')
}

fn lex_ml_basic_escaped_newline(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'\\')?;
    let i = maybe(s, i, lex_ws);
    let i = lex_newline(s, i)?;
    Some(repeat(s, i, |s, i| lex_ws(s, i).or_else(|| lex_newline(s, i))))
}

fn close_delim(s: &[u8], i: usize, q: u8) -> Option<usize> {
    let mut j = triple(s, i, q)?;
    for _ in 0..2 {
        if s.get(j) == Some(&q) {
            j += 1;
        }
    }
    Some(j)
}

fn lex_ml_basic_string(s: &[u8], i: usize) -> Option<usize> {
    let i = triple(s, i, b'"')?;
    let i = repeat(s, i, |s, i| {
        lex_ml_basic_unescaped(s, i)
            .or_else(|| lex_escaped(s, i))
            .or_else(|| lex_newline(s, i))
            .or_else(|| lex_ml_basic_escaped_newline(s, i))
    });
    close_delim(s, i, b'"')
}

fn lex_ml_literal_char(s: &[u8], i: usize) -> Option<usize> {
    if triple(s, i, b'\'').is_some() {
        return None;
    }
    any_but(s, i, is_ctrl)
}

fn lex_ml_literal_body(s: &[u8], i: usize) -> usize {
    repeat(s, i, |s, i| lex_ml_literal_char(s, i).or_else(|| lex_newline(s, i)))
}

fn lex_ml_literal_string(s: &[u8], i: usize) -> Option<usize> {
    let i = triple(s, i, b'\'')?;
    let i = lex_ml_literal_body(s, i);
    close_delim(s, i, b'\'')
}

fn lex_unquoted_key(s: &[u8], i: usize) -> Option<usize> {
    repeat1(s, i, |s, i| s.get(i).filter(|&&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_').map(|_| i + 1))
}

fn lex_simple_key(s: &[u8], i: usize) -> Option<usize> {
    lex_unquoted_key(s, i).or_else(|| lex_basic_string(s, i)).or_else(|| lex_literal_string(s, i))
}

fn lex_dot_sep(s: &[u8], i: usize) -> Option<usize> {
    let i = maybe(s, i, lex_ws);
    let i = ch(s, i, b'.')?;
    Some(maybe(s, i, lex_ws))
}

fn lex_dotted_key(s: &[u8], i: usize) -> Option<usize> {
    let i = lex_simple_key(s, i)?;
    repeat1(s, i, |s, i| lex_simple_key(s, lex_dot_sep(s, i)?))
}

fn lex_key(s: &[u8], i: usize) -> Option<usize> {
    lex_dotted_key(s, i).or_else(|| lex_simple_key(s, i))
}

fn lex_keyval_sep(s: &[u8], i: usize) -> Option<usize> {
    let i = maybe(s, i, lex_ws);
    let i = ch(s, i, b'=')?;
    Some(maybe(s, i, lex_ws))
}

fn lex_std_table(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'[')?;
    let i = maybe(s, i, lex_ws);
    let i = lex_key(s, i)?;
    let i = maybe(s, i, lex_ws);
    ch(s, i, b']')
}

fn lex_array_table(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'[')?;
    let i = ch(s, i, b'[')?;
    let i = maybe(s, i, lex_ws);
    let i = lex_key(s, i)?;
    let i = maybe(s, i, lex_ws);
    let i = ch(s, i, b']')?;
    ch(s, i, b']')
}

fn sign(s: &[u8], i: usize) -> Option<usize> {
    ch(s, i, b'+').or_else(|| ch(s, i, b'-'))
}

fn digits_with_underscores(s: &[u8], i: usize, d: Lex) -> usize {
    repeat(s, i, |s, i| d(s, i).or_else(|| d(s, ch(s, i, b'_')?)))
}

fn lex_unsigned_dec_int(s: &[u8], i: usize) -> Option<usize> {
    if let Some(j) = range(s, i, b'1', b'9') {
        let k = digits_with_underscores(s, j, digit);
        if k > j {
            return Some(k);
        }
    }
    digit(s, i)
}

fn lex_dec_int(s: &[u8], i: usize) -> Option<usize> {
    lex_unsigned_dec_int(s, maybe(s, i, sign))
}

fn lex_prefixed_int(s: &[u8], i: usize, p: u8, d: Lex) -> Option<usize> {
    let i = ch(s, i, b'0')?;
    let i = ch(s, i, p)?;
    let i = d(s, i)?;
    Some(digits_with_underscores(s, i, d))
}

fn lex_hex_int(s: &[u8], i: usize) -> Option<usize> {
    lex_prefixed_int(s, i, b'x', hex_digit)
}

fn lex_oct_int(s: &[u8], i: usize) -> Option<usize> {
    lex_prefixed_int(s, i, b'o', |s, i| range(s, i, b'0', b'7'))
}

fn lex_bin_int(s: &[u8], i: usize) -> Option<usize> {
    lex_prefixed_int(s, i, b'b', |s, i| range(s, i, b'0', b'1'))
}

fn lex_integer(s: &[u8], i: usize) -> Option<usize> {
    lex_bin_int(s, i).or_else(|| lex_oct_int(s, i)).or_else(|| lex_hex_int(s, i)).or_else(|| lex_dec_int(s, i))
}

fn lex_zero_prefixable_int(s: &[u8], i: usize) -> Option<usize> {
    let i = digit(s, i)?;
    Some(digits_with_underscores(s, i, digit))
}

fn lex_exponent(s: &[u8], i: usize) -> Option<usize> {
    let i = ch(s, i, b'e').or_else(|| ch(s, i, b'E'))?;
    lex_zero_prefixable_int(s, maybe(s, i, sign))
}

fn lex_special_float(s: &[u8], i: usize) -> Option<usize> {
    let i = maybe(s, i, sign);
    match s.get(i..i + 3) {
        Some(b"inf") | Some(b"nan") => Some(i + 3),
        _ => None,
    }
}

fn lex_float(s: &[u8], i: usize) -> Option<usize> {
    if let Some(j) = lex_special_float(s, i) {
        return Some(j);
    }
    let i = lex_dec_int(s, i)?;
    if let Some(j) = lex_exponent(s, i) {
        return Some(j);
    }
    let i = lex_zero_prefixable_int(s, ch(s, i, b'.')?)?;
    Some(maybe(s, i, lex_exponent))
}

fn two_digits(s: &[u8], i: usize) -> Option<usize> {
    exactly(s, i, 2, digit)
}

fn lex_full_date(s: &[u8], i: usize) -> Option<usize> {
    let i = exactly(s, i, 4, digit)?;
    let i = two_digits(s, ch(s, i, b'-')?)?;
    two_digits(s, ch(s, i, b'-')?)
}

fn lex_partial_time(s: &[u8], i: usize) -> Option<usize> {
    let i = two_digits(s, i)?;
    let i = two_digits(s, ch(s, i, b':')?)?;
    let i = two_digits(s, ch(s, i, b':')?)?;
    Some(maybe(s, i, lex_secfrac))
}

fn lex_secfrac(s: &[u8], i: usize) -> Option<usize> {
    repeat1(s, ch(s, i, b'.')?, digit)
}

fn lex_time_delim(s: &[u8], i: usize) -> Option<usize> {
    ch(s, i, b'T').or_else(|| ch(s, i, b't')).or_else(|| ch(s, i, b' '))
}

fn lex_numoffset(s: &[u8], i: usize) -> Option<usize> {
    let i = sign(s, i)?;
    let i = two_digits(s, i)?;
    two_digits(s, ch(s, i, b':')?)
}

fn lex_local_date_time(s: &[u8], i: usize) -> Option<usize> {
    lex_partial_time(s, lex_time_delim(s, lex_full_date(s, i)?)?)
}

fn lex_offset_date_time(s: &[u8], i: usize) -> Option<usize> {
    let i = lex_local_date_time(s, i)?;
    ch(s, i, b'Z').or_else(|| ch(s, i, b'z')).or_else(|| lex_numoffset(s, i))
}

// ---------------------------------------------------------------------------
// Parsers

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

fn num(b: &[u8]) -> i32 {
    std::str::from_utf8(b).ok().and_then(|t| t.parse().ok()).unwrap_or(0)
}

impl<'a> P<'a> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn lex(&mut self, f: Lex) -> Option<&'a [u8]> {
        let j = f(self.s, self.i)?;
        let tok = &self.s[self.i..j];
        self.i = j;
        Some(tok)
    }

    fn skip(&mut self, f: Lex) {
        if let Some(j) = f(self.s, self.i) {
            self.i = j;
        }
    }

    fn node(&self, v: TVal, start: usize) -> Node {
        Node { v, reg: Rc::from(&self.s[start..self.i]) }
    }

    fn parse_boolean(&mut self) -> Result<Node, PErr> {
        let start = self.i;
        if self.s[self.i..].starts_with(b"true") {
            self.i += 4;
            return Ok(self.node(TVal::Bool(true), start));
        }
        if self.s[self.i..].starts_with(b"false") {
            self.i += 5;
            return Ok(self.node(TVal::Bool(false), start));
        }
        soft("toml::parse_boolean: ")
    }

    fn parse_integer(&mut self) -> Result<Node, PErr> {
        let start = self.i;
        let s = self.s;
        if s.get(start) == Some(&b'0') {
            match s.get(start + 1) {
                None => {
                    self.i += 1;
                    return Ok(self.node(TVal::Int(0), start));
                }
                Some(b'b') => {
                    let Some(tok) = self.lex(lex_bin_int) else {
                        return soft("toml::parse_binary_integer:");
                    };
                    // C++ accumulates in a signed 64-bit integer and wraps.
                    let (mut v, mut base) = (0i64, 1i64);
                    for &c in tok[2..].iter().rev() {
                        match c {
                            b'1' => {
                                v = v.wrapping_add(base);
                                base = base.wrapping_mul(2);
                            }
                            b'0' => base = base.wrapping_mul(2),
                            _ => {}
                        }
                    }
                    return Ok(self.node(TVal::Int(v), start));
                }
                Some(b'o') => {
                    let Some(tok) = self.lex(lex_oct_int) else {
                        return soft("toml::parse_octal_integer:");
                    };
                    return Ok(self.node(TVal::Int(radix_clamped(&tok[2..], 8)), start));
                }
                Some(b'x') => {
                    let Some(tok) = self.lex(lex_hex_int) else {
                        return soft("toml::parse_hexadecimal_integer");
                    };
                    return Ok(self.node(TVal::Int(radix_clamped(&tok[2..], 16)), start));
                }
                Some(c) if c.is_ascii_digit() => {
                    return soft("toml::parse_integer: leading zero in an Integer is not allowed.")
                }
                Some(c) if c.is_ascii_alphabetic() => {
                    return soft("toml::parse_integer: unknown integer prefix appeared.")
                }
                _ => {}
            }
        }
        let Some(tok) = self.lex(lex_dec_int) else {
            return soft("toml::parse_integer: ");
        };
        let text: String = tok.iter().filter(|&&c| c != b'_').map(|&c| c as char).collect();
        // `istringstream >> int64` saturates on overflow.
        let v = text.parse::<i64>().unwrap_or(if text.starts_with('-') { i64::MIN } else { i64::MAX });
        Ok(self.node(TVal::Int(v), start))
    }

    fn parse_floating(&mut self) -> Result<Node, PErr> {
        let start = self.i;
        let Some(tok) = self.lex(lex_float) else {
            return soft("toml::parse_floating: ");
        };
        let v = match tok {
            b"inf" | b"+inf" => f64::INFINITY,
            b"-inf" => f64::NEG_INFINITY,
            b"nan" | b"+nan" => f64::NAN,
            b"-nan" => -f64::NAN,
            _ => {
                let text: String = tok.iter().filter(|&&c| c != b'_').map(|&c| c as char).collect();
                let v = text.parse::<f64>().unwrap_or(0.0);
                // `istringstream >> double` gives the largest finite value
                // on overflow.
                if v.is_infinite() {
                    f64::MAX.copysign(v)
                } else {
                    v
                }
            }
        };
        Ok(self.node(TVal::Float(v), start))
    }

    /// A `\` escape inside a basic string (already validated by the lexer).
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), PErr> {
        self.i += 1;
        let c = self.s[self.i];
        self.i += 1;
        let simple = match c {
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            b'b' => Some(0x08),
            b't' => Some(b'\t'),
            b'n' => Some(b'\n'),
            b'f' => Some(0x0c),
            b'r' => Some(b'\r'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        let n = if c == b'u' { 4 } else { 8 };
        let hex = std::str::from_utf8(&self.s[self.i..self.i + n]).unwrap_or("0");
        self.i += n;
        let cp = u32::from_str_radix(hex, 16).unwrap_or(0);
        if (0xD800..=0xDFFF).contains(&cp) {
            return hard("toml::read_utf8_codepoint: codepoints in the range [0xD800, 0xDFFF] are not valid UTF-8.");
        }
        match char::from_u32(cp) {
            Some(ch) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                Ok(())
            }
            None => hard("toml::read_utf8_codepoint: input codepoint is too large."),
        }
    }

    fn parse_basic_string(&mut self) -> Result<(Vec<u8>, usize), PErr> {
        let start = self.i;
        let Some(end) = lex_basic_string(self.s, self.i) else {
            return soft("toml::parse_basic_string: the next token is not a valid string");
        };
        self.i += 1;
        let mut out = Vec::new();
        while self.i < end - 1 {
            if self.s[self.i] == b'\\' {
                self.escape(&mut out)?;
            } else {
                out.push(self.s[self.i]);
                self.i += 1;
            }
        }
        self.i = end;
        Ok((out, start))
    }

    fn parse_ml_basic_string(&mut self) -> Result<(Vec<u8>, usize), PErr> {
        let start = self.i;
        let Some(end) = lex_ml_basic_string(self.s, self.i) else {
            return soft("toml::parse_ml_basic_string: the next token is not a valid multiline string");
        };
        self.i += 3;
        self.skip(lex_newline);
        let mut out = Vec::new();
        loop {
            if let Some(j) = close_delim(self.s, self.i, b'"') {
                if j == end {
                    // 4 or 5 quotes: the extra ones belong to the body.
                    out.extend(std::iter::repeat_n(b'"', j - self.i - 3));
                    break;
                }
            }
            if self.s[self.i] == b'\\' {
                if let Some(j) = lex_ml_basic_escaped_newline(self.s, self.i) {
                    self.i = j;
                } else {
                    self.escape(&mut out)?;
                }
            } else {
                out.push(self.s[self.i]);
                self.i += 1;
            }
        }
        self.i = end;
        Ok((out, start))
    }

    fn parse_literal_string(&mut self) -> Result<(Vec<u8>, usize), PErr> {
        let start = self.i;
        let Some(end) = lex_literal_string(self.s, self.i) else {
            return soft("toml::parse_literal_string: the next token is not a valid literal string");
        };
        self.i = end;
        Ok((self.s[start + 1..end - 1].to_vec(), start))
    }

    fn parse_ml_literal_string(&mut self) -> Result<(Vec<u8>, usize), PErr> {
        let start = self.i;
        let Some(end) = lex_ml_literal_string(self.s, self.i) else {
            return soft("toml::parse_ml_literal_string: the next token is not a valid multiline literal string");
        };
        let mut i = start + 3;
        i = maybe(self.s, i, lex_newline);
        let body_end = lex_ml_literal_body(self.s, i);
        let mut out = self.s[i..body_end].to_vec();
        out.extend(std::iter::repeat_n(b'\'', end - body_end - 3));
        self.i = end;
        Ok((out, start))
    }

    fn parse_string(&mut self) -> Result<Node, PErr> {
        let s = &self.s[self.i..];
        let (v, start) = if s.starts_with(b"\"\"\"") {
            self.parse_ml_basic_string()?
        } else if s.starts_with(b"\"") {
            self.parse_basic_string()?
        } else if s.starts_with(b"'''") {
            self.parse_ml_literal_string()?
        } else if s.starts_with(b"'") {
            self.parse_literal_string()?
        } else {
            return soft("toml::parse_string: ");
        };
        Ok(self.node(TVal::Str(v), start))
    }

    fn check_date(&self, tok: &[u8]) -> Result<(), PErr> {
        let year = num(&tok[0..4]);
        let month = num(&tok[5..7]);
        let day = num(&tok[8..10]);
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let max_day = match month {
            2 => {
                if leap {
                    29
                } else {
                    28
                }
            }
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=12).contains(&month) || day < 1 || day > max_day {
            return hard("toml::parse_date: invalid date: it does not conform RFC3339.");
        }
        Ok(())
    }

    fn check_time(&self, tok: &[u8]) -> Result<(), PErr> {
        let (h, m, s) = (num(&tok[0..2]), num(&tok[3..5]), num(&tok[6..8]));
        if h > 23 || m > 59 || s > 60 {
            return hard("toml::parse_time: invalid time: it does not conform RFC3339.");
        }
        Ok(())
    }

    fn parse_datetime(&mut self, kind: DateKind) -> Result<Node, PErr> {
        let start = self.i;
        let s = self.s;
        match kind {
            DateKind::LocalDate => {
                let end = lex_full_date(s, start).expect("guessed");
                self.check_date(&s[start..end])?;
                self.i = end;
            }
            DateKind::LocalTime => {
                let end = lex_partial_time(s, start).expect("guessed");
                self.check_time(&s[start..end])?;
                self.i = end;
            }
            DateKind::LocalDateTime | DateKind::OffsetDateTime => {
                self.check_date(&s[start..start + 10])?;
                self.check_time(&s[start + 11..])?;
                let mut end = lex_local_date_time(s, start).expect("guessed");
                if kind == DateKind::OffsetDateTime {
                    if let Some(j) = lex_numoffset(s, end) {
                        let (h, m) = (num(&s[end + 1..end + 3]), num(&s[end + 4..end + 6]));
                        if h > 23 || m > 59 {
                            return hard("toml::parse_offset_datetime: invalid offset: it does not conform RFC3339.");
                        }
                        end = j;
                    } else {
                        end += 1;
                    }
                }
                self.i = end;
            }
        }
        Ok(self.node(TVal::DateTime, start))
    }

    fn guess_number_type(&self) -> Result<Guess, PErr> {
        let (s, i) = (self.s, self.i);
        if lex_offset_date_time(s, i).is_some() {
            return Ok(Guess::Date(DateKind::OffsetDateTime));
        }
        if let Some(j) = lex_local_date_time(s, i) {
            if matches!(s.get(j), Some(b'+' | b'-' | b'Z' | b'z')) {
                return soft("bad offset: should be [+-]HH:MM or Z");
            }
            return Ok(Guess::Date(DateKind::LocalDateTime));
        }
        if let Some(j) = lex_full_date(s, i) {
            if let Some(&c) = s.get(j) {
                if c == b'T' || c == b't' {
                    return soft("bad time: should be HH:MM:SS.subsec");
                }
                if c.is_ascii_digit() {
                    return soft("bad time: missing T");
                }
                if c == b' ' && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    return soft("bad time: should be HH:MM:SS.subsec");
                }
            }
            return Ok(Guess::Date(DateKind::LocalDate));
        }
        if lex_partial_time(s, i).is_some() {
            return Ok(Guess::Date(DateKind::LocalTime));
        }
        if let Some(j) = lex_float(s, i) {
            if s.get(j) == Some(&b'_') {
                return soft("bad float: `_` should be surrounded by digits");
            }
            return Ok(Guess::Float);
        }
        if let Some(j) = lex_integer(s, i) {
            if let Some(&c) = s.get(j) {
                if c == b'_' {
                    return soft("bad integer: `_` should be surrounded by digits");
                }
                if c.is_ascii_digit() {
                    return soft("bad integer: leading zero");
                }
                if c == b':' || c == b'-' {
                    return soft("bad datetime: invalid format");
                }
                if c == b'.' || c == b'e' || c == b'E' {
                    return soft("bad float: invalid format");
                }
            }
            return Ok(Guess::Int);
        }
        if s.get(i) == Some(&b'.') {
            return soft("bad float: invalid format");
        }
        if s.get(i) == Some(&b'_') {
            return soft("bad number: `_` should be surrounded by digits");
        }
        soft("bad format: unknown value appeared")
    }

    fn parse_value(&mut self) -> Result<Node, PErr> {
        let Some(c) = self.peek() else {
            return soft("toml::parse_value: input is empty");
        };
        let guess = match c {
            b'"' | b'\'' => Guess::Str,
            b't' | b'f' => Guess::Bool,
            b'[' => Guess::Array,
            b'{' => Guess::Table,
            b'i' | b'n' => Guess::Float,
            _ => self.guess_number_type()?,
        };
        match guess {
            Guess::Str => self.parse_string(),
            Guess::Bool => self.parse_boolean(),
            Guess::Array => self.parse_array(),
            Guess::Table => self.parse_inline_table(),
            Guess::Float => self.parse_floating(),
            Guess::Int => self.parse_integer(),
            Guess::Date(k) => self.parse_datetime(k),
        }
    }

    fn parse_simple_key(&mut self) -> Result<Key, PErr> {
        match self.parse_basic_string() {
            Ok((k, _)) => return Ok(k),
            Err(PErr::Hard(m)) => return Err(PErr::Hard(m)),
            Err(PErr::Soft(_)) => {}
        }
        if let Ok((k, _)) = self.parse_literal_string() {
            return Ok(k);
        }
        if let Some(tok) = self.lex(lex_unquoted_key) {
            return Ok(tok.to_vec());
        }
        soft("toml::parse_simple_key: ")
    }

    fn parse_key(&mut self) -> Result<KeyPath, PErr> {
        let start = self.i;
        if let Some(end) = lex_dotted_key(self.s, self.i) {
            let mut keys = Vec::new();
            let mut inner = P { s: &self.s[..end], i: start };
            while !inner.at_end() {
                inner.skip(lex_ws);
                keys.push(inner.parse_simple_key()?);
                inner.skip(lex_ws);
                if inner.at_end() {
                    break;
                }
                inner.i += 1; // the `.`
            }
            self.i = end;
            return Ok((keys, Rc::from(&self.s[start..end])));
        }
        match self.parse_simple_key() {
            Ok(k) => Ok((vec![k], Rc::from(&self.s[start..self.i]))),
            Err(PErr::Hard(m)) => Err(PErr::Hard(m)),
            Err(PErr::Soft(_)) => soft("toml::parse_key: an invalid key appeared."),
        }
    }

    fn parse_array(&mut self) -> Result<Node, PErr> {
        let start = self.i;
        self.i += 1;
        let ws_comment_newline = |s: &[u8], i: usize| {
            Some(repeat(s, i, |s, i| wschar(s, i).or_else(|| lex_newline(s, i)).or_else(|| lex_comment(s, i))))
        };
        let mut items = Vec::new();
        while !self.at_end() {
            self.skip(ws_comment_newline);
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(self.node(TVal::Array(items), start));
            }
            match self.parse_value() {
                Ok(v) => items.push(v),
                Err(PErr::Hard(m)) => return Err(PErr::Hard(m)),
                Err(PErr::Soft(_)) => {
                    return hard("toml::parse_array: value having invalid format appeared in an array")
                }
            }
            let sep = ws_comment_newline(self.s, self.i).and_then(|j| ch(self.s, j, b','));
            match sep {
                Some(j) => self.i = j,
                None => {
                    self.skip(ws_comment_newline);
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        return Ok(self.node(TVal::Array(items), start));
                    }
                    return hard("toml::parse_array: missing array separator `,` after a value");
                }
            }
        }
        hard("toml::parse_array: array did not closed by `]`")
    }

    fn parse_key_value_pair(&mut self) -> Result<(KeyPath, Node), PErr> {
        let first = self.i;
        let (keys, key_reg) = match self.parse_key() {
            Ok(k) => k,
            Err(PErr::Hard(m)) => return Err(PErr::Hard(m)),
            Err(PErr::Soft(m)) => {
                if lex_keyval_sep(self.s, self.i).is_some() {
                    self.i = first;
                    return soft("toml::parse_key_value_pair: empty key is not allowed.");
                }
                return Err(PErr::Soft(m));
            }
        };
        let Some(j) = lex_keyval_sep(self.s, self.i) else {
            let rest = &self.s[self.i..];
            let line = &rest[..rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())];
            self.i = first;
            if line.contains(&b'=') {
                return soft("toml::parse_key_value_pair: invalid format for key");
            }
            return soft("toml::parse_key_value_pair: missing key-value separator `=`");
        };
        self.i = j;
        let after_sep = self.i;
        match self.parse_value() {
            Ok(v) => Ok(((keys, key_reg), v)),
            Err(PErr::Hard(m)) => Err(PErr::Hard(m)),
            Err(PErr::Soft(m)) => {
                let j = maybe(self.s, after_sep, lex_ws);
                let j = maybe(self.s, j, lex_comment);
                self.i = first;
                if lex_newline(self.s, j).is_some() {
                    return soft("toml::parse_key_value_pair: missing value after key-value separator '='");
                }
                Err(PErr::Soft(m))
            }
        }
    }

    fn parse_inline_table(&mut self) -> Result<Node, PErr> {
        let start = self.i;
        self.i += 1;
        let mut table = Table::new();
        self.skip(lex_ws);
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(self.node(TVal::Table(table), start));
        }
        while !self.at_end() {
            let ((keys, key_reg), val) = self.parse_key_value_pair()?;
            insert_nested_key(&mut table, val, &keys, &key_reg, false)?;
            let sep = ch(self.s, maybe(self.s, self.i, lex_ws), b',');
            match sep {
                None => {
                    self.skip(lex_ws);
                    match self.peek() {
                        None => return hard("toml::parse_inline_table: missing table separator `}` "),
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(self.node(TVal::Table(table), start));
                        }
                        Some(b'#' | b'\r' | b'\n') => return hard("toml::parse_inline_table: missing curly brace `}`"),
                        Some(_) => return hard("toml::parse_inline_table: missing table separator `,` "),
                    }
                }
                Some(j) => {
                    self.i = j;
                    self.skip(lex_ws);
                    if self.peek() == Some(b'}') {
                        return hard("toml::parse_inline_table: trailing comma is not allowed in an inline table");
                    }
                }
            }
        }
        hard("toml::parse_inline_table: inline table did not closed by `}`")
    }

    /// `[a.b]` followed by a newline; `Ok(None)` if there is none here.
    fn parse_table_key(&mut self, array: bool) -> Result<Option<KeyPath>, PErr> {
        let start = self.i;
        let Some(end) = (if array { lex_array_table(self.s, start) } else { lex_std_table(self.s, start) }) else {
            return Ok(None);
        };
        let open = if array { 2 } else { 1 };
        let mut inner = P { s: &self.s[..end], i: start + open };
        inner.skip(lex_ws);
        let (keys, _) = inner.parse_key()?;
        self.i = end;
        if !self.at_end() {
            let j = maybe(self.s, self.i, lex_ws);
            let j = maybe(self.s, j, lex_comment);
            match lex_newline(self.s, j) {
                Some(k) => self.i = k,
                None if array => return hard("toml::parse_array_table_key: newline required after [[table.key]]"),
                None => return hard("toml::parse_table_key: newline required after [table.key]"),
            }
        }
        Ok(Some((keys, Rc::from(&self.s[start..end]))))
    }

    fn parse_ml_table(&mut self) -> Result<Table, PErr> {
        let mut tab = Table::new();
        if self.at_end() {
            return Ok(tab);
        }
        self.skip(skip_line);
        self.skip(lex_ws);
        while !self.at_end() {
            self.skip(lex_ws);
            let before = self.i;
            if self.parse_table_key(true)?.is_some() || self.parse_table_key(false)?.is_some() {
                self.i = before;
                return Ok(tab);
            }
            let ((keys, key_reg), val) = self.parse_key_value_pair()?;
            insert_nested_key(&mut tab, val, &keys, &key_reg, false)?;
            self.skip(lex_ws);
            self.skip(lex_comment);
            match skip_line(self.s, self.i) {
                Some(j) => self.i = j,
                None if !self.at_end() => return soft("toml::parse_table: invalid line format"),
                None => {}
            }
            self.skip(lex_ws);
            self.skip(lex_comment);
        }
        Ok(tab)
    }

    fn parse_toml_file(&mut self) -> Result<Table, PErr> {
        let mut data = Table::new();
        if self.at_end() {
            return Ok(data);
        }
        // Leading comment lines followed by an empty line.
        let first_comments = |s: &[u8], i: usize| {
            let i = repeat1(s, i, |s, i| {
                let j = maybe(s, i, lex_ws);
                lex_newline(s, lex_comment(s, j)?)
            })?;
            lex_newline(s, maybe(s, i, lex_ws))
        };
        self.skip(first_comments);
        data = self.parse_ml_table()?;
        while !self.at_end() {
            if let Some((keys, reg)) = self.parse_table_key(true)? {
                let tab = self.parse_ml_table()?;
                let node = Node { v: TVal::Table(tab), reg: reg.clone() };
                insert_nested_key(&mut data, node, &keys, &reg, true)?;
                continue;
            }
            if let Some((keys, reg)) = self.parse_table_key(false)? {
                let tab = self.parse_ml_table()?;
                let node = Node { v: TVal::Table(tab), reg: reg.clone() };
                insert_nested_key(&mut data, node, &keys, &reg, false)?;
                continue;
            }
            return soft("toml::parse_toml_file: unknown line appeared");
        }
        Ok(data)
    }
}

fn radix_clamped(digits: &[u8], radix: u32) -> i64 {
    let text: String = digits.iter().filter(|&&c| c != b'_').map(|&c| c as char).collect();
    match u64::from_str_radix(&text, radix) {
        Ok(v) if v <= i64::MAX as u64 => v as i64,
        _ => i64::MAX,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DateKind {
    OffsetDateTime,
    LocalDateTime,
    LocalDate,
    LocalTime,
}

enum Guess {
    Str,
    Bool,
    Array,
    Table,
    Float,
    Int,
    Date(DateKind),
}

fn dotted(keys: &[Key]) -> String {
    keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>().join(".")
}

/// toml11's rule for defining a table that already exists implicitly.
fn is_valid_forward_table_definition(fwd: &Node, inserting: &Node, keys: &[Key], curr: usize) -> bool {
    let ins = &inserting.reg[..];
    if !ins.is_empty() && ins[0] == b'{' {
        let mut p = P { s: ins, i: 0 };
        if p.parse_inline_table().is_ok() {
            return false;
        }
    }
    let def = &fwd.reg[..];
    let mut p = P { s: def, i: 0 };
    if let Ok(Some((tks, _))) = p.parse_table_key(false) {
        return tks != keys;
    }
    let mut p = P { s: def, i: 0 };
    if let Ok((dks, _)) = p.parse_key() {
        return dks != keys[curr..];
    }
    false
}

fn insert_nested_key(
    root: &mut Table,
    v: Node,
    keys: &[Key],
    key_reg: &Rc<[u8]>,
    array_of_tables: bool,
) -> Result<(), PErr> {
    let mut tab = root;
    for (idx, k) in keys.iter().enumerate() {
        if idx + 1 == keys.len() {
            let name = dotted(keys);
            if array_of_tables {
                match tab.get_mut(k) {
                    Some(existing) => {
                        if matches!(existing.v, TVal::Table(_)) {
                            return hard(format!(
                                "toml::insert_value: array of table (\"{}\") cannot be defined",
                                name
                            ));
                        }
                        let TVal::Array(a) = &mut existing.v else {
                            return hard(format!(
                                "toml::insert_value: array of table (\"{}\") collides with existing value",
                                name
                            ));
                        };
                        if a.is_empty() || !matches!(a[0].v, TVal::Table(_)) {
                            return hard(format!(
                                "toml::insert_value: array of table (\"{}\") collides with existing value",
                                name
                            ));
                        }
                        if !a[0].reg.starts_with(b"[[") {
                            return hard(format!(
                                "toml::insert_value: array of table (\"{}\") collides with existing array-of-tables",
                                name
                            ));
                        }
                        a.push(v);
                    }
                    None => {
                        tab.insert(k.clone(), Node { v: TVal::Array(vec![v]), reg: key_reg.clone() });
                    }
                }
                return Ok(());
            }
            let Some(existing) = tab.get_mut(k) else {
                tab.insert(k.clone(), v);
                return Ok(());
            };
            if let (TVal::Table(_), TVal::Table(_)) = (&existing.v, &v.v) {
                if !is_valid_forward_table_definition(existing, &v, keys, idx) {
                    return hard(format!("toml::insert_value: table (\"{}\") already exists.", name));
                }
                let (TVal::Table(t), TVal::Table(new)) = (&mut existing.v, v.v) else { unreachable!() };
                for (nk, nv) in new {
                    if t.contains_key(&nk) {
                        return hard(format!("toml::insert_value: value (\"{}\") already exists.", name));
                    }
                    t.insert(nk, nv);
                }
                existing.reg = key_reg.clone();
                return Ok(());
            }
            if matches!(v.v, TVal::Table(_)) {
                if let TVal::Array(a) = &existing.v {
                    if !a.is_empty() && matches!(a[0].v, TVal::Table(_)) {
                        return hard(format!("toml::insert_value: array of tables (\"{}\") already exists.", name));
                    }
                }
            }
            return hard(format!("toml::insert_value: value (\"{}\") already exists.", name));
        }
        let prefix = dotted(&keys[..=idx]);
        let entry = tab.entry(k.clone()).or_insert_with(|| Node { v: TVal::Table(Table::new()), reg: key_reg.clone() });
        let is_inline = entry.reg.first() == Some(&b'{');
        tab = match &mut entry.v {
            TVal::Table(t) => {
                if is_inline {
                    return hard(format!(
                        "toml::insert_value: inserting to an inline table ({}) but inline tables are immutable",
                        prefix
                    ));
                }
                t
            }
            TVal::Array(a) => match a.last_mut() {
                Some(Node { v: TVal::Table(t), .. }) => t,
                _ => {
                    return hard(format!(
                        "toml::insert_value: target ({}) is neither table nor an array of tables",
                        prefix
                    ))
                }
            },
            _ => {
                return hard(format!(
                    "toml::insert_value: target ({}) is neither table nor an array of tables",
                    prefix
                ));
            }
        };
    }
    Ok(())
}

fn parse_toml(text: &[u8]) -> Result<Table, PErr> {
    let mut s = text.to_vec();
    if let Some(&last) = s.last() {
        if last != b'\n' && last != b'\r' {
            s.push(b'\n');
        }
    }
    let mut p = P { s: &s, i: 0 };
    if s.starts_with(&[0xEF, 0xBB, 0xBF]) {
        p.i = 3;
    }
    p.parse_toml_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> String {
        match parse_toml(text.as_bytes()) {
            Ok(_) => "ok".into(),
            Err(e) => e.message(),
        }
    }

    #[test]
    fn errors_match_toml11() {
        assert_eq!(msg("a = "), "[error] toml::parse_key_value_pair: missing value after key-value separator '='");
        assert_eq!(msg("a = 1\na = 2"), "[error] toml::insert_value: value (\"a\") already exists.");
        assert_eq!(msg("[a]\n[a]"), "[error] toml::insert_value: table (\"a\") already exists.");
        assert_eq!(msg("a.b = 1\n[a]\nc = 2"), "ok");
    }
}
