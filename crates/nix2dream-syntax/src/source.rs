//! Source files, file ids and spans, with line/column lookup.

use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Index of a file in a [`SourceMap`]. Stored plus one, so that an
/// `Option<Span>` (every attribute carries one) needs no extra tag and an
/// attribute entry fits in 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId(std::num::NonZeroU32);

impl FileId {
    pub const fn new(index: u32) -> FileId {
        match std::num::NonZeroU32::new(index.wrapping_add(1)) {
            Some(n) => FileId(n),
            None => panic!("file index overflow"),
        }
    }

    pub const fn index(self) -> u32 {
        self.0.get() - 1
    }
}

const _: () = assert!(std::mem::size_of::<Option<Span>>() == 12);

/// A byte range in one file. Spans are small and `Copy` so that every IR
/// node and every attribute can carry one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span { file, start, end }
    }
}

/// Where a file came from: a real path, or a name such as `«string»`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Path(PathBuf),
    Named(String),
}

impl Origin {
    pub fn display(&self) -> String {
        match self {
            Origin::Path(p) => p.display().to_string(),
            Origin::Named(n) => n.clone(),
        }
    }
}

#[derive(Debug)]
pub struct SourceFile {
    pub origin: Origin,
    pub text: Rc<str>,
    line_starts: Vec<u32>,
}

/// 1-based line and column, as Nix reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

impl SourceFile {
    pub fn new(origin: Origin, text: Rc<str>) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        SourceFile { origin, text, line_starts }
    }

    pub fn line_col(&self, offset: u32) -> LineCol {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.line_starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        // In bytes, as C++ Nix counts them: `"ä" + x` puts `x` in column 8.
        let column = end.saturating_sub(start) + 1;
        LineCol { line: line as u32 + 1, column: column as u32 }
    }

    /// The text of 1-based `line`, without its newline.
    pub fn line_text(&self, line: u32) -> &str {
        let i = line.saturating_sub(1) as usize;
        let Some(&start) = self.line_starts.get(i) else { return "" };
        let end = self.line_starts.get(i + 1).map_or(self.text.len(), |&e| e as usize - 1);
        &self.text[start as usize..end.max(start as usize)]
    }

    /// Whether a newline ends 1-based `line` (the last line of a file may
    /// have none).
    pub fn line_is_terminated(&self, line: u32) -> bool {
        (line as usize) < self.line_starts.len()
    }

    pub fn dir(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Path(p) => p.parent(),
            Origin::Named(_) => None,
        }
    }
}

/// All files seen by one evaluation, addressed by [`FileId`].
#[derive(Default, Debug)]
pub struct SourceMap {
    files: Vec<Rc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, origin: Origin, text: Rc<str>) -> FileId {
        self.files.push(Rc::new(SourceFile::new(origin, text)));
        FileId::new(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &Rc<SourceFile> {
        &self.files[id.index() as usize]
    }
}
