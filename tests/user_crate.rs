//! The README as a user meets it: every ```rust block of README.md, taken verbatim, is a binary
//! of a crate made outside this workspace whose only dependency is `lambda-bootstrap` (by path,
//! until it is published; with the additive `stream`, `concurrency`, `log`, `shutdown` and
//! `extension` features, for their examples), built for x86_64 musl with cargo's defaults (none of
//! this workspace's profile or linker settings). The first handler is then served on the emulator.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The README's Rust blocks, in order.
fn readme_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A whole program stays as it is; a statement is put in a `main` with the imports every README
/// snippet assumes (`Context`, `Error`).
fn program(block: &str) -> String {
    if block.contains("fn main") || block.contains("main!(") {
        block.to_string()
    } else {
        format!("use lambda_bootstrap::{{Context, Error}};\n\nfn main() {{\n{block}}}\n")
    }
}

/// Writes the user's crate (one binary per block) and builds it; returns the binaries.
fn build_user_crate(blocks: &[String]) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("lambda-bootstrap-user-crate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    let manifest = format!(
        "[package]\nname = \"my-function\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\nlambda-bootstrap = {{ path = {:?}, features = [\"stream\", \"concurrency\", \"log\", \"shutdown\", \"extension\"] }}\n",
        root.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let mut names = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let name = format!("readme{i}");
        std::fs::write(dir.join("src/bin").join(format!("{name}.rs")), program(block)).unwrap();
        names.push(name);
    }
    // Its own target directory (kept between runs), so no setting of this workspace applies.
    let target_dir = root.join("target/user-crate");
    let triple = Arch::X86_64.triple();
    let cargo = |command: &str| {
        let output = Command::new(env!("CARGO"))
            .args([command, "--bins", "--target", triple, "--target-dir"])
            .arg(&target_dir)
            .current_dir(&dir)
            .output()
            .expect("cargo runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "`cargo {command}` fails in a user's crate:\n{stdout}{stderr}");
        stdout
    };
    cargo("build");
    // The README's unit test runs too: one test, passing.
    let tests = cargo("test");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(tests.matches("test result: ok. 1 passed").count(), 1, "{tests}");
    assert!(tests.contains("test greets_with_the_request_id ... ok"), "{tests}");
    names.iter().map(|n| target_dir.join(triple).join("debug").join(n)).collect()
}

#[test]
fn every_readme_block_builds_in_a_users_crate_and_the_first_handler_serves() {
    let blocks = readme_blocks();
    assert!(blocks.len() >= 4, "README.md lost its examples: {blocks:?}");
    assert!(
        blocks[0].contains("#[derive(Deserialize)]"),
        "the first block is the typed handler:\n{}",
        blocks[0]
    );
    let binaries = build_user_crate(&blocks);

    let emu = Emulator::start();
    let event = Event::new(br#"{"name":"Ada"}"#.to_vec());
    let id = event.request_id().to_string();
    emu.push(event);
    emu.push(Event::new(br#"{"nom":"Ada"}"#.to_vec()));
    let process = emu.spawn(emu.command(&binaries[0]));
    let (posts, _) = posts_then_kill(&emu, process, 2);
    assert_eq!(body(&posts[0]), format!(r#"{{"greeting":"hello Ada ({id})"}}"#));
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("Runtime.UnmarshalError"));
    assert_eq!(
        body(&posts[1]),
        r#"{"errorMessage":"Request: at $ (byte 0), a required field is missing","errorType":"Runtime.UnmarshalError","stackTrace":[]}"#
    );
}
