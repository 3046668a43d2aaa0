//! Turning strangers' bytes into text that is safe to show and to export.

use std::borrow::Cow;

/// Lossy UTF-8: invalid bytes become U+FFFD.
pub fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Decodes `%XX` escapes once (keys are URL-encoded); `+` is left alone, as S3 does.
pub fn url_decode(b: &[u8]) -> String {
    if !b.contains(&b'%') {
        return lossy(b).into_owned();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Makes a cell safe to open in a spreadsheet. A cell that begins with `=`, `+`, `-`,
/// `@`, a tab or a carriage return can run as a formula in Excel, LibreOffice or Google
/// Sheets; such a cell gets a leading apostrophe (OWASP's advice for CSV injection), which
/// spreadsheets read as "this is text" and do not show.
pub fn spreadsheet_safe(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// One line of a log as printable text for `rejected_lines.txt`: invalid UTF-8 becomes
/// U+FFFD and control characters become `\xNN`, so the file stays one record per line.
pub fn printable(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_safety() {
        assert_eq!(url_decode(b"my%20file%2Bx%zz%4"), "my file+x%zz%4");
        assert_eq!(url_decode(b"a%2"), "a%2");
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-1+2"), "'-1+2");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Mozilla"), "Mozilla");
        assert_eq!(printable(b"a\tb\x1b[31m\xff"), "a\\x09b\\x1B[31m\u{FFFD}");
    }
}
