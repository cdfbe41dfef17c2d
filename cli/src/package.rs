//! A `bootstrap` as a Lambda deployment package, the same bytes on every clean build: the ELF
//! check (`elf.rs`), `DIR/bootstrap` (mode 0755) and `DIR/bootstrap.zip` (`zip.rs`), and the
//! zip's SHA-256 (hex, and base64 as Lambda reports it, `CodeSha256`).
//!
//! Bad input (a missing file, a truncated or foreign binary) is a one-line error, never a panic.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::zip::{base64, hex, sha256, source_date_epoch, zip_one};
use crate::{Arch, elf, make_executable, shown, write_file};

/// A written package.
pub struct Packaged {
    pub zip: PathBuf,
    pub bytes: usize,
    pub sha256: [u8; 32],
}

impl fmt::Display for Packaged {
    /// `PATH  N bytes  sha256:HEX  CodeSha256:BASE64`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}  {} bytes  sha256:{}  CodeSha256:{}",
            shown(&self.zip).display(),
            self.bytes,
            hex(&self.sha256),
            base64(&self.sha256)
        )
    }
}

/// Checks `binary` is a bootstrap `provided.al2023` can run on `arch` (a glibc build is said so
/// on stderr), writes `dir/bootstrap` and `dir/bootstrap.zip`.
pub fn package(binary: &Path, arch: Arch, dir: &Path) -> Result<Packaged, String> {
    let bytes = std::fs::read(binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?;
    let linking = elf::check(&bytes, arch).map_err(|why| format!("{}: {why}", binary.display()))?;
    if let elf::Linking::Glibc(note) = linking {
        eprintln!("{}: {note}", binary.display());
    }
    let zip = zip_one("bootstrap", &bytes, source_date_epoch()?)?;
    let bootstrap = dir.join("bootstrap");
    let zip_path = dir.join("bootstrap.zip");
    write_file(&bootstrap, &bytes)?;
    make_executable(&bootstrap)?;
    write_file(&zip_path, &zip)?;
    Ok(Packaged { zip: zip_path, bytes: zip.len(), sha256: sha256(&zip) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_files_are_refused_and_nothing_is_written() {
        let dir = std::env::temp_dir().join(format!("cargo-bootstrap-package-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not-elf");
        std::fs::write(&file, b"#!/bin/sh\necho hi\n").unwrap();
        let err = package(&file, Arch::X86_64, &dir.join("out")).err().unwrap();
        assert!(err.ends_with("not an ELF file"), "{err}");
        assert!(!dir.join("out").exists());
        assert!(package(&dir.join("missing"), Arch::X86_64, &dir).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
