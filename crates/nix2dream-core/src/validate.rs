//! Checks that need more than one value at a time: the option types check
//! each value alone, these check the deployment as a whole.

use crate::model::{Condition, Deployment, PortRef, Probe, RestartPolicy};
use crate::problem::Problem;
use nix2dream_eval::eval::suggest;
use std::collections::{BTreeMap, BTreeSet};

/// A problem together with the option path (as attribute names) whose
/// definition best shows where it was made.
pub struct Finding {
    pub problem: Problem,
    pub defined_at: Vec<String>,
}

fn finding(defined_at: &[&str], option: String, message: String) -> Finding {
    Finding { problem: Problem::new(option, message), defined_at: defined_at.iter().map(|s| s.to_string()).collect() }
}

/// Every problem of the deployment, in a stable order (by service name).
pub fn check(deployment: &Deployment) -> Vec<Finding> {
    let mut findings = Vec::new();
    let names: Vec<&str> = deployment.services.keys().map(String::as_str).collect();
    for (name, service) in &deployment.services {
        if !is_valid_service_name(name) {
            findings.push(finding(
                &["services", name],
                format!("services.{}", name),
                format!("is not a valid service name: use at most {} letters, digits, `-` and `_`, starting with a letter or digit (the name becomes a process name, a file name and part of environment variable names)", MAX_SERVICE_NAME),
            ));
        }
        for (dependency, condition) in &service.depends_on {
            let option = format!("services.{}.dependsOn", name);
            let at = ["services", name, "dependsOn", dependency];
            if dependency == name {
                findings.push(finding(&at, option, "makes the service depend on itself".into()));
                continue;
            }
            let Some(target) = deployment.services.get(dependency) else {
                let mut f = finding(
                    &at,
                    option,
                    format!("names the service `{}', which is not defined in this deployment", dependency),
                );
                let known = names.join(", ");
                f.problem.hint = Some(match suggest(dependency, names.iter().copied()) {
                    Some(close) => format!("Did you mean `{}'? The services are: {}", close, known),
                    None => format!("The services are: {}", known),
                });
                findings.push(f);
                continue;
            };
            if *condition == Condition::CompletedSuccessfully && target.restart.policy == RestartPolicy::Always {
                findings.push(finding(
                    &at,
                    option,
                    format!(
                        "waits for `{}' to complete successfully, but its restart policy is `always', so it never completes",
                        dependency
                    ),
                ));
            }
        }
        if let Some(hc) = &service.health_check {
            if let Probe::HttpGet { port: PortRef::Name(port), .. }
            | Probe::TcpConnect { port: PortRef::Name(port), .. } = &hc.probe
            {
                if !service.ports.contains_key(port) {
                    let which = if matches!(hc.probe, Probe::HttpGet { .. }) { "httpGet" } else { "tcpConnect" };
                    let mut f = finding(
                        &["services", name, "healthCheck", which, "port"],
                        format!("services.{}.healthCheck.{}.port", name, which),
                        format!("names the port `{}', which is not in `services.{}.ports'", port, name),
                    );
                    let ports: Vec<&str> = service.ports.keys().map(String::as_str).collect();
                    if let Some(close) = suggest(port, ports.iter().copied()) {
                        f.problem.hint = Some(format!("Did you mean `{}'?", close));
                    }
                    findings.push(f);
                }
            }
        }
        for var in service.env.keys() {
            if !is_valid_env_name(var) {
                findings.push(finding(
                    &["services", name, "service", "env", var],
                    format!("services.{}.service.env", name),
                    format!("has `{}', which is not a valid environment variable name (letters, digits and `_`, not starting with a digit)", var),
                ));
            }
        }
        let mut config_names = BTreeMap::new();
        for (key, file) in &service.config_data {
            let at = ["services", name, "configData", key];
            let option = format!("services.{}.configData.{}.name", name, key);
            // An empty part (a leading, doubled or trailing `/`) or a `.`
            // names a directory, not a file, so writing it fails once
            // other files are already written.
            if file.name.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
                findings.push(finding(
                    &at,
                    option.clone(),
                    format!(
                        "is `{}'; it must be a relative path that stays inside the configuration directory",
                        file.name
                    ),
                ));
            }
            if let Some(part) = file.name.split('/').find(|part| part.len() > MAX_FILE_NAME_PART) {
                findings.push(finding(
                    &at,
                    option.clone(),
                    format!(
                        "has the part `{}', of {} bytes; a part of a configData name may have at most {}",
                        part,
                        part.len(),
                        MAX_FILE_NAME_PART
                    ),
                ));
            }
            if let Some(other) = config_names.insert(file.name.as_str(), key) {
                findings.push(finding(
                    &at,
                    option,
                    format!("is `{}', the same file as `configData.{}'", file.name, other),
                ));
            }
        }
        // `a` and `a/b` cannot both be written: `a` would be a file and a
        // directory.
        for (file_name, key) in &config_names {
            let mut ancestors = file_name.match_indices('/').map(|(i, _)| &file_name[..i]);
            if let Some(other) = ancestors.find_map(|dir| config_names.get(dir)) {
                findings.push(finding(
                    &["services", name, "configData", key],
                    format!("services.{}.configData.{}.name", name, key),
                    format!("is `{}', below the file of `configData.{}'", file_name, other),
                ));
            }
        }
        for (port_name, port) in &service.ports {
            if port.host_port.is_some() && service.replicas > 1 {
                findings.push(finding(
                    &["services", name, "ports", port_name, "hostPort"],
                    format!("services.{}.ports.{}.hostPort", name, port_name),
                    format!(
                        "is fixed, but the service has {} replicas, which cannot all publish one host port",
                        service.replicas
                    ),
                ));
            }
        }
    }
    findings.extend(host_port_conflicts(deployment));
    findings.extend(dependency_cycles(deployment));
    findings
}

/// The longest part of a configData name: file systems take 255 bytes,
/// and a render writes each file through a temporary name up to 13 bytes
/// longer (`.<name>.<pid>.tmp`). Longer, it would fail only once other
/// files are written.
const MAX_FILE_NAME_PART: usize = 240;

/// A DNS label's limit. The name is part of file names (`bin/<name>.<n>`,
/// written through a longer temporary name): one past the file system's
/// 255 bytes failed a render only after other files were written. The
/// targets still to come need it as a host or container name too.
const MAX_SERVICE_NAME: usize = 63;

fn is_valid_service_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_SERVICE_NAME
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn host_port_conflicts(deployment: &Deployment) -> Vec<Finding> {
    let mut seen: BTreeMap<(u16, crate::model::Protocol), String> = BTreeMap::new();
    let mut findings = Vec::new();
    for (name, service) in &deployment.services {
        for (port_name, port) in &service.ports {
            let Some(host_port) = port.host_port else { continue };
            let option = format!("services.{}.ports.{}.hostPort", name, port_name);
            if let Some(first) = seen.get(&(host_port, port.protocol)) {
                findings.push(finding(
                    &["services", name, "ports", port_name, "hostPort"],
                    option,
                    format!("is {}, which `{}' already publishes", host_port, first),
                ));
            } else {
                seen.insert((host_port, port.protocol), option);
            }
        }
    }
    findings
}

/// One finding per cycle, each reported once (at its alphabetically
/// first service).
fn dependency_cycles(deployment: &Deployment) -> Vec<Finding> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unvisited,
        OnStack,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        deployment: &'a Deployment,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
        cycles: &mut Vec<Vec<&'a str>>,
    ) {
        marks.insert(name, Mark::OnStack);
        stack.push(name);
        if let Some(service) = deployment.services.get(name) {
            for dependency in service.depends_on.keys() {
                if dependency == name || !deployment.services.contains_key(dependency) {
                    continue; // reported as their own problems
                }
                match marks.get(dependency.as_str()).copied().unwrap_or(Mark::Unvisited) {
                    Mark::Unvisited => visit(dependency, deployment, marks, stack, cycles),
                    Mark::OnStack => {
                        let start = stack.iter().position(|s| s == dependency).expect("on the stack");
                        cycles.push(stack[start..].to_vec());
                    }
                    Mark::Done => {}
                }
            }
        }
        stack.pop();
        marks.insert(name, Mark::Done);
    }

    let mut marks = BTreeMap::new();
    let mut cycles = Vec::new();
    for name in deployment.services.keys() {
        if marks.get(name.as_str()).copied().unwrap_or(Mark::Unvisited) == Mark::Unvisited {
            visit(name, deployment, &mut marks, &mut Vec::new(), &mut cycles);
        }
    }
    let mut reported = BTreeSet::new();
    let mut findings = Vec::new();
    for mut cycle in cycles {
        // Start each cycle at its smallest name, so the report is stable.
        let min = cycle.iter().enumerate().min_by_key(|(_, n)| **n).map(|(i, _)| i).unwrap_or(0);
        cycle.rotate_left(min);
        if !reported.insert(cycle.clone()) {
            continue;
        }
        let first = cycle[0];
        let next = cycle.get(1).copied().unwrap_or(first);
        let mut path: Vec<&str> = cycle.clone();
        path.push(first);
        findings.push(finding(
            &["services", first, "dependsOn", next],
            format!("services.{}.dependsOn", first),
            format!("makes a dependency cycle: {}", path.join(" -> ")),
        ));
    }
    findings
}
