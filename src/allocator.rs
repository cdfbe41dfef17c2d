//! Allocators: a small page allocator for `#![no_std]` bootstraps, and mimalloc (feature
//! `mimalloc`) as the global allocator of every program that links the crate.
//!
//! [`PageAlloc`] exists because musl's malloc is 10 KB of code, which is a third of a `#![no_std]`
//! bootstrap. A Lambda runtime allocates a handful of buffers that live for the whole process and
//! one or two per invocation, so a plain design serves it well:
//!
//! - blocks up to 64 KiB come in power-of-two size classes from 16 B up, cut from 256 KiB
//!   chunks of `mmap`ed memory; a freed block goes on its class's free list and is reused by the
//!   next allocation of that class (so a steady loop allocates nothing new);
//! - larger blocks are their own `mmap`, grown in place or moved by `mremap` and returned to the
//!   kernel by `munmap`;
//! - a spin lock makes it safe to share between threads (a bootstrap has one).
//!
//! Memory kept: at most twice what is live in small blocks (the class rounding), plus the peak of
//! small blocks ever live at once; large blocks cost exactly their pages.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

use crate::sys;

/// The smallest class: 16 bytes (malloc's alignment on 64-bit targets).
const MIN_SHIFT: u32 = 4;
/// The largest class: 64 KiB; larger blocks get their own mapping.
const MAX_SHIFT: u32 = 16;
const CLASSES: usize = (MAX_SHIFT - MIN_SHIFT + 1) as usize;
/// Small blocks are cut from chunks of this size.
const CHUNK: usize = 256 * 1024;
/// Blocks of a class are aligned to the class size up to a page.
const PAGE: usize = 4096;

/// A global allocator for `#![no_std]` bootstraps, over `mmap` (see the module docs):
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: lambda_bootstrap::PageAlloc = lambda_bootstrap::PageAlloc::new();
/// ```
pub struct PageAlloc {
    lock: Lock,
    state: UnsafeCell<State>,
}

struct State {
    /// Head of each class's free list; a free block's first word points to the next.
    free: [*mut u8; CLASSES],
    /// The unused rest of the current chunk.
    next: *mut u8,
    end: *mut u8,
}

// SAFETY: `state` is only touched while `lock` is held (see `with`).
unsafe impl Sync for PageAlloc {}

impl PageAlloc {
    /// An empty allocator; it maps memory on first use.
    pub const fn new() -> PageAlloc {
        PageAlloc {
            lock: Lock::new(),
            state: UnsafeCell::new(State { free: [null_mut(); CLASSES], next: null_mut(), end: null_mut() }),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.lock.lock();
        // SAFETY: the lock is held, so this is the only reference to the state.
        let result = f(unsafe { &mut *self.state.get() });
        self.lock.unlock();
        result
    }
}

/// A spin lock: an atomic flag, but on arm64 musl the C library's `pthread_spin_lock`. There a
/// Rust compare-and-swap brings in the outline-atomics helpers and their CPU-feature probe, 1 KB
/// of code; musl's lock is an `int`, free when 0 (all that its `pthread_spin_init` does).
#[cfg(all(target_arch = "aarch64", target_env = "musl"))]
struct Lock(UnsafeCell<libc::pthread_spinlock_t>);

#[cfg(all(target_arch = "aarch64", target_env = "musl"))]
impl Lock {
    const fn new() -> Lock {
        Lock(UnsafeCell::new(0))
    }

    fn lock(&self) {
        // SAFETY: a musl spin lock, initialised (0) or left unlocked by `unlock`.
        unsafe { libc::pthread_spin_lock(self.0.get()) };
    }

    fn unlock(&self) {
        // SAFETY: called by the thread that holds the lock.
        unsafe { libc::pthread_spin_unlock(self.0.get()) };
    }
}

#[cfg(not(all(target_arch = "aarch64", target_env = "musl")))]
struct Lock(core::sync::atomic::AtomicBool);

#[cfg(not(all(target_arch = "aarch64", target_env = "musl")))]
impl Lock {
    const fn new() -> Lock {
        Lock(core::sync::atomic::AtomicBool::new(false))
    }

    fn lock(&self) {
        use core::sync::atomic::Ordering::{Acquire, Relaxed};
        while self.0.compare_exchange_weak(false, true, Acquire, Relaxed).is_err() {
            core::hint::spin_loop();
        }
    }

    fn unlock(&self) {
        self.0.store(false, core::sync::atomic::Ordering::Release);
    }
}

impl Default for PageAlloc {
    fn default() -> PageAlloc {
        PageAlloc::new()
    }
}

/// The class index of a layout, or `None` for a large block.
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let shift = usize::BITS - (size - 1).leading_zeros();
    (shift <= MAX_SHIFT).then(|| (shift - MIN_SHIFT) as usize)
}

fn class_size(class: usize) -> usize {
    1 << (class as u32 + MIN_SHIFT)
}

impl State {
    fn alloc_small(&mut self, class: usize) -> *mut u8 {
        let head = self.free[class];
        if !head.is_null() {
            // SAFETY: a free block holds the next free block's address in its first word.
            self.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = class_size(class);
        let align = size.min(PAGE);
        let mut start = (self.next as usize).next_multiple_of(align);
        if self.next.is_null() || start + size > self.end as usize {
            let chunk = sys::map(CHUNK);
            if chunk.is_null() {
                return null_mut();
            }
            self.end = chunk.wrapping_add(CHUNK);
            start = chunk as usize; // page-aligned, so aligned for every class
        }
        self.next = (start + size) as *mut u8;
        start as *mut u8
    }

    /// # Safety
    /// `ptr` is a block of `class` that is not on a free list.
    unsafe fn free_small(&mut self, ptr: *mut u8, class: usize) {
        // SAFETY: the block is ours and at least 16 bytes; its first word becomes the link.
        unsafe { ptr.cast::<*mut u8>().write(self.free[class]) };
        self.free[class] = ptr;
    }
}

// SAFETY: small blocks are aligned to their class size (≥ the layout's size and alignment, up to
// a page) and large blocks to a page; layouts aligned above a page are refused (null). A block is
// handed out once until it is freed.
unsafe impl GlobalAlloc for PageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            _ if layout.align() > PAGE => null_mut(),
            Some(class) => self.with(|s| s.alloc_small(class)),
            None => sys::map(layout.size()),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(layout) {
            // SAFETY: the caller frees a block this allocator gave for `layout`.
            Some(class) => self.with(|s| unsafe { s.free_small(ptr, class) }),
            // SAFETY: a large block is a mapping of `layout.size()` bytes.
            None => unsafe { sys::unmap(ptr, layout.size()) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` rounded to the alignment does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            (Some(old), Some(new)) if old == new => ptr,
            // SAFETY: `ptr` is a mapping of `layout.size()` bytes (caller's guarantee).
            (None, None) => unsafe { sys::remap(ptr, layout.size(), new_size) },
            _ => {
                // SAFETY: plain alloc/copy/free through this allocator; both blocks are valid
                // for the smaller of the two sizes and do not overlap.
                unsafe {
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

/// With the `mimalloc` feature, every program linking this crate allocates with mimalloc: musl's
/// own malloc is small but slow under churn. It costs about 100 KB of binary and a C compiler for
/// the target (see the README).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn classes() {
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class(l(0, 1)), Some(0));
        assert_eq!(class(l(16, 8)), Some(0));
        assert_eq!(class(l(17, 1)), Some(1));
        assert_eq!(class(l(8, 64)), Some(2));
        assert_eq!(class(l(65536, 8)), Some(12));
        assert_eq!(class(l(65537, 8)), None);
    }

    /// Random allocations, frees and reallocs: every live block keeps its own bytes, is aligned,
    /// and freed small blocks are reused rather than new memory mapped.
    #[test]
    #[cfg_attr(miri, ignore = "mmap/mremap are outside Miri's model")]
    fn blocks_keep_their_bytes_and_are_reused() {
        let heap = PageAlloc::new();
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..5_000 {
            let action = rand(3);
            if action == 0 || live.is_empty() {
                let size = [1, 15, 16, 100, 4000, 70_000, 300_000][rand(7)] + rand(64);
                let align = [1, 8, 16, 64, 4096][rand(5)];
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero size.
                let p = unsafe { heap.alloc(layout) };
                assert!(!p.is_null() && (p as usize).is_multiple_of(align), "{size} {align}");
                let tag = round as u8;
                // SAFETY: the block is `size` bytes.
                unsafe { p.write_bytes(tag, size) };
                live.push((p, layout, tag));
            } else {
                let (p, layout, tag) = live.swap_remove(rand(live.len()));
                // SAFETY: the block is live and `layout.size()` bytes.
                let bytes = unsafe { core::slice::from_raw_parts(p, layout.size()) };
                assert!(bytes.iter().all(|&b| b == tag), "block of {} bytes was overwritten", layout.size());
                if action == 1 {
                    // SAFETY: freeing a live block with its layout.
                    unsafe { heap.dealloc(p, layout) };
                } else {
                    let new_size = [3, 40, 5000, 200_000][rand(4)];
                    // SAFETY: reallocating a live block with its layout.
                    let q = unsafe { heap.realloc(p, layout, new_size) };
                    let kept = layout.size().min(new_size);
                    // SAFETY: the new block holds at least `kept` old bytes.
                    let bytes = unsafe { core::slice::from_raw_parts(q, kept) };
                    assert!(bytes.iter().all(|&b| b == tag), "realloc lost bytes");
                    let layout = Layout::from_size_align(new_size, layout.align()).unwrap();
                    // SAFETY: the block is `new_size` bytes.
                    unsafe { q.write_bytes(tag, new_size) };
                    live.push((q, layout, tag));
                }
            }
        }
        for (p, layout, _) in live {
            // SAFETY: freeing live blocks.
            unsafe { heap.dealloc(p, layout) };
        }
        // Everything small is free now: a new small block comes from a free list, not a new chunk.
        let before = heap.with(|s| s.next);
        // SAFETY: non-zero size.
        let p = unsafe { heap.alloc(Layout::from_size_align(100, 8).unwrap()) };
        assert_eq!(heap.with(|s| s.next), before);
        // SAFETY: freeing it again.
        unsafe { heap.dealloc(p, Layout::from_size_align(100, 8).unwrap()) };
    }
}
