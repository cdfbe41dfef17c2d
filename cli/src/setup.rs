//! What building and running a `bootstrap` needs, installed when missing: the musl rustup
//! targets, qemu-user for arm64 on an x86_64 machine (and the reverse), and for C code (e.g.
//! mimalloc) `zig cc` from the pinned PyPI `ziglang`.

use std::path::Path;
use std::process::Command;

use crate::{Arch, on_path, output, run};

/// Installs what building and running for `arches` needs, skipping what is there.
pub fn setup(arches: &[Arch]) -> Result<(), String> {
    add_targets(arches)?;
    if arches.iter().any(|a| a.emulated()) && qemu().is_none() {
        apt_install("qemu-user-static")?;
    }
    Ok(())
}

/// The qemu-user that runs arm64 binaries here, if installed.
pub fn qemu() -> Option<&'static str> {
    ["qemu-aarch64-static", "qemu-aarch64"].into_iter().find(|q| on_path(q))
}

/// The rustup targets for `arches` (building needs nothing else for pure-Rust code).
pub fn add_targets(arches: &[Arch]) -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]);
    for arch in arches {
        if !installed.lines().any(|t| t.trim() == arch.triple()) {
            run(Command::new("rustup").args(["target", "add", arch.triple()]))?;
        }
    }
    Ok(())
}

/// `apt-get install` a Debian package (through sudo when not root).
pub fn apt_install(package: &str) -> Result<(), String> {
    let root_user = output("id", &["-u"]).trim() == "0";
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(if root_user { "apt-get" } else { "sudo" });
        if !root_user {
            cmd.arg("apt-get");
        }
        run(cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", package])
}

/// The exact `ziglang` (PyPI) that compiles C code for the musl targets: another zig emits other
/// bytes for mimalloc, and sizes must be reproduced byte for byte on a fresh machine.
pub const ZIGLANG: &str = "0.17.1";

/// `pip install PACKAGE==VERSION` unless that version is installed.
pub fn pip_install(package: &str, version: &str) -> Result<(), String> {
    let query = format!("import importlib.metadata as m; print(m.version('{package}'))");
    let installed = Command::new("python3")
        .args(["-c", &query])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if installed == version {
        return Ok(());
    }
    let spec = format!("{package}=={version}");
    run(Command::new("python3").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &spec,
    ]))
}

/// Points cargo's C builds for `arch` at `zig cc` from PyPI's `ziglang`, installing it if
/// needed; the wrapper scripts are written to `scripts`. Only the C compiler changes: Rust code
/// still links with the configured linker.
pub fn c_compiler_env(cmd: &mut Command, arch: Arch, scripts: &Path) -> Result<(), String> {
    pip_install("ziglang", ZIGLANG)?;
    std::fs::create_dir_all(scripts).map_err(|e| format!("{}: {e}", scripts.display()))?;
    let zig_arch = arch.triple().split('-').next().unwrap_or("x86_64");
    // cc-rs passes rustc's target name as --target=…; zig wants its own, so the wrapper swaps it.
    // C code may stamp `__DATE__` and `__TIME__` into the binary (mimalloc does): clang reads them
    // from SOURCE_DATE_EPOCH, fixed here at the zip epoch (1980-01-01), so that two builds give
    // the same bytes. zig's cache does not key on that variable, so the wrapper keeps its own
    // cache, which only ever holds objects built with it.
    let cache = scripts.join("cache");
    let cc = format!(
        "#!/bin/sh\nfor arg do\n  shift\n  case \"$arg\" in --target=*) ;; *) set -- \"$@\" \"$arg\" ;; esac\ndone\n\
         export SOURCE_DATE_EPOCH={} ZIG_GLOBAL_CACHE_DIR={cache:?} ZIG_LOCAL_CACHE_DIR={cache:?}\n\
         exec python3 -m ziglang cc -target {zig_arch}-linux-musl \"$@\"\n",
        crate::zip::DOS_EPOCH_SECONDS
    );
    let cc_path = scripts.join(format!("{zig_arch}-cc"));
    let ar_path = scripts.join("ar");
    write_script(&cc_path, &cc)?;
    write_script(&ar_path, "#!/bin/sh\nexec python3 -m ziglang ar \"$@\"\n")?;
    let var = arch.triple().replace('-', "_");
    cmd.env(format!("CC_{var}"), cc_path).env(format!("AR_{var}"), ar_path);
    Ok(())
}

fn write_script(path: &Path, text: &str) -> Result<(), String> {
    crate::write_file(path, text.as_bytes())?;
    crate::make_executable(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two builds of the same C code must give the same bytes: `__DATE__` and `__TIME__` come
    /// out as the zip epoch, not the clock (mimalloc stamps both into every bootstrap).
    #[test]
    fn c_code_is_compiled_with_a_fixed_date_and_time() {
        let dir = std::env::temp_dir().join(format!("cargo-bootstrap-zig-{}", std::process::id()));
        let mut cmd = Command::new("true");
        c_compiler_env(&mut cmd, Arch::X86_64, &dir).unwrap();
        // A source of its own each run, so that no cached object answers.
        let source = dir.join("stamp.c");
        let unique = format!("{:?}", std::time::SystemTime::now());
        let text = format!("const char stamp[] = \"<\" __DATE__ \" \" __TIME__ \">{unique}\";\n");
        std::fs::write(&source, text).unwrap();
        let object = dir.join("stamp.o");
        let status = Command::new(dir.join("x86_64-cc"))
            .args(["--target=x86_64-unknown-linux-musl", "-c", "-o"])
            .arg(&object)
            .arg(&source)
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(&object).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let stamp = b"<Jan  1 1980 00:00:00>";
        assert!(bytes.windows(stamp.len()).any(|w| w == stamp), "no fixed stamp in the object");
    }
}
