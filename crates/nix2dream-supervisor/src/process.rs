//! Processes and signals (Linux): process groups, the parent-death signal,
//! and the leader process that keeps a service's process group tidy.
//!
//! Every service instance runs as
//!
//! ```text
//! nix2dream up ─► leader (nix2dream __leader, its own process group)
//!                   └─► entrypoint ─exec─► main program ─► its children
//! ```
//!
//! The leader is the group leader, so one `killpg` reaches the whole
//! service. It blocks every signal it can (a stop signal sent to the group
//! is meant for the service, not for it), is a child subreaper (orphans of
//! the service are re-parented to it), and has a parent-death signal: if
//! `nix2dream up` dies, even by SIGKILL, the leader kills its group. When
//! the main program exits, the leader kills whatever the service left
//! behind, then exits with the program's status.

use std::io;
use std::time::Duration;

/// Send `signal` to the process group `pgid`; a group that is already
/// gone is not an error.
pub fn kill_group(pgid: i32, signal: i32) -> io::Result<()> {
    // SAFETY: killpg has no memory effects.
    if unsafe { libc::killpg(pgid, signal) } == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ESRCH) {
        Ok(())
    } else {
        Err(err)
    }
}

fn sigset(signals: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// The signals that ask `nix2dream up` to stop.
pub const TERMINATION_SIGNALS: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Block the termination signals in this thread (and so in every thread
/// spawned after this), so that only [`wait_for_termination_signal`] sees
/// them. Call before spawning threads.
pub fn block_termination_signals() {
    let set = sigset(&TERMINATION_SIGNALS);
    // SAFETY: changes this thread's signal mask only.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Wait until one of the blocked termination signals arrives; returns it.
pub fn wait_for_termination_signal() -> i32 {
    let set = sigset(&TERMINATION_SIGNALS);
    loop {
        let mut signal = 0;
        // SAFETY: sigwait writes the signal number into `signal`.
        if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
            return signal;
        }
    }
}

/// Run in the child between fork and exec: an empty signal mask and default
/// dispositions, so that what `up` blocks or ignores is not inherited.
pub fn reset_signals_in_child() {
    // SAFETY: async-signal-safe calls on local data, between fork and exec.
    unsafe {
        let empty = sigset(&[]);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        for signal in 1..32 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }
}

/// The `nix2dream __leader SUPERVISOR_PID -- PROGRAM ARGS...` process.
/// Returns the exit code to use when the program exited; when the program
/// was killed by a signal, the leader dies of the same signal instead.
pub fn leader_main(args: &[String]) -> i32 {
    let (supervisor, command) = match args {
        [pid, dashes, command @ ..] if dashes == "--" && !command.is_empty() => match pid.parse::<i32>() {
            Ok(pid) => (pid, command),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    // SAFETY: process-wide settings of this single-threaded process.
    unsafe {
        let all = full_sigset();
        libc::sigprocmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
        // The supervisor may have died before the line above.
        if libc::getppid() != supervisor {
            libc::kill(0, libc::SIGKILL);
        }
    }
    let mut child = std::process::Command::new(&command[0]);
    child.args(&command[1..]);
    // SAFETY: reset_signals_in_child only makes async-signal-safe calls.
    unsafe {
        use std::os::unix::process::CommandExt as _;
        child.pre_exec(|| {
            reset_signals_in_child();
            Ok(())
        });
    }
    let main_pid = match child.spawn() {
        Ok(c) => c.id() as i32,
        Err(e) => {
            eprintln!("error: cannot start '{}': {}", command[0], e);
            return 127;
        }
    };
    let all = full_sigset();
    let timeout = libc::timespec { tv_sec: 1, tv_nsec: 0 };
    loop {
        // SAFETY: waits for a pending signal; the info is not needed.
        unsafe { libc::sigtimedwait(&all, std::ptr::null_mut(), &timeout) };
        // SAFETY: getppid and kill have no memory effects.
        if unsafe { libc::getppid() } != supervisor {
            // `nix2dream up` is gone: nobody will stop this service.
            kill_leftovers();
            unsafe { libc::kill(0, libc::SIGKILL) };
        }
        while let Some((pid, status)) = reap_any() {
            if pid == main_pid {
                kill_leftovers();
                propagate(status);
            }
        }
    }
}

fn usage() -> i32 {
    eprintln!("usage: nix2dream __leader SUPERVISOR_PID -- PROGRAM [ARGS...] (internal to nix2dream up)");
    2
}

fn full_sigset() -> libc::sigset_t {
    // SAFETY: sigfillset fills a local set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        set
    }
}

fn reap_any() -> Option<(i32, i32)> {
    let mut status = 0;
    // SAFETY: waitpid writes the status into a local.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    (pid > 0).then_some((pid, status))
}

/// Kill everything the service left: the rest of this process group, and
/// orphans re-parented to this subreaper (which may have left the group).
fn kill_leftovers() {
    // SAFETY: getpid/getpgrp have no memory effects.
    let (me, group) = unsafe { (libc::getpid(), libc::getpgrp()) };
    for _ in 0..50 {
        let mut found = false;
        for (pid, ppid, pgrp) in processes() {
            if pid != me && (pgrp == group || ppid == me) {
                // SAFETY: kill has no memory effects.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                found = true;
            }
        }
        while reap_any().is_some() {}
        if !found {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `(pid, ppid, process group)` of every process, from /proc.
pub fn processes() -> Vec<(i32, i32, i32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid)).ok()?;
            // The command name may contain spaces and parentheses; the
            // fields after its closing parenthesis are fixed.
            let rest = &stat[stat.rfind(')')? + 2..];
            let mut fields = rest.split_whitespace();
            let _state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            let pgrp = fields.next()?.parse().ok()?;
            Some((pid, ppid, pgrp))
        })
        .collect()
}

/// Exit like the main program did: with its code, or by its signal.
fn propagate(status: i32) -> ! {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        // SAFETY: restore the default action and deliver the signal to this
        // process; it ends the process for every signal a program dies of.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            let set = sigset(&[signal]);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::raise(signal);
        }
        std::process::exit(128 + signal);
    }
    std::process::exit(libc::WEXITSTATUS(status));
}
