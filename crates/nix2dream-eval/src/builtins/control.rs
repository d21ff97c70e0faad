//! Type predicates, arithmetic, control flow, imports, JSON and files.

use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::ir::BinOp;
use nix2dream_syntax::{Span, Symbol};
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("typeOf", 1, type_of),
    primop!("isAttrs", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::Attrs(_)))),
    primop!("isList", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::List(_)))),
    primop!("isFunction", 1, |ev, a, _| is_type(ev, a, Value::is_function)),
    primop!("isString", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::String(_)))),
    primop!("isInt", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::Int(_)))),
    primop!("isFloat", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::Float(_)))),
    primop!("isBool", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::Bool(_)))),
    primop!("isNull", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::Null))),
    primop!("isPath", 1, |ev, a, _| is_type(ev, a, |v| matches!(v, Value::Path(_)))),
    primop!("add", 2, |ev, a, s| arith(ev, a, s, BinOp::Add)),
    primop!("sub", 2, |ev, a, s| arith(ev, a, s, BinOp::Sub)),
    primop!("mul", 2, |ev, a, s| arith(ev, a, s, BinOp::Mul)),
    primop!("div", 2, |ev, a, s| arith(ev, a, s, BinOp::Div)),
    primop!("lessThan", 2, less_than),
    primop!("bitAnd", 2, |ev, a, s| bits(ev, a, s, |x, y| x & y)),
    primop!("bitOr", 2, |ev, a, s| bits(ev, a, s, |x, y| x | y)),
    primop!("bitXor", 2, |ev, a, s| bits(ev, a, s, |x, y| x ^ y)),
    primop!("ceil", 1, |ev, a, s| round(ev, a, s, f64::ceil)),
    primop!("floor", 1, |ev, a, s| round(ev, a, s, f64::floor)),
    primop!("seq", 2, seq),
    primop!("deepSeq", 2, deep_seq),
    primop!("throw", 1, throw),
    primop!("abort", 1, abort),
    primop!("trace", 2, trace),
    primop!("warn", 2, warn),
    primop!("tryEval", 1, try_eval),
    primop!("addErrorContext", 2, add_error_context),
    primop!("import", 1, import),
    primop!("toJSON", 1, to_json),
    primop!("pathExists", 1, path_exists),
    primop!("readFile", 1, read_file),
    primop!("readDir", 1, read_dir),
    primop!("readFileType", 1, read_file_type),
    primop!("getEnv", 1, get_env),
    primop!("toPath", 1, to_path),
    primop!("findFile", 2, find_file),
];

fn type_of(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    Ok(Value::string(ev.force(&args[0])?.type_of()))
}

fn is_type(ev: &mut Evaluator, args: &[Value], pred: fn(&Value) -> bool) -> EvalResult<Value> {
    Ok(Value::Bool(pred(&ev.force(&args[0])?)))
}

fn arith(ev: &mut Evaluator, args: &[Value], span: Span, op: BinOp) -> EvalResult<Value> {
    let a = ev.force(&args[0])?;
    let b = ev.force(&args[1])?;
    // As C++ Nix 2.8 checks them: as floats when either is a float, else as
    // integers; `div` checks its divisor as a float first.
    let float = matches!(a, Value::Float(_)) || matches!(b, Value::Float(_));
    let check = |v: &Value, as_float: bool| match v {
        Value::Int(_) | Value::Float(_) => Ok(()),
        other => Err(EvalError::type_error(
            format!(
                "value is {} while {} was expected",
                other.type_desc(),
                if as_float { "a float" } else { "an integer" }
            ),
            span,
        )),
    };
    if op == BinOp::Div {
        check(&b, true)?;
        if matches!(b, Value::Int(0)) || matches!(b, Value::Float(f) if f == 0.0) {
            return Err(EvalError::new(crate::ErrorKind::Other, "division by zero", Some(span)));
        }
    }
    check(&a, float)?;
    check(&b, float)?;
    ev.arith(op, a, b, span, span)
}

fn less_than(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    Ok(Value::Bool(ev.less_than(&args[0], &args[1], span)?))
}

fn bits(ev: &mut Evaluator, args: &[Value], span: Span, f: fn(i64, i64) -> i64) -> EvalResult<Value> {
    let a = ev.expect_int(&args[0], span)?;
    let b = ev.expect_int(&args[1], span)?;
    Ok(Value::Int(f(a, b)))
}

fn round(ev: &mut Evaluator, args: &[Value], span: Span, f: fn(f64) -> f64) -> EvalResult<Value> {
    // Nix 2.8 converts to a double and back (`mkInt(ceil(x))`); a value out
    // of range converts, as on x86-64, to the smallest integer.
    let to_int = |x: f64| if (-9.223372036854776e18..9.223372036854776e18).contains(&x) { x as i64 } else { i64::MIN };
    match ev.force(&args[0])? {
        Value::Int(i) => Ok(Value::Int(to_int(f(i as f64)))),
        Value::Float(x) => Ok(Value::Int(to_int(f(x)))),
        other => Err(EvalError::type_error(format!("value is {} while a float was expected", other.type_desc()), span)),
    }
}

fn seq(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    ev.force(&args[0])?;
    ev.force(&args[1])
}

fn deep_seq(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    ev.force_deep(&args[0])?;
    ev.force(&args[1])
}

// A path message is copied to the store, as in C++ Nix's coerceToString:
// `throw ./f` says "/nix/store/<hash>-f".
fn throw(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (msg, _) = ev.coerce_to_string(&args[0], span, false, true)?;
    Err(EvalError::new(ErrorKind::Throw, msg, Some(span)))
}

fn abort(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (msg, _) = ev.coerce_to_string(&args[0], span, false, true)?;
    Err(EvalError::new(
        ErrorKind::Abort,
        format!("evaluation aborted with the following error message: '{}'", msg),
        Some(span),
    ))
}

fn trace(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    let v = ev.force(&args[0])?;
    let shown = match &v {
        Value::String(s) => s.as_str().to_string(),
        _ => crate::print::print_value(ev, &v, false)?,
    };
    ev.trace(format!("trace: {}", shown));
    ev.force(&args[1])
}

fn warn(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let msg = ev.expect_string(&args[0], span)?;
    ev.trace(format!("evaluation warning: {}", msg.as_str()));
    ev.force(&args[1])
}

fn try_eval(ev: &mut Evaluator, args: &[Value], _: Span) -> EvalResult<Value> {
    let (success, value) = match ev.force(&args[0]) {
        Ok(v) => (true, v),
        Err(e) if e.is_catchable() => (false, Value::Bool(false)),
        Err(e) => return Err(e),
    };
    let mut a = Attrs::with_capacity(2);
    a.insert(Symbol::intern("success"), Value::Bool(success), None);
    a.insert(Symbol::intern("value"), value, None);
    Ok(Value::attrs(a))
}

fn add_error_context(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    match ev.force(&args[1]) {
        Ok(v) => Ok(v),
        // The context is made only on failure, as C++ Nix's
        // `coerceToString` makes it: a path is copied to the store (so a
        // missing one is the error then, as is a context that is no
        // string), and the trace line has no position.
        Err(e) => {
            let (msg, _) = ev.coerce_to_string(&args[0], span, false, true)?;
            Err(e.context(None, msg))
        }
    }
}

/// The path a value names, for `import`, `readFile` and friends: as
/// written, as C++ Nix's `coerceToPath` leaves it, so the system resolves
/// its `..` (`/missing/../etc` does not exist).
pub(crate) fn value_to_path(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<PathBuf> {
    let (s, _) = ev.coerce_to_string(v, span, false, false)?;
    if !s.starts_with('/') {
        return Err(EvalError::type_error(format!("string '{}' doesn't represent an absolute path", s), span));
    }
    Ok(PathBuf::from(s))
}

fn import(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let path = value_to_path(ev, &args[0], span)?;
    ev.import_path(&path, Some(span))
}

/// False for whatever `lstat` fails on, as in C++ Nix (a file with a
/// trailing slash, a path not allowed in pure mode).
fn path_exists(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let path = value_to_path(ev, &args[0], span)?;
    Ok(Value::Bool(ev.io.lstat(&path).is_ok()))
}

fn read_file(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let path = value_to_path(ev, &args[0], span)?;
    let bytes = ev
        .io
        .read_file(&path)
        .map_err(|e| EvalError::new(ErrorKind::Io, crate::read_file_message(&path, &e), Some(span)))?;
    if bytes.contains(&0) {
        return Err(EvalError::new(
            ErrorKind::Other,
            format!("the contents of the file '{}' cannot be represented as a Nix string", path.display()),
            Some(span),
        ));
    }
    // The file's bytes as they are: a Nix string is bytes, and a file that
    // is not UTF-8 keeps its length and hash.
    Ok(Value::string_from_bytes(bytes, Context::new()))
}

fn read_dir(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let path = value_to_path(ev, &args[0], span)?;
    let entries = ev.io.read_dir(&path).map_err(|e| {
        EvalError::new(
            ErrorKind::Io,
            format!("opening directory '{}': {}", path.display(), crate::io_message(&e)),
            Some(span),
        )
    })?;
    let mut a = Attrs::with_capacity(entries.len());
    for (name, t) in entries {
        a.insert(Symbol::intern(&name), Value::string(t.nix_name()), None);
    }
    Ok(Value::attrs(a))
}

fn read_file_type(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let path = value_to_path(ev, &args[0], span)?;
    match ev.io.lstat(&path) {
        Ok(t) => Ok(Value::string(t.nix_name())),
        Err(e) => Err(EvalError::new(
            ErrorKind::Io,
            format!("getting status of '{}': {}", path.display(), crate::io_message(&e)),
            Some(span),
        )),
    }
}

fn get_env(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = super::context::expect_str_no_ctx(ev, &args[0], span)?;
    if ev.options.pure {
        return Ok(Value::string(""));
    }
    Ok(Value::string(ev.io.env_var(&name).unwrap_or_default()))
}

/// `toPath`: the path without `.`, `..` and doubled slashes, with the
/// string context of its argument (C++ Nix's `canonPath` of
/// `coerceToPath`).
fn to_path(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let (s, ctx) = ev.coerce_to_string(&args[0], span, false, false)?;
    if !s.starts_with('/') {
        return Err(EvalError::type_error(format!("string '{}' doesn't represent an absolute path", s), span));
    }
    Ok(Value::string_with_context(nix2dream_syntax::lower::canonicalize(Path::new(&s)), ctx))
}

/// `__findFile nixPath "name/sub"`: the lookup behind `<name/sub>`.
fn find_file(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    // As C++ Nix: the whole search path is read before the name.
    let list = ev.expect_list(&args[0], span)?;
    let mut search_path = Vec::with_capacity(list.len());
    for item in list.iter() {
        let a = ev.expect_attrs(item, span)?;
        let prefix: Rc<str> = match a.get(Symbol::intern("prefix")).cloned() {
            Some(p) => Rc::from(ev.expect_str(&p, span)?.as_str()),
            None => Rc::from(""),
        };
        let Some(path_v) = a.get(Symbol::intern("path")).cloned() else {
            return Err(EvalError::type_error("attribute 'path' missing for call to 'findFile'", span));
        };
        let (path, _) = ev.coerce_to_string(&path_v, span, false, false)?;
        search_path.push((prefix, path));
    }
    let wanted = ev.expect_str(&args[1], span)?;
    for (prefix, path) in search_path {
        let rest = if prefix.is_empty() {
            Some(wanted.to_string())
        } else if *wanted == *prefix {
            Some(String::new())
        } else if wanted.starts_with(&format!("{}/", prefix)) {
            Some(wanted[prefix.len() + 1..].to_string())
        } else {
            None
        };
        let Some(rest) = rest else { continue };
        // As C++ Nix: the entry and the rest as written must exist (the
        // system resolves `..`), and the result is canonical.
        let candidate = if rest.is_empty() { PathBuf::from(&path) } else { Path::new(&path).join(&rest) };
        if ev.io.path_exists(&candidate) {
            return Ok(Value::Path(nix2dream_syntax::lower::canonicalize(&candidate).into()));
        }
    }
    // A `throw` in C++ Nix 2.8: `tryEval <missing>` catches it.
    Err(EvalError::new(
        ErrorKind::Throw,
        format!("file '{}' was not found in the Nix search path (add it using $NIX_PATH or -I)", wanted),
        Some(span),
    ))
}

fn to_json(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut ctx = Context::new();
    let mut out = Vec::new();
    crate::print::write_json_bytes(ev, &args[0], span, &mut out, &mut ctx)?;
    Ok(Value::string_from_bytes(out, ctx))
}
