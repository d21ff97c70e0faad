//! Interned symbols: attribute names and identifiers compare as integers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// An interned string. Two symbols are equal iff their strings are equal.
/// The numeric order is creation order, not lexicographic order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

struct Interner {
    map: HashMap<&'static str, Symbol, std::hash::BuildHasherDefault<FxHasher>>,
    strings: Vec<&'static str>,
}

/// Names the evaluator looks up on hot paths (every call of a set, every
/// coercion of a set to a string), interned first on every thread so that
/// each is a constant instead of a hash lookup: [`Symbol::FUNCTOR`] and
/// the others below are their indices here.
const WELL_KNOWN: [&str; 4] = ["__functor", "__toString", "outPath", "type"];

impl Default for Interner {
    fn default() -> Interner {
        let mut interner = Interner { map: HashMap::default(), strings: Vec::new() };
        for name in WELL_KNOWN {
            interner.insert(name);
        }
        interner
    }
}

impl Interner {
    fn insert(&mut self, s: &str) -> Symbol {
        let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
        let sym = Symbol(self.strings.len() as u32);
        self.strings.push(leaked);
        self.map.insert(leaked, sym);
        sym
    }
}

/// A hash map hashed with [`FxHasher`], for keys chosen by programs
/// (names, literals, module keys), where SipHash's flood resistance buys
/// nothing.
pub type FxHashMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// A hash set hashed with [`FxHasher`]: for the addresses a walk over a
/// value has seen (printing, `deepSeq`), one per set or list.
pub type FxHashSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

/// A hash map keyed by symbols.
pub type SymbolMap<V> = FxHashMap<Symbol, V>;

/// The multiply-rotate hash rustc uses for its own symbol tables. Names are
/// short and chosen by programs, not attackers: SipHash's flood resistance
/// bought nothing here and cost 4% of module evaluation.
#[derive(Default)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8-byte chunk")));
        }
        for &b in chunks.remainder() {
            self.add(b as u64);
        }
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        self.add(b as u64);
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

thread_local! {
    // Evaluation is single-threaded; a per-thread table avoids locks on the
    // hottest path (every attribute lookup by name). Strings are leaked:
    // their number is bounded by the distinct names a program uses.
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl Symbol {
    /// `__functor`, which makes a set callable.
    pub const FUNCTOR: Symbol = Symbol(0);
    /// `__toString`, which makes a set coercible to a string.
    pub const TO_STRING: Symbol = Symbol(1);
    /// `outPath`, a derivation's (or any set's) string form.
    pub const OUT_PATH: Symbol = Symbol(2);
    /// `type`, which says whether a set is a derivation.
    pub const TYPE: Symbol = Symbol(3);

    pub fn intern(s: &str) -> Symbol {
        INTERNER.with(|cell| {
            let mut interner = cell.borrow_mut();
            if let Some(&sym) = interner.map.get(s) {
                return sym;
            }
            interner.insert(s)
        })
    }

    pub fn as_str(self) -> &'static str {
        INTERNER.with(|cell| cell.borrow().strings[self.0 as usize])
    }

    pub fn id(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_symbols_are_their_names() {
        let constants = [Symbol::FUNCTOR, Symbol::TO_STRING, Symbol::OUT_PATH, Symbol::TYPE];
        for (name, constant) in WELL_KNOWN.iter().zip(constants) {
            assert_eq!(Symbol::intern(name), constant, "{name}");
            assert_eq!(constant.as_str(), *name);
        }
        // On another thread too: each thread has its own table.
        std::thread::spawn(|| assert_eq!(Symbol::intern("__functor"), Symbol::FUNCTOR)).join().unwrap();
        assert_ne!(Symbol::intern("not-well-known"), Symbol::FUNCTOR);
    }
}
