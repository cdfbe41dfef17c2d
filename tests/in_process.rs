//! The loop as a value: driven in this process (no child process, no exit) against the
//! emulator, it serves events with a closure and returns why it stopped. Two loops on two threads
//! serve one queue at once without mixing their invocations.

use lambda_bootstrap::in_process::{Stop, serve};
use lambda_bootstrap::{Context, Error};
use lambda_emulator::{Emulator, Event, Fault, Kind};

fn echo(event: &[u8], ctx: &Context) -> Result<Vec<u8>, Error> {
    if event == b"fail" {
        return Err(Error::new("Test.Fail", "asked to fail"));
    }
    Ok([ctx.request_id.as_bytes(), b" ", event].concat())
}

#[test]
fn a_loop_serves_events_in_process_and_returns_when_the_api_says_stop() {
    let emu = Emulator::start();
    let events = [
        Event::new(b"one".to_vec()),
        Event::new(b"two".to_vec()).header("Lambda-Runtime-Invocation-Id", "inv-2"),
        Event::new(b"fail".to_vec()),
    ];
    let ids: Vec<String> = events.iter().map(|e| e.request_id().to_owned()).collect();
    for event in events {
        emu.push(event);
    }
    emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
    let mut seen = Vec::new();
    let stop = serve(&emu.runtime_api(), |event: &[u8], ctx: &Context| {
        seen.push(ctx.request_id.clone());
        echo(event, ctx)
    });
    assert_eq!(stop, Stop::Status("GET /next", 500));
    assert_eq!(seen, ids);
    let posts = emu.posts();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0].kind, Kind::Response(ids[0].clone()));
    assert_eq!(posts[0].body_str(), format!("{} one", ids[0]));
    assert_eq!(posts[1].header("lambda-runtime-invocation-id"), Some("inv-2"));
    assert_eq!(posts[2].kind, Kind::Error(ids[2].clone()));
    assert_eq!(posts[2].header("lambda-runtime-function-error-type"), Some("Test.Fail"));
    assert_eq!(emu.connections(), 1);
}

/// The buffers go round (issue #16): the buffer an echo hands back is the next event's buffer,
/// so every event is read into memory that is already faulted in; and no event sees bytes of an
/// earlier, larger one.
#[test]
fn the_buffer_a_handler_hands_back_holds_the_next_event() {
    let emu = Emulator::start();
    let bodies = [vec![b'a'; 100 * 1024], b"bcd".to_vec(), b"e".to_vec()];
    for body in &bodies {
        emu.push(Event::new(body.clone()));
    }
    emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
    // Each event's bytes, the address of its buffer and the buffer's capacity.
    let mut seen: Vec<(Vec<u8>, usize, usize)> = Vec::new();
    let stop = serve(&emu.runtime_api(), |event: &mut Vec<u8>, _: &Context| -> Result<Vec<u8>, Error> {
        seen.push((event.clone(), event.as_ptr() as usize, event.capacity()));
        Ok(std::mem::take(event))
    });
    assert_eq!(stop, Stop::Status("GET /next", 500));
    let bytes: Vec<&[u8]> = seen.iter().map(|(b, _, _)| b.as_slice()).collect();
    assert_eq!(bytes, bodies.iter().map(Vec::as_slice).collect::<Vec<_>>());
    for (i, (_, address, capacity)) in seen.iter().enumerate().skip(1) {
        assert_eq!(*address, seen[0].1, "event {i} was read into another buffer than event 0");
        assert!(*capacity >= 100 * 1024, "event {i}'s buffer shrank to {capacity} bytes");
    }
    let posts: Vec<Vec<u8>> = emu.posts().into_iter().map(|p| p.body).collect();
    assert_eq!(posts, bodies);
}

#[test]
fn two_loops_serve_one_queue_at_once() {
    let emu = Emulator::start();
    let events: Vec<Event> = (0..8).map(|i| Event::new(format!("event {i}").into_bytes())).collect();
    let mut ids: Vec<String> = events.iter().map(|e| e.request_id().to_owned()).collect();
    for event in events {
        emu.push(event);
    }
    let api = emu.runtime_api();
    // Each loop's first handler waits for the other's: both are inside a handler at once.
    let both = std::sync::Barrier::new(2);
    let (stops, served): (Vec<Stop>, Vec<Vec<String>>) = std::thread::scope(|s| {
        let loops: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut seen = Vec::new();
                    let stop = serve(&api, |event: &[u8], ctx: &Context| {
                        if seen.is_empty() {
                            both.wait();
                        }
                        seen.push(ctx.request_id.clone());
                        echo(event, ctx)
                    });
                    (stop, seen)
                })
            })
            .collect();
        // Each loop stops at the first 500 it meets; the queue is drained by then.
        emu.wait_posts(8, std::time::Duration::from_secs(30));
        emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
        emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
        loops.into_iter().map(|l| l.join().unwrap()).unzip()
    });
    assert_eq!(stops, [Stop::Status("GET /next", 500); 2]);
    let mut all: Vec<String> = served.concat();
    all.sort();
    ids.sort();
    assert_eq!(all, ids, "every event served once");
    assert!(served.iter().all(|s| !s.is_empty()), "both loops served: {served:?}");
    for post in emu.posts() {
        let id = post.request_id().unwrap().to_owned();
        assert!(post.body_str().starts_with(&format!("{id} event ")), "{}", post.body_str());
    }
    assert_eq!(emu.connections(), 2);
}

#[test]
fn a_loop_that_cannot_connect_returns_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let stop = serve(&format!("127.0.0.1:{port}"), echo);
    assert!(matches!(stop, Stop::Transport(what, _) if what.ends_with(&port.to_string())), "{stop:?}");
    assert!(matches!(serve("https://127.0.0.1:1", echo), Stop::Config(_)));
}
