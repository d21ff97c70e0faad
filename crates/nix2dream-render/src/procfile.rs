//! The Procfile target: a `Procfile` with one line per service instance,
//! the entrypoint scripts its lines run (`bin/<instance>`), and the
//! configData files (`config/<service>/<name>`). honcho, foreman or
//! hivemind run it as it is.

use crate::entrypoint::{entrypoint_script, EntrypointInput, Mode};
use crate::files::{Contents, Rendered, RenderedFile};
use crate::shell::quote;
use nix2dream_core::local::{environment, instances_of, LocalPorts};
use nix2dream_core::{Command, ConfigContents, Deployment, Service, Signal};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a Procfile runner waits after SIGTERM before SIGKILL (honcho's
/// `KILL_WAIT`).
const RUNNER_KILL_WAIT: Duration = Duration::from_secs(5);

/// How many services a note that applies to many names before it counts
/// the rest: a deployment of thousands must still get a readable note.
const NOTE_NAMES: usize = 5;

/// Render the Procfile target for output directory `out_dir` (absolute: a
/// Procfile runner starts its lines in its own working directory, so the
/// lines name the scripts by absolute path).
pub fn render(deployment: &Deployment, out_dir: &Path) -> Rendered {
    let ports = LocalPorts::sequential(deployment, deployment.procfile_port_base);
    let run_dir = format!("{}/run", deployment.state_directory);
    let mut rendered = Rendered::default();
    let mut procfile = String::new();
    let other_grace: Vec<String> = deployment
        .services
        .values()
        .filter(|s| s.stop_grace_period != RUNNER_KILL_WAIT)
        .map(|s| format!("{} ({}s)", s.name, s.stop_grace_period.as_secs_f64()))
        .collect();
    if !other_grace.is_empty() {
        rendered.notes.push(format!(
            "stopGracePeriod: a Procfile runner waits its own time before SIGKILL (honcho: {}s), not that of {}",
            RUNNER_KILL_WAIT.as_secs(),
            first_names(&other_grace)
        ));
    }
    for service in deployment.services.values() {
        rendered.files.extend(config_files(service));
        rendered.notes.extend(notes(service));
        for instance in instances_of(service) {
            let process_name = instance.name.replace('.', "-");
            let launch = match (&service.procfile_launch_command, &service.command) {
                (Some(command), _) => command.clone(),
                (None, Command::Entrypoint { program }) => {
                    // The service's own entrypoint gets the environment on
                    // its line, as shell assignments.
                    let env = environment(deployment, &ports, &instance);
                    let assignments: Vec<String> = env.iter().map(|(k, v)| format!("{}={}", k, quote(v))).collect();
                    format!("{} {}", assignments.join(" "), quote(program))
                }
                (None, _) => {
                    let script_path = PathBuf::from("bin").join(&instance.name);
                    let input = EntrypointInput {
                        deployment,
                        service,
                        instance: &instance,
                        ports: &ports,
                        config_dir: format!("{}/config/{}", out_dir.display(), service.name),
                        mode: Mode::Procfile { run_dir: run_dir.clone() },
                    };
                    rendered.files.push(RenderedFile {
                        path: script_path.clone(),
                        contents: Contents::Text(entrypoint_script(&input)),
                        executable: true,
                    });
                    quote(&out_dir.join(script_path).to_string_lossy())
                }
            };
            procfile.push_str(&format!("{}: {}\n", process_name, launch));
        }
    }
    rendered.files.insert(
        0,
        RenderedFile { path: PathBuf::from("Procfile"), contents: Contents::Text(procfile), executable: false },
    );
    rendered
}

/// The service's configData files, at `config/<service>/<name>` (where the
/// entrypoints install them from).
pub fn config_files(service: &Service) -> Vec<RenderedFile> {
    service
        .config_data
        .values()
        .map(|file| RenderedFile {
            path: PathBuf::from("config").join(&service.name).join(&file.name),
            contents: match &file.contents {
                ConfigContents::Text(text) => Contents::Text(text.clone()),
                ConfigContents::Source(source) => Contents::CopyOf(PathBuf::from(source)),
            },
            executable: false,
        })
        .collect()
}

/// `a, b, c`, or the first `NOTE_NAMES` of a longer list and how many more.
fn first_names(names: &[String]) -> String {
    if names.len() <= NOTE_NAMES {
        return names.join(", ");
    }
    format!("{} and {} more", names[..NOTE_NAMES].join(", "), names.len() - NOTE_NAMES)
}

/// What a Procfile runner cannot do exactly as the service asks.
fn notes(service: &Service) -> Vec<String> {
    let mut notes = Vec::new();
    let name = &service.name;
    if service.stop_signal != Signal::Term {
        notes.push(format!(
            "services.{}.stopSignal: the entrypoint sends {} to the program, but a Procfile runner also sends SIGTERM to the whole process group",
            name,
            service.stop_signal.name()
        ));
    }
    if let Some(cpus) = service.resources.cpus {
        notes.push(format!("services.{}.resources.cpus: a Procfile cannot limit CPUs ({} requested)", name, cpus));
    }
    if matches!(service.command, Command::Entrypoint { .. }) && !service.depends_on.is_empty() {
        notes.push(format!(
            "services.{}.dependsOn: the service has its own `service.entrypoint`, which must wait for its dependencies itself",
            name
        ));
    }
    notes
}
