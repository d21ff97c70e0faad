//! nix2dream-core: the typed service model. A deployment file is a Nix
//! module; evaluated with `modules/core` it becomes a [`Deployment`] of
//! [`Service`]s, which every target (the renderers, the supervisor) reads.
//!
//! Start reading at [`model`] (the types), then [`load::load_deployment`]
//! (evaluate, extract, check). [`extract`] reads the evaluated
//! configuration option by option; [`validate`] checks what the option types
//! cannot see alone (unknown services in `dependsOn`, cycles, ports
//! published twice); [`locate`] finds the `file:line` that set a rejected
//! value. [`options`] documents the options themselves (type, default,
//! description, where each is declared) for `nix2dream options` and
//! editors.
//!
//! Architecture invariant: this crate never prints and never touches
//! processes; problems are data ([`problem::Problem`], [`LoadError`]).

pub mod duration;
pub mod extract;
pub mod load;
pub mod local;
pub mod locate;
pub mod model;
pub mod options;
pub mod problem;
pub mod read;
pub mod validate;

pub use load::{load_deployment, Loaded};
pub use model::*;
pub use problem::{LoadError, Location, ModuleError, Problem};
