//! The figures of a set of samples: medians, nearest-rank p99, and how they are written.

use std::time::Duration;

use super::run::Sample;

/// One program's figures at one event size, over all its runs.
pub struct Figures {
    pub startup: (Duration, Duration),
    pub cold: (Duration, Duration),
    pub warm: (Duration, Duration),
    /// Median over the runs.
    pub peak_rss_kib: u64,
    /// The largest of the runs.
    pub peak_rss_max_kib: u64,
    /// The fewest and the most connections in one run.
    pub connections: (usize, usize),
}

impl Figures {
    pub fn of(samples: &[Sample]) -> Figures {
        let spread = |mut values: Vec<Duration>| {
            values.sort_unstable();
            (percentile(&values, 0.5), percentile(&values, 0.99))
        };
        let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
        rss.sort_unstable();
        let connections = samples.iter().map(|s| s.connections);
        Figures {
            startup: spread(samples.iter().map(|s| s.startup).collect()),
            cold: spread(samples.iter().map(|s| s.cold).collect()),
            warm: spread(samples.iter().flat_map(|s| s.warm.iter().copied()).collect()),
            peak_rss_kib: percentile(&rss, 0.5),
            peak_rss_max_kib: rss.last().copied().unwrap_or(0),
            connections: (connections.clone().min().unwrap_or(0), connections.max().unwrap_or(0)),
        }
    }
}

/// The nearest-rank percentile of sorted values (`p` in 0..=1); the default for none.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 { format!("{:.2}×", ours / theirs) } else { "n/a".to_owned() }
}

/// Three significant digits (at least), in µs or ms.
pub fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    match us {
        _ if us < 9.95 => format!("{us:.1} µs"),
        _ if us < 999.5 => format!("{us:.0} µs"),
        _ if us < 9_995.0 => format!("{:.2} ms", us / 1000.0),
        _ if us < 99_950.0 => format!("{:.1} ms", us / 1000.0),
        _ => format!("{:.0} ms", us / 1000.0),
    }
}

pub fn kib(kib: u64) -> String {
    if kib < 1024 { format!("{kib} KiB") } else { format!("{:.1} MiB", kib as f64 / 1024.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_three_digits_across_units() {
        let us = |n: f64| duration(Duration::from_secs_f64(n / 1e6));
        assert_eq!(us(5.0), "5.0 µs");
        assert_eq!(us(38.2), "38 µs");
        assert_eq!(us(999.6), "1.00 ms");
        assert_eq!(us(9_996.0), "10.0 ms");
        assert_eq!(us(123_456.0), "123 ms");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&values, 0.5), 5);
        assert_eq!(percentile(&values, 0.99), 10);
        assert_eq!(percentile(&[7u32], 0.5), 7);
        assert_eq!(percentile::<u32>(&[], 0.5), 0);
    }
}
