//! The whole-deployment checks and the local-run helpers, on deployments
//! built in Rust.

use nix2dream_core::local::{instances, port_environment, LocalPorts};
use nix2dream_core::validate::check;
use nix2dream_core::*;

fn argv(name: &str) -> Service {
    Service::with_defaults(name, Command::Argv { argv: vec!["true".into()] })
}

fn deployment(services: Vec<Service>) -> Deployment {
    Deployment {
        name: "test".into(),
        description: String::new(),
        state_directory: "/tmp/test".into(),
        procfile_port_base: 5000,
        services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
    }
}

fn depends(mut service: Service, on: &[&str]) -> Service {
    for d in on {
        service.depends_on.insert(d.to_string(), Condition::Healthy);
    }
    service
}

fn messages(d: &Deployment) -> Vec<String> {
    check(d).into_iter().map(|f| format!("{}: {}", f.problem.option, f.problem.message)).collect()
}

#[test]
fn a_valid_deployment_has_no_problems() {
    let d = deployment(vec![depends(argv("web"), &["db", "cache"]), argv("db"), depends(argv("cache"), &["db"])]);
    assert!(messages(&d).is_empty());
}

#[test]
fn cycles_are_reported_once_from_their_smallest_name() {
    let d =
        deployment(vec![depends(argv("c"), &["a"]), depends(argv("a"), &["b"]), depends(argv("b"), &["c"]), argv("d")]);
    assert_eq!(messages(&d), ["services.a.dependsOn: makes a dependency cycle: a -> b -> c -> a"]);
}

#[test]
fn unknown_and_self_dependencies_are_reported() {
    let d = deployment(vec![depends(argv("web"), &["dbb", "web"]), argv("db")]);
    let found = check(&d);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].problem.message, "names the service `dbb', which is not defined in this deployment");
    assert_eq!(found[0].problem.hint.as_deref(), Some("Did you mean `db'? The services are: db, web"));
    assert_eq!(found[0].defined_at, ["services", "web", "dependsOn", "dbb"]);
    assert_eq!(found[1].problem.message, "makes the service depend on itself");
}

#[test]
fn a_job_that_always_restarts_can_never_complete() {
    let mut job = argv("job");
    job.restart.policy = RestartPolicy::Always;
    let mut web = argv("web");
    web.depends_on.insert("job".into(), Condition::CompletedSuccessfully);
    let d = deployment(vec![job, web]);
    assert_eq!(
        messages(&d),
        ["services.web.dependsOn: waits for `job' to complete successfully, but its restart policy is `always', so it never completes"]
    );
}

#[test]
fn host_ports_may_be_published_once() {
    let port = Port { port: None, host_port: Some(8080), protocol: Protocol::Tcp };
    let mut a = argv("a");
    a.ports.insert("http".into(), port);
    let mut b = argv("b");
    b.ports.insert("web".into(), port);
    let mut c = argv("c");
    c.ports.insert("http".into(), port);
    c.replicas = 2;
    c.ports.get_mut("http").unwrap().host_port = Some(9090);
    assert_eq!(
        messages(&deployment(vec![a, b, c])),
        [
            "services.c.ports.http.hostPort: is fixed, but the service has 2 replicas, which cannot all publish one host port",
            "services.b.ports.web.hostPort: is 8080, which `services.a.ports.http.hostPort' already publishes",
        ]
    );
}

#[test]
fn names_that_would_break_files_or_variables_are_rejected() {
    let mut bad = argv("bad.name");
    bad.env.insert("1X".into(), "y".into());
    let long = "a".repeat(64);
    let mut files = argv("files");
    let long_part = format!("d/{}", "n".repeat(241));
    let longest_part = format!("d/{}", "n".repeat(240));
    for (key, name) in [
        ("dot", "."),
        ("empty-part", "a//b"),
        ("trailing", "x/"),
        ("file", "f"),
        ("below", "f/g"),
        ("long", long_part.as_str()),
        ("longest", longest_part.as_str()),
    ] {
        files.config_data.insert(
            key.into(),
            ConfigFile { name: name.into(), contents: ConfigContents::Text(String::new()), path: String::new() },
        );
    }
    let found = messages(&deployment(vec![bad, argv(&long), argv(&long[..63]), files]));
    assert_eq!(found.len(), 8, "{:?}", found);
    assert!(found[0].starts_with(&format!("services.{}: is not a valid service name", long)));
    assert!(found[1].starts_with("services.bad.name: is not a valid service name"));
    assert!(found[2].contains("`1X', which is not a valid environment variable name"));
    assert_eq!(
        &found[3..],
        [
            "services.files.configData.dot.name: is `.'; it must be a relative path that stays inside the configuration directory",
            "services.files.configData.empty-part.name: is `a//b'; it must be a relative path that stays inside the configuration directory",
            &format!("services.files.configData.long.name: has the part `{}', of 241 bytes; a part of a configData name may have at most 240", "n".repeat(241)),
            "services.files.configData.trailing.name: is `x/'; it must be a relative path that stays inside the configuration directory",
            "services.files.configData.below.name: is `f/g', below the file of `configData.file'",
        ]
    );
}

#[test]
fn procfile_ports_count_up_from_the_base_around_fixed_ones() {
    let mut api = argv("api");
    api.ports.insert("http".into(), Port { port: None, host_port: None, protocol: Protocol::Tcp });
    api.ports.insert("admin".into(), Port { port: None, host_port: Some(5001), protocol: Protocol::Tcp });
    let mut web = argv("web");
    web.replicas = 2;
    web.ports.insert("http".into(), Port { port: Some(80), host_port: None, protocol: Protocol::Tcp });
    let d = deployment(vec![api, web]);
    let ports = LocalPorts::sequential(&d, 5000);
    assert_eq!(ports.of("api").unwrap()["http"], 5000);
    assert_eq!(ports.of("api").unwrap()["admin"], 5001);
    assert_eq!(ports.of("web.1").unwrap()["http"], 5002);
    assert_eq!(ports.of("web.2").unwrap()["http"], 5003);
    let web2 = instances(&d).into_iter().find(|i| i.name == "web.2").unwrap();
    let env = port_environment(&d, &ports, &web2);
    assert_eq!(env["PORT_HTTP"], "5003");
    assert_eq!(env["WEB_PORT_HTTP"], "5002");
    assert_eq!(env["NIX2DREAM_INSTANCE"], "2");
    // Another service's ports only for the services that depend on it.
    assert!(!env.contains_key("API_PORT_ADMIN"), "{:?}", env);
    let mut d = d;
    d.services.get_mut("web").unwrap().depends_on.insert("api".into(), Condition::Started);
    let env = port_environment(&d, &ports, &web2);
    assert_eq!(env["API_PORT_ADMIN"], "5001");
    assert_eq!(env["API_PORT_HTTP"], "5000");
}

#[test]
fn backoff_doubles_up_to_its_maximum() {
    let restart = argv("x").restart;
    let waits: Vec<u64> = (1..=7).map(|n| restart.backoff(n).as_secs()).collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
}
