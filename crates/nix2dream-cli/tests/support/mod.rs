//! Helpers for the tests that drive `nix2dream up`, `config`, `render` and
//! honcho: scratch directories, a running `up` whose output can be awaited,
//! and a scan of /proc for processes a run left behind.
#![allow(dead_code)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_nix2dream")
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nix2dream-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Write `text` as `dir/name` and return its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A finished command's exit code and output.
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], state_dir: &Path) -> Finished {
    let out = Command::new(binary())
        .args(args)
        .env("NIX2DREAM_STATE_DIR", state_dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("nix2dream runs");
    Finished {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A process started by a test, with stdout and stderr collected together
/// (lines in arrival order) while it runs.
pub struct Running {
    pub child: Child,
    pub output: Arc<Mutex<String>>,
    /// Put in the process's environment, so that everything it starts can
    /// be found in /proc (see [`leftovers`]).
    pub tag: String,
}

impl Running {
    pub fn start(program: &str, args: &[&str], state_dir: &Path, tag: &str) -> Running {
        let mut child = Command::new(program)
            .args(args)
            .env("NIX2DREAM_STATE_DIR", state_dir)
            .env("NIX2DREAM_TEST_TAG", tag)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let output = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut buffer = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    output.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
                }
            });
        }
        Running { child, output, tag: tag.to_string() }
    }

    /// `nix2dream up ARGS...`
    pub fn up(args: &[&str], state_dir: &Path, tag: &str) -> Running {
        let mut all = vec!["up"];
        all.extend_from_slice(args);
        Running::start(binary(), &all, state_dir, tag)
    }

    pub fn text(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Wait until the output contains `needle`; panics with the output so
    /// far after `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            if self.text().contains(needle) {
                return Instant::now();
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {:?}; output so far:\n{}", needle, self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Send `signal` to the process (only to it, as a terminal's Ctrl-C
    /// reaches only the foreground process here).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill has no memory effects.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Wait for the process to exit; its exit code (`None` for a signal).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads catch the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("did not exit within {:?}; output:\n{}", timeout, self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    /// A failed test must not leave its deployment running.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for pid in leftovers(&self.tag) {
            // SAFETY: kill has no memory effects.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Processes (other than this test process) whose environment carries
/// `NIX2DREAM_TEST_TAG=<tag>`: everything a run started and left alive.
pub fn leftovers(tag: &str) -> Vec<i32> {
    let needle = format!("NIX2DREAM_TEST_TAG={}", tag);
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter(|&pid| pid != me)
        .filter(|pid| {
            // Zombies are gone already, only waiting to be reaped.
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid)).unwrap_or_default();
            let zombie = stat.rfind(')').is_some_and(|i| stat[i + 2..].starts_with('Z'));
            !zombie
                && std::fs::read(format!("/proc/{}/environ", pid))
                    .map(|env| env.split(|&b| b == 0).any(|var| var == needle.as_bytes()))
                    .unwrap_or(false)
        })
        .collect()
}

/// Wait until no process of the run is left; panics with what is left.
pub fn assert_nothing_left(tag: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let left = leftovers(tag);
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let described: Vec<String> = left
                .iter()
                .map(|pid| {
                    let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid)).unwrap_or_default();
                    format!("{} {}", pid, String::from_utf8_lossy(&cmdline).replace('\0', " "))
                })
                .collect();
            panic!("processes left behind:\n{}", described.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether an oracle tool is installed; when it is not, say so in one line
/// (or fail when `NIX2DREAM_REQUIRE_ORACLES=1`).
pub fn oracle(program: &str, what: &str) -> bool {
    let found = Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        if std::env::var("NIX2DREAM_REQUIRE_ORACLES").as_deref() == Ok("1") {
            panic!("{} is not installed, and NIX2DREAM_REQUIRE_ORACLES=1", program);
        }
        eprintln!("skipped: {} ({} is not installed)", what, program);
    }
    found
}
