//! The `nix2dream` binary. It owns the terminal: stdout carries data only,
//! stderr diagnostics. See `../../shared/CONTRACT.md` for the interface.

#[cfg(not(n2d_system_alloc))]
mod allocator;
mod config_cmd;
mod deployment_args;
mod eval_cmd;
mod options_cmd;
mod render_cmd;
mod up_cmd;

// The evaluator allocates a thunk or an environment per call; mimalloc is
// measurably faster than glibc malloc for that pattern (see benches/ and
// allocator.rs).
// Heap profilers such as heaptrack see only the system allocator: build
// with RUSTFLAGS="--cfg n2d_system_alloc" (and another CARGO_TARGET_DIR)
// to profile allocations.
#[cfg(not(n2d_system_alloc))]
#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

use std::process::ExitCode;

const USAGE: &str = "\
usage: nix2dream <command> [args]

commands:
  eval [FILE | - | -E EXPR] [-A ATTRPATH] [--strict] [--json]
       [--arg NAME EXPR] [--argstr NAME STRING] [-I [NAME=]PATH] [--pure] [--parse]
                      evaluate a Nix expression (a drop-in for nix-instantiate --eval);
                      --parse prints the parsed expression instead
  config DEPLOYMENT.nix [--json] [--show-trace]
                      the typed deployment (services with every setting)
  render --target TARGET DEPLOYMENT.nix [--out DIR] [--show-trace]
                      write a target's files; TARGET: procfile (compose,
                      kubernetes, systemd, nixos, vm, oci: not implemented yet)
  up DEPLOYMENT.nix [--only SERVICE[,SERVICE...]] [--timestamps] [--color | --no-color] [--show-trace]
                      run the deployment on this machine until Ctrl-C
  options [--json]    every deployment option with its type, default and description
";

/// Run an evaluating command on a thread with a 1 GiB stack. The evaluator
/// grows its stack on demand (stacker) in any case, but every new segment
/// is fresh memory the kernel must zero, and module-system evaluation
/// crosses the 8 MiB main stack's end thousands of times: profiles showed
/// 60% of the time in page clearing. Reserved stack pages stay mapped, so
/// they are zeroed once at most.
fn on_evaluation_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        match std::thread::Builder::new().name("eval".into()).stack_size(1 << 30).spawn_scoped(scope, f) {
            Ok(handle) => match handle.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(e) => {
                eprintln!("error: could not start the evaluation thread: {}", e);
                std::process::exit(1)
            }
        }
    })
}

fn main() -> ExitCode {
    // A panic is a bug in nix2dream, never the user's fault: say so in one
    // line (no backtrace noise unless RUST_BACKTRACE asks for it) and exit
    // with 1 like any other failure.
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            eprintln!(
                "error: internal error in nix2dream{}: {}
(this is a bug; please report it with the input that caused it)",
                place, msg
            );
            std::process::exit(1);
        }));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{}", USAGE);
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "eval" => on_evaluation_stack(|| eval_cmd::run(rest)),
        "config" => on_evaluation_stack(|| config_cmd::run(rest)),
        "render" => on_evaluation_stack(|| render_cmd::run(rest)),
        "up" => up_cmd::run(rest),
        "options" => on_evaluation_stack(|| options_cmd::run(rest)),
        // The per-service process leader of `up` (see nix2dream-supervisor).
        "__leader" => return ExitCode::from(nix2dream_supervisor::process::leader_main(rest).clamp(0, 255) as u8),
        "-h" | "--help" | "help" => {
            print!("{}", USAGE);
            return ExitCode::SUCCESS;
        }
        "--version" | "version" => {
            println!("nix2dream {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("error: unknown command '{}'\n\n{}", other, USAGE);
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {:#}", e);
            ExitCode::from(1)
        }
    }
}
