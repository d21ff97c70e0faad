//! Embeds the repository's `modules/` folder into the binary, so that
//! `<nix2dream>` resolves on a machine with no checkout.

use std::fmt::Write;
use std::path::Path;

fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    // A new file changes its directory's mtime: watch every directory.
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "nix") {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.push((rel, p.canonicalize().unwrap().to_string_lossy().into_owned()));
        }
    }
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let modules = Path::new(&manifest).join("../../modules");
    println!("cargo:rerun-if-changed={}", modules.display());
    let mut files = Vec::new();
    walk(&modules, &modules, &mut files);
    let mut code = String::from("pub static EMBEDDED_MODULES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs);
        writeln!(code, "    ({:?}, include_str!({:?})),", rel, abs).unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_modules.rs");
    std::fs::write(out, code).unwrap();
}
