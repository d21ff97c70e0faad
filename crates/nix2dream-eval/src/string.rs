//! [`NixString`]: a Nix string, immutable once built, as one allocation.
//!
//! A string's header (count, length, context) and its text share one
//! block, so reading a string touches one place in memory: a sort of
//! 300,000 strings compares each about eighteen times, and with the text
//! in a block of its own every comparison missed the cache twice per
//! string. The pointer is one word wide, so [`Value`](crate::Value)
//! stays two words.

use crate::shared::{alloc_block, counted_pointer, Block, Count};
use crate::value::Context;
use std::alloc::{dealloc, Layout};
use std::ptr::NonNull;
use std::rc::Rc;

// `repr(C)`: the count first, as in every counted block (see `Count`).
#[repr(C)]
struct Header {
    strong: Count,
    len: usize,
    /// The exact bytes, kept only for strings that are not valid UTF-8
    /// (rare: a `substring` through a multi-byte character); the text is
    /// then a lossy rendering of them, for messages and names.
    raw: Option<Rc<[u8]>>,
    context: Context,
}

/// A shared, immutable Nix string with its context. Clones share the block.
pub struct NixString {
    ptr: NonNull<Header>,
}

/// Where the text starts in a block: right after the header.
const TEXT: usize = std::mem::size_of::<Header>();

impl NixString {
    fn layout(len: usize) -> Layout {
        let (layout, offset) = Layout::new::<Header>()
            .extend(Layout::array::<u8>(len).expect("string too large"))
            .expect("string too large");
        debug_assert_eq!(offset, TEXT);
        layout.pad_to_align()
    }

    fn with_raw(text: &str, raw: Option<Rc<[u8]>>, context: Context) -> NixString {
        let len = text.len();
        // SAFETY: the layout holds the header (so it is not zero-sized); the
        // header and then `len` bytes of text are written before the pointer
        // escapes.
        unsafe {
            let header: NonNull<Header> = alloc_block(NixString::layout(len));
            header.as_ptr().write(Header { strong: Count::one(), len, raw, context });
            std::ptr::copy_nonoverlapping(text.as_ptr(), (header.as_ptr() as *mut u8).add(TEXT), len);
            NixString { ptr: header }
        }
    }

    pub fn new(text: &str, context: Context) -> NixString {
        NixString::with_raw(text, None, context)
    }

    /// A string from arbitrary bytes: Nix strings are byte strings, and
    /// `substring` may cut a UTF-8 sequence in half.
    pub fn from_bytes(bytes: Vec<u8>, context: Context) -> NixString {
        match String::from_utf8(bytes) {
            Ok(text) => NixString::new(&text, context),
            Err(e) => {
                let bytes = e.into_bytes();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                NixString::with_raw(&text, Some(bytes.into()), context)
            }
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the block lives as long as any `NixString` pointing to it.
        unsafe { self.ptr.as_ref() }
    }

    /// The block's count, for `Value::clone`.
    #[inline]
    pub(crate) fn count(&self) -> &Count {
        &self.header().strong
    }

    /// The text: exact, unless the string is not valid UTF-8 (see
    /// [`NixString::as_bytes`]).
    #[inline]
    pub fn as_str(&self) -> &str {
        let len = self.header().len;
        // SAFETY: `len` bytes of valid UTF-8 start at `TEXT` (see `with_raw`).
        unsafe {
            let bytes = std::slice::from_raw_parts((self.ptr.as_ptr() as *const u8).add(TEXT), len);
            std::str::from_utf8_unchecked(bytes)
        }
    }

    /// The exact bytes of the string.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.header().raw {
            Some(raw) => raw,
            None => self.as_str().as_bytes(),
        }
    }

    pub fn context(&self) -> &Context {
        &self.header().context
    }

    /// Whether both are the same string (not merely equal ones).
    pub fn ptr_eq(a: &NixString, b: &NixString) -> bool {
        a.ptr == b.ptr
    }
}

counted_pointer!(NixString);

impl Block for Header {
    /// Drop a string's context and free its block.
    unsafe fn free(block: NonNull<Header>) {
        let len = unsafe { block.as_ref() }.len;
        // SAFETY: the last `NixString` of this block is gone, so the header
        // is dropped exactly once, and the block is freed with the layout it
        // was allocated with.
        unsafe {
            std::ptr::drop_in_place(block.as_ptr());
            dealloc(block.as_ptr() as *mut u8, NixString::layout(len));
        }
    }
}

impl std::ops::Deref for NixString {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for NixString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for NixString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bytes_and_context_live_in_one_block() {
        let mut context = Context::new();
        context.insert("/nix/store/x".into());
        let s = NixString::new("héllo", context.clone());
        let t = s.clone();
        drop(s);
        assert_eq!(t.as_str(), "héllo");
        assert_eq!(t.as_bytes(), "héllo".as_bytes());
        assert_eq!(t.context(), &context);
        assert!(NixString::ptr_eq(&t, &t.clone()));

        let cut = NixString::from_bytes(vec![b'a', 0xc3], Context::new());
        assert_eq!(cut.as_bytes(), &[b'a', 0xc3]);
        assert_eq!(cut.as_str(), "a\u{fffd}");
        assert_eq!(NixString::new("", Context::new()).as_str(), "");
    }
}
