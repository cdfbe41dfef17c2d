//! The machine a benchmark ran on: what it is, pinning to one CPU, and how busy the rest of it
//! was meanwhile.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Pins the calling thread, and so every thread and process it starts afterwards, to the first
/// CPU it may run on. Called on the main thread before any emulator thread exists, it pins the
/// emulator and every function process alike. Returns the CPU.
pub fn pin_to_one_cpu() -> Result<usize, String> {
    // SAFETY: `cpu_set_t` is plain data (all-zero is the empty set); both calls get a valid
    // pointer to it and its exact size, and the CPU_* macros index inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut set) != 0 {
            return Err(format!("sched_getaffinity: {}", std::io::Error::last_os_error()));
        }
        let cpu = (0..libc::CPU_SETSIZE as usize).find(|&c| libc::CPU_ISSET(c, &set)).unwrap_or(0);
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, size, &set) != 0 {
            return Err(format!("sched_setaffinity to CPU {cpu}: {}", std::io::Error::last_os_error()));
        }
        Ok(cpu)
    }
}

/// The CPUs the calling thread may run on now (read it before pinning).
pub fn allowed_cpus() -> Result<Vec<usize>, String> {
    // SAFETY: `cpu_set_t` is plain data (all-zero is the empty set); the call gets a valid
    // pointer to it and its exact size, and CPU_ISSET indexes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(format!("sched_getaffinity: {}", std::io::Error::last_os_error()));
        }
        Ok((0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect())
    }
}

/// Pins the calling thread, and so every thread and process it starts afterwards, to `cpus`.
pub fn pin_to(cpus: &[usize]) -> Result<(), String> {
    // SAFETY: as in `allowed_cpus`; CPU_SET indexes inside the set for CPUs the kernel listed.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(format!("sched_setaffinity to CPUs {cpus:?}: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

pub struct Machine {
    pub nproc: String,
    pub cpu: String,
    pub kernel: String,
    pub rustc: String,
}

impl Machine {
    /// Read before pinning (`nproc` counts the CPUs this process may use).
    pub fn describe(dir: &Path) -> Machine {
        let text = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .current_dir(dir)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".into())
        };
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|v| v.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        Machine {
            nproc: text("nproc", &[]),
            cpu,
            kernel: text("uname", &["-sr"]),
            rustc: text("rustc", &["--version"]),
        }
    }
}

/// Clock ticks of the whole machine and of this process, from `/proc`: to tell whether
/// something else ran during the benchmark (the figures are only as good as the machine is quiet).
pub struct CpuTimes {
    /// Every CPU busy (user, nice, system, irq, softirq), all processes.
    busy: u64,
    /// Time the hypervisor took from this machine's CPUs.
    steal: u64,
    /// This process, its threads and its reaped children (the functions).
    ours: u64,
}

/// What ran besides the benchmark.
pub struct Others {
    pub busy: Duration,
    pub steal: Duration,
}

impl CpuTimes {
    pub fn now() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> =
            stat.lines().next()?.split_whitespace().skip(1).map_while(|v| v.parse().ok()).collect();
        let [user, nice, system, _idle, _iowait, irq, softirq, steal, ..] = cpu[..] else {
            return None;
        };
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name (which may hold spaces) start at `state` (field 3);
        // utime, stime, cutime and cstime are fields 14 to 17.
        let fields: Vec<u64> = own
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .skip(11)
            .take(4)
            .map_while(|v| v.parse().ok())
            .collect();
        Some(CpuTimes { busy: user + nice + system + irq + softirq, steal, ours: fields.iter().sum() })
    }

    pub fn others_since(&self, before: &CpuTimes) -> Others {
        // SAFETY: sysconf only reads a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let seconds = |t: u64| Duration::from_secs_f64(t as f64 / ticks);
        let busy =
            (self.busy - before.busy.min(self.busy)).saturating_sub(self.ours.saturating_sub(before.ours));
        Others { busy: seconds(busy), steal: seconds(self.steal.saturating_sub(before.steal)) }
    }
}
