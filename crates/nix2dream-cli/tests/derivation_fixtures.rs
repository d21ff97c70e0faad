//! Differential tests of derivations and the virtual store against outputs
//! recorded from C++ Nix 2.8 (`fixtures/derivations/`): `.drv` and output
//! paths (input-addressed, fixed-output, multiple outputs, chains),
//! `toFile`, path literals copied to the store, `builtins.path`,
//! `filterSource`, `placeholder`. Input files live in
//! `fixtures/derivations/_data/`; their store paths depend only on their
//! names, contents and executable bits, so they are stable across
//! checkouts. Record with
//! `FIXTURE_AREA=derivations fixtures/eval-tools/record.sh`.

mod common;

#[test]
fn derivation_fixtures_match_recorded_nix_output() {
    common::check_recorded_area("derivations", 50);
}

#[test]
fn derivation_fixtures_agree_with_nix_instantiate() {
    common::check_area_against_oracle("derivations");
}

#[test]
fn derivation_fixture_data_is_as_recorded() {
    // The recorded store paths depend on the executable bits and the
    // symlink in `_data/`; a checkout that lost them cannot pass.
    let data = common::fixtures_dir("derivations").join("_data");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| std::fs::metadata(data.join(p)).unwrap().permissions().mode();
    assert!(mode("script.sh") & 0o100 != 0, "_data/script.sh must be executable");
    assert!(mode("builder.sh") & 0o100 != 0, "_data/builder.sh must be executable");
    assert!(mode("tree/b/run.sh") & 0o100 != 0, "_data/tree/b/run.sh must be executable");
    assert!(mode("script-noexec.sh") & 0o100 == 0, "_data/script-noexec.sh must not be executable");
    assert!(mode("hello.txt") & 0o100 == 0, "_data/hello.txt must not be executable");
    let link = std::fs::symlink_metadata(data.join("tree/link")).unwrap();
    assert!(link.file_type().is_symlink(), "_data/tree/link must be a symlink");
}
