//! The libc edge: sockets, the environment, the clock, memory mappings, stderr and exit. Every
//! `unsafe` block of the crate is here, but for the allocator's (`allocator.rs`).

use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::{CStr, c_int, c_void};
use core::net::{Ipv4Addr, Ipv6Addr};

/// An OS error number (`errno`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub c_int);

impl Errno {
    fn last() -> Errno {
        // SAFETY: `__errno_location` returns this thread's errno slot, valid for reading.
        Errno(unsafe { *errno_location() })
    }

    /// A description of the errors a Runtime API client meets; others are "OS error". (Our own
    /// table: the C library's strerror table is 2 KB of text we would mostly never show.)
    pub fn describe(self) -> &'static str {
        match self.0 {
            libc::ECONNREFUSED => "Connection refused",
            libc::ECONNRESET => "Connection reset by peer",
            libc::EPIPE => "Broken pipe",
            libc::ETIMEDOUT => "Connection timed out",
            libc::ENETUNREACH => "Network unreachable",
            libc::EHOSTUNREACH => "Host unreachable",
            libc::EADDRNOTAVAIL => "Address not available",
            libc::EAFNOSUPPORT => "Address family not supported",
            libc::ENOTCONN => "Socket not connected",
            libc::EMFILE | libc::ENFILE => "Too many open files",
            libc::ENOMEM | libc::ENOBUFS => "Out of memory",
            libc::EACCES | libc::EPERM => "Permission denied",
            _ => "OS error",
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
use libc::__errno_location as errno_location;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use libc::__error as errno_location;

/// One connected TCP socket, closed on drop.
#[derive(Debug)]
pub struct Socket {
    fd: c_int,
}

impl Socket {
    /// Connects to `v4:port` with `TCP_NODELAY` set.
    pub fn connect_v4(ip: Ipv4Addr, port: u16) -> Result<Socket, Errno> {
        // SAFETY: sockaddr_in is plain old data; all-zero is a valid value before we fill it.
        let mut addr: libc::sockaddr_in = unsafe { core::mem::zeroed() };
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_port = port.to_be();
        addr.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(ip.octets()) };
        let len = core::mem::size_of::<libc::sockaddr_in>();
        Socket::connect(libc::AF_INET, (&raw const addr).cast(), len)
    }

    /// Connects to `[v6]:port` with `TCP_NODELAY` set.
    pub fn connect_v6(ip: Ipv6Addr, port: u16) -> Result<Socket, Errno> {
        // SAFETY: sockaddr_in6 is plain old data; all-zero is a valid value before we fill it.
        let mut addr: libc::sockaddr_in6 = unsafe { core::mem::zeroed() };
        addr.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        addr.sin6_port = port.to_be();
        addr.sin6_addr = libc::in6_addr { s6_addr: ip.octets() };
        let len = core::mem::size_of::<libc::sockaddr_in6>();
        Socket::connect(libc::AF_INET6, (&raw const addr).cast(), len)
    }

    fn connect(family: c_int, addr: *const libc::sockaddr, len: usize) -> Result<Socket, Errno> {
        // SAFETY: plain socket(2) call with constant arguments.
        let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(Errno::last());
        }
        let socket = Socket { fd };
        let one: c_int = 1;
        // SAFETY: `one` outlives the call and its size is passed; a failure is harmless.
        unsafe {
            let one_ptr = (&raw const one).cast();
            let size = core::mem::size_of::<c_int>() as libc::socklen_t;
            libc::setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, one_ptr, size);
            #[cfg(not(lb_msg_nosignal))]
            libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_NOSIGPIPE, one_ptr, size);
        }
        loop {
            // SAFETY: `addr` points to a sockaddr of `len` bytes owned by the caller.
            if unsafe { libc::connect(fd, addr, len as libc::socklen_t) } == 0 {
                return Ok(socket);
            }
            let e = Errno::last();
            if e.0 != libc::EINTR {
                return Err(e);
            }
        }
    }

    /// Writes every byte of every part, in order, with as few system calls as the kernel allows.
    pub fn send_all(&mut self, parts: &[&[u8]]) -> Result<(), Errno> {
        let mut iov = [libc::iovec { iov_base: core::ptr::null_mut(), iov_len: 0 }; 3];
        let mut skip = 0usize; // bytes already sent
        loop {
            let mut n = 0;
            let mut offset = skip;
            for part in parts {
                if offset >= part.len() {
                    offset -= part.len();
                    continue;
                }
                if n < iov.len() {
                    iov[n] = libc::iovec {
                        iov_base: part[offset..].as_ptr() as *mut c_void,
                        iov_len: part.len() - offset,
                    };
                    n += 1;
                }
                offset = 0;
            }
            if n == 0 {
                return Ok(());
            }
            // SAFETY: msghdr is plain old data; all-zero means no name and no control data.
            let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
            msg.msg_iov = iov.as_mut_ptr();
            msg.msg_iovlen = n as _;
            // SAFETY: the iovecs point into `parts`, which outlive the call; sendmsg only reads.
            let sent = unsafe { libc::sendmsg(self.fd, &msg, SEND_FLAGS) };
            if sent < 0 {
                let e = Errno::last();
                if e.0 == libc::EINTR {
                    continue;
                }
                return Err(e);
            }
            skip += sent as usize;
        }
    }

    /// Reads what is available (blocking until something is), at most `max` bytes, appending to
    /// `buf`. Returns 0 at end of stream.
    pub fn recv_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<usize, Errno> {
        buf.reserve(max);
        let spare = buf.spare_capacity_mut();
        let len = spare.len().min(max);
        loop {
            // SAFETY: `spare` is writable memory of at least `len` bytes owned by `buf`.
            let n = unsafe { libc::recv(self.fd, spare.as_mut_ptr().cast(), len, 0) };
            if n >= 0 {
                let n = n as usize;
                // SAFETY: recv initialised the first `n` bytes of the spare capacity.
                unsafe { buf.set_len(buf.len() + n) };
                return Ok(n);
            }
            let e = Errno::last();
            if e.0 != libc::EINTR {
                return Err(e);
            }
        }
    }
}

#[cfg(lb_msg_nosignal)]
const SEND_FLAGS: c_int = libc::MSG_NOSIGNAL;
#[cfg(not(lb_msg_nosignal))]
const SEND_FLAGS: c_int = 0;

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: we own `fd` and nothing uses it after drop.
        unsafe { libc::close(self.fd) };
    }
}

/// Resolves a host name with the C library (std only: musl's resolver reads /etc/hosts and DNS).
#[cfg(feature = "std")]
pub fn resolve(name: &str, port: u16) -> Option<core::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    (name, port).to_socket_addrs().ok()?.next()
}

/// The value of an environment variable, if set and valid UTF-8.
pub fn env(name: &CStr) -> Option<String> {
    // SAFETY: getenv reads the environment; we copy the value out at once. The runtime reads
    // the environment before any handler runs, so no other thread is changing it.
    let ptr = unsafe { libc::getenv(name.as_ptr()) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a non-null getenv result is a NUL-terminated string.
    let value = unsafe { CStr::from_ptr(ptr) };
    utf8(value.to_bytes()).map(String::from)
}

/// `bytes` as text, if they are valid UTF-8: what `core::str::from_utf8` checks, in a tenth of
/// its size (it is 750 bytes of code and tables, built for speed on long texts; ours are
/// environment variables and header values).
pub fn utf8(bytes: &[u8]) -> Option<&str> {
    let mut rest = bytes;
    while let [first, tail @ ..] = rest {
        // The sequence's length from its first byte, the smallest scalar value a sequence of
        // that length may encode, and the first byte's payload bits.
        let (more, min, mut c) = match *first {
            b @ 0x00..=0x7f => (0, 0, u32::from(b)),
            b @ 0xc0..=0xdf => (1, 0x80, u32::from(b & 0x1f)),
            b @ 0xe0..=0xef => (2, 0x800, u32::from(b & 0x0f)),
            b @ 0xf0..=0xf7 => (3, 0x1_0000, u32::from(b & 0x07)),
            _ => return None,
        };
        rest = tail;
        for _ in 0..more {
            let [b @ 0x80..=0xbf, tail @ ..] = rest else { return None };
            c = c << 6 | u32::from(b & 0x3f);
            rest = tail;
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if c < min || (0xd800..0xe000).contains(&c) || c > 0x10_ffff {
            return None;
        }
    }
    // SAFETY: every sequence in `bytes` was checked above to be the shortest encoding of a
    // Unicode scalar value, which is what UTF-8 is.
    Some(unsafe { core::str::from_utf8_unchecked(bytes) })
}

/// Sets (`Some`) or removes (`None`) `_X_AMZN_TRACE_ID`. `scratch` is reused for the C string.
/// Only with `std`: setenv needs the C allocator (10 KB), and a `#![no_std]` program reads the
/// trace id from its `Context`.
#[cfg(feature = "std")]
pub fn set_trace_env(value: Option<&str>, scratch: &mut Vec<u8>) {
    const NAME: &CStr = c"_X_AMZN_TRACE_ID";
    match value {
        Some(v) if !v.bytes().any(|b| b == 0) => {
            scratch.clear();
            scratch.extend_from_slice(v.as_bytes());
            scratch.push(0);
            // SAFETY: both strings are NUL-terminated and live across the call. Called from the
            // runtime loop between invocations, when the handler (the only other user of the
            // environment) is not running.
            unsafe { libc::setenv(NAME.as_ptr(), scratch.as_ptr().cast(), 1) };
        }
        // SAFETY: as above; NAME is NUL-terminated.
        _ => unsafe {
            libc::unsetenv(NAME.as_ptr());
        },
    }
}

/// Milliseconds since the Unix epoch (wall clock, as the deadline header is).
///
/// With `std`, musl's `clock_gettime`, which reads the clock from the vDSO without entering the
/// kernel (std links it anyway). Without `std`, the plain system call: the vDSO lookup is 700
/// bytes of ELF parsing, a tenth of a `#![no_std]` bootstrap's budget, to save a fraction of a
/// microsecond on a call made once per event at most (relative deadlines, `remaining_ms`).
pub fn now_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    #[cfg(feature = "std")]
    // SAFETY: clock_gettime(3) writes one timespec into `ts`, which outlives the call.
    unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &raw mut ts)
    };
    #[cfg(not(feature = "std"))]
    // SAFETY: clock_gettime(2) writes one timespec into `ts`, which outlives the call.
    unsafe {
        libc::syscall(libc::SYS_clock_gettime, libc::c_long::from(libc::CLOCK_REALTIME), &raw mut ts)
    };
    (ts.tv_sec as u64).saturating_mul(1000) + (ts.tv_nsec as u64) / 1_000_000
}

/// How much a line matters: Lambda's log levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `TRACE`.
    Trace,
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `WARN`: the runtime goes on (reconnecting, carrying on).
    Warn,
    /// `ERROR`: an invocation or the initialisation failed.
    Error,
    /// `FATAL`: the runtime stops; the process exits.
    Fatal,
}

/// Writes one runtime line to stderr in a single `write`: `lambda-bootstrap: ` + parts + `\n`
/// (with feature `log`, the line Lambda's log format asks for, if `level` passes its filter).
pub fn log(level: Level, parts: &[&[u8]]) {
    #[cfg(feature = "log")]
    {
        crate::logger::runtime_line(level, parts);
    }
    #[cfg(not(feature = "log"))]
    {
        let _ = level;
        let mut line = Vec::with_capacity(128);
        line.extend_from_slice(b"lambda-bootstrap: ");
        for part in parts {
            line.extend_from_slice(part);
        }
        line.push(b'\n');
        write_stderr(&line);
    }
}

/// Writes `line` to stderr, in one `write` unless the kernel takes less (it retries the rest).
pub fn write_stderr(line: &[u8]) {
    let mut rest = line;
    while !rest.is_empty() {
        // SAFETY: `rest` is a valid byte slice; fd 2 may be closed, which only makes write fail.
        let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
        if n <= 0 {
            if n < 0 && Errno::last().0 == libc::EINTR {
                continue;
            }
            return;
        }
        rest = &rest[n as usize..];
    }
}

/// Ends the process with `code`, flushing std's stdout buffer when std is there.
pub fn exit(code: i32) -> ! {
    #[cfg(feature = "std")]
    std::process::exit(code);
    #[cfg(not(feature = "std"))]
    // SAFETY: exit(3) runs the C atexit handlers and never returns.
    unsafe {
        libc::exit(code)
    }
}

/// Mapping lengths in whole pages (the kernel rounds them too; saying so keeps every call exact).
fn page_round(size: usize) -> usize {
    size.saturating_add(4095) & !4095
}

/// `size` bytes of fresh zeroed pages, or null.
pub fn map(size: usize) -> *mut u8 {
    let size = page_round(size);
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing.
    let p = unsafe { libc::mmap(core::ptr::null_mut(), size, prot, flags, -1, 0) };
    if p == libc::MAP_FAILED { core::ptr::null_mut() } else { p.cast() }
}

/// Returns a mapping from [`map`] or [`remap`] to the kernel.
///
/// # Safety
/// `ptr` and `size` describe a whole mapping that nothing uses any more.
pub unsafe fn unmap(ptr: *mut u8, size: usize) {
    let size = page_round(size);
    // SAFETY: guaranteed by the caller.
    unsafe { libc::munmap(ptr.cast(), size) };
}

/// Grows or shrinks a mapping, moving it if needed; null on failure (the old one then stays).
///
/// # Safety
/// `ptr` and `old` describe a whole mapping from [`map`] or [`remap`].
pub unsafe fn remap(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
    let (old, new) = (page_round(old), page_round(new));
    // SAFETY: guaranteed by the caller; MREMAP_MAYMOVE lets the kernel pick a new address.
    let p = unsafe { libc::mremap(ptr.cast(), old, new, libc::MREMAP_MAYMOVE) };
    if p == libc::MAP_FAILED { core::ptr::null_mut() } else { p.cast() }
}

/// Ignores `SIGPIPE`, as std's runtime set-up does: a write to a closed pipe or socket then
/// fails with `EPIPE` instead of killing the process. For [`crate::main!`], which skips that set-up.
#[cfg(feature = "std")]
pub fn ignore_sigpipe() {
    // SAFETY: installs the predefined SIG_IGN disposition; no handler code is involved.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// The signal edge of graceful shutdown (feature `shutdown`): SIGTERM is blocked and read from a
/// descriptor, so that no code ever runs inside a signal handler.
#[cfg(feature = "shutdown")]
pub mod signal {
    use super::{Errno, Socket, c_int};

    /// A set holding SIGTERM alone.
    fn sigterm_set() -> libc::sigset_t {
        // SAFETY: sigset_t is plain old data; sigemptyset initialises it before sigaddset.
        unsafe {
            let mut set: libc::sigset_t = core::mem::zeroed();
            libc::sigemptyset(&raw mut set);
            libc::sigaddset(&raw mut set, libc::SIGTERM);
            set
        }
    }

    /// Blocks (`true`) or unblocks SIGTERM on the calling thread; threads it starts later inherit
    /// the mask.
    pub fn block_sigterm(block: bool) -> Result<(), Errno> {
        let set = sigterm_set();
        let how = if block { libc::SIG_BLOCK } else { libc::SIG_UNBLOCK };
        // SAFETY: `set` is an initialised signal set; the old mask is not asked for.
        let e = unsafe { libc::pthread_sigmask(how, &raw const set, core::ptr::null_mut()) };
        if e == 0 { Ok(()) } else { Err(Errno(e)) }
    }

    /// A descriptor that becomes readable when a (blocked) SIGTERM is pending; closed on drop.
    pub struct SigtermFd(c_int);

    impl SigtermFd {
        /// `signalfd(2)` for SIGTERM.
        pub fn new() -> Result<SigtermFd, Errno> {
            let set = sigterm_set();
            // SAFETY: -1 asks for a new descriptor; `set` is an initialised signal set.
            let fd = unsafe { libc::signalfd(-1, &raw const set, libc::SFD_CLOEXEC) };
            if fd < 0 { Err(Errno::last()) } else { Ok(SigtermFd(fd)) }
        }

        /// Takes the pending SIGTERM (one `signalfd_siginfo`); the sender's pid, if it was read.
        pub fn take(&self) -> Option<u32> {
            // SAFETY: signalfd_siginfo is plain old data; all-zero is a valid value.
            let mut info: libc::signalfd_siginfo = unsafe { core::mem::zeroed() };
            let size = core::mem::size_of::<libc::signalfd_siginfo>();
            // SAFETY: `info` is writable memory of `size` bytes that outlives the call.
            let n = unsafe { libc::read(self.0, (&raw mut info).cast(), size) };
            (n == size as isize).then_some(info.ssi_pid)
        }
    }

    impl Drop for SigtermFd {
        fn drop(&mut self) {
            // SAFETY: we own the descriptor and nothing uses it after drop.
            unsafe { libc::close(self.0) };
        }
    }

    /// What [`wait`] saw.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Ready {
        /// SIGTERM is pending.
        Sigterm,
        /// The socket has something to read (an answer, an end of stream or an error).
        Socket,
    }

    /// Blocks until SIGTERM is pending or `socket` (if any) is readable. The socket wins a tie:
    /// an answer that came before SIGTERM is read (and reported) first, and SIGTERM, still
    /// pending in the signalfd, ends the next wait at once.
    pub fn wait(sigterm: &SigtermFd, socket: Option<&Socket>) -> Ready {
        let mut fds = [
            libc::pollfd { fd: sigterm.0, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: socket.map_or(-1, |s| s.fd), events: libc::POLLIN, revents: 0 },
        ];
        loop {
            // SAFETY: two valid pollfd entries for the duration of the call (a negative fd is
            // ignored by poll).
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if n > 0 && fds[1].revents != 0 {
                return Ready::Socket;
            }
            if n > 0 && fds[0].revents != 0 {
                return Ready::Sigterm;
            }
            // EINTR, or nothing ready: wait again.
        }
    }
}

/// Aborts the process (for a `#![no_std]` program's panic handler).
pub fn abort() -> ! {
    // SAFETY: abort(3) takes no arguments and never returns.
    unsafe { libc::abort() }
}

/// A thread's work: runs once, on the thread (features `concurrency` and `shutdown`).
#[cfg(any(feature = "concurrency", feature = "shutdown"))]
pub type ThreadMain = alloc::boxed::Box<dyn FnOnce() + Send + 'static>;

/// Starts a detached thread with a stack of `stack_size` bytes (at least the C library's
/// minimum) that runs `main`. Not `std::thread`: its spawn brings thread names, spawn hooks, a
/// join packet and a signal stack per thread (about 20 KB of code), none of which a worker that
/// never returns uses. A panic that would leave `main` aborts the process (it cannot unwind
/// through the C start routine).
#[cfg(any(feature = "concurrency", feature = "shutdown"))]
pub fn spawn_thread(stack_size: usize, main: ThreadMain) -> Result<(), Errno> {
    extern "C" fn start(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the box `spawn_thread` leaked for this thread alone, handed over once.
        let main = unsafe { alloc::boxed::Box::from_raw(arg.cast::<ThreadMain>()) };
        main();
        core::ptr::null_mut()
    }
    let arg = alloc::boxed::Box::into_raw(alloc::boxed::Box::new(main));
    // SAFETY: `attr` is initialised by pthread_attr_init before any other use and destroyed
    // after pthread_create copied it; `thread` is written by pthread_create; `start` has the
    // signature pthread_create expects, and `arg` stays valid until the thread takes it (or is
    // taken back here if no thread started).
    unsafe {
        let mut attr: libc::pthread_attr_t = core::mem::zeroed();
        let mut rc = libc::pthread_attr_init(&mut attr);
        if rc == 0 {
            rc = libc::pthread_attr_setstacksize(&mut attr, stack_size.max(libc::PTHREAD_STACK_MIN));
        }
        if rc == 0 {
            rc = libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        }
        if rc == 0 {
            let mut thread: libc::pthread_t = core::mem::zeroed();
            rc = libc::pthread_create(&mut thread, &attr, start, arg.cast());
        }
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            drop(alloc::boxed::Box::from_raw(arg));
            return Err(Errno(rc));
        }
    }
    Ok(())
}

/// Blocks this thread until the process ends (another thread is exiting it).
#[cfg(feature = "concurrency")]
pub fn wait_forever() -> ! {
    loop {
        // SAFETY: pause(2) takes no arguments; it returns only after a caught signal.
        unsafe { libc::pause() };
    }
}

// Without std nothing else asks the linker for the C library; a static musl build finds the
// self-contained libc.a that rustup ships with the target.
#[cfg(not(feature = "std"))]
#[link(name = "c")]
unsafe extern "C" {}

#[cfg(test)]
mod tests {
    use super::utf8;

    fn agrees(bytes: &[u8]) {
        assert_eq!(utf8(bytes).is_some(), core::str::from_utf8(bytes).is_ok(), "{bytes:x?}");
    }

    /// The small validator says what core's says: on every sequence of one to three bytes, and
    /// on four-byte sequences with each first and second byte and the edge values of the others.
    #[test]
    #[cfg_attr(miri, ignore)] // 23 million checks
    fn utf8_agrees_with_core() {
        const EDGES: [u8; 12] = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xf4, 0xff];
        for a in 0..=255 {
            agrees(&[a]);
            for b in 0..=255 {
                agrees(&[a, b]);
                for c in 0..=255 {
                    agrees(&[a, b, c]);
                }
                for c in EDGES {
                    for d in EDGES {
                        agrees(&[a, b, c, d]);
                    }
                }
            }
        }
        agrees("Lambda-Runtime: é, €, 𝄞".as_bytes());
        agrees(b"");
    }
}
