//! `nix2dream up DEPLOYMENT.nix`: run the deployment on this machine.

use crate::deployment_args::{deployment_file, load, take_evaluation_flags};
use anyhow::{bail, Context as _};
use nix2dream_supervisor::{up, UpOptions};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

pub const USAGE: &str =
    "nix2dream up DEPLOYMENT.nix [--only SERVICE[,SERVICE...]] [--timestamps] [--color | --no-color] [--show-trace]";

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let (flags, rest) = take_evaluation_flags(args)?;
    let mut only = Vec::new();
    let mut timestamps = false;
    let mut colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut positional = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        match a {
            "--only" => {
                let Some(value) = rest.get(i + 1) else { bail!("flag '--only' requires an argument ({})", USAGE) };
                only.extend(value.split(',').filter(|s| !s.is_empty()).map(str::to_string));
                i += 1;
            }
            flag if flag.starts_with("--only=") => {
                only.extend(flag["--only=".len()..].split(',').filter(|s| !s.is_empty()).map(str::to_string))
            }
            "--timestamps" | "-t" => timestamps = true,
            "--color" | "--colour" => colour = true,
            "--no-color" | "--no-colour" => colour = false,
            flag if flag.starts_with('-') => bail!("unrecognised flag '{}' ({})", flag, USAGE),
            _ => positional.push(rest[i].clone()),
        }
        i += 1;
    }
    let file = deployment_file(&positional, "up")?;
    // Evaluate on the big evaluation stack; supervise on the main thread,
    // where the termination signals are blocked before any other thread
    // exists (see nix2dream_supervisor::up).
    let loaded = match crate::on_evaluation_stack(|| load(&file, &flags)) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{}", report);
            return Ok(ExitCode::from(1));
        }
    };
    let deployment = loaded.deployment;
    let options = UpOptions {
        only,
        timestamps,
        colour,
        leader_program: std::env::current_exe().context("finding the nix2dream binary")?,
        bundle_dir: PathBuf::from(&deployment.state_directory).join("up"),
    };
    let summary = up(&deployment, &options)?;
    Ok(if summary.all_ended_well { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
