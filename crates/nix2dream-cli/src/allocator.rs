//! The global allocator: mimalloc, called through its unaligned entry
//! points whenever the layout allows.
//!
//! The `mimalloc` crate sends every request through `mi_malloc_aligned`,
//! whose alignment checks cost about twenty instructions per call before
//! reaching the same size-class fast path that `mi_malloc` takes directly.
//! The evaluator allocates a thunk, a scope or a set on almost every step
//! (millions per module evaluation), so that was about 5% of all
//! instructions at 1,000 services of `benches/deployment.nix`.

// Built as mimalloc 2 without transparent huge pages (`v2`, `no_thp` in
// the workspace manifest). On this machine kind, huge pages made the
// kernel spend 1 to 1.5 s in page faults (compacting and clearing 2 MB
// pages) at 10,000 services of the deployment benchmark, against 0.3 to
// 0.4 s without; user time was the same. mimalloc 2 also took 1.7% fewer
// instructions than 3, and less memory on every benchmark (`fib` 13 -> 5
// MB, `strings` 150 -> 115 MB).
use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// mimalloc returns blocks aligned to 16 bytes (to their size when smaller),
/// as the system allocator does on the 64-bit targets we build for.
const MIN_ALIGN: usize = 16;

pub struct MiMalloc;

/// The unaligned entry points suffice exactly where the system allocator's
/// do: an alignment of at most 16 that does not exceed the size.
#[inline(always)]
fn plain(layout: &Layout) -> bool {
    layout.align() <= MIN_ALIGN && layout.align() <= layout.size()
}

// SAFETY: every function forwards to mimalloc, which returns null on
// failure and blocks of at least `size` bytes aligned as requested: the
// unaligned calls are used only where their guaranteed alignment covers
// the layout (see `plain`). Blocks are freed with `mi_free`, which accepts
// blocks from either family.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe {
            if plain(&layout) {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe {
            if plain(&layout) {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe {
            if layout.align() <= MIN_ALIGN && layout.align() <= new_size {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// Memory ran out (a `ulimit -v`, or a value too big for the machine):
/// an error like any other, as C++ Nix's "error: out of memory", instead
/// of Rust's abort (SIGABRT, "memory allocation of N bytes failed"). The
/// message is written without allocating; stdout is not flushed, so no
/// half-printed value follows it.
#[cold]
#[inline(never)]
fn out_of_memory(size: usize) -> ! {
    let mut buf = [0u8; 96];
    let head = b"error: out of memory (could not allocate ";
    let tail = b" bytes)\n";
    let mut digits = [0u8; 20];
    let mut n = size;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    let mut at = 0;
    for &b in head.iter().chain(digits[..len].iter().rev()).chain(tail.iter()) {
        buf[at] = b;
        at += 1;
    }
    // SAFETY: writes `at` initialized bytes of `buf` to stderr, then ends
    // the process without running anything that could allocate.
    unsafe {
        libc::write(2, buf.as_ptr() as *const c_void, at);
        libc::_exit(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layout the evaluator uses, and the awkward ones, come back
    /// aligned and usable, including through `realloc`.
    #[test]
    fn blocks_are_aligned_for_every_layout() {
        let a = MiMalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 3, 8, 15, 16, 24, 100, 5000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xAB, size);
                    let p = a.realloc(p, layout, size * 3);
                    assert_eq!(p as usize % align, 0, "realloc: size {size} align {align}");
                    assert_eq!(*p, 0xAB);
                    a.dealloc(p, Layout::from_size_align(size * 3, align).unwrap());
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|b| *b == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
