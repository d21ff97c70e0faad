//! nix2dream-modules: the NixOS module system's hot paths, natively.
//!
//! `modules/lib/modules.nix` is the reference implementation of
//! `evalModules` (it is what `nix-instantiate` runs when it evaluates our
//! lib). When nix2dream evaluates it, [`install`] has put native versions
//! of its per-option work into `builtins.__nix2dreamModules`, and
//! `modules.nix` uses them instead of its own Nix code. Start reading at
//! `native` (`src/native/mod.rs`).
//!
//! Architecture invariant: this crate plugs into the evaluator through
//! `Evaluator::register_primop`; the evaluator knows nothing of it.

mod native;

/// Make the native module-system builtins available to `modules/lib`.
pub fn install(ev: &mut nix2dream_eval::Evaluator) {
    native::install(ev);
}
