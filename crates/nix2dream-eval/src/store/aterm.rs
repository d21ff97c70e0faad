//! Store derivations and their ATerm serialisation (`Derive([...])`), as
//! `Derivation::unparse` writes them in C++ Nix.

use super::path::{FileIngestionMethod, Hash};
use std::collections::{BTreeMap, BTreeSet};

/// One output of a derivation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerivationOutput {
    /// The usual case: the path follows from the derivation's hash.
    InputAddressed { path: String },
    /// `outputHash`: the path follows from the expected content hash.
    Fixed { method: FileIngestionMethod, hash: Hash, path: String },
    /// Not known yet (only while computing the hash modulo).
    Deferred,
}

impl DerivationOutput {
    pub fn path(&self) -> Option<&str> {
        match self {
            DerivationOutput::InputAddressed { path } | DerivationOutput::Fixed { path, .. } => Some(path),
            DerivationOutput::Deferred => None,
        }
    }
}

/// A store derivation (`.drv`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Derivation {
    pub name: String,
    pub outputs: BTreeMap<String, DerivationOutput>,
    /// Input derivation path → the outputs used.
    pub input_drvs: BTreeMap<String, BTreeSet<String>>,
    pub input_srcs: BTreeSet<String>,
    pub platform: String,
    pub builder: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

impl Derivation {
    /// Is this a fixed-output derivation?
    pub fn is_fixed_output(&self) -> bool {
        !self.outputs.is_empty() && self.outputs.values().all(|o| matches!(o, DerivationOutput::Fixed { .. }))
    }

    /// The references of the `.drv` file: sources and input derivations.
    pub fn references(&self) -> BTreeSet<String> {
        let mut refs = self.input_srcs.clone();
        refs.extend(self.input_drvs.keys().cloned());
        refs
    }

    /// The ATerm text. With `mask_outputs`, output paths and the
    /// environment variables named after outputs are empty; with
    /// `actual_inputs`, those replace `input_drvs` (the hash-modulo form).
    pub fn unparse(&self, mask_outputs: bool, actual_inputs: Option<&BTreeMap<String, BTreeSet<String>>>) -> String {
        let mut s = String::with_capacity(256);
        s.push_str("Derive([");
        for (i, (name, out)) in self.outputs.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push('(');
            unquoted(&mut s, name);
            let (path, algo, hash) = match out {
                DerivationOutput::InputAddressed { path } => {
                    (if mask_outputs { String::new() } else { path.clone() }, String::new(), String::new())
                }
                DerivationOutput::Fixed { method, hash, path } => (
                    if mask_outputs { String::new() } else { path.clone() },
                    format!("{}{}", method.prefix(), hash.algo.name()),
                    hash.to_base16(),
                ),
                DerivationOutput::Deferred => (String::new(), String::new(), String::new()),
            };
            s.push(',');
            unquoted(&mut s, &path);
            s.push(',');
            unquoted(&mut s, &algo);
            s.push(',');
            unquoted(&mut s, &hash);
            s.push(')');
        }
        s.push_str("],[");
        let inputs = actual_inputs.unwrap_or(&self.input_drvs);
        for (i, (path, outs)) in inputs.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push('(');
            unquoted(&mut s, path);
            s.push(',');
            unquoted_list(&mut s, outs.iter());
            s.push(')');
        }
        s.push_str("],");
        unquoted_list(&mut s, self.input_srcs.iter());
        s.push(',');
        unquoted(&mut s, &self.platform);
        s.push(',');
        quoted(&mut s, &self.builder);
        s.push(',');
        s.push('[');
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            quoted(&mut s, a);
        }
        s.push(']');
        s.push_str(",[");
        for (i, (k, v)) in self.env.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push('(');
            quoted(&mut s, k);
            s.push(',');
            let masked = mask_outputs && self.outputs.contains_key(k);
            quoted(&mut s, if masked { "" } else { v });
            s.push(')');
        }
        s.push_str("])");
        s
    }
}

fn unquoted(s: &mut String, v: &str) {
    s.push('"');
    s.push_str(v);
    s.push('"');
}

fn unquoted_list<'a>(s: &mut String, items: impl Iterator<Item = &'a String>) {
    s.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            s.push(',');
        }
        unquoted(s, v);
    }
    s.push(']');
}

fn quoted(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c => s.push(c),
        }
    }
    s.push('"');
}
