//! The server, driven by a raw HTTP client over std TcpStream.

mod common;

use std::io::{ErrorKind, Read};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Client, NEXT, TIMEOUT, error_path, response_path};
use lambda_emulator::{DEFAULT_ARN, Emulator, Event, EventFraming, Fault, Framing, Kind, Options};

#[test]
fn next_serves_the_event_with_all_headers() {
    let emulator = Emulator::start();
    assert!(emulator.runtime_api().starts_with("127.0.0.1:"));
    let event = Event::json(r#"{"hello":"world"}"#).header("Lambda-Runtime-Trace-Id", "Root=1-abc");
    let id = event.request_id().to_owned();
    emulator.push(event);
    assert_eq!(emulator.pending(), 1);

    let mut client = Client::connect(emulator.addr());
    let answer = client.get(NEXT);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), r#"{"hello":"world"}"#);
    assert_eq!(answer.header("Content-Type"), Some("application/json"));
    assert_eq!(answer.header("Content-Length"), Some("17"));
    assert_eq!(answer.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
    assert_eq!(answer.header("Lambda-Runtime-Invoked-Function-Arn"), Some(DEFAULT_ARN));
    assert_eq!(answer.header("Lambda-Runtime-Trace-Id"), Some("Root=1-abc"));
    let deadline: u128 = answer.header("Lambda-Runtime-Deadline-Ms").unwrap().parse().unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
    assert!(deadline > now + 2000 && deadline <= now + 3000, "deadline {deadline}, now {now}");
    assert_eq!(emulator.pending(), 0);

    let answer = client.post(&response_path(&id), b"\"done\"");
    assert_eq!(answer.status, 202);
    assert_eq!(answer.text(), r#"{"status":"OK"}"#);
    assert_eq!(answer.header("Content-Type"), Some("application/json"));

    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].kind, Kind::Next);
    assert_eq!(requests[0].answered, 200);
    assert_eq!(requests[0].header("user-agent"), Some("test/1.0"));
    assert_eq!(requests[0].framing, Framing::None);
    assert_eq!(requests[1].kind, Kind::Response(id.clone()));
    assert_eq!(requests[1].body_str(), "\"done\"");
    assert_eq!(requests[1].framing, Framing::ContentLength(6));
    assert_eq!(requests[1].answered, 202);
    assert_eq!(requests[1].conn, 0);
    assert_eq!(emulator.posts().len(), 1);
    assert_eq!(emulator.connections(), 1);
}

#[test]
fn framing_depends_on_size() {
    let emulator = Emulator::start();
    emulator.push(Event::new(vec![b'a'; 2048]));
    emulator.push(Event::new(vec![b'b'; 2049]));
    emulator.push(Event::new("0123456789").framing(EventFraming::Chunked(4)));
    emulator.push(Event::new(vec![b'c'; 5000]).framing(Framing::ContentLength(0)));
    let mut client = Client::connect(emulator.addr());

    let small = client.get(NEXT);
    assert!(!small.chunked);
    assert_eq!(small.header("content-length"), Some("2048"));
    assert_eq!(small.body, vec![b'a'; 2048]);

    let big = client.get(NEXT);
    assert!(big.chunked);
    assert_eq!(big.header("content-length"), None);
    assert_eq!(big.body, vec![b'b'; 2049]);

    let chunked = client.get(NEXT);
    assert!(chunked.chunked);
    assert_eq!(chunked.text(), "0123456789");

    let forced = client.get(NEXT);
    assert_eq!(forced.header("content-length"), Some("5000"));
    assert_eq!(forced.body.len(), 5000);
}

#[test]
fn chunked_post_is_decoded_and_recorded() {
    let emulator = Emulator::start();
    let event = Event::json("{}");
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());
    client.get(NEXT);
    client.send(
        format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
             Lambda-Runtime-Function-Response-Mode: streaming\r\nTrailer: Lambda-Runtime-Function-Error-Type\r\n\r\n\
             4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nLambda-Runtime-Function-Error-Type: Oops\r\n\r\n",
            response_path(&id)
        )
        .as_bytes(),
    );
    let answer = client.read_answer().unwrap();
    assert_eq!(answer.status, 202);
    let post = &emulator.wait_posts(1, TIMEOUT)[0];
    assert_eq!(post.body_str(), "Wikipedia");
    assert_eq!(post.framing, Framing::Chunked { chunk: 0 });
    assert_eq!(post.chunks, vec![4, 5]);
    assert_eq!(post.trailer("lambda-runtime-function-error-type"), Some("Oops"));
}

#[test]
fn unknown_id_is_400_and_a_second_post_is_403() {
    let emulator = Emulator::start();
    let event = Event::json("{}");
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());

    let unknown = client.post(&response_path("nope"), b"{}");
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.text(), r#"{"errorType":"InvalidRequestID","errorMessage":"Invalid request ID"}"#);

    client.get(NEXT);
    assert_eq!(client.post(&response_path(&id), b"1").status, 202);
    let again = client.post(&error_path(&id), b"{}");
    assert_eq!(again.status, 403);
    assert!(again.text().contains(r#""errorType":"InvalidStateTransition""#));

    let kinds: Vec<(Kind, u16)> = emulator.posts().into_iter().map(|r| (r.kind, r.answered)).collect();
    assert_eq!(
        kinds,
        vec![(Kind::Response("nope".into()), 400), (Kind::Response(id.clone()), 202), (Kind::Error(id), 403)]
    );
}

#[test]
fn oversized_response_is_413_and_the_connection_stays_usable() {
    let emulator = Emulator::start_with(Options { max_response: 10, ..Options::default() });
    let first = Event::json("{}");
    let second = Event::json("{}");
    let (id1, id2) = (first.request_id().to_owned(), second.request_id().to_owned());
    emulator.push(first);
    emulator.push(second);
    let mut client = Client::connect(emulator.addr());

    client.get(NEXT);
    let answer = client.post(&response_path(&id1), b"12345678901");
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.text(),
        r#"{"errorType":"RequestEntityTooLarge","errorMessage":"Exceeded maximum allowed payload size (10 bytes)."}"#
    );
    // The invocation is over: an /error afterwards is refused.
    assert_eq!(client.post(&error_path(&id1), b"{}").status, 403);

    client.get(NEXT);
    assert_eq!(client.post(&response_path(&id2), b"1234567890").status, 202);
    assert_eq!(emulator.connections(), 1);
}

#[test]
fn close_after_413_closes_the_connection() {
    let emulator =
        Emulator::start_with(Options { max_response: 10, close_after_413: true, ..Options::default() });
    let event = Event::json("{}");
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());
    client.get(NEXT);
    let answer = client.post(&response_path(&id), &[b'x'; 100]);
    assert_eq!(answer.status, 413);
    let (rest, result) = client.read_to_end();
    assert!(rest.is_empty() && result.is_ok(), "expected EOF, got {rest:?} {result:?}");
}

#[test]
fn prefix_mode_routes_only_prefixed_paths() {
    let emulator = Emulator::start_with(Options::cargo_lambda());
    let api = emulator.runtime_api();
    assert_eq!(api, format!("http://{}/.rt/test_function", emulator.addr()));
    let event = Event::json("{}");
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());

    assert_eq!(client.get(NEXT).status, 404);
    assert_eq!(emulator.pending(), 1);
    let answer = client.get(&format!("/.rt/test_function{NEXT}"));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("Lambda-Runtime-Deadline-Ms"), Some("600000"));
    assert_eq!(client.post(&response_path(&id), b"1").status, 404);
    let accepted = client.post(&format!("/.rt/test_function{}", response_path(&id)), b"1");
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.text(), r#"{"status":"OK"}"#);

    let kinds: Vec<Kind> = emulator.requests().into_iter().map(|r| r.kind).collect();
    assert_eq!(kinds, vec![Kind::Other, Kind::Next, Kind::Other, Kind::Response(id)]);
}

#[test]
fn close_mid_body_then_the_event_is_served_again() {
    let emulator = Emulator::start();
    let event = Event::new(vec![b'z'; 100]).fault(Fault::CloseMidBody);
    let id = event.request_id().to_owned();
    emulator.push(event);

    let mut first = Client::connect(emulator.addr());
    first.send(format!("GET {NEXT} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    let (bytes, result) = first.read_to_end();
    assert!(result.is_ok());
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("Content-Length: 100\r\n"), "{text}");
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    assert_eq!(body, "z".repeat(50));
    assert_eq!(emulator.pending(), 1);

    let mut second = Client::connect(emulator.addr());
    let answer = second.get(NEXT);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, vec![b'z'; 100]);
    assert_eq!(answer.header("Lambda-Runtime-Aws-Request-Id"), Some(id.as_str()));
    assert_eq!(emulator.connections(), 2);
    let answered: Vec<(usize, u16)> = emulator.requests().iter().map(|r| (r.conn, r.answered)).collect();
    assert_eq!(answered, vec![(0, 0), (1, 200)]);
}

#[test]
fn other_connection_breaking_faults() {
    let emulator = Emulator::start();
    emulator.push(
        Event::json("{}")
            .fault(Fault::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec())),
    );
    let mut client = Client::connect(emulator.addr());
    client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let (bytes, _) = client.read_to_end();
    assert!(bytes.ends_with(b"zz\r\n"));

    // Requeued without the fault: now break it differently.
    let mut client = Client::connect(emulator.addr());
    assert_eq!(client.get(NEXT).status, 200);

    emulator.push(Event::json("{}").fault(Fault::CloseBeforeHead));
    let mut client = Client::connect(emulator.addr());
    client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let (bytes, result) = client.read_to_end();
    assert!(bytes.is_empty() && result.is_ok());
    assert_eq!(Client::connect(emulator.addr()).get(NEXT).status, 200);

    emulator.push(Event::new(vec![b'x'; 5000]).fault(Fault::CloseAfterHead));
    let mut client = Client::connect(emulator.addr());
    client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let (bytes, _) = client.read_to_end();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.ends_with("Transfer-Encoding: chunked\r\n\r\n"), "{text}");
    assert_eq!(Client::connect(emulator.addr()).get(NEXT).body.len(), 5000);
}

#[test]
fn reset_before_head_resets() {
    let emulator = Emulator::start();
    emulator.push(Event::json("{}").fault(Fault::ResetBeforeHead));
    let mut client = Client::connect(emulator.addr());
    client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let (bytes, result) = client.read_to_end();
    assert!(bytes.is_empty());
    assert_eq!(result.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(emulator.pending(), 1);
}

#[test]
fn status_fault_consumes_the_event() {
    let emulator = Emulator::start();
    emulator.push(Event::json("{}").fault(Fault::Status(500, r#"{"errorType":"Boom"}"#.into())));
    let mut client = Client::connect(emulator.addr());
    let answer = client.get(NEXT);
    assert_eq!(answer.status, 500);
    assert_eq!(answer.text(), r#"{"errorType":"Boom"}"#);
    assert_eq!(emulator.pending(), 0);
    assert_eq!(emulator.requests()[0].answered, 500);
}

#[test]
fn drip_serves_byte_by_byte() {
    let emulator = Emulator::start();
    let event = Event::json("{}").fault(Fault::Drip(Duration::from_millis(1)));
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());
    let answer = client.get(NEXT);
    assert_eq!(answer.text(), "{}");
    assert_eq!(client.post(&response_path(&id), b"{}").status, 202);
}

#[test]
fn custom_replies() {
    let emulator = Emulator::start();
    let first =
        Event::json("{}").reply(410, r#"{"errorType":"InvokeTimeout","errorMessage":"Invoke timeout"}"#);
    let second = Event::json("{}").reply_and_close(500, "{}");
    let (id1, id2) = (first.request_id().to_owned(), second.request_id().to_owned());
    emulator.push(first);
    emulator.push(second);
    let mut client = Client::connect(emulator.addr());

    client.get(NEXT);
    let answer = client.post(&response_path(&id1), b"late");
    assert_eq!(answer.status, 410);
    assert!(answer.text().contains("InvokeTimeout"));
    // Only the first post gets the custom reply; the invocation is still open.
    assert_eq!(client.post(&response_path(&id1), b"again").status, 202);

    client.get(NEXT);
    let answer = client.post(&error_path(&id2), b"{}");
    assert_eq!(answer.status, 500);
    assert_eq!(answer.header("connection"), None);
    let (rest, result) = client.read_to_end();
    assert!(rest.is_empty() && result.is_ok());
}

#[test]
fn init_error_makes_next_403() {
    let emulator = Emulator::start();
    emulator.push(Event::json("{}"));
    let mut client = Client::connect(emulator.addr());
    let answer = client.post_with(
        "/2018-06-01/runtime/init/error",
        &[("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigInvalid")],
        br#"{"errorMessage":"bad","errorType":"Runtime.ConfigInvalid"}"#,
    );
    assert_eq!(answer.status, 202);
    let next = client.get(NEXT);
    assert_eq!(next.status, 403);
    assert!(next.text().contains("InvalidStateTransition"));
    assert_eq!(emulator.pending(), 1);
    let posts = emulator.posts();
    assert_eq!(posts[0].kind, Kind::InitError);
    assert_eq!(posts[0].header("Lambda-Runtime-Function-Error-Type"), Some("Runtime.ConfigInvalid"));
}

#[test]
fn malformed_request_is_recorded_answered_400_and_closed() {
    let emulator = Emulator::start();
    let mut client = Client::connect(emulator.addr());
    client.send(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nBad Header\r\n\r\n");
    let answer = client.read_answer().unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(answer.header("connection"), Some("close"));
    let (rest, result) = client.read_to_end();
    assert!(rest.is_empty() && result.is_ok());

    let request = &emulator.wait_requests(1, TIMEOUT)[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", NEXT));
    assert_eq!(request.kind, Kind::Other);
    assert_eq!(request.answered, 400);

    // Garbage, an invalid chunk size, a bad Content-Length: all 400.
    for bytes in [
        &b"\x00\x01\x02\r\n\r\n"[..],
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ] {
        let mut client = Client::connect(emulator.addr());
        client.send(bytes);
        assert_eq!(client.read_answer().unwrap().status, 400);
    }
    assert_eq!(emulator.wait_requests(4, TIMEOUT).len(), 4);
}

#[test]
fn truncated_body_is_recorded() {
    let emulator = Emulator::start();
    let mut client = Client::connect(emulator.addr());
    client
        .send(b"POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello");
    client.stream.shutdown(std::net::Shutdown::Write).unwrap();
    let answer = client.read_answer().unwrap();
    assert_eq!(answer.status, 400);
    assert!(answer.text().contains("TruncatedHTTPRequest"));
    let post = &emulator.wait_posts(1, TIMEOUT)[0];
    assert_eq!(post.body_str(), "hello");
    assert_eq!(post.framing, Framing::ContentLength(10));
    assert_eq!(post.answered, 400);
}

#[test]
fn unknown_paths_are_404_on_a_keep_alive_connection() {
    let emulator = Emulator::start();
    let mut client = Client::connect(emulator.addr());
    assert_eq!(client.get("/2018-06-01/ping").status, 404);
    assert_eq!(client.post(NEXT, b"").status, 404);
    assert_eq!(client.get("/").status, 404);
    assert_eq!(emulator.connections(), 1);
    assert_eq!(emulator.requests().len(), 3);
}

#[test]
fn drop_returns_while_next_is_blocked() {
    let emulator = Emulator::start();
    let addr = emulator.addr();
    let client = thread::spawn(move || {
        let mut client = Client::connect(addr);
        client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
        client.read_to_end()
    });
    let requests = emulator.wait_requests(1, TIMEOUT);
    assert_eq!((requests[0].kind.clone(), requests[0].answered), (Kind::Next, 0));
    let started = Instant::now();
    drop(emulator);
    assert!(started.elapsed() < Duration::from_secs(1), "drop took {:?}", started.elapsed());
    let (bytes, _) = client.join().unwrap();
    assert!(bytes.is_empty());
}

#[test]
fn drop_returns_with_a_raw_keep_open_connection() {
    let emulator = Emulator::start();
    emulator.push(
        Event::json("{}")
            .fault(Fault::RawKeepOpen(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".to_vec())),
    );
    let mut client = Client::connect(emulator.addr());
    client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    let expected = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    let mut head = vec![0u8; expected.len()];
    client.stream.read_exact(&mut head).unwrap();
    assert_eq!(head, expected);
    assert_eq!(emulator.pending(), 0);
    let started = Instant::now();
    drop(emulator);
    assert!(started.elapsed() < Duration::from_secs(1));
    let (rest, _) = client.read_to_end();
    assert!(rest.is_empty());
}

#[test]
fn an_abandoned_next_does_not_take_the_event() {
    let emulator = Emulator::start();
    let mut gone = Client::connect(emulator.addr());
    gone.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
    emulator.wait_requests(1, TIMEOUT);
    drop(gone);
    let deadline = Instant::now() + TIMEOUT;
    while emulator.open_connections() > 0 {
        assert!(Instant::now() < deadline, "the server did not notice the client left");
        thread::sleep(Duration::from_millis(10));
    }
    emulator.push(Event::json("{}"));
    let mut client = Client::connect(emulator.addr());
    assert_eq!(client.get(NEXT).status, 200);
}

#[test]
fn a_blocked_next_is_answered_when_an_event_arrives() {
    let emulator = Emulator::start();
    let addr = emulator.addr();
    let client = thread::spawn(move || Client::connect(addr).get(NEXT));
    emulator.wait_requests(1, TIMEOUT);
    emulator.push(Event::json("[1]"));
    let answer = client.join().unwrap();
    assert_eq!(answer.text(), "[1]");
}

#[test]
fn ipv6_when_available() {
    let Ok(emulator) = Emulator::try_start_with(Options { ipv6: true, ..Options::default() }) else {
        eprintln!("no IPv6 loopback; skipped");
        return;
    };
    assert!(emulator.runtime_api().starts_with("[::1]:"));
    emulator.push(Event::json("{}"));
    assert_eq!(Client::connect(emulator.addr()).get(NEXT).status, 200);
}

#[test]
fn wait_posts_panics_with_the_record() {
    let emulator = Emulator::start();
    Client::connect(emulator.addr()).get("/nowhere");
    let wait = std::panic::AssertUnwindSafe(|| emulator.wait_posts(1, Duration::from_millis(50)));
    let panic = std::panic::catch_unwind(wait).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("GET /nowhere"), "{message}");
}

#[test]
fn huge_timeouts_do_not_overflow() {
    let emulator = Emulator::start();
    emulator.push(Event::json("{}"));
    let addr = emulator.addr();
    let client = thread::spawn(move || Client::connect(addr).get(NEXT));
    assert_eq!(emulator.wait_requests(1, Duration::MAX).len(), 1);
    assert_eq!(client.join().unwrap().status, 200);
}

#[test]
fn emulator_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Emulator>();
    check::<lambda_emulator::Request>();
    check::<Event>();
}

#[test]
fn more_connections_at_once_than_waiting_threads_are_all_accepted() {
    // Each connection parks a thread in `GET /next`; past the spare threads, the last idle one
    // must start another before it serves, or the next connection would wait forever.
    let emulator = Emulator::start();
    let clients: Vec<Client> = (0..9)
        .map(|_| {
            let mut client = Client::connect(emulator.addr());
            client.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
            client
        })
        .collect();
    let requests = emulator.wait_requests(clients.len(), TIMEOUT);
    assert_eq!(requests.len(), clients.len());
    assert!(requests.iter().all(|r| r.kind == Kind::Next));
    assert_eq!(emulator.connections(), clients.len());
    for i in 0..clients.len() {
        emulator.push(Event::json(&format!("{{\"n\":{i}}}")));
    }
    for mut client in clients {
        let answer = client.read_answer().expect("an answer on every connection");
        assert_eq!(answer.status, 200);
        assert!(answer.text().starts_with("{\"n\":"), "{}", answer.text());
    }
}
