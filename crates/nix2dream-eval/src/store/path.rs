//! Hashes and store paths, computed exactly as C++ Nix computes them:
//! Nix's base-32 alphabet, hash parsing in every encoding Nix accepts,
//! `makeStorePath` and its fixed-output, text and output variants.

use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeSet;
use std::fmt;

/// The store directory of the (virtual) store.
pub const STORE_DIR: &str = "/nix/store";

/// Longest allowed name of a store path.
pub const MAX_NAME_LEN: usize = 211;

const NIX32_CHARS: &[u8; 32] = b"0123456789abcdfghijklmnpqrsvwxyz";
const BASE64_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Length of the Nix base-32 form of `size` bytes.
pub fn nix32_len(size: usize) -> usize {
    (size * 8).saturating_sub(1) / 5 + 1
}

/// Nix's base-32 ("nix32") encoding of a byte string.
pub fn nix32_encode(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let len = nix32_len(bytes.len());
    let mut s = String::with_capacity(len);
    for n in (0..len).rev() {
        let b = n * 5;
        let i = b / 8;
        let j = b % 8;
        let mut c = (bytes[i] as u16) >> j;
        if i + 1 < bytes.len() {
            c |= (bytes[i + 1] as u16) << (8 - j);
        }
        s.push(NIX32_CHARS[(c & 0x1f) as usize] as char);
    }
    s
}

/// Decode Nix base-32 into `size` bytes; `None` on a bad character or
/// non-zero overflow bits.
pub fn nix32_decode(s: &str, size: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; size];
    let bytes = s.as_bytes();
    for n in 0..bytes.len() {
        let c = bytes[bytes.len() - n - 1];
        let digit = NIX32_CHARS.iter().position(|&x| x == c)? as u16;
        let b = n * 5;
        let i = b / 8;
        let j = b % 8;
        if i >= size {
            return None;
        }
        out[i] |= (digit << j) as u8;
        let carry = digit >> (8 - j);
        if i + 1 < size {
            out[i + 1] |= carry as u8;
        } else if carry != 0 {
            return None;
        }
    }
    Some(out)
}

pub fn base16_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut s = String::new();
    let (mut data, mut nbits) = (0u32, 0u32);
    for &b in bytes {
        data = data << 8 | b as u32;
        nbits += 8;
        while nbits >= 6 {
            nbits -= 6;
            s.push(BASE64_CHARS[((data >> nbits) & 0x3f) as usize] as char);
        }
    }
    if nbits > 0 {
        s.push(BASE64_CHARS[((data << (6 - nbits)) & 0x3f) as usize] as char);
    }
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}

/// C++ Nix's lenient base-64 decoder (stops at `=`, skips newlines).
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut res = Vec::new();
    let (mut d, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        if c == b'=' {
            break;
        }
        if c == b'\n' {
            continue;
        }
        let digit = match BASE64_CHARS.iter().position(|&x| x == c) {
            Some(p) => p as u32,
            None => return Err(format!("invalid character in Base64 string: '{}'", c as char)),
        };
        bits += 6;
        d = d << 6 | digit;
        if bits >= 8 {
            res.push((d >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Ok(res)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgo {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl HashAlgo {
    pub fn parse(s: &str) -> Option<HashAlgo> {
        match s {
            "md5" => Some(HashAlgo::Md5),
            "sha1" => Some(HashAlgo::Sha1),
            "sha256" => Some(HashAlgo::Sha256),
            "sha512" => Some(HashAlgo::Sha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha512 => "sha512",
        }
    }

    pub fn size(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
            HashAlgo::Sha512 => 64,
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        match self {
            HashAlgo::Md5 => md5::Md5::digest(data).to_vec(),
            HashAlgo::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlgo::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgo::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

/// A hash with its algorithm.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash {
    pub algo: HashAlgo,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_sri())
    }
}

impl Hash {
    pub fn zero(algo: HashAlgo) -> Hash {
        Hash { algo, bytes: vec![0; algo.size()] }
    }

    pub fn sha256(data: &[u8]) -> Hash {
        Hash { algo: HashAlgo::Sha256, bytes: Sha256::digest(data).to_vec() }
    }

    /// Hash `data` with `algo`; only the SHA-2 family is computed here.
    pub fn compute(algo: HashAlgo, data: &[u8]) -> Option<Hash> {
        match algo {
            HashAlgo::Sha256 => Some(Hash::sha256(data)),
            HashAlgo::Sha512 => Some(Hash { algo, bytes: Sha512::digest(data).to_vec() }),
            _ => None,
        }
    }

    pub fn to_base16(&self) -> String {
        base16_encode(&self.bytes)
    }

    pub fn to_nix32(&self) -> String {
        nix32_encode(&self.bytes)
    }

    pub fn to_sri(&self) -> String {
        format!("{}-{}", self.algo.name(), base64_encode(&self.bytes))
    }

    /// `algo:base16`, as `Hash::to_string(Base16, true)`.
    pub fn to_typed_base16(&self) -> String {
        format!("{}:{}", self.algo.name(), self.to_base16())
    }

    fn base16_len(algo: HashAlgo) -> usize {
        algo.size() * 2
    }

    fn base32_len(algo: HashAlgo) -> usize {
        (algo.size() * 8 - 1) / 5 + 1
    }

    fn base64_len(algo: HashAlgo) -> usize {
        ((4 * algo.size() / 3) + 3) & !3
    }

    /// `Hash::parseAny`: `algo:HASH`, SRI `algo-BASE64`, or a bare hash
    /// (base16, nix32 or base64, told apart by length) of type `algo`.
    pub fn parse_any(original: &str, algo: Option<HashAlgo>) -> Result<Hash, String> {
        let mut rest = original;
        let mut is_sri = false;
        let mut parsed: Option<HashAlgo> = None;
        if let Some((prefix, r)) = original.split_once(':') {
            rest = r;
            parsed = HashAlgo::parse(prefix);
        } else if let Some((prefix, r)) = original.split_once('-') {
            rest = r;
            is_sri = true;
            parsed = HashAlgo::parse(prefix);
        }
        let algo = match (parsed, algo) {
            (None, None) => {
                return Err(format!(
                    "hash '{}' does not include a type, nor is the type otherwise known from context",
                    rest
                ))
            }
            (Some(p), Some(a)) if p != a => {
                return Err(format!("hash '{}' should have type '{}'", original, a.name()));
            }
            (Some(p), _) => p,
            (None, Some(a)) => a,
        };
        Hash::parse_bare(rest, algo, is_sri)
    }

    /// A hash without type prefix, of a known type.
    pub fn parse_bare(rest: &str, algo: HashAlgo, is_sri: bool) -> Result<Hash, String> {
        let size = algo.size();
        if !is_sri && rest.len() == Hash::base16_len(algo) {
            let mut bytes = Vec::with_capacity(size);
            let digit = |c: u8| -> Result<u8, String> {
                match c {
                    b'0'..=b'9' => Ok(c - b'0'),
                    b'a'..=b'f' => Ok(c - b'a' + 10),
                    b'A'..=b'F' => Ok(c - b'A' + 10),
                    _ => Err(format!("invalid base-16 hash '{}'", rest)),
                }
            };
            let b = rest.as_bytes();
            for i in 0..size {
                bytes.push(digit(b[2 * i])? << 4 | digit(b[2 * i + 1])?);
            }
            Ok(Hash { algo, bytes })
        } else if !is_sri && rest.len() == Hash::base32_len(algo) {
            match nix32_decode(rest, size) {
                Some(bytes) => Ok(Hash { algo, bytes }),
                None => Err(format!("invalid base-32 hash '{}'", rest)),
            }
        } else if is_sri || rest.len() == Hash::base64_len(algo) {
            let d = base64_decode(rest)?;
            if d.len() != size {
                return Err(format!("invalid {} hash '{}'", if is_sri { "SRI" } else { "base-64" }, rest));
            }
            Ok(Hash { algo, bytes: d })
        } else {
            Err(format!("hash '{}' has wrong length for hash type '{}'", rest, algo.name()))
        }
    }
}

/// XOR-fold a hash into `size` bytes (`compressHash`).
pub fn compress_hash(bytes: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    for (i, b) in bytes.iter().enumerate() {
        out[i % size] ^= b;
    }
    out
}

/// How the contents of a fixed-output path are hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileIngestionMethod {
    /// The hash of the file's contents.
    Flat,
    /// The hash of the NAR serialisation.
    Recursive,
}

impl FileIngestionMethod {
    /// `makeFileIngestionPrefix`.
    pub fn prefix(self) -> &'static str {
        match self {
            FileIngestionMethod::Flat => "",
            FileIngestionMethod::Recursive => "r:",
        }
    }
}

/// Check a store path name as `StorePath`'s constructor does; `base` is
/// the `HASH-name` shown in the message.
pub fn check_name(base: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("store path '{}' has an empty name", base));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("store path '{}' has a name longer than {} characters", base, MAX_NAME_LEN));
    }
    for c in name.chars() {
        let ok = c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_' | '?' | '=');
        if !ok {
            return Err(format!("store path '{}' contains illegal character '{}'", base, c));
        }
    }
    Ok(())
}

/// `makeStorePath(type, hash, name)`.
pub fn make_store_path(ty: &str, hash: &Hash, name: &str) -> Result<String, String> {
    let s = format!("{}:{}:{}:{}", ty, hash.to_typed_base16(), STORE_DIR, name);
    let h = compress_hash(&Hash::sha256(s.as_bytes()).bytes, 20);
    let base = format!("{}-{}", nix32_encode(&h), name);
    check_name(&base, name)?;
    Ok(format!("{}/{}", STORE_DIR, base))
}

/// `makeType`: a type tag followed by the references.
fn make_type(ty: &str, references: &BTreeSet<String>, self_ref: bool) -> String {
    let mut s = ty.to_string();
    for r in references {
        s.push(':');
        s.push_str(r);
    }
    if self_ref {
        s.push_str(":self");
    }
    s
}

/// `makeFixedOutputPath`.
pub fn make_fixed_output_path(
    method: FileIngestionMethod,
    hash: &Hash,
    name: &str,
    references: &BTreeSet<String>,
) -> Result<String, String> {
    if hash.algo == HashAlgo::Sha256 && method == FileIngestionMethod::Recursive {
        make_store_path(&make_type("source", references, false), hash, name)
    } else {
        let inner = format!("fixed:out:{}{}:", method.prefix(), hash.to_typed_base16());
        make_store_path("output:out", &Hash::sha256(inner.as_bytes()), name)
    }
}

/// `makeTextPath`: `builtins.toFile` and `.drv` files.
pub fn make_text_path(name: &str, hash: &Hash, references: &BTreeSet<String>) -> Result<String, String> {
    make_store_path(&make_type("text", references, false), hash, name)
}

/// `makeOutputPath`: the path of output `id` of an input-addressed
/// derivation.
pub fn make_output_path(id: &str, hash: &Hash, drv_name: &str) -> Result<String, String> {
    let name = if id == "out" { drv_name.to_string() } else { format!("{}-{}", drv_name, id) };
    make_store_path(&format!("output:{}", id), hash, &name)
}

/// `builtins.placeholder`: `/` + nix32(sha256("nix-output:" + output)).
pub fn hash_placeholder(output: &str) -> String {
    format!("/{}", Hash::sha256(format!("nix-output:{}", output).as_bytes()).to_nix32())
}

/// Is `path` directly a store path (`/nix/store/HASH-name`, no subpath)?
pub fn is_store_path(path: &str) -> bool {
    parse_store_path(path).is_some()
}

/// Split a store path into hash part and name.
pub fn parse_store_path(path: &str) -> Option<(&str, &str)> {
    let base = path.strip_prefix(STORE_DIR)?.strip_prefix('/')?;
    if base.contains('/') || base.len() < 34 || base.as_bytes()[32] != b'-' {
        return None;
    }
    let (hash, name) = (&base[..32], &base[33..]);
    if !hash.bytes().all(|c| NIX32_CHARS.contains(&c)) || check_name(base, name).is_err() {
        return None;
    }
    Some((hash, name))
}

/// The store path a path inside the store belongs to, and the rest.
pub fn to_store_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(STORE_DIR)?.strip_prefix('/')?;
    let (base, sub) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let sp = format!("{}/{}", STORE_DIR, base);
    if is_store_path(&sp) {
        Some((sp, sub.to_string()))
    } else {
        None
    }
}

/// `isInStore`: below the store directory.
pub fn is_in_store(path: &str) -> bool {
    path.strip_prefix(STORE_DIR).map(|r| r.starts_with('/') && r.len() > 1).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix32_roundtrip() {
        let h = Hash::sha256(b"hello");
        let s = h.to_nix32();
        assert_eq!(s.len(), 52);
        assert_eq!(nix32_decode(&s, 32).unwrap(), h.bytes);
    }

    #[test]
    fn placeholder_out() {
        assert_eq!(hash_placeholder("out"), "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9");
    }

    #[test]
    fn sri_parse() {
        let h = Hash::parse_any("sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=", None).unwrap();
        assert_eq!(h.to_base16(), "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
        assert_eq!(h.to_sri(), "sha256-LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=");
    }
}
