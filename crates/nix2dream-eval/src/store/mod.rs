//! The virtual store: what evaluation adds to `/nix/store`, kept in memory.
//!
//! Paths are computed exactly as C++ Nix computes them (see [`path`]), so
//! `"${./file}"`, `builtins.toFile`, `builtins.path` and `derivation` give
//! the same strings as `nix-instantiate`. Nothing is written anywhere: the
//! store keeps the *contents* of every object (a [`FileTree`]) together
//! with its references, so that a renderer can later write out exactly
//! what a deployment needs ([`Store::closure`], [`Store::get`]).
//!
//! Derivations are kept parsed ([`Store::derivation`]) and as their ATerm
//! text; their outputs are not built, so output paths are never objects of
//! the store.

pub mod aterm;
pub mod nar;
pub mod path;

pub use aterm::{Derivation, DerivationOutput};
pub use nar::FileTree;
pub use path::{FileIngestionMethod, Hash, HashAlgo, STORE_DIR};

use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::io::FileType;
use crate::value::Value;
use crate::Evaluator;
use nix2dream_syntax::Span;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// How an object came into the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A copied source (`"${./x}"`, `builtins.path`, `filterSource`):
    /// content-addressed by `method` and `hash`.
    Source { method: FileIngestionMethod, hash: Hash },
    /// `builtins.toFile`.
    Text,
    /// A store derivation (`.drv`); its text is the object's file.
    Derivation(Box<Derivation>),
}

/// One object of the virtual store.
#[derive(Clone, Debug)]
pub struct StoreObject {
    /// The full store path (`/nix/store/HASH-name`).
    pub path: String,
    pub kind: ObjectKind,
    /// What would be on disk at `path`.
    pub tree: FileTree,
    /// Other store paths this object refers to.
    pub references: BTreeSet<String>,
}

/// The in-memory store owned by an [`Evaluator`].
#[derive(Default)]
pub struct Store {
    objects: BTreeMap<String, StoreObject>,
    /// `drvHashes`: derivation path → output name → hash modulo.
    drv_hashes: HashMap<String, BTreeMap<String, Hash>>,
    /// `srcToStore`: source path → store path of path literals copied by
    /// string interpolation.
    src_to_store: HashMap<String, String>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// All store paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(String::as_str)
    }

    /// All objects, sorted by path.
    pub fn objects(&self) -> impl Iterator<Item = &StoreObject> {
        self.objects.values()
    }

    pub fn get(&self, path: &str) -> Option<&StoreObject> {
        self.objects.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.objects.contains_key(path)
    }

    /// The derivation stored at a `.drv` path.
    pub fn derivation(&self, path: &str) -> Option<&Derivation> {
        match &self.objects.get(path)?.kind {
            ObjectKind::Derivation(d) => Some(d),
            _ => None,
        }
    }

    /// The file at a path inside the store (`/nix/store/HASH-x/a/b`).
    pub fn lookup_file(&self, full_path: &str) -> Option<&FileTree> {
        let (sp, sub) = path::to_store_path(full_path)?;
        self.objects.get(&sp)?.tree.lookup(&sub)
    }

    /// The closure of `roots` under references (roots included). Paths the
    /// store does not hold are included but not followed.
    pub fn closure<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<String> = roots.into_iter().map(str::to_string).collect();
        while let Some(p) = todo.pop() {
            if !out.insert(p.clone()) {
                continue;
            }
            if let Some(o) = self.objects.get(&p) {
                todo.extend(o.references.iter().cloned());
            }
        }
        out
    }

    fn insert(&mut self, obj: StoreObject) {
        self.objects.entry(obj.path.clone()).or_insert(obj);
    }

    /// Add a text file (`builtins.toFile`) referring to `references`.
    pub fn add_text(&mut self, name: &str, text: &[u8], references: BTreeSet<String>) -> Result<String, String> {
        let path = path::make_text_path(name, &Hash::sha256(text), &references)?;
        self.insert(StoreObject { path: path.clone(), kind: ObjectKind::Text, tree: FileTree::file(text), references });
        Ok(path)
    }

    /// The path `tree` gets when added under `name` with `method`
    /// (SHA-256), as `computeStorePathForPath`; with the hash.
    pub fn compute_path(name: &str, tree: &FileTree, method: FileIngestionMethod) -> Result<(String, Hash), String> {
        let hash = match method {
            FileIngestionMethod::Recursive => Hash { algo: HashAlgo::Sha256, bytes: tree.nar_sha256() },
            FileIngestionMethod::Flat => match tree {
                FileTree::Regular { contents, .. } => Hash::sha256(contents),
                _ => return Err("flat hashing needs a regular file".to_string()),
            },
        };
        let path = path::make_fixed_output_path(method, &hash, name, &BTreeSet::new())?;
        Ok((path, hash))
    }

    /// Add a source tree, content-addressed (SHA-256) with `method`.
    pub fn add_tree(&mut self, name: &str, tree: FileTree, method: FileIngestionMethod) -> Result<String, String> {
        let (path, hash) = Store::compute_path(name, &tree, method)?;
        self.insert(StoreObject {
            path: path.clone(),
            kind: ObjectKind::Source { method, hash },
            tree,
            references: BTreeSet::new(),
        });
        Ok(path)
    }

    /// `hashDerivationModulo`: per output, the hash that stands for the
    /// derivation when computing output paths (fixed-output derivations
    /// hash only their output; others hash their ATerm with input
    /// derivations replaced by their own hashes modulo).
    pub fn hash_derivation_modulo(
        &self,
        drv: &Derivation,
        mask_outputs: bool,
    ) -> Result<BTreeMap<String, Hash>, String> {
        if drv.is_fixed_output() {
            let mut out = BTreeMap::new();
            for (name, o) in &drv.outputs {
                if let DerivationOutput::Fixed { method, hash, path } = o {
                    let s = format!("fixed:out:{}{}:{}:{}", method.prefix(), hash.algo.name(), hash.to_base16(), path);
                    out.insert(name.clone(), Hash::sha256(s.as_bytes()));
                }
            }
            return Ok(out);
        }
        let mut inputs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (drv_path, outputs) in &drv.input_drvs {
            let hashes = self.drv_hashes.get(drv_path).ok_or_else(|| format!("path '{}' is not valid", drv_path))?;
            for o in outputs {
                let h = hashes
                    .get(o)
                    .ok_or_else(|| format!("derivation '{}' does not have an output named '{}'", drv_path, o))?;
                inputs.entry(h.to_base16()).or_default().insert(o.clone());
            }
        }
        let h = Hash::sha256(drv.unparse(mask_outputs, Some(&inputs)).as_bytes());
        Ok(drv.outputs.keys().map(|k| (k.clone(), h.clone())).collect())
    }

    /// `writeDerivation`: store the derivation, return its `.drv` path.
    /// Its output paths must already be filled in.
    pub fn add_derivation(&mut self, drv: Derivation) -> Result<String, String> {
        let text = drv.unparse(false, None);
        let references = drv.references();
        let path = path::make_text_path(&format!("{}.drv", drv.name), &Hash::sha256(text.as_bytes()), &references)?;
        if !self.drv_hashes.contains_key(&path) {
            let h = self.hash_derivation_modulo(&drv, false)?;
            self.drv_hashes.insert(path.clone(), h);
        }
        self.insert(StoreObject {
            path: path.clone(),
            kind: ObjectKind::Derivation(Box::new(drv)),
            tree: FileTree::file(text.into_bytes()),
            references,
        });
        Ok(path)
    }
}

/// The last component of a path (`baseNameOf`).
pub(crate) fn base_name(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

fn io_err(msg: String, span: Span) -> EvalError {
    EvalError::new(ErrorKind::Io, msg, Some(span))
}

/// Read a file tree through the evaluator's IO, calling `filter` (a Nix
/// function `path: type: bool`) on everything below the root, as
/// `dumpPath` does.
pub(crate) fn read_tree(ev: &mut Evaluator, path: &str, filter: Option<&Value>, span: Span) -> EvalResult<FileTree> {
    // Objects of the virtual store are read from memory unless they exist
    // on disk too.
    if path::is_in_store(path) && ev.io.file_type(Path::new(path)).is_none() {
        if let Some(t) = ev.store.lookup_file(path).cloned() {
            return match filter {
                Some(f) => filter_tree(ev, path, t, f, span),
                None => Ok(t),
            };
        }
    }
    let p = Path::new(path);
    let Some(ty) = ev.io.file_type(p) else {
        // Reading gives the reason (absent, or not allowed).
        let why = match ev.io.read_file(p) {
            Err(e) => crate::io_message(&e),
            Ok(_) => "No such file or directory".to_string(),
        };
        return Err(io_err(format!("getting status of '{}': {}", path, why), span));
    };
    read_node(ev, path, ty, filter, span)
}

fn call_filter(ev: &mut Evaluator, f: &Value, path: &str, ty: &str, span: Span) -> EvalResult<bool> {
    let g = ev.call_value(f, Value::string(path), Some(span))?;
    let r = ev.call_value(&g, Value::string(ty), Some(span))?;
    ev.expect_bool(&r, span)
}

fn filter_tree(ev: &mut Evaluator, path: &str, t: FileTree, f: &Value, span: Span) -> EvalResult<FileTree> {
    match t {
        FileTree::Directory(entries) => {
            let mut out = BTreeMap::new();
            for (name, child) in entries {
                // As `dumpPath` names it: `path + "/" + name`, even
                // after a trailing slash.
                let child_path = format!("{}/{}", path, name);
                let ty = match &child {
                    FileTree::Regular { .. } => "regular",
                    FileTree::Symlink { .. } => "symlink",
                    FileTree::Directory(_) => "directory",
                };
                if call_filter(ev, f, &child_path, ty, span)? {
                    out.insert(name, filter_tree(ev, &child_path, child, f, span)?);
                }
            }
            Ok(FileTree::Directory(out))
        }
        other => Ok(other),
    }
}

fn read_node(ev: &mut Evaluator, path: &str, ty: FileType, filter: Option<&Value>, span: Span) -> EvalResult<FileTree> {
    let p = Path::new(path);
    match ty {
        FileType::Regular => {
            let contents = ev
                .io
                .read_file(p)
                .map_err(|e| io_err(format!("opening file '{}': {}", path, crate::io_message(&e)), span))?;
            Ok(FileTree::Regular { executable: ev.io.is_executable(p), contents: contents.into() })
        }
        FileType::Symlink => {
            let target = ev
                .io
                .read_link(p)
                .map_err(|e| io_err(format!("reading symbolic link '{}': {}", path, crate::io_message(&e)), span))?;
            Ok(FileTree::Symlink { target: target.to_string_lossy().into_owned() })
        }
        FileType::Directory => {
            let entries = ev
                .io
                .read_dir(p)
                .map_err(|e| io_err(format!("opening directory '{}': {}", path, crate::io_message(&e)), span))?;
            let mut out = BTreeMap::new();
            for (name, t) in entries {
                // As `dumpPath` names it: `path + "/" + name`, so the
                // filter of `"/dir/"` sees `"/dir//name"`.
                let child = format!("{}/{}", path, name);
                if let Some(f) = filter {
                    if !call_filter(ev, f, &child, t.nix_name(), span)? {
                        continue;
                    }
                }
                let node = read_node(ev, &child, t, filter, span)?;
                out.insert(name, node);
            }
            Ok(FileTree::Directory(out))
        }
        FileType::Unknown => Err(io_err(format!("file '{}' has an unsupported type", path), span)),
    }
}

/// `copyPathToStore`: the store path a path value is copied to when it is
/// interpolated into a string (recursive SHA-256, named after the base
/// name), cached per source path.
pub(crate) fn copy_path_to_store(ev: &mut Evaluator, path: &str, span: Span) -> EvalResult<String> {
    if let Some(p) = ev.store.src_to_store.get(path) {
        return Ok(p.clone());
    }
    if path.ends_with(".drv") {
        return Err(EvalError::new(ErrorKind::Other, "file names are not allowed to end in '.drv'", Some(span)));
    }
    let tree = read_tree(ev, path, None, span)?;
    let name = base_name(path);
    let sp = ev
        .store
        .add_tree(name, tree, FileIngestionMethod::Recursive)
        .map_err(|m| EvalError::new(ErrorKind::Other, m, Some(span)))?;
    ev.store.src_to_store.insert(path.to_string(), sp.clone());
    Ok(sp)
}
