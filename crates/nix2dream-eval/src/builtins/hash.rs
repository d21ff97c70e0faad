//! Hashes: `hashString`, `hashFile`, `convertHash`, and the encodings Nix
//! prints hashes in (base16, Nix's own base32, base64, SRI).
//!
//! The encodings themselves are in [`crate::store::path`].

use super::context::expect_str_no_ctx;
use super::primop;
use crate::error::{ErrorKind, EvalError, EvalResult};
use crate::value::*;
use crate::Evaluator;
use nix2dream_syntax::{Span, Symbol};

pub(crate) static PRIMOPS: &[PrimOp] = &[
    primop!("hashString", 2, hash_string),
    primop!("hashFile", 2, hash_file),
    primop!("convertHash", 1, convert_hash),
];

// The hash algorithms and the encodings live with the store, the lower
// layer that needs them for store paths; this module only adds builtins.
pub use crate::store::path::{base16_encode, base64_encode, nix32_decode, nix32_encode, nix32_len, HashAlgo};

/// Nix's lenient base64 decoder; `None` on a character outside the alphabet.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    crate::store::path::base64_decode(s).ok()
}

fn unknown_algo(name: &str, span: Span) -> EvalError {
    EvalError::new(ErrorKind::Other, format!("unknown hash algorithm '{}'", name), Some(span))
}

fn hash_string(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let algo_name = expect_str_no_ctx(ev, &args[0], span)?;
    let algo = HashAlgo::parse(&algo_name).ok_or_else(|| unknown_algo(&algo_name, span))?;
    let s = ev.expect_string(&args[1], span)?;
    Ok(Value::string(base16_encode(&algo.digest(s.as_bytes()))))
}

fn hash_file(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let algo_name = expect_str_no_ctx(ev, &args[0], span)?;
    let algo = HashAlgo::parse(&algo_name).ok_or_else(|| unknown_algo(&algo_name, span))?;
    let path = super::control::value_to_path(ev, &args[1], span)?;
    let bytes = ev
        .io
        .read_file(&path)
        .map_err(|e| EvalError::new(ErrorKind::Io, crate::read_file_message(&path, &e), Some(span)))?;
    Ok(Value::string(base16_encode(&algo.digest(&bytes))))
}

/// The output formats of `convertHash`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum HashFormat {
    Base16,
    Nix32,
    Base64,
    Sri,
}

/// A parsed hash: algorithm and digest.
pub struct Hash {
    pub algo: HashAlgo,
    pub bytes: Vec<u8>,
}

impl Hash {
    pub fn to_string(&self, format: HashFormat) -> String {
        match format {
            HashFormat::Base16 => base16_encode(&self.bytes),
            HashFormat::Nix32 => nix32_encode(&self.bytes),
            HashFormat::Base64 => base64_encode(&self.bytes),
            HashFormat::Sri => format!("{}-{}", self.algo.name(), base64_encode(&self.bytes)),
        }
    }

    /// `Hash::parseAny`: `algo:rest`, `algo-base64` (SRI) or a bare hash
    /// whose algorithm `algo` supplies; base16, base32 and base64 are told
    /// apart by length.
    pub fn parse_any(original: &str, algo: Option<HashAlgo>) -> Result<Hash, String> {
        let mut rest = original;
        let mut is_sri = false;
        let mut parsed = None;
        let prefix = if let Some((p, r)) = original.split_once(':') {
            rest = r;
            Some(p)
        } else if let Some((p, r)) = original.split_once('-') {
            rest = r;
            is_sri = true;
            Some(p)
        } else {
            None
        };
        if let Some(p) = prefix {
            parsed = Some(HashAlgo::parse(p).ok_or_else(|| unknown_algo_message(p))?);
        }
        let algo = match (parsed, algo) {
            (None, None) => {
                return Err(format!(
                    "hash '{}' does not include a type, nor is the type otherwise known from context",
                    rest
                ))
            }
            (Some(p), Some(a)) if p != a => return Err(format!("hash '{}' should have type '{}'", original, a.name())),
            (Some(p), _) => p,
            (None, Some(a)) => a,
        };
        let size = algo.size();
        let bytes = if !is_sri && rest.len() == size * 2 {
            let mut out = Vec::with_capacity(size);
            let b = rest.as_bytes();
            for i in 0..size {
                let hi = hex_digit(b[2 * i]).ok_or_else(|| format!("invalid base-16 hash '{}'", rest))?;
                let lo = hex_digit(b[2 * i + 1]).ok_or_else(|| format!("invalid base-16 hash '{}'", rest))?;
                out.push(hi << 4 | lo);
            }
            out
        } else if !is_sri && rest.len() == nix32_len(size) {
            nix32_decode(rest, size).ok_or_else(|| format!("invalid base-32 hash '{}'", rest))?
        } else if is_sri || rest.len() == size.div_ceil(3) * 4 {
            let d = base64_decode(rest).unwrap_or_default();
            if d.len() != size {
                return Err(format!("invalid {} hash '{}'", if is_sri { "SRI" } else { "base-64" }, rest));
            }
            d
        } else {
            return Err(format!("hash '{}' has wrong length for hash algorithm '{}'", rest, algo.name()));
        };
        Ok(Hash { algo, bytes })
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn unknown_algo_message(name: &str) -> String {
    format!("unknown hash algorithm '{}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'", name)
}

/// `convertHash { hash; toHashFormat; hashAlgo ? }` (current Nix).
fn convert_hash(ev: &mut Evaluator, args: &[Value], span: Span) -> EvalResult<Value> {
    let a = ev.expect_attrs(&args[0], span)?;
    let other = |m: String| EvalError::new(ErrorKind::Other, m, Some(span));
    let Some(hash_v) = a.get(Symbol::intern("hash")).cloned() else {
        return Err(EvalError::type_error("attribute 'hash' missing", span));
    };
    let hash = expect_str_no_ctx(ev, &hash_v, span)?;
    let algo = match a.get(Symbol::intern("hashAlgo")).cloned() {
        Some(v) => {
            let name = expect_str_no_ctx(ev, &v, span)?;
            Some(HashAlgo::parse(&name).ok_or_else(|| other(unknown_algo_message(&name)))?)
        }
        None => None,
    };
    let Some(format_v) = a.get(Symbol::intern("toHashFormat")).cloned() else {
        return Err(EvalError::type_error("attribute 'toHashFormat' missing", span));
    };
    let format_name = expect_str_no_ctx(ev, &format_v, span)?;
    let format = match &*format_name {
        "base16" => HashFormat::Base16,
        "nix32" => HashFormat::Nix32,
        "base32" => {
            ev.trace("warning: \"base32\" is a deprecated alias for hash format \"nix32\".".to_string());
            HashFormat::Nix32
        }
        "base64" => HashFormat::Base64,
        "sri" => HashFormat::Sri,
        _ => {
            return Err(other(format!(
                "unknown hash format '{}', expect 'base16', 'base32', 'base64', or 'sri'",
                format_name
            )))
        }
    };
    let parsed = Hash::parse_any(&hash, algo).map_err(other)?;
    Ok(Value::string(parsed.to_string(format)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix32_round_trips() {
        let h = HashAlgo::Sha256.digest(b"abc");
        let s = nix32_encode(&h);
        assert_eq!(s, "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
        assert_eq!(nix32_decode(&s, 32).unwrap(), h);
    }

    #[test]
    fn base64_round_trips() {
        for n in 0..10 {
            let data: Vec<u8> = (0..n).map(|i: u8| i.wrapping_mul(37)).collect();
            assert_eq!(base64_decode(&base64_encode(&data)).unwrap(), data);
        }
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
    }
}
