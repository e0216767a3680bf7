//! `pyward bench --plot FILE.svg`: quality (F1) against speed (seconds per file, log scale),
//! one labelled point per backend. Drawn with plotters' SVG backend (no fonts needed: the
//! text is SVG `<text>` for the viewer to render).

use plotters::prelude::*;

use super::report::BenchRow;

/// Why the plot could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the plot: {0}")]
pub struct PlotError(String);

fn plot_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError(e.to_string())
}

/// One point: a backend's name, its seconds per file and its F1 (`None`: undefined, drawn
/// at 0 and labelled `F1 n/a`).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPoint {
    pub label: String,
    pub seconds_per_file: f64,
    pub f1: Option<f64>,
}

impl PlotPoint {
    /// The point of a bench row.
    pub fn of(row: &BenchRow) -> PlotPoint {
        PlotPoint {
            label: row.name.clone(),
            seconds_per_file: row.seconds_per_file,
            f1: row.f1,
        }
    }
}

/// The smallest time shown: the static engine can be faster than a log axis likes.
const MIN_SECONDS: f64 = 1e-5;

/// The x range: whole decades around the points.
fn x_range(points: &[PlotPoint]) -> (f64, f64) {
    let xs: Vec<f64> = points
        .iter()
        .map(|p| p.seconds_per_file.max(MIN_SECONDS))
        .collect();
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(0.0, f64::max);
    if !lo.is_finite() {
        return (1e-3, 1e2);
    }
    let lo = 10f64.powf(lo.log10().floor());
    let mut hi = 10f64.powf(hi.log10().ceil());
    if hi <= lo {
        hi = lo * 10.0;
    }
    (lo, hi)
}

/// Renders the SVG document.
pub fn render_svg(title: &str, points: &[PlotPoint]) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (lo, hi) = x_range(points);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(24)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.05)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("seconds per file (log scale)")
            .y_desc("F1")
            .x_label_formatter(&|x| format_seconds(*x))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .draw()
            .map_err(plot_err)?;
        for (i, p) in points.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let x = p.seconds_per_file.max(MIN_SECONDS);
            let y = p.f1.unwrap_or(0.0);
            let label = match p.f1 {
                Some(f1) => format!(
                    "{} (F1 {f1:.3}, {} s/file)",
                    p.label,
                    format_seconds(p.seconds_per_file)
                ),
                None => format!(
                    "{} (F1 n/a, {} s/file)",
                    p.label,
                    format_seconds(p.seconds_per_file)
                ),
            };
            let element = EmptyElement::at((x, y))
                + Circle::new((0, 0), 6, color.filled())
                + Text::new(
                    label,
                    (10, -16),
                    ("sans-serif", 15).into_font().color(&BLACK),
                );
            chart.plotting_area().draw(&element).map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    svg.push('\n');
    Ok(svg)
}

/// Seconds with a precision that suits their size.
fn format_seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.1}")
    } else if s >= 0.01 {
        format!("{s:.2}")
    } else {
        format!("{s:.0e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_circle_and_label_per_point() {
        let points = vec![
            PlotPoint {
                label: "static".into(),
                seconds_per_file: 0.0004,
                f1: Some(0.828),
            },
            PlotPoint {
                label: "local:<tiny & fast>".into(),
                seconds_per_file: 12.5,
                f1: None,
            },
        ];
        let svg = render_svg("quality vs speed", &points).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert_eq!(svg.matches("<circle").count(), 2, "{svg}");
        assert!(svg.contains("static (F1 0.828, 4e-4 s/file)"), "{svg}");
        assert!(
            svg.contains("local:&lt;tiny &amp; fast&gt; (F1 n/a, 12.5 s/file)"),
            "{svg}"
        );
        assert!(svg.contains("seconds per file (log scale)"));
    }

    #[test]
    fn ranges_are_whole_decades() {
        let p = |s| PlotPoint {
            label: String::new(),
            seconds_per_file: s,
            f1: None,
        };
        let close = |(a, b): (f64, f64), (x, y): (f64, f64)| {
            assert!(
                (a / x - 1.0).abs() < 1e-9 && (b / y - 1.0).abs() < 1e-9,
                "({a}, {b}) != ({x}, {y})"
            )
        };
        close(x_range(&[p(0.0004), p(12.5)]), (1e-4, 100.0));
        close(x_range(&[p(1.0)]), (1.0, 10.0));
        close(x_range(&[p(0.0)]), (1e-5, 1e-4));
        close(x_range(&[]), (1e-3, 1e2));
    }
}
