//! The entrypoint script of a service instance: it sets the environment,
//! installs the configData files, prepares the volumes, runs `preStart`,
//! then starts the main program. Under `nix2dream up` it ends by exec'ing
//! the program (the supervisor does the rest); for a Procfile it also does
//! what a Procfile runner like honcho cannot: wait for dependencies, probe
//! health, restart per policy, and stay alive after a job completes.

use crate::shell::{quote, quote_all};
use nix2dream_core::local::{port_environment, Instance, LocalPorts};
use nix2dream_core::{Command, Condition, Deployment, PortRef, Probe, RestartPolicy, Service};
use std::fmt::Write as _;

/// Who coordinates the instance with the rest of the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `nix2dream up`: the supervisor orders, probes, restarts and stops;
    /// the script ends in `exec`.
    Supervised,
    /// A Procfile runner starts everything at once and stops everything
    /// when one process exits; the script coordinates through marker files
    /// in `run_dir`.
    Procfile { run_dir: String },
}

pub struct EntrypointInput<'a> {
    pub deployment: &'a Deployment,
    pub service: &'a Service,
    pub instance: &'a Instance,
    pub ports: &'a LocalPorts,
    /// The directory holding this service's rendered configData files.
    pub config_dir: String,
    pub mode: Mode,
}

/// The bash text of the entrypoint. Deterministic: the same input gives the
/// same bytes.
pub fn entrypoint_script(input: &EntrypointInput) -> String {
    let service = input.service;
    let mut s = String::new();
    let _ = writeln!(s, "#!/usr/bin/env bash");
    let _ = writeln!(
        s,
        "# Entrypoint of `{}` in the deployment `{}`, written by nix2dream.",
        input.instance.name, input.deployment.name
    );
    let _ = writeln!(s, "# Generated: change the deployment, not this file.");
    let _ = writeln!(s, "set -euo pipefail");
    if let Mode::Procfile { run_dir } = &input.mode {
        coordination_functions(&mut s, run_dir, &input.instance.name);
        wait_for_dependencies(&mut s, input);
    }
    environment(&mut s, input);
    config_data(&mut s, input);
    if let Some(dir) = &service.working_directory {
        let _ = writeln!(s, "\ncd {}", quote(dir));
    }
    volumes(&mut s, service);
    limits(&mut s, service);
    if !service.pre_start.trim().is_empty() {
        let _ = writeln!(s, "\n# preStart");
        s.push_str(service.pre_start.trim_end());
        s.push('\n');
    }
    let main = main_command(service);
    match &input.mode {
        Mode::Supervised => {
            let _ = writeln!(s, "\nexec {}", main);
        }
        Mode::Procfile { .. } => run_under_procfile(&mut s, input, &main),
    }
    s
}

fn environment(s: &mut String, input: &EntrypointInput) {
    let service = input.service;
    let _ = writeln!(s, "\n# Environment: identity and ports, environment files, then the service's own variables.");
    for (name, value) in port_environment(input.deployment, input.ports, input.instance) {
        let _ = writeln!(s, "export {}={}", name, quote(&value));
    }
    if !service.environment_files.is_empty() {
        let _ = writeln!(s, "set -a");
        for file in &service.environment_files {
            let _ = writeln!(s, ". {}", quote(file));
        }
        let _ = writeln!(s, "set +a");
    }
    for (name, value) in &service.env {
        let _ = writeln!(s, "export {}={}", name, quote(value));
    }
}

fn config_data(s: &mut String, input: &EntrypointInput) {
    if input.service.config_data.is_empty() {
        return;
    }
    let _ =
        writeln!(s, "\n# configData: installed where `configData.<name>.path` says, replacing the old file at once.");
    let _ = writeln!(s, "install_config() {{");
    let _ = writeln!(s, "  mkdir -p \"${{2%/*}}\"");
    let _ = writeln!(s, "  cp -f \"$1\" \"$2.nix2dream-tmp.$$\"");
    let _ = writeln!(s, "  mv -f \"$2.nix2dream-tmp.$$\" \"$2\"");
    let _ = writeln!(s, "}}");
    for file in input.service.config_data.values() {
        let source = format!("{}/{}", input.config_dir, file.name);
        let _ = writeln!(s, "install_config {} {}", quote(&source), quote(&file.path));
    }
}

fn volumes(s: &mut String, service: &Service) {
    for (name, volume) in &service.volumes {
        let persisting = if volume.persisting { "persisting" } else { "cleared on every start" };
        let _ = writeln!(s, "\n# Volume `{}` at {} ({}).", name, volume.path, persisting);
        if !volume.persisting {
            s.push_str(volume.clear_script.trim_end());
            s.push('\n');
        }
        s.push_str(volume.initialize_script.trim_end());
        s.push('\n');
        let _ = writeln!(s, "if ! (");
        s.push_str(volume.check_script.trim_end());
        s.push('\n');
        let _ = writeln!(
            s,
            "); then\n  echo {} >&2\n  exit 1\nfi",
            quote(&format!("{}: the volume `{}` ({}) failed its check", service.name, name, volume.path))
        );
    }
}

fn limits(s: &mut String, service: &Service) {
    let r = &service.resources;
    if r.open_files.is_none() && r.memory.is_none() {
        return;
    }
    let _ = writeln!(s, "\n# Resource limits.");
    if let Some(n) = r.open_files {
        let _ = writeln!(s, "ulimit -n {}", n);
    }
    if let Some(bytes) = r.memory {
        // ulimit -v counts KiB of address space.
        let _ = writeln!(s, "ulimit -v {}", bytes.div_ceil(1024));
    }
}

/// The command line that starts the main program (without `exec`).
pub fn main_command(service: &Service) -> String {
    let mut prefix = String::new();
    match (&service.user, &service.group) {
        (Some(user), group) => {
            let group = match group {
                Some(g) => quote(g),
                None => format!("\"$(id -g {})\"", quote(user)),
            };
            let _ = write!(prefix, "setpriv --reuid={} --regid={} --init-groups -- ", quote(user), group);
        }
        (None, Some(group)) => {
            let _ = write!(prefix, "setpriv --regid={} --clear-groups -- ", quote(group));
        }
        (None, None) => {}
    }
    let command = match &service.command {
        Command::Shell { program, args } => {
            let mut line = quote(program);
            for arg in args {
                line.push(' ');
                line.push_str(arg);
            }
            line
        }
        Command::Argv { argv } => quote_all(argv),
        Command::Entrypoint { program } => quote(program),
    };
    prefix + &command
}

fn coordination_functions(s: &mut String, run_dir: &str, instance: &str) {
    let _ = writeln!(s, "\n# Coordination with the other processes of the Procfile, through marker files.");
    let _ = writeln!(s, "# A marker holds the process id and start time of the process that wrote it,");
    let _ = writeln!(s, "# so a marker left by an earlier run (whose process is gone) never counts.");
    let _ = writeln!(s, "run_dir={}", quote(run_dir));
    let _ = writeln!(s, "instance={}", quote(instance));
    let _ = writeln!(s, "mkdir -p \"$run_dir\"");
    s.push_str(
        r#"start_time_of() {
  local stat
  read -r stat < "/proc/$1/stat" || return 1
  stat=${stat##*) }
  set -- $stat
  printf '%s\n' "${20}"
}
marker() {
  local file="$run_dir/$instance.$1"
  printf '%s %s\n' "$$" "$(start_time_of $$)" > "$file.tmp.$BASHPID"
  mv -f "$file.tmp.$BASHPID" "$file"
}
reached() {
  local file="$run_dir/$1.$2" pid start
  [ -r "$file" ] && read -r pid start < "$file" && [ "$(start_time_of "$pid" 2>/dev/null)" = "$start" ]
}
wait_for() {
  reached "$1" "$2" && return 0
  echo "waiting for $1 ($3)" >&2
  until reached "$1" "$2"; do sleep 0.2; done
}
"#,
    );
}

/// The marker a dependency writes for a condition.
fn marker_for(condition: Condition, dependency: &Service) -> &'static str {
    match condition {
        Condition::Started => "started",
        Condition::Healthy if dependency.health_check.is_some() => "healthy",
        Condition::Healthy => "started",
        Condition::CompletedSuccessfully => "completed",
    }
}

fn wait_for_dependencies(s: &mut String, input: &EntrypointInput) {
    let mut lines = Vec::new();
    for (name, condition) in &input.service.depends_on {
        let Some(dependency) = input.deployment.services.get(name) else { continue };
        let what = match condition {
            Condition::Started => "to start",
            Condition::Healthy => "to be healthy",
            Condition::CompletedSuccessfully => "to complete successfully",
        };
        for instance in dependency.instance_names() {
            lines.push(format!("wait_for {} {} {}", quote(&instance), marker_for(*condition, dependency), quote(what)));
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(s, "\n# Dependencies.");
        for line in lines {
            let _ = writeln!(s, "{}", line);
        }
    }
}

fn seconds(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}", ms / 1000)
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
    }
}

/// The probe as a bash command that exits 0 when the service is healthy.
fn probe_command(input: &EntrypointInput, probe: &Probe, timeout: &str) -> Option<String> {
    let port_number = |port: &PortRef| input.ports.resolve(&input.instance.name, port).unwrap_or(0);
    Some(match probe {
        Probe::Shell { command } => format!("timeout {} bash -c {}", timeout, quote(command)),
        Probe::Exec { argv } => format!("timeout {} {}", timeout, quote_all(argv)),
        Probe::TcpConnect { host, port } => format!(
            "timeout {} bash -c {}",
            timeout,
            quote(&format!("exec 3<>/dev/tcp/{}/{}", host, port_number(port)))
        ),
        Probe::HttpGet { host, port, path } => {
            let script = format!(
                "exec 3<>/dev/tcp/{host}/{port}; printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' {path} {host} >&3; read -r _ status _ <&3; [ \"$status\" -ge 200 ] && [ \"$status\" -lt 400 ]",
                host = host,
                port = port_number(port),
                path = quote(path),
            );
            format!("timeout {} bash -c {}", timeout, quote(&script))
        }
        Probe::LogLine { .. } => return None,
    })
}

fn run_under_procfile(s: &mut String, input: &EntrypointInput, main: &str) {
    let service = input.service;
    let name = &input.instance.name;
    let _ = writeln!(s, "\n# Run: the main program in the background, so this script can forward the");
    let _ = writeln!(
        s,
        "# stop signal ({}), restart it ({}) and stay alive once it completes.",
        service.stop_signal.name(),
        service.restart.policy.as_str()
    );
    let _ = writeln!(s, "marker started");
    if let Some(hc) = &service.health_check {
        match &hc.probe {
            Probe::LogLine { pattern } => {
                let _ = writeln!(s, "log_pattern={}", quote(pattern));
                let _ = writeln!(s, "exec > >(");
                let _ = writeln!(s, "  seen=");
                let _ = writeln!(s, "  while IFS= read -r line; do");
                let _ = writeln!(s, "    printf '%s\\n' \"$line\"");
                let _ = writeln!(
                    s,
                    "    if [ -z \"$seen\" ] && [[ $line =~ $log_pattern ]]; then marker healthy; seen=1; fi"
                );
                let _ = writeln!(s, "  done");
                let _ = writeln!(s, ") 2>&1");
            }
            probe => {
                let command = probe_command(input, probe, &seconds(hc.timeout)).expect("not a log line probe");
                let start_period = hc.start_period.as_secs_f64().ceil() as u64;
                let _ = writeln!(s, "(");
                let _ = writeln!(s, "  trap - TERM INT HUP");
                let _ = writeln!(s, "  began=$SECONDS failures=0");
                let _ = writeln!(s, "  while kill -0 $$ 2>/dev/null; do");
                let _ = writeln!(s, "    if {} >/dev/null 2>&1; then marker healthy; exit 0; fi", command);
                let _ = writeln!(s, "    if (( SECONDS - began >= {} )); then", start_period);
                let _ = writeln!(s, "      failures=$((failures + 1))");
                let _ = writeln!(
                    s,
                    "      if (( failures == {} )); then echo {} >&2; fi",
                    hc.retries,
                    quote(&format!("{}: unhealthy: the health check failed {} times in a row", name, hc.retries))
                );
                let _ = writeln!(s, "    fi");
                let _ = writeln!(s, "    sleep {}", seconds(hc.interval));
                let _ = writeln!(s, "  done");
                let _ = writeln!(s, ") </dev/null &");
            }
        }
    }
    let restart = &service.restart;
    let _ = writeln!(s, "stopping=");
    let _ = writeln!(s, "main_pid=");
    let _ = writeln!(
        s,
        "trap 'stopping=1; [ -n \"$main_pid\" ] && kill -s {} \"$main_pid\" 2>/dev/null || true' TERM INT HUP",
        &service.stop_signal.name()[3..]
    );
    let _ = writeln!(s, "set +e");
    let _ = writeln!(s, "attempt=0");
    let _ = writeln!(s, "while :; do");
    let _ = writeln!(s, "  began=$SECONDS");
    // Background commands of a script ignore SIGINT and SIGQUIT; the main
    // program must not, as either may be its stop signal.
    let _ = writeln!(s, "  (trap - INT QUIT; exec {}) &", main);
    let _ = writeln!(s, "  main_pid=$!");
    let _ = writeln!(s, "  while wait \"$main_pid\"; kill -0 \"$main_pid\" 2>/dev/null; do :; done");
    let _ = writeln!(s, "  wait \"$main_pid\"; status=$?");
    let _ = writeln!(s, "  main_pid=");
    let _ = writeln!(s, "  [ -n \"$stopping\" ] && exit \"$status\"");
    if restart.policy != RestartPolicy::Always {
        let _ = writeln!(s, "  if [ \"$status\" -eq 0 ]; then");
        let _ = writeln!(s, "    marker completed");
        let _ = writeln!(s, "    echo {} >&2", quote(&format!("{} completed successfully", name)));
        let _ = writeln!(s, "    # A Procfile runner stops everything when one process exits: stay.");
        let _ = writeln!(s, "    while [ -z \"$stopping\" ]; do sleep 3600 & wait $!; done");
        let _ = writeln!(s, "    exit 0");
        let _ = writeln!(s, "  fi");
    }
    if restart.policy == RestartPolicy::No {
        let _ = writeln!(s, "  exit \"$status\"");
        let _ = writeln!(s, "done");
        return;
    }
    let delay_ms = restart.delay.as_millis().max(1);
    let max_ms = restart.max_delay.as_millis().max(delay_ms);
    let _ = writeln!(s, "  (( SECONDS - began > {} )) && attempt=0", restart.max_delay.as_secs());
    let _ = writeln!(s, "  attempt=$((attempt + 1))");
    if let Some(max) = restart.max_retries {
        let _ = writeln!(s, "  if (( attempt > {} )); then", max);
        let _ = writeln!(s, "    echo \"{} exited with status $status; giving up after {} restarts\" >&2", name, max);
        let _ = writeln!(s, "    exit \"$status\"");
        let _ = writeln!(s, "  fi");
    }
    let _ = writeln!(s, "  delay_ms={}", delay_ms);
    let _ = writeln!(
        s,
        "  for (( i = 1; i < attempt && delay_ms < {max}; i++ )); do delay_ms=$((delay_ms * 2)); done",
        max = max_ms
    );
    let _ = writeln!(s, "  (( delay_ms > {max} )) && delay_ms={max}", max = max_ms);
    let _ = writeln!(s, "  delay=$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))");
    let _ = writeln!(s, "  echo \"{} exited with status $status; restarting in ${{delay}}s\" >&2", name);
    let _ = writeln!(s, "  sleep \"$delay\" & wait $!");
    let _ = writeln!(s, "  [ -n \"$stopping\" ] && exit \"$status\"");
    let _ = writeln!(s, "done");
}
