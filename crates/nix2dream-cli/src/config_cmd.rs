//! `nix2dream config DEPLOYMENT.nix [--json]`: the typed deployment.

use crate::deployment_args::{deployment_file, load, take_evaluation_flags};
use anyhow::{bail, Context as _};
use nix2dream_core::{Command, ConfigContents, Deployment, PortRef, Probe, Protocol, Service};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let (flags, rest) = take_evaluation_flags(args)?;
    let mut json = false;
    let mut positional = Vec::new();
    for a in rest {
        match a.as_str() {
            "--json" => json = true,
            flag if flag.starts_with('-') => {
                bail!("unrecognised flag '{}' (nix2dream config DEPLOYMENT.nix [--json] [--show-trace])", flag)
            }
            _ => positional.push(a),
        }
    }
    let file = deployment_file(&positional, "config")?;
    let loaded = match load(&file, &flags) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{}", report);
            return Ok(ExitCode::from(1));
        }
    };
    let text = if json {
        serde_json::to_string_pretty(&loaded.deployment).context("serializing the deployment")? + "\n"
    } else {
        summary(&loaded.deployment)
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// A readable overview: one block per service.
fn summary(d: &Deployment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "deployment {}{}",
        d.name,
        if d.description.is_empty() { String::new() } else { format!(": {}", d.description) }
    );
    let _ = writeln!(out, "state directory: {}", d.state_directory);
    for s in d.services.values() {
        out.push('\n');
        service_summary(&mut out, s);
    }
    out
}

fn service_summary(out: &mut String, s: &Service) {
    let _ = writeln!(
        out,
        "service {}{}",
        s.name,
        if s.description.is_empty() { String::new() } else { format!(": {}", s.description) }
    );
    let command = match &s.command {
        Command::Shell { program, args } => {
            format!("{} {}", nix2dream_render::shell::quote(program), args.join(" ")).trim_end().to_string()
        }
        Command::Argv { argv } => {
            format!("[{}]", argv.iter().map(|a| format!("{:?}", a)).collect::<Vec<_>>().join(", "))
        }
        Command::Entrypoint { program } => format!("entrypoint {}", program),
    };
    let _ = writeln!(out, "  command: {}", command);
    if s.replicas > 1 {
        let _ = writeln!(out, "  replicas: {}", s.replicas);
    }
    for (name, value) in &s.env {
        let _ = writeln!(out, "  env {}={}", name, value);
    }
    for (name, port) in &s.ports {
        let describe = |p: Option<u16>| p.map(|n| n.to_string()).unwrap_or_else(|| "auto".into());
        let protocol = match port.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        let _ =
            writeln!(out, "  port {}: {}/{} (host {})", name, describe(port.port), protocol, describe(port.host_port));
    }
    for (dependency, condition) in &s.depends_on {
        let _ = writeln!(out, "  depends on {} ({})", dependency, condition.as_str());
    }
    if let Some(hc) = &s.health_check {
        let probe = match &hc.probe {
            Probe::Shell { command } => format!("command {}", command),
            Probe::Exec { argv } => format!("command {:?}", argv),
            Probe::HttpGet { host, port, path } => format!("GET http://{}:{}{}", host, port_text(port), path),
            Probe::TcpConnect { host, port } => format!("connect {}:{}", host, port_text(port)),
            Probe::LogLine { pattern } => format!("log line /{}/", pattern),
        };
        let _ = writeln!(out, "  health check: {} every {:?}, {} retries", probe, hc.interval, hc.retries);
    }
    let _ = writeln!(out, "  restart: {}", s.restart.policy.as_str());
    for (name, v) in &s.volumes {
        let _ = writeln!(out, "  volume {}: {}{}", name, v.path, if v.persisting { "" } else { " (cleared on start)" });
    }
    for (name, f) in &s.config_data {
        let from = match &f.contents {
            ConfigContents::Text(t) => format!("{} bytes of text", t.len()),
            ConfigContents::Source(p) => format!("from {}", p),
        };
        let _ = writeln!(out, "  config {}: {} ({})", name, f.path, from);
    }
}

fn port_text(port: &PortRef) -> String {
    match port {
        PortRef::Number(n) => n.to_string(),
        PortRef::Name(name) => format!("<{}>", name),
    }
}
