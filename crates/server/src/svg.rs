//! Small server-side SVG charts: no script, no library, readable on a phone
//! (a `viewBox` and `width="100%"`, so the chart scales to the screen). Every
//! text that goes in is escaped here; the charts' labels are our own anyway.

use std::fmt::Write;

/// One bar: its label under the axis, its height, and the figure printed on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

const W: f64 = 320.0;
const H: f64 = 180.0;
const LEFT: f64 = 8.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 34.0;

/// Escapes text for an SVG (XML) text node or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A bar chart. `max` fixes the scale (e.g. 100 for percentages); `None`
/// scales to the largest bar. `id` names the chart for tests and CSS.
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], max: Option<f64>) -> String {
    let top = max.unwrap_or_else(|| bars.iter().map(|b| b.value).fold(0.0, f64::max)).max(1.0);
    let plot_h = H - TOP - BOTTOM;
    #[allow(clippy::cast_precision_loss)] // a handful of bars
    let slot = (W - 2.0 * LEFT) / bars.len().max(1) as f64;
    let mut s = String::new();
    let (id, title) = (escape(id), escape(title));
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{title}</title>"#
    );
    let _ = write!(s, r##"<text x="{LEFT}" y="16" font-size="12" fill="#333">{title}</text>"##);
    let base = H - BOTTOM;
    let _ =
        write!(s, r##"<line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}" stroke="#999" stroke-width="1"/>"##, W - LEFT);
    for (i, b) in bars.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = LEFT + slot * i as f64;
        let h = (b.value.max(0.0) / top).min(1.0) * plot_h;
        let (bw, bx, by) = (slot * 0.7, x + slot * 0.15, base - h);
        let cx = x + slot / 2.0;
        let _ = write!(
            s,
            r##"<g class="bar"><title>{label}：{shown}</title><rect x="{bx:.1}" y="{by:.1}" width="{bw:.1}" height="{h:.1}" fill="#2f7d5b"/><text x="{cx:.1}" y="{ty:.1}" font-size="9" text-anchor="middle" fill="#333">{shown}</text><text x="{cx:.1}" y="{ly:.1}" font-size="9" text-anchor="middle" fill="#555">{label}</text></g>"##,
            label = escape(&b.label),
            shown = escape(&b.shown),
            ty = by - 3.0,
            ly = base + 13.0,
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar { label: label.into(), value, shown: format!("{value}") }
    }

    #[test]
    fn a_chart_is_scalable_svg_with_a_chinese_title_and_one_rect_per_bar() {
        let svg =
            bar_chart("reply", "首次回复时间分布", &[bar("≤30秒", 3.0), bar("≤1分", 1.0), bar("未回复", 0.0)], None);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("viewBox=\"0 0 320 180\"") && svg.contains("width=\"100%\""));
        assert!(svg.contains("<title id=\"reply-title\">首次回复时间分布</title>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.ends_with("</svg>"));
        // The tallest bar fills the plot (118 units), a zero bar has no height.
        assert!(svg.contains("height=\"118.0\"") && svg.contains("height=\"0.0\""));
    }

    #[test]
    fn text_is_escaped_and_a_fixed_scale_caps_bars() {
        let svg = bar_chart("x", "<b>&", &[bar("<script>", 150.0)], Some(100.0));
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;") && svg.contains("&lt;b&gt;&amp;"));
        assert!(svg.contains("height=\"118.0\""));
        // Every tag opened is closed: a crude well-formedness check.
        assert_eq!(svg.matches("<g ").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }
}
