//! Where was an option set? The module system knows the files
//! (`options.<path>.files`); the line is found by reading the file's own
//! attribute sets, whose attributes carry their source positions.

use crate::problem::Location;
use crate::read::Node;
use nix2dream_eval::{Evaluator, Value};
use nix2dream_syntax::{Span, Symbol};
use std::path::Path;

/// Calls a module function with the arguments it asks for, so that the
/// attribute set it returns can be searched. Only `lib` and `name` are
/// real: a module whose *shape* depends on `config` is searched no deeper.
const CALL_MODULE: &str = r#"
lib: name: m:
  if builtins.isFunction m then
    m (builtins.intersectAttrs (builtins.functionArgs m) {
      inherit lib name;
      config = throw "not available while locating a definition";
      options = throw "not available while locating a definition";
      pkgs = throw "not available while locating a definition";
      deployment = throw "not available while locating a definition";
      specialArgs = { };
    })
  else m
"#;

/// What [`locate`] needs from the loaded deployment.
pub struct LocateContext<'a> {
    /// The deployment's evaluated `config`.
    pub config: &'a Node,
    /// nix2dream's `lib`, for module functions that ask for it.
    pub lib: &'a Value,
}

/// The location of the definition of `path` (attribute names from the top
/// of the configuration, `["services", "web", "dependsOn", "db"]`), in the
/// files that define the service's option (its `_definitionFiles`). Best
/// effort: `None` when nothing is known.
pub fn locate(ev: &mut Evaluator, context: &LocateContext, path: &[String]) -> Option<Location> {
    let files = definition_files(ev, context.config, path)?;
    locate_in_files(ev, context, &files, path)
}

/// Like [`locate`], searching the given files.
pub fn locate_in_files(
    ev: &mut Evaluator,
    context: &LocateContext,
    files: &[String],
    path: &[String],
) -> Option<Location> {
    let call_module = ev.eval_string(CALL_MODULE, "«nix2dream locate»").ok()?;
    let call_module = ev.call_value(&call_module, context.lib.clone(), None).ok()?;
    let service_name = if path.len() >= 2 && path[0] == "services" { path[1].as_str() } else { "" };
    let mut best: Option<(usize, String, Span)> = None;
    for file in files {
        let Ok(module) = ev.eval_file(Path::new(file)).and_then(|m| ev.force(&m)) else { continue };
        // Function modules get the service's name as `name`: below
        // `services.<name>` that is what the module system passes.
        if let Some((depth, span)) = deepest(ev, &call_module, &module, path, service_name, 0) {
            if best.as_ref().is_none_or(|(d, _, _)| depth > *d) {
                best = Some((depth, file.clone(), span));
            }
        }
    }
    match best {
        Some((_, file, span)) => {
            let (_, lc) = ev.locate(span);
            let line_text = ev.sources.get(span.file).line_text(lc.line).to_string();
            Some(Location { file, line_col: Some((lc.line, lc.column)), line_text: Some(line_text) })
        }
        None => files.last().map(|file| Location { file: file.clone(), line_col: None, line_text: None }),
    }
}

/// `config.services.<name>._definitionFiles <rest of path>`.
pub fn definition_files(ev: &mut Evaluator, config: &Node, path: &[String]) -> Option<Vec<String>> {
    let [services, service, rest @ ..] = path else { return None };
    if services != "services" {
        return None;
    }
    let lookup = |ev: &mut Evaluator, v: &Value, name: &str| -> Option<Value> {
        match ev.force(v).ok()? {
            Value::Attrs(a) => a.get(Symbol::intern(name)).cloned(),
            _ => None,
        }
    };
    let services = lookup(ev, &config.value, "services")?;
    let service = lookup(ev, &services, service)?;
    let function = lookup(ev, &service, "_definitionFiles")?;
    let function = ev.force(&function).ok()?;
    let names = Value::list(rest.iter().map(|s| Value::string(s.as_str())).collect());
    let files = ev.call_value(&function, names, None).ok()?;
    let Value::List(items) = ev.force(&files).ok()? else { return None };
    let mut out = Vec::new();
    for item in items.iter() {
        match ev.force(item).ok()? {
            Value::String(s) => out.push(s.as_str().to_string()),
            Value::Path(p) => out.push(p.to_string()),
            _ => {}
        }
    }
    // Only real files can be searched (not «string» or built-in modules).
    out.retain(|f| f.starts_with('/') && Path::new(f).is_file());
    Some(out)
}

/// The deepest attribute along `path` that `value` (a module, or a value
/// inside one) defines, with how many path elements it matched.
fn deepest(
    ev: &mut Evaluator,
    call_module: &Value,
    value: &Value,
    path: &[String],
    service_name: &str,
    depth: usize,
) -> Option<(usize, Span)> {
    if depth > 64 {
        return None;
    }
    let mut v = ev.force(value).ok()?;
    if v.is_function() {
        let called = ev.call_value(call_module, Value::string(service_name), None).ok()?;
        v = ev.call_value(&called, v, None).and_then(|r| ev.force(&r)).ok()?;
    }
    let Value::Attrs(attrs) = v else { return None };
    // Properties wrap definitions: mkIf, mkMerge, mkOverride, mkOrder.
    if let Some(kind) = attrs.get(Symbol::intern("_type")) {
        let kind = match ev.force(kind).ok()? {
            Value::String(s) => s.as_str().to_string(),
            _ => String::new(),
        };
        match kind.as_str() {
            "if" | "override" | "order" => {
                let content = attrs.get(Symbol::intern("content"))?.clone();
                return deepest(ev, call_module, &content, path, service_name, depth + 1);
            }
            "merge" => {
                let contents = attrs.get(Symbol::intern("contents"))?.clone();
                let Value::List(items) = ev.force(&contents).ok()? else { return None };
                return items
                    .iter()
                    .filter_map(|item| deepest(ev, call_module, item, path, service_name, depth + 1))
                    .max_by_key(|(d, _)| *d);
            }
            _ => return None,
        }
    }
    let mut best: Option<(usize, Span)> = None;
    if let Some((first, rest)) = path.split_first() {
        if let Some(entry) = attrs.get_entry(Symbol::intern(first)) {
            let (entry_value, entry_pos) = (entry.value.clone(), entry.pos);
            if let Some(pos) = entry_pos {
                best = Some((1, pos));
            }
            if !rest.is_empty() {
                if let Some((d, span)) = deepest(ev, call_module, &entry_value, rest, service_name, depth + 1) {
                    best = Some((d + 1, span));
                }
            }
        }
    }
    // A module may put its definitions under `config`, or in inline
    // modules under `imports`.
    if path.first().map(String::as_str) != Some("config") {
        if let Some(inner) = attrs.get(Symbol::intern("config")).cloned() {
            if let Some(found) = deepest(ev, call_module, &inner, path, service_name, depth + 1) {
                if best.is_none_or(|(d, _)| found.0 > d) {
                    best = Some(found);
                }
            }
        }
    }
    if let Some(imports) = attrs.get(Symbol::intern("imports")).cloned() {
        if let Ok(Value::List(items)) = ev.force(&imports) {
            for item in items.iter() {
                // Imported files are definitions of their own files.
                if matches!(ev.force(item), Ok(Value::Path(_)) | Ok(Value::String(_))) {
                    continue;
                }
                if let Some(found) = deepest(ev, call_module, item, path, service_name, depth + 1) {
                    if best.is_none_or(|(d, _)| found.0 > d) {
                        best = Some(found);
                    }
                }
            }
        }
    }
    best
}
