//! Option documentation as data, for `nix2dream options` and for editors.
//!
//! [`option_docs`] walks the option tree of an evaluated module set (the
//! `options` of `lib.evalModules`) in Rust, the way
//! `lib.optionAttrSetToDocList` walks it in Nix: every option (a set with
//! `_type = "option"`) in name order, each followed by the options of its
//! type (`type.getSubOptions`), so the options of a submodule appear below
//! it and `attrsOf (submodule ...)` contributes `services.<name>.port`.
//!
//! Only what documentation shows is forced: an option's value and
//! definitions never are, and a submodule is evaluated only when its
//! options are shown. Problems (a default that throws, a description that
//! is not a string) are [`EvalError`]s that name the option.
//!
//! An [`OptionDoc`] serializes to the record `optionAttrSetToDocList`
//! makes, plus `declarationPositions`: the file, line and column of each
//! declaration, which the module system records.

mod pretty;

use nix2dream_eval::value::{AttrSet, List};
use nix2dream_eval::{ErrorKind, EvalError, EvalResult, Evaluator, Value};
use nix2dream_syntax::Symbol;
use serde::{Serialize, Serializer};
use std::fmt;

pub use pretty::escape_nix_identifier;

/// The file the module system names when it does not know a declaration's
/// file; documentation leaves such declarations out.
const UNKNOWN_FILE: &str = "<unknown-file>";

/// The documentation of one option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionDoc {
    /// The attribute path: `["services", "<name>", "restart", "policy"]`.
    /// Below an `attrsOf` it has the part `<name>`, below a `listOf` `*`.
    pub loc: Vec<String>,
    /// `loc` as Nix shows it, `services.<name>.restart.policy`, with parts
    /// that are not identifiers quoted ([`show_option`]).
    pub name: String,
    /// The type as a phrase (`"list of string"`); `"unspecified"` for an
    /// option without a described type.
    pub type_description: String,
    pub description: Option<String>,
    /// `defaultText` if the option has one, else `default`, else the
    /// type's empty value (`[ ]` for a list), which is what the option is
    /// when nothing defines it.
    pub default: Option<Literal>,
    pub example: Option<Literal>,
    pub read_only: bool,
    /// For the module system's or a module's own use, not for users.
    pub internal: bool,
    pub visibility: Visibility,
    /// Where the option is declared, in declaration order (more than one
    /// when modules extend each other's options).
    pub declarations: Vec<Declaration>,
}

impl OptionDoc {
    /// Whether documentation for users lists the option: it is neither
    /// internal nor hidden.
    pub fn is_documented(&self) -> bool {
        !self.internal && self.visibility.shows_option()
    }
}

/// The option's `visible` attribute. It decides about the option and,
/// separately, about the options of its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// `true`, the default: the option and the options below it.
    Visible,
    /// `false`: neither the option nor the options below it.
    Hidden,
    /// `"shallow"`: the option, not the options of its type.
    Shallow,
    /// `"transparent"`: only the options of its type.
    Transparent,
}

impl Visibility {
    pub fn shows_option(self) -> bool {
        matches!(self, Visibility::Visible | Visibility::Shallow)
    }

    pub fn shows_sub_options(self) -> bool {
        matches!(self, Visibility::Visible | Visibility::Transparent)
    }

    /// As `optionAttrSetToDocList` reads it: any value other than `true`,
    /// `"shallow"` and `"transparent"` hides the option and its sub-options.
    fn from_value(value: &Value) -> Visibility {
        match value {
            Value::Bool(true) => Visibility::Visible,
            Value::String(s) if s.as_str() == "shallow" => Visibility::Shallow,
            Value::String(s) if s.as_str() == "transparent" => Visibility::Transparent,
            _ => Visibility::Hidden,
        }
    }
}

/// Where an option is declared: the position of its name in the module's
/// `options`. Line and column are unknown for declarations the module
/// system cannot place (an option set built by `fromJSON`, say, has no
/// positions). `file` is the file the declaration is written in, even
/// where the module's `_file` says otherwise (the module system's own
/// module calls itself `lib/modules.nix`), so that an editor can open it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// `file:line:column`, or as much of it as is known.
impl fmt::Display for Declaration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{}", line)?;
            if let Some(column) = self.column {
                write!(f, ":{}", column)?;
            }
        }
        Ok(())
    }
}

/// A default or example as documentation shows it. Serializes as the
/// `{ _type, text }` set of `lib.literalExpression` and `lib.literalMD`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Literal {
    #[serde(rename = "_type")]
    pub kind: LiteralKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LiteralKind {
    /// Nix code (`lib.literalExpression`, and every plain value).
    #[serde(rename = "literalExpression")]
    Expression,
    /// Markdown prose (`lib.literalMD`).
    #[serde(rename = "literalMD")]
    Markdown,
}

impl Literal {
    /// What `lib.options.renderOptionValue` makes of a default or example:
    /// a literal stays as it is, any other value becomes Nix code, laid
    /// out as `lib.generators.toPretty` lays it out.
    pub fn from_value(ev: &mut Evaluator, value: &Value) -> EvalResult<Literal> {
        let value = ev.force(value)?;
        if let Value::Attrs(attrs) = &value {
            if let (Some(kind), Some(text)) = (attr(attrs, "_type"), attr(attrs, "text")) {
                let kind = match string(ev, &kind)?.as_str() {
                    "literalExpression" => LiteralKind::Expression,
                    "literalMD" => LiteralKind::Markdown,
                    other => {
                        return Err(EvalError::new(
                            ErrorKind::Type,
                            format!("a literal of unknown kind `{}' (expected literalExpression or literalMD)", other),
                            None,
                        ))
                    }
                };
                return Ok(Literal { kind, text: string(ev, &text)? });
            }
        }
        Ok(Literal { kind: LiteralKind::Expression, text: pretty::to_pretty(ev, &value)? })
    }
}

/// The documentation of every option in `options` (the `options` of an
/// `evalModules` result, or any part of it), in the order of
/// `lib.optionAttrSetToDocList`: by name, each option followed by the
/// options of its type. Internal and hidden options are included, so that
/// an editor can explain them too; [`OptionDoc::is_documented`] says which
/// ones documentation for users lists.
pub fn option_docs(ev: &mut Evaluator, options: &Value) -> EvalResult<Vec<OptionDoc>> {
    let mut docs = Vec::new();
    collect(ev, options, &mut Vec::new(), &mut docs)?;
    Ok(docs)
}

/// The documentation of the deployment module's options (with no
/// deployment, so `services.<name>` stands for every service), as
/// `nix2dream options` shows it. `<nix2dream>` must resolve, as it does in
/// the CLI's evaluator.
pub fn deployment_option_docs(ev: &mut Evaluator) -> EvalResult<Vec<OptionDoc>> {
    nix2dream_modules::install(ev);
    let options = ev.eval_string("(import <nix2dream>).deploymentOptions", "«nix2dream options»")?;
    option_docs(ev, &options)
}

/// The documentation of one option (its sub-options not included), for
/// an editor that has found the option itself, as in `options.a.b`.
pub fn document_option(ev: &mut Evaluator, option: &Value) -> EvalResult<OptionDoc> {
    match ev.force(option)? {
        Value::Attrs(attrs) if is_option(ev, &attrs)? => document(ev, &attrs),
        other => Err(unexpected("an option (a set with `_type = \"option\"`)", &other)),
    }
}

/// An option path as Nix shows it (`lib.showOption`): parts joined by dots,
/// quoted unless they are identifiers or the placeholders `*` and `<name>`.
pub fn show_option(loc: &[String]) -> String {
    let parts: Vec<String> = loc
        .iter()
        .map(|part| {
            let placeholder = part == "*" || (part.len() >= 2 && part.starts_with('<') && part.ends_with('>'));
            if placeholder {
                part.clone()
            } else {
                escape_nix_identifier(part)
            }
        })
        .collect();
    parts.join(".")
}

/// `lib.collect isOption`, with each option followed by the options of its
/// type. `path` is where `tree` is, for messages.
fn collect(ev: &mut Evaluator, tree: &Value, path: &mut Vec<String>, docs: &mut Vec<OptionDoc>) -> EvalResult<()> {
    ev.nested(None, |ev| {
        let tree = ev.force(tree).map_err(|e| {
            let shown = show_option(path);
            if shown.is_empty() {
                e
            } else {
                e.context(None, format!("while evaluating `{}' in the option tree", shown))
            }
        })?;
        let Value::Attrs(attrs) = tree else { return Ok(()) };
        if !is_option(ev, &attrs)? {
            for entry in attrs.sorted_by_name() {
                path.push(entry.name.as_str().to_string());
                collect(ev, &entry.value, path, docs)?;
                path.pop();
            }
            return Ok(());
        }
        let doc = document(ev, &attrs)?;
        let below = if doc.visibility.shows_sub_options() {
            sub_options(ev, &attrs)
                .map_err(|e| e.context(None, format!("while evaluating the options below the option `{}'", doc.name)))?
                .map(|tree| (tree, doc.loc.clone()))
        } else {
            None
        };
        docs.push(doc);
        if let Some((tree, mut path)) = below {
            collect(ev, &tree, &mut path, docs)?;
        }
        Ok(())
    })
}

/// `lib.isOption`: `(x._type or "") == "option"`.
fn is_option(ev: &mut Evaluator, attrs: &AttrSet) -> EvalResult<bool> {
    match attr(attrs, "_type") {
        Some(tag) => Ok(matches!(ev.force(&tag)?, Value::String(s) if s.as_str() == "option")),
        None => Ok(false),
    }
}

/// `option.type.getSubOptions option.loc`: the options of a submodule
/// (below `<name>` for `attrsOf`, `*` for `listOf`). `None` for an option
/// whose type has no options below it.
fn sub_options(ev: &mut Evaluator, option: &AttrSet) -> EvalResult<Option<Value>> {
    let (Some(ty), Some(loc)) = (attr(option, "type"), attr(option, "loc")) else { return Ok(None) };
    let Value::Attrs(ty) = ev.force(&ty)? else { return Ok(None) };
    let Some(get_sub_options) = attr(&ty, "getSubOptions") else { return Ok(None) };
    ev.call_value(&get_sub_options, loc, None).map(Some)
}

fn document(ev: &mut Evaluator, option: &AttrSet) -> EvalResult<OptionDoc> {
    let Some(loc) = attr(option, "loc") else {
        return Err(EvalError::new(ErrorKind::Type, "an option without `loc' cannot be documented", None));
    };
    let loc = strings(ev, &loc)?;
    let name = show_option(&loc);
    document_fields(ev, option, loc, &name)
        .map_err(|e| e.context(None, format!("while documenting the option `{}'", name)))
}

/// The fields of `docOption` in `optionAttrSetToDocList`, read the same way.
fn document_fields(ev: &mut Evaluator, option: &AttrSet, loc: Vec<String>, name: &str) -> EvalResult<OptionDoc> {
    let visibility = match attr(option, "visible") {
        Some(visible) => Visibility::from_value(&ev.force(&visible)?),
        None => Visibility::Visible,
    };
    let description = match attr(option, "description") {
        Some(description) => optional_string(ev, &description)?,
        None => None,
    };
    let type_description = type_description(ev, option)?.unwrap_or_else(|| "unspecified".to_string());
    let example = match attr(option, "example") {
        Some(example) => Some(
            Literal::from_value(ev, &example)
                .map_err(|e| e.context(None, format!("while evaluating the example of option `{}`", name)))?,
        ),
        None => None,
    };
    let default = default(ev, option, name)?;
    Ok(OptionDoc {
        name: name.to_string(),
        loc,
        type_description,
        description,
        default,
        example,
        read_only: flag(ev, option, "readOnly")?,
        internal: flag(ev, option, "internal")?,
        visibility,
        declarations: declarations(ev, option)?,
    })
}

/// `option.type.description or null`.
fn type_description(ev: &mut Evaluator, option: &AttrSet) -> EvalResult<Option<String>> {
    let Some(ty) = attr(option, "type") else { return Ok(None) };
    let Value::Attrs(ty) = ev.force(&ty)? else { return Ok(None) };
    match attr(&ty, "description") {
        Some(description) => string(ev, &description).map(Some),
        None => Ok(None),
    }
}

/// `defaultText`, else `default`, else the type's empty value.
fn default(ev: &mut Evaluator, option: &AttrSet, name: &str) -> EvalResult<Option<Literal>> {
    let (value, what) = if let Some(text) = attr(option, "defaultText") {
        (text, "defaultText")
    } else if let Some(default) = attr(option, "default") {
        (default, "default value")
    } else if let Some(empty) = empty_value(ev, option)? {
        (empty, "default value")
    } else {
        return Ok(None);
    };
    Literal::from_value(ev, &value)
        .map(Some)
        .map_err(|e| e.context(None, format!("while evaluating the {} of option `{}`", what, name)))
}

/// `option.type.emptyValue.value`, if the type has an empty value.
fn empty_value(ev: &mut Evaluator, option: &AttrSet) -> EvalResult<Option<Value>> {
    let Some(ty) = attr(option, "type") else { return Ok(None) };
    let Value::Attrs(ty) = ev.force(&ty)? else { return Ok(None) };
    let Some(empty) = attr(&ty, "emptyValue") else { return Ok(None) };
    match ev.force(&empty)? {
        Value::Attrs(empty) => Ok(attr(&empty, "value")),
        _ => Ok(None),
    }
}

/// `declarationPositions`, or for an option tree that has none, the files
/// of `declarations` without lines.
fn declarations(ev: &mut Evaluator, option: &AttrSet) -> EvalResult<Vec<Declaration>> {
    let mut declarations = Vec::new();
    if let Some(positions) = attr(option, "declarationPositions") {
        for position in list(ev, &positions)?.iter() {
            declarations.push(declaration_at(ev, position)?);
        }
    } else if let Some(files) = attr(option, "declarations") {
        for file in list(ev, &files)?.iter() {
            declarations.push(Declaration { file: file_name(ev, file)?, line: None, column: None });
        }
    }
    declarations.retain(|d| d.file != UNKNOWN_FILE);
    Ok(declarations)
}

/// A `{ file, line, column }` position, as `builtins.unsafeGetAttrPos`
/// gives it (line and column may be null).
fn declaration_at(ev: &mut Evaluator, position: &Value) -> EvalResult<Declaration> {
    let position = match ev.force(position)? {
        Value::Attrs(position) => position,
        other => return Err(unexpected("a position (file, line, column)", &other)),
    };
    let Some(file) = attr(&position, "file") else {
        return Err(EvalError::new(ErrorKind::Type, "a declaration position without `file'", None));
    };
    Ok(Declaration {
        file: file_name(ev, &file)?,
        line: optional_number(ev, &position, "line")?,
        column: optional_number(ev, &position, "column")?,
    })
}

fn optional_number(ev: &mut Evaluator, attrs: &AttrSet, name: &str) -> EvalResult<Option<u32>> {
    let Some(value) = attr(attrs, name) else { return Ok(None) };
    match ev.force(&value)? {
        Value::Null => Ok(None),
        Value::Int(n) => u32::try_from(n).map(Some).map_err(|_| {
            EvalError::new(
                ErrorKind::Type,
                format!("the {} of a declaration position is out of range: {}", name, n),
                None,
            )
        }),
        other => Err(unexpected("an integer or null", &other)),
    }
}

/// `option.NAME or false`.
fn flag(ev: &mut Evaluator, option: &AttrSet, name: &str) -> EvalResult<bool> {
    match attr(option, name) {
        Some(value) => match ev.force(&value)? {
            Value::Bool(b) => Ok(b),
            other => Err(unexpected("a Boolean", &other).context(None, format!("while evaluating `{}'", name))),
        },
        None => Ok(false),
    }
}

fn attr(attrs: &AttrSet, name: &str) -> Option<Value> {
    attrs.get(Symbol::intern(name)).cloned()
}

fn list(ev: &mut Evaluator, value: &Value) -> EvalResult<List> {
    match ev.force(value)? {
        Value::List(items) => Ok(items),
        other => Err(unexpected("a list", &other)),
    }
}

fn string(ev: &mut Evaluator, value: &Value) -> EvalResult<String> {
    match ev.force(value)? {
        Value::String(s) => Ok(s.as_str().to_string()),
        other => Err(unexpected("a string", &other)),
    }
}

fn optional_string(ev: &mut Evaluator, value: &Value) -> EvalResult<Option<String>> {
    match ev.force(value)? {
        Value::Null => Ok(None),
        _ => string(ev, value).map(Some),
    }
}

fn strings(ev: &mut Evaluator, value: &Value) -> EvalResult<Vec<String>> {
    list(ev, value)?.iter().map(|item| string(ev, item)).collect()
}

/// A file as a module names it: a string, or a path when a module sets
/// `_file` to one.
fn file_name(ev: &mut Evaluator, value: &Value) -> EvalResult<String> {
    match ev.force(value)? {
        Value::Path(path) => Ok(path.to_string()),
        _ => string(ev, value),
    }
}

fn unexpected(wanted: &str, got: &Value) -> EvalError {
    EvalError::new(ErrorKind::Type, format!("expected {}, but the value is {}", wanted, got.type_desc()), None)
}

/// The record of `optionAttrSetToDocList`, keys in its (sorted) order,
/// plus `declarationPositions`. `declarations` are the positions' files
/// (see [`Declaration`]), which are `optionAttrSetToDocList`'s
/// `declarations` wherever a module's `_file` is the file it is in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OptionRecord<'a> {
    declaration_positions: &'a [Declaration],
    declarations: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<&'a Literal>,
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    example: Option<&'a Literal>,
    internal: bool,
    loc: &'a [String],
    name: &'a str,
    read_only: bool,
    #[serde(rename = "type")]
    type_description: &'a str,
    /// As `optionAttrSetToDocList` has it: whether the option itself is
    /// shown (its sub-options are already listed or left out).
    visible: bool,
}

impl Serialize for OptionDoc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        OptionRecord {
            declaration_positions: &self.declarations,
            declarations: self.declarations.iter().map(|d| d.file.as_str()).collect(),
            default: self.default.as_ref(),
            description: self.description.as_deref(),
            example: self.example.as_ref(),
            internal: self.internal,
            loc: &self.loc,
            name: &self.name,
            read_only: self.read_only,
            type_description: &self.type_description,
            visible: self.visibility.shows_option(),
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn option_names_quote_what_is_not_an_identifier_or_a_placeholder() {
        assert_eq!(show_option(&loc(&["services", "<name>", "ports", "*", "port"])), "services.<name>.ports.*.port");
        assert_eq!(show_option(&loc(&["services", "my.site", "if", "a-b'"])), "services.\"my.site\".\"if\".a-b'");
        assert_eq!(show_option(&[]), "");
    }

    #[test]
    fn declarations_show_as_much_of_their_position_as_is_known() {
        let at = |line, column| Declaration { file: "/m.nix".into(), line, column };
        assert_eq!(at(Some(3), Some(5)).to_string(), "/m.nix:3:5");
        assert_eq!(at(Some(3), None).to_string(), "/m.nix:3");
        assert_eq!(at(None, None).to_string(), "/m.nix");
    }

    #[test]
    fn visibility_decides_about_the_option_and_its_sub_options_separately() {
        let shown = |v: Visibility| (v.shows_option(), v.shows_sub_options());
        assert_eq!(shown(Visibility::Visible), (true, true));
        assert_eq!(shown(Visibility::Hidden), (false, false));
        assert_eq!(shown(Visibility::Shallow), (true, false));
        assert_eq!(shown(Visibility::Transparent), (false, true));
    }
}
