//! [`Shared`]: `Rc` without weak references.
//!
//! Thunks are the most numerous objects of an evaluation, and nothing holds
//! a weak reference to one. `Rc` spends a word on the weak count in every
//! allocation anyway; `Shared` keeps only the strong count, so a thunk is
//! 32 bytes instead of 40.

use std::cell::Cell;
use std::ptr::NonNull;

struct Inner<T> {
    strong: Cell<usize>,
    value: T,
}

/// A single-threaded, reference-counted pointer with no weak count.
pub struct Shared<T> {
    ptr: NonNull<Inner<T>>,
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        let inner = Box::new(Inner { strong: Cell::new(1), value });
        Shared { ptr: NonNull::from(Box::leak(inner)) }
    }

    fn inner(&self) -> &Inner<T> {
        // SAFETY: the allocation lives as long as any `Shared` pointing to it.
        unsafe { self.ptr.as_ref() }
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
        let strong = &self.inner().strong;
        // As `Rc` does: a count that would overflow is a bug worth stopping for.
        let Some(next) = strong.get().checked_add(1) else { std::process::abort() };
        strong.set(next);
        Shared { ptr: self.ptr }
    }
}

impl<T> Drop for Shared<T> {
    #[inline]
    fn drop(&mut self) {
        let strong = &self.inner().strong;
        strong.set(strong.get() - 1);
        if strong.get() == 0 {
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
