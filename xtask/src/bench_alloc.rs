//! `cargo xtask bench --alloc`: the JSON-heavy `orders` example on musl's malloc and on
//! mimalloc, warm round trips interleaved run by run (see `bench.rs` for the rest).

use std::time::Duration;

use cargo_bootstrap::bench::Program;
use cargo_bootstrap::bench::machine::pin_to_one_cpu;
use cargo_bootstrap::bench::session::{Session, command, fresh_emulator, peak_rss_kib, spawn};
use cargo_bootstrap::bench::stats::{duration, kib, percentile, ratio};
use lambda_emulator::Kind;

use super::bench::{Config, build_example};
use super::{Arch, setup};

const ALLOC_SECTION: &str = "## Allocator: musl malloc and mimalloc";

/// `--alloc`: the JSON-heavy `orders` example (a batch of 2,000 orders, ~480 KB of JSON, in; a
/// summary per customer out: thousands of small strings and vectors per invocation) with musl's
/// malloc and with the `mimalloc` feature. Warm round trips, interleaved run by run.
pub fn allocators(config: &Config) -> Result<(), String> {
    setup(&[Arch::X86_64])?;
    let programs = [
        build_example("orders, musl malloc", "orders", &[])?,
        build_example("orders, mimalloc", "orders", &["--features", "mimalloc"])?,
    ];
    if config.pin {
        pin_to_one_cpu()?;
    }
    let event = orders_event(2_000);
    let invocations = if config.quick { 5 } else { 50 };
    let mut warm: [Vec<Duration>; 2] = Default::default();
    let mut rss: [Vec<u64>; 2] = Default::default();
    let mut expected = Vec::new();
    for round in 0..config.runs.min(10) {
        for i in (0..2).map(|k| (round + k) % 2) {
            let (times, peak, response) = orders_run(&programs[i], &event, &expected, invocations)
                .map_err(|e| format!("{}: {e}", programs[i].name))?;
            expected = response; // both builds must answer alike, every time
            warm[i].extend(times);
            rss[i].push(peak);
        }
    }
    let mut out = format!("{ALLOC_SECTION}\n\n");
    out += &format!(
        "Written by `{}` ({} runs × {invocations} warm invocations, interleaved; pinned: {}). One event of \
         {} bytes: 2,000 orders of 1–8 items, summed per customer (`examples/orders.rs`).\n\n",
        config.command,
        config.runs.min(10),
        config.pin,
        event.len()
    );
    out += "| allocator | warm round trip (median) | p99 | peak RSS | binary size |\n|---|---|---|---|---|\n";
    let medians: Vec<Duration> = warm
        .iter_mut()
        .map(|w| {
            w.sort_unstable();
            percentile(w, 0.5)
        })
        .collect();
    for (i, program) in programs.iter().enumerate() {
        rss[i].sort_unstable();
        out += &format!(
            "| {} | {} ({}) | {} | {} | {} |\n",
            program.name,
            duration(medians[i]),
            ratio(medians[i].as_secs_f64(), medians[0].as_secs_f64()),
            duration(percentile(&warm[i], 0.99)),
            kib(percentile(&rss[i], 0.5)),
            kib(program.size / 1024),
        );
    }
    println!("{out}");
    if config.write {
        super::write_section(ALLOC_SECTION, &out)?;
        eprintln!("bench: wrote the \"{ALLOC_SECTION}\" section of size-report.md");
    }
    Ok(())
}

/// A batch of `orders` orders as JSON, the same bytes every time.
fn orders_event(orders: usize) -> Vec<u8> {
    let mut json = String::from(r#"{"orders":["#);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for id in 0..orders {
        let customer = next(300);
        json += &format!(r#"{{"id":{id},"customer":"customer-{customer}","items":["#);
        for item in 0..1 + next(8) {
            let (sku, qty, cents) = (next(5_000), 1 + next(9), 50 + next(20_000));
            let comma = if item == 0 { "" } else { "," };
            json += &format!(
                r#"{comma}{{"sku":"SKU-{sku:05}","qty":{qty},"price":{}.{:02}}}"#,
                cents / 100,
                cents % 100
            );
        }
        json += if id + 1 == orders { "]}" } else { "]}," };
    }
    json += "]}";
    json.into_bytes()
}

/// One process: a cold invocation, then `invocations` warm ones; their round trips, the peak
/// RSS, and the response (which must equal `expected` when that is not empty).
fn orders_run(
    program: &Program,
    event: &[u8],
    expected: &[u8],
    invocations: usize,
) -> Result<(Vec<Duration>, u64, Vec<u8>), String> {
    let (emulator, first_id) = fresh_emulator(event)?;
    let process = spawn(&emulator, program, command(&emulator, program, &program.log)?)?;
    let mut session = Session { emulator: &emulator, process, seen: 0, log: &program.log };
    let response = session.wait_for_response(&first_id, expected)?.body;
    let mut times = Vec::with_capacity(invocations);
    for _ in 0..invocations {
        times.push(session.warm_invocation(event, &response)?.0);
    }
    session.wait_for("GET /next", |r| r.kind == Kind::Next)?;
    let peak = peak_rss_kib(session.process.id())?;
    session.process.kill();
    Ok((times, peak, response))
}
