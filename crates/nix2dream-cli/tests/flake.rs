//! flake.nix parses with nix2dream's parser, and its flake-parts module
//! evaluates under nix2dream's module system with the examples as
//! deployments.

mod support;

use support::{repo, run, scratch};

#[test]
fn the_flake_parses_and_has_the_three_outputs_of_a_flake() {
    let dir = scratch("flake-parse");
    let flake = repo().join("flake.nix");
    let out = run(&["eval", "-E", &format!("builtins.attrNames (import {})", flake.display())], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "[ \"description\" \"inputs\" \"outputs\" ]\n");
}

#[test]
fn the_flake_module_evaluates_the_examples_as_deployments() {
    let dir = scratch("flake-module");
    // flake-parts' mkPerSystemOption, reduced to what the module uses.
    let expression = |example: &str| {
        format!(
            r#"let
              lib = (import <nix2dream>).lib;
              flake-parts-lib.mkPerSystemOption = module: lib.mkOption {{
                type = lib.types.submoduleWith {{ modules = [ module ]; specialArgs.pkgs = {{ }}; }};
              }};
              evaluated = lib.evalModules {{
                modules = [ {root}/nix/flake-module.nix {{ perSystem.deployments.{example} = {root}/examples/{example}; }} ];
                specialArgs = {{ inherit flake-parts-lib; }};
              }};
              deployment = evaluated.config.perSystem.deployments.{example};
            in {{ inherit (deployment) name; policies = builtins.mapAttrs (_: s: s.restart.policy) deployment.services; }}"#,
            root = repo().display(),
            example = example
        )
    };
    let out = run(&["eval", "--strict", "-E", &expression("web")], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "{ name = \"web\"; policies = { migrate = \"no\"; site = \"on-failure\"; worker = \"on-failure\"; }; }\n"
    );
    let out = run(&["eval", "--strict", "-E", &expression("hello")], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "{ name = \"hello\"; policies = { hello = \"no\"; other-service = \"no\"; }; }\n");
}
