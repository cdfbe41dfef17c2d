//! A user's function crate, resolved once: its manifest, the binary that becomes `bootstrap`,
//! its target directory, where lambda-bootstrap comes from and whether C code is compiled.
//! What `build`, `invoke`, `package` and `size` build.

use std::path::{Path, PathBuf};

use crate::{Arch, builds, cargo, setup};

pub struct Function {
    /// Absolute.
    pub manifest: PathBuf,
    /// The binary target built as `bootstrap`.
    pub bin: String,
    pub target_dir: PathBuf,
    /// The lambda-bootstrap checkout when the library is a path dependency: remapped too.
    checkout: Option<PathBuf>,
    /// Some dependency compiles C code: zig cc is set up as the C compiler.
    c_code: bool,
}

impl Function {
    /// The crate at `manifest` (default: the one cargo finds from the current directory) and its
    /// binary `bin` (default: its only one).
    pub fn resolve(manifest: Option<&Path>, bin: Option<&str>) -> Result<Function, String> {
        let manifest = cargo::manifest(manifest)?;
        let meta = cargo::metadata(&manifest, Some(Arch::host()))?;
        let bin = match bin {
            Some(bin) => bin.to_string(),
            None => meta.only_binary(&manifest)?,
        };
        Ok(Function {
            bin,
            target_dir: PathBuf::from(&meta.target_directory),
            checkout: meta.library_checkout(),
            c_code: meta.compiles_c(),
            manifest,
        })
    }

    /// The static, stripped musl `bootstrap` for `arch` in the size profile; installs the rustup
    /// target (and zig for C code) first. Returns the binary's path.
    pub fn build(&self, arch: Arch) -> Result<PathBuf, String> {
        self.build_with(arch, &[])
    }

    /// The same build with the symbol table kept (for the contributors by crate), in
    /// `<target>/bootstrap-unstripped` so that it does not replace the stripped one.
    pub fn build_unstripped(&self, arch: Arch) -> Result<PathBuf, String> {
        let dir = self.target_dir.join("bootstrap-unstripped");
        let dir = dir.to_string_lossy();
        self.build_with(arch, &["--config", "profile.release.strip=false", "--target-dir", &dir])
    }

    fn build_with(&self, arch: Arch, extra: &[&str]) -> Result<PathBuf, String> {
        setup::add_targets(&[arch])?;
        let mut cmd = builds::user(&self.manifest, arch, self.checkout.as_deref());
        cmd.args(["--bin", &self.bin]).args(extra);
        if self.c_code {
            setup::c_compiler_env(&mut cmd, arch, &self.target_dir.join("zig-cc"))?;
        }
        cargo::executable(&mut cmd)
    }
}
