//! CSV exports for operators (`Accept: text/csv`): RFC 4180 quoting, formulas defused for
//! spreadsheets, and rows streamed page by page through a keyset, so an export of every user
//! holds one page in memory. A database error mid-export aborts the transfer rather than end
//! it cleanly, so a truncated file is never mistaken for a complete one.

use std::future::Future;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use konqer_store::StoreError;

/// Rows fetched per round trip while streaming an export.
pub(crate) const EXPORT_PAGE: u32 = 500;

/// Whether the client asked for CSV.
pub(crate) fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula.
pub(crate) fn cell(raw: &str) -> String {
    let text = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn lines<I: IntoIterator<Item = Vec<String>>>(rows: I) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Streams `header`, then the rows of every page: `fetch` answers one page and the query of
/// the next one (`None` after the last).
pub(crate) fn keyset_export<Q, R, F, Fut>(
    name: &'static str,
    header: &'static [&'static str],
    first: Q,
    fetch: F,
    row: fn(R) -> Vec<String>,
) -> Response
where
    Q: Send + 'static,
    R: Send + 'static,
    F: Fn(Q) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<R>, Option<Q>), StoreError>> + Send + 'static,
{
    let head = lines([header.iter().map(|h| (*h).to_owned()).collect()]);
    let pages = stream::unfold(Some(first), move |next| {
        let page = next.map(&fetch);
        async move {
            match page?.await {
                Ok((rows, next)) => Some((Ok(lines(rows.into_iter().map(row))), next)),
                Err(err) => {
                    tracing::error!(error = %err, export = name, "CSV export aborted");
                    Some((Err(std::io::Error::other("export aborted")), None))
                }
            }
        }
    });
    let body = stream::once(async move { Ok(head) }).chain(pages);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"konqer-{name}.csv\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::{cell, keyset_export, lines};
    use http_body_util::BodyExt;
    use konqer_store::StoreError;

    fn numbers(n: u32) -> Vec<String> {
        vec![n.to_string()]
    }

    /// Pages of two numbers from `page`; page 3 fails when `fail` is set.
    fn export(fail: bool) -> axum::response::Response {
        keyset_export(
            "test",
            &["n"],
            1u32,
            move |page: u32| async move {
                if fail && page == 3 {
                    return Err(StoreError::NotFound);
                }
                let next = (page < 3).then_some(page + 1);
                Ok((vec![2 * page - 1, 2 * page], next))
            },
            numbers,
        )
    }

    #[tokio::test]
    async fn an_export_streams_every_page_after_the_header() {
        let body = export(false)
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(&body[..], b"n\r\n1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n");
    }

    #[tokio::test]
    async fn an_export_that_fails_midway_is_not_a_complete_file() {
        let mut body = export(true).into_body();
        let mut received = Vec::new();
        let mut failed = false;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => received.extend_from_slice(&frame.into_data().unwrap()),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed, "the stream must end in an error");
        assert_eq!(&received[..], b"n\r\n1\r\n2\r\n3\r\n4\r\n");
    }

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+33 6"), "'+33 6");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@sum"), "'@sum");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn rows_end_with_crlf() {
        let rows = vec![
            vec!["a".to_owned(), "b c".to_owned()],
            vec![String::new(); 2],
        ];
        assert_eq!(lines(rows), "a,b c\r\n,\r\n");
    }
}
