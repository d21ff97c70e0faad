//! The event loop of `nix2dream up`: one state machine per service
//! instance, driven by events (output lines, exits, probe results,
//! signals) and deadlines (backoff, probes, grace periods).

use crate::printer::{Printer, Stream};
use crate::probe::{self, ProbeContext, ResolvedProbe};
use crate::process::{self, kill_group, reset_signals_in_child};
use nix2dream_core::local::{environment, instances_of, Instance, LocalPorts};
use nix2dream_core::{
    Command as ServiceCommand, Condition, Deployment, PortRef, Probe, Protocol, RestartPolicy, Service,
};
use nix2dream_render::entrypoint::{entrypoint_script, EntrypointInput, Mode};
use nix2dream_render::{procfile, write_all, Contents, Rendered, RenderedFile, WriteError};
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead as _;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct UpOptions {
    /// Start only these services (and what they depend on); all when empty.
    pub only: Vec<String>,
    pub timestamps: bool,
    pub colour: bool,
    /// The `nix2dream` binary, run as `nix2dream __leader` for each instance.
    pub leader_program: PathBuf,
    /// Where the entrypoints and configData files of this run are written.
    pub bundle_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error("there is no service `{name}` in this deployment (services: {known})")]
    UnknownService { name: String, known: String },
    #[error("cannot allocate a free port: {0}")]
    Ports(std::io::Error),
    #[error("cannot write the entrypoints")]
    Write(#[from] WriteError),
    #[error("the logLine pattern of {service} is not a valid regular expression: {error}")]
    Pattern { service: String, error: regex::Error },
}

/// How the run ended.
#[derive(Debug)]
pub struct Summary {
    /// Every instance completed, was stopped on request within its grace
    /// period, or never had to start.
    pub all_ended_well: bool,
}

/// Run the deployment until every service has ended, or until SIGINT /
/// SIGTERM / SIGHUP, then stop everything. Blocks the termination signals
/// of the calling thread: call it from the main thread before any other
/// thread exists.
pub fn up(deployment: &Deployment, options: &UpOptions) -> Result<Summary, UpError> {
    process::block_termination_signals();
    let selected = selection(deployment, &options.only)?;
    let ports = LocalPorts::assign(deployment, free_port).map_err(UpError::Ports)?;
    let instances = prepare(deployment, &selected, &ports, options)?;
    let names: Vec<&str> = instances.iter().map(|i| i.name.as_str()).chain(["up"]).collect();
    let printer = Arc::new(Printer::new(options.colour, options.timestamps, &names));
    for service in deployment.services.values().filter(|s| selected.contains(&s.name)) {
        if let Some(cpus) = service.resources.cpus {
            printer.system(&format!(
                "note: {}: resources.cpus ({}) is not enforced on this machine (it needs a container target)",
                service.name, cpus
            ));
        }
    }
    let (events, inbox) = channel();
    let signal_events = events.clone();
    std::thread::spawn(move || loop {
        let signal = process::wait_for_termination_signal();
        if signal_events.send(Event::Signal(signal)).is_err() {
            return;
        }
    });
    let mut by_service: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut dependents: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, instance) in instances.iter().enumerate() {
        by_service.entry(instance.service.name.clone()).or_default().push(index);
        for dependency in instance.service.depends_on.keys() {
            dependents.entry(dependency.clone()).or_default().push(index);
        }
    }
    let mut run = Run {
        instances,
        by_service,
        dependents,
        printer,
        events,
        leader_program: options.leader_program.clone(),
        supervisor_pid: std::process::id() as i32,
        shutting_down: false,
        shutdown_requested_at: None,
    };
    run.event_loop(inbox);
    Ok(run.summary())
}

/// The selected services and, transitively, their dependencies.
fn selection(deployment: &Deployment, only: &[String]) -> Result<BTreeSet<String>, UpError> {
    if only.is_empty() {
        return Ok(deployment.services.keys().cloned().collect());
    }
    let mut selected = BTreeSet::new();
    let mut todo: Vec<String> = only.to_vec();
    while let Some(name) = todo.pop() {
        let Some(service) = deployment.services.get(&name) else {
            return Err(UpError::UnknownService {
                name,
                known: deployment.services.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        if selected.insert(name) {
            todo.extend(service.depends_on.keys().cloned());
        }
    }
    Ok(selected)
}

/// A port the machine is not using now, found by binding port 0.
fn free_port(protocol: Protocol, taken: &BTreeSet<u16>) -> std::io::Result<u16> {
    for _ in 0..64 {
        let port = match protocol {
            Protocol::Tcp => std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port(),
            Protocol::Udp => std::net::UdpSocket::bind(("127.0.0.1", 0))?.local_addr()?.port(),
        };
        if !taken.contains(&port) {
            return Ok(port);
        }
    }
    Err(std::io::Error::other("every port the system offered was already assigned"))
}

/// Write the entrypoints and configData files, and describe each instance.
fn prepare(
    deployment: &Deployment,
    selected: &BTreeSet<String>,
    ports: &LocalPorts,
    options: &UpOptions,
) -> Result<Vec<InstanceState>, UpError> {
    let mut rendered = Rendered::default();
    let mut states = Vec::new();
    for service in deployment.services.values().filter(|s| selected.contains(&s.name)) {
        let config_dir = options.bundle_dir.join("config").join(&service.name);
        rendered.files.extend(procfile::config_files(service));
        let log_pattern = match service.health_check.as_ref().map(|h| &h.probe) {
            Some(Probe::LogLine { pattern }) => Some(
                regex::Regex::new(pattern)
                    .map_err(|error| UpError::Pattern { service: service.name.clone(), error })?,
            ),
            _ => None,
        };
        for instance in instances_of(service) {
            let env = environment(deployment, ports, &instance);
            // A generated entrypoint exports the environment itself; a
            // program of the service's own gets it from `up`.
            let mut process_env = BTreeMap::new();
            let program = match &service.command {
                ServiceCommand::Entrypoint { program } => {
                    process_env = env.clone();
                    PathBuf::from(program)
                }
                _ => {
                    let input = EntrypointInput {
                        deployment,
                        service,
                        instance: &instance,
                        ports,
                        config_dir: config_dir.to_string_lossy().into_owned(),
                        mode: Mode::Supervised,
                    };
                    let path = PathBuf::from("bin").join(&instance.name);
                    rendered.files.push(RenderedFile {
                        path: path.clone(),
                        contents: Contents::Text(entrypoint_script(&input)),
                        executable: true,
                    });
                    options.bundle_dir.join(path)
                }
            };
            let probe = service.health_check.as_ref().and_then(|hc| resolve_probe(&hc.probe, ports, &instance));
            states.push(InstanceState::new(
                service.clone(),
                instance,
                program,
                process_env,
                probe,
                ProbeContext { env, working_directory: service.working_directory.clone() },
                log_pattern.clone(),
            ));
        }
    }
    write_all(&options.bundle_dir, &rendered)?;
    Ok(states)
}

fn resolve_probe(probe: &Probe, ports: &LocalPorts, instance: &Instance) -> Option<ResolvedProbe> {
    let number = |port: &PortRef| ports.resolve(&instance.name, port).unwrap_or(0);
    Some(match probe {
        Probe::Shell { command } => ResolvedProbe::Shell { command: command.clone() },
        Probe::Exec { argv } => ResolvedProbe::Exec { argv: argv.clone() },
        Probe::HttpGet { host, port, path } => {
            ResolvedProbe::HttpGet { host: host.clone(), port: number(port), path: path.clone() }
        }
        Probe::TcpConnect { host, port } => ResolvedProbe::TcpConnect { host: host.clone(), port: number(port) },
        Probe::LogLine { .. } => return None,
    })
}

enum Event {
    /// A line of output matched the instance's log-line health check.
    LogMatched {
        instance: usize,
        generation: u64,
    },
    Exited {
        instance: usize,
        generation: u64,
        status: std::io::Result<ExitStatus>,
    },
    ProbeDone {
        instance: usize,
        generation: u64,
        result: Result<(), String>,
    },
    Signal(i32),
}

/// How an instance ended.
#[derive(Clone, Debug, PartialEq)]
enum End {
    /// Exited with status 0 and is not restarted.
    Completed,
    /// Exited badly and is not restarted (or was given up on).
    Failed(String),
    /// Stopped on request, within its grace period.
    Stopped,
    /// Did not stop within its grace period and was killed.
    Killed,
    /// A dependency can never be ready.
    Blocked(String),
    /// Shutdown came before it could start.
    NotStarted,
}

impl End {
    fn is_well(&self) -> bool {
        matches!(self, End::Completed | End::Stopped | End::NotStarted)
    }

    fn describe(&self) -> String {
        match self {
            End::Completed => "completed successfully".into(),
            End::Failed(why) => format!("failed: {}", why),
            End::Stopped => "stopped".into(),
            End::Killed => "killed after its grace period".into(),
            End::Blocked(why) => format!("never started: {}", why),
            End::NotStarted => "not started".into(),
        }
    }
}

enum Phase {
    Waiting { announced: bool },
    Running { pgid: i32, started: Instant },
    Backoff { until: Instant },
    Stopping { pgid: i32, kill_at: Instant, killed: bool },
    Done(End),
}

struct InstanceState {
    service: Service,
    name: String,
    program: PathBuf,
    /// Environment set on the process (for a service's own entrypoint).
    process_env: BTreeMap<String, String>,
    probe: Option<ResolvedProbe>,
    probe_context: ProbeContext,
    log_pattern: Option<regex::Regex>,
    phase: Phase,
    /// Counts starts, so that events of an earlier run are ignored.
    generation: u64,
    started_once: bool,
    healthy: bool,
    failures: u32,
    unhealthy_reported: bool,
    probe_running: bool,
    next_probe: Option<Instant>,
    /// Consecutive restarts.
    attempt: u32,
}

impl InstanceState {
    fn new(
        service: Service,
        instance: Instance,
        program: PathBuf,
        process_env: BTreeMap<String, String>,
        probe: Option<ResolvedProbe>,
        probe_context: ProbeContext,
        log_pattern: Option<regex::Regex>,
    ) -> InstanceState {
        InstanceState {
            service,
            name: instance.name,
            program,
            process_env,
            probe,
            probe_context,
            log_pattern,
            phase: Phase::Waiting { announced: false },
            generation: 0,
            started_once: false,
            healthy: false,
            failures: 0,
            unhealthy_reported: false,
            probe_running: false,
            next_probe: None,
            attempt: 0,
        }
    }

    fn is_active(&self) -> bool {
        matches!(self.phase, Phase::Running { .. } | Phase::Stopping { .. } | Phase::Backoff { .. })
    }

    fn has_health_check(&self) -> bool {
        self.service.health_check.is_some()
    }
}

struct Run {
    instances: Vec<InstanceState>,
    /// Instance indices by service name.
    by_service: BTreeMap<String, Vec<usize>>,
    /// Instance indices of the services that depend on a service, by its name.
    dependents: BTreeMap<String, Vec<usize>>,
    printer: Arc<Printer>,
    events: Sender<Event>,
    leader_program: PathBuf,
    supervisor_pid: i32,
    shutting_down: bool,
    shutdown_requested_at: Option<Instant>,
}

/// Whether a dependency's condition is met, can never be met, or may be.
enum Readiness {
    Ready,
    Never(String),
    NotYet,
}

impl Run {
    fn event_loop(&mut self, inbox: Receiver<Event>) {
        loop {
            self.advance(Instant::now());
            if self.instances.iter().all(|i| matches!(i.phase, Phase::Done(_))) {
                return;
            }
            let wait = self.next_deadline().map(|d| d.saturating_duration_since(Instant::now()));
            let wait = wait.unwrap_or(Duration::from_secs(1)).min(Duration::from_secs(1));
            match inbox.recv_timeout(wait) {
                Ok(event) => self.handle(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.instances
            .iter()
            .flat_map(|i| {
                let (phase, probe) = match i.phase {
                    Phase::Backoff { until } => (Some(until), None),
                    Phase::Stopping { kill_at, killed: false, .. } => (Some(kill_at), None),
                    // Only a running instance is probed; a stale probe time
                    // of an instance that has exited must not wake the loop.
                    Phase::Running { .. } => (None, i.next_probe.filter(|_| !i.probe_running)),
                    _ => (None, None),
                };
                phase.into_iter().chain(probe)
            })
            .min()
    }

    /// Move every instance forward as far as the clock and its
    /// dependencies allow.
    fn advance(&mut self, now: Instant) {
        for index in 0..self.instances.len() {
            match self.instances[index].phase {
                Phase::Waiting { announced } => {
                    if self.shutting_down {
                        self.instances[index].phase = Phase::Done(End::NotStarted);
                        continue;
                    }
                    match self.dependencies_ready(index) {
                        Readiness::Ready => self.start(index),
                        Readiness::Never(why) => {
                            let name = self.instances[index].name.clone();
                            self.printer.system(&format!("{} will not start: {}", name, why));
                            self.instances[index].phase = Phase::Done(End::Blocked(why));
                        }
                        Readiness::NotYet if !announced => {
                            let waits = self.waiting_for(index);
                            let name = self.instances[index].name.clone();
                            self.printer.system(&format!("{} waits for {}", name, waits));
                            self.instances[index].phase = Phase::Waiting { announced: true };
                        }
                        Readiness::NotYet => {}
                    }
                }
                Phase::Backoff { until } => {
                    if self.shutting_down {
                        let last = "it was waiting to restart after a failure".to_string();
                        self.instances[index].phase = Phase::Done(End::Failed(last));
                    } else if now >= until {
                        self.start(index);
                    }
                }
                Phase::Running { pgid, .. } => {
                    if self.shutting_down && !self.has_active_dependents(index) {
                        self.stop(index, pgid, now);
                    } else if self.instances[index].probe.is_some() {
                        let instance = &self.instances[index];
                        if !instance.probe_running && instance.next_probe.is_some_and(|t| now >= t) {
                            self.launch_probe(index);
                        }
                    }
                }
                Phase::Stopping { pgid, kill_at, killed: false } if now >= kill_at => {
                    let instance = &mut self.instances[index];
                    let grace = instance.service.stop_grace_period;
                    let name = instance.name.clone();
                    instance.phase = Phase::Stopping { pgid, kill_at, killed: true };
                    self.printer.system(&format!("{} did not stop within {}; sending SIGKILL", name, seconds(grace)));
                    let _ = kill_group(pgid, libc::SIGKILL);
                }
                Phase::Stopping { .. } | Phase::Done(_) => {}
            }
        }
    }

    /// Whether some instance that depends on this one's service still runs
    /// (dependents stop first).
    fn has_active_dependents(&self, index: usize) -> bool {
        let service = &self.instances[index].service.name;
        self.dependents.get(service).is_some_and(|d| d.iter().any(|&i| self.instances[i].is_active()))
    }

    fn dependency_instances(&self, service: &str) -> impl Iterator<Item = &InstanceState> {
        self.by_service.get(service).into_iter().flatten().map(|&i| &self.instances[i])
    }

    fn dependencies_ready(&self, index: usize) -> Readiness {
        let mut all_ready = true;
        for (dependency, condition) in &self.instances[index].service.depends_on {
            for dep in self.dependency_instances(dependency) {
                match readiness(dep, *condition) {
                    Readiness::Ready => {}
                    Readiness::Never(why) => return Readiness::Never(why),
                    Readiness::NotYet => all_ready = false,
                }
            }
        }
        if all_ready {
            Readiness::Ready
        } else {
            Readiness::NotYet
        }
    }

    fn waiting_for(&self, index: usize) -> String {
        let service = &self.instances[index].service;
        let parts: Vec<String> = service
            .depends_on
            .iter()
            .map(|(dependency, condition)| format!("{} ({})", dependency, condition.as_str()))
            .collect();
        parts.join(", ")
    }

    fn start(&mut self, index: usize) {
        let supervisor = self.supervisor_pid.to_string();
        let instance = &mut self.instances[index];
        instance.generation += 1;
        instance.healthy = false;
        instance.failures = 0;
        instance.unhealthy_reported = false;
        instance.probe_running = false;
        let generation = instance.generation;
        let mut command = Command::new(&self.leader_program);
        command
            .arg("__leader")
            .arg(&supervisor)
            .arg("--")
            .arg(&instance.program)
            .envs(&instance.process_env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: setpgid, prctl and the signal reset are async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
                reset_signals_in_child();
                Ok(())
            });
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let why = format!("cannot start: {}", e);
                self.printer.system(&format!("{} {}", instance.name, why));
                instance.phase = Phase::Done(End::Failed(why));
                return;
            }
        };
        let pgid = child.id() as i32;
        let now = Instant::now();
        instance.phase = Phase::Running { pgid, started: now };
        instance.started_once = true;
        instance.next_probe = instance.probe.as_ref().map(|_| {
            let interval = instance.service.health_check.as_ref().map(|h| h.interval).unwrap_or_default();
            now + interval.min(Duration::from_millis(200))
        });
        let name = instance.name.clone();
        let (closed_tx, closed_rx) = channel::<()>();
        for (pipe, stream) in [
            (child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>), Stream::Stdout),
            (child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>), Stream::Stderr),
        ] {
            let Some(pipe) = pipe else { continue };
            let printer = self.printer.clone();
            let events = self.events.clone();
            let name = name.clone();
            let pattern = instance.log_pattern.clone();
            let closed = closed_tx.clone();
            std::thread::spawn(move || {
                let mut reader = std::io::BufReader::new(pipe);
                let mut line = Vec::new();
                let mut matched = false;
                while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches(['\n', '\r']);
                    printer.line(&name, stream, text);
                    if !matched && pattern.as_ref().is_some_and(|p| p.is_match(text)) {
                        matched = true;
                        let _ = events.send(Event::LogMatched { instance: index, generation });
                    }
                    line.clear();
                }
                drop(closed);
            });
        }
        drop(closed_tx);
        let events = self.events.clone();
        std::thread::spawn(move || {
            let status = child.wait();
            // Let the last lines through before reporting the exit; the
            // leader kills leftovers, so the pipes close soon after.
            let _ = closed_rx.recv_timeout(Duration::from_secs(2));
            let _ = events.send(Event::Exited { instance: index, generation, status });
        });
        let attempt = self.instances[index].attempt;
        let note = if attempt > 0 { format!(" (restart {})", attempt) } else { String::new() };
        self.printer.system(&format!("{} started (pid {}){}", name, pgid, note));
    }

    fn stop(&mut self, index: usize, pgid: i32, now: Instant) {
        let instance = &mut self.instances[index];
        let signal = instance.service.stop_signal;
        instance.phase = Phase::Stopping { pgid, kill_at: now + instance.service.stop_grace_period, killed: false };
        let name = instance.name.clone();
        self.printer.system(&format!("stopping {} ({})", name, signal.name()));
        let _ = kill_group(pgid, signal.number());
    }

    fn launch_probe(&mut self, index: usize) {
        let instance = &mut self.instances[index];
        let Some(probe) = instance.probe.clone() else { return };
        let timeout = instance.service.health_check.as_ref().map(|h| h.timeout).unwrap_or(Duration::from_secs(5));
        instance.probe_running = true;
        let context = instance.probe_context.clone();
        let events = self.events.clone();
        let generation = instance.generation;
        std::thread::spawn(move || {
            let result = probe::run(&probe, &context, timeout);
            let _ = events.send(Event::ProbeDone { instance: index, generation, result });
        });
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Signal(signal) => self.on_signal(signal),
            Event::LogMatched { instance, generation } => {
                if self.instances[instance].generation == generation {
                    self.mark_healthy(instance);
                }
            }
            Event::ProbeDone { instance, generation, result } => {
                if self.instances[instance].generation == generation {
                    self.on_probe(instance, result);
                }
            }
            Event::Exited { instance, generation, status } => {
                if self.instances[instance].generation == generation {
                    self.on_exit(instance, status);
                }
            }
        }
    }

    fn on_signal(&mut self, signal: i32) {
        let name = match signal {
            libc::SIGINT => "SIGINT",
            libc::SIGTERM => "SIGTERM",
            _ => "SIGHUP",
        };
        if let Some(first) = self.shutdown_requested_at {
            // One Ctrl-C can arrive twice: from the terminal and from a
            // wrapper (such as `timeout`) that signals the whole group.
            if first.elapsed() < Duration::from_secs(1) {
                return;
            }
            self.printer.system(&format!("received {} again; killing everything", name));
            for instance in &mut self.instances {
                match instance.phase {
                    Phase::Running { pgid, .. } | Phase::Stopping { pgid, .. } => {
                        let _ = kill_group(pgid, libc::SIGKILL);
                        instance.phase = Phase::Stopping { pgid, kill_at: Instant::now(), killed: true };
                    }
                    _ => {}
                }
            }
            return;
        }
        self.printer.system(&format!("received {}; stopping every service", name));
        self.shutting_down = true;
        self.shutdown_requested_at = Some(Instant::now());
    }

    fn mark_healthy(&mut self, index: usize) {
        let instance = &mut self.instances[index];
        if !matches!(instance.phase, Phase::Running { .. }) {
            return;
        }
        instance.failures = 0;
        if !instance.healthy {
            instance.healthy = true;
            let message = if instance.unhealthy_reported {
                format!("{} is healthy again", instance.name)
            } else {
                format!("{} is healthy", instance.name)
            };
            instance.unhealthy_reported = false;
            self.printer.system(&message);
        }
    }

    fn on_probe(&mut self, index: usize, result: Result<(), String>) {
        let now = Instant::now();
        let instance = &mut self.instances[index];
        instance.probe_running = false;
        let Phase::Running { started, .. } = instance.phase else { return };
        let Some(hc) = instance.service.health_check.clone() else { return };
        instance.next_probe = Some(now + hc.interval);
        match result {
            Ok(()) => self.mark_healthy(index),
            Err(why) => {
                if now.duration_since(started) < hc.start_period {
                    return;
                }
                instance.failures += 1;
                if instance.failures >= hc.retries && !instance.unhealthy_reported {
                    instance.unhealthy_reported = true;
                    instance.healthy = false;
                    let name = instance.name.clone();
                    let service = instance.service.name.clone();
                    let held: Vec<String> = self
                        .dependents
                        .get(&service)
                        .into_iter()
                        .flatten()
                        .map(|&i| &self.instances[i])
                        .filter(|i| {
                            matches!(i.phase, Phase::Waiting { .. })
                                && i.service.depends_on.get(&service) == Some(&Condition::Healthy)
                        })
                        .map(|i| i.name.clone())
                        .collect();
                    let holding =
                        if held.is_empty() { String::new() } else { format!("; holding back {}", held.join(", ")) };
                    self.printer.system(&format!(
                        "{} is unhealthy: the health check failed {} times in a row (last: {}){}",
                        name, hc.retries, why, holding
                    ));
                }
            }
        }
    }

    fn on_exit(&mut self, index: usize, status: std::io::Result<ExitStatus>) {
        let now = Instant::now();
        let instance = &mut self.instances[index];
        let name = instance.name.clone();
        let (success, how) = match &status {
            Ok(s) => (s.success(), describe_status(s)),
            Err(e) => (false, format!("could not be waited for: {}", e)),
        };
        match instance.phase {
            Phase::Stopping { killed, .. } => {
                instance.phase = Phase::Done(if killed { End::Killed } else { End::Stopped });
                self.printer.system(&format!("{} stopped ({})", name, how));
            }
            Phase::Running { started, .. } => {
                let policy = instance.service.restart.policy;
                let restart = match policy {
                    RestartPolicy::No => false,
                    RestartPolicy::OnFailure => !success,
                    RestartPolicy::Always => true,
                };
                if !restart || self.shutting_down {
                    let end = if success { End::Completed } else { End::Failed(how.clone()) };
                    let summary =
                        if success { "completed successfully".to_string() } else { format!("failed ({})", how) };
                    instance.phase = Phase::Done(end);
                    self.printer.system(&format!("{} {}", name, summary));
                    return;
                }
                let restart = instance.service.restart.clone();
                if now.duration_since(started) > restart.max_delay {
                    instance.attempt = 0;
                }
                instance.attempt += 1;
                if restart.max_retries.is_some_and(|max| instance.attempt > max) {
                    let why = format!("{}; gave up after {} restarts", how, instance.attempt - 1);
                    self.printer.system(&format!("{} failed ({})", name, why));
                    instance.phase = Phase::Done(End::Failed(why));
                    return;
                }
                let delay = restart.backoff(instance.attempt);
                instance.phase = Phase::Backoff { until: now + delay };
                self.printer.system(&format!("{} exited ({}); restarting in {}", name, how, seconds(delay)));
            }
            _ => {}
        }
    }

    fn summary(&self) -> Summary {
        let mut all_ended_well = true;
        for instance in &self.instances {
            let end = match &instance.phase {
                Phase::Done(end) => end.clone(),
                _ => End::NotStarted,
            };
            all_ended_well &= end.is_well();
            self.printer.system(&format!("{}: {}", instance.name, end.describe()));
        }
        Summary { all_ended_well }
    }
}

fn readiness(dep: &InstanceState, condition: Condition) -> Readiness {
    let done = |why: &str| Readiness::Never(format!("{} {}", dep.name, why));
    match condition {
        Condition::Started if dep.started_once => Readiness::Ready,
        Condition::Healthy if dep.started_once && (!dep.has_health_check() || dep.healthy) => Readiness::Ready,
        Condition::CompletedSuccessfully if dep.phase_is(&End::Completed) => Readiness::Ready,
        _ => match &dep.phase {
            Phase::Done(end) => done(&end.describe()),
            _ => Readiness::NotYet,
        },
    }
}

impl InstanceState {
    fn phase_is(&self, end: &End) -> bool {
        matches!(&self.phase, Phase::Done(e) if e == end)
    }
}

fn describe_status(status: &ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {}", code);
    }
    match status.signal() {
        Some(signal) => format!("killed by {}", signal_name(signal)),
        None => "ended".into(),
    }
}

fn signal_name(signal: i32) -> String {
    nix2dream_core::Signal::ALL
        .iter()
        .find(|s| s.number() == signal)
        .map(|s| s.name().to_string())
        .unwrap_or_else(|| format!("signal {}", signal))
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}s", s as u64)
    } else {
        format!("{:.1}s", s)
    }
}
