//! Derivations and the (virtual) store: `derivationStrict`, `derivation`,
//! `toFile`, `path`, `filterSource`, `storePath`, `placeholder`, the
//! fetchers (which fail: network access is off).
//!
//! Everything added to the store goes to [`crate::store::Store`], which
//! computes paths exactly as C++ Nix does and keeps the contents.

use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::store::path::{self as sp, FileIngestionMethod, Hash, HashAlgo};
use crate::store::{self, Derivation, DerivationOutput, FileTree};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};
use std::collections::BTreeSet;
use std::rc::Rc;

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("derivationStrict", 1, derivation_strict),
    primop!("placeholder", 1, placeholder),
    primop!("toFile", 2, to_file),
    primop!("path", 1, path),
    primop!("filterSource", 2, filter_source),
    primop!("storePath", 1, store_path),
    primop!("fetchurl", 1, fetchurl),
    primop!("fetchTarball", 1, fetch_tarball),
    primop!("fetchGit", 1, fetch_git),
    primop!("fetchMercurial", 1, fetch_mercurial),
    primop!("fetchTree", 1, fetch_tree),
    // `getFlake` exists only with the experimental `flakes` feature, which
    // Nix 2.8 has off by default: not defined here either.
];

/// `derivation`, as C++ Nix 2.8 defines it (`primops/derivation.nix`): a
/// Nix function around `derivationStrict`, so laziness, attribute order
/// and sharing (`all`, one set per output) are exactly Nix's. It starts
/// with a blank line, as the text C++ Nix builds in does, so that
/// positions in it are the same lines.
const DERIVATION_NIX: &str = r#"
/* This is the implementation of the ‘derivation’ builtin function.
   It's actually a wrapper around the ‘derivationStrict’ primop. */

drvAttrs @ { outputs ? [ "out" ], ... }:

let

  strict = derivationStrict drvAttrs;

  commonAttrs = drvAttrs // (builtins.listToAttrs outputsList) //
    { all = map (x: x.value) outputsList;
      inherit drvAttrs;
    };

  outputToAttrListElement = outputName:
    { name = outputName;
      value = commonAttrs // {
        outPath = builtins.getAttr outputName strict;
        drvPath = strict.drvPath;
        type = "derivation";
        inherit outputName;
      };
    };

  outputsList = map outputToAttrListElement outputs;

in (builtins.head outputsList).value
"#;

/// Install the table and `derivation`. Called by
/// `builtins::install` after the other tables.
pub(crate) fn install(ev: &mut Evaluator) {
    for op in PRIMOPS {
        let global = super::GLOBAL_NAMES.contains(&op.name);
        super::register(ev, op.name, Value::PrimOp(op), global);
    }
    // The source refers to `builtins`, which must exist to be lowered.
    super::refresh_builtins_set(ev);
    // A file to positions, as in C++ Nix (`unsafeGetAttrPos "type" drv`
    // names it), where an expression's text would name itself.
    let origin = nix2dream_syntax::Origin::Path(std::path::PathBuf::from("//builtin/derivation.nix"));
    let expr = ev.parse_expr(origin, DERIVATION_NIX).expect("the embedded derivation.nix parses");
    let env = ev.root_env.clone();
    let drv = ev.eval(&expr, &env).expect("the embedded derivation.nix evaluates");
    super::register(ev, "derivation", drv, true);
}

fn sym(s: &str) -> Symbol {
    Symbol::intern(s)
}

fn other(msg: impl Into<String>, span: Span) -> EvalError {
    EvalError::new(ErrorKind::Other, msg, Some(span))
}

/// `forceStringNoCtx`: a string that must not refer to the store.
pub(crate) fn force_string_no_ctx(ev: &mut Evaluator, v: &Value, span: Span) -> EvalResult<String> {
    let s = ev.expect_string(v, span)?;
    if let Some(c) = s.context().iter().next() {
        return Err(other(
            format!("the string '{}' is not allowed to refer to a store path (such as '{}')", s.as_str(), c),
            span,
        ));
    }
    Ok(s.as_str().to_string())
}

/// `coerceToPath`: a string (or path) that is an absolute path; keeps the
/// context.
fn coerce_to_path(ev: &mut Evaluator, v: &Value, span: Span, ctx: &mut Context) -> EvalResult<String> {
    let (s, c) = ev.coerce_to_string(v, span, false, false)?;
    ctx.extend(c);
    if !s.starts_with('/') {
        return Err(EvalError::type_error(format!("string '{}' doesn't represent an absolute path", s), span));
    }
    Ok(s)
}

/// C++ Nix's `baseNameOf` (one trailing slash is ignored).
fn base_name_of(path: &str) -> &str {
    if path.is_empty() {
        return "";
    }
    let mut last = path.len() - 1;
    if path.as_bytes()[last] == b'/' && last > 0 {
        last -= 1;
    }
    let start = path[..=last].rfind('/').map(|p| p + 1).unwrap_or(0);
    &path[start..=last]
}

/// `newHashAllowEmpty`: an empty hash means "all zeros" with a warning.
fn new_hash_allow_empty(ev: &mut Evaluator, s: &str, algo: Option<HashAlgo>, span: Span) -> EvalResult<Hash> {
    if s.is_empty() {
        let Some(algo) = algo else {
            return Err(other("empty hash requires explicit hash type", span));
        };
        let h = Hash::zero(algo);
        ev.trace(format!("warning: found empty hash, assuming '{}'", h.to_sri()));
        return Ok(h);
    }
    Hash::parse_any(s, algo).map_err(|m| other(m, span))
}

fn string_with_path_context(path: &str) -> Value {
    let mut ctx = Context::new();
    ctx.insert(Rc::from(path));
    Value::string_with_context(path, ctx)
}

// ---------------------------------------------------------------------
// derivationStrict

struct DrvBuilder {
    drv: Derivation,
    drv_name: String,
    pos_drv_name: Span,
    /// The call's position: C++ Nix reports some attributes' errors there.
    call: Span,
    context: Context,
    json: Option<String>,
    output_hash: Option<String>,
    output_hash_algo: String,
    ingestion: Option<FileIngestionMethod>,
    outputs: BTreeSet<String>,
}

impl DrvBuilder {
    fn hash_mode(&mut self, s: &str) -> EvalResult<()> {
        self.ingestion = Some(match s {
            "recursive" => FileIngestionMethod::Recursive,
            "flat" => FileIngestionMethod::Flat,
            _ => return Err(other(format!("invalid value '{}' for 'outputHashMode' attribute", s), self.pos_drv_name)),
        });
        Ok(())
    }

    fn set_outputs(&mut self, list: Vec<String>) -> EvalResult<()> {
        self.outputs.clear();
        for j in list {
            if self.outputs.contains(&j) {
                return Err(other(format!("duplicate derivation output '{}'", j), self.pos_drv_name));
            }
            // An output named `drv` would clash with `drvPath`.
            if j == "drv" {
                return Err(other("invalid derivation output name 'drv'", self.pos_drv_name));
            }
            self.outputs.insert(j);
        }
        if self.outputs.is_empty() {
            return Err(other("derivation cannot have an empty set of outputs", self.pos_drv_name));
        }
        Ok(())
    }

    fn process(&mut self, ev: &mut Evaluator, key: &str, v: &Value, pos: Span, ignore_nulls: bool) -> EvalResult<()> {
        if ignore_nulls && matches!(ev.force(v)?, Value::Null) {
            return Ok(());
        }
        let pd = self.pos_drv_name;
        match key {
            "__contentAddressed" => {
                if ev.expect_bool(v, self.call)? {
                    return Err(other(
                        "experimental Nix feature 'ca-derivations' is disabled; use '--extra-experimental-features ca-derivations' to override",
                        pd,
                    ));
                }
            }
            "__impure" => {
                if ev.expect_bool(v, self.call)? {
                    return Err(other(
                        "experimental Nix feature 'impure-derivations' is disabled; use '--extra-experimental-features impure-derivations' to override",
                        pd,
                    ));
                }
            }
            // The builder's command-line arguments.
            "args" => {
                let list = ev.expect_list(v, self.call)?;
                for item in list.iter() {
                    let (s, c) = ev.coerce_to_string(item, pd, true, true)?;
                    self.context.extend(c);
                    self.drv.args.push(s);
                }
            }
            _ if self.json.is_some() => {
                if key == "__structuredAttrs" {
                    return Ok(());
                }
                let mut piece = String::new();
                let mut kctx = Context::new();
                crate::print::write_json(ev, &Value::string(key), pos, &mut piece, &mut kctx)?;
                piece.push(':');
                // At the call, as C++ Nix: not at the attribute.
                crate::print::write_json(ev, v, self.call, &mut piece, &mut self.context)?;
                let json = self.json.as_mut().expect("structured");
                if json.len() > 1 {
                    json.push(',');
                }
                json.push_str(&piece);
                match key {
                    "builder" => {
                        let s = ev.expect_string(v, pd)?;
                        self.context.extend(s.context().iter().cloned());
                        self.drv.builder = s.as_str().to_string();
                    }
                    "system" => self.drv.platform = force_string_no_ctx(ev, v, pd)?,
                    "outputHash" => self.output_hash = Some(force_string_no_ctx(ev, v, pd)?),
                    "outputHashAlgo" => self.output_hash_algo = force_string_no_ctx(ev, v, pd)?,
                    "outputHashMode" => {
                        let s = force_string_no_ctx(ev, v, pd)?;
                        self.hash_mode(&s)?;
                    }
                    "outputs" => {
                        let list = ev.expect_list(v, pd)?;
                        let mut names = Vec::with_capacity(list.len());
                        for item in list.iter() {
                            names.push(force_string_no_ctx(ev, item, pd)?);
                        }
                        self.set_outputs(names)?;
                    }
                    _ => {}
                }
            }
            _ => {
                let (s, c) = ev.coerce_to_string(v, pos, true, true)?;
                self.context.extend(c);
                match key {
                    "builder" => self.drv.builder = s.clone(),
                    "system" => self.drv.platform = s.clone(),
                    "outputHash" => self.output_hash = Some(s.clone()),
                    "outputHashAlgo" => self.output_hash_algo = s.clone(),
                    "outputHashMode" => self.hash_mode(&s)?,
                    "outputs" => {
                        let names =
                            s.split([' ', '\t', '\n', '\r']).filter(|t| !t.is_empty()).map(str::to_string).collect();
                        self.set_outputs(names)?;
                    }
                    _ => {}
                }
                self.drv.env.insert(key.to_string(), s);
            }
        }
        Ok(())
    }
}

fn derivation_strict(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let attrs = ev.expect_attrs(&args[0], span)?;

    // The name first (for error messages).
    let Some(name_entry) = attrs.get_entry(sym("name")).cloned() else {
        return Err(EvalError::type_error("attribute 'name' missing for call to 'derivationStrict'", span));
    };
    let pos_drv_name = name_entry.pos.unwrap_or(span);
    let drv_name = force_string_no_ctx(ev, &name_entry.value, span)
        .map_err(|e| e.context(Some(pos_drv_name), "while evaluating the derivation attribute 'name'"))?;

    let structured = match attrs.get(sym("__structuredAttrs")).cloned() {
        Some(v) => ev.expect_bool(&v, span)?,
        None => false,
    };
    let ignore_nulls = match attrs.get(sym("__ignoreNulls")).cloned() {
        Some(v) => ev.expect_bool(&v, span)?,
        None => false,
    };

    let mut b = DrvBuilder {
        drv: Derivation { name: drv_name.clone(), ..Derivation::default() },
        drv_name: drv_name.clone(),
        pos_drv_name,
        call: span,
        context: Context::new(),
        json: if structured { Some("{".to_string()) } else { None },
        output_hash: None,
        output_hash_algo: String::new(),
        ingestion: None,
        outputs: ["out".to_string()].into_iter().collect(),
    };

    for e in attrs.sorted_by_name() {
        let key = e.name.as_str();
        if key == "__ignoreNulls" {
            continue;
        }
        b.process(ev, key, &e.value, e.pos.unwrap_or(span), ignore_nulls).map_err(|err| {
            err.context(
                Some(pos_drv_name),
                format!("while evaluating the attribute '{}' of the derivation '{}'", key, b.drv_name),
            )
        })?;
    }

    let DrvBuilder { mut drv, context, json, output_hash, output_hash_algo, ingestion, outputs, .. } = b;
    if let Some(mut j) = json {
        j.push('}');
        drv.env.insert("__json".to_string(), j);
    }

    // Everything in the context becomes an input.
    for c in &context {
        if let Some(drv_path) = c.strip_prefix('=') {
            // The whole derivation is passed to the builder: its entire
            // closure (every output of every derivation in it) is an input.
            if !ev.store.contains(drv_path) {
                return Err(other(format!("path '{}' is not valid", drv_path), pos_drv_name));
            }
            for j in ev.store.closure([drv_path]) {
                if j.ends_with(".drv") {
                    if let Some(d) = ev.store.derivation(&j) {
                        let outs: BTreeSet<String> = d.outputs.keys().cloned().collect();
                        drv.input_drvs.entry(j.clone()).or_default().extend(outs);
                    }
                }
                drv.input_srcs.insert(j);
            }
        } else if let Some(rest) = c.strip_prefix('!') {
            let Some((output, drv_path)) = rest.split_once('!') else {
                return Err(other(format!("invalid string context element '{}'", c), pos_drv_name));
            };
            drv.input_drvs.entry(drv_path.to_string()).or_default().insert(output.to_string());
        } else {
            if !sp::is_store_path(c) {
                return Err(other(format!("path '{}' is not in the Nix store", c), pos_drv_name));
            }
            drv.input_srcs.insert(c.to_string());
        }
    }

    if drv.builder.is_empty() {
        return Err(other("required attribute 'builder' missing", pos_drv_name));
    }
    if drv.platform.is_empty() {
        return Err(other("required attribute 'system' missing", pos_drv_name));
    }
    if drv_name.ends_with(".drv") {
        return Err(other("derivation names are not allowed to end in '.drv'", pos_drv_name));
    }

    let store_err = |m: String| other(m, pos_drv_name);
    if let Some(oh) = output_hash {
        // A fixed-output derivation.
        if outputs.len() != 1 || !outputs.contains("out") {
            return Err(other("multiple outputs are not supported in fixed-output derivations", pos_drv_name));
        }
        let h = new_hash_allow_empty(ev, &oh, HashAlgo::parse(&output_hash_algo), pos_drv_name)?;
        let method = ingestion.unwrap_or(FileIngestionMethod::Flat);
        let out_path = sp::make_fixed_output_path(method, &h, &drv_name, &BTreeSet::new()).map_err(store_err)?;
        drv.env.insert("out".to_string(), out_path.clone());
        drv.outputs.insert("out".to_string(), DerivationOutput::Fixed { method, hash: h, path: out_path });
    } else {
        // Input-addressed: hash the derivation with its output paths
        // masked, then fill them in.
        for o in &outputs {
            drv.env.insert(o.clone(), String::new());
            drv.outputs.insert(o.clone(), DerivationOutput::Deferred);
        }
        let hashes = ev.store.hash_derivation_modulo(&drv, true).map_err(store_err)?;
        for (o, h) in hashes {
            let p = sp::make_output_path(&o, &h, &drv_name).map_err(store_err)?;
            drv.env.insert(o.clone(), p.clone());
            drv.outputs.insert(o, DerivationOutput::InputAddressed { path: p });
        }
    }

    let out_paths: Vec<(String, String)> =
        drv.outputs.iter().map(|(k, o)| (k.clone(), o.path().unwrap_or_default().to_string())).collect();
    let drv_path = ev.store.add_derivation(drv).map_err(store_err)?;

    let mut result = Attrs::with_capacity(1 + out_paths.len());
    let mut ctx = Context::new();
    ctx.insert(Rc::from(format!("={}", drv_path)));
    result.insert(sym("drvPath"), Value::string_with_context(drv_path.as_str(), ctx), None);
    for (o, p) in out_paths {
        let mut ctx = Context::new();
        ctx.insert(Rc::from(format!("!{}!{}", o, drv_path)));
        result.insert(sym(&o), Value::string_with_context(p, ctx), None);
    }
    Ok(Value::attrs(result))
}

// ---------------------------------------------------------------------
// Other store builtins

fn placeholder(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let output = force_string_no_ctx(ev, &args[0], span)?;
    Ok(Value::string(sp::hash_placeholder(&output)))
}

fn to_file(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let name = force_string_no_ctx(ev, &args[0], span)?;
    let contents = ev.expect_string(&args[1], span)?;
    let mut refs = BTreeSet::new();
    for c in contents.context().iter() {
        if !c.starts_with('/') {
            return Err(other(
                format!(
                    "in 'toFile': the file named '{}' must not contain a reference to a derivation but contains ({})",
                    name, c
                ),
                span,
            ));
        }
        refs.insert(c.to_string());
    }
    let path = ev.store.add_text(&name, contents.as_str().as_bytes(), refs).map_err(|m| other(m, span))?;
    Ok(string_with_path_context(&path))
}

/// `addPath`: the common part of `builtins.path` and `filterSource`.
fn add_path(
    ev: &mut Evaluator,
    span: Span,
    name: &str,
    path: &str,
    filter: Option<&Value>,
    method: FileIngestionMethod,
    expected: Option<Hash>,
) -> EvalResult<Value> {
    let add_trace = |e: EvalError| e.context(Some(span), format!("while adding path '{}'", path));
    let expected_path = match &expected {
        Some(h) => Some(sp::make_fixed_output_path(method, h, name, &BTreeSet::new()).map_err(|m| other(m, span))?),
        None => None,
    };
    if let Some(p) = &expected_path {
        if ev.store.contains(p) {
            return Ok(string_with_path_context(p));
        }
    }
    let tree = store::read_tree(ev, path, filter, span).map_err(add_trace)?;
    if method == FileIngestionMethod::Flat && !matches!(tree, FileTree::Regular { .. }) {
        return Err(add_trace(other("reading from file: Is a directory".to_string(), span)));
    }
    let (dst, _) = store::Store::compute_path(name, &tree, method).map_err(|m| add_trace(other(m, span)))?;
    if let Some(p) = &expected_path {
        if *p != dst {
            return Err(add_trace(other(
                format!("store path mismatch in (possibly filtered) path added from '{}'", path),
                span,
            )));
        }
    }
    let dst = ev.store.add_tree(name, tree, method).map_err(|m| add_trace(other(m, span)))?;
    Ok(string_with_path_context(&dst))
}

fn path(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let attrs = ev.expect_attrs(&args[0], span)?;
    let mut path = String::new();
    let mut name = String::new();
    let mut filter = None;
    let mut method = FileIngestionMethod::Recursive;
    let mut expected = None;
    let mut ctx = Context::new();
    for e in attrs.sorted_by_name() {
        let pos = e.pos.unwrap_or(span);
        match e.name.as_str() {
            "path" => path = coerce_to_path(ev, &e.value, pos, &mut ctx)?,
            "name" => name = force_string_no_ctx(ev, &e.value, pos)?,
            "filter" => filter = Some(ev.force(&e.value)?),
            "recursive" => {
                method = if ev.expect_bool(&e.value, pos)? {
                    FileIngestionMethod::Recursive
                } else {
                    FileIngestionMethod::Flat
                }
            }
            "sha256" => {
                let s = force_string_no_ctx(ev, &e.value, pos)?;
                expected = Some(new_hash_allow_empty(ev, &s, Some(HashAlgo::Sha256), pos)?);
            }
            other_name => {
                return Err(other(
                    format!("unsupported argument '{}' to 'addPath'", crate::symbol_text(other_name)),
                    pos,
                ));
            }
        }
    }
    if path.is_empty() {
        return Err(other("'path' required", span));
    }
    if name.is_empty() {
        name = base_name_of(&path).to_string();
    }
    add_path(ev, span, &name, &path, filter.as_ref(), method, expected)
}

fn filter_source(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut ctx = Context::new();
    let path = coerce_to_path(ev, &args[1], span, &mut ctx)?;
    let f = ev.force(&args[0])?;
    if !f.is_function() {
        return Err(EvalError::type_error(
            format!("first argument in call to 'filterSource' is not a function but {}", f.type_desc()),
            span,
        ));
    }
    let name = base_name_of(&path).to_string();
    add_path(ev, span, &name, &path, Some(&f), FileIngestionMethod::Recursive, None)
}

/// `storePath`, with the checks of C++ Nix 2.8: a path that is not itself
/// a store path has its symbolic links resolved (so each of its
/// components must exist), must then be inside the store, and the store
/// path it belongs to is the part up to the next slash, checked as
/// `parseStorePath` checks it. The result is the path as given.
fn store_path(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let mut ctx = Context::new();
    let path = coerce_to_path(ev, &args[0], span, &mut ctx)?;
    let path = if super::context::is_store_path(&path) { path } else { canon_path_resolving(ev, &path, span)? };
    if !sp::is_in_store(&path) {
        return Err(other(format!("path '{}' is not in the Nix store", path), span));
    }
    let first = sp::STORE_DIR.len() + 1;
    let end = path[first..].find('/').map_or(path.len(), |i| first + i);
    let store_path = parse_store_path(&path[..end]).map_err(|m| other(m, span))?;
    if ev.options.pure && !ev.store.contains(&store_path) {
        return Err(other("'builtins.storePath' is not allowed in pure evaluation mode", span));
    }
    ctx.insert(Rc::from(store_path.as_str()));
    Ok(Value::string_with_context(path, ctx))
}

/// C++ Nix's `Store::parseStorePath`: the path without `.` and `..` must
/// be directly inside the store, with a valid base name; the message says
/// what is wrong.
fn parse_store_path(path: &str) -> Result<String, String> {
    let canon = nix2dream_syntax::lower::canonicalize(std::path::Path::new(path));
    let (dir, base) = canon.rsplit_once('/').unwrap_or(("", &canon));
    if dir != sp::STORE_DIR {
        return Err(format!("path '{}' is not in the Nix store", canon));
    }
    const HASH_LEN: usize = 32;
    if base.len() < HASH_LEN + 1 {
        return Err(format!("'{}' is too short to be a valid store path", base));
    }
    if let Some(c) = base[..HASH_LEN]
        .chars()
        .find(|&c| matches!(c, 'e' | 'o' | 'u' | 't') || !(c.is_ascii_digit() || c.is_ascii_lowercase()))
    {
        return Err(format!("store path '{}' contains illegal base-32 character '{}'", base, c));
    }
    let name = &base[HASH_LEN + 1..];
    if name.is_empty() {
        return Err(format!("store path '{}' has an empty name", base));
    }
    if name.len() > 211 {
        return Err(format!("store path '{}' has a name longer than 211 characters", base));
    }
    if let Some(c) =
        name.chars().find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | '?' | '=')))
    {
        return Err(format!("store path '{}' contains illegal character '{}'", base, c));
    }
    Ok(canon)
}

/// C++ Nix's `canonPath(path, true)`: `.` and `..` removed and symbolic
/// links resolved component by component, through the evaluator's IO, so
/// a component that does not exist is an error ("getting status of").
fn canon_path_resolving(ev: &Evaluator, path: &str, span: Span) -> EvalResult<String> {
    let io_error = |msg: String| EvalError::new(ErrorKind::Io, msg, Some(span));
    let mut rest = path.to_string();
    let mut pos = 0;
    let mut done = String::new();
    let mut follows = 0;
    loop {
        while rest[pos..].starts_with('/') {
            pos += 1;
        }
        let r = &rest[pos..];
        if r.is_empty() {
            break;
        }
        if r == "." || r.starts_with("./") {
            pos += 1;
        } else if r == ".." || r.starts_with("../") {
            if let Some(i) = done.rfind('/') {
                done.truncate(i);
            }
            pos += 2;
        } else {
            let end = r.find('/').map_or(rest.len(), |i| pos + i);
            done.push('/');
            done.push_str(&rest[pos..end]);
            pos = end;
            let t = ev
                .io
                .lstat(std::path::Path::new(&done))
                .map_err(|e| io_error(format!("getting status of '{}': {}", done, crate::io_message(&e))))?;
            if t == crate::io::FileType::Symlink {
                follows += 1;
                if follows >= 1024 {
                    return Err(other(format!("infinite symlink recursion in path '{}'", &rest[pos..]), span));
                }
                let target = ev
                    .io
                    .read_link(std::path::Path::new(&done))
                    .map_err(|e| io_error(format!("reading symbolic link '{}': {}", done, crate::io_message(&e))))?;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    done.clear();
                } else {
                    // `dirOf`, without the trailing slash of "/".
                    let i = done.rfind('/').unwrap_or(0);
                    done.truncate(i);
                }
                rest = format!("{}{}", target, &rest[pos..]);
                pos = 0;
            }
        }
    }
    Ok(if done.is_empty() { "/".to_string() } else { done })
}

// ---------------------------------------------------------------------
// Fetchers: network access is off.

fn network_off(who: &str, what: &str, span: Span) -> EvalError {
    EvalError::new(
        ErrorKind::Io,
        format!("cannot call '{}' on '{}': network access is disabled (nix2dream evaluates offline)", who, what),
        Some(span),
    )
}

/// `fetchurl` / `fetchTarball`: a pinned (`sha256`) result that is already
/// in the virtual store is returned; anything else needs the network.
fn fetch(ev: &mut Evaluator, args: &[Value], span: Span, who: &str, unpack: bool) -> EvalResult<Value> {
    let mut url = None;
    let mut name = String::new();
    let mut expected = None;
    match &ev.force(&args[0])? {
        Value::Attrs(a) => {
            for e in a.sorted_by_name() {
                let pos = e.pos.unwrap_or(span);
                match e.name.as_str() {
                    "url" => url = Some(force_string_no_ctx(ev, &e.value, pos)?),
                    "sha256" => {
                        let s = force_string_no_ctx(ev, &e.value, pos)?;
                        expected = Some(new_hash_allow_empty(ev, &s, Some(HashAlgo::Sha256), pos)?);
                    }
                    "name" => name = force_string_no_ctx(ev, &e.value, pos)?,
                    n => {
                        return Err(other(
                            format!("unsupported argument '{}' to '{}'", crate::symbol_text(n), who),
                            pos,
                        ))
                    }
                }
            }
        }
        v => url = Some(force_string_no_ctx(ev, v, span)?),
    }
    let Some(url) = url else {
        return Err(other("'url' argument required", span));
    };
    if who == "fetchTarball" {
        if let Some(rest) = url.strip_prefix("channel:") {
            return Err(network_off(who, &format!("https://nixos.org/channels/{}/nixexprs.tar.xz", rest), span));
        }
    }
    if name.is_empty() {
        name = if unpack { "source".to_string() } else { base_name_of(&url).to_string() };
    }
    if ev.options.pure && expected.is_none() {
        return Err(other(format!("in pure evaluation mode, '{}' requires a 'sha256' argument", who), span));
    }
    if let Some(h) = &expected {
        let method = if unpack { FileIngestionMethod::Recursive } else { FileIngestionMethod::Flat };
        let p = sp::make_fixed_output_path(method, h, &name, &BTreeSet::new()).map_err(|m| other(m, span))?;
        if ev.store.contains(&p) {
            return Ok(string_with_path_context(&p));
        }
    }
    Err(network_off(who, &url, span))
}

fn fetchurl(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    fetch(ev, args, span, "fetchurl", false)
}

fn fetch_tarball(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    fetch(ev, args, span, "fetchTarball", true)
}

fn fetch_git(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    fetch_offline(ev, args, span, "fetchGit")
}

fn fetch_mercurial(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    fetch_offline(ev, args, span, "fetchMercurial")
}

fn fetch_tree(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    fetch_offline(ev, args, span, "fetchTree")
}

fn fetch_offline(ev: &mut Evaluator, args: &[Value], span: Span, who: &str) -> EvalResult<Value> {
    let what = match &ev.force(&args[0])? {
        Value::Attrs(a) => {
            let mut what = String::from("«attribute set»");
            for key in ["url", "path", "type"] {
                if let Some(v) = a.get(sym(key)).cloned() {
                    if let Ok((s, _)) = ev.coerce_to_string(&v, span, false, false) {
                        what = s;
                        break;
                    }
                }
            }
            what
        }
        v => ev.coerce_to_string(v, span, false, false)?.0,
    };
    Err(network_off(who, &what, span))
}

#[cfg(test)]
mod tests {
    use super::base_name_of;

    #[test]
    fn base_names() {
        assert_eq!(base_name_of("/a/b"), "b");
        assert_eq!(base_name_of("/a/b/"), "b");
        assert_eq!(base_name_of("b"), "b");
        assert_eq!(base_name_of("/"), "");
    }
}
