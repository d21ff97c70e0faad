//! Health checks, run by the supervisor itself: a command (with a
//! timeout, killed with its whole process group when it overruns), an HTTP
//! GET, or a TCP connect. Log-line checks are matched where the output is
//! read (see `supervisor`).

use crate::process::{kill_group, reset_signals_in_child};
use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A probe with every port resolved to a number.
#[derive(Clone, Debug)]
pub enum ResolvedProbe {
    Shell { command: String },
    Exec { argv: Vec<String> },
    HttpGet { host: String, port: u16, path: String },
    TcpConnect { host: String, port: u16 },
}

/// Where and with what environment a command probe runs: the service's.
#[derive(Clone, Debug, Default)]
pub struct ProbeContext {
    pub env: BTreeMap<String, String>,
    pub working_directory: Option<String>,
}

/// Run one check; `Err` says why it failed.
pub fn run(probe: &ResolvedProbe, context: &ProbeContext, timeout: Duration) -> Result<(), String> {
    match probe {
        ResolvedProbe::Shell { command } => {
            run_command(&["bash".into(), "-c".into(), command.clone()], context, timeout)
        }
        ResolvedProbe::Exec { argv } => run_command(argv, context, timeout),
        ResolvedProbe::TcpConnect { host, port } => connect(host, *port, timeout).map(drop),
        ResolvedProbe::HttpGet { host, port, path } => http_get(host, *port, path, timeout),
    }
}

fn run_command(argv: &[String], context: &ProbeContext, timeout: Duration) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else { return Err("the command is empty".into()) };
    let mut command = Command::new(program);
    command.args(args).envs(&context.env).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(dir) = &context.working_directory {
        command.current_dir(dir);
    }
    // SAFETY: setpgid and the signal reset are async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::setpgid(0, 0);
            reset_signals_in_child();
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| format!("cannot run '{}': {}", program, e))?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                let last = stderr.lines().last().unwrap_or("").trim().to_string();
                let code = match status.code() {
                    Some(code) => format!("exit status {}", code),
                    None => "killed by a signal".to_string(),
                };
                return Err(if last.is_empty() { code } else { format!("{}: {}", code, last) });
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = kill_group(child.id() as i32, libc::SIGKILL);
                let _ = child.wait();
                return Err(format!("timed out after {:?}", timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addresses = (host, port).to_socket_addrs().map_err(|e| format!("cannot resolve {}: {}", host, e))?;
    let mut last = format!("{}:{} has no address", host, port);
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = format!("cannot connect to {}: {}", address, e),
        }
    }
    Err(last)
}

fn http_get(host: &str, port: u16, path: &str, timeout: Duration) -> Result<(), String> {
    let mut stream = connect(host, port, timeout)?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = format!("GET {} HTTP/1.0\r\nHost: {}:{}\r\nConnection: close\r\n\r\n", path, host, port);
    stream.write_all(request.as_bytes()).map_err(|e| format!("sending the request: {}", e))?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 512];
    while !head.contains(&b'\n') && head.len() < 4096 {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
            Err(e) => return Err(format!("reading the response: {}", e)),
        }
    }
    let status_line = String::from_utf8_lossy(&head).lines().next().unwrap_or("").to_string();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {:?}", status_line))?;
    if (200..400).contains(&status) {
        Ok(())
    } else {
        Err(format!("GET {} answered {}", path, status))
    }
}
