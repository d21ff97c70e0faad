//! Version strings: `compareVersions`, `splitVersion`, `parseDrvName`,
//! with C++ Nix's component rules (`names.cc`).

use super::context::expect_str_no_ctx;
use super::primop;
use crate::error::EvalResult;
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};
use std::cmp::Ordering;

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("compareVersions", 2, compare_versions_op),
    primop!("splitVersion", 1, split_version),
    primop!("parseDrvName", 1, parse_drv_name),
];

/// The next version component starting at `*p`: separators (`.`, `-`) are
/// skipped, then either a run of digits or a run of other characters.
pub fn next_component<'a>(s: &'a [u8], p: &mut usize) -> &'a [u8] {
    while *p < s.len() && (s[*p] == b'.' || s[*p] == b'-') {
        *p += 1;
    }
    let start = *p;
    if *p < s.len() && s[*p].is_ascii_digit() {
        while *p < s.len() && s[*p].is_ascii_digit() {
            *p += 1;
        }
    } else {
        while *p < s.len() && !s[*p].is_ascii_digit() && s[*p] != b'.' && s[*p] != b'-' {
            *p += 1;
        }
    }
    &s[start..*p]
}

/// `string2Int<int>`: digits only, and it must fit a C `int`.
fn as_int(c: &[u8]) -> Option<i32> {
    if c.is_empty() || !c.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(c).ok()?.parse::<i32>().ok()
}

fn components_lt(c1: &[u8], c2: &[u8]) -> bool {
    let n1 = as_int(c1);
    let n2 = as_int(c2);
    match (n1, n2) {
        (Some(a), Some(b)) => a < b,
        _ if c1.is_empty() && n2.is_some() => true,
        _ if c1 == b"pre" && c2 != b"pre" => true,
        _ if c2 == b"pre" => false,
        // `2.3a` < `2.3.1`.
        (_, Some(_)) => true,
        (Some(_), _) => false,
        _ => c1 < c2,
    }
}

/// C++ Nix's `compareVersions`.
pub fn compare_versions(v1: &[u8], v2: &[u8]) -> Ordering {
    let (mut p1, mut p2) = (0, 0);
    while p1 < v1.len() || p2 < v2.len() {
        let c1 = next_component(v1, &mut p1);
        let c2 = next_component(v2, &mut p2);
        if components_lt(c1, c2) {
            return Ordering::Less;
        }
        if components_lt(c2, c1) {
            return Ordering::Greater;
        }
    }
    Ordering::Equal
}

fn compare_versions_op(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = expect_str_no_ctx(ev, &args[0], span)?;
    let b = expect_str_no_ctx(ev, &args[1], span)?;
    Ok(Value::Int(match compare_versions(a.as_bytes(), b.as_bytes()) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

fn split_version(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let v = expect_str_no_ctx(ev, &args[0], span)?;
    let bytes = v.as_bytes();
    let mut p = 0;
    let mut out = Vec::new();
    while p < bytes.len() {
        let c = next_component(bytes, &mut p);
        if c.is_empty() {
            break;
        }
        out.push(Value::string(String::from_utf8_lossy(c)));
    }
    Ok(Value::list(out))
}

/// `DrvName`: the name ends at the first `-` not followed by a letter.
pub fn split_drv_name(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'-' && i + 1 < b.len() && !b[i + 1].is_ascii_alphabetic() {
            return (&s[..i], &s[i + 1..]);
        }
    }
    (s, "")
}

fn parse_drv_name(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let s = expect_str_no_ctx(ev, &args[0], span)?;
    let (name, version) = split_drv_name(&s);
    let mut a = Attrs::with_capacity(2);
    a.insert(Symbol::intern("name"), Value::string(name), None);
    a.insert(Symbol::intern("version"), Value::string(version), None);
    Ok(Value::attrs(a))
}
