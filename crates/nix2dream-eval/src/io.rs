//! The evaluator's only door to the outside world.
//!
//! Architecture invariant: evaluation reads files exclusively through
//! [`EvalIo`]. The CLI uses [`RealFs`]; tests, editors and sandboxes use
//! [`MemoryFs`] (optionally layered over another backend).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    Unknown,
}

impl FileType {
    /// The name `builtins.readDir` and `readFileType` use.
    pub fn nix_name(self) -> &'static str {
        match self {
            FileType::Regular => "regular",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Unknown => "unknown",
        }
    }
}

/// A read that failed after the file was opened (reading a directory):
/// C++ Nix words it "reading from file: REASON", without the path.
#[derive(Debug)]
pub struct ReadFailed(pub io::Error);

impl std::fmt::Display for ReadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ReadFailed {}

/// The error of a missing file, as the in-memory backends report it.
fn not_found() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "No such file or directory")
}

pub trait EvalIo {
    /// The contents of a file. A failure after opening is a [`ReadFailed`]
    /// (inside an `io::Error` of the same kind).
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The type of `path` itself (symlinks are not followed), or `None`.
    fn file_type(&self, path: &Path) -> Option<FileType>;
    /// `lstat`: the type of `path` itself, or why it has none (absent, a
    /// component that is not a directory, not allowed).
    fn lstat(&self, path: &Path) -> io::Result<FileType> {
        self.file_type(path).ok_or_else(not_found)
    }
    /// Entries of a directory, sorted by name.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>>;
    /// Environment variable lookup (`builtins.getEnv`, `$HOME`, `NIX_PATH`).
    fn env_var(&self, name: &str) -> Option<String>;

    /// The target of a symbolic link (for NAR serialisation).
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        Err(io::Error::new(io::ErrorKind::Unsupported, format!("cannot read symbolic link '{}'", path.display())))
    }

    /// Whether a regular file has its executable bit set (for NAR
    /// serialisation).
    fn is_executable(&self, _path: &Path) -> bool {
        false
    }

    fn path_exists(&self, path: &Path) -> bool {
        self.file_type(path).is_some()
    }

    /// Follow symlinks: is `path` a directory?
    fn is_dir(&self, path: &Path) -> bool {
        match self.file_type(path) {
            Some(FileType::Directory) => true,
            Some(FileType::Symlink) => self.read_dir(path).is_ok(),
            _ => false,
        }
    }
}

/// The machine's filesystem and environment.
#[derive(Default)]
pub struct RealFs;

impl EvalIo for RealFs {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let mut out = Vec::new();
        match file.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(io::Error::new(e.kind(), ReadFailed(e))),
        }
    }

    fn file_type(&self, path: &Path) -> Option<FileType> {
        self.lstat(path).ok()
    }

    fn lstat(&self, path: &Path) -> io::Result<FileType> {
        let meta = std::fs::symlink_metadata(path)?;
        let t = meta.file_type();
        Ok(if t.is_symlink() {
            FileType::Symlink
        } else if t.is_dir() {
            FileType::Directory
        } else if t.is_file() {
            FileType::Regular
        } else {
            FileType::Unknown
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let t = self.file_type(&entry.path()).unwrap_or(FileType::Unknown);
            out.push((name, t));
        }
        out.sort();
        Ok(out)
    }

    fn env_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
    }

    fn is_executable(&self, path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path).map(|m| m.permissions().mode() & 0o100 != 0).unwrap_or(false)
    }
}

/// An in-memory filesystem, optionally over a fallback backend: files
/// written here shadow the fallback's. Directories exist implicitly.
#[derive(Default)]
pub struct MemoryFs {
    files: BTreeMap<PathBuf, Vec<u8>>,
    env: BTreeMap<String, String>,
    fallback: Option<Box<dyn EvalIo>>,
}

impl MemoryFs {
    pub fn new() -> MemoryFs {
        MemoryFs::default()
    }

    pub fn over(fallback: Box<dyn EvalIo>) -> MemoryFs {
        MemoryFs { fallback: Some(fallback), ..MemoryFs::default() }
    }

    pub fn add_file(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> &mut Self {
        self.files.insert(path.into(), contents.into());
        self
    }

    pub fn set_env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.insert(name.to_string(), value.to_string());
        self
    }

    fn is_memory_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|f| f.starts_with(path) && f != path)
    }
}

impl EvalIo for MemoryFs {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        if let Some(c) = self.files.get(path) {
            return Ok(c.clone());
        }
        match &self.fallback {
            Some(f) => f.read_file(path),
            None => Err(not_found()),
        }
    }

    fn file_type(&self, path: &Path) -> Option<FileType> {
        self.lstat(path).ok()
    }

    fn lstat(&self, path: &Path) -> io::Result<FileType> {
        if self.files.contains_key(path) {
            return Ok(FileType::Regular);
        }
        if self.is_memory_dir(path) {
            return Ok(FileType::Directory);
        }
        match &self.fallback {
            Some(f) => f.lstat(path),
            None => Err(not_found()),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        let mut entries: BTreeMap<String, FileType> = BTreeMap::new();
        // The fallback's reason (not a directory, not allowed) is the
        // error when this backend has nothing there either.
        let mut fallback_error = Some(not_found());
        if let Some(f) = &self.fallback {
            match f.read_dir(path) {
                Ok(list) => {
                    entries.extend(list);
                    fallback_error = None;
                }
                Err(e) => fallback_error = Some(e),
            }
        }
        for file in self.files.keys() {
            if let Ok(rest) = file.strip_prefix(path) {
                let mut comps = rest.components();
                if let Some(first) = comps.next() {
                    let t = if comps.next().is_some() { FileType::Directory } else { FileType::Regular };
                    entries.insert(first.as_os_str().to_string_lossy().into_owned(), t);
                }
            }
        }
        if let Some(e) = fallback_error {
            if !self.is_memory_dir(path) {
                if self.files.contains_key(path) {
                    return Err(io::Error::new(io::ErrorKind::NotADirectory, "Not a directory"));
                }
                return Err(e);
            }
        }
        Ok(entries.into_iter().collect())
    }

    fn env_var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.env.get(name) {
            return Some(v.clone());
        }
        self.fallback.as_ref().and_then(|f| f.env_var(name))
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match &self.fallback {
            Some(f) if !self.files.contains_key(path) => f.read_link(path),
            _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "Invalid argument")),
        }
    }

    fn is_executable(&self, path: &Path) -> bool {
        match &self.fallback {
            Some(f) if !self.files.contains_key(path) => f.is_executable(path),
            _ => false,
        }
    }
}

/// Pure mode's file access: paths outside the allowed roots cannot be read
/// (they look absent to `file_type`, and reading them fails with C++ Nix's
/// message). The one place where `EvalOptions::allowed_roots` is enforced.
pub struct RestrictedFs {
    inner: Box<dyn EvalIo>,
    roots: Vec<PathBuf>,
}

impl RestrictedFs {
    pub fn new(inner: Box<dyn EvalIo>, roots: Vec<PathBuf>) -> RestrictedFs {
        RestrictedFs { inner, roots }
    }

    /// The path to read, as C++ Nix's `checkSourcePath` gives it: without
    /// `.` and `..`, so that `ROOT/../etc` is outside ROOT; `None` when it
    /// is outside every root.
    fn allowed(&self, path: &Path) -> Option<PathBuf> {
        let canon = PathBuf::from(nix2dream_syntax::lower::canonicalize(path));
        self.roots.iter().any(|r| canon.starts_with(r)).then_some(canon)
    }

    fn check(&self, path: &Path) -> io::Result<PathBuf> {
        self.allowed(path).ok_or_else(|| {
            io::Error::other(format!(
                "access to absolute path '{}' is forbidden in pure eval mode (use '--impure' to override)",
                nix2dream_syntax::lower::canonicalize(path)
            ))
        })
    }
}

impl EvalIo for RestrictedFs {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read_file(&self.check(path)?)
    }

    fn file_type(&self, path: &Path) -> Option<FileType> {
        self.inner.file_type(&self.allowed(path)?)
    }

    fn lstat(&self, path: &Path) -> io::Result<FileType> {
        self.inner.lstat(&self.check(path)?)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(String, FileType)>> {
        self.inner.read_dir(&self.check(path)?)
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.inner.env_var(name)
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.inner.read_link(&self.check(path)?)
    }

    fn is_executable(&self, path: &Path) -> bool {
        self.allowed(path).is_some_and(|p| self.inner.is_executable(&p))
    }
}
