//! Interned symbols: attribute names and identifiers compare as integers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// An interned string. Two symbols are equal iff their strings are equal.
/// The numeric order is creation order, not lexicographic order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

#[derive(Default)]
struct Interner {
    map: HashMap<&'static str, Symbol, std::hash::BuildHasherDefault<FxHasher>>,
    strings: Vec<&'static str>,
}

/// A hash map hashed with [`FxHasher`], for keys chosen by programs
/// (names, literals, module keys), where SipHash's flood resistance buys
/// nothing.
pub type FxHashMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

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
    pub fn intern(s: &str) -> Symbol {
        INTERNER.with(|cell| {
            let mut interner = cell.borrow_mut();
            if let Some(&sym) = interner.map.get(s) {
                return sym;
            }
            let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
            let sym = Symbol(interner.strings.len() as u32);
            interner.strings.push(leaked);
            interner.map.insert(leaked, sym);
            sym
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
