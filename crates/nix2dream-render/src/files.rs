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

/// The OS error is each variant's `source()`, not part of its message:
/// a report that prints the chain (`{:#}` in the CLI) would say it twice.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create directory '{path}'")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot read '{path}' (a configData source)")]
    ReadSource { path: PathBuf, source: std::io::Error },
    #[error("cannot write '{path}'")]
    Write { path: PathBuf, source: std::io::Error },
}

/// Write every file below `dir`. Each file is written to a temporary file
/// beside it and renamed into place, so a reader sees the old file or the
/// new one, never a partial one.
pub fn write_all(dir: &Path, rendered: &Rendered) -> Result<(), WriteError> {
    // Every configData source is read before anything is written: a
    // missing or unreadable source (a typo in a path) must not leave a
    // Procfile and scripts behind that install a file that is not there.
    let contents = rendered
        .files
        .iter()
        .map(|file| {
            let bytes = match &file.contents {
                Contents::Text(text) => std::borrow::Cow::Borrowed(text.as_bytes()),
                Contents::CopyOf(source) => std::borrow::Cow::Owned(
                    std::fs::read(source)
                        .map_err(|source_err| WriteError::ReadSource { path: source.clone(), source: source_err })?,
                ),
            };
            Ok((file, bytes))
        })
        .collect::<Result<Vec<_>, WriteError>>()?;
    // Each directory is made once, not once per file: a deployment of
    // 10,000 services writes 10,000 scripts into `bin/`.
    let mut made = std::collections::HashSet::new();
    let temporary_suffix = format!(".{}.tmp", std::process::id());
    for (file, bytes) in &contents {
        let target = dir.join(&file.path);
        let parent = target.parent().unwrap_or(Path::new("."));
        if !made.contains(parent) {
            make_dir(parent)?;
            made.insert(parent.to_path_buf());
        }
        write_into_existing_dir(&target, bytes, file.executable, &temporary_suffix)?;
    }
    Ok(())
}

/// Write one file as [`write_all`] does.
pub fn write_atomically(target: &Path, bytes: &[u8], executable: bool) -> Result<(), WriteError> {
    make_dir(target.parent().unwrap_or(Path::new(".")))?;
    write_into_existing_dir(target, bytes, executable, &format!(".{}.tmp", std::process::id()))
}

fn make_dir(dir: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError::CreateDir { path: dir.to_path_buf(), source })
}

/// Write `target` through `.<name><temporary_suffix>` beside it; its
/// directory exists.
fn write_into_existing_dir(
    target: &Path,
    bytes: &[u8],
    executable: bool,
    temporary_suffix: &str,
) -> Result<(), WriteError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = parent.join(format!(".{}{}", file_name, temporary_suffix));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &str, contents: &str, executable: bool) -> RenderedFile {
        RenderedFile { path: PathBuf::from(path), contents: Contents::Text(contents.to_string()), executable }
    }

    /// Files land in directories made on the way, with their modes, over
    /// what was there before, and no temporary file is left behind.
    #[test]
    fn write_all_makes_directories_and_replaces_files() {
        let dir = std::env::temp_dir().join(format!("nix2dream-write-all-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = Rendered {
            files: vec![
                text("Procfile", "a: x\n", false),
                text("bin/a", "old", true),
                text("config/a/b/c", "1", false),
            ],
            notes: Vec::new(),
        };
        write_all(&dir, &first).unwrap();
        let second = Rendered { files: vec![text("bin/a", "new", true), text("bin/b", "b", true)], notes: Vec::new() };
        write_all(&dir, &second).unwrap();

        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        assert_eq!(read("Procfile"), "a: x\n");
        assert_eq!(read("bin/a"), "new");
        assert_eq!(read("bin/b"), "b");
        assert_eq!(read("config/a/b/c"), "1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode("bin/a"), 0o755);
            assert_eq!(mode("Procfile"), 0o644);
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.join("bin"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "b"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
