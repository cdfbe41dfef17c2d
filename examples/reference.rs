//! The size reference: an echo bootstrap written with nothing but std — `TcpStream`, a
//! hand-read head, Content-Length and chunked bodies — and without this crate. `cargo xtask size`
//! reports every build of ours as a delta over this program, so the crate's own cost shows
//! without drifting with the toolchain. It handles the happy path only: no error reporting, no
//! reconnects, no panic hook.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API");
    let stream = TcpStream::connect(&api).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        write!(writer, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api}\r\n\r\n")
            .expect("send");
        let (id, body) = read_answer(&mut reader);
        write!(
            writer,
            "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .expect("send");
        writer.write_all(&body).expect("send");
        read_answer(&mut reader);
    }
}

/// Reads one answer: the request id header (if any) and the body.
fn read_answer(reader: &mut BufReader<TcpStream>) -> (String, Vec<u8>) {
    let (mut id, mut length, mut chunked) = (String::new(), 0usize, false);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("head");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "lambda-runtime-aws-request-id" => id = value.to_string(),
                "content-length" => length = value.parse().expect("length"),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).expect("chunk size");
            let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).expect("chunk");
            body.extend_from_slice(&chunk[..size]);
            if size == 0 {
                break;
            }
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).expect("body");
    }
    (id, body)
}
