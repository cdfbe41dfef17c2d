//! A raw HTTP/1.1 client for driving the emulator in tests: bytes in, bytes out,
//! every socket operation bounded by a timeout.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const NEXT: &str = "/2018-06-01/runtime/invocation/next";
pub const TIMEOUT: Duration = Duration::from_secs(5);

pub fn response_path(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/response")
}

pub fn error_path(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/error")
}

/// An answer from the server.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub chunked: bool,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        Client { stream, buf: Vec::new() }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    pub fn get(&mut self, path: &str) -> Answer {
        self.send(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test/1.0\r\n\r\n").as_bytes(),
        );
        self.read_answer().expect("answer")
    }

    pub fn post(&mut self, path: &str, body: &[u8]) -> Answer {
        self.post_with(path, &[], body)
    }

    pub fn post_with(&mut self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let mut head =
            format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n", body.len());
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.send(head.as_bytes());
        self.send(body);
        self.read_answer().expect("answer")
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    fn need(&mut self, n: usize) -> io::Result<()> {
        while self.buf.len() < n {
            if self.fill()? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }

    fn line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if self.fill()? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }

    /// Read one answer (head and body, by Content-Length or chunked).
    pub fn read_answer(&mut self) -> io::Result<Answer> {
        let (status, headers, len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut slots);
            match response.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let headers: Vec<(String, String)> = response
                        .headers
                        .iter()
                        .map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into_owned()))
                        .collect();
                    break (response.code.unwrap_or(0), headers, len);
                }
                Ok(httparse::Status::Partial) => {
                    if self.fill()? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
        };
        self.buf.drain(..len);
        let mut answer = Answer { status, headers, body: Vec::new(), chunked: false };
        if let Some(length) = answer.header("content-length") {
            let n: usize = length.parse().unwrap();
            self.need(n)?;
            answer.body = self.buf.drain(..n).collect();
        } else if answer.header("transfer-encoding") == Some("chunked") {
            answer.chunked = true;
            loop {
                let line = self.line()?;
                let size = usize::from_str_radix(std::str::from_utf8(&line).unwrap(), 16).unwrap();
                if size == 0 {
                    assert_eq!(self.line()?, b"");
                    break;
                }
                self.need(size + 2)?;
                answer.body.extend(self.buf.drain(..size));
                assert_eq!(self.buf.drain(..2).collect::<Vec<u8>>(), b"\r\n");
            }
        }
        Ok(answer)
    }

    /// Everything until the server closes (the read error, if any, instead of EOF).
    pub fn read_to_end(&mut self) -> (Vec<u8>, io::Result<()>) {
        let mut all = std::mem::take(&mut self.buf);
        let result = self.stream.read_to_end(&mut all).map(|_| ());
        (all, result)
    }
}
