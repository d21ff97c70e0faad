//! [`AttrSet`]: an attribute set as values hold it, shared and immutable,
//! in one allocation.
//!
//! Sets are the most numerous compound values of a module-system
//! evaluation. An `Rc<Attrs>` took two allocations (the counted box and
//! the entries' vector) and 48 bytes before its first entry; an `AttrSet`
//! is a thin pointer to one block holding the reference count, the number
//! of entries, the optional `//` layer and the entries. Sets are built as
//! [`Attrs`] and frozen by [`Value::attrs`].
//!
//! `big // small` does not copy `big`: the result is a layer holding the
//! small side over a shared pointer to the big one (at most
//! [`MAX_LAYERS`] deep, then it is flattened). Folding thousands of
//! one-attribute updates into a set is then linear instead of quadratic in
//! time and memory. The flat, sorted view is built on demand and cached.

use crate::shared::{alloc_block, counted_pointer, Block, Count};
use crate::value::{merge_sorted, AttrEntry, Attrs, Value};
use nix2dream_syntax::Symbol;
use std::alloc::{dealloc, Layout};
use std::cell::OnceCell;
use std::ptr::NonNull;

/// How deep `//` layers may stack before a merge flattens them.
pub const MAX_LAYERS: u8 = 16;

struct Layer {
    base: AttrSet,
    depth: u8,
    /// Distinct names over all layers (a plain set has its own entries').
    len: usize,
    flat: OnceCell<Vec<AttrEntry>>,
}

// `repr(C)`: the count first, as in every counted block (see `Count`).
#[repr(C)]
struct Header {
    strong: Count,
    /// This layer's entries, sorted by symbol; they shadow the base's.
    own_len: usize,
    /// Only `//` results have one.
    layer: Option<Box<Layer>>,
}

/// Where the entries start in a block: right after the header, which is
/// already aligned for them.
const ENTRIES: usize = std::mem::size_of::<Header>();
const _: () = assert!(ENTRIES.is_multiple_of(std::mem::align_of::<AttrEntry>()));

/// Sets of at most this many entries are searched by a scan.
const SCANNED_SET: usize = 4;

/// A shared, immutable attribute set: entries sorted by symbol id, so a
/// lookup is a binary search and `//` a linear merge. Names are *not* in
/// lexicographic order; [`AttrSet::sorted_by_name`] gives that order.
pub struct AttrSet {
    ptr: NonNull<Header>,
}

impl AttrSet {
    fn layout(own_len: usize) -> Layout {
        let entries = Layout::array::<AttrEntry>(own_len).expect("set too large");
        let (layout, offset) = Layout::new::<Header>().extend(entries).expect("set too large");
        debug_assert_eq!(offset, ENTRIES);
        layout.pad_to_align()
    }

    fn new(mut own: Vec<AttrEntry>, layer: Option<Box<Layer>>) -> AttrSet {
        let own_len = own.len();
        let layout = AttrSet::layout(own_len);
        // SAFETY: the layout is never zero-sized (it holds the header); the
        // header is written before the pointer escapes, and the entries are
        // moved out of `own`, whose length is then set to 0 so that they are
        // not dropped twice.
        unsafe {
            let header: NonNull<Header> = alloc_block(layout);
            let block = header.as_ptr() as *mut u8;
            header.as_ptr().write(Header { strong: Count::one(), own_len, layer });
            std::ptr::copy_nonoverlapping(own.as_ptr(), block.add(ENTRIES) as *mut AttrEntry, own_len);
            own.set_len(0);
            AttrSet { ptr: header }
        }
    }

    /// A set of `len` entries, `entry(0)` to `entry(len - 1)` in symbol
    /// order with no duplicate names, written straight into the block: the
    /// way set literals are built, without a vector in between.
    pub fn from_fn(len: usize, mut entry: impl FnMut(usize) -> AttrEntry) -> AttrSet {
        let layout = AttrSet::layout(len);
        // SAFETY: as in `new`; every entry is written once before the set
        // escapes (if `entry` panics, the block and the entries written so
        // far leak, which is safe).
        unsafe {
            let header: NonNull<Header> = alloc_block(layout);
            let block = header.as_ptr() as *mut u8;
            let entries = block.add(ENTRIES) as *mut AttrEntry;
            for i in 0..len {
                entries.add(i).write(entry(i));
            }
            header.as_ptr().write(Header { strong: Count::one(), own_len: len, layer: None });
            let set = AttrSet { ptr: header };
            debug_assert!(set.own().windows(2).all(|w| w[0].name < w[1].name));
            set
        }
    }

    /// Freeze a built set.
    pub fn from_attrs(attrs: Attrs) -> AttrSet {
        AttrSet::new(attrs.into_entries(), None)
    }

    fn header(&self) -> &Header {
        // SAFETY: the block lives as long as any `AttrSet` pointing to it.
        unsafe { self.ptr.as_ref() }
    }

    /// The block's count, for `Value::clone`.
    #[inline]
    pub(crate) fn count(&self) -> &Count {
        &self.header().strong
    }

    /// This layer's own entries.
    fn own(&self) -> &[AttrEntry] {
        let len = self.header().own_len;
        // SAFETY: `own_len` initialised entries start at `ENTRIES` (see `new`).
        unsafe { std::slice::from_raw_parts((self.ptr.as_ptr() as *const u8).add(ENTRIES) as *const AttrEntry, len) }
    }

    fn layer(&self) -> Option<&Layer> {
        self.header().layer.as_deref()
    }

    pub fn len(&self) -> usize {
        match self.layer() {
            Some(layer) => layer.len,
            None => self.own().len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, name: Symbol) -> Option<&Value> {
        self.get_entry(name).map(|e| &e.value)
    }

    pub fn get_entry(&self, name: Symbol) -> Option<&AttrEntry> {
        let mut layer = self;
        loop {
            let own = layer.own();
            // Most sets read by name are small records (`{ file; value; }`,
            // a module, an option): a scan beats a binary search's setup.
            if own.len() <= SCANNED_SET {
                if let Some(e) = own.iter().find(|e| e.name >= name) {
                    if e.name == name {
                        return Some(e);
                    }
                }
            } else if let Ok(i) = own.binary_search_by_key(&name, |e| e.name) {
                return Some(&own[i]);
            }
            layer = &layer.layer()?.base;
        }
    }

    pub fn get_str(&self, name: &str) -> Option<&Value> {
        self.get(Symbol::intern(name))
    }

    pub fn contains(&self, name: Symbol) -> bool {
        self.get_entry(name).is_some()
    }

    /// All entries in symbol order (fast, arbitrary but stable).
    pub fn entries(&self) -> &[AttrEntry] {
        let Some(top) = self.layer() else { return self.own() };
        top.flat.get_or_init(|| {
            // Merge the layers bottom-up without caching flat views of the
            // layers below (that would bring back the quadratic memory).
            let mut chain: Vec<&AttrSet> = Vec::new();
            let mut layer = self;
            loop {
                chain.push(layer);
                match layer.layer() {
                    Some(l) if l.base.cached_flat().is_none() => layer = &l.base,
                    Some(l) => {
                        chain.push(&l.base);
                        break;
                    }
                    None => break,
                }
            }
            let bottom = chain.pop().expect("chain has at least one layer");
            let mut acc = match bottom.cached_flat() {
                Some(f) => f.to_vec(),
                None => bottom.own().to_vec(),
            };
            while let Some(layer) = chain.pop() {
                acc = merge_sorted(&acc, layer.own());
            }
            acc
        })
    }

    /// The flat view of a layered set, if it was built already; for a
    /// plain set its entries.
    fn cached_flat(&self) -> Option<&[AttrEntry]> {
        match self.layer() {
            None => Some(self.own()),
            Some(l) => l.flat.get().map(|v| v.as_slice()),
        }
    }

    /// Entries in lexicographic name order, as Nix shows them.
    pub fn sorted_by_name(&self) -> Vec<&AttrEntry> {
        let mut v: Vec<&AttrEntry> = self.entries().iter().collect();
        v.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        v
    }

    /// `this // other`: `other` wins.
    pub fn update(this: &AttrSet, other: &AttrSet) -> AttrSet {
        let depth = this.layer().map_or(0, |l| l.depth);
        if other.len() * 4 <= this.len() && depth < MAX_LAYERS {
            let own = other.entries().to_vec();
            let added = own.iter().filter(|e| !this.contains(e.name)).count();
            let len = this.len() + added;
            let layer = Layer { base: this.clone(), depth: depth + 1, len, flat: OnceCell::new() };
            return AttrSet::new(own, Some(Box::new(layer)));
        }
        AttrSet::new(merge_sorted(this.entries(), other.entries()), None)
    }

    /// The block's address: the set's identity, for cycle checks.
    pub fn as_ptr(&self) -> *const () {
        self.ptr.as_ptr() as *const ()
    }

    /// Whether both are the same set (not merely equal ones).
    pub fn ptr_eq(a: &AttrSet, b: &AttrSet) -> bool {
        a.ptr == b.ptr
    }
}

impl Default for AttrSet {
    fn default() -> AttrSet {
        AttrSet::new(Vec::new(), None)
    }
}

counted_pointer!(AttrSet);

impl Block for Header {
    /// Drop a set's entries and layer and free its block.
    unsafe fn free(block: NonNull<Header>) {
        let own_len = unsafe { block.as_ref() }.own_len;
        // SAFETY: the last `AttrSet` of this block is gone, so the header's
        // layer and the entries are dropped exactly once, and the block is
        // freed with the layout it was allocated with.
        unsafe {
            let bytes = block.as_ptr() as *mut u8;
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*block.as_ptr()).layer));
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(bytes.add(ENTRIES) as *mut AttrEntry, own_len));
            dealloc(bytes, AttrSet::layout(own_len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> AttrSet {
        let mut a = Attrs::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            a.insert(Symbol::intern(n), Value::Int(i as i64), None);
        }
        AttrSet::from_attrs(a)
    }

    /// Lookups agree with a plain search at every size, on both sides of
    /// the size where `get_entry` switches from a scan to a binary search,
    /// for names present, absent below, between and above.
    #[test]
    fn lookups_find_exactly_the_names_present_at_every_size() {
        let pool: Vec<String> = (0..2 * SCANNED_SET + 6).map(|i| format!("lookup-{i}")).collect();
        for len in 0..pool.len() {
            // Every other name is in the set, so absent names fall between.
            let present: Vec<&str> = pool.iter().step_by(2).take(len).map(String::as_str).collect();
            let s = set(&present);
            for name in &pool {
                let sym = Symbol::intern(name);
                let want = present.iter().position(|p| *p == name.as_str());
                let got = s.get(sym).map(|v| match v {
                    Value::Int(i) => *i as usize,
                    _ => unreachable!(),
                });
                assert_eq!(got, want, "{name} in a set of {len}");
            }
        }
    }

    #[test]
    fn a_small_update_layers_over_a_big_set_and_reads_through() {
        let big = set(&["a", "b", "c", "d", "e", "f", "g", "h"]);
        let small = set(&["b", "z"]);
        let both = AttrSet::update(&big, &small);
        assert_eq!(both.len(), 9);
        assert!(matches!(both.get(Symbol::intern("b")), Some(Value::Int(0))));
        assert!(matches!(both.get(Symbol::intern("a")), Some(Value::Int(0))));
        assert_eq!(both.entries().len(), 9);
        assert_eq!(both.sorted_by_name().first().map(|e| e.name.as_str().to_string()), Some("a".into()));
        drop(big);
        assert!(both.contains(Symbol::intern("h")));
    }

    #[test]
    fn entries_are_shared_and_dropped_once() {
        let inner = Value::string("inner");
        let mut a = Attrs::with_capacity(1);
        a.insert(Symbol::intern("x"), inner.clone(), None);
        let s = AttrSet::from_attrs(a);
        let copy = s.clone();
        assert!(AttrSet::ptr_eq(&s, &copy));
        drop(s);
        let Value::String(text) = &inner else { unreachable!() };
        assert_eq!(text.count().get(), 2);
        drop(copy);
        assert_eq!(text.count().get(), 1);
        assert!(AttrSet::default().is_empty());
    }

    #[test]
    fn a_deeply_nested_set_is_freed_without_overflowing_the_stack() {
        let mut v = Value::attrs(Attrs::default());
        for _ in 0..1_000_000 {
            let mut a = Attrs::with_capacity(1);
            a.insert(Symbol::intern("next"), v, None);
            v = Value::attrs(a);
        }
        drop(v);
    }
}
