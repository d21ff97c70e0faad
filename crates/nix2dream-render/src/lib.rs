//! nix2dream-render: the targets. Each renderer is a pure function from the
//! typed deployment ([`nix2dream_core::Deployment`]) to [`files::Rendered`]:
//! file paths with their contents, plus notes on what the target cannot
//! express. Only [`files::write_all`] touches the disk (atomically).
//!
//! Start reading at [`procfile::render`], then [`entrypoint`], the script
//! every service instance starts through (under `nix2dream up` too).
//!
//! Architecture invariant: renderers never read the disk, the clock or the
//! environment; the same deployment renders to the same bytes. The crate
//! never prints.

pub mod entrypoint;
pub mod files;
pub mod procfile;
pub mod shell;

pub use files::{write_all, Contents, Rendered, RenderedFile, WriteError};
