//! A small, dependency-free PDF 1.4 writer for slide documents (LinkedIn carousels are
//! uploaded as PDFs, one page per slide). It uses the base-14 Helvetica fonts with
//! WinAnsiEncoding, so nothing is embedded and French text renders; text is measured with the
//! real glyph widths and always stays inside its box (see `layout`).
//!
//! Page design, 1080 × 1350 pt (LinkedIn's 4:5 portrait): a brand-coloured background, an
//! accent bar, the title large and bold, the body below it, and a footer rule with the slide
//! number ("3/10"). Text colour is picked for contrast with the background, so any brand
//! palette stays readable.

pub mod layout;
pub mod metrics;
mod writer;

use layout::Block;
use metrics::{encode, Font};
use writer::{literal, Writer};

pub const PAGE_WIDTH: f32 = 1080.0;
pub const PAGE_HEIGHT: f32 = 1350.0;
pub const MARGIN: f32 = 96.0;
/// Width every text box gets.
pub const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BAR_HEIGHT: f32 = 14.0;
/// Top edge of the title box: below the accent bar.
const TITLE_TOP: f32 = PAGE_HEIGHT - MARGIN - BAR_HEIGHT - 56.0;
/// Bottom edge of the body box: above the footer rule.
const BODY_BOTTOM: f32 = 176.0;
const FOOTER_RULE: f32 = 150.0;
const GAP: f32 = 40.0;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#RRGGBB`.
    pub fn parse_hex(hex: &str) -> Option<Rgb> {
        let digits = hex.strip_prefix('#')?;
        if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    /// WCAG relative luminance, 0 (black) to 1 (white).
    fn luminance(self) -> f32 {
        let channel = |c: u8| {
            let c = f32::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    fn contrast(self, other: Rgb) -> f32 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The fill-colour operator.
    fn fill(self) -> String {
        let c = |v: u8| num(f32::from(v) / 255.0);
        format!("{} {} {} rg", c(self.0), c(self.1), c(self.2))
    }
}

/// The colours of a document. `Palette::default()` is a dark navy page with a sky-blue
/// accent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub background: Rgb,
    /// The accent bar and, when readable on the background, the slide number.
    pub primary: Rgb,
    /// The footer rule.
    pub secondary: Rgb,
}

impl Default for Palette {
    fn default() -> Self {
        Palette {
            background: Rgb(0x0F, 0x17, 0x2A),
            primary: Rgb(0x38, 0xBD, 0xF8),
            secondary: Rgb(0x94, 0xA3, 0xB8),
        }
    }
}

impl Palette {
    /// Near-white on dark backgrounds, near-black on light ones.
    pub fn text(&self) -> Rgb {
        let (light, dark) = (Rgb(0xF8, 0xFA, 0xFC), Rgb(0x0F, 0x17, 0x2A));
        if light.contrast(self.background) >= dark.contrast(self.background) {
            light
        } else {
            dark
        }
    }
}

/// One slide's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// A text block with the box it was fitted into; lines are drawn from `top` down.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub block: Block,
    pub x: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

/// Where a slide's title and body go. Cover pages (the first and the last slide) get a
/// larger title.
pub fn layout_page(page: &Page, cover: bool) -> (Placed, Placed) {
    let (title_max, title_min, title_box) = if cover {
        (104.0, 48.0, 560.0)
    } else {
        (76.0, 40.0, 440.0)
    };
    let title = layout::fit(
        page.title,
        Font::Bold,
        title_max,
        title_min,
        TEXT_WIDTH,
        title_box,
    );
    let body_top = TITLE_TOP - title.height() - GAP;
    let body_height = body_top - BODY_BOTTOM;
    let body = layout::fit(
        page.body,
        Font::Regular,
        44.0,
        24.0,
        TEXT_WIDTH,
        body_height,
    );
    (
        Placed {
            block: title,
            x: MARGIN,
            top: TITLE_TOP,
            width: TEXT_WIDTH,
            height: title_box,
        },
        Placed {
            block: body,
            x: MARGIN,
            top: body_top,
            width: TEXT_WIDTH,
            height: body_height,
        },
    )
}

/// Renders one page per slide.
pub fn carousel_pdf(pages: &[Page], palette: &Palette) -> Vec<u8> {
    let mut w = Writer::new();
    let regular = font_object(&mut w, Font::Regular);
    let bold = font_object(&mut w, Font::Bold);
    let doc_title = pages.first().map(|p| p.title).unwrap_or("Carousel");
    let info = w.object(&format!(
        "<< /Producer (Konqer) /Title {} >>",
        literal(&encode(doc_title))
    ));
    // Each page adds a content stream and a page object; the page tree comes right after.
    let tree = w.next_id() + 2 * pages.len();
    let resources = format!("<< /Font << /F1 {regular} 0 R /F2 {bold} 0 R >> >>");
    let mut kids = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        let content = w.stream(page_content(page, i, pages.len(), palette).as_bytes());
        kids.push(w.object(&format!(
            "<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {} {}] /Resources {resources} /Contents {content} 0 R >>",
            num(PAGE_WIDTH),
            num(PAGE_HEIGHT)
        )));
    }
    let kids_refs: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    let written = w.object(&format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids_refs.join(" "),
        kids.len()
    ));
    debug_assert_eq!(
        written, tree,
        "page objects reference the page tree by number"
    );
    let catalog = w.object(&format!("<< /Type /Catalog /Pages {tree} 0 R >>"));
    w.finish(catalog, info)
}

fn font_object(w: &mut Writer, font: Font) -> usize {
    w.object(&format!(
        "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
        font.base_font()
    ))
}

/// The drawing operators of one page.
fn page_content(page: &Page, index: usize, total: usize, palette: &Palette) -> String {
    let text = palette.text();
    let mut ops = Vec::new();
    ops.push(rect(palette.background, 0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
    ops.push(rect(
        palette.primary,
        MARGIN,
        PAGE_HEIGHT - MARGIN - BAR_HEIGHT,
        140.0,
        BAR_HEIGHT,
    ));
    let cover = index == 0 || index + 1 == total;
    let (title, body) = layout_page(page, cover);
    draw_block(&mut ops, &title, text);
    draw_block(&mut ops, &body, text);
    ops.push(rect(
        palette.secondary,
        MARGIN,
        FOOTER_RULE,
        TEXT_WIDTH,
        3.0,
    ));
    let number = format!("{}/{}", index + 1, total);
    let size = 30.0;
    let number_colour = if palette.primary.contrast(palette.background) >= 3.0 {
        palette.primary
    } else {
        text
    };
    let x = PAGE_WIDTH - MARGIN - layout::width(&number, Font::Bold, size);
    ops.push(text_op(Font::Bold, size, number_colour, x, MARGIN, &number));
    ops.join("\n")
}

fn draw_block(ops: &mut Vec<String>, placed: &Placed, colour: Rgb) {
    let block = &placed.block;
    for (i, line) in block.lines.iter().enumerate() {
        // The baseline sits one font size below the top of its line, leaving the rest of the
        // leading for descenders.
        let baseline = placed.top - i as f32 * block.leading() - block.size;
        if !line.is_empty() {
            ops.push(text_op(
                block.font, block.size, colour, placed.x, baseline, line,
            ));
        }
    }
}

fn text_op(font: Font, size: f32, colour: Rgb, x: f32, y: f32, text: &str) -> String {
    format!(
        "BT /{} {} Tf {} 1 0 0 1 {} {} Tm {} Tj ET",
        font.resource(),
        num(size),
        colour.fill(),
        num(x),
        num(y),
        literal(&encode(text))
    )
}

fn rect(colour: Rgb, x: f32, y: f32, w: f32, h: f32) -> String {
    format!(
        "{} {} {} {} {} re f",
        colour.fill(),
        num(x),
        num(y),
        num(w),
        num(h)
    )
}

/// A number as PDF writes it: at most three decimals, no trailing zeros.
fn num(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(
            (num(1080.0), num(0.5), num(1.0 / 3.0), num(0.0)),
            ("1080".into(), "0.5".into(), "0.333".into(), "0".into())
        );
    }

    #[test]
    fn hex_colours_parse_and_text_contrasts_with_the_background() {
        assert_eq!(Rgb::parse_hex("#0A66c2"), Some(Rgb(0x0A, 0x66, 0xC2)));
        assert_eq!(Rgb::parse_hex("0A66C2"), None);
        assert_eq!(Rgb::parse_hex("#0A66C"), None);
        assert_eq!(Rgb::parse_hex("#GG66C2"), None);
        let light = Palette {
            background: Rgb(255, 255, 255),
            ..Palette::default()
        };
        assert_eq!(light.text(), Rgb(0x0F, 0x17, 0x2A));
        assert_eq!(Palette::default().text(), Rgb(0xF8, 0xFA, 0xFC));
    }

    #[test]
    fn long_text_wraps_and_shrinks_inside_its_boxes() {
        // 300 characters of long words, and a title too long for its box at full size.
        let long_words = "Internationalisation responsabilités extraordinairement ".repeat(6);
        let body: String = long_words.chars().take(300).collect();
        let title = "Wwwwwwwwww ".repeat(7);
        for cover in [false, true] {
            let page = Page {
                title: &title,
                body: &body,
            };
            let (t, b) = layout_page(&page, cover);
            assert!(
                t.block.size < if cover { 104.0 } else { 76.0 },
                "the title shrank"
            );
            for placed in [&t, &b] {
                assert!(!placed.block.lines.is_empty());
                assert!(placed.block.height() <= placed.height);
                for line in &placed.block.lines {
                    let w = layout::width(line, placed.block.font, placed.block.size);
                    assert!(w <= placed.width, "{line}");
                    assert!(placed.x >= MARGIN && placed.x + w <= PAGE_WIDTH - MARGIN);
                }
            }
            assert!(
                t.top - t.block.height() > b.top,
                "the body starts below the title"
            );
            assert!(
                b.top - b.height > FOOTER_RULE,
                "the body stays above the footer"
            );
            assert_eq!(
                b.block.lines.concat().replace(' ', ""),
                body.replace(' ', ""),
                "nothing cut"
            );
        }
    }
}
