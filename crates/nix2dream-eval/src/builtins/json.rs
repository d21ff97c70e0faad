//! `fromJSON`, with a parser that mirrors the nlohmann::json SAX parser
//! C++ Nix uses, so that accepted inputs, number conversions and error
//! messages (`[json.exception.parse_error.101] parse error at line 1,
//! column 4: ...`) are the same.

use super::context::expect_str_no_ctx;
use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};

pub(crate) static PRIMOPS: &[PrimOp] = &[primop!("fromJSON", 1, from_json)];

fn from_json(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let text = expect_str_no_ctx(ev, &args[0], span)?;
    parse_json(text.as_bytes()).map_err(|msg| EvalError::new(ErrorKind::Other, msg, Some(span)))
}

/// Parse a JSON document into a Nix value; the error is nlohmann's
/// `what()` text.
pub fn parse_json(input: &[u8]) -> Result<Value, String> {
    let mut p = Parser { lex: Lexer::new(input), last: Token::Uninitialized };
    p.parse()
}

const EOF: i32 = -1;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token {
    Uninitialized,
    True,
    False,
    Null,
    String,
    Unsigned,
    Integer,
    Float,
    BeginArray,
    BeginObject,
    EndArray,
    EndObject,
    NameSeparator,
    ValueSeparator,
    ParseError,
    EndOfInput,
    LiteralOrValue,
}

fn token_name(t: Token) -> &'static str {
    match t {
        Token::Uninitialized => "<uninitialized>",
        Token::True => "true literal",
        Token::False => "false literal",
        Token::Null => "null literal",
        Token::String => "string literal",
        Token::Unsigned | Token::Integer | Token::Float => "number literal",
        Token::BeginArray => "'['",
        Token::BeginObject => "'{'",
        Token::EndArray => "']'",
        Token::EndObject => "'}'",
        Token::NameSeparator => "':'",
        Token::ValueSeparator => "','",
        Token::ParseError => "<parse error>",
        Token::EndOfInput => "end of input",
        Token::LiteralOrValue => "'[', '{', or a literal",
    }
}

struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
    current: i32,
    next_unget: bool,
    chars_read_total: usize,
    chars_read_current_line: usize,
    lines_read: usize,
    token_string: Vec<u8>,
    token_buffer: Vec<u8>,
    error_message: &'static str,
    value_unsigned: u64,
    value_integer: i64,
    value_float: f64,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a [u8]) -> Lexer<'a> {
        Lexer {
            input,
            pos: 0,
            current: EOF,
            next_unget: false,
            chars_read_total: 0,
            chars_read_current_line: 0,
            lines_read: 0,
            token_string: Vec::new(),
            token_buffer: Vec::new(),
            error_message: "",
            value_unsigned: 0,
            value_integer: 0,
            value_float: 0.0,
        }
    }

    fn get(&mut self) -> i32 {
        self.chars_read_total += 1;
        self.chars_read_current_line += 1;
        if self.next_unget {
            self.next_unget = false;
        } else if self.pos < self.input.len() {
            self.current = self.input[self.pos] as i32;
            self.pos += 1;
        } else {
            self.current = EOF;
        }
        if self.current != EOF {
            self.token_string.push(self.current as u8);
        }
        if self.current == b'\n' as i32 {
            self.lines_read += 1;
            self.chars_read_current_line = 0;
        }
        self.current
    }

    fn unget(&mut self) {
        self.next_unget = true;
        self.chars_read_total -= 1;
        if self.chars_read_current_line == 0 {
            if self.lines_read > 0 {
                self.lines_read -= 1;
            }
        } else {
            self.chars_read_current_line -= 1;
        }
        if self.current != EOF {
            self.token_string.pop();
        }
    }

    fn reset(&mut self) {
        self.token_buffer.clear();
        self.token_string.clear();
        if self.current != EOF {
            self.token_string.push(self.current as u8);
        }
    }

    fn add(&mut self, c: i32) {
        self.token_buffer.push(c as u8);
    }

    fn token_string(&self) -> String {
        let mut out = String::new();
        let mut raw = Vec::new();
        for &c in &self.token_string {
            if c <= 0x1f {
                out.push_str(&String::from_utf8_lossy(&raw));
                raw.clear();
                out.push_str(&format!("<U+{:04X}>", c));
            } else {
                raw.push(c);
            }
        }
        out.push_str(&String::from_utf8_lossy(&raw));
        out
    }

    fn position(&self) -> String {
        format!("line {}, column {}", self.lines_read + 1, self.chars_read_current_line)
    }

    fn skip_bom(&mut self) -> bool {
        if self.get() == 0xEF {
            return self.get() == 0xBB && self.get() == 0xBF;
        }
        self.unget();
        true
    }

    fn scan(&mut self) -> Token {
        if self.chars_read_total == 0 && !self.skip_bom() {
            self.error_message = "invalid BOM; must be 0xEF 0xBB 0xBF if given";
            return Token::ParseError;
        }
        loop {
            self.get();
            if !matches!(self.current, 0x20 | 0x09 | 0x0a | 0x0d) {
                break;
            }
        }
        match self.current {
            EOF | 0 => Token::EndOfInput,
            c => match c as u8 {
                b'[' => Token::BeginArray,
                b']' => Token::EndArray,
                b'{' => Token::BeginObject,
                b'}' => Token::EndObject,
                b':' => Token::NameSeparator,
                b',' => Token::ValueSeparator,
                b't' => self.scan_literal(b"true", Token::True),
                b'f' => self.scan_literal(b"false", Token::False),
                b'n' => self.scan_literal(b"null", Token::Null),
                b'"' => self.scan_string(),
                b'-' | b'0'..=b'9' => self.scan_number(),
                _ => {
                    self.error_message = "invalid literal";
                    Token::ParseError
                }
            },
        }
    }

    fn scan_literal(&mut self, text: &[u8], t: Token) -> Token {
        for &c in &text[1..] {
            if self.get() != c as i32 {
                self.error_message = "invalid literal";
                return Token::ParseError;
            }
        }
        t
    }

    fn get_codepoint(&mut self) -> i32 {
        let mut cp = 0;
        for factor in [12, 8, 4, 0] {
            let c = self.get();
            let d = match c {
                0x30..=0x39 => c - 0x30,
                0x41..=0x46 => c - 0x41 + 10,
                0x61..=0x66 => c - 0x61 + 10,
                _ => return -1,
            };
            cp += d << factor;
        }
        cp
    }

    fn next_byte_in_range(&mut self, ranges: &[(i32, i32)]) -> bool {
        self.add(self.current);
        for &(lo, hi) in ranges {
            let c = self.get();
            if lo <= c && c <= hi {
                self.add(c);
            } else {
                self.error_message = "invalid string: ill-formed UTF-8 byte";
                return false;
            }
        }
        true
    }

    fn scan_string(&mut self) -> Token {
        self.reset();
        loop {
            let c = self.get();
            match c {
                EOF => {
                    self.error_message = "invalid string: missing closing quote";
                    return Token::ParseError;
                }
                0x22 => return Token::String,
                0x5c => match self.get() {
                    0x22 => self.add(0x22),
                    0x5c => self.add(0x5c),
                    0x2f => self.add(0x2f),
                    0x62 => self.add(0x08),
                    0x66 => self.add(0x0c),
                    0x6e => self.add(0x0a),
                    0x72 => self.add(0x0d),
                    0x74 => self.add(0x09),
                    0x75 => {
                        let cp1 = self.get_codepoint();
                        let mut cp = cp1;
                        if cp1 == -1 {
                            self.error_message = "invalid string: '\\u' must be followed by 4 hex digits";
                            return Token::ParseError;
                        }
                        if (0xD800..=0xDBFF).contains(&cp1) {
                            if self.get() == 0x5c && self.get() == 0x75 {
                                let cp2 = self.get_codepoint();
                                if cp2 == -1 {
                                    self.error_message = "invalid string: '\\u' must be followed by 4 hex digits";
                                    return Token::ParseError;
                                }
                                if (0xDC00..=0xDFFF).contains(&cp2) {
                                    cp = ((cp1 << 10) + cp2) - 0x35FDC00;
                                } else {
                                    self.error_message =
                                        "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
                                    return Token::ParseError;
                                }
                            } else {
                                self.error_message =
                                    "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
                                return Token::ParseError;
                            }
                        } else if (0xDC00..=0xDFFF).contains(&cp1) {
                            self.error_message = "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF";
                            return Token::ParseError;
                        }
                        let ch = char::from_u32(cp as u32).unwrap_or('\u{FFFD}');
                        let mut buf = [0u8; 4];
                        for &b in ch.encode_utf8(&mut buf).as_bytes() {
                            self.token_buffer.push(b);
                        }
                    }
                    _ => {
                        self.error_message = "invalid string: forbidden character after backslash";
                        return Token::ParseError;
                    }
                },
                0x00..=0x1f => {
                    self.error_message = CONTROL_MESSAGES[c as usize];
                    return Token::ParseError;
                }
                0x20..=0x7f => self.add(c),
                0xC2..=0xDF => {
                    if !self.next_byte_in_range(&[(0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                0xE0 => {
                    if !self.next_byte_in_range(&[(0xA0, 0xBF), (0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                0xE1..=0xEC | 0xEE | 0xEF => {
                    if !self.next_byte_in_range(&[(0x80, 0xBF), (0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                0xED => {
                    if !self.next_byte_in_range(&[(0x80, 0x9F), (0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                0xF0 => {
                    if !self.next_byte_in_range(&[(0x90, 0xBF), (0x80, 0xBF), (0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                0xF1..=0xF3 => {
                    if !self.next_byte_in_range(&[(0x80, 0xBF), (0x80, 0xBF), (0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                0xF4 => {
                    if !self.next_byte_in_range(&[(0x80, 0x8F), (0x80, 0xBF), (0x80, 0xBF)]) {
                        return Token::ParseError;
                    }
                }
                _ => {
                    self.error_message = "invalid string: ill-formed UTF-8 byte";
                    return Token::ParseError;
                }
            }
        }
    }

    fn scan_number(&mut self) -> Token {
        self.reset();
        #[derive(PartialEq)]
        enum State {
            Minus,
            Zero,
            Any1,
            Decimal1,
            Decimal2,
            Exponent,
            Sign,
            Any2,
            Done,
        }
        let mut number_type = Token::Unsigned;
        let c = self.current;
        self.add(c);
        let mut state = match c as u8 {
            b'-' => State::Minus,
            b'0' => State::Zero,
            _ => State::Any1,
        };
        let is_digit = |c: i32| (0x30..=0x39).contains(&c);
        while state != State::Done {
            state = match state {
                State::Minus => {
                    number_type = Token::Integer;
                    let c = self.get();
                    if c == 0x30 {
                        self.add(c);
                        State::Zero
                    } else if is_digit(c) {
                        self.add(c);
                        State::Any1
                    } else {
                        self.error_message = "invalid number; expected digit after '-'";
                        return Token::ParseError;
                    }
                }
                State::Zero => match self.get() {
                    0x2e => {
                        self.add(0x2e);
                        State::Decimal1
                    }
                    c @ (0x65 | 0x45) => {
                        self.add(c);
                        State::Exponent
                    }
                    _ => State::Done,
                },
                State::Any1 => match self.get() {
                    c if is_digit(c) => {
                        self.add(c);
                        State::Any1
                    }
                    0x2e => {
                        self.add(0x2e);
                        State::Decimal1
                    }
                    c @ (0x65 | 0x45) => {
                        self.add(c);
                        State::Exponent
                    }
                    _ => State::Done,
                },
                State::Decimal1 => {
                    number_type = Token::Float;
                    let c = self.get();
                    if is_digit(c) {
                        self.add(c);
                        State::Decimal2
                    } else {
                        self.error_message = "invalid number; expected digit after '.'";
                        return Token::ParseError;
                    }
                }
                State::Decimal2 => match self.get() {
                    c if is_digit(c) => {
                        self.add(c);
                        State::Decimal2
                    }
                    c @ (0x65 | 0x45) => {
                        self.add(c);
                        State::Exponent
                    }
                    _ => State::Done,
                },
                State::Exponent => {
                    number_type = Token::Float;
                    match self.get() {
                        c @ (0x2b | 0x2d) => {
                            self.add(c);
                            State::Sign
                        }
                        c if is_digit(c) => {
                            self.add(c);
                            State::Any2
                        }
                        _ => {
                            self.error_message = "invalid number; expected '+', '-', or digit after exponent";
                            return Token::ParseError;
                        }
                    }
                }
                State::Sign => {
                    let c = self.get();
                    if is_digit(c) {
                        self.add(c);
                        State::Any2
                    } else {
                        self.error_message = "invalid number; expected digit after exponent sign";
                        return Token::ParseError;
                    }
                }
                State::Any2 => {
                    let c = self.get();
                    if is_digit(c) {
                        self.add(c);
                        State::Any2
                    } else {
                        State::Done
                    }
                }
                State::Done => State::Done,
            };
        }
        self.unget();
        let text = std::str::from_utf8(&self.token_buffer).unwrap_or("0");
        if number_type == Token::Unsigned {
            if let Ok(x) = text.parse::<u64>() {
                self.value_unsigned = x;
                return Token::Unsigned;
            }
        } else if number_type == Token::Integer {
            if let Ok(x) = text.parse::<i64>() {
                self.value_integer = x;
                return Token::Integer;
            }
        }
        self.value_float = text.parse::<f64>().unwrap_or(f64::NAN);
        Token::Float
    }

    /// Attribute names are symbols, which keep a NUL.
    fn key_value(&self) -> String {
        String::from_utf8_lossy(&self.token_buffer).into_owned()
    }

    fn string_value(&self) -> String {
        // Nix 2.8 stores strings as C strings: a NUL ends them.
        let bytes = match self.token_buffer.iter().position(|&b| b == 0) {
            Some(i) => &self.token_buffer[..i],
            None => &self.token_buffer[..],
        };
        String::from_utf8_lossy(bytes).into_owned()
    }
}

static CONTROL_MESSAGES: [&str; 32] = [
    "invalid string: control character U+0000 (NUL) must be escaped to \\u0000",
    "invalid string: control character U+0001 (SOH) must be escaped to \\u0001",
    "invalid string: control character U+0002 (STX) must be escaped to \\u0002",
    "invalid string: control character U+0003 (ETX) must be escaped to \\u0003",
    "invalid string: control character U+0004 (EOT) must be escaped to \\u0004",
    "invalid string: control character U+0005 (ENQ) must be escaped to \\u0005",
    "invalid string: control character U+0006 (ACK) must be escaped to \\u0006",
    "invalid string: control character U+0007 (BEL) must be escaped to \\u0007",
    "invalid string: control character U+0008 (BS) must be escaped to \\u0008 or \\b",
    "invalid string: control character U+0009 (HT) must be escaped to \\u0009 or \\t",
    "invalid string: control character U+000A (LF) must be escaped to \\u000A or \\n",
    "invalid string: control character U+000B (VT) must be escaped to \\u000B",
    "invalid string: control character U+000C (FF) must be escaped to \\u000C or \\f",
    "invalid string: control character U+000D (CR) must be escaped to \\u000D or \\r",
    "invalid string: control character U+000E (SO) must be escaped to \\u000E",
    "invalid string: control character U+000F (SI) must be escaped to \\u000F",
    "invalid string: control character U+0010 (DLE) must be escaped to \\u0010",
    "invalid string: control character U+0011 (DC1) must be escaped to \\u0011",
    "invalid string: control character U+0012 (DC2) must be escaped to \\u0012",
    "invalid string: control character U+0013 (DC3) must be escaped to \\u0013",
    "invalid string: control character U+0014 (DC4) must be escaped to \\u0014",
    "invalid string: control character U+0015 (NAK) must be escaped to \\u0015",
    "invalid string: control character U+0016 (SYN) must be escaped to \\u0016",
    "invalid string: control character U+0017 (ETB) must be escaped to \\u0017",
    "invalid string: control character U+0018 (CAN) must be escaped to \\u0018",
    "invalid string: control character U+0019 (EM) must be escaped to \\u0019",
    "invalid string: control character U+001A (SUB) must be escaped to \\u001A",
    "invalid string: control character U+001B (ESC) must be escaped to \\u001B",
    "invalid string: control character U+001C (FS) must be escaped to \\u001C",
    "invalid string: control character U+001D (GS) must be escaped to \\u001D",
    "invalid string: control character U+001E (RS) must be escaped to \\u001E",
    "invalid string: control character U+001F (US) must be escaped to \\u001F",
];

/// A container being filled: an array, or an object with its pending key.
enum Frame {
    Array(Vec<Value>),
    Object(Vec<(String, Value)>, String),
}

struct Parser<'a> {
    lex: Lexer<'a>,
    last: Token,
}

impl<'a> Parser<'a> {
    fn get_token(&mut self) -> Token {
        self.last = self.lex.scan();
        self.last
    }

    fn error(&self, expected: Token, context: &str) -> String {
        let mut msg = String::from("syntax error ");
        if !context.is_empty() {
            msg.push_str(&format!("while parsing {} ", context));
        }
        msg.push_str("- ");
        if self.last == Token::ParseError {
            msg.push_str(&format!("{}; last read: '{}'", self.lex.error_message, self.lex.token_string()));
        } else {
            msg.push_str(&format!("unexpected {}", token_name(self.last)));
        }
        if expected != Token::Uninitialized {
            msg.push_str(&format!("; expected {}", token_name(expected)));
        }
        format!("[json.exception.parse_error.101] parse error at {}: {}", self.lex.position(), msg)
    }

    fn parse(&mut self) -> Result<Value, String> {
        self.get_token();
        let v = self.parse_internal()?;
        if self.get_token() != Token::EndOfInput {
            return Err(self.error(Token::EndOfInput, "value"));
        }
        Ok(v)
    }

    fn parse_internal(&mut self) -> Result<Value, String> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut skip_to_state = false;
        let mut done: Option<Value> = None;
        loop {
            if !skip_to_state {
                let value = match self.last {
                    Token::BeginObject => {
                        if self.get_token() == Token::EndObject {
                            Value::attrs(Attrs::default())
                        } else {
                            if self.last != Token::String {
                                return Err(self.error(Token::String, "object key"));
                            }
                            let key = self.lex.key_value();
                            if self.get_token() != Token::NameSeparator {
                                return Err(self.error(Token::NameSeparator, "object separator"));
                            }
                            stack.push(Frame::Object(Vec::new(), key));
                            self.get_token();
                            continue;
                        }
                    }
                    Token::BeginArray => {
                        if self.get_token() == Token::EndArray {
                            Value::list(Vec::new())
                        } else {
                            stack.push(Frame::Array(Vec::new()));
                            continue;
                        }
                    }
                    Token::Float => {
                        let f = self.lex.value_float;
                        if !f.is_finite() {
                            return Err(format!(
                                "[json.exception.out_of_range.406] number overflow parsing '{}'",
                                self.lex.token_string()
                            ));
                        }
                        Value::Float(f)
                    }
                    Token::False => Value::Bool(false),
                    Token::True => Value::Bool(true),
                    Token::Null => Value::Null,
                    Token::Integer => Value::Int(self.lex.value_integer),
                    Token::Unsigned => Value::Int(self.lex.value_unsigned as i64),
                    Token::String => Value::string(self.lex.string_value()),
                    Token::ParseError => return Err(self.error(Token::Uninitialized, "value")),
                    _ => return Err(self.error(Token::LiteralOrValue, "value")),
                };
                done = Some(value);
            } else {
                skip_to_state = false;
            }
            // A value was parsed (in `done`): store it in its container.
            if let Some(v) = done.take() {
                match stack.last_mut() {
                    None => return Ok(v),
                    Some(Frame::Array(items)) => items.push(v),
                    Some(Frame::Object(entries, key)) => entries.push((std::mem::take(key), v)),
                }
            }
            match stack.last_mut() {
                None => unreachable!("values are returned when the stack is empty"),
                Some(Frame::Array(_)) => {
                    if self.get_token() == Token::ValueSeparator {
                        self.get_token();
                        continue;
                    }
                    if self.last == Token::EndArray {
                        let Some(Frame::Array(items)) = stack.pop() else { unreachable!() };
                        done = Some(Value::list(items));
                        skip_to_state = true;
                        continue;
                    }
                    return Err(self.error(Token::EndArray, "array"));
                }
                Some(Frame::Object(..)) => {
                    if self.get_token() == Token::ValueSeparator {
                        if self.get_token() != Token::String {
                            return Err(self.error(Token::String, "object key"));
                        }
                        let key = self.lex.key_value();
                        if let Some(Frame::Object(_, k)) = stack.last_mut() {
                            *k = key;
                        }
                        if self.get_token() != Token::NameSeparator {
                            return Err(self.error(Token::NameSeparator, "object separator"));
                        }
                        self.get_token();
                        continue;
                    }
                    if self.last == Token::EndObject {
                        let Some(Frame::Object(entries, _)) = stack.pop() else { unreachable!() };
                        done = Some(object_value(entries));
                        skip_to_state = true;
                        continue;
                    }
                    return Err(self.error(Token::EndObject, "object"));
                }
            }
        }
    }
}

/// Later duplicates win, as in C++ Nix's map of attributes.
fn object_value(entries: Vec<(String, Value)>) -> Value {
    let mut a = Attrs::with_capacity(entries.len());
    for (k, v) in entries {
        a.insert(Symbol::intern(&k), v, None);
    }
    Value::attrs(a)
}
