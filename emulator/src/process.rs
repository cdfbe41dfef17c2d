//! A spawned runtime process whose stdout and stderr are captured in full.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long to wait, once the process is gone, for its output pipes to reach
/// end of file (a grandchild may keep them open forever).
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// A child process started by [`Emulator::spawn`](crate::Emulator::spawn).
///
/// Dropping it without [`wait`](Process::wait) or [`kill`](Process::kill) kills it.
#[derive(Debug)]
pub struct Process {
    child: Option<Child>,
    stdout: Option<Capture>,
    stderr: Option<Capture>,
}

/// How a process ended, and everything it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit status.
    pub status: ExitStatus,
    /// The process was still running at the end of [`Process::wait`]'s timeout
    /// and was killed.
    pub timed_out: bool,
    /// Everything it wrote to stdout (lossy UTF-8; empty if not piped).
    pub stdout: String,
    /// Everything it wrote to stderr (lossy UTF-8; empty if not piped).
    pub stderr: String,
}

impl Outcome {
    /// The exit code, if it exited normally.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// The signal that killed it, if any.
    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }
}

impl Process {
    /// Take over a spawned child and start capturing its piped output.
    pub(crate) fn new(mut child: Child) -> Process {
        let stdout = child.stdout.take().map(Capture::start);
        let stderr = child.stderr.take().map(Capture::start);
        Process { child: Some(child), stdout, stderr }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The exit status if the process has exited, without waiting.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|child| child.try_wait().ok().flatten())
    }

    /// Output captured so far: (stdout, stderr).
    pub fn output_so_far(&self) -> (String, String) {
        let text = |c: &Option<Capture>| c.as_ref().map(Capture::text).unwrap_or_default();
        (text(&self.stdout), text(&self.stderr))
    }

    /// Wait up to `timeout` for the process to exit; if it is still running then,
    /// SIGKILL it (and set [`Outcome::timed_out`]).
    pub fn wait(mut self, timeout: Duration) -> Outcome {
        let deadline = crate::deadline(Instant::now(), timeout);
        let mut pause = Duration::from_millis(1);
        loop {
            if let Some(status) = self.try_wait() {
                return self.finish(status, false);
            }
            let now = Instant::now();
            if now >= deadline {
                let status = self.kill_and_reap();
                return self.finish(status, true);
            }
            thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// SIGKILL the process now, reap it and collect its output.
    pub fn kill(mut self) -> Outcome {
        let status = match self.try_wait() {
            Some(status) => status,
            None => self.kill_and_reap(),
        };
        self.finish(status, false)
    }

    fn kill_and_reap(&mut self) -> ExitStatus {
        let Some(child) = self.child.as_mut() else {
            return ExitStatus::from_raw(libc::SIGKILL);
        };
        let _ = child.kill();
        child.wait().unwrap_or_else(|_| ExitStatus::from_raw(libc::SIGKILL))
    }

    fn finish(&mut self, status: ExitStatus, timed_out: bool) -> Outcome {
        self.child = None;
        let collect = |c: Option<Capture>| c.map(Capture::finish).unwrap_or_default();
        Outcome {
            status,
            timed_out,
            stdout: collect(self.stdout.take()),
            stderr: collect(self.stderr.take()),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.kill_and_reap();
        }
    }
}

/// A thread reading one pipe to its end into a shared buffer.
#[derive(Debug)]
struct Capture {
    data: Arc<Mutex<Vec<u8>>>,
    done: Receiver<()>,
}

impl Capture {
    fn start(mut pipe: impl Read + Send + 'static) -> Capture {
        let data = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let sink = Arc::clone(&data);
        // Without a thread the pipe is dropped and `done` reports at once.
        let _ = thread::Builder::new().name("lambda-emulator-capture".into()).spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => sink.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
        Capture { data, done }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.data.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// Wait (boundedly) for the end of the pipe, then return everything read.
    fn finish(self) -> String {
        let _ = self.done.recv_timeout(DRAIN_GRACE);
        self.text()
    }
}
