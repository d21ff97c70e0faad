//! Snapshots of the Procfile target and of the entrypoints `nix2dream up`
//! runs, for deployments built directly as typed values.

use nix2dream_core::local::{instances_of, LocalPorts};
use nix2dream_core::*;
use nix2dream_render::entrypoint::{entrypoint_script, EntrypointInput, Mode};
use nix2dream_render::{procfile, Contents, Rendered};
use std::path::Path;
use std::time::Duration;

fn service(name: &str, command: Command) -> Service {
    Service::with_defaults(name, command)
}

fn deployment(services: Vec<Service>) -> Deployment {
    Deployment {
        name: "demo".into(),
        description: String::new(),
        state_directory: "/var/lib/demo".into(),
        procfile_port_base: 5000,
        services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
    }
}

/// Every rendered file, one after the other, for one snapshot.
fn listing(rendered: &Rendered) -> String {
    let mut out = String::new();
    for file in &rendered.files {
        let mode = if file.executable { " (executable)" } else { "" };
        out.push_str(&format!("==> {}{} <==\n", file.path.display(), mode));
        match &file.contents {
            Contents::Text(text) => out.push_str(text),
            Contents::CopyOf(source) => out.push_str(&format!("(a copy of {})\n", source.display())),
        }
    }
    for note in &rendered.notes {
        out.push_str(&format!("note: {}\n", note));
    }
    out
}

/// The original nix2dream's hello deployment: shell words, and env.
fn hello() -> Deployment {
    let mut greeter = service(
        "hello",
        Command::Shell {
            program: "/opt/hello/bin/hello".into(),
            args: vec!["-g".into(), "\"Hello there, $GENERAL!\"".into()],
        },
    );
    greeter.env.insert("GENERAL".into(), "General Kenobi".into());
    let other = service(
        "other-service",
        Command::Shell {
            program: "/opt/hello/bin/hello".into(),
            args: vec!["-g".into(), "\"Hello from the other service!\"".into()],
        },
    );
    deployment(vec![greeter, other])
}

/// A service that uses every option, and one that depends on it.
fn everything() -> Deployment {
    let mut api = service(
        "api",
        Command::Argv { argv: vec!["python3".into(), "-u".into(), "/srv/api.py".into(), "it's raw".into()] },
    );
    api.description = "The API".into();
    api.env.insert("MODE".into(), "production".into());
    api.environment_files.push("/etc/api.env".into());
    api.volumes.insert(
        "data".into(),
        Volume {
            path: "/var/lib/demo/volumes/api/data".into(),
            persisting: false,
            check_script: "test -d /var/lib/demo/volumes/api/data".into(),
            initialize_script: "mkdir -p /var/lib/demo/volumes/api/data".into(),
            clear_script: "rm -rf /var/lib/demo/volumes/api/data".into(),
        },
    );
    api.pre_start = "echo preparing\n".into();
    api.config_data.insert(
        "api.conf".into(),
        ConfigFile {
            name: "api.conf".into(),
            contents: ConfigContents::Text("port = 1\n".into()),
            path: "/var/lib/demo/config/api/api.conf".into(),
        },
    );
    api.config_data.insert(
        "cert".into(),
        ConfigFile {
            name: "tls/cert.pem".into(),
            contents: ConfigContents::Source("/etc/ssl/cert.pem".into()),
            path: "/var/lib/demo/config/api/tls/cert.pem".into(),
        },
    );
    api.ports.insert("http".into(), Port { port: Some(8080), host_port: None, protocol: Protocol::Tcp });
    api.ports.insert("metrics".into(), Port { port: None, host_port: Some(9100), protocol: Protocol::Tcp });
    api.health_check = Some(HealthCheck {
        probe: Probe::HttpGet { host: "127.0.0.1".into(), port: PortRef::Name("http".into()), path: "/health".into() },
        interval: Duration::from_millis(500),
        timeout: Duration::from_secs(2),
        retries: 3,
        start_period: Duration::from_millis(1500),
    });
    api.restart = Restart {
        policy: RestartPolicy::OnFailure,
        delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(8),
        max_retries: Some(5),
    };
    api.user = Some("api".into());
    api.working_directory = Some("/srv".into());
    api.stop_signal = Signal::Int;
    api.stop_grace_period = Duration::from_secs(20);
    api.resources = Resources { cpus: Some(0.5), memory: Some(512 << 20), open_files: Some(4096) };
    let mut web = service(
        "web",
        Command::Shell {
            program: "/usr/bin/python3".into(),
            args: vec!["-m".into(), "http.server".into(), "$PORT_HTTP".into()],
        },
    );
    web.ports.insert("http".into(), Port { port: None, host_port: None, protocol: Protocol::Tcp });
    web.depends_on.insert("api".into(), Condition::Healthy);
    web.depends_on.insert("migrate".into(), Condition::CompletedSuccessfully);
    web.replicas = 2;
    web.health_check = Some(HealthCheck {
        probe: Probe::LogLine { pattern: "Serving HTTP".into() },
        interval: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
        retries: 3,
        start_period: Duration::ZERO,
    });
    web.restart.policy = RestartPolicy::Always;
    let migrate = service("migrate", Command::Argv { argv: vec!["/srv/migrate".into()] });
    deployment(vec![api, web, migrate])
}

#[test]
fn hello_procfile() {
    insta::assert_snapshot!(listing(&procfile::render(&hello(), Path::new("/srv/out"))));
}

#[test]
fn everything_procfile() {
    insta::assert_snapshot!(listing(&procfile::render(&everything(), Path::new("/srv/out"))));
}

#[test]
fn supervised_entrypoints() {
    let d = everything();
    let ports = LocalPorts::sequential(&d, 7000);
    let mut out = String::new();
    for service in d.services.values() {
        for instance in instances_of(service) {
            let input = EntrypointInput {
                deployment: &d,
                service,
                instance: &instance,
                ports: &ports,
                config_dir: format!("/run/demo/config/{}", service.name),
                mode: Mode::Supervised,
            };
            out.push_str(&format!("==> {} <==\n{}", instance.name, entrypoint_script(&input)));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn a_launch_command_replaces_the_entrypoint_on_its_line() {
    let mut d = hello();
    d.services.get_mut("hello").unwrap().procfile_launch_command = Some("exec my-hello".into());
    let rendered = procfile::render(&d, Path::new("/srv/out"));
    let Contents::Text(procfile) = &rendered.files[0].contents else { panic!("the Procfile is text") };
    assert!(procfile.starts_with("hello: exec my-hello\n"), "{}", procfile);
    assert!(!rendered.files.iter().any(|f| f.path == Path::new("bin/hello")));
}

#[test]
fn rendering_is_deterministic() {
    let a = procfile::render(&everything(), Path::new("/srv/out"));
    let b = procfile::render(&everything(), Path::new("/srv/out"));
    assert_eq!(a, b);
}

#[test]
fn a_note_about_many_services_names_a_few_and_counts_the_rest() {
    let services = (0..1000).map(|i| service(&format!("svc{i:03}"), Command::Argv { argv: vec!["/bin/true".into()] }));
    let rendered = procfile::render(&deployment(services.collect()), Path::new("/out"));
    let grace: Vec<&String> = rendered.notes.iter().filter(|n| n.starts_with("stopGracePeriod")).collect();
    assert_eq!(
        grace,
        ["stopGracePeriod: a Procfile runner waits its own time before SIGKILL (honcho: 5s), not that of \
          svc000 (10s), svc001 (10s), svc002 (10s), svc003 (10s), svc004 (10s) and 995 more"]
    );
}
