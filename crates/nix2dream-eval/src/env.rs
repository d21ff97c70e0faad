//! [`Env`]: a runtime scope, one per `let`, `rec`, lambda call and `with`,
//! as one allocation sized for its slots.
//!
//! Scopes are the third most numerous objects after thunks and sets, and
//! most hold one value (a lambda's argument). An `Rc<Env>` with three
//! inline slots took 80 bytes whatever it held, and two allocations past
//! three slots; an `Env` is a thin pointer to one block holding the
//! reference count, the enclosing scope, the number of slots and the slots
//! themselves (40 bytes for one slot).

use crate::shared::{alloc_block, counted_pointer, Block, Count};
use crate::value::Value;
use std::alloc::{dealloc, Layout};
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

// `repr(C)`: the count first, as in every counted block (see `Count`).
#[repr(C)]
struct Header {
    strong: Count,
    up: Option<Env>,
    capacity: u32,
    /// Slots below this are filled; the others are not yet.
    filled: Cell<u32>,
}

/// Where the slots start in a block: right after the header, which is
/// already aligned for them.
const SLOTS: usize = std::mem::size_of::<Header>();
const _: () = assert!(SLOTS.is_multiple_of(std::mem::align_of::<Value>()));

/// A shared scope. Its `size` slots are filled in order with
/// [`Env::push`] while the scope is built, and never change afterwards. A
/// slot not yet filled reads as `None`: that is how `let x = x;` gets a
/// real thunk (and infinite recursion) rather than a copy of an
/// uninitialised slot.
pub struct Env {
    ptr: NonNull<Header>,
}

impl Env {
    fn layout(capacity: usize) -> Layout {
        let slots = Layout::array::<Value>(capacity).expect("scope too large");
        let (layout, offset) = Layout::new::<Header>().extend(slots).expect("scope too large");
        debug_assert_eq!(offset, SLOTS);
        layout.pad_to_align()
    }

    /// A scope with room for `size` slots, none filled yet.
    pub fn new(up: Option<Env>, size: usize) -> Env {
        let capacity = u32::try_from(size).expect("scope too large");
        let layout = Env::layout(size);
        // SAFETY: the layout is never zero-sized (it holds the header),
        // and the header is written before the pointer escapes; slots are
        // only read once written (`filled`).
        unsafe {
            let header: NonNull<Header> = alloc_block(layout);
            header.as_ptr().write(Header { strong: Count::one(), up, capacity, filled: Cell::new(0) });
            Env { ptr: header }
        }
    }

    pub fn with_values(up: Option<Env>, values: Vec<Value>) -> Env {
        let env = Env::new(up, values.len());
        for v in values {
            env.push(v);
        }
        env
    }

    /// A scope with exactly one slot (a plain lambda argument, `with`).
    #[inline]
    pub fn with_one(up: Option<Env>, value: Value) -> Env {
        let env = Env::new(up, 1);
        env.push(value);
        env
    }

    fn header(&self) -> &Header {
        // SAFETY: the block lives as long as any `Env` pointing to it.
        unsafe { self.ptr.as_ref() }
    }

    fn slot_ptr(&self, slot: usize) -> *mut MaybeUninit<Value> {
        // SAFETY: callers stay below `capacity`, inside the block.
        unsafe { (self.ptr.as_ptr() as *mut u8).add(SLOTS).cast::<MaybeUninit<Value>>().add(slot) }
    }

    /// The enclosing scope.
    pub fn up(&self) -> Option<&Env> {
        self.header().up.as_ref()
    }

    /// A filled slot, borrowed: a slot is never written again once filled.
    #[inline]
    pub fn get_ref(&self, slot: u32) -> Option<&Value> {
        if slot >= self.header().filled.get() {
            return None;
        }
        // SAFETY: slots below `filled` are initialised and never written
        // again while the block lives, which the borrow of `self` ensures.
        Some(unsafe { (*self.slot_ptr(slot as usize)).assume_init_ref() })
    }

    #[inline]
    pub fn get(&self, slot: u32) -> Option<Value> {
        if slot >= self.header().filled.get() {
            return None;
        }
        // SAFETY: slots below `filled` are initialised and never written
        // again; cloning a value only touches reference counts.
        Some(unsafe { (*self.slot_ptr(slot as usize)).assume_init_ref().clone() })
    }

    /// Fill the next slot.
    #[inline]
    pub fn push(&self, v: Value) {
        let header = self.header();
        let filled = header.filled.get();
        // Lowering sizes every scope for its bindings; more would be a bug.
        assert!(filled < header.capacity, "scope filled past its {} slots", header.capacity);
        // SAFETY: the slot is inside the block and not yet initialised, and
        // nothing refers to it until `filled` says it is.
        unsafe { (*self.slot_ptr(filled as usize)).write(v) };
        header.filled.set(filled + 1);
    }

    /// Walk `depth` scopes up.
    #[inline]
    pub fn ancestor(&self, depth: u32) -> &Env {
        let mut env = self;
        for _ in 0..depth {
            env = env.up().expect("lowering resolved a variable deeper than the environment chain");
        }
        env
    }

    /// Whether both are the same scope.
    pub fn ptr_eq(a: &Env, b: &Env) -> bool {
        a.ptr == b.ptr
    }
}

counted_pointer!(Env);

impl Block for Header {
    /// Drop a scope's filled slots and enclosing scope and free its block.
    /// Inlined: every call frees a scope, and the compiler's own choice
    /// changed with unrelated code (1.3% of `fib` when it was a call).
    #[inline]
    unsafe fn free(block: NonNull<Header>) {
        let header = unsafe { block.as_ref() };
        let (capacity, filled) = (header.capacity as usize, header.filled.get() as usize);
        // SAFETY: the last `Env` of this block is gone, so the filled slots
        // and the header's `up` are dropped exactly once, and the block is
        // freed with the layout it was allocated with.
        unsafe {
            let bytes = block.as_ptr() as *mut u8;
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(bytes.add(SLOTS) as *mut Value, filled));
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*block.as_ptr()).up));
            dealloc(bytes, Env::layout(capacity));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_read_as_none_until_filled() {
        let root = Env::new(None, 0);
        let env = Env::new(Some(root.clone()), 2);
        assert!(env.get(0).is_none());
        env.push(Value::Int(7));
        assert!(matches!(env.get(0), Some(Value::Int(7))));
        assert!(env.get(1).is_none());
        assert!(Env::ptr_eq(env.ancestor(1), &root));
    }

    #[test]
    fn a_long_chain_of_scopes_is_freed_without_overflowing_the_stack() {
        let mut env = Env::new(None, 0);
        for i in 0..1_000_000 {
            env = Env::with_one(Some(env), Value::Int(i));
        }
        drop(env);
    }
}
