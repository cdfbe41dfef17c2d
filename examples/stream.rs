//! Response streaming: `{"chunks":N,"bytes":B,"pause_ms":P}` streams N chunks of B bytes (chunk
//! k filled with the letter `a + k % 26`), a flush and a pause of P ms after each.
//! `{"fail_after":K}` fails with errorType `Stream.Failed` after K chunks (0: before any byte);
//! `{"panic_after":K}` panics there instead. `{"gate":"DIR"}` waits, after flushing chunk k, for
//! the file `DIR/k` to exist (at most 20 s, then fails): a test creates it once chunk k has
//! reached the Runtime API, which proves that a flush is not held in a buffer.
use std::io::Write;
use std::time::Duration;

use lambda_bootstrap::miniserde::{self, Deserialize, json};
use lambda_bootstrap::stream::Stream;
use lambda_bootstrap::{Context, Error};

#[derive(Deserialize)]
struct Request {
    chunks: Option<u32>,
    bytes: Option<u32>,
    pause_ms: Option<u64>,
    fail_after: Option<u32>,
    panic_after: Option<u32>,
    gate: Option<String>,
}

fn wait_for(path: &str) -> Result<(), Error> {
    for _ in 0..4000 {
        if std::path::Path::new(path).exists() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Err(Error::new("Stream.GateTimeout", format!("{path} never appeared")))
}

fn main() {
    lambda_bootstrap::stream::run(|event: &[u8], _: &Context, out: &mut Stream| -> Result<(), Error> {
        let text = std::str::from_utf8(event).map_err(|_| Error::msg("the event is not UTF-8"))?;
        let req: Request =
            json::from_str(text).map_err(|_| Error::msg("the event is not a stream request"))?;
        let stop = req.fail_after.or(req.panic_after);
        let chunks = req.chunks.unwrap_or(0).max(stop.unwrap_or(0));
        for k in 0..=chunks {
            if stop == Some(k) {
                if req.panic_after.is_some() {
                    panic!("the stream gave up after {k} chunks");
                }
                return Err(Error::new("Stream.Failed", format!("failed after {k} chunks")));
            }
            if k == chunks {
                break;
            }
            let letter = b'a' + (k % 26) as u8;
            out.write_all(&vec![letter; req.bytes.unwrap_or(1) as usize])?;
            out.flush()?;
            if let Some(dir) = &req.gate {
                wait_for(&format!("{dir}/{k}"))?;
            }
            std::thread::sleep(Duration::from_millis(req.pause_ms.unwrap_or(0)));
        }
        Ok(())
    })
}
