//! From the evaluated `config` of a deployment to the typed [`Deployment`].
//! Options are read one by one, so an option that a service does not need
//! (`service.mainProgram` when `process.argv` is set) is never forced.

use crate::duration::{parse_duration, Duration};
use crate::model::*;
use crate::problem::{LoadError, Problem};
use crate::read::{Node, Reader};
use nix2dream_eval::Value;
use std::collections::BTreeMap;

pub fn deployment(r: &mut Reader, config: &Node) -> Result<Deployment, LoadError> {
    let name = r.at(config, "name").and_then(|n| r.string(&n))?;
    let description = r.at(config, "description").and_then(|n| r.string(&n))?;
    let state_directory = r.at(config, "stateDirectory").and_then(|n| r.string(&n))?;
    let procfile_port_base = r.at(config, "renderers.procfile.portBase").and_then(|n| r.int_in(&n))?;
    let mut services = BTreeMap::new();
    let services_node = r.attr(config, "services")?;
    for (service_name, node) in r.entries(&services_node)? {
        let service = service(r, &service_name, &node)?;
        services.insert(service_name, service);
    }
    Ok(Deployment { name, description, state_directory, procfile_port_base, services })
}

fn service(r: &mut Reader, name: &str, node: &Node) -> Result<Service, LoadError> {
    let command = command(r, node)?;
    let mut env = BTreeMap::new();
    let env_node = r.at(node, "service.env")?;
    for (var, value) in r.entries(&env_node)? {
        if let Some(text) = r.env_value(&value)? {
            env.insert(var, text);
        }
    }
    let mut volumes = BTreeMap::new();
    let volumes_node = r.at(node, "service.volumes")?;
    for (volume_name, v) in r.entries(&volumes_node)? {
        let volume = Volume {
            path: r.at(&v, "path").and_then(|n| r.string(&n))?,
            persisting: r.at(&v, "persisting").and_then(|n| r.bool(&n))?,
            check_script: r.at(&v, "checkScript").and_then(|n| r.string(&n))?,
            initialize_script: r.at(&v, "initializeScript").and_then(|n| r.string(&n))?,
            clear_script: r.at(&v, "clearScript").and_then(|n| r.string(&n))?,
        };
        volumes.insert(volume_name, volume);
    }
    let health_check = health_check(r, node)?;
    let mut depends_on = BTreeMap::new();
    let depends_node = r.attr(node, "dependsOn")?;
    for (dependency, d) in r.entries(&depends_node)? {
        let condition = match r.string(&d)?.as_str() {
            "started" => Condition::Started,
            "healthy" => Condition::Healthy,
            "completed-successfully" => Condition::CompletedSuccessfully,
            other => return Err(invalid(&d, format!("has the unknown condition `{}'", other))),
        };
        depends_on.insert(dependency, condition);
    }
    let stop_signal_node = r.attr(node, "stopSignal")?;
    let stop_signal_name = r.string(&stop_signal_node)?;
    let stop_signal = Signal::from_name(&stop_signal_name)
        .ok_or_else(|| invalid(&stop_signal_node, format!("names the unknown signal `{}'", stop_signal_name)))?;
    let assertions_node = r.attr(node, "assertions")?;
    let mut failed = Vec::new();
    for a in r.items(&assertions_node)? {
        if !r.attr(&a, "assertion").and_then(|n| r.bool(&n))? {
            let message = r.attr(&a, "message").and_then(|n| r.string(&n))?;
            failed.push(Problem::new(assertions_node.option_path(), format!("has a failed assertion: {}", message)));
        }
    }
    if !failed.is_empty() {
        return Err(LoadError::Invalid(failed));
    }
    let mut warnings = Vec::new();
    let warnings_node = r.attr(node, "warnings")?;
    for w in r.strings(&warnings_node)? {
        warnings.push(format!("services.{}: {}", name, w));
    }
    Ok(Service {
        name: name.to_string(),
        description: r.attr(node, "description").and_then(|n| r.string(&n))?,
        command,
        main_program_name: r.at(node, "service.mainProgramName").and_then(|n| r.string(&n))?,
        env,
        environment_files: r.attr(node, "environmentFiles").and_then(|n| r.strings(&n))?,
        volumes,
        pre_start: r.at(node, "service.preStart").and_then(|n| r.string(&n))?,
        config_data: config_data(r, node)?,
        ports: ports(r, node)?,
        health_check,
        depends_on,
        restart: restart(r, node)?,
        user: r.attr(node, "user").and_then(|n| r.optional_string(&n))?,
        group: r.attr(node, "group").and_then(|n| r.optional_string(&n))?,
        working_directory: r.attr(node, "workingDirectory").and_then(|n| r.optional_string(&n))?,
        stop_signal,
        stop_grace_period: duration_at(r, node, "stopGracePeriod")?,
        replicas: r.attr(node, "replicas").and_then(|n| r.int_in(&n))?,
        resources: resources(r, node)?,
        procfile_launch_command: r.at(node, "renderers.procfile.launchCommand").and_then(|n| r.optional_string(&n))?,
        image_tags: r.at(node, "service.renderers.ociContainer.allImageTags").and_then(|n| r.strings(&n))?,
        warnings,
    })
}

fn duration_at(r: &mut Reader, node: &Node, name: &str) -> Result<Duration, LoadError> {
    let child = r.attr(node, name)?;
    duration(r, &child)
}

fn port_ref_at(r: &mut Reader, node: &Node, name: &str) -> Result<PortRef, LoadError> {
    let child = r.attr(node, name)?;
    port_ref(r, &child)
}

fn invalid(node: &Node, message: String) -> LoadError {
    LoadError::Invalid(vec![Problem::new(node.option_path(), message)])
}

/// `service.entrypoint` wins, then `process.argv`, then `service.mainProgram`
/// with `service.args`.
fn command(r: &mut Reader, node: &Node) -> Result<Command, LoadError> {
    let entrypoint = r.at(node, "service.entrypoint")?;
    if let Some(program) = r.optional_string(&entrypoint)? {
        return Ok(Command::Entrypoint { program });
    }
    let argv_node = r.at(node, "process.argv")?;
    let argv = r.strings(&argv_node)?;
    let args_node = r.at(node, "service.args")?;
    let args = r.strings(&args_node)?;
    if !argv.is_empty() {
        if !args.is_empty() {
            return Err(LoadError::Invalid(vec![Problem::new(
                args_node.option_path(),
                format!(
                    "is set together with `{}'; a service runs either `process.argv` (a raw argument vector) or `service.mainProgram` with `service.args` (shell words)",
                    argv_node.option_path()
                ),
            )]));
        }
        return Ok(Command::Argv { argv });
    }
    let program = r.at(node, "service.mainProgram").and_then(|n| r.string(&n))?;
    Ok(Command::Shell { program, args })
}

fn config_data(r: &mut Reader, node: &Node) -> Result<BTreeMap<String, ConfigFile>, LoadError> {
    let mut files = BTreeMap::new();
    let config_node = r.attr(node, "configData")?;
    for (key, f) in r.entries(&config_node)? {
        if !r.attr(&f, "enable").and_then(|n| r.bool(&n))? {
            continue;
        }
        let text = r.attr(&f, "text").and_then(|n| r.optional_string(&n))?;
        let source = r.attr(&f, "source").and_then(|n| r.optional_string(&n))?;
        let contents = match (text, source) {
            (Some(text), _) => ConfigContents::Text(text),
            (None, Some(source)) => ConfigContents::Source(source),
            (None, None) => {
                return Err(invalid(
                    &f,
                    "has neither `text` nor `source`; set one of them (or `enable = false`)".into(),
                ))
            }
        };
        let file = ConfigFile {
            name: r.attr(&f, "name").and_then(|n| r.string(&n))?,
            contents,
            path: r.attr(&f, "path").and_then(|n| r.string(&n))?,
        };
        files.insert(key, file);
    }
    Ok(files)
}

fn ports(r: &mut Reader, node: &Node) -> Result<BTreeMap<String, Port>, LoadError> {
    let mut ports = BTreeMap::new();
    let ports_node = r.attr(node, "ports")?;
    for (port_name, p) in r.entries(&ports_node)? {
        let protocol = match r.attr(&p, "protocol").and_then(|n| r.string(&n))?.as_str() {
            "udp" => Protocol::Udp,
            _ => Protocol::Tcp,
        };
        let port = Port {
            port: r.attr(&p, "port").and_then(|n| r.optional_int_in(&n))?,
            host_port: r.attr(&p, "hostPort").and_then(|n| r.optional_int_in(&n))?,
            protocol,
        };
        ports.insert(port_name, port);
    }
    Ok(ports)
}

/// `null` means no health check; otherwise exactly one probe is set.
fn health_check(r: &mut Reader, node: &Node) -> Result<Option<HealthCheck>, LoadError> {
    let hc = r.attr(node, "healthCheck")?;
    if r.is_null(&hc)? {
        return Ok(None);
    }
    let mut probes: Vec<(Node, Probe)> = Vec::new();
    let command = r.attr(&hc, "command")?;
    match r.force(&command)? {
        Value::Null => {}
        Value::List(_) => {
            let argv = r.strings(&command)?;
            probes.push((command, Probe::Exec { argv }));
        }
        _ => {
            let line = r.string(&command)?;
            probes.push((command, Probe::Shell { command: line }));
        }
    }
    let http = r.attr(&hc, "httpGet")?;
    if !r.is_null(&http)? {
        let probe = Probe::HttpGet {
            host: r.attr(&http, "host").and_then(|n| r.string(&n))?,
            port: port_ref_at(r, &http, "port")?,
            path: r.attr(&http, "path").and_then(|n| r.string(&n))?,
        };
        probes.push((http, probe));
    }
    let tcp = r.attr(&hc, "tcpConnect")?;
    if !r.is_null(&tcp)? {
        let probe = Probe::TcpConnect {
            host: r.attr(&tcp, "host").and_then(|n| r.string(&n))?,
            port: port_ref_at(r, &tcp, "port")?,
        };
        probes.push((tcp, probe));
    }
    let log_line = r.attr(&hc, "logLine")?;
    if let Some(pattern) = r.optional_string(&log_line)? {
        probes.push((log_line, Probe::LogLine { pattern }));
    }
    let probe = match probes.len() {
        0 => return Err(invalid(
            &hc,
            "sets no probe; set one of `command`, `httpGet`, `tcpConnect` or `logLine` (or leave `healthCheck` null)"
                .into(),
        )),
        1 => probes.pop().map(|(_, p)| p).expect("one probe"),
        _ => {
            let names: Vec<String> = probes.iter().map(|(n, _)| format!("`{}'", n.option_path())).collect();
            return Err(invalid(
                &hc,
                format!("sets {} probes ({}); a health check has exactly one", probes.len(), names.join(", ")),
            ));
        }
    };
    Ok(Some(HealthCheck {
        probe,
        interval: duration_at(r, &hc, "interval")?,
        timeout: duration_at(r, &hc, "timeout")?,
        retries: r.attr(&hc, "retries").and_then(|n| r.int_in(&n))?,
        start_period: duration_at(r, &hc, "startPeriod")?,
    }))
}

fn port_ref(r: &mut Reader, node: &Node) -> Result<PortRef, LoadError> {
    match r.force(node)? {
        Value::Int(_) => Ok(PortRef::Number(r.int_in(node)?)),
        _ => Ok(PortRef::Name(r.string(node)?)),
    }
}

fn restart(r: &mut Reader, node: &Node) -> Result<Restart, LoadError> {
    let restart = r.attr(node, "restart")?;
    let policy_node = r.attr(&restart, "policy")?;
    let policy = match r.string(&policy_node)?.as_str() {
        "no" => RestartPolicy::No,
        "on-failure" => RestartPolicy::OnFailure,
        "always" => RestartPolicy::Always,
        other => return Err(invalid(&policy_node, format!("has the unknown restart policy `{}'", other))),
    };
    Ok(Restart {
        policy,
        delay: duration_at(r, &restart, "delay")?,
        max_delay: duration_at(r, &restart, "maxDelay")?,
        max_retries: r.attr(&restart, "maxRetries").and_then(|n| r.optional_int_in(&n))?,
    })
}

fn resources(r: &mut Reader, node: &Node) -> Result<Resources, LoadError> {
    let res = r.attr(node, "resources")?;
    if r.is_null(&res)? {
        return Ok(Resources::default());
    }
    let cpus_node = r.attr(&res, "cpus")?;
    let cpus = match r.force(&cpus_node)? {
        Value::Null => None,
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        other => return Err(invalid(&cpus_node, format!("is {}, not a number", other.type_desc()))),
    };
    let memory_node = r.attr(&res, "memory")?;
    let memory = match r.force(&memory_node)? {
        Value::Null => None,
        Value::Int(i) => Some(u64::try_from(i).map_err(|_| invalid(&memory_node, "is negative".into()))?),
        _ => {
            let text = r.string(&memory_node)?;
            Some(parse_memory(&text).ok_or_else(|| invalid(&memory_node, format!("`{}' is not a memory size", text)))?)
        }
    };
    Ok(Resources { cpus, memory, open_files: r.attr(&res, "openFiles").and_then(|n| r.optional_int_in(&n))? })
}

/// `"512M"` and friends: a number with an optional K, M, G or T (powers
/// of 1024, as Compose and `ulimit` read them).
pub fn parse_memory(text: &str) -> Option<u64> {
    let (digits, factor) = match text.chars().last()? {
        'K' => (&text[..text.len() - 1], 1u64 << 10),
        'M' => (&text[..text.len() - 1], 1 << 20),
        'G' => (&text[..text.len() - 1], 1 << 30),
        'T' => (&text[..text.len() - 1], 1 << 40),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

fn duration(r: &mut Reader, node: &Node) -> Result<Duration, LoadError> {
    match r.force(node)? {
        Value::Int(i) if i >= 0 => Ok(Duration::from_secs(i as u64)),
        Value::Float(f) if f >= 0.0 && f.is_finite() => Ok(Duration::from_secs_f64(f)),
        Value::String(s) => {
            parse_duration(s.as_str()).ok_or_else(|| invalid(node, format!("`{}' is not a duration", s.as_str())))
        }
        other => Err(invalid(node, format!("is {}, not a duration", other.type_desc()))),
    }
}
