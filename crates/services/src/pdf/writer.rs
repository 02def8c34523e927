//! The PDF 1.4 file structure: numbered objects written in order, a cross-reference table
//! of their byte offsets, and the trailer. Everything is written as ASCII (non-ASCII string
//! bytes are octal escapes), which keeps the output easy to inspect and to test.

/// Builds a PDF file whose objects are numbered 1, 2, 3… in the order they are added.
pub struct Writer {
    buf: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    pub fn new() -> Self {
        let mut buf = b"%PDF-1.4\n".to_vec();
        // A comment with high bytes tells transfer tools the file is binary.
        buf.extend_from_slice(b"%\xE2\xE3\xCF\xD3\n");
        Writer {
            buf,
            offsets: Vec::new(),
        }
    }

    /// The number the next object will get.
    pub fn next_id(&self) -> usize {
        self.offsets.len() + 1
    }

    /// Adds an object whose body is `dict` (a dictionary or any other PDF value).
    pub fn object(&mut self, dict: &str) -> usize {
        let id = self.open();
        self.buf.extend_from_slice(dict.as_bytes());
        self.buf.extend_from_slice(b"\nendobj\n");
        id
    }

    /// Adds a stream object holding `data`.
    pub fn stream(&mut self, data: &[u8]) -> usize {
        let id = self.open();
        let head = format!("<< /Length {} >>\nstream\n", data.len());
        self.buf.extend_from_slice(head.as_bytes());
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
        id
    }

    fn open(&mut self) -> usize {
        self.offsets.push(self.buf.len());
        let id = self.offsets.len();
        self.buf
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        id
    }

    /// Writes the cross-reference table and trailer and returns the file.
    pub fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let xref = self.buf.len();
        let size = self.offsets.len() + 1;
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for offset in &self.offsets {
            // Each entry is exactly 20 bytes, as the format requires.
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        table.push_str(&format!(
            "trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        ));
        self.buf.extend_from_slice(table.as_bytes());
        self.buf
    }
}

/// A PDF literal string of WinAnsi `bytes`: parentheses and backslashes escaped, and every
/// byte outside printable ASCII written as an octal escape.
pub fn literal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7E => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_escapes_delimiters_and_high_bytes() {
        assert_eq!(literal(b"a(b)c\\d"), r"(a\(b\)c\\d)");
        assert_eq!(literal(&[0xE9, b'!']), r"(\351!)");
    }

    #[test]
    fn xref_entries_point_at_their_objects() {
        let mut w = Writer::new();
        let a = w.object("<< /Type /Catalog >>");
        let b = w.stream(b"BT ET");
        let pdf = w.finish(a, b);
        let tail = pdf
            .windows(10)
            .rposition(|w| w == b"startxref\n")
            .expect("startxref");
        let xref_at: usize = std::str::from_utf8(&pdf[tail + 10..])
            .ok()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref offset");
        assert!(pdf[xref_at..].starts_with(b"xref\n0 3\n"));
        for (i, id) in [a, b].into_iter().enumerate() {
            let entry = &pdf[xref_at + 9 + 20 * (i + 1)..][..20];
            let offset: usize = std::str::from_utf8(&entry[..10])
                .ok()
                .and_then(|n| n.parse().ok())
                .expect("offset");
            assert!(pdf[offset..].starts_with(format!("{id} 0 obj\n").as_bytes()));
        }
        assert!(pdf.ends_with(b"%%EOF\n"));
    }
}
