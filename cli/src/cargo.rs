//! What cargo tells about a crate: where its manifest and target directory are, its binaries,
//! whether its dependency tree compiles C code, where lambda-bootstrap comes from, and which
//! executable a build produced.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Arch;

#[derive(miniserde::Deserialize)]
pub struct Metadata {
    pub target_directory: String,
    pub packages: Vec<Package>,
}

#[derive(miniserde::Deserialize)]
pub struct Package {
    pub name: String,
    pub manifest_path: String,
    /// `None` for a path dependency or a workspace member.
    pub source: Option<String>,
    pub targets: Vec<Target>,
}

#[derive(miniserde::Deserialize)]
pub struct Target {
    pub name: String,
    pub kind: Vec<String>,
}

/// The manifest cargo would use from the current directory, or `manifest` made absolute.
pub fn manifest(manifest: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(path) = manifest {
        return crate::user_path(path);
    }
    let output = crate::cargo_command()
        .args(["locate-project", "--message-format", "plain"])
        .output()
        .map_err(|e| format!("cannot run cargo locate-project: {e}"))?;
    if !output.status.success() {
        return Err(format!("no crate here ({}): give --manifest-path", first_line(&output.stderr)));
    }
    crate::user_path(Path::new(String::from_utf8_lossy(&output.stdout).trim()))
}

/// `cargo metadata` of the crate at `manifest`, from the current directory. `deps`: with the
/// whole dependency graph of `arch` (otherwise only the workspace's own packages).
pub fn metadata(manifest: &Path, deps: Option<Arch>) -> Result<Metadata, String> {
    let mut cmd = crate::cargo_command();
    cmd.args(["metadata", "--format-version", "1"]).arg("--manifest-path").arg(manifest);
    match deps {
        Some(arch) => cmd.args(["--filter-platform", arch.triple()]),
        None => cmd.arg("--no-deps"),
    };
    let output = cmd.output().map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", first_line(&output.stderr)));
    }
    let json = String::from_utf8_lossy(&output.stdout);
    miniserde::json::from_str(&json).map_err(|_| "cannot read cargo metadata's output".to_string())
}

fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message").trim().to_string()
}

impl Metadata {
    /// The name of the only binary target of the package at `manifest` (or of all the
    /// workspace's packages when it is a virtual manifest); an error lists them when it has
    /// several.
    pub fn only_binary(&self, manifest: &Path) -> Result<String, String> {
        let wanted = std::fs::canonicalize(manifest).ok();
        let own: Vec<&Package> =
            self.packages.iter().filter(|p| wanted.as_deref() == Some(Path::new(&p.manifest_path))).collect();
        let packages = if own.is_empty() { self.packages.iter().collect() } else { own };
        let bins: Vec<&str> = packages
            .iter()
            .flat_map(|p| &p.targets)
            .filter(|t| t.kind.iter().any(|k| k == "bin"))
            .map(|t| t.name.as_str())
            .collect();
        match bins.as_slice() {
            [one] => Ok(one.to_string()),
            [] => Err("no binary target there: give --example NAME".into()),
            many => Err(format!("{} binaries ({}): choose one with --bin NAME", many.len(), many.join(", "))),
        }
    }

    /// Some crate in the graph compiles C code (it builds with `cc`): the build then needs a C
    /// compiler for the musl target.
    pub fn compiles_c(&self) -> bool {
        self.packages.iter().any(|p| p.name == "cc")
    }

    /// The lambda-bootstrap checkout, when the library is a path dependency (or the workspace
    /// itself).
    pub fn library_checkout(&self) -> Option<PathBuf> {
        let library = self.packages.iter().find(|p| p.name == "lambda-bootstrap" && p.source.is_none())?;
        Path::new(&library.manifest_path).parent().map(Path::to_path_buf)
    }
}

/// Runs a `cargo build` quietly and returns the one executable it reports.
pub fn executable(cmd: &mut Command) -> Result<PathBuf, String> {
    cmd.args(["--quiet", "--message-format", "json"]);
    let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the build failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    let built = executables(&String::from_utf8_lossy(&output.stdout));
    match &built[..] {
        [one] => Ok(PathBuf::from(one)),
        [] => Err("the build produced no executable".into()),
        many => {
            Err(format!("the build produced several executables, pick one with --bin: {}", many.join(", ")))
        }
    }
}

/// The `"executable":"…"` paths in cargo's JSON messages.
pub fn executables(messages: &str) -> Vec<String> {
    messages
        .lines()
        .filter_map(|line| {
            let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = line[start..].find('"')?;
            Some(line[start..start + end].replace("\\\\", "\\"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_messages() {
        let messages = r#"{"reason":"compiler-artifact","executable":null}
{"reason":"compiler-artifact","target":{"name":"f"},"executable":"/x/target/release/f"}"#;
        assert_eq!(executables(messages), vec!["/x/target/release/f".to_string()]);
    }

    fn package(name: &str, source: Option<&str>, bins: &[&str]) -> Package {
        Package {
            name: name.into(),
            manifest_path: format!("/src/{name}/Cargo.toml"),
            source: source.map(String::from),
            targets: bins.iter().map(|b| Target { name: b.to_string(), kind: vec!["bin".into()] }).collect(),
        }
    }

    #[test]
    fn binaries_c_code_and_the_library() {
        let meta = Metadata {
            target_directory: "/t".into(),
            packages: vec![
                package("f", None, &["bootstrap"]),
                package("lambda-bootstrap", None, &[]),
                package("cc", Some("registry+x"), &[]),
            ],
        };
        assert_eq!(meta.only_binary(Path::new("/nowhere/Cargo.toml")).unwrap(), "bootstrap");
        assert!(meta.compiles_c());
        assert_eq!(meta.library_checkout(), Some(PathBuf::from("/src/lambda-bootstrap")));
        let two = Metadata { target_directory: "/t".into(), packages: vec![package("f", None, &["a", "b"])] };
        assert!(two.only_binary(Path::new("/x")).unwrap_err().contains("choose one with --bin"));
        assert!(!two.compiles_c());
        assert_eq!(two.library_checkout(), None);
    }
}
