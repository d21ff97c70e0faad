//! [`Shared`]: `Rc` without weak references.
//!
//! Thunks are the most numerous objects of an evaluation, and nothing holds
//! a weak reference to one. `Rc` spends a word on the weak count in every
//! allocation anyway; `Shared` keeps only the strong count, so a thunk is
//! 32 bytes instead of 40.

use std::cell::Cell;
use std::ptr::NonNull;

/// A reference count: every counted pointer of the evaluator (`Shared`,
/// `List`, `AttrSet`, `Env`) keeps one at the start of its block (the
/// headers are `repr(C)` with the count first). With the count at the same
/// place everywhere, `Value::clone` compiles to one test of the tag and one
/// increment, not a jump through a table per kind.
pub(crate) struct Count(Cell<usize>);

impl Count {
    pub(crate) fn one() -> Count {
        Count(Cell::new(1))
    }

    #[inline]
    pub(crate) fn retain(&self) {
        // As `Rc` does: a count that would overflow is a bug worth stopping
        // for (tested after the increment: one instruction fewer).
        let next = self.0.get().wrapping_add(1);
        self.0.set(next);
        if next == 0 {
            std::process::abort();
        }
    }

    /// Drop one reference; whether it was the last.
    #[inline]
    pub(crate) fn release(&self) -> bool {
        let left = self.0.get() - 1;
        self.0.set(left);
        left == 0
    }

    pub(crate) fn get(&self) -> usize {
        self.0.get()
    }
}

/// The header of a counted block, which knows how to free its block.
pub(crate) trait Block: 'static {
    /// Drop the block's contents and deallocate it.
    ///
    /// # Safety
    /// Only for a block whose last pointer is gone.
    unsafe fn free(block: NonNull<Self>);
}

/// A new block of `layout` for a header `H` followed by its elements; the
/// header and elements are the caller's to write.
///
/// # Safety
/// `layout` must hold an `H` at offset 0 (so it is never zero-sized).
pub(crate) unsafe fn alloc_block<H>(layout: std::alloc::Layout) -> NonNull<H> {
    // SAFETY: the caller's layout is not zero-sized.
    let block = unsafe { std::alloc::alloc(layout) };
    match NonNull::new(block as *mut H) {
        Some(header) => header,
        None => std::alloc::handle_alloc_error(layout),
    }
}

/// The block of a counted pointer nobody refers to any more: dropping it
/// frees the block. It goes through `deferred_drop`, so freeing deeply
/// nested values stays iterative.
pub(crate) struct Unreferenced<H: Block>(pub(crate) NonNull<H>);

impl<H: Block> Drop for Unreferenced<H> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: an `Unreferenced` is made only by `counted_pointer!`'s
        // `Drop`, once the last pointer to the block is gone.
        unsafe { H::free(self.0) }
    }
}

/// `Clone` and `Drop` for a thin counted pointer `$ty { ptr }` whose
/// header (`self.header()`, a [`Block`]) holds a `strong: Count`: the last
/// drop frees the block by way of `deferred_drop`.
macro_rules! counted_pointer {
    ($ty:ident) => {
        impl Clone for $ty {
            #[inline]
            fn clone(&self) -> $ty {
                self.header().strong.retain();
                $ty { ptr: self.ptr }
            }
        }

        impl Drop for $ty {
            #[inline]
            fn drop(&mut self) {
                if self.header().strong.release() {
                    crate::value::deferred_drop(crate::shared::Unreferenced(self.ptr));
                }
            }
        }
    };
}
pub(crate) use counted_pointer;

// `repr(C)`: the count first, as in every counted block (see `Count`).
#[repr(C)]
struct Inner<T> {
    strong: Count,
    value: T,
}

/// A single-threaded, reference-counted pointer with no weak count.
pub struct Shared<T> {
    ptr: NonNull<Inner<T>>,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        let inner = Box::new(Inner { strong: Count::one(), value });
        Shared { ptr: NonNull::from(Box::leak(inner)) }
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: the allocation lives as long as any `Shared` pointing to it.
        unsafe { self.ptr.as_ref() }
    }

    /// The block's count, for `Value::clone`.
    #[inline]
    pub(crate) fn count(&self) -> &Count {
        &self.inner().strong
    }

    /// Whether both point to the same allocation.
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        a.ptr == b.ptr
    }

    /// How many pointers share the value.
    pub fn strong_count(this: &Shared<T>) -> usize {
        this.inner().strong.get()
    }

    /// The allocation's address: the value's identity.
    pub fn as_ptr(this: &Shared<T>) -> *const T {
        &this.inner().value
    }
}

impl<T> Clone for Shared<T> {
    #[inline]
    fn clone(&self) -> Shared<T> {
        self.inner().strong.retain();
        Shared { ptr: self.ptr }
    }
}

impl<T> Drop for Shared<T> {
    #[inline]
    fn drop(&mut self) {
        if self.inner().strong.release() {
            self.drop_slow();
        }
    }
}

impl<T> Shared<T> {
    #[cold]
    #[inline(never)]
    fn drop_slow(&mut self) {
        // SAFETY: this was the last pointer to a `Box` made by `new`.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner().value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_lives_until_the_last_pointer_goes() {
        let text: std::rc::Rc<str> = "x".into();
        let a = Shared::new(text.clone());
        let b = a.clone();
        assert!(Shared::ptr_eq(&a, &b));
        drop(a);
        assert_eq!(&**b, "x");
        assert_eq!(std::rc::Rc::strong_count(&text), 2);
        drop(b);
        assert_eq!(std::rc::Rc::strong_count(&text), 1);
    }
}
