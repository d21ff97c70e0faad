//! The typed deployment: what every target reads. Field names follow the
//! Nix options (`services.<name>.healthCheck.startPeriod` is
//! `Service::health_check.start_period`), and serialize in camelCase.

use crate::duration::{serde_seconds, Duration};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub name: String,
    pub description: String,
    /// Volumes without a path, installed configData and run-time markers.
    pub state_directory: String,
    /// The first port the Procfile target numbers ports from.
    pub procfile_port_base: u16,
    /// By name, so every target sees services in one stable order.
    pub services: BTreeMap<String, Service>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub name: String,
    pub description: String,
    pub command: Command,
    /// `service.mainProgramName`: names images and log prefixes of tools.
    pub main_program_name: String,
    /// Already rendered to strings; unset (`null`) variables are absent.
    pub env: BTreeMap<String, String>,
    pub environment_files: Vec<String>,
    pub volumes: BTreeMap<String, Volume>,
    pub pre_start: String,
    /// Enabled files only, by attribute name.
    pub config_data: BTreeMap<String, ConfigFile>,
    pub ports: BTreeMap<String, Port>,
    pub health_check: Option<HealthCheck>,
    pub depends_on: BTreeMap<String, Condition>,
    pub restart: Restart,
    pub user: Option<String>,
    pub group: Option<String>,
    pub working_directory: Option<String>,
    pub stop_signal: Signal,
    #[serde(with = "serde_seconds")]
    pub stop_grace_period: Duration,
    pub replicas: u32,
    pub resources: Resources,
    /// `renderers.procfile.launchCommand` when set; otherwise the Procfile
    /// target runs the entrypoint it writes.
    pub procfile_launch_command: Option<String>,
    /// `service.renderers.ociContainer.allImageTags`.
    pub image_tags: Vec<String>,
    /// `warnings` of the service's modules, shown when it is loaded.
    pub warnings: Vec<String>,
}

/// How the service's main process is started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Command {
    /// `service.mainProgram` with `service.args`: the args are shell words,
    /// joined with the (quoted) program into one command line.
    Shell { program: String, args: Vec<String> },
    /// `process.argv`: a raw argument vector, never re-parsed by a shell.
    Argv { argv: Vec<String> },
    /// `service.entrypoint`: a program that does all the start-up itself.
    Entrypoint { program: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub path: String,
    pub persisting: bool,
    pub check_script: String,
    pub initialize_script: String,
    pub clear_script: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFile {
    /// Relative to the service's configuration directory.
    pub name: String,
    pub contents: ConfigContents,
    /// Where the file is installed before the service starts.
    pub path: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConfigContents {
    Text(String),
    /// A file on this machine, copied at render time.
    Source(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    pub port: Option<u16>,
    pub host_port: Option<u16>,
    pub protocol: Protocol,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    pub probe: Probe,
    #[serde(with = "serde_seconds")]
    pub interval: Duration,
    #[serde(with = "serde_seconds")]
    pub timeout: Duration,
    pub retries: u32,
    #[serde(with = "serde_seconds")]
    pub start_period: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Probe {
    /// A shell command line.
    Shell {
        command: String,
    },
    /// An argument vector.
    Exec {
        argv: Vec<String>,
    },
    HttpGet {
        host: String,
        port: PortRef,
        path: String,
    },
    TcpConnect {
        host: String,
        port: PortRef,
    },
    /// A regular expression matched against each output line.
    LogLine {
        pattern: String,
    },
}

/// A port named in the service's `ports`, or a number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Started => "started",
            Condition::Healthy => "healthy",
            Condition::CompletedSuccessfully => "completed-successfully",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restart {
    pub policy: RestartPolicy,
    #[serde(with = "serde_seconds")]
    pub delay: Duration,
    #[serde(with = "serde_seconds")]
    pub max_delay: Duration,
    pub max_retries: Option<u32>,
}

impl Restart {
    /// The wait before restart number `attempt` (1-based): `delay`,
    /// doubled per consecutive attempt, at most `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
        let wanted = self.delay.as_secs_f64() * factor;
        Duration::from_secs_f64(wanted.min(self.max_delay.as_secs_f64().max(self.delay.as_secs_f64())))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    No,
    OnFailure,
    Always,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::Always => "always",
        }
    }
}

/// The signals a service may ask to be stopped with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signal {
    #[serde(rename = "SIGTERM")]
    Term,
    #[serde(rename = "SIGINT")]
    Int,
    #[serde(rename = "SIGQUIT")]
    Quit,
    #[serde(rename = "SIGHUP")]
    Hup,
    #[serde(rename = "SIGUSR1")]
    Usr1,
    #[serde(rename = "SIGUSR2")]
    Usr2,
    #[serde(rename = "SIGWINCH")]
    Winch,
    #[serde(rename = "SIGKILL")]
    Kill,
}

impl Signal {
    pub const ALL: [Signal; 8] =
        [Signal::Term, Signal::Int, Signal::Quit, Signal::Hup, Signal::Usr1, Signal::Usr2, Signal::Winch, Signal::Kill];

    /// The name with the `SIG` prefix, as the option spells it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "SIGTERM",
            Signal::Int => "SIGINT",
            Signal::Quit => "SIGQUIT",
            Signal::Hup => "SIGHUP",
            Signal::Usr1 => "SIGUSR1",
            Signal::Usr2 => "SIGUSR2",
            Signal::Winch => "SIGWINCH",
            Signal::Kill => "SIGKILL",
        }
    }

    pub fn from_name(name: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The Linux signal number (the same on every Linux architecture that
    /// nix2dream runs on for these eight).
    pub fn number(self) -> i32 {
        match self {
            Signal::Hup => 1,
            Signal::Int => 2,
            Signal::Quit => 3,
            Signal::Kill => 9,
            Signal::Usr1 => 10,
            Signal::Usr2 => 12,
            Signal::Term => 15,
            Signal::Winch => 28,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    pub cpus: Option<f64>,
    /// Bytes.
    pub memory: Option<u64>,
    pub open_files: Option<u64>,
}

impl Service {
    /// A service with every option at its default in `modules/core` (a
    /// CLI test checks that the two agree), for building deployments in
    /// Rust.
    pub fn with_defaults(name: &str, command: Command) -> Service {
        let main_program_name = match &command {
            Command::Shell { program, .. } | Command::Entrypoint { program } => {
                program.rsplit('/').next().unwrap_or(name)
            }
            Command::Argv { argv } => argv.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or(name),
        }
        .to_string();
        Service {
            name: name.to_string(),
            description: String::new(),
            command,
            image_tags: vec![format!("{}:latest", main_program_name)],
            main_program_name,
            env: BTreeMap::new(),
            environment_files: Vec::new(),
            volumes: BTreeMap::new(),
            pre_start: String::new(),
            config_data: BTreeMap::new(),
            ports: BTreeMap::new(),
            health_check: None,
            depends_on: BTreeMap::new(),
            restart: Restart {
                policy: RestartPolicy::No,
                delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(30),
                max_retries: None,
            },
            user: None,
            group: None,
            working_directory: None,
            stop_signal: Signal::Term,
            stop_grace_period: Duration::from_secs(10),
            replicas: 1,
            resources: Resources::default(),
            procfile_launch_command: None,
            warnings: Vec::new(),
        }
    }

    /// The environment variable that carries this service's port `port`
    /// for the service itself: `PORT_<NAME>`.
    pub fn own_port_variable(port: &str) -> String {
        format!("PORT_{}", env_name_part(port))
    }

    /// The environment variable that carries service `service`'s port
    /// `port` for every service: `<SERVICE>_PORT_<NAME>`.
    pub fn port_variable(service: &str, port: &str) -> String {
        format!("{}_PORT_{}", env_name_part(service), env_name_part(port))
    }

    /// Instance names: the service name, or `name.1` ... `name.N` when it
    /// has replicas.
    pub fn instance_names(&self) -> Vec<String> {
        if self.replicas <= 1 {
            vec![self.name.clone()]
        } else {
            (1..=self.replicas).map(|i| format!("{}.{}", self.name, i)).collect()
        }
    }
}

/// Upper-case, with everything but ASCII letters and digits as `_`.
pub fn env_name_part(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}
