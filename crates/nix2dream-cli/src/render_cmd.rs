//! `nix2dream render --target TARGET DEPLOYMENT.nix [--out DIR]`.

use crate::deployment_args::{deployment_file, load, take_evaluation_flags};
use anyhow::{bail, Context as _};
use nix2dream_render::{procfile, write_all};
use std::path::PathBuf;
use std::process::ExitCode;

/// Every target of the contract, and whether it exists yet.
pub const TARGETS: &[(&str, bool)] = &[
    ("procfile", true),
    ("compose", false),
    ("kubernetes", false),
    ("systemd", false),
    ("nixos", false),
    ("vm", false),
    ("oci", false),
];

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let (flags, rest) = take_evaluation_flags(args)?;
    let mut target = None;
    let mut out = None;
    let mut positional = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        match a {
            "--target" | "-t" | "--out" | "-o" => {
                let Some(value) = rest.get(i + 1) else { bail!("flag '{}' requires an argument", a) };
                if a.starts_with("--t") || a == "-t" {
                    target = Some(value.clone());
                } else {
                    out = Some(PathBuf::from(value));
                }
                i += 2;
                continue;
            }
            flag if flag.starts_with("--target=") => target = Some(flag["--target=".len()..].to_string()),
            flag if flag.starts_with("--out=") => out = Some(PathBuf::from(&flag["--out=".len()..])),
            flag if flag.starts_with('-') => bail!("unrecognised flag '{}'", flag),
            _ => positional.push(rest[i].clone()),
        }
        i += 1;
    }
    let Some(target) = target else {
        bail!("missing --target (one of: {})", target_list());
    };
    match TARGETS.iter().find(|(name, _)| *name == target) {
        None => bail!("unknown target '{}' (targets: {})", target, target_list()),
        Some((_, false)) => bail!("the {} target is not implemented yet (implemented: procfile)", target),
        Some((_, true)) => {}
    }
    let file = deployment_file(&positional, "render")?;
    let Some(out) = out else {
        bail!("the procfile target writes several files (Procfile, bin/<service>, config/...); pass --out DIR");
    };
    let loaded = match load(&file, &flags) {
        Ok(loaded) => loaded,
        Err(report) => {
            eprint!("{}", report);
            return Ok(ExitCode::from(1));
        }
    };
    let created = !out.exists();
    std::fs::create_dir_all(&out).with_context(|| format!("creating '{}'", out.display()))?;
    let out = out.canonicalize().with_context(|| format!("resolving '{}'", out.display()))?;
    let rendered = procfile::render(&loaded.deployment, &out);
    for note in &rendered.notes {
        eprintln!("note: {}", note);
    }
    if let Err(e) = write_all(&out, &rendered) {
        // write_all reads every source before it writes, so a render that
        // fails on one leaves the directory as it found it: gone, if this
        // run made it (remove_dir removes only an empty one).
        if created {
            let _ = std::fs::remove_dir(&out);
        }
        return Err(e.into());
    }
    eprintln!("wrote {} files to {}", rendered.files.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

fn target_list() -> String {
    TARGETS
        .iter()
        .map(|(name, done)| if *done { name.to_string() } else { format!("{} (not implemented yet)", name) })
        .collect::<Vec<_>>()
        .join(", ")
}
