//! `fromTOML`. Nix 2.8 rejects dates and times ("Dates and times are not
//! supported"), and so do we.

use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};

pub(crate) static PRIMOPS: &[PrimOp] = &[primop!("fromTOML", 1, from_toml)];

fn from_toml(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let text = ev.expect_str(&args[0], span)?;
    let fail = |m: String| EvalError::new(ErrorKind::Other, format!("while parsing a TOML string: {}", m), Some(span));
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| fail(toml_error_message(&e)))?;
    table_to_value(&table).map_err(fail)
}

fn toml_error_message(e: &toml::de::Error) -> String {
    let msg = e.message().lines().next().unwrap_or("").trim().to_string();
    format!("[error] {}", msg)
}

fn table_to_value(t: &toml::Table) -> Result<Value, String> {
    let mut a = Attrs::with_capacity(t.len());
    for (k, v) in t {
        a.insert(Symbol::intern(k), toml_to_value(v)?, None);
    }
    Ok(Value::attrs(a))
}

fn toml_to_value(v: &toml::Value) -> Result<Value, String> {
    Ok(match v {
        toml::Value::String(s) => Value::string(s.as_str()),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(_) => return Err("Dates and times are not supported".to_string()),
        toml::Value::Array(items) => Value::list(items.iter().map(toml_to_value).collect::<Result<_, _>>()?),
        toml::Value::Table(t) => table_to_value(t)?,
    })
}
