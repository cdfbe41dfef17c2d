//! The chart `bench` writes beside its Markdown: a grouped bar chart, one group per figure
//! (start-up, cold, warm median, warm p99, peak RSS), one bar per program, each the ratio to our
//! echo (so our echo's bars are all 1.0, and a dashed line marks 1.0). Hand-written SVG: a few
//! rectangles and labels need no plotting library.

use std::fmt::Write as _;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 56.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;
const COLOURS: [&str; 6] = ["#1b7837", "#2166ac", "#b2182b", "#e08214", "#762a83", "#4d4d4d"];

/// The chart of `ratios` (per program, per figure, from `compare::ratios`) under `title`.
pub fn chart(title: &str, names: &[&str], ratios: &[[(&str, f64); 5]]) -> String {
    let plot_w = WIDTH - LEFT - 16.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let top_value = ratios.iter().flatten().map(|(_, v)| *v).fold(1.0, f64::max);
    let scale_max = nice_ceiling(top_value);
    let y = |v: f64| TOP + plot_h * (1.0 - v / scale_max);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(out, r#"<text x="{LEFT}" y="22" font-size="14">{}</text>"#, escape(title));
    for tick in 0..=4 {
        let v = scale_max * f64::from(tick) / 4.0;
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}×</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y(v) + 4.0,
            short(v),
            y = y(v)
        );
    }
    let groups = ratios.first().map_or(0, |r| r.len());
    let group_w = plot_w / groups.max(1) as f64;
    let bar_w = (group_w * 0.8) / ratios.len().max(1) as f64;
    for g in 0..groups {
        let x0 = LEFT + group_w * g as f64 + group_w * 0.1;
        for (p, program) in ratios.iter().enumerate() {
            let (_, v) = program[g];
            let x = x0 + bar_w * p as f64;
            let _ = writeln!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {v:.2}×</title></rect>"#,
                y(v),
                bar_w - 2.0,
                (y(0.0) - y(v)).max(0.0),
                COLOURS[p % COLOURS.len()],
                escape(names.get(p).copied().unwrap_or("?"))
            );
            if bar_w >= 22.0 {
                let _ = writeln!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{v:.2}</text>"#,
                    x + bar_w / 2.0 - 1.0,
                    y(v) - 3.0
                );
            }
        }
        let label = ratios.first().map_or("", |r| r[g].0);
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
            x0 + group_w * 0.4,
            TOP + plot_h + 16.0
        );
    }
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" x2="{}" y1="{one:.1}" y2="{one:.1}" stroke="#000" stroke-dasharray="4 3"/>"##,
        LEFT + plot_w,
        one = y(1.0)
    );
    for (p, name) in names.iter().enumerate() {
        let (x, row) = (LEFT + 340.0 * (p % 2) as f64, HEIGHT - 44.0 + 18.0 * (p / 2) as f64);
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{}" y="{row:.1}">{}</text>"#,
            row - 10.0,
            COLOURS[p % COLOURS.len()],
            x + 16.0,
            escape(&legend(name))
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `v` (v ≥ 1).
fn nice_ceiling(v: f64) -> f64 {
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&c| c >= v).unwrap_or(10.0 * magnitude)
}

/// A scale label: at most two decimals, no trailing zeros (1.25, 2.5, 5).
fn short(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A legend entry that fits its column: long paths keep their end.
fn legend(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 46 {
        name.to_string()
    } else {
        format!("…{}", chars[chars.len() - 45..].iter().collect::<String>())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(1.3), 2.0);
        assert_eq!(nice_ceiling(2.2), 2.5);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(31.0), 50.0);
    }

    #[test]
    fn labels_stay_short() {
        assert_eq!(
            (short(1.25), short(2.5), short(5.0), short(0.0)),
            ("1.25".into(), "2.5".into(), "5".into(), "0".into())
        );
        assert_eq!(legend("echo"), "echo");
        let long = legend(&"x".repeat(60));
        assert!(long.starts_with('…') && long.chars().count() == 46);
    }

    #[test]
    fn one_bar_per_program_and_figure_with_escaped_names() {
        let row =
            |k: f64| [("start-up", k), ("cold", k), ("warm median", k), ("warm p99", k), ("peak RSS", k)];
        let svg = chart("64 B <events>", &["echo", "a&b"], &[row(1.0), row(3.0)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<title>").count(), 10);
        assert!(svg.contains("64 B &lt;events&gt;") && svg.contains("a&amp;b") && !svg.contains("a&b"));
        assert!(svg.contains("<title>a&amp;b: 3.00×</title>"));
        // The scale ends at 5× for a largest ratio of 3: a bar of 3 is 60 % of the plot high.
        let plot_h = HEIGHT - TOP - BOTTOM;
        assert!(svg.contains(&format!(r#"height="{:.1}""#, plot_h * 0.6)));
    }
}
