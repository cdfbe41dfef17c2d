//! What the [`Emulator`](crate::Emulator) and its connection threads share: the options, the
//! state under one lock (queue, recorded requests, invocations, connections) and the condvar that
//! signals its changes.

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::event::{Event, Reply};
use crate::{Options, Request};

/// How often blocked threads look again at things a condvar cannot signal
/// (a new connection on the listener, a client that went away during `/next`).
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// What the connection threads and the [`Emulator`](crate::Emulator)
/// share.
pub(crate) struct Shared {
    pub opts: Options,
    state: Mutex<State>,
    /// Signalled whenever the state changes: event queued, request recorded, shutdown.
    changed: Condvar,
    /// The listening socket (non-blocking), until shutdown closes it.
    pub listener: Mutex<Option<TcpListener>>,
}

/// Everything mutable, under one lock.
#[derive(Default)]
pub(crate) struct State {
    pub shutdown: bool,
    pub queue: VecDeque<Event>,
    pub requests: Vec<Request>,
    /// How many requests [`Emulator::take_requests`](crate::Emulator::take_requests) removed from
    /// the front of `requests`: a request's index counts them.
    pub taken: usize,
    /// Invocations served by `/next`, by request id.
    pub invocations: HashMap<String, Invocation>,
    /// An `/init/error` was accepted.
    pub init_failed: bool,
    /// Connections accepted so far.
    pub connections: usize,
    /// A clone of every open connection's socket, to shut them down on drop.
    pub open: HashMap<usize, TcpStream>,
    /// Connection threads waiting for a connection (counted from their creation).
    pub idle: usize,
    /// Connection threads that have started running.
    pub running: usize,
    /// Every data chunk of a chunked request body, as it arrived (before its request is
    /// complete and recorded).
    pub live_chunks: Vec<Vec<u8>>,
    /// Result posts wait unanswered while this is set ([`Emulator::hold_results`](crate::Emulator::hold_results)).
    pub hold: bool,
    /// The result posts waiting now: (connection, request id), in arrival order.
    pub held: Vec<(usize, String)>,
    /// The Extensions API's registrations, events and lifecycle log (`extensions.rs`).
    pub extensions: crate::extensions::Extensions,
}

/// The server's memory of one served invocation.
pub(crate) struct Invocation {
    /// A result was accepted (or rejected for good, e.g. 413).
    pub answered: bool,
    /// The custom answer to the first post, until that post arrives.
    pub reply: Option<Reply>,
    /// When the event was handed out.
    pub served_at: Instant,
    /// When the server began writing the `/next` answer that carried it (the answer
    /// already built); `None` for an event served with a [`Fault`].
    pub writing_at: Option<Instant>,
}

impl State {
    pub fn open_connections(&self) -> usize {
        self.open.len()
    }
}

impl Shared {
    pub fn new(opts: Options) -> Shared {
        Shared {
            opts,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            listener: Mutex::new(None),
        }
    }

    /// Lock the state. A panic elsewhere must not make the emulator unusable,
    /// so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wait for a state change, at most `timeout`.
    pub fn wait<'a>(&self, guard: MutexGuard<'a, State>, timeout: Duration) -> MutexGuard<'a, State> {
        match self.changed.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    pub fn notify(&self) {
        self.changed.notify_all();
    }

    /// Sleep for `duration` unless the emulator shuts down first (then `false`).
    pub fn sleep(&self, duration: Duration) -> bool {
        let until = crate::deadline(Instant::now(), duration);
        let mut state = self.lock();
        loop {
            let now = Instant::now();
            if state.shutdown {
                return false;
            }
            if now >= until {
                return true;
            }
            state = self.wait(state, until - now);
        }
    }

    /// Block until the emulator shuts down.
    pub fn wait_shutdown(&self) {
        let mut state = self.lock();
        while !state.shutdown {
            state = self.wait(state, Duration::from_secs(1));
        }
    }

    /// Record a request; returns its index.
    pub fn record(&self, request: Request) -> usize {
        let mut state = self.lock();
        state.requests.push(request);
        let index = state.taken + state.requests.len() - 1;
        drop(state);
        self.notify();
        index
    }

    /// Note a data chunk of a request body still being read.
    pub fn chunk_arrived(&self, bytes: &[u8]) {
        self.lock().live_chunks.push(bytes.to_vec());
        self.notify();
    }

    /// Stop: wake every waiter and shut every open connection down.
    pub fn shutdown(&self) {
        drop(self.listener.lock().unwrap_or_else(|p| p.into_inner()).take());
        let mut state = self.lock();
        state.shutdown = true;
        for stream in state.open.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        drop(state);
        self.notify();
    }

    /// Note that the `/next` answer for this invocation starts being written now.
    pub fn mark_writing(&self, request_id: &str) {
        if let Some(invocation) = self.lock().invocations.get_mut(request_id) {
            invocation.writing_at = Some(Instant::now());
        }
    }

    /// A result post for `request_id` arrived on `conn`: while results are held, wait (counted
    /// in `held`) until they are released or the emulator shuts down.
    pub fn hold_result(&self, conn: usize, request_id: &str) {
        let mut state = self.lock();
        if !state.hold {
            return;
        }
        state.held.push((conn, request_id.to_owned()));
        self.notify();
        while state.hold && !state.shutdown {
            state = self.wait(state, POLL);
        }
        state.held.retain(|(c, _)| *c != conn);
        drop(state);
        self.notify();
    }

    /// Forget a connection (drops the clone kept for shutdown).
    pub fn forget(&self, conn: usize) {
        self.lock().open.remove(&conn);
        self.notify();
    }
}
