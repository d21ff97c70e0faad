//! Parse, lower and evaluate arbitrary text under a fuel limit, in memory.
//! Any panic or crash is a bug; evaluation errors are expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nix2dream_eval::{EvalOptions, Evaluator, MemoryFs};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if text.len() > 4096 {
        return;
    }
    let mut fs = MemoryFs::new();
    fs.add_file("/fuzz/other.nix", "{ a = 1; f = x: x + 1; }");
    let options = EvalOptions { max_depth: 20_000, ..EvalOptions::default() };
    let mut ev = Evaluator::new(Box::new(fs), options);
    ev.set_fuel(Some(20_000));
    if let Ok(v) = ev.eval_string(text, "«fuzz»") {
        let _ = ev.force_deep(&v);
        let _ = nix2dream_eval::print::print_value(&mut ev, &v, true);
        let mut out = String::new();
        let mut ctx = Default::default();
        let span = nix2dream_syntax::Span::new(nix2dream_syntax::FileId(0), 0, 0);
        let _ = nix2dream_eval::print::write_json(&mut ev, &v, span, &mut out, &mut ctx);
    }
});
