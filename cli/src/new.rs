//! `new`: a function crate that builds a small bootstrap with no configuration of its own (the
//! tools bring the size profile and the link settings), and the echo crate `bench` measures
//! against. Written from templates here: no network, no template repository.
//!
//! lambda-bootstrap is not on crates.io yet, so the dependency line is a path (`--path DIR`, a
//! local checkout) or, by default, the git repository.

use std::path::{Path, PathBuf};

use crate::write_file;

/// Where the library comes from when no `--path` is given.
pub const GIT: &str = "https://github.com/lambda-bootstrap/lambda-bootstrap";

/// The value of a `lambda-bootstrap = …` dependency line: `{ path = "DIR" }` for a checkout,
/// else the git repository.
pub fn dependency(path: Option<&Path>) -> Result<String, String> {
    match path {
        Some(dir) => {
            let dir = crate::user_path(dir)?;
            if !dir.join("Cargo.toml").is_file() {
                return Err(format!(
                    "{}: no Cargo.toml there (--path takes a lambda-bootstrap checkout)",
                    dir.display()
                ));
            }
            Ok(format!("{{ path = {} }}", crate::builds::toml_string(&dir.to_string_lossy())))
        }
        None => Ok(format!("{{ git = \"{GIT}\" }}")),
    }
}

/// Writes the crate `name` into `dir` (which must not exist yet); returns the files written.
pub fn function_crate(dir: &Path, name: &str, dependency: &str) -> Result<Vec<PathBuf>, String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("{name:?} is not a crate name (letters, digits, - and _)"));
    }
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()));
    }
    let toolchain = crate::output("rustc", &["--version"]);
    let version = toolchain.split_whitespace().nth(1).unwrap_or("stable");
    let files = [
        ("Cargo.toml", manifest(name, dependency)),
        ("src/main.rs", MAIN.to_string()),
        ("rust-toolchain.toml", TOOLCHAIN.replace("{version}", version)),
        (".gitignore", "/target\n".to_string()),
        (".github/workflows/ci.yml", CI.to_string()),
    ];
    let mut written = Vec::new();
    for (file, text) in files {
        let path = dir.join(file);
        write_file(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

fn manifest(name: &str, dependency: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         # `cargo bootstrap build | invoke | package | size` apply the size profile and the static\n\
         # musl link settings themselves: nothing else is needed here.\n\
         [dependencies]\nlambda-bootstrap = {dependency}\n"
    )
}

const MAIN: &str = r#"//! A Lambda function on lambda-bootstrap: `{"name":"Ada"}` in, `{"greeting":"hello Ada (…)"}` out.
//! `GREETING` in the function's environment replaces "hello".
use lambda_bootstrap::miniserde::{self, Deserialize, Serialize};
use lambda_bootstrap::{Context, Error};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Response {
    greeting: String,
}

fn handler(req: Request, ctx: &Context) -> Result<Response, Error> {
    if req.name.is_empty() {
        return Err(Error::new("Greeting.EmptyName", "name must not be empty"));
    }
    let word = std::env::var("GREETING").unwrap_or_else(|_| "hello".to_string());
    Ok(Response { greeting: format!("{word} {} ({})", req.name, ctx.request_id) })
}

fn main() {
    lambda_bootstrap::run(handler)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_with_the_request_id() {
        let ctx = Context::for_test("req-1");
        let response = handler(Request { name: "Ada".into() }, &ctx).unwrap();
        assert!(response.greeting.ends_with("Ada (req-1)"), "{}", response.greeting);
        let empty = handler(Request { name: String::new() }, &ctx).err().unwrap();
        assert_eq!(empty.error_type(), "Greeting.EmptyName");
    }
}
"#;

const TOOLCHAIN: &str = "# Sizes move with the compiler: the budget in CI holds for this toolchain.
[toolchain]
channel = \"{version}\"
profile = \"minimal\"
targets = [\"x86_64-unknown-linux-musl\", \"aarch64-unknown-linux-musl\"]
";

const CI: &str =
    "# Builds the bootstrap for both arches, runs the tests and holds the bootstrap to a size budget.
name: ci
on: [push, pull_request]

jobs:
  bootstrap:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      # lambda-bootstrap is not on crates.io yet: the tools come from its repository.
      # (If Cargo.toml points at a local checkout with `path = …`, point it at git first.)
      - run: cargo install --locked --git https://github.com/lambda-bootstrap/lambda-bootstrap cargo-bootstrap
      - run: cargo test
      - run: cargo bootstrap build --arch x86_64
      - run: cargo bootstrap build --arch arm64
      - run: cargo bootstrap size --arch x86_64 --budget 450KiB
      - run: cargo bootstrap size --arch arm64 --budget 450KiB
      - run: cargo bootstrap package
      - uses: actions/upload-artifact@v4
        with:
          name: bootstrap
          path: target/lambda/*/*/bootstrap.zip
";

/// The echo `bench` measures others against: the library's own `main!` echo (as its
/// `examples/echo.rs`), in a crate of its own at `dir` (its own `[workspace]`, so that it builds
/// wherever it is written). Rewritten only when it differs.
pub fn echo_crate(dir: &Path, dependency: &str) -> Result<PathBuf, String> {
    let manifest = format!(
        "[package]\nname = \"echo\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nlambda-bootstrap = {dependency}\n\n[workspace]\n"
    );
    for (file, text) in [("Cargo.toml", manifest.as_str()), ("src/main.rs", ECHO)] {
        let path = dir.join(file);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            write_file(&path, text.as_bytes())?;
        }
    }
    Ok(dir.join("Cargo.toml"))
}

const ECHO: &str = r#"//! Bytes in, the same bytes out, started by `main!` (no std runtime set-up).
#![cfg_attr(not(test), no_main)]

use lambda_bootstrap::{Context, Error};

lambda_bootstrap::main!(|event: &mut Vec<u8>, _: &Context| -> Result<Vec<u8>, Error> { Ok(std::mem::take(event)) });
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_lines() {
        assert_eq!(dependency(None).unwrap(), format!("{{ git = \"{GIT}\" }}"));
        let err = dependency(Some(Path::new("/nonexistent/checkout"))).unwrap_err();
        assert!(err.contains("no Cargo.toml there"), "{err}");
    }

    #[test]
    fn a_new_crate_has_its_files_once() {
        let dir = std::env::temp_dir().join(format!("cargo-bootstrap-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = function_crate(&dir, "my-fn", "{ path = \"/x\" }").unwrap();
        assert_eq!(files.len(), 5);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("name = \"my-fn\"")
                && manifest.contains("lambda-bootstrap = { path = \"/x\" }")
        );
        let ci = std::fs::read_to_string(dir.join(".github/workflows/ci.yml")).unwrap();
        assert!(ci.contains("cargo bootstrap size --arch arm64 --budget"));
        assert!(
            std::fs::read_to_string(dir.join("src/main.rs"))
                .unwrap()
                .contains("Context::for_test(\"req-1\")")
        );
        assert!(function_crate(&dir, "my-fn", "{}").unwrap_err().contains("already exists"));
        assert!(function_crate(&dir.join("x"), "no spaces", "{}").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
