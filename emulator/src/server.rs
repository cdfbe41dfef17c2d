//! The server: the connection threads, each of which accepts a connection and serves it
//! (`connection.rs`), over the state they share (`state.rs`).
//!
//! Connection threads are kept: [`SPARE_THREADS`] wait from the start, each on the listener
//! itself (epoll with `EPOLLEXCLUSIVE`: the kernel wakes one of them per connection), and the one
//! woken accepts and serves the connection, then waits again. A new connection so finds a thread
//! ready, as RAPID's goroutines are, instead of a thread's creation and a hand-over from an
//! accept thread inside the time the benchmark measures. When the last idle thread takes a
//! connection, it starts another first (so more than [`SPARE_THREADS`] connections open at once
//! do cost a thread's creation); if it cannot, it closes that connection and keeps waiting, so
//! that a thread always waits on the listener.

use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::connection::Connection;
use crate::state::{POLL, Shared};
use crate::wire::Reader;

/// Connection threads started with the emulator, before any connection arrives: enough that the
/// async baseline's overlapping connections (at most three open at once) never make one start.
pub(crate) const SPARE_THREADS: usize = 4;

/// Serves `listener` (non-blocking) with [`SPARE_THREADS`] connection threads; returns once
/// each runs, so that none is still starting when the first connection comes.
pub(crate) fn serve(shared: &Arc<Shared>, listener: TcpListener) -> std::io::Result<()> {
    *shared.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener);
    for _ in 0..SPARE_THREADS {
        spawn_connection_thread(shared)?;
    }
    let mut state = shared.lock();
    while state.running < SPARE_THREADS && !state.shutdown {
        state = shared.wait(state, POLL);
    }
    Ok(())
}

/// Starts a connection thread, counted idle from now on. Its wait on the listener is set up
/// here, so that a failure (no descriptor left) is this call's error.
fn spawn_connection_thread(shared: &Arc<Shared>) -> std::io::Result<()> {
    let waiter = match &*shared.listener.lock().unwrap_or_else(|p| p.into_inner()) {
        Some(listener) => ListenerWait::new(listener.as_raw_fd())?,
        None => return Err(std::io::Error::other("the emulator is shutting down")),
    };
    shared.lock().idle += 1;
    let for_thread = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("lambda-emulator-conn".into())
        .spawn(move || connection_thread(&for_thread, &waiter));
    if let Err(e) = spawned {
        shared.lock().idle -= 1;
        return Err(e);
    }
    Ok(())
}

/// Waits for a connection on the listener, accepts and serves it, and again, until shutdown.
fn connection_thread(shared: &Arc<Shared>, waiter: &ListenerWait) {
    shared.lock().running += 1;
    shared.notify();
    while !shared.lock().shutdown {
        // On a timeout too: a non-blocking accept costs little, and no wake-up can be missed.
        waiter.wait(POLL);
        let accepted = match &*shared.listener.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(listener) => listener.accept(),
            None => break,
        };
        match accepted {
            Ok((stream, _)) => {
                let last = {
                    let mut state = shared.lock();
                    state.idle -= 1;
                    state.idle == 0
                };
                if last && spawn_connection_thread(shared).is_err() {
                    // No thread would be left waiting on the listener: give this connection up
                    // (it closes) and stay the one that waits.
                    shared.lock().idle += 1;
                    continue;
                }
                if let Some(conn) = adopt(shared, &stream) {
                    Connection { shared: Arc::clone(shared), conn, reader: Reader::new(stream) }.run();
                }
                shared.lock().idle += 1;
            }
            // None waiting, or another thread took it.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            // Out of file descriptors or the like: try again a bit later.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    let mut state = shared.lock();
    state.idle -= 1;
    state.running -= 1;
}

/// Registers a new connection; returns its number, or `None` at shutdown.
fn adopt(shared: &Shared, stream: &TcpStream) -> Option<usize> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let clone = stream.try_clone().ok()?;
    let mut state = shared.lock();
    if state.shutdown {
        return None;
    }
    let conn = state.connections;
    state.connections += 1;
    state.open.insert(conn, clone);
    drop(state);
    shared.notify();
    Some(conn)
}

/// One thread's wait for the listener: an epoll set holding it with `EPOLLEXCLUSIVE`, so that a
/// connection wakes one waiting thread, not all of them. Closing the listener empties the set.
struct ListenerWait(OwnedFd);

impl ListenerWait {
    fn new(listener: RawFd) -> std::io::Result<ListenerWait> {
        // SAFETY: epoll_create1 takes flags only; a non-negative result is a new descriptor.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and belongs to nothing else.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut event = libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLEXCLUSIVE) as u32, u64: 0 };
        // SAFETY: both descriptors are open; `event` is valid for the call.
        if unsafe { libc::epoll_ctl(fd, libc::EPOLL_CTL_ADD, listener, &mut event) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(ListenerWait(epoll))
    }

    /// Waits until the listener is readable, at most `timeout`.
    fn wait(&self, timeout: Duration) {
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: room for one event, valid for the call.
        unsafe { libc::epoll_wait(self.0.as_raw_fd(), &mut event, 1, ms) };
    }
}
