//! The virtual store's public API: what evaluation adds to the store, with
//! contents, references and parsed derivations, and ATerm texts that are
//! byte-for-byte those C++ Nix 2.8 writes.

use nix2dream_eval::store::{DerivationOutput, FileTree, ObjectKind};
use nix2dream_eval::{EvalOptions, Evaluator, MemoryFs, RealFs, Value};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/derivations/_data").canonicalize().unwrap()
}

fn eval_str(ev: &mut Evaluator, src: &str) -> String {
    let v = ev.eval_string(src, "«test»").unwrap_or_else(|e| panic!("{}", e));
    match ev.force(&v).unwrap() {
        Value::String(s) => s.as_str().to_string(),
        _ => panic!("not a string"),
    }
}

fn drv_text(ev: &Evaluator, path: &str) -> String {
    match &ev.store.get(path).expect("drv in store").tree {
        FileTree::Regular { contents, .. } => String::from_utf8(contents.to_vec()).unwrap(),
        _ => panic!("drv is not a file"),
    }
}

#[test]
fn aterm_matches_cpp_nix() {
    let mut ev = Evaluator::with_real_fs();
    let src = r#"
      let
        tool = derivation { name = "tool"; system = "x86_64-linux"; builder = "/bin/sh"; };
        src = derivation {
          name = "src"; system = "x86_64-linux"; builder = "/bin/sh"; inp = tool;
          outputHash = "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="; outputHashMode = "recursive";
        };
        build = derivation { name = "build"; system = "x86_64-linux"; builder = "/bin/sh"; inherit src; };
        final = derivation { name = "final"; system = "x86_64-linux"; builder = "/bin/sh"; inherit build src; };
      in final.drvPath + " " + src.drvPath
    "#;
    let out = eval_str(&mut ev, src);
    let (final_drv, src_drv) = out.split_once(' ').unwrap();
    assert_eq!(final_drv, "/nix/store/3m1p7im3275vj3m462q2p0fnzs0gpmii-final.drv");
    assert_eq!(
        drv_text(&ev, final_drv),
        r#"Derive([("out","/nix/store/4bn6gqlmj29mbfngh4x6qdybqv132v51-final","","")],[("/nix/store/4i8vmh8419ys4g905bmvs2ms9x9a0ixb-src.drv",["out"]),("/nix/store/fc35qri3bxszkf88zlbhz4w4lddq1njf-build.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("build","/nix/store/z91qlcrjwypyh16zr4p60321b7pqywjx-build"),("builder","/bin/sh"),("name","final"),("out","/nix/store/4bn6gqlmj29mbfngh4x6qdybqv132v51-final"),("src","/nix/store/cmrpiyb547fs0hzhv9f1c3svz72hl2gd-src"),("system","x86_64-linux")])"#
    );
    assert_eq!(
        drv_text(&ev, src_drv),
        r#"Derive([("out","/nix/store/cmrpiyb547fs0hzhv9f1c3svz72hl2gd-src","r:sha256","2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")],[("/nix/store/gb1v7d0d58h0924aka8axgsz1rrcf8pw-tool.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("inp","/nix/store/s2m34blvlx7l25p7ilhi8gh1fcawbvl8-tool"),("name","src"),("out","/nix/store/cmrpiyb547fs0hzhv9f1c3svz72hl2gd-src"),("outputHash","sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564="),("outputHashMode","recursive"),("system","x86_64-linux")])"#
    );
    let d = ev.store.derivation(src_drv).unwrap();
    assert!(d.is_fixed_output());
    assert!(matches!(d.outputs["out"], DerivationOutput::Fixed { .. }));
    // The closure of the final .drv holds every .drv it was built from.
    let closure = ev.store.closure([final_drv]);
    assert_eq!(closure.iter().filter(|p| p.ends_with(".drv")).count(), 4);
}

#[test]
fn aterm_escapes_and_sources() {
    let mut ev = Evaluator::with_real_fs();
    let tree = data_dir().join("tree");
    let src = format!(
        r#"(derivation {{ name = "chainx"; system = "x86_64-linux"; builder = "/bin/sh";
              esc = "a\"b\\c\nd\te"; args = ["-c" "x\ny"]; src = {}; }}).drvPath"#,
        tree.display()
    );
    let drv = eval_str(&mut ev, &src);
    let text = drv_text(&ev, &drv);
    assert!(
        text.contains(r#"["/nix/store/pj81gc9s0jm1zdbx4vfaiwhxqhiy944s-tree"],"x86_64-linux","/bin/sh",["-c","x\ny"]"#),
        "{}",
        text
    );
    assert!(text.contains(r#"("esc","a\"b\\c\nd\te")"#), "{}", text);
    // The copied directory is kept with its contents.
    let obj = ev.store.get("/nix/store/pj81gc9s0jm1zdbx4vfaiwhxqhiy944s-tree").unwrap();
    assert!(matches!(obj.kind, ObjectKind::Source { .. }));
    match obj.tree.lookup("b/run.sh").unwrap() {
        FileTree::Regular { executable, contents } => {
            assert!(*executable);
            assert_eq!(&contents[..], b"#!/bin/sh\ntrue\n");
        }
        other => panic!("{:?}", other),
    }
    assert_eq!(obj.tree.lookup("link"), Some(&FileTree::Symlink { target: "a.txt".into() }));
    let mut names = Vec::new();
    obj.tree.walk(&mut |rel, _| names.push(rel.to_string()));
    assert_eq!(names, ["", "a.txt", "b", "b/c.txt", "b/run.sh", "empty", "link", "skip.me"]);
    assert_eq!(
        ev.store.lookup_file("/nix/store/pj81gc9s0jm1zdbx4vfaiwhxqhiy944s-tree/b/c.txt"),
        Some(&FileTree::file(&b"c\n"[..]))
    );
}

#[test]
fn to_file_contents_and_references() {
    let mut ev = Evaluator::with_real_fs();
    let b = eval_str(&mut ev, r#"let a = builtins.toFile "a" "first"; in builtins.toFile "b" "see ${a}""#);
    let obj = ev.store.get(&b).unwrap();
    assert_eq!(obj.kind, ObjectKind::Text);
    let a: Vec<&String> = obj.references.iter().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(obj.tree, FileTree::file(format!("see {}", a[0]).into_bytes()));
    assert_eq!(ev.store.closure([b.as_str()]).len(), 2);
}

#[test]
fn memory_fs_sources() {
    let mut fs = MemoryFs::new();
    fs.add_file("/src/hello.txt", "Hello, world!\n");
    let mut ev = Evaluator::new(Box::new(fs), EvalOptions::default());
    // Same store path as the real file with the same name and contents.
    assert_eq!(eval_str(&mut ev, r#""${/src/hello.txt}""#), "/nix/store/xrabnx1r49hn890prhx86h6iyn19p976-hello.txt");
}

#[test]
fn pure_mode_restricts_reads() {
    let data = data_dir();
    let options = EvalOptions { pure: true, allowed_roots: vec![data.join("tree")], ..EvalOptions::default() };
    let mut ev = Evaluator::new(Box::new(RealFs), options);
    let ok = format!(r#""${{{}}}""#, data.join("tree").display());
    assert_eq!(eval_str(&mut ev, &ok), "/nix/store/pj81gc9s0jm1zdbx4vfaiwhxqhiy944s-tree");
    let denied = format!(r#"builtins.readFile {}"#, data.join("hello.txt").display());
    let err = ev.eval_string(&denied, "«test»").expect_err("read outside the allowed roots must fail");
    assert!(err.message().contains("forbidden in pure eval mode"), "{}", err.message());
    let fetch = ev.eval_string(r#"builtins.fetchurl "https://example.org/x.tar.gz""#, "«test»").err().unwrap();
    assert!(fetch.message().contains("requires a 'sha256' argument"), "{}", fetch.message());
}

#[test]
fn fetchers_are_offline_unless_pinned_in_store() {
    let mut ev = Evaluator::with_real_fs();
    let err = ev.eval_string(r#"builtins.fetchurl "https://example.org/x""#, "«test»").err().unwrap();
    assert!(err.message().contains("network access is disabled"), "{}", err.message());
    assert!(err.span().is_some());
    // A pinned result the store already has is returned.
    let hello = data_dir().join("hello.txt");
    let added = eval_str(&mut ev, &format!(r#"builtins.path {{ path = {}; recursive = false; }}"#, hello.display()));
    let got = eval_str(
        &mut ev,
        r#"builtins.fetchurl { url = "https://example.org/hello.txt"; sha256 = "d9014c4624844aa5bac314773d6b689ad467fa4e1d1a50a1b8a99d5a95f72ff5"; }"#,
    );
    assert_eq!(got, added);
}
