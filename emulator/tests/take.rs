//! `Emulator::take_requests`: long runs drain the record of requests as they go, and indices
//! keep counting what was taken.

mod common;

use std::thread;
use std::time::Duration;

use common::{Client, NEXT, TIMEOUT, response_path};
use lambda_emulator::{Emulator, Event, Kind};

#[test]
fn taken_requests_leave_the_record_and_indices_keep_counting() {
    let emulator = Emulator::start();
    let first = Event::new("one");
    let first_id = first.request_id().to_owned();
    emulator.push(first);
    let mut client = Client::connect(emulator.addr());
    assert_eq!(client.get(NEXT).status, 200);
    assert_eq!(client.post(&response_path(&first_id), b"1").status, 202);

    let taken = emulator.take_requests();
    let kinds: Vec<(Kind, u16)> = taken.iter().map(|r| (r.kind.clone(), r.answered)).collect();
    assert_eq!(kinds, [(Kind::Next, 200), (Kind::Response(first_id), 202)]);
    assert!(emulator.requests().is_empty() && emulator.take_requests().is_empty());

    // A `/next` taken while it waits: the event served later does not touch another record.
    let addr = emulator.addr();
    let waiting = thread::spawn(move || {
        let mut client = Client::connect(addr);
        let answer = client.get(NEXT);
        (client, answer)
    });
    let next = emulator.wait_requests(1, TIMEOUT);
    assert_eq!((next[0].kind.clone(), next[0].answered), (Kind::Next, 0));
    assert_eq!(emulator.take_requests().len(), 1);
    let second = Event::new("two");
    let second_id = second.request_id().to_owned();
    emulator.push(second);
    let (mut client, answer) = waiting.join().unwrap();
    assert_eq!((answer.status, answer.text()), (200, "two".to_owned()));
    assert_eq!(client.post(&response_path(&second_id), b"2").status, 202);

    let posts = emulator.wait_posts(1, TIMEOUT);
    assert_eq!((posts.len(), posts[0].answered), (1, 202));
    assert_eq!(emulator.requests().len(), 1, "only the post is left");
    assert_eq!(emulator.wait_requests_from(3, Duration::ZERO).len(), 1, "index 3: the post");
    assert!(emulator.wait_requests_from(4, Duration::ZERO).is_empty());
    assert_eq!(emulator.wait_requests_from(0, Duration::ZERO).len(), 1, "what is left of 0..");
}
