//! What the fuzz targets share: how they cut their input, a tiny PRNG, an encoder of chunked
//! bodies and a reference chunked decoder written independently of the client's.

/// The client refuses bodies larger than this (`transport::MAX_BODY`).
pub const MAX_BODY: usize = 32 << 20;
/// The client refuses chunk-size and trailer lines longer than this (`raw::MAX_LINE`).
pub const MAX_LINE: usize = 8 * 1024;

/// Splits off the piece sizes: the first byte says how many (0–7) of the next bytes are piece
/// sizes (see `lambda_bootstrap::fuzzing::read_answers`); the rest is the input proper.
pub fn take_pieces(data: &[u8]) -> (&[u8], &[u8]) {
    match data.split_first() {
        Some((&n, rest)) => rest.split_at(usize::from(n % 8).min(rest.len())),
        None => (&[], &[]),
    }
}

/// Cuts `data` into one to three segments at positions given by the fractions `a` and `b`
/// (out of 256); `count` (0–2) says how many cuts to make.
pub fn segments(data: &[u8], count: u8, a: u8, b: u8) -> Vec<&[u8]> {
    let at = |f: u8| usize::from(f) * data.len() / 256;
    let mut cuts: Vec<usize> = [a, b].into_iter().take(usize::from(count % 3)).map(at).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        out.push(&data[start..cut]);
        start = cut;
    }
    out.push(&data[start..]);
    out
}

/// xorshift64: deterministic, seeded from fuzz bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: &[u8]) -> Rng {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for &b in seed {
            s = (s ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        Rng(s | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// In `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// `body` as a chunked body in chunks of random sizes, with random chunk extensions, leading
/// zeros, upper-case hex, bare-LF line ends and trailers: everything the client must accept.
pub fn encode_chunked(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let max = [1, 3, 64, 4096, rest.len()][rng.below(5)];
        let (chunk, later) = rest.split_at(1 + rng.below(max.min(rest.len())));
        let mut size = format!("{:x}", chunk.len());
        if rng.below(4) == 0 {
            size = size.to_uppercase();
        }
        if rng.below(8) == 0 {
            size.insert_str(0, "000");
        }
        if rng.below(8) == 0 {
            size.push_str(" \t");
        }
        out.extend_from_slice(size.as_bytes());
        if rng.below(6) == 0 {
            out.extend_from_slice(b";name=\"quoted;value\";flag");
        }
        out.extend_from_slice(if rng.below(10) == 0 { b"\n" } else { b"\r\n" });
        out.extend_from_slice(chunk);
        out.extend_from_slice(if rng.below(10) == 0 { b"\n" } else { b"\r\n" });
        rest = later;
    }
    out.extend_from_slice(b"0\r\n");
    for _ in 0..rng.below(3) {
        out.extend_from_slice(b"X-Trailer: some value\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The line at `pos` (to the next LF, without it and without one CR before it) and where the
/// next line starts; `None` if there is no LF or the line is too long.
fn line(input: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let lf = pos + input.get(pos..)?.iter().position(|&b| b == b'\n')?;
    let text = &input[pos..lf];
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    (text.len() <= MAX_LINE).then_some((text, lf + 1))
}

/// The reference decoder, over a complete buffer: `size[;ext]` lines of hex digits (spaces and
/// tabs around them allowed, leading zeros allowed, at most `MAX_BODY`), data, an empty line;
/// a zero size ends the body after trailer lines and an empty line. Returns the body and how
/// many bytes it took, or `None` where the client must refuse (or wait for more input).
pub fn reference_chunked(input: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let (text, next) = line(input, pos)?;
        pos = next;
        let digits = trim_sp_tab(text.split(|&b| b == b';').next()?);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let significant = &digits[digits.iter().position(|&b| b != b'0').unwrap_or(digits.len())..];
        if significant.len() > 8 {
            return None;
        }
        let size = usize::from_str_radix(std::str::from_utf8(significant).ok()?, 16).unwrap_or(0);
        if size > MAX_BODY {
            return None;
        }
        if size == 0 {
            loop {
                let (trailer, next) = line(input, pos)?;
                pos = next;
                if trailer.is_empty() {
                    return Some((body, pos));
                }
            }
        }
        if body.len() + size > MAX_BODY || input.len() - pos < size {
            return None;
        }
        body.extend_from_slice(&input[pos..pos + size]);
        pos += size;
        let (end, next) = line(input, pos)?;
        if !end.is_empty() {
            return None;
        }
        pos = next;
    }
}

fn trim_sp_tab(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
