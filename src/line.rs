//! The one place where chunk boundaries are handled: complete lines are handed out
//! straight from the caller's chunk; only a partial tail is copied, and a line longer
//! than the cap is skipped to its end without being buffered.

use memchr::memchr;

/// Default cap on the length of one line: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// How much of an over-long line is kept, to show the user what it was.
pub const TOO_LONG_PREFIX: usize = 512;

/// What the line buffer hands out.
#[derive(Debug, PartialEq, Eq)]
pub enum LineEvent<'a> {
    /// A complete line without its `\n` (a `\r` before it is left for the parser).
    Line(&'a [u8]),
    /// A line longer than the cap: its first bytes and its full length.
    TooLong {
        /// The first [`TOO_LONG_PREFIX`] bytes.
        prefix: &'a [u8],
        /// The line's length in bytes, without its `\n`.
        len: u64,
    },
}

/// Splits a byte stream that arrives in chunks of any size into lines.
#[derive(Debug)]
pub struct LineBuffer {
    tail: Vec<u8>,
    max_line: usize,
    /// Length of the over-long line being skipped, if any.
    skipping: Option<u64>,
}

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer::new(DEFAULT_MAX_LINE)
    }
}

impl LineBuffer {
    /// A buffer that refuses lines longer than `max_line` bytes.
    pub fn new(max_line: usize) -> LineBuffer {
        LineBuffer {
            tail: Vec::new(),
            max_line: max_line.max(1),
            skipping: None,
        }
    }

    /// Feeds a chunk; `emit` is called for every line it completes.
    #[inline]
    pub fn push(&mut self, mut chunk: &[u8], mut emit: impl FnMut(LineEvent<'_>)) {
        // Finish the line that the previous chunk started.
        if self.skipping.is_some() || !self.tail.is_empty() {
            match memchr(b'\n', chunk) {
                None => {
                    self.extend_tail(chunk);
                    return;
                }
                Some(i) => {
                    self.extend_tail(&chunk[..i]);
                    self.flush(&mut emit);
                    chunk = &chunk[i + 1..];
                }
            }
        }
        let mut start = 0;
        while let Some(i) = memchr(b'\n', &chunk[start..]) {
            let line = &chunk[start..start + i];
            if line.len() > self.max_line {
                emit(LineEvent::TooLong {
                    prefix: &line[..TOO_LONG_PREFIX.min(line.len())],
                    len: line.len() as u64,
                });
            } else {
                emit(LineEvent::Line(line));
            }
            start += i + 1;
        }
        self.extend_tail(&chunk[start..]);
    }

    /// Ends the stream: a last line without a final `\n` is handed out.
    pub fn finish(&mut self, mut emit: impl FnMut(LineEvent<'_>)) {
        if self.skipping.is_some() || !self.tail.is_empty() {
            self.flush(&mut emit);
        }
    }

    /// Bytes held for an unfinished line.
    pub fn pending(&self) -> usize {
        self.tail.len()
    }

    fn extend_tail(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(n) = self.skipping.as_mut() {
            *n += bytes.len() as u64;
            // The prefix shown is the same however the line arrived.
            let room = TOO_LONG_PREFIX
                .saturating_sub(self.tail.len())
                .min(bytes.len());
            self.tail.extend_from_slice(&bytes[..room]);
            return;
        }
        if self.tail.len() + bytes.len() > self.max_line {
            // Keep the prefix to show, forget the rest.
            let keep = TOO_LONG_PREFIX
                .saturating_sub(self.tail.len())
                .min(bytes.len());
            let total = (self.tail.len() + bytes.len()) as u64;
            self.tail.truncate(TOO_LONG_PREFIX);
            self.tail.extend_from_slice(&bytes[..keep]);
            self.tail.shrink_to(TOO_LONG_PREFIX);
            self.skipping = Some(total);
            return;
        }
        self.tail.extend_from_slice(bytes);
    }

    fn flush(&mut self, emit: &mut impl FnMut(LineEvent<'_>)) {
        match self.skipping.take() {
            Some(len) => emit(LineEvent::TooLong {
                prefix: &self.tail,
                len,
            }),
            None => emit(LineEvent::Line(&self.tail)),
        }
        self.tail.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], chunk: usize, cap: usize) -> Vec<String> {
        let mut lb = LineBuffer::new(cap);
        let mut out = Vec::new();
        let mut on = |e: LineEvent<'_>| {
            out.push(match e {
                LineEvent::Line(l) => format!("L:{}", String::from_utf8_lossy(l)),
                LineEvent::TooLong { prefix, len } => {
                    format!(
                        "T:{}:{}",
                        len,
                        String::from_utf8_lossy(&prefix[..prefix.len().min(3)])
                    )
                }
            })
        };
        for c in input.chunks(chunk.max(1)) {
            lb.push(c, &mut on);
        }
        lb.finish(&mut on);
        out
    }

    #[test]
    fn same_lines_whatever_the_chunks() {
        let input = b"abc\n\nde\r\nlonglonglong\nxyz";
        let want = collect(input, input.len(), 8);
        // Over-long lines keep the same prefix whatever the chunks (a fuzzer find).
        let long: Vec<u8> = (0..2000u32)
            .map(|i| b'a' + (i % 26) as u8)
            .chain(*b"\nz")
            .collect();
        let whole = prefix_of_too_long(&long, long.len(), 200);
        for chunk in [1, 7, 150, 199, 201, 600] {
            assert_eq!(
                prefix_of_too_long(&long, chunk, 200),
                whole,
                "chunk {chunk}"
            );
        }
        assert_eq!(whole.len(), TOO_LONG_PREFIX);
        assert_eq!(want, ["L:abc", "L:", "L:de\r", "T:12:lon", "L:xyz"]);
        for chunk in 1..input.len() {
            assert_eq!(collect(input, chunk, 8), want, "chunk {chunk}");
        }
    }

    fn prefix_of_too_long(input: &[u8], chunk: usize, cap: usize) -> Vec<u8> {
        let mut lb = LineBuffer::new(cap);
        let mut got = Vec::new();
        let mut on = |e: LineEvent<'_>| {
            if let LineEvent::TooLong { prefix, .. } = e {
                got = prefix.to_vec();
            }
        };
        for c in input.chunks(chunk) {
            lb.push(c, &mut on);
        }
        lb.finish(&mut on);
        got
    }

    #[test]
    fn over_long_line_is_not_buffered() {
        let mut lb = LineBuffer::new(1000);
        let block = vec![b'x'; 4096];
        for _ in 0..1000 {
            lb.push(&block, |_| panic!("no line yet"));
            assert!(lb.pending() <= TOO_LONG_PREFIX);
        }
        let mut seen = None;
        lb.push(b"\nok\n", |e| {
            if let LineEvent::TooLong { len, .. } = e {
                seen = Some(len)
            }
        });
        assert_eq!(seen, Some(4096 * 1000));
    }
}
