//! The `nix2dream` binary. It owns the terminal: stdout carries data only,
//! stderr diagnostics. See `../../shared/CONTRACT.md` for the interface.

mod eval_cmd;

// The evaluator allocates a thunk or an environment per call; mimalloc is
// measurably faster than glibc malloc for that pattern (see benches/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

const USAGE: &str = "\
usage: nix2dream <command> [args]

commands:
  eval [FILE | -E EXPR] [-A ATTRPATH] [--strict] [--json]
       [--arg NAME EXPR] [--argstr NAME STRING] [-I [NAME=]PATH] [--pure]
                      evaluate a Nix expression (a drop-in for nix-instantiate --eval)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{}", USAGE);
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "eval" => eval_cmd::run(rest),
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
