//! How a `bootstrap` is built: the size profile, the link settings and the path remapping, said
//! once.
//!
//! The lambda-bootstrap workspace's own examples get the size profile from `[profile.release]`
//! in its `Cargo.toml` and the link settings from its `.cargo/config.toml`; a user's crate has
//! neither, so the tools pass both as cargo `--config` overrides ([`SIZE_PROFILE`], [`LINKER`],
//! [`RUSTFLAGS`]), and xtask's tests check that they say what the workspace's files say. A
//! user's crate is built from the caller's directory (their own `.cargo/config.toml` applies,
//! and a relative path means what it says), the workspace's from its root.
//!
//! Every build also remaps the cargo home, the lambda-bootstrap checkout (when the library is a
//! path dependency) and the user's crate to fixed names (`--remap-path-prefix`), so the paths
//! rustc records in panic locations (and so the bytes and sizes) do not depend on where they
//! live on this machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Arch;

/// The size profile (`[profile.release]` in the workspace's `Cargo.toml`): key, TOML value.
pub const SIZE_PROFILE: [(&str, &str); 5] = [
    ("opt-level", "\"z\""),
    ("lto", "true"),
    ("codegen-units", "1"),
    ("panic", "\"abort\""),
    ("strip", "true"),
];

/// The linker of both musl targets (`.cargo/config.toml`).
pub const LINKER: &str = "rust-lld";

/// `rustflags` of both musl targets (`.cargo/config.toml`): static, non-PIE, no page padding
/// between segments, no RELRO.
pub const RUSTFLAGS: [&str; 8] = [
    "-C",
    "target-feature=+crt-static",
    "-C",
    "relocation-model=static",
    "-C",
    "link-arg=-znoseparate-code",
    "-C",
    "link-arg=-znorelro",
];

/// `cargo build --release --target <arch>` of the lambda-bootstrap workspace at `checkout`, from
/// its root; only the path remapping is added (the workspace's files give the rest).
pub fn workspace(checkout: &Path, arch: Arch) -> Command {
    let mut cmd = crate::cargo_command();
    cmd.current_dir(checkout);
    cmd.args(["build", "--release", "--target", arch.triple(), "--config", &remap_config(checkout, arch)]);
    warn_rustflags();
    cmd
}

/// The `--config` that adds the path remapping to the workspace's rustflags for `arch`.
pub fn remap_config(checkout: &Path, arch: Arch) -> String {
    rustflags_config(arch, &remap_flags(Some(checkout), None))
}

/// `cargo build --release --target <arch> --manifest-path <manifest>` of a user's crate, from the
/// caller's directory, with the size profile, the link settings and the path remapping as
/// `--config` overrides; says on stderr what it applied. `checkout`: where the lambda-bootstrap
/// library comes from when it is a path dependency (remapped too).
pub fn user(manifest: &Path, arch: Arch, checkout: Option<&Path>) -> Command {
    let mut cmd = crate::cargo_command();
    cmd.args(["build", "--release", "--target", arch.triple()]).arg("--manifest-path").arg(manifest);
    for (key, value) in SIZE_PROFILE {
        cmd.args(["--config", &format!("profile.release.{key}={value}")]);
    }
    cmd.args(["--config", &format!("target.{}.linker={}", arch.triple(), toml_string(LINKER))]);
    let crate_root = manifest.parent().unwrap_or(Path::new("/"));
    let remaps = remap_flags(checkout, Some(crate_root));
    let flags: Vec<String> = RUSTFLAGS.iter().map(|f| f.to_string()).chain(remaps.iter().cloned()).collect();
    cmd.args(["--config", &rustflags_config(arch, &flags)]);
    warn_rustflags();
    let profile: Vec<String> = SIZE_PROFILE.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "building {} for {} with the size profile ({}), linker {LINKER}, rustflags {}, {}",
        manifest.display(),
        arch.triple(),
        profile.join(", "),
        RUSTFLAGS.join(" "),
        remaps.join(" ")
    );
    cmd
}

/// `RUSTFLAGS` (or its encoded form) replaces every `rustflags` setting, ours too: say so.
fn warn_rustflags() {
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"] {
        if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
            eprintln!("{var} is set: cargo then ignores the link settings and path remapping given here");
        }
    }
}

/// `--config target.<triple>.rustflags=[…]`'s value (cargo adds it to the files' list).
pub fn rustflags_config(arch: Arch, flags: &[String]) -> String {
    let items: Vec<String> = flags.iter().map(|f| toml_string(f)).collect();
    format!("target.{}.rustflags=[{}]", arch.triple(), items.join(", "))
}

/// `--remap-path-prefix=FROM=TO` for the cargo home (`/cargo`), the checkout
/// (`/lambda-bootstrap`) and the user's crate (`/function`). rustc applies the last that matches
/// and one may lie inside another (a cargo home in the checkout), so the longest comes last.
fn remap_flags(checkout: Option<&Path>, crate_root: Option<&Path>) -> Vec<String> {
    let mut remaps = vec![(cargo_home(), "/cargo")];
    remaps.extend(checkout.map(|dir| (dir.to_path_buf(), "/lambda-bootstrap")));
    remaps.extend(crate_root.map(|dir| (dir.to_path_buf(), "/function")));
    remaps.sort_by_key(|(from, _)| from.as_os_str().len());
    remaps.into_iter().map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display())).collect()
}

/// `$CARGO_HOME`, or `~/.cargo`.
fn cargo_home() -> PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(home) if !home.is_empty() => std::path::absolute(&home).unwrap_or(PathBuf::from(home)),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
    }
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_are_toml() {
        assert_eq!(toml_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(toml_string("tab\there"), "\"tab\\u0009here\"");
        let flags = ["-C".to_string(), "x=\"y\"".to_string()];
        assert_eq!(
            rustflags_config(Arch::Arm64, &flags),
            r#"target.aarch64-unknown-linux-musl.rustflags=["-C", "x=\"y\""]"#
        );
    }

    #[test]
    fn remapping_puts_the_longest_prefix_last() {
        let flags = remap_flags(
            Some(Path::new("/a")),
            Some(Path::new("/a/very/long/crate/path/that/no/cargo/home/would/have/x")),
        );
        assert_eq!(
            flags.last().unwrap(),
            "--remap-path-prefix=/a/very/long/crate/path/that/no/cargo/home/would/have/x=/function"
        );
        assert!(flags.contains(&"--remap-path-prefix=/a=/lambda-bootstrap".to_string()));
        assert!(remap_flags(None, None).iter().all(|f| f.ends_with("=/cargo")));
    }
}
