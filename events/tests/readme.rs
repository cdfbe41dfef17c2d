//! Every `rust` block of README.md compiles as `src/main.rs` of a crate outside this workspace
//! whose only dependencies are `lambda-bootstrap` and `lambda-bootstrap-events`.

use std::path::Path;
use std::process::Command;

#[test]
fn readme_examples_compile_in_a_users_crate() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(here.join("README.md")).unwrap();
    let blocks: Vec<&str> =
        readme.split("```rust\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    assert!(blocks.len() >= 2, "README.md has its examples");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-crate");
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    let root = here.parent().unwrap();
    let manifest = format!(
        "[package]\nname = \"readme-crate\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nlambda-bootstrap = {{ path = {:?} }}\nlambda-bootstrap-events = {{ path = {:?} }}\n\n[workspace]\n",
        root.display().to_string(),
        here.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    for (i, block) in blocks.iter().enumerate() {
        std::fs::write(dir.join(format!("src/bin/example_{i}.rs")), block).unwrap();
    }
    // The workspace's lock file keeps the versions (and an offline build) the same.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline", "--bins"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
