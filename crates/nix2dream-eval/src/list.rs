//! [`List`]: a Nix list, immutable once built, as one allocation.
//!
//! Lists are among the most numerous objects of a module-system
//! evaluation (definitions, locations, imports), and most are short. An
//! `Rc<Vec<Value>>` takes two allocations and 40 bytes before its first
//! element; a `List` is a thin pointer to one block holding a reference
//! count, the length and the elements, like `Rc<[Value]>` but one word
//! wide, so that [`Value`] stays two words.

use crate::shared::{alloc_block, counted_pointer, Block, Count};
use crate::value::Value;
use std::alloc::{dealloc, Layout};
use std::ptr::NonNull;

// `repr(C)`: the count first, as in every counted block (see `Count`).
#[repr(C)]
struct Header {
    strong: Count,
    len: usize,
}

/// A shared, immutable list of values. Clones share the elements.
pub struct List {
    ptr: NonNull<Header>,
}

/// Where the elements start in a block: right after the header, which is
/// already aligned for them.
const ELEMENTS: usize = std::mem::size_of::<Header>();
const _: () = assert!(ELEMENTS.is_multiple_of(std::mem::align_of::<Value>()));

impl List {
    /// The block of a list of `len` elements, and where its elements start.
    fn layout(len: usize) -> (Layout, usize) {
        let elements = Layout::array::<Value>(len).expect("list too large");
        let (layout, offset) = Layout::new::<Header>().extend(elements).expect("list too large");
        debug_assert_eq!(offset, ELEMENTS);
        (layout.pad_to_align(), offset)
    }

    pub fn from_vec(mut items: Vec<Value>) -> List {
        let len = items.len();
        let (layout, offset) = List::layout(len);
        // SAFETY: the layout is never zero-sized (it holds the header); the
        // header is written before the pointer escapes, and the elements are
        // moved out of `items`, whose length is then set to 0 so that they
        // are not dropped twice.
        unsafe {
            let header: NonNull<Header> = alloc_block(layout);
            let block = header.as_ptr() as *mut u8;
            header.as_ptr().write(Header { strong: Count::one(), len });
            std::ptr::copy_nonoverlapping(items.as_ptr(), block.add(offset) as *mut Value, len);
            items.set_len(0);
            List { ptr: header }
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the block lives as long as any `List` pointing to it.
        unsafe { self.ptr.as_ref() }
    }

    /// The block's count, for `Value::clone`.
    #[inline]
    pub(crate) fn count(&self) -> &Count {
        &self.header().strong
    }

    pub fn as_slice(&self) -> &[Value] {
        let len = self.header().len;
        // SAFETY: `len` initialised elements start at `ELEMENTS` (see `from_vec`).
        unsafe { std::slice::from_raw_parts((self.ptr.as_ptr() as *const u8).add(ELEMENTS) as *const Value, len) }
    }

    /// The block's address: the list's identity, for cycle checks.
    pub fn as_ptr(&self) -> *const () {
        self.ptr.as_ptr() as *const ()
    }

    /// Whether both are the same list (not merely equal ones).
    pub fn ptr_eq(a: &List, b: &List) -> bool {
        a.ptr == b.ptr
    }
}

impl Default for List {
    fn default() -> List {
        List::from_vec(Vec::new())
    }
}

counted_pointer!(List);

impl Block for Header {
    /// Drop a list's elements and free its block.
    unsafe fn free(block: NonNull<Header>) {
        let len = unsafe { block.as_ref() }.len;
        let (layout, offset) = List::layout(len);
        // SAFETY: the last `List` of this block is gone, so the elements
        // are dropped exactly once, and the block is freed with the layout
        // it was allocated with.
        unsafe {
            let bytes = block.as_ptr() as *mut u8;
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(bytes.add(offset) as *mut Value, len));
            dealloc(bytes, layout);
        }
    }
}

impl std::ops::Deref for List {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        self.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_kept_shared_and_dropped_once() {
        let inner = Value::string("inner");
        let list = List::from_vec(vec![Value::Int(1), inner.clone(), Value::Null]);
        let copy = list.clone();
        assert!(List::ptr_eq(&list, &copy));
        drop(list);
        assert_eq!(copy.len(), 3);
        assert!(matches!(copy[0], Value::Int(1)));
        let Value::String(s) = &inner else { unreachable!() };
        assert_eq!(s.count().get(), 2);
        drop(copy);
        assert_eq!(s.count().get(), 1);
        assert!(List::default().is_empty());
    }

    #[test]
    fn a_deeply_nested_list_is_freed_without_overflowing_the_stack() {
        let mut v = Value::list(Vec::new());
        for _ in 0..1_000_000 {
            v = Value::list(vec![v]);
        }
        drop(v);
    }
}
