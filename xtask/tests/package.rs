//! `cargo xtask package` end to end: real static binaries in, zips out, read back by an
//! independent reader (Python's `zipfile`, which also verifies the CRC), and refusals of what
//! Lambda could not run.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty directory for one test in cargo's scratch space for integration tests
/// (per process, so that concurrent runs of the suite do not meet).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("package-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn xtask(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("package").args(args).env_remove("SOURCE_DATE_EPOCH");
    cmd.envs(env.iter().copied());
    cmd.output().expect("xtask runs")
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "xtask package failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The one-line error of a refused package.
fn refused(output: &Output) -> String {
    assert!(!output.status.success(), "xtask package should have failed");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

/// The zip path a line of `xtask package` output names.
fn zip_of(line: &str) -> PathBuf {
    PathBuf::from(line.split_whitespace().next().expect("a path first"))
}

/// Python's reading of the zip: entry names, creator system, mode, date, method, CRC check
/// and contents against `bootstrap`; prints the archive's SHA-256.
const READ_ZIP: &str = r#"
import hashlib, sys, zipfile
path, bootstrap, date = sys.argv[1], sys.argv[2], tuple(int(x) for x in sys.argv[3].split(","))
with zipfile.ZipFile(path) as z:
    infos = z.infolist()
    assert [i.filename for i in infos] == ["bootstrap"], infos
    info = infos[0]
    assert info.create_system == 3, info.create_system
    assert info.external_attr >> 16 == 0o100755, oct(info.external_attr >> 16)
    assert info.date_time == date, info.date_time
    assert info.compress_type == zipfile.ZIP_DEFLATED, info.compress_type
    assert info.extra == b"", info.extra
    assert z.testzip() is None
    assert z.read("bootstrap") == open(bootstrap, "rb").read()
print(hashlib.sha256(open(path, "rb").read()).hexdigest())
"#;

fn read_zip(zip: &Path, bootstrap: &Path, date: &str) -> String {
    let output = Command::new("python3")
        .args(["-c", READ_ZIP])
        .args([zip, bootstrap])
        .arg(date)
        .output()
        .expect("python3 is installed");
    assert!(
        output.status.success(),
        "python3 rejected {}:\n{}",
        zip.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn echo_packages_are_byte_identical_and_read_back() {
    let (first, second) = (scratch("first"), scratch("second"));
    let package = |out: &Path| succeeded(&xtask(&["--example", "echo", "--out", out.to_str().unwrap()], &[]));
    let printed = package(&first);
    assert_eq!(package(&second).lines().count(), 2);
    for (line, arch) in printed.lines().zip(["x86_64", "arm64"]) {
        let dir = first.join("echo").join(arch);
        assert_eq!(zip_of(line), dir.join("bootstrap.zip"), "{line}");
        let zip = std::fs::read(dir.join("bootstrap.zip")).unwrap();
        let again = std::fs::read(second.join("echo").join(arch).join("bootstrap.zip")).unwrap();
        assert!(zip == again, "{arch}: two packagings differ");
        let digest = read_zip(&dir.join("bootstrap.zip"), &dir.join("bootstrap"), "1980,1,1,0,0,0");
        assert!(line.contains(&format!("  {} bytes  sha256:{digest}  CodeSha256:", zip.len())), "{line}");
        let mode = std::fs::metadata(dir.join("bootstrap")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    // The same binary, another time: SOURCE_DATE_EPOCH is the entry's date.
    let x86 = first.join("echo/x86_64/bootstrap");
    let out = scratch("epoch");
    let args = ["--binary", x86.to_str().unwrap(), "--arch", "x86_64", "--out", out.to_str().unwrap()];
    succeeded(&xtask(&args, &[("SOURCE_DATE_EPOCH", "1700000000")]));
    let dir = out.join("bootstrap/x86_64");
    read_zip(&dir.join("bootstrap.zip"), &dir.join("bootstrap"), "2023,11,14,22,13,20");
    assert!(refused(&xtask(&args, &[("SOURCE_DATE_EPOCH", "yesterday")])).contains("SOURCE_DATE_EPOCH"));

    // A static x86_64 executable is not an arm64 one.
    let wrong = ["--binary", x86.to_str().unwrap(), "--arch", "arm64", "--out", out.to_str().unwrap()];
    assert!(refused(&xtask(&wrong, &[])).ends_with("bootstrap: built for x86_64, not arm64"));
    assert!(!out.join("bootstrap/arm64").exists());

    for dir in [first, second, out] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Compiles `source` (C) with the host's `cc` into `dir/name`, with `flags` after it.
fn cc(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    let (c, out) = (dir.join(format!("{name}.c")), dir.join(name));
    std::fs::write(&c, source).unwrap();
    let status =
        Command::new("cc").arg("-O2").arg("-o").arg(&out).arg(&c).args(flags).status().expect("cc runs");
    assert!(status.success(), "cc {name}.c failed");
    std::fs::remove_file(c).unwrap();
    out
}

#[test]
fn refuses_dynamic_executables_and_non_elf_files() {
    let out = scratch("refused");
    let script = out.join("handler.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let build = scratch("refused-build");
    // A library of our own, not glibc's: provided.al2023 would not have it.
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(build.join("libours.so"))
        .args(["-x", "c", "-"])
        .stdin(std::process::Stdio::null())
        .status()
        .expect("cc runs");
    assert!(status.success());
    let lib_dir = format!("-L{}", build.display());
    let needs_ours = cc(
        &build,
        "needs_ours",
        "int main(void) { return 0; }\n",
        &[&lib_dir, "-Wl,--no-as-needed", "-lours"],
    );
    // arc4random is GLIBC_2.36: newer than provided.al2023's glibc 2.34.
    let too_new = cc(
        &build,
        "too_new",
        "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n",
        &[],
    );
    let host = if cfg!(target_arch = "aarch64") { "arm64" } else { "x86_64" };
    let cases = [
        (script.clone(), "x86_64", "handler.sh: not an ELF file".to_string()),
        (PathBuf::from("/nonexistent/bootstrap"), "x86_64", "cannot read /nonexistent/bootstrap".into()),
        (
            needs_ours,
            host,
            "needs_ours: dynamically linked against libours.so, which is not part of glibc".into(),
        ),
        (
            too_new,
            host,
            "too_new: dynamically linked against glibc, needs GLIBC_2.36 > 2.34 on provided.al2023".into(),
        ),
    ];
    for (binary, arch, why) in cases {
        let args = ["--binary", binary.to_str().unwrap(), "--arch", arch, "--out", out.to_str().unwrap()];
        let error = refused(&xtask(&args, &[]));
        assert!(error.contains(&why), "{error}");
    }
    let written: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(written, ["handler.sh"], "a refused binary writes nothing");
    for dir in [out, build] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn accepts_a_glibc_executable_that_provided_al2023_runs() {
    let build = scratch("glibc");
    let hello = cc(&build, "hello", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", &[]);
    let host = if cfg!(target_arch = "aarch64") { "arm64" } else { "x86_64" };
    let out = build.join("out");
    let args = ["--binary", hello.to_str().unwrap(), "--arch", host, "--out", out.to_str().unwrap()];
    let output = xtask(&args, &[]);
    let printed = succeeded(&output);
    let note = String::from_utf8_lossy(&output.stderr).trim().to_string();
    assert!(
        note.contains("/hello: dynamically linked against glibc (needs GLIBC_2.")
            && note.ends_with(" ≤ 2.34 on provided.al2023): accepted"),
        "{note}"
    );
    let zip = zip_of(&printed);
    assert_eq!(zip, out.join("hello").join(host).join("bootstrap.zip"));
    read_zip(&zip, &hello, "1980,1,1,0,0,0");
    // It is the wrong arch all the same.
    let other = if host == "x86_64" { "arm64" } else { "x86_64" };
    let args = ["--binary", hello.to_str().unwrap(), "--arch", other, "--out", out.to_str().unwrap()];
    let error = refused(&xtask(&args, &[]));
    assert!(error.ends_with(&format!("hello: built for {host}, not {other}")), "{error}");
    let _ = std::fs::remove_dir_all(build);
}

#[test]
fn packages_a_crate_of_ones_own() {
    let project = scratch("own");
    let manifest = project.join("Cargo.toml");
    std::fs::write(
        &manifest,
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
         [profile.release]\nstrip = true\n",
    )
    .unwrap();
    std::fs::create_dir_all(project.join("src/bin")).unwrap();
    std::fs::write(project.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(project.join("src/bin/other.rs"), "fn main() {}\n").unwrap();
    let path = manifest.to_str().unwrap();
    let ambiguous = refused(&xtask(&["--manifest-path", path, "--arch", "x86_64"], &[]));
    assert!(ambiguous.contains("choose one with --bin"), "{ambiguous}");
    // Its own release profile and relocation model give way to the size profile's (see builds.rs).
    let pie = (
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS",
        "-C target-feature=+crt-static -C relocation-model=pie",
    );
    let output = xtask(&["--manifest-path", path, "--bin", "tiny", "--arch", "x86_64"], &[pie]);
    let printed = succeeded(&output);
    let told = String::from_utf8_lossy(&output.stderr);
    assert!(told.contains("with the size profile (opt-level=\"z\""), "{told}");
    let zip = zip_of(&printed);
    assert!(zip.ends_with("lambda/tiny/x86_64/bootstrap.zip"), "{printed}");
    read_zip(&zip, &zip.with_file_name("bootstrap"), "1980,1,1,0,0,0");
    let elf = std::fs::read(zip.with_file_name("bootstrap")).unwrap();
    assert_eq!(u16::from_le_bytes([elf[16], elf[17]]), 2, "ET_EXEC: static, not PIE");
    let _ = std::fs::remove_dir_all(project);
}
