//! The timestamps `cargo xtask bench` measures with: `served_at`, `writing_at`,
//! `Request::at`, and polling with `wait_requests_from`. Order only, no timing bounds.

mod common;

use std::time::Duration;

use common::{Client, NEXT, response_path};
use lambda_emulator::{Emulator, Event, Fault, Kind};

#[test]
fn writing_at_falls_between_serving_and_the_answer_post() {
    let emulator = Emulator::start();
    let event = Event::new(vec![b'x'; 100_000]);
    let id = event.request_id().to_owned();
    assert_eq!(emulator.writing_at(&id), None);
    emulator.push(event);

    let mut client = Client::connect(emulator.addr());
    let answer = client.get(NEXT);
    assert_eq!(answer.body.len(), 100_000);
    let served = emulator.served_at(&id).expect("served");
    let writing = emulator.writing_at(&id).expect("writing");
    assert!(served <= writing);

    client.post(&response_path(&id), b"ok");
    let posts = emulator.posts();
    assert_eq!(posts[0].kind, Kind::Response(id.clone()));
    assert!(writing <= posts[0].at);
    let requests = emulator.requests();
    assert!(requests[0].at <= served, "the /next was read before its event was served");
}

#[test]
fn writing_at_is_none_for_a_fault() {
    let emulator = Emulator::start();
    let event = Event::new("{}").fault(Fault::Status(500, "{}".into()));
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());
    assert_eq!(client.get(NEXT).status, 500);
    assert_eq!(emulator.writing_at(&id), None);
}

#[test]
fn wait_requests_from_returns_only_the_new_ones() {
    let emulator = Emulator::start();
    assert!(emulator.wait_requests_from(0, Duration::from_millis(10)).is_empty());
    let event = Event::new("{}");
    let id = event.request_id().to_owned();
    emulator.push(event);
    let mut client = Client::connect(emulator.addr());
    client.get(NEXT);
    let first = emulator.wait_requests_from(0, Duration::from_secs(5));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].kind, Kind::Next);

    client.post(&response_path(&id), b"{}");
    let rest = emulator.wait_requests_from(1, Duration::from_secs(5));
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].kind, Kind::Response(id));
    assert!(emulator.wait_requests_from(2, Duration::from_millis(10)).is_empty());
}
