//! Option documentation. Each `fixtures/options/<case>.nix` is evaluated
//! as the only module of `lib.evalModules` (from `modules/lib`), and the
//! documentation `option_docs` gives for its options must equal
//! `<case>.json` beside it (`NIX2DREAM_BLESS=1` rewrites the `.json` files).
//! The same documentation is compared with what `lib.optionAttrSetToDocList`
//! gives in Nix, for the fixtures and for the deployment module.

use nix2dream_core::load::nix_string;
use nix2dream_core::options::{deployment_option_docs, document_option, option_docs, OptionDoc};
use nix2dream_eval::{print, EvalError, EvalOptions, Evaluator, RealFs, Value};
use nix2dream_syntax::{FileId, Span};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn fixtures() -> PathBuf {
    repo().join("fixtures/options")
}

/// Every top-level `<case>.nix` (helper modules live in `_modules/`).
fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|entry| entry.unwrap().file_name().to_str()?.strip_suffix(".nix").map(str::to_string))
        .collect();
    cases.sort();
    cases
}

/// An evaluator in which `<nix2dream>` is the repository's `modules/`.
fn evaluator() -> Evaluator {
    let modules = repo().join("modules").display().to_string();
    let options = EvalOptions { search_path: vec![("nix2dream".into(), modules)], ..EvalOptions::default() };
    Evaluator::new(Box::new(RealFs), options)
}

fn eval(ev: &mut Evaluator, expr: &str) -> Result<Value, String> {
    ev.eval_string(expr, "«options test»").map_err(|e| ev.render_error(&e))
}

/// `lib.evalModules` of the given modules (Nix code), and a name for the
/// result's `options` in `then` (Nix code using `options`).
fn with_options(modules: &str, then: &str) -> String {
    format!(
        "let lib = (import <nix2dream>).lib; options = (lib.evalModules {{ modules = [ ({}) ]; }}).options; in {}",
        modules, then
    )
}

fn fixture_module(case: &str) -> String {
    format!("(/. + {})", nix_string(&fixtures().join(format!("{}.nix", case)).display().to_string()))
}

fn docs_of(modules: &str) -> Result<Vec<OptionDoc>, String> {
    let mut ev = evaluator();
    let options = eval(&mut ev, &with_options(modules, "options"))?;
    option_docs(&mut ev, &options).map_err(|e| ev.render_error(&e))
}

/// The module system's own options (`_module.args`, at the root and in
/// every submodule).
fn of_module_system(doc: &OptionDoc) -> bool {
    doc.loc.iter().any(|part| part == "_module")
}

/// The docs as the `.json` files hold them: without the module system's
/// own options (their lines move whenever `modules/lib` does), with files
/// named relative to the fixtures folder.
fn portable(mut docs: Vec<OptionDoc>) -> Vec<OptionDoc> {
    let prefix = format!("{}/", fixtures().display());
    docs.retain(|doc| !of_module_system(doc));
    for declaration in docs.iter_mut().flat_map(|doc| doc.declarations.iter_mut()) {
        if let Some(relative) = declaration.file.strip_prefix(&prefix) {
            declaration.file = relative.to_string();
        }
    }
    docs
}

/// Compare the documentation of `input` with the JSON in `expect`.
fn check(input: &str, expect: &Path) -> Result<(), String> {
    let docs = portable(docs_of(input)?);
    let actual = serde_json::to_string_pretty(&docs).unwrap() + "\n";
    if std::env::var("NIX2DREAM_BLESS").as_deref() == Ok("1") {
        std::fs::write(expect, &actual).unwrap();
        return Ok(());
    }
    let expected = std::fs::read_to_string(expect).unwrap_or_default();
    if expected == actual {
        Ok(())
    } else {
        Err(format!("{} differs; the documentation is:\n{}", expect.display(), actual))
    }
}

#[test]
fn fixtures_document_their_options_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 7, "the fixtures are missing: {:?}", cases);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| check(&fixture_module(case), &fixtures().join(format!("{}.json", case))).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `optionAttrSetToDocList` of `options`, as JSON.
fn nix_docs(ev: &mut Evaluator, modules: &str) -> Result<Json, String> {
    let docs = eval(ev, &with_options(modules, "lib.optionAttrSetToDocList options"))?;
    let mut out = String::new();
    let span = Span::new(FileId::new(0), 0, 0);
    print::write_json(ev, &docs, span, &mut out, &mut Default::default()).map_err(|e| ev.render_error(&e))?;
    Ok(serde_json::from_str(&out).unwrap())
}

/// The docs as JSON without the given keys.
fn records_without(docs: &[OptionDoc], keys: &[&str]) -> Json {
    let mut json = serde_json::to_value(docs).unwrap();
    for record in json.as_array_mut().unwrap() {
        for key in keys {
            record.as_object_mut().unwrap().remove(*key);
        }
    }
    json
}

/// Record by record, so that a difference names its option.
fn assert_same_records(actual: &Json, expected: &Json) {
    let (actual, expected) = (actual.as_array().unwrap(), expected.as_array().unwrap());
    for (actual, expected) in actual.iter().zip(expected) {
        assert_eq!(actual, expected, "the records of {} differ", expected["name"]);
    }
    assert_eq!(actual.len(), expected.len(), "different numbers of options");
}

#[test]
fn fixture_docs_are_what_option_attr_set_to_doc_list_gives() {
    for case in cases() {
        let module = fixture_module(&case);
        let mut ev = evaluator();
        let mut expected = nix_docs(&mut ev, &module).unwrap();
        for record in expected.as_array_mut().unwrap() {
            record.as_object_mut().unwrap().remove("declarations");
        }
        let docs = docs_of(&module).unwrap();
        // Declarations name the file a position is in, which is not always
        // the module's `_file` (positions.nix); `.json` files pin them.
        let actual = records_without(&docs, &["declarationPositions", "declarations"]);
        assert_same_records(&actual, &expected);
    }
}

#[test]
fn deployment_docs_are_what_options_docs_gives() {
    let mut ev = evaluator();
    let docs = deployment_option_docs(&mut ev).map_err(|e| ev.render_error(&e)).unwrap();
    let options_docs = eval(&mut ev, "(import <nix2dream>).optionsDocs").unwrap();
    let mut expected = String::new();
    print::write_json(&mut ev, &options_docs, Span::new(FileId::new(0), 0, 0), &mut expected, &mut Default::default())
        .unwrap();
    let mut expected: Json = serde_json::from_str(&expected).unwrap();
    let mut actual = records_without(&docs, &["declarationPositions"]);
    // The module system's own module calls itself `lib/modules.nix` in
    // `_file`; positions name the file.
    let records = actual.as_array_mut().unwrap().iter_mut().chain(expected.as_array_mut().unwrap());
    for record in records.filter(|record| record["loc"].as_array().unwrap().contains(&Json::from("_module"))) {
        record.as_object_mut().unwrap().remove("declarations");
    }
    assert_same_records(&actual, &expected);
    assert!(docs.len() > 50, "only {} options", docs.len());
    let policy = docs.iter().find(|doc| doc.name == "services.<name>.restart.policy").unwrap();
    let declared = &policy.declarations[0];
    assert!(declared.file.ends_with("/modules/core/service/lifecycle.nix"), "{}", declared);
    assert!(declared.line.is_some() && declared.column.is_some(), "{}", declared);
}

#[test]
fn documentation_for_users_leaves_out_internal_and_hidden_options() {
    let docs = portable(docs_of(&fixture_module("visibility")).unwrap());
    let listed: Vec<&str> = docs.iter().map(|doc| doc.name.as_str()).collect();
    assert_eq!(listed, ["hidden", "internal", "internal.child", "shallow", "transparent", "transparent.child"]);
    let documented: Vec<&str> = docs.iter().filter(|doc| doc.is_documented()).map(|doc| doc.name.as_str()).collect();
    assert_eq!(documented, ["internal.child", "shallow", "transparent.child"]);
}

fn error_of(modules: &str) -> EvalError {
    let mut ev = evaluator();
    let options = eval(&mut ev, &with_options(modules, "options")).unwrap();
    match option_docs(&mut ev, &options) {
        Ok(docs) => panic!("documented {} options without an error", docs.len()),
        Err(e) => e,
    }
}

fn trace_of(e: &EvalError) -> Vec<&str> {
    e.trace().iter().map(|frame| frame.message.as_str()).collect()
}

#[test]
fn a_default_that_fails_is_an_error_naming_the_option() {
    let e = error_of(r#"{ lib, ... }: { options.a.b = lib.mkOption { default = throw "no default today"; }; }"#);
    assert_eq!(e.message(), "no default today");
    assert_eq!(
        trace_of(&e),
        ["while evaluating the default value of option `a.b`", "while documenting the option `a.b'"]
    );
}

#[test]
fn a_description_that_is_not_text_is_an_error_naming_the_option() {
    let e = error_of(r#"{ lib, ... }: { options.a = lib.mkOption { description = [ "not text" ]; }; }"#);
    assert_eq!(e.message(), "expected a string, but the value is a list");
    assert_eq!(trace_of(&e), ["while documenting the option `a'"]);
}

#[test]
fn a_failing_attribute_inside_a_default_is_named() {
    let e = error_of(r#"{ lib, ... }: { options.a = lib.mkOption { default = { x.y = abort "deep"; }; }; }"#);
    assert_eq!(e.message(), "evaluation aborted with the following error message: 'deep'");
    assert_eq!(
        trace_of(&e),
        [
            "while evaluating an attribute `y`",
            "while evaluating an attribute `x`",
            "while evaluating the default value of option `a`",
            "while documenting the option `a'",
        ]
    );
}

#[test]
fn a_value_that_contains_itself_is_refused_not_shown_forever() {
    let e = error_of(r#"{ lib, ... }: { options.a = lib.mkOption { default = let x = { inherit x; }; in x; }; }"#);
    assert!(e.message().contains("too deep to show"), "{}", e.message());
}

#[test]
fn options_made_by_hand_are_documented_with_what_they_have() {
    let mut ev = evaluator();
    let tree = eval(&mut ev, r#"{ a.b = { _type = "option"; loc = [ "a" "b" ]; }; c = 1; d = [ ]; }"#).unwrap();
    let docs = option_docs(&mut ev, &tree).unwrap();
    let json = serde_json::to_value(&docs).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{
            "declarationPositions": [],
            "declarations": [],
            "description": null,
            "internal": false,
            "loc": ["a", "b"],
            "name": "a.b",
            "readOnly": false,
            "type": "unspecified",
            "visible": true,
        }])
    );
}

#[test]
fn one_option_can_be_documented_on_its_own() {
    let mut ev = evaluator();
    let options = eval(&mut ev, &with_options(&fixture_module("submodule"), "options.database")).unwrap();
    let doc = document_option(&mut ev, &options).unwrap();
    assert_eq!(doc.name, "database");
    assert_eq!(doc.type_description, "submodule");
    let not_an_option = eval(&mut ev, "{ a = 1; }").unwrap();
    let e = document_option(&mut ev, &not_an_option).unwrap_err();
    assert_eq!(e.message(), "expected an option (a set with `_type = \"option\"`), but the value is a set");
}
