//! How a deployment runs on this machine (`nix2dream up` and the Procfile
//! target): one process per replica ("instance"), every port a number on
//! the host, and those numbers passed as environment variables to the
//! service and to the services that depend on it.

use crate::model::{Deployment, PortRef, Protocol, Service};
use std::collections::{BTreeMap, BTreeSet};

/// One running copy of a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub service: String,
    /// `site`, or `site.2` for the second of several replicas.
    pub name: String,
    /// 1-based.
    pub index: u32,
}

/// Every instance of every service, by service name, then index.
pub fn instances(deployment: &Deployment) -> Vec<Instance> {
    deployment.services.values().flat_map(instances_of).collect()
}

pub fn instances_of(service: &Service) -> Vec<Instance> {
    service
        .instance_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| Instance { service: service.name.clone(), name, index: i as u32 + 1 })
        .collect()
}

/// The host port of each (instance, port name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalPorts {
    pub by_instance: BTreeMap<String, BTreeMap<String, u16>>,
}

impl LocalPorts {
    /// Fixed `hostPort`s as they are; every other port from `allocate`,
    /// in order of instance and port name.
    pub fn assign<E>(
        deployment: &Deployment,
        mut allocate: impl FnMut(Protocol, &BTreeSet<u16>) -> Result<u16, E>,
    ) -> Result<LocalPorts, E> {
        let fixed: BTreeSet<u16> =
            deployment.services.values().flat_map(|s| s.ports.values().filter_map(|p| p.host_port)).collect();
        let mut taken = fixed.clone();
        let mut by_instance = BTreeMap::new();
        for service in deployment.services.values() {
            for instance in instances_of(service) {
                let mut ports = BTreeMap::new();
                for (name, port) in &service.ports {
                    let number = match port.host_port {
                        Some(n) => n,
                        None => allocate(port.protocol, &taken)?,
                    };
                    taken.insert(number);
                    ports.insert(name.clone(), number);
                }
                by_instance.insert(instance.name, ports);
            }
        }
        Ok(LocalPorts { by_instance })
    }

    /// Consecutive numbers from `base`, skipping fixed and taken ones: the
    /// Procfile target's numbering, which cannot ask the machine.
    pub fn sequential(deployment: &Deployment, base: u16) -> LocalPorts {
        // Numbers only go up, so the search continues where it stopped.
        let mut next = base;
        let result: Result<LocalPorts, std::convert::Infallible> = LocalPorts::assign(deployment, |_, taken| {
            while taken.contains(&next) && next < u16::MAX {
                next += 1;
            }
            Ok(next)
        });
        match result {
            Ok(ports) => ports,
            Err(never) => match never {},
        }
    }

    pub fn of(&self, instance: &str) -> Option<&BTreeMap<String, u16>> {
        self.by_instance.get(instance)
    }

    /// The number a probe of `instance` reaches: a number as it is, a
    /// port name as the instance's host port (validation made sure it
    /// exists).
    pub fn resolve(&self, instance: &str, port: &PortRef) -> Option<u16> {
        match port {
            PortRef::Number(n) => Some(*n),
            PortRef::Name(name) => self.of(instance).and_then(|p| p.get(name)).copied(),
        }
    }
}

/// The instance's whole environment as nix2dream sets it: the
/// [`port_environment`], then the service's `env` (which wins). Environment
/// files are read by the entrypoint at start, so they are not here.
pub fn environment(deployment: &Deployment, ports: &LocalPorts, instance: &Instance) -> BTreeMap<String, String> {
    let mut env = port_environment(deployment, ports, instance);
    if let Some(service) = deployment.services.get(&instance.service) {
        env.extend(service.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    env
}

/// The variables nix2dream adds to an instance's environment: its identity,
/// its own ports (`PORT_<NAME>`), and the ports of its service and of the
/// services it depends on (`<SERVICE>_PORT_<NAME>`, the first instance's
/// for replicated services). Only dependencies, not every service: the
/// environments of a deployment then grow with its dependency edges, not
/// with the square of its size.
pub fn port_environment(deployment: &Deployment, ports: &LocalPorts, instance: &Instance) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("NIX2DREAM_DEPLOYMENT".to_string(), deployment.name.clone());
    env.insert("NIX2DREAM_SERVICE".to_string(), instance.service.clone());
    env.insert("NIX2DREAM_INSTANCE".to_string(), instance.index.to_string());
    let Some(own) = deployment.services.get(&instance.service) else { return env };
    let visible = std::iter::once(own.name.as_str()).chain(own.depends_on.keys().map(String::as_str));
    for service in visible.filter_map(|name| deployment.services.get(name)) {
        let first = &service.instance_names()[0];
        if let Some(numbers) = ports.of(first) {
            for (port, number) in numbers {
                env.insert(Service::port_variable(&service.name, port), number.to_string());
            }
        }
    }
    if let Some(own) = ports.of(&instance.name) {
        for (port, number) in own {
            env.insert(Service::own_port_variable(port), number.to_string());
        }
    }
    env
}
