//! `nix2dream config`, `render` and `options` on good and bad deployments:
//! a rejected deployment is reported with the option path and the
//! `file:line:column` of the offending definition.

mod support;

use support::{run, scratch, write};

/// Run `config` on a deployment with this text; the exit code and stderr.
fn config_error(name: &str, text: &str) -> (Option<i32>, String, String) {
    let dir = scratch(&format!("config-{}", name));
    let file = write(&dir, &format!("{}.nix", name), text);
    let out = run(&["config", file.to_str().unwrap()], &dir.join("state"));
    (out.code, out.stderr, file.display().to_string())
}

#[test]
fn a_value_of_the_wrong_type_names_the_option_and_where_it_was_set() {
    let (code, err, file) = config_error(
        "wrong-type",
        "{\n  services.site = {\n    process.argv = [ \"true\" ];\n    replicas = \"two\";\n  };\n}\n",
    );
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: A definition for option `services.site.replicas' is not of type"), "{}", err);
    assert!(err.contains(&format!("at {}:4:5:", file)), "{}", err);
    assert!(err.contains("replicas = \"two\";"), "{}", err);
}

#[test]
fn an_unknown_option_is_reported_with_a_hint() {
    let (code, err, file) = config_error(
        "unknown-option",
        "{\n  services.site.process.argv = [ \"true\" ];\n  services.site.restrat.policy = \"always\";\n}\n",
    );
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: The option `services.site.restrat' does not exist."), "{}", err);
    assert!(err.contains("Did you mean `services.site.restart'?"), "{}", err);
    assert!(err.contains(&format!("at {}:3:", file)), "{}", err);
}

#[test]
fn a_missing_value_names_the_option_and_the_service_that_needs_it() {
    let (code, err, file) = config_error("missing", "{\n  services.site.service.args = [ \"-v\" ];\n}\n");
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("error: The option `services.site.service.mainProgram' was accessed but has no value defined."),
        "{}",
        err
    );
    assert!(err.contains(&format!("at {}:2:", file)), "{}", err);
}

#[test]
fn a_dependency_cycle_is_reported_once_with_the_whole_cycle() {
    let (code, err, file) = config_error(
        "cycle",
        r#"{
  services.a = { process.argv = [ "true" ]; dependsOn = [ "b" ]; };
  services.b = { process.argv = [ "true" ]; dependsOn.c.condition = "started"; };
  services.c = { process.argv = [ "true" ]; dependsOn.a = { }; };
}
"#,
    );
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("error: The option `services.a.dependsOn' makes a dependency cycle: a -> b -> c -> a"),
        "{}",
        err
    );
    assert!(err.contains(&format!("at {}:2:", file)), "{}", err);
    assert_eq!(err.matches("makes a dependency cycle").count(), 1, "{}", err);
}

#[test]
fn an_unknown_service_in_depends_on_is_reported_with_a_suggestion() {
    let (code, err, file) = config_error(
        "unknown-dependency",
        r#"{ lib, ... }: {
  services.database.process.argv = [ "true" ];
  services.app = {
    process.argv = [ "true" ];
    dependsOn.databse.condition = "healthy";
  };
}
"#,
    );
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("error: The option `services.app.dependsOn' names the service `databse', which is not defined in this deployment"),
        "{}",
        err
    );
    assert!(err.contains(&format!("at {}:5:5:", file)), "{}", err);
    assert!(err.contains("Did you mean `database'?"), "{}", err);
}

#[test]
fn an_error_in_a_definition_shows_the_authors_code_not_the_module_systems() {
    let text = "{\n  services.site = {\n    process.argv = [ \"true\" (toString (1 + \"x\")) ];\n  };\n}\n";
    let (code, err, file) = config_error("bad-definition", text);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: cannot add a string to an integer"), "{}", err);
    assert!(err.contains(&format!("at {}:3:", file)), "{}", err);
    assert!(err.contains(&format!("while evaluating definitions from `{}'", file)), "{}", err);
    assert!(err.contains("while evaluating the option `services.site.process.argv'"), "{}", err);
    // Neither the native builtins' frames nor our modules' code.
    assert!(!err.contains('«'), "{}", err);
    assert!(!err.contains("nix2dream-embedded"), "{}", err);
    assert!(err.ends_with("(use '--show-trace' to see the module system's own frames)\n"), "{}", err);

    // All of it, on request.
    let dir = scratch("config-bad-definition-trace");
    let file = write(&dir, "bad.nix", text);
    let traced = run(&["config", "--show-trace", file.to_str().unwrap()], &dir.join("state"));
    assert_eq!(traced.code, Some(1));
    assert!(traced.stderr.starts_with("error: cannot add a string to an integer"), "{}", traced.stderr);
    assert!(traced.stderr.contains("while calling the '«modules:"), "{}", traced.stderr);
    assert!(traced.stderr.contains("at /nix2dream-embedded/modules/lib/"), "{}", traced.stderr);
    assert!(!traced.stderr.contains("--show-trace"), "{}", traced.stderr);
}

#[test]
fn a_syntax_error_in_the_deployment_is_reported_where_it_is() {
    let (code, err, file) = config_error("syntax", "{\n  services.site = {\n    process.argv = [ \"true\"\n  };\n}\n");
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: syntax error, unexpected '}'"), "{}", err);
    assert!(err.contains(&format!("at {}:4:3:", file)), "{}", err);
    assert!(err.contains("while reading the deployment's configuration"), "{}", err);
    assert!(!err.contains("the option `'"), "{}", err);
    assert!(!err.contains('«'), "{}", err);
}

#[test]
fn config_json_is_the_typed_deployment() {
    let dir = scratch("config-json");
    let example = support::repo().join("examples/web");
    let out = run(&["config", example.to_str().unwrap(), "--json"], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["name"], "web");
    assert_eq!(json["stateDirectory"], dir.display().to_string());
    let site = &json["services"]["site"];
    assert_eq!(site["command"]["kind"], "shell");
    assert_eq!(site["command"]["program"], "python3");
    assert_eq!(site["command"]["args"][5], format!("{}/pages", dir.display()));
    assert_eq!(site["dependsOn"]["migrate"], "completed-successfully");
    assert_eq!(json["services"]["worker"]["dependsOn"]["site"], "healthy");
    assert_eq!(site["healthCheck"]["probe"]["kind"], "tcpConnect");
    assert_eq!(site["healthCheck"]["interval"], 1.0);
    assert_eq!(site["restart"]["policy"], "on-failure");
    assert_eq!(json["services"]["worker"]["restart"]["delay"], 0.5);
    assert_eq!(json["services"]["worker"]["env"]["POLL_SECONDS"], "1");
    let migrate = &json["services"]["migrate"];
    assert_eq!(migrate["command"]["argv"][1], support::repo().join("examples/web/migrate.py").display().to_string());
}

/// The defaults that depend on the service (its name, its other options)
/// are set once per service although the options are declared once per
/// deployment; the volume and configData submodules find their service.
#[test]
fn defaults_that_depend_on_the_service_follow_each_service() {
    let dir = scratch("config-service-defaults");
    let file = write(
        &dir,
        "defaults.nix",
        r#"{
  services.api = {
    process.argv = [ "/usr/bin/env" "true" ];
    service.volumes.data = { };
    configData."app.conf".text = "x";
  };
  services.db = {
    service.package = "/usr/bin/python3";
    service.renderers.ociContainer.extraImageTags = [ "db:1" ];
  };
}
"#,
    );
    let state = dir.join("state");
    let out = run(&["config", file.to_str().unwrap(), "--json"], &state);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let (api, db) = (&json["services"]["api"], &json["services"]["db"]);
    let volume = format!("{}/volumes/api/data", state.display());
    assert_eq!(api["volumes"]["data"]["path"], volume);
    assert_eq!(api["volumes"]["data"]["checkScript"], format!("test -d {}", volume));
    assert_eq!(api["configData"]["app.conf"]["path"], format!("{}/config/api/app.conf", state.display()));
    assert_eq!(api["mainProgramName"], "env");
    assert_eq!(api["imageTags"], serde_json::json!(["env:latest"]));
    assert_eq!(db["mainProgramName"], "python3");
    assert_eq!(db["imageTags"], serde_json::json!(["python3:latest", "db:1"]));
}

#[test]
fn the_hello_package_is_found_through_its_main_program() {
    let dir = scratch("config-hello");
    let example = support::repo().join("examples/hello");
    let out = run(&["config", example.to_str().unwrap(), "--json"], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let hello = &json["services"]["hello"];
    let program = support::repo().join("examples/hello/package/bin/hello");
    assert_eq!(hello["command"]["program"], program.display().to_string());
    assert_eq!(hello["command"]["args"], serde_json::json!(["-g", "\"Hello there, $GENERAL!\""]));
    assert_eq!(hello["mainProgramName"], "hello");
    assert_eq!(hello["imageTags"], serde_json::json!(["hello:latest"]));
    assert_eq!(hello["env"]["GENERAL"], "General Kenobi");
}

#[test]
fn targets_that_do_not_exist_yet_say_so() {
    let dir = scratch("render-missing");
    let example = support::repo().join("examples/hello");
    for target in ["compose", "kubernetes", "systemd", "nixos", "vm", "oci"] {
        let out = run(&["render", "--target", target, example.to_str().unwrap()], &dir);
        assert_eq!(out.code, Some(1), "{}", target);
        assert_eq!(
            out.stderr,
            format!("error: the {} target is not implemented yet (implemented: procfile)\n", target)
        );
    }
    let out = run(&["render", "--target", "procfile", example.to_str().unwrap()], &dir);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("pass --out DIR"), "{}", out.stderr);
}

#[test]
fn render_writes_the_procfile_its_scripts_and_the_config_files() {
    let dir = scratch("render-modular");
    let example = support::repo().join("examples/modular");
    let out_dir = dir.join("out");
    let out =
        run(&["render", "--target", "procfile", example.to_str().unwrap(), "--out", out_dir.to_str().unwrap()], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let procfile = std::fs::read_to_string(out_dir.join("Procfile")).unwrap();
    let names: Vec<&str> = procfile.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(names, ["clock-fast", "clock-slow-1", "clock-slow-2", "reporter"]);
    let config = std::fs::read_to_string(out_dir.join("config/clock-slow/clock.json")).unwrap();
    assert_eq!(config, r#"{"every":2,"label":"slow"}"#);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(out_dir.join("bin/clock-slow.2")).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111);
}

/// A deployment that cannot be written is rejected before any file is:
/// no output directory is left, let alone a Procfile whose scripts
/// install files that are not there.
#[test]
fn render_writes_nothing_when_a_config_file_cannot_be_written() {
    let cases = [
        (
            "missing-source",
            r#"configData.a.source = ./missing.conf;"#,
            "(a configData source): No such file or directory (os error 2)\n",
        ),
        (
            "dot-name",
            r#"configData.a = { name = "."; text = "x"; };"#,
            "error: The option `services.site.configData.a.name' is `.'",
        ),
        (
            "trailing-slash",
            r#"configData.a = { name = "a/"; text = "x"; };"#,
            "error: The option `services.site.configData.a.name' is `a/'",
        ),
        (
            "file-and-directory",
            r#"configData.a.text = "x"; configData.b = { name = "a/b"; text = "y"; };"#,
            "error: The option `services.site.configData.b.name' is `a/b', below the file of `configData.a'",
        ),
    ];
    for (name, definition, expected) in cases {
        let dir = scratch(&format!("render-unwritable-{}", name));
        let file = write(
            &dir,
            "deployment.nix",
            &format!("{{\n  services.site = {{\n    process.argv = [ \"true\" ];\n    {}\n  }};\n}}\n", definition),
        );
        let out_dir = dir.join("out");
        let out =
            run(&["render", "--target", "procfile", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()], &dir);
        assert_eq!(out.code, Some(1), "{}: {}", name, out.stderr);
        assert!(out.stderr.contains(expected), "{}: {}", name, out.stderr);
        assert!(!out_dir.exists(), "{}: {:?} was left behind", name, out_dir);
    }
}

#[test]
fn options_documents_every_option() {
    let dir = scratch("options");
    let out = run(&["options", "--json"], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let policy = &json["services.<name>.restart.policy"];
    assert_eq!(policy["type"], "one of \"no\", \"on-failure\", \"always\"");
    assert_eq!(policy["default"]["text"], "\"no\"");
    assert_eq!(policy["declarations"][0], "<nix2dream/core/service/lifecycle.nix>");
    for name in [
        "services.<name>.service.args",
        "services.<name>.service.env",
        "services.<name>.service.volumes.<name>.persisting",
        "services.<name>.service.mainProgramName",
        "services.<name>.service.renderers.ociContainer.allImageTags",
        "services.<name>.renderers.procfile.launchCommand",
        "services.<name>.process.argv",
        "services.<name>.configData.<name>.path",
        "services.<name>.healthCheck.startPeriod",
        "services.<name>.restart.maxRetries",
        "services.<name>.stopGracePeriod",
    ] {
        assert!(json.get(name).is_some(), "{} is documented", name);
    }
    assert!(json.get("services.<name>._definitionFiles").is_none());
    assert!(json.as_object().unwrap().keys().all(|name| !name.starts_with("_module")));

    // The position is that of the option's name in the embedded module.
    let position = &policy["declarationPositions"][0];
    assert_eq!(position["file"], "<nix2dream/core/service/lifecycle.nix>");
    let (line, column) = (position["line"].as_u64().unwrap(), position["column"].as_u64().unwrap());
    let source = std::fs::read_to_string(support::repo().join("modules/core/service/lifecycle.nix")).unwrap();
    let declared = source.lines().nth(line as usize - 1).unwrap();
    assert!(declared[column as usize - 1..].starts_with("policy = "), "line {}: {}", line, declared);

    let markdown = run(&["options"], &dir);
    assert_eq!(markdown.code, Some(0), "{}", markdown.stderr);
    let section = markdown.stdout.split("## `services.<name>.restart.policy`\n").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    assert!(section.contains("*Default:* `\"no\"`"), "{}", section);
    let declared_by = format!("*Declared by:* `<nix2dream/core/service/lifecycle.nix>:{}:{}`", line, column);
    assert!(section.contains(&declared_by), "{}", section);
}

#[test]
fn the_readme_tour_shows_the_web_example_as_it_is() {
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let example = std::fs::read_to_string(support::repo().join("examples/web/default.nix")).unwrap();
    assert!(
        readme.contains(&format!("```nix\n{}```\n", example)),
        "README.md's tour differs from examples/web/default.nix"
    );
    assert!(readme.contains("cargo run --release -p nix2dream-cli -- up examples/web\n"));
}

#[test]
fn the_rust_defaults_of_a_service_are_the_option_defaults() {
    let dir = scratch("config-defaults");
    let file = write(&dir, "defaults.nix", "{ services.x.process.argv = [ \"/bin/true\" ]; }\n");
    let out = run(&["config", file.to_str().unwrap(), "--json"], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let expected =
        nix2dream_core::Service::with_defaults("x", nix2dream_core::Command::Argv { argv: vec!["/bin/true".into()] });
    assert_eq!(json["services"]["x"], serde_json::to_value(expected).unwrap());
}
