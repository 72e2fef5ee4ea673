//! The global allocator: mimalloc for the agent and the CLI, glibc's malloc for a raw_exec task's
//! executor.
//!
//! The servers' state machine and scheduler allocate and free many small objects per placement,
//! and glibc's malloc spent most of a C1M run's CPU on its free lists (BENCHMARKS.md). But every
//! raw_exec task runs under an executor (this binary again, `nomad executor`), and there mimalloc's
//! arena cost 1.2-5 MB instead of glibc's 0.6 MB: the client's per-allocation budget. So the mode
//! is chosen per process, from its arguments, before `main` runs.
//!
//! Switching is safe at any time, not only before the first allocation: in system mode a pointer
//! that mimalloc handed out earlier is still given back to mimalloc.
//!
//! mimalloc is told to give freed memory back at once and to commit memory as it is used rather
//! than a segment at a time: with its defaults an idle dev agent held 39 MiB instead of 22 and
//! grew 260 KiB per running raw_exec allocation instead of 100 (`alloc-memory-bench`), for a few
//! per cent of a C1M run's time (BENCHMARKS.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

use crate::client::drivers::executor::SUBCOMMAND as EXECUTOR;

// mimalloc's option numbers (`mi_option_e` in its v2 `mimalloc.h`; the sys crate names only some).
const MI_OPTION_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 3;
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Set once a process is known to be an executor; never cleared.
static SYSTEM: AtomicBool = AtomicBool::new(false);

/// mimalloc, or the system's malloc once [`use_system`] was called.
pub struct NomadAllocator;

#[global_allocator]
static GLOBAL: NomadAllocator = NomadAllocator;

/// Sends every later allocation to the system's malloc (the executor's small heap).
pub fn use_system() {
    SYSTEM.store(true, Ordering::Relaxed);
}

/// Whether the system's malloc serves new allocations.
pub fn is_system() -> bool {
    SYSTEM.load(Ordering::Relaxed)
}

/// Whether a process started with `args` is an executor (`nomad executor ...`).
pub fn is_executor_args(args: &[&[u8]]) -> bool {
    args.get(1).is_some_and(|a| *a == EXECUTOR.as_bytes())
}

fn from_mimalloc(p: *mut u8) -> bool {
    // SAFETY: only reads mimalloc's segment map.
    unsafe { libmimalloc_sys::mi_is_in_heap_region(p as *const c_void) }
}

// SAFETY: every pointer goes back to the allocator that made it: mimalloc's own check says
// which one that was once the system serves new allocations.
unsafe impl GlobalAlloc for NomadAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if is_system() {
                System.alloc(layout)
            } else {
                MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if is_system() {
                System.alloc_zeroed(layout)
            } else {
                MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe {
            if is_system() && !from_mimalloc(ptr) {
                System.dealloc(ptr, layout)
            } else {
                MiMalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if !is_system() {
                return MiMalloc.realloc(ptr, layout, new_size);
            }
            if !from_mimalloc(ptr) {
                return System.realloc(ptr, layout, new_size);
            }
            // Made by mimalloc before the switch: move it to the system's heap.
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = System.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                MiMalloc.dealloc(ptr, layout);
            }
            new
        }
    }
}

/// Configures mimalloc and chooses the mode before `main` (and before anything allocates): glibc
/// calls the functions of `.init_array` with the process's arguments.
#[used]
#[unsafe(link_section = ".init_array")]
static CHOOSE_AT_START: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
    choose_at_start;

extern "C" fn choose_at_start(
    argc: c_int,
    argv: *const *const c_char,
    _envp: *const *const c_char,
) {
    // SAFETY: plain option setters; nothing else runs yet.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
    }
    if argv.is_null() {
        return;
    }
    // The program and its subcommand are all the rule looks at.
    let n = usize::try_from(argc).unwrap_or(0).min(2);
    let mut args: [&[u8]; 2] = [b"", b""];
    for (i, slot) in args.iter_mut().enumerate().take(n) {
        // SAFETY: glibc passes the process's argc/argv; argv[i] exists for i < argc.
        let arg = unsafe { *argv.add(i) };
        if arg.is_null() {
            return;
        }
        // SAFETY: a NUL-terminated argument string.
        *slot = unsafe { CStr::from_ptr(arg) }.to_bytes();
    }
    if is_executor_args(&args[..n]) {
        use_system();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executor_subcommand_selects_the_system_allocator() {
        assert!(is_executor_args(&[
            b"/usr/bin/nomad",
            b"executor",
            b"--spec"
        ]));
        assert!(!is_executor_args(&[b"/usr/bin/nomad", b"agent", b"-dev"]));
        assert!(!is_executor_args(&[b"/usr/bin/nomad"]));
        assert!(!is_executor_args(&[b"/usr/bin/nomad", b"executorx"]));
    }

    #[test]
    fn test_processes_run_on_mimalloc_configured_before_main() {
        assert!(!is_system());
        // SAFETY: reads options.
        let (purge, eager) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_OPTION_EAGER_COMMIT),
            )
        };
        assert_eq!((purge, eager), (0, 0), "the .init_array function ran");
        let b = Box::new([7u8; 100]);
        assert!(from_mimalloc(Box::as_ref(&b).as_ptr() as *mut u8));
    }
}
