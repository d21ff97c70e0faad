//! nix2dream-supervisor: `nix2dream up`, a process supervisor for a typed
//! deployment. It starts service instances in dependency order (a
//! dependent starts once its dependencies meet their condition), runs
//! health checks, restarts per policy with backoff, prefixes every output
//! line with the instance name, and on SIGINT/SIGTERM stops dependents
//! before their dependencies: the stop signal to each whole process group,
//! SIGKILL after the grace period.
//!
//! Start reading at [`supervisor::up`]; [`process`] explains the process
//! tree (a leader per instance, so nothing survives `up`, even `kill -9`).
//!
//! Architecture invariant: this crate and the CLI are the only ones that
//! start processes, send signals or write to the terminal. It reads the
//! deployment only through `nix2dream-core`'s types and writes its
//! entrypoints with `nix2dream-render`, so `up` and the Procfile target
//! run the same scripts.

pub mod printer;
pub mod probe;
pub mod process;
pub mod supervisor;

pub use supervisor::{up, Summary, UpError, UpOptions};
