//! The floor of `cargo xtask bench`: an echo `bootstrap` that does the least a Runtime API client
//! can do, so that every other program's figures can be read as ratios to it.
//!
//! Per invocation: one `write` (`GET /next`), `read`s into one buffer that only ever grows (and so
//! stays faulted in from one event to the next), a chunked event de-chunked in place (the first
//! chunk's data stays where it landed: an event in one chunk is never copied), one `writev` of the
//! response head and the event's bytes, `read`s of the `202`. Nothing else: no allocator of its
//! own (musl's `realloc` for the buffer), no formatting, no threads, no retry.
//!
//! What it leaves out, so not a runtime to deploy: host names (an IPv4 literal only, as
//! `127.0.0.1:PORT`, no scheme or path prefix), errors reported to the Runtime API (any surprise
//! is one stderr line and exit 1), `Lambda-Runtime-Invocation-Id`, limits on what it reads.
//! Hand-written on the `libc` crate alone, not on lambda-bootstrap (which it measures).
#![no_std]
#![no_main]

use core::ffi::{c_char, c_int, c_void};

/// The first size of the buffer; it grows to the largest head + event (or answer) seen.
const FIRST_CAPACITY: usize = 64 * 1024;
/// Room kept after a chunk's data for its CRLF and the next chunk-size line, so that a whole
/// chunk and what follows it come in as few reads as possible.
const SLACK: usize = 64;

const NEXT: &[u8] = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n";

// Without std, nothing else asks for musl's libc (the `libc` crate only declares it).
#[link(name = "c")]
unsafe extern "C" {}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    fail(b"panic")
}

#[unsafe(no_mangle)]
extern "C" fn main(_: c_int, _: *const *const c_char) -> c_int {
    let fd = connect_api();
    let mut buf = Buf::new();
    let mut head = [0u8; 256];
    loop {
        write_all(fd, &[NEXT]);
        let (head_end, len) = buf.read_head(fd);
        let answer = Answer::parse(buf.get(0, head_end));
        if answer.status != 200 || answer.id_len == 0 {
            fail(b"GET /next: not a 200 with a request id");
        }
        let (start, end) = if answer.chunked {
            buf.read_chunked(fd, head_end, len)
        } else {
            buf.read_exact(fd, head_end, len, answer.length)
        };
        let head_len = response_head(&mut head, &answer.id[..answer.id_len], end - start);
        write_all(fd, &[&head[..head_len], buf.get(start, end)]);

        let (head_end, len) = buf.read_head(fd);
        let answer = Answer::parse(buf.get(0, head_end));
        if !(200..300).contains(&answer.status) {
            fail(b"POST /response: not a 2xx answer");
        }
        buf.read_exact(fd, head_end, len, answer.length);
    }
}

/// One buffer for everything read: raw bytes land at `len`, and are decoded where they lie.
struct Buf {
    ptr: *mut u8,
    cap: usize,
}

impl Buf {
    fn new() -> Buf {
        let mut buf = Buf { ptr: core::ptr::null_mut(), cap: 0 };
        buf.reserve(FIRST_CAPACITY);
        buf
    }

    fn get(&self, start: usize, end: usize) -> &[u8] {
        debug_assert!(start <= end && end <= self.cap);
        // SAFETY: `start..end` lies inside the allocation, and every byte of it was read into.
        unsafe { core::slice::from_raw_parts(self.ptr.add(start), end - start) }
    }

    /// Grows the buffer to at least `cap` bytes (keeping its contents); never shrinks it.
    fn reserve(&mut self, cap: usize) {
        if cap <= self.cap {
            return;
        }
        // SAFETY: `ptr` is null or came from a previous realloc.
        let ptr = unsafe { libc::realloc(self.ptr.cast::<c_void>(), cap) }.cast::<u8>();
        if ptr.is_null() {
            fail(b"out of memory");
        }
        self.ptr = ptr;
        self.cap = cap;
    }

    /// Reads what the socket has (at least one byte) after the first `len` bytes; grows the
    /// buffer first when it is full. Returns the new length.
    fn fill(&mut self, fd: c_int, len: usize) -> usize {
        if len == self.cap {
            self.reserve(self.cap * 2);
        }
        // SAFETY: `ptr + len .. ptr + cap` is inside the allocation.
        let n = unsafe { libc::read(fd, self.ptr.add(len).cast(), self.cap - len) };
        if n <= 0 {
            fail(b"the connection closed or broke");
        }
        len + n as usize
    }

    /// Reads an answer's head from the start of the buffer; returns where it ends (after the
    /// blank line) and how many bytes were read.
    fn read_head(&mut self, fd: c_int) -> (usize, usize) {
        let mut len = 0usize;
        loop {
            let searched = len.saturating_sub(3);
            len = self.fill(fd, len);
            if let Some(i) = find(self.get(searched, len), b"\r\n\r\n") {
                return (searched + i + 4, len);
            }
        }
    }

    /// Reads until `start + n` bytes are in; returns the body's bounds.
    fn read_exact(&mut self, fd: c_int, start: usize, mut len: usize, n: usize) -> (usize, usize) {
        self.reserve(start + n);
        while len < start + n {
            len = self.fill(fd, len);
        }
        (start, start + n)
    }

    /// Decodes the chunked body that starts at `r` in place: the first chunk's data stays where
    /// it is, later chunks move down to follow it. Returns the body's bounds.
    fn read_chunked(&mut self, fd: c_int, mut r: usize, mut len: usize) -> (usize, usize) {
        let mut body: Option<(usize, usize)> = None;
        loop {
            let line_end = loop {
                if let Some(i) = self.get(r, len).iter().position(|&b| b == b'\n') {
                    break r + i;
                }
                len = self.fill(fd, len);
            };
            let size = chunk_size(self.get(r, line_end));
            r = line_end + 1;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let Some(i) = self.get(r, len).iter().position(|&b| b == b'\n') else {
                        len = self.fill(fd, len);
                        continue;
                    };
                    let blank = i == 0 || (i == 1 && self.get(r, r + 1) == b"\r");
                    r += i + 1;
                    if blank {
                        return body.unwrap_or((r, r));
                    }
                }
            }
            self.reserve(r + size + SLACK);
            while len < r + size + 2 {
                len = self.fill(fd, len);
            }
            let (_, end) = body.get_or_insert((r, r));
            if *end != r {
                // SAFETY: both ranges lie inside the allocation; `copy` allows overlap.
                unsafe { core::ptr::copy(self.ptr.add(r), self.ptr.add(*end), size) };
            }
            *end += size;
            if self.get(r + size, r + size + 2) != b"\r\n" {
                fail(b"a chunk is longer than its size says");
            }
            r += size + 2;
        }
    }
}

/// What the loop needs of an answer's head.
struct Answer {
    status: u16,
    length: usize,
    chunked: bool,
    id: [u8; 128],
    id_len: usize,
}

impl Answer {
    fn parse(head: &[u8]) -> Answer {
        let mut answer = Answer { status: 0, length: 0, chunked: false, id: [0; 128], id_len: 0 };
        let mut lines = head.split(|&b| b == b'\n');
        let status_line = lines.next().unwrap_or_default();
        answer.status = status_line.get(9..12).map_or(0, |d| decimal(d) as u16);
        for line in lines {
            let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
            let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
            if name.eq_ignore_ascii_case(b"content-length") {
                answer.length = decimal(value);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                answer.chunked = value.eq_ignore_ascii_case(b"chunked");
            } else if name.eq_ignore_ascii_case(b"lambda-runtime-aws-request-id") {
                answer.id_len = value.len().min(answer.id.len());
                answer.id[..answer.id_len].copy_from_slice(&value[..answer.id_len]);
            }
        }
        answer
    }
}

/// `POST /2018-06-01/runtime/invocation/ID/response` with `Content-Length: len`; returns its
/// length in `out`.
fn response_head(out: &mut [u8; 256], id: &[u8], len: usize) -> usize {
    let mut n = 0;
    let mut push = |bytes: &[u8]| {
        out[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    push(b"POST /2018-06-01/runtime/invocation/");
    push(id);
    push(b"/response HTTP/1.1\r\nHost: runtime\r\nContent-Length: ");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = len;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    push(&digits[i..]);
    push(b"\r\n\r\n");
    n
}

/// Writes every part, in one `writev` when the socket takes it all.
fn write_all(fd: c_int, parts: &[&[u8]]) {
    let mut iov = [libc::iovec { iov_base: core::ptr::null_mut(), iov_len: 0 }; 2];
    for (v, part) in iov.iter_mut().zip(parts) {
        *v = libc::iovec { iov_base: part.as_ptr() as *mut c_void, iov_len: part.len() };
    }
    let mut first = 0;
    let count = parts.len();
    while first < count {
        // SAFETY: the iovecs point into `parts`, which outlive the call; writev only reads.
        let n = unsafe { libc::writev(fd, iov[first..].as_ptr(), (count - first) as c_int) };
        if n < 0 {
            fail(b"writev failed");
        }
        let mut n = n as usize;
        while first < count && n >= iov[first].iov_len {
            n -= iov[first].iov_len;
            first += 1;
        }
        if first < count {
            // SAFETY: `n` is less than this iovec's length: the pointer stays inside its part.
            iov[first].iov_base = unsafe { iov[first].iov_base.cast::<u8>().add(n) }.cast();
            iov[first].iov_len -= n;
        }
    }
}

/// Connects to `AWS_LAMBDA_RUNTIME_API` (`a.b.c.d:port`), with `TCP_NODELAY`.
fn connect_api() -> c_int {
    // SAFETY: getenv gets a NUL-terminated name; its result is NULL or a C string that lives as
    // long as the environment is not changed (never, here).
    let value = unsafe { libc::getenv(c"AWS_LAMBDA_RUNTIME_API".as_ptr()) };
    if value.is_null() {
        fail(b"AWS_LAMBDA_RUNTIME_API is not set");
    }
    // SAFETY: see above.
    let value = unsafe { core::ffi::CStr::from_ptr(value) }.to_bytes();
    let Some(colon) = value.iter().rposition(|&b| b == b':') else {
        fail(b"AWS_LAMBDA_RUNTIME_API is not a.b.c.d:port")
    };
    let mut ip = [0u8; 4];
    let mut parts = value[..colon].split(|&b| b == b'.');
    for octet in &mut ip {
        *octet = decimal(parts.next().unwrap_or_default()) as u8;
    }
    let port = decimal(&value[colon + 1..]) as u16;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(ip) },
        sin_zero: [0; 8],
    };
    let one: c_int = 1;
    // SAFETY: plain socket calls; `addr` and `one` outlive them and their sizes are exact.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        let size = core::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if fd < 0 || libc::connect(fd, (&raw const addr).cast(), size) != 0 {
            fail(b"cannot connect to the Runtime API");
        }
        let one_size = core::mem::size_of::<c_int>() as libc::socklen_t;
        libc::setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, (&raw const one).cast(), one_size);
        fd
    }
}

/// The hex size at the start of a chunk-size line (extensions after `;` ignored).
fn chunk_size(line: &[u8]) -> usize {
    let mut n = 0usize;
    for &b in line {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            b';' | b'\r' | b' ' => break,
            _ => fail(b"a chunk size is not a hex number"),
        };
        n = n * 16 + usize::from(digit);
    }
    n
}

fn decimal(digits: &[u8]) -> usize {
    digits.iter().take_while(|b| b.is_ascii_digit()).fold(0, |n, &b| n * 10 + usize::from(b - b'0'))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn fail(message: &[u8]) -> ! {
    // SAFETY: write gets pointers to the static prefix and to `message`, with their lengths.
    unsafe {
        libc::write(2, b"floor: ".as_ptr().cast(), 7);
        libc::write(2, message.as_ptr().cast(), message.len());
        libc::write(2, b"\n".as_ptr().cast(), 1);
        libc::exit(1)
    }
}
