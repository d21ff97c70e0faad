//! File trees as the store keeps them, and their NAR serialisation (the
//! byte stream whose SHA-256 names a recursively-hashed store path).

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The contents of a store object (or of a file inside one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileTree {
    Regular {
        executable: bool,
        contents: Rc<[u8]>,
    },
    Symlink {
        target: String,
    },
    /// Entries sorted by name (byte order), as in a NAR.
    Directory(BTreeMap<String, FileTree>),
}

impl FileTree {
    /// A non-executable regular file.
    pub fn file(contents: impl Into<Rc<[u8]>>) -> FileTree {
        FileTree::Regular { executable: false, contents: contents.into() }
    }

    /// Call `f` on every node, depth first, with its path relative to the
    /// root (`""` for the root itself, then `"a"`, `"a/b"`, ...).
    pub fn walk(&self, f: &mut dyn FnMut(&str, &FileTree)) {
        fn go(t: &FileTree, rel: &mut String, f: &mut dyn FnMut(&str, &FileTree)) {
            f(rel, t);
            if let FileTree::Directory(entries) = t {
                for (name, child) in entries {
                    let len = rel.len();
                    if !rel.is_empty() {
                        rel.push('/');
                    }
                    rel.push_str(name);
                    go(child, rel, f);
                    rel.truncate(len);
                }
            }
        }
        go(self, &mut String::new(), f)
    }

    /// The node at a relative path (`"a/b"`), if any.
    pub fn lookup(&self, rel: &str) -> Option<&FileTree> {
        let mut t = self;
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            match t {
                FileTree::Directory(entries) => t = entries.get(part)?,
                _ => return None,
            }
        }
        Some(t)
    }

    /// The NAR serialisation.
    pub fn to_nar(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.dump(&mut |b| out.extend_from_slice(b));
        out
    }

    /// SHA-256 of the NAR serialisation, without building it in memory.
    pub fn nar_sha256(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        self.dump(&mut |b| h.update(b));
        h.finalize().to_vec()
    }

    /// Stream the NAR serialisation into `sink`.
    pub fn dump(&self, sink: &mut dyn FnMut(&[u8])) {
        write_str(sink, b"nix-archive-1");
        self.dump_node(sink);
    }

    fn dump_node(&self, sink: &mut dyn FnMut(&[u8])) {
        write_str(sink, b"(");
        match self {
            FileTree::Regular { executable, contents } => {
                write_str(sink, b"type");
                write_str(sink, b"regular");
                if *executable {
                    write_str(sink, b"executable");
                    write_str(sink, b"");
                }
                write_str(sink, b"contents");
                write_str(sink, contents);
            }
            FileTree::Symlink { target } => {
                write_str(sink, b"type");
                write_str(sink, b"symlink");
                write_str(sink, b"target");
                write_str(sink, target.as_bytes());
            }
            FileTree::Directory(entries) => {
                write_str(sink, b"type");
                write_str(sink, b"directory");
                for (name, child) in entries {
                    write_str(sink, b"entry");
                    write_str(sink, b"(");
                    write_str(sink, b"name");
                    write_str(sink, name.as_bytes());
                    write_str(sink, b"node");
                    child.dump_node(sink);
                    write_str(sink, b")");
                }
            }
        }
        write_str(sink, b")");
    }
}

/// A NAR string: little-endian 64-bit length, bytes, zero padding to 8.
fn write_str(sink: &mut dyn FnMut(&[u8]), s: &[u8]) {
    sink(&(s.len() as u64).to_le_bytes());
    sink(s);
    let pad = (8 - s.len() % 8) % 8;
    if pad > 0 {
        sink(&[0u8; 8][..pad]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nar_of_a_file() {
        let t = FileTree::file(&b"hi"[..]);
        let nar = t.to_nar();
        // 13-byte magic padded to 16, plus 8-byte lengths.
        assert_eq!(&nar[8..21], b"nix-archive-1");
        assert_eq!(nar.len() % 8, 0);
    }
}
