//! The global scope and the `builtins` set.
//!
//! Every native function is a [`PrimOp`] in a static table; its arguments
//! arrive unforced, so a builtin forces exactly what C++ Nix forces.

mod attrs;
pub mod context;
mod control;
mod derivation;
pub mod hash;
mod json;
mod lists;
mod misc;
pub mod regex;
mod strings;
mod toml;
pub mod versions;
mod xml;

use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::Symbol;

/// Names visible without the `builtins.` prefix (besides `__name` for
/// every builtin), as in C++ Nix.
const GLOBAL_NAMES: &[&str] = &[
    "abort",
    "baseNameOf",
    "break",
    "derivation",
    "derivationStrict",
    "dirOf",
    "fetchGit",
    "fetchMercurial",
    "fetchTarball",
    "fetchTree",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
];

pub(crate) fn all_tables() -> Vec<&'static [PrimOp]> {
    vec![
        attrs::PRIMOPS,
        control::PRIMOPS,
        lists::PRIMOPS,
        strings::PRIMOPS,
        context::PRIMOPS,
        hash::PRIMOPS,
        json::PRIMOPS,
        misc::PRIMOPS,
        toml::PRIMOPS,
        versions::PRIMOPS,
        xml::PRIMOPS,
    ]
}

pub(crate) fn install(ev: &mut Evaluator) {
    for table in all_tables() {
        for op in table {
            let global = GLOBAL_NAMES.contains(&op.name);
            register(ev, op.name, Value::PrimOp(op), global);
        }
    }
    register(ev, "true", Value::Bool(true), true);
    register(ev, "false", Value::Bool(false), true);
    register(ev, "null", Value::Null, true);
    register(ev, "langVersion", Value::Int(6), false);
    register(ev, "nixVersion", Value::string("2.18.0"), false);
    register(ev, "storeDir", Value::string("/nix/store"), false);
    let system = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
    register(ev, "currentSystem", Value::string(system), false);
    let nix_path = search_path_value(ev);
    register(ev, "nixPath", nix_path, false);
    misc::install_constants(ev);
    derivation::install(ev);
    refresh_builtins_set(ev);
}

/// Define `name` in `builtins`, as `__name` globally, and as `name` too if
/// `global`.
pub(crate) fn register(ev: &mut Evaluator, name: &str, v: Value, global: bool) {
    let sym = Symbol::intern(name);
    ev.builtins_set.insert(sym, v.clone(), None);
    let dunder = if matches!(name, "true" | "false" | "null") { None } else { Some(format!("__{}", name)) };
    if let Some(d) = dunder {
        set_global(ev, Symbol::intern(&d), v.clone());
    }
    if global || matches!(name, "true" | "false" | "null") {
        set_global(ev, sym, v);
    }
}

fn set_global(ev: &mut Evaluator, name: Symbol, v: Value) {
    match ev.global_names.get(&name) {
        Some(&i) => ev.globals[i as usize] = v,
        None => {
            ev.global_names.insert(name, ev.globals.len() as u32);
            ev.globals.push(v);
        }
    }
}

/// Rebuild the `builtins` value after the table changed. The set contains
/// itself (`builtins.builtins`), through an already-evaluated thunk.
pub(crate) fn refresh_builtins_set(ev: &mut Evaluator) {
    let self_ref = Shared::new(Thunk::new(ThunkState::Blackhole));
    let mut set = ev.builtins_set.clone();
    set.insert(Symbol::intern("builtins"), Value::Thunk(self_ref.clone()), None);
    let v = Value::attrs(set);
    self_ref.set(ThunkState::Done(v.clone()));
    set_global(ev, Symbol::intern("builtins"), v);
    let nix_path = search_path_value(ev);
    set_global(ev, Symbol::intern("__nixPath"), nix_path);
}

/// `builtins.nixPath`: `[ { prefix = "nixpkgs"; path = "/..."; } ... ]`.
fn search_path_value(ev: &Evaluator) -> Value {
    let items = ev
        .options
        .search_path
        .iter()
        .map(|(prefix, path)| {
            let mut a = Attrs::with_capacity(2);
            a.insert(Symbol::intern("prefix"), Value::string(prefix.as_str()), None);
            a.insert(Symbol::intern("path"), Value::string(path.as_str()), None);
            Value::attrs(a)
        })
        .collect();
    Value::list(items)
}

/// Shorthand for the static tables.
macro_rules! primop {
    ($name:literal, $arity:literal, $f:expr) => {
        $crate::value::PrimOp { name: $name, lambda: false, arity: $arity, run: $f }
    };
}
pub(crate) use primop;
