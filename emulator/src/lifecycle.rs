//! The lifecycle that extensions take part in, on the [`Emulator`]: external extensions started
//! before the runtime and awaited until they register, the init timeout, and Lambda's shutdown
//! (SIGTERM to the runtime only when an extension is registered, its deadline, SIGKILL; then
//! `SHUTDOWN` to the extensions that asked, the rest of the deadline, SIGKILL). The Extensions API
//! itself is `extensions.rs`.

use std::io;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::extensions::{Extension, ExtensionCall};
use crate::state::POLL;
use crate::{Emulator, Outcome, Process, wire};

/// Starts each command line of `extensions` (the executable last: its file name is the
/// extension's name) with the function's environment plus `env`, stdout to our stderr, stderr
/// inherited.
pub(crate) fn start_all(
    emulator: &Emulator,
    extensions: &[Vec<std::ffi::OsString>],
    env: &[(std::ffi::OsString, std::ffi::OsString)],
) -> Result<Vec<(String, Process)>, String> {
    use std::os::fd::AsFd;
    let mut started = Vec::new();
    for argv in extensions {
        let (Some(program), Some(executable)) = (argv.first(), argv.last()) else { continue };
        let name = Path::new(executable).file_name().unwrap_or_default().to_string_lossy().into_owned();
        let mut command = emulator.command(program);
        command.args(&argv[1..]).stderr(std::process::Stdio::inherit());
        for (key, value) in env.iter().filter(|(key, _)| key != "AWS_LAMBDA_RUNTIME_API") {
            command.env(key, value);
        }
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            command.stdout(std::process::Stdio::from(fd));
        }
        let process = emulator
            .start_extension(&name, command)
            .map_err(|e| format!("cannot run the extension {}: {e}", executable.to_string_lossy()))?;
        started.push((name, process));
    }
    Ok(started)
}

/// How long each party gets at shutdown. Lambda: the runtime 500 ms when only internal
/// extensions are registered, 300 ms beside external ones, 2 s in all ([`Deadlines::LAMBDA`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// The runtime's time between SIGTERM and SIGKILL, with internal extensions only.
    pub runtime_internal: Duration,
    /// The runtime's time between SIGTERM and SIGKILL, beside external extensions.
    pub runtime_external: Duration,
    /// The whole shutdown: the extensions get what the runtime left.
    pub total: Duration,
}

impl Deadlines {
    /// Lambda's.
    pub const LAMBDA: Deadlines = Deadlines {
        runtime_internal: Duration::from_millis(500),
        runtime_external: Duration::from_millis(300),
        total: Duration::from_millis(2000),
    };

    /// Lambda's, `factor` times longer (tests on a loaded machine or under qemu).
    pub fn scaled(factor: u32) -> Deadlines {
        let d = Deadlines::LAMBDA;
        Deadlines {
            runtime_internal: d.runtime_internal * factor,
            runtime_external: d.runtime_external * factor,
            total: d.total * factor,
        }
    }
}

/// How a shutdown went ([`Emulator::shut_down`]).
#[derive(Debug)]
pub struct Shutdown {
    /// The runtime got SIGTERM (an extension was registered); else it was killed at once.
    pub sigterm: bool,
    /// How the runtime ended (`timed_out`: it outlived its deadline and was killed).
    pub runtime: Outcome,
    /// How each external extension ended, in the order given.
    pub extensions: Vec<Outcome>,
}

impl Emulator {
    /// Starts an external extension named `name` (its file name, what it registers as): before
    /// the runtime, as Lambda does. `command` is usually [`Emulator::command`] of the executable.
    pub fn start_extension(&self, name: &str, command: Command) -> io::Result<Process> {
        {
            let mut state = self.shared.lock();
            let exts = &mut state.extensions;
            exts.external.push(name.to_owned());
            exts.init_started.get_or_insert_with(Instant::now);
            exts.note(format!("started external extension {name:?}"));
        }
        self.try_spawn(command)
    }

    /// Starts every executable file of `dir` (Lambda's `/opt/extensions`), by name order, with
    /// [`Emulator::command`]; `out` chooses where their stdout and stderr go.
    pub fn start_extensions_in(
        &self,
        dir: &Path,
        out: fn(&mut Command),
    ) -> io::Result<Vec<(String, Process)>> {
        use std::os::unix::fs::PermissionsExt;
        let mut files: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter(|e| e.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
            .map(|e| e.path())
            .collect();
        files.sort();
        let mut started = Vec::new();
        for path in files {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let mut command = self.command(&path);
            out(&mut command);
            started.push((name.clone(), self.start_extension(&name, command)?));
        }
        Ok(started)
    }

    /// Waits until every extension in `started` has registered (then the runtime may start, as
    /// on Lambda), up to the init timeout. `Err` says which did not, or which exited first.
    pub fn wait_registered(&self, started: &mut [(String, Process)]) -> Result<(), String> {
        loop {
            let (missing, timeout, since) = {
                let mut state = self.shared.lock();
                let exts = &mut state.extensions;
                let missing: Vec<String> = started
                    .iter()
                    .map(|(name, _)| name.clone())
                    .filter(|name| !exts.list.iter().any(|e| &e.name == name))
                    .collect();
                (missing, exts.init_timeout, exts.init_started.unwrap_or_else(Instant::now))
            };
            if missing.is_empty() {
                return Ok(());
            }
            for (name, process) in started.iter_mut() {
                if missing.contains(name)
                    && let Some(status) = process.try_wait()
                {
                    return Err(self.fail_init(format!(
                        "init failed: extension {name:?} exited ({status}) before registering"
                    )));
                }
            }
            if since.elapsed() >= timeout {
                let late = missing.join(", ");
                return Err(self.fail_init(format!(
                    "init failed: extension {late} did not register within {timeout:?}"
                )));
            }
            self.wait_change(POLL);
        }
    }

    fn fail_init(&self, message: String) -> String {
        let mut state = self.shared.lock();
        state.extensions.note(message.clone());
        state.extensions.init_failure.get_or_insert(message.clone());
        message
    }

    /// Answers the next request of kind `call` with `status` and `body` (no other header: a
    /// `200` to a register carries no identifier), or with status 0 closes its connection
    /// without answering. Queued replies are played in order, each once.
    pub fn extension_reply(&self, call: ExtensionCall, status: u16, body: &str) {
        self.shared.lock().extensions.replies.push((call, status, body.to_owned()));
    }

    /// How long init waits for the extensions to call `next` ([`INIT_TIMEOUT`](crate::INIT_TIMEOUT) by default).
    pub fn set_init_timeout(&self, timeout: Duration) {
        self.shared.lock().extensions.init_timeout = timeout;
    }

    /// Why init failed because of an extension, if it did: an `/extension/init/error`, an
    /// extension that did not call `next` in time, or one that did not register.
    pub fn init_failure(&self) -> Option<String> {
        self.shared.lock().extensions.init_failure.clone()
    }

    /// The registered extensions, in registration order.
    pub fn extensions(&self) -> Vec<Extension> {
        self.shared.lock().extensions.list.clone()
    }

    /// The lifecycle as it happened: registrations, init, `INVOKE`s, each step of a shutdown;
    /// each line stamped with the milliseconds since the emulator started.
    pub fn lifecycle(&self) -> Vec<String> {
        self.shared.lock().extensions.log.clone()
    }

    fn note(&self, line: String) {
        self.shared.lock().extensions.note(line);
    }

    /// Shuts the function down as Lambda does (`reason`: `spindown`, `timeout` or `failure`):
    /// SIGTERM to the runtime only when an extension is registered, and SIGKILL at its deadline
    /// (at once when none is); then `SHUTDOWN` to the extensions that asked for it, and SIGKILL
    /// to those still running when the whole deadline is over.
    pub fn shut_down(
        &self,
        runtime: Process,
        extensions: Vec<Process>,
        reason: &str,
        deadlines: Deadlines,
    ) -> Shutdown {
        let start = Instant::now();
        let (registered, external) = {
            let state = self.shared.lock();
            let list = &state.extensions.list;
            (!list.is_empty(), list.iter().any(|e| e.external))
        };
        self.note(format!("shutdown ({reason})"));
        let pid = runtime.id();
        let runtime = if registered {
            let limit = if external { deadlines.runtime_external } else { deadlines.runtime_internal };
            // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            self.note(format!("SIGTERM to the runtime (pid {pid}), deadline {limit:?}"));
            let outcome = runtime.wait(limit);
            if outcome.timed_out {
                self.note(format!("SIGKILL to the runtime: still running after {limit:?}"));
            } else {
                self.note(format!("the runtime exited: {}", outcome.status));
            }
            outcome
        } else {
            self.note("no extension registered: no SIGTERM, SIGKILL to the runtime".to_owned());
            runtime.kill()
        };
        let deadline = crate::deadline(start, deadlines.total);
        let ms = (SystemTime::now() + deadline.saturating_duration_since(Instant::now()))
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let body = format!(
            r#"{{"eventType":"SHUTDOWN","shutdownReason":{},"deadlineMs":{ms}}}"#,
            wire::json_string(reason)
        );
        {
            let mut state = self.shared.lock();
            let exts = &mut state.extensions;
            let mut names = Vec::new();
            for ext in exts.list.iter_mut().filter(|e| e.wants("SHUTDOWN")) {
                ext.queue.push_back(body.clone());
                ext.delivered.push(format!("SHUTDOWN {reason}"));
                names.push(ext.name.clone());
            }
            if !names.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                exts.note(format!("SHUTDOWN ({reason}) to {}, {left:?} left", names.join(", ")));
            }
        }
        self.shared.notify();
        let mut outcomes = Vec::new();
        for process in extensions {
            let pid = process.id();
            let outcome = process.wait(deadline.saturating_duration_since(Instant::now()));
            if outcome.timed_out {
                self.note(format!("SIGKILL to extension pid {pid}: still running at the deadline"));
            } else {
                self.note(format!("extension pid {pid} exited: {}", outcome.status));
            }
            outcomes.push(outcome);
        }
        Shutdown { sigterm: registered, runtime, extensions: outcomes }
    }
}
