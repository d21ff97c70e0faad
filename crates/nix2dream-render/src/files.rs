//! Rendered output as data, and writing it out without ever leaving a
//! half-written file behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One file of a rendered target, relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: PathBuf,
    pub contents: Contents,
    pub executable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contents {
    Text(String),
    /// A copy of a file on this machine (a `configData.<name>.source`),
    /// read when the output is written, so rendering stays pure.
    CopyOf(PathBuf),
}

/// What a target made: its files, and notes on what it could not express
/// exactly (shown to the user, never dropped silently).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub files: Vec<RenderedFile>,
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create directory '{path}': {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot read '{path}' (a configData source): {source}")]
    ReadSource { path: PathBuf, source: std::io::Error },
    #[error("cannot write '{path}': {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Write every file below `dir`. Each file is written to a temporary file
/// beside it and renamed into place, so a reader sees the old file or the
/// new one, never a partial one.
pub fn write_all(dir: &Path, rendered: &Rendered) -> Result<(), WriteError> {
    for file in &rendered.files {
        let target = dir.join(&file.path);
        let bytes = match &file.contents {
            Contents::Text(text) => text.as_bytes().to_vec(),
            Contents::CopyOf(source) => std::fs::read(source)
                .map_err(|source_err| WriteError::ReadSource { path: source.clone(), source: source_err })?,
        };
        write_atomically(&target, &bytes, file.executable)?;
    }
    Ok(())
}

pub fn write_atomically(target: &Path, bytes: &[u8], executable: bool) -> Result<(), WriteError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| WriteError::CreateDir { path: parent.to_path_buf(), source })?;
    let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = parent.join(format!(".{}.{}.tmp", file_name, std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&temporary)?;
        f.write_all(bytes)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = if executable { 0o755 } else { 0o644 };
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        // No fsync: the rename already keeps readers from seeing a partial
        // file, and syncing each of thousands of scripts costs seconds.
        std::fs::rename(&temporary, target)
    };
    write().map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        WriteError::Write { path: target.to_path_buf(), source }
    })
}
