//! Fitting text into a box: greedy word wrap measured with the real glyph widths, and a font
//! size that steps down until the wrapped block fits. What still does not fit at the smallest
//! size is cut with an ellipsis, so text never leaves its box whatever the input.

use super::metrics::{winansi, Font};

/// Line height as a multiple of the font size. Helvetica's ascender (0.718) plus descender
/// (0.207) fit within it with room to breathe.
pub const LEADING: f32 = 1.25;

/// How much the font size drops per attempt when a block is too tall.
const STEP: f32 = 2.0;

/// Width of `text` set in `font` at `size` points.
pub fn width(text: &str, font: Font, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| u32::from(font.width(winansi(c))))
        .sum();
    units as f32 * size / 1000.0
}

/// Wraps `text` into lines no wider than `max_width`. Explicit newlines start a new line;
/// a word longer than a whole line is broken between characters.
pub fn wrap(text: &str, font: Font, size: f32, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in words(paragraph) {
            let word = word.as_str();
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, font, size) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line = word.to_owned();
            while width(&line, font, size) > max_width {
                let (head, tail) = split_to_width(&line, font, size, max_width);
                lines.push(head);
                line = tail;
            }
        }
        lines.push(line);
    }
    lines
}

/// The words of a paragraph, with French spaced punctuation kept on its word: the space
/// before `: ; ? ! »` and after `«` never breaks a line.
fn words(paragraph: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut glue_next = false;
    for word in paragraph.split([' ', '\t', '\r']).filter(|w| !w.is_empty()) {
        let glue_previous = matches!(word, ":" | ";" | "?" | "!" | "»" | "?!" | "!?");
        match out.last_mut() {
            Some(last) if glue_previous || glue_next => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_owned()),
        }
        glue_next = word == "«";
    }
    out
}

/// The longest prefix of `word` that fits `max_width` (at least one character, so wrapping
/// always progresses), and the rest.
fn split_to_width(word: &str, font: Font, size: f32, max_width: f32) -> (String, String) {
    let mut head = String::new();
    for (i, c) in word.char_indices() {
        head.push(c);
        if width(&head, font, size) > max_width && head.chars().count() > 1 {
            head.pop();
            return (head, word[i..].to_owned());
        }
    }
    (head, String::new())
}

/// Text set at one size, ready to draw line by line from the top of its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub font: Font,
    pub size: f32,
    pub lines: Vec<String>,
}

impl Block {
    pub fn leading(&self) -> f32 {
        self.size * LEADING
    }

    /// Height taken by the block: one leading per line.
    pub fn height(&self) -> f32 {
        self.lines.len() as f32 * self.leading()
    }
}

/// Sets `text` as large as possible between `max_size` and `min_size` such that it fits a
/// `box_width` × `box_height` box.
pub fn fit(
    text: &str,
    font: Font,
    max_size: f32,
    min_size: f32,
    box_width: f32,
    box_height: f32,
) -> Block {
    let mut size = max_size;
    loop {
        let lines = wrap(text, font, size, box_width);
        let block = Block { font, size, lines };
        if block.height() <= box_height {
            return block;
        }
        if size - STEP < min_size {
            return truncate(block, box_width, box_height);
        }
        size -= STEP;
    }
}

/// Keeps the lines that fit the box height and marks the cut with an ellipsis.
fn truncate(mut block: Block, box_width: f32, box_height: f32) -> Block {
    let keep = (box_height / block.leading()).floor() as usize;
    block.lines.truncate(keep);
    if let Some(last) = block.lines.last_mut() {
        let mut cut = last.trim_end().to_owned();
        loop {
            let candidate = format!("{}…", cut.trim_end());
            if width(&candidate, block.font, block.size) <= box_width || cut.is_empty() {
                *last = candidate;
                break;
            }
            cut.pop();
        }
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_sums_afm_widths() {
        // "Hi" = 722 + 222 units at 10 pt.
        assert!((width("Hi", Font::Regular, 10.0) - 9.44).abs() < 1e-4);
    }

    #[test]
    fn wrap_breaks_between_words_and_keeps_paragraphs() {
        let lines = wrap(
            "one two three\nfour",
            Font::Regular,
            10.0,
            width("one two", Font::Regular, 10.0),
        );
        assert_eq!(lines, ["one two", "three", "four"]);
    }

    #[test]
    fn french_spaced_punctuation_stays_with_its_word() {
        let max = width("Les pages de prix", Font::Bold, 10.0);
        let lines = wrap(
            "Les pages de prix : cinq « leçons » ?",
            Font::Bold,
            10.0,
            max,
        );
        assert_eq!(lines, ["Les pages de", "prix : cinq", "« leçons » ?"]);
    }

    #[test]
    fn a_word_wider_than_the_line_is_split() {
        let max = width("WWWW", Font::Bold, 20.0);
        let lines = wrap(&"W".repeat(10), Font::Bold, 20.0, max);
        assert_eq!(lines, ["WWWW", "WWWW", "WW"]);
    }

    #[test]
    fn fit_shrinks_before_it_truncates() {
        let text = "A sentence that needs two lines at the large size.";
        let one_line_small = width(text, Font::Regular, 20.0);
        let block = fit(
            text,
            Font::Regular,
            40.0,
            20.0,
            one_line_small,
            20.0 * LEADING,
        );
        assert_eq!(block.lines.len(), 1);
        assert_eq!(block.size, 20.0);
    }

    #[test]
    fn text_that_cannot_fit_is_cut_with_an_ellipsis() {
        let block = fit(
            &"word ".repeat(200),
            Font::Regular,
            40.0,
            30.0,
            300.0,
            100.0,
        );
        assert!(block.height() <= 100.0);
        let last = block.lines.last().expect("at least one line fits");
        assert!(last.ends_with('…'));
        assert!(width(last, Font::Regular, block.size) <= 300.0);
    }
    proptest::proptest! {
        #[test]
        fn fitted_text_never_leaves_its_box(
            text in "[A-Za-zÀ-ÿ ]{0,600}",
            box_width in 50f32..900.0,
            box_height in 40f32..900.0,
        ) {
            let block = fit(&text, Font::Regular, 44.0, 24.0, box_width, box_height);
            proptest::prop_assert!(block.height() <= box_height);
            for line in &block.lines {
                proptest::prop_assert!(width(line, Font::Regular, block.size) <= box_width, "{:?}", line);
            }
        }
    }
}
