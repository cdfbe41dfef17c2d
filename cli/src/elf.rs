//! The ELF check of `package`: is this file a `bootstrap` that `provided.al2023` can
//! run on the requested arch?
//!
//! - A static executable (no program interpreter, no needed library; static-pie passes): yes.
//! - Dynamically linked against glibc (cargo-lambda's default build): yes when its interpreter is
//!   glibc's for that arch, it needs no library outside glibc (and `libgcc_s`, which Rust's
//!   unwinder needs), and the highest `GLIBC_2.x` symbol version it needs is at most 2.34, the
//!   glibc of Amazon Linux 2023. The versions are read from `.gnu.version_r`, the libraries from
//!   `.dynamic`, both through the section headers.
//! - Anything else: no, with the reason.
//!
//! Bad input (a truncated or lying header) is an error, never a panic.

use crate::Arch;

/// How an accepted `bootstrap` is linked.
#[derive(Debug, PartialEq)]
pub enum Linking {
    Static,
    /// Against glibc, which `provided.al2023` has: the note to print.
    Glibc(String),
}

/// The glibc of `provided.al2023` (Amazon Linux 2023), as the messages say too.
const AL2023_GLIBC: [u32; 2] = [2, 34];

/// Libraries a glibc executable may need: glibc's own, and `libgcc_s` (Rust's unwinder).
const GLIBC_LIBRARIES: [&str; 10] = [
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libgcc_s.so.1",
];

const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;

/// How `elf` is linked if it can be a `bootstrap` for `arch`, or why it cannot. Static means no
/// program interpreter (`PT_INTERP`) and no needed shared library (`DT_NEEDED`).
pub fn check(elf: &[u8], arch: Arch) -> Result<Linking, String> {
    if elf.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err("not an ELF file".into());
    }
    if elf.get(4) != Some(&2) {
        return Err("not a 64-bit ELF file".into());
    }
    if elf.get(5) != Some(&1) {
        return Err("not a little-endian ELF file".into());
    }
    let (kind, machine, entry) = (u16_at(elf, 16)?, u16_at(elf, 18)?, u64_at(elf, 24)?);
    let want = match arch {
        Arch::X86_64 => EM_X86_64,
        Arch::Arm64 => EM_AARCH64,
    };
    if machine != want {
        return Err(format!("built for {}, not {}", machine_name(machine), arch.name()));
    }
    if (kind != ET_EXEC && kind != ET_DYN) || entry == 0 {
        return Err("not an executable (a shared library or object file?)".into());
    }
    let mut interpreter = None;
    let mut needs = false;
    for header in program_headers(elf)? {
        let (kind, offset, size) = header?;
        if kind == PT_INTERP {
            interpreter = Some(cstr(slice(elf, offset, size)?));
        }
        if kind == PT_DYNAMIC && needs_libraries(slice(elf, offset, size)?) {
            needs = true;
        }
    }
    match interpreter {
        None if !needs => Ok(Linking::Static),
        None => Err("dynamically linked (needs shared libraries): build for a musl target".into()),
        Some(interpreter) if interpreter == glibc_interpreter(arch) => glibc(elf).map(Linking::Glibc),
        Some(interpreter) => {
            Err(format!("dynamically linked (needs {interpreter}): build for a musl target"))
        }
    }
}

/// glibc's program interpreter on `arch`.
fn glibc_interpreter(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "/lib64/ld-linux-x86-64.so.2",
        Arch::Arm64 => "/lib/ld-linux-aarch64.so.1",
    }
}

/// Whether a glibc executable runs on `provided.al2023`: the note to print, or why not.
fn glibc(elf: &[u8]) -> Result<String, String> {
    let sections = sections(elf)?;
    let strings_of = |section: &Section| {
        let table = sections.get(section.link as usize).ok_or_else(truncated)?;
        slice(elf, table.offset, table.size)
    };
    let dynamic = sections
        .iter()
        .find(|s| s.kind == SHT_DYNAMIC)
        .ok_or("dynamically linked, without a .dynamic section")?;
    let strings = strings_of(dynamic)?;
    for entry in slice(elf, dynamic.offset, dynamic.size)?.chunks_exact(16) {
        let (tag, value) = (u64_at(entry, 0)?, u64_at(entry, 8)?);
        if tag == DT_NULL {
            break;
        }
        if tag != DT_NEEDED {
            continue;
        }
        let library = string_at(strings, value)?;
        if !GLIBC_LIBRARIES.contains(&library.as_str()) {
            return Err(format!(
                "dynamically linked against {library}, which is not part of glibc (provided.al2023 may \
                 not have it): build for a musl target"
            ));
        }
    }
    let mut highest: Option<(Vec<u32>, String)> = None;
    for name in version_needs(elf, &sections)? {
        let Some(version) = name.strip_prefix("GLIBC_") else { continue };
        let Ok(numbers) = version.split('.').map(str::parse).collect::<Result<Vec<u32>, _>>() else {
            return Err(format!(
                "dynamically linked against glibc, needs {name}, which glibc 2.34 on provided.al2023 \
                 lacks: build for a musl target"
            ));
        };
        if highest.as_ref().is_none_or(|(most, _)| numbers > *most) {
            highest = Some((numbers, version.to_string()));
        }
    }
    match highest {
        Some((numbers, version)) if numbers > AL2023_GLIBC.to_vec() => Err(format!(
            "dynamically linked against glibc, needs GLIBC_{version} > 2.34 on provided.al2023: link \
             against an older glibc (cargo lambda build does) or build for a musl target"
        )),
        Some((_, version)) => Ok(format!(
            "dynamically linked against glibc (needs GLIBC_{version} ≤ 2.34 on provided.al2023): accepted"
        )),
        None => {
            Ok("dynamically linked against glibc (needs no versioned symbol; provided.al2023 has 2.34): \
                    accepted"
                .into())
        }
    }
}

const SHT_DYNAMIC: u32 = 6;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;

/// A section header's type, file extent, linked section and extra information.
struct Section {
    kind: u32,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
}

fn sections(elf: &[u8]) -> Result<Vec<Section>, String> {
    let (offset, size, count) = (u64_at(elf, 40)?, u16_at(elf, 58)?, u16_at(elf, 60)?);
    if count > 0 && size < 64 {
        return Err(format!("malformed ELF: section headers of {size} bytes"));
    }
    let mut out = Vec::with_capacity(usize::from(count));
    for i in 0..u64::from(count) {
        let at = i.checked_mul(u64::from(size)).and_then(|o| o.checked_add(offset)).ok_or_else(truncated)?;
        let at = usize::try_from(at).map_err(|_| truncated())?;
        out.push(Section {
            kind: u32_at(elf, at.saturating_add(4))?,
            offset: u64_at(elf, at.saturating_add(24))?,
            size: u64_at(elf, at.saturating_add(32))?,
            link: u32_at(elf, at.saturating_add(40))?,
            info: u32_at(elf, at.saturating_add(44))?,
        });
    }
    Ok(out)
}

/// The version names (`GLIBC_2.34`, …) in `.gnu.version_r`: `Elf64_Verneed` records (16 bytes:
/// version, count, file, first aux, next), each with `Elf64_Vernaux` records (16 bytes: hash,
/// flags, other, name, next); offsets are relative to the record.
fn version_needs(elf: &[u8], sections: &[Section]) -> Result<Vec<String>, String> {
    let Some(section) = sections.iter().find(|s| s.kind == SHT_GNU_VERNEED) else { return Ok(Vec::new()) };
    let table = sections.get(section.link as usize).ok_or_else(truncated)?;
    let (records, strings) =
        (slice(elf, section.offset, section.size)?, slice(elf, table.offset, table.size)?);
    let mut names = Vec::new();
    let mut at = 0usize;
    for _ in 0..section.info {
        let count = u16_at(records, at.saturating_add(2))?;
        let mut aux =
            at.checked_add(u32_at(records, at.saturating_add(8))? as usize).ok_or_else(truncated)?;
        for _ in 0..count {
            names.push(string_at(strings, u64::from(u32_at(records, aux.saturating_add(8))?))?);
            aux = aux.checked_add(u32_at(records, aux.saturating_add(12))? as usize).ok_or_else(truncated)?;
        }
        let next = u32_at(records, at.saturating_add(12))? as usize;
        if next == 0 {
            break;
        }
        at = at.checked_add(next).ok_or_else(truncated)?;
    }
    Ok(names)
}

/// The NUL-terminated string at `offset` of a string table.
fn string_at(strings: &[u8], offset: u64) -> Result<String, String> {
    let start = usize::try_from(offset).map_err(|_| truncated())?;
    strings.get(start..).map(cstr).ok_or_else(truncated)
}

fn machine_name(machine: u16) -> String {
    match machine {
        EM_X86_64 => "x86_64".into(),
        EM_AARCH64 => "arm64".into(),
        other => format!("ELF machine {other}"),
    }
}

/// Each program header's (type, file offset, file size).
fn program_headers(elf: &[u8]) -> Result<impl Iterator<Item = Result<(u32, u64, u64), String>>, String> {
    let (offset, size, count) = (u64_at(elf, 32)?, u16_at(elf, 54)?, u16_at(elf, 56)?);
    if count > 0 && size < 56 {
        return Err(format!("malformed ELF: program headers of {size} bytes"));
    }
    Ok((0..u64::from(count)).map(move |i| {
        let at = i.checked_mul(u64::from(size)).and_then(|o| o.checked_add(offset)).ok_or_else(truncated)?;
        let at = usize::try_from(at).map_err(|_| truncated())?;
        Ok((u32_at(elf, at)?, u64_at(elf, at.saturating_add(8))?, u64_at(elf, at.saturating_add(32))?))
    }))
}

/// Whether a dynamic section lists a `DT_NEEDED` library (a static-pie's lists none).
fn needs_libraries(dynamic: &[u8]) -> bool {
    let tags = dynamic.chunks_exact(16).map(|entry| u64_at(entry, 0).unwrap_or(DT_NULL));
    tags.take_while(|&tag| tag != DT_NULL).any(|tag| tag == DT_NEEDED)
}

fn slice(elf: &[u8], offset: u64, size: u64) -> Result<&[u8], String> {
    let start = usize::try_from(offset).map_err(|_| truncated())?;
    let end = usize::try_from(size).ok().and_then(|s| start.checked_add(s)).ok_or_else(truncated)?;
    elf.get(start..end).ok_or_else(truncated)
}

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn truncated() -> String {
    "truncated or malformed ELF file".into()
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], String> {
    let end = at.checked_add(N).ok_or_else(truncated)?;
    bytes.get(at..end).and_then(|b| b.try_into().ok()).ok_or_else(truncated)
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    field(bytes, at).map(u16::from_le_bytes)
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    field(bytes, at).map(u32::from_le_bytes)
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64, String> {
    field(bytes, at).map(u64::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit little-endian ELF header with the given program headers (type, offset, size)
    /// and `tail` appended at offset 0x200.
    fn elf(machine: u16, kind: u16, headers: &[(u32, u64, u64)], tail: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 0x200];
        b[..6].copy_from_slice(b"\x7fELF\x02\x01");
        b[16..18].copy_from_slice(&kind.to_le_bytes());
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(headers.len() as u16).to_le_bytes());
        for (i, &(p_type, offset, size)) in headers.iter().enumerate() {
            let at = 64 + 56 * i;
            b[at..at + 4].copy_from_slice(&p_type.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&offset.to_le_bytes());
            b[at + 32..at + 40].copy_from_slice(&size.to_le_bytes());
        }
        b.extend_from_slice(tail);
        b
    }

    fn dynamic(tags: &[u64]) -> Vec<u8> {
        tags.iter().flat_map(|&t| [t.to_le_bytes(), 0u64.to_le_bytes()]).flatten().collect()
    }

    #[test]
    fn elf_check_accepts_static_and_static_pie() {
        let load = (1, 0, 0x200);
        assert_eq!(check(&elf(EM_X86_64, ET_EXEC, &[load], b""), Arch::X86_64), Ok(Linking::Static));
        assert_eq!(check(&elf(EM_AARCH64, ET_EXEC, &[load], b""), Arch::Arm64), Ok(Linking::Static));
        // static-pie: ET_DYN with a dynamic section that needs nothing (DT_RELA, DT_FLAGS_1, DT_NULL).
        let dyn_section = dynamic(&[7, 0x6fff_fffb, 0]);
        let pie =
            elf(EM_X86_64, ET_DYN, &[load, (PT_DYNAMIC, 0x200, dyn_section.len() as u64)], &dyn_section);
        assert_eq!(check(&pie, Arch::X86_64), Ok(Linking::Static));
    }

    #[test]
    fn elf_check_refuses_what_lambda_cannot_run() {
        let err = |b: &[u8], arch| check(b, arch).unwrap_err();
        assert_eq!(err(b"#!/bin/sh\necho hi\n", Arch::X86_64), "not an ELF file");
        assert_eq!(err(b"\x7fELF\x01\x01", Arch::X86_64), "not a 64-bit ELF file");
        assert_eq!(err(b"\x7fELF\x02\x02", Arch::X86_64), "not a little-endian ELF file");
        let x86 = elf(EM_X86_64, ET_EXEC, &[], b"");
        assert_eq!(err(&x86, Arch::Arm64), "built for x86_64, not arm64");
        assert_eq!(err(&elf(40, ET_EXEC, &[], b""), Arch::Arm64), "built for ELF machine 40, not arm64");
        assert!(err(&elf(EM_X86_64, 1, &[], b""), Arch::X86_64).starts_with("not an executable"));
        let interp = b"/lib/ld-musl-x86_64.so.1\0";
        let dynamic_exe = elf(EM_X86_64, ET_DYN, &[(PT_INTERP, 0x200, interp.len() as u64)], interp);
        assert_eq!(
            err(&dynamic_exe, Arch::X86_64),
            "dynamically linked (needs /lib/ld-musl-x86_64.so.1): build for a musl target"
        );
        // glibc's interpreter on the wrong arch's ELF, and glibc's without any section headers.
        let glibc_interp = b"/lib/ld-linux-aarch64.so.1\0";
        let on_x86 = elf(EM_X86_64, ET_DYN, &[(PT_INTERP, 0x200, glibc_interp.len() as u64)], glibc_interp);
        assert!(err(&on_x86, Arch::X86_64).contains("needs /lib/ld-linux-aarch64.so.1"));
        let on_arm = elf(EM_AARCH64, ET_DYN, &[(PT_INTERP, 0x200, glibc_interp.len() as u64)], glibc_interp);
        assert_eq!(err(&on_arm, Arch::Arm64), "dynamically linked, without a .dynamic section");
        let needs = dynamic(&[DT_NEEDED, 0]);
        let no_interp = elf(EM_X86_64, ET_DYN, &[(PT_DYNAMIC, 0x200, needs.len() as u64)], &needs);
        assert!(err(&no_interp, Arch::X86_64).contains("needs shared libraries"));
    }

    #[test]
    fn elf_check_never_panics_on_truncated_or_lying_headers() {
        let interp = b"/lib/ld-musl-aarch64.so.1\0";
        let full = elf(EM_AARCH64, ET_DYN, &[(PT_INTERP, 0x200, interp.len() as u64)], interp);
        for len in 0..full.len() {
            assert!(check(&full[..len], Arch::Arm64).is_err(), "prefix of {len} bytes");
        }
        let lies = [(PT_INTERP, u64::MAX, 8), (PT_INTERP, 0x200, u64::MAX), (PT_DYNAMIC, 0x1000, 16)];
        for header in lies {
            let bad = elf(EM_AARCH64, ET_EXEC, &[header], b"");
            assert_eq!(check(&bad, Arch::Arm64).unwrap_err(), truncated());
        }
        let mut far = elf(EM_AARCH64, ET_EXEC, &[(1, 0, 0)], b"");
        far[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(check(&far, Arch::Arm64).unwrap_err(), truncated());
        let mut small = elf(EM_AARCH64, ET_EXEC, &[(1, 0, 0)], b"");
        small[54..56].copy_from_slice(&8u16.to_le_bytes());
        assert!(check(&small, Arch::Arm64).unwrap_err().contains("program headers of 8 bytes"));
    }

    #[test]
    fn glibc_reading_never_panics_on_a_cut_or_damaged_executable() {
        // A real dynamically linked executable of this machine, cut short and damaged.
        let ls = std::fs::read("/bin/ls").expect("/bin/ls");
        let host = if cfg!(target_arch = "aarch64") { Arch::Arm64 } else { Arch::X86_64 };
        for len in (0..ls.len()).step_by(251) {
            let _ = check(&ls[..len], host);
        }
        let shoff = u64_at(&ls, 40).unwrap() as usize;
        for at in (shoff..ls.len()).step_by(3) {
            let mut bad = ls.clone();
            bad[at] ^= 0xff;
            let _ = check(&bad, host);
        }
    }
}
