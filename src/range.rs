//! Cutting a big plain file into byte ranges at line boundaries, so several workers can
//! analyse one file. A range `[start, end)` owns every line whose first byte lies in it:
//! it skips the line that started before `start` and reads past `end` to the end of the
//! last line it owns. Every line is then read by exactly one range, whatever the cut
//! points (inside a line, inside a `\r\n`).

/// Where a range reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Looking for the end of the line that started before the range.
    Skipping,
    /// Handing out the range's lines.
    Taking,
    /// Past the end of the range's last line.
    Done,
}

/// Feeds on the bytes from [`RangeCutter::read_from`] on and hands out the range's lines.
#[derive(Clone, Debug)]
pub struct RangeCutter {
    start: u64,
    end: u64,
    /// Absolute position of the next byte fed.
    pos: u64,
    state: State,
}

impl RangeCutter {
    /// A cutter for `[start, end)` of a file.
    pub fn new(start: u64, end: u64) -> RangeCutter {
        let state = if start >= end {
            State::Done
        } else if start == 0 {
            State::Taking
        } else {
            State::Skipping
        };
        RangeCutter {
            start,
            end,
            pos: start.saturating_sub(1),
            state,
        }
    }

    /// The first byte to read: one before the range, to see whether a line starts at it.
    pub fn read_from(&self) -> u64 {
        self.start.saturating_sub(1)
    }

    /// True once the range's last line has been handed out (stop reading).
    pub fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Takes the next bytes read and returns the part of them the range owns.
    pub fn feed<'a>(&mut self, mut chunk: &'a [u8]) -> &'a [u8] {
        if self.state == State::Skipping {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    self.pos += i as u64 + 1;
                    chunk = &chunk[i + 1..];
                    self.state = if self.pos >= self.end {
                        State::Done
                    } else {
                        State::Taking
                    };
                }
                None => {
                    self.pos += chunk.len() as u64;
                    // A newline from here on would start a line at or after `end`: the
                    // range owns no line (a file without newlines is not read n times).
                    if self.pos >= self.end {
                        self.state = State::Done;
                    }
                    return &[];
                }
            }
        }
        if self.state != State::Taking {
            return &[];
        }
        // The last owned line ends at the first newline at or after end - 1.
        let rel = (self.end - 1).saturating_sub(self.pos);
        if rel < chunk.len() as u64 {
            let rel = rel as usize;
            if let Some(j) = memchr::memchr(b'\n', &chunk[rel..]) {
                self.state = State::Done;
                self.pos += (rel + j + 1) as u64;
                return &chunk[..rel + j + 1];
            }
        }
        self.pos += chunk.len() as u64;
        chunk
    }
}

/// Size of the byte ranges a big plain file is cut into, for the CLI's threads and the
/// page's workers alike: big enough that a range's fixed costs (a seek or a slice, a
/// message) do not count, small enough that the workers share a file evenly.
pub const RANGE_BYTES: u64 = 32 << 20;

/// The byte ranges `[(start, end), ...]` a plain file of `size` bytes is cut into for
/// `workers` workers, ranges of about `range_bytes` ([`RANGE_BYTES`] by default); `None`
/// when it is read whole: one worker, or a file smaller than two ranges.
pub fn plan(size: u64, workers: usize, range_bytes: u64) -> Option<Vec<(u64, u64)>> {
    let range_bytes = range_bytes.max(1);
    (workers > 1 && size >= 2 * range_bytes).then(|| split(size, size / range_bytes, range_bytes))
}

/// Cut points for analysing a file of `size` bytes in about `parts` ranges of at least
/// `min_part` bytes: `[(start, end), ...]` covering `0..size`.
pub fn split(size: u64, parts: u64, min_part: u64) -> Vec<(u64, u64)> {
    let n = parts.max(1).min(size / min_part.max(1)).max(1);
    (0..n).map(|i| (size * i / n, size * (i + 1) / n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(data: &[u8], start: u64, end: u64, chunk: usize) -> Vec<u8> {
        let mut c = RangeCutter::new(start, end);
        let mut out = Vec::new();
        for piece in data[c.read_from() as usize..].chunks(chunk) {
            if c.done() {
                break;
            }
            out.extend_from_slice(c.feed(piece));
        }
        out
    }

    #[test]
    fn every_two_way_cut_reads_each_line_once() {
        let data = b"a b c\r\nlonger line here\r\n\r\nx\ny\r\nlast without newline";
        for at in 0..=data.len() as u64 {
            for chunk in [1, 2, 5, 64] {
                let mut all = cut(data, 0, at, chunk);
                all.extend(cut(data, at, data.len() as u64, chunk));
                assert_eq!(all, data, "cut at {at}, chunks of {chunk}");
            }
        }
    }

    #[test]
    fn ranges_start_at_line_starts() {
        let data = b"one\ntwo\r\nthree\n";
        assert_eq!(cut(data, 0, 1, 3), b"one\n");
        assert_eq!(cut(data, 1, 4, 3), b"");
        assert_eq!(cut(data, 4, 5, 3), b"two\r\n");
        // A cut between \r and \n: the line belongs to the range its first byte is in.
        assert_eq!(cut(data, 4, 8, 1), b"two\r\n");
        assert_eq!(cut(data, 8, 15, 1), b"three\n");
    }

    #[test]
    fn a_range_inside_one_long_line_stops_at_its_end() {
        let data = vec![b'a'; 10_000];
        let mut c = RangeCutter::new(3_000, 6_000);
        let mut read = 0;
        for piece in data[c.read_from() as usize..].chunks(1000) {
            if c.done() {
                break;
            }
            assert_eq!(c.feed(piece), b"");
            read += piece.len();
        }
        assert!(c.done());
        assert!(read <= 4_000, "read {read} bytes for a 3,000-byte range");
        let mut all = cut(&data, 0, 3_000, 1000);
        all.extend(cut(&data, 3_000, 6_000, 1000));
        all.extend(cut(&data, 6_000, 10_000, 1000));
        assert_eq!(all, data);
    }

    #[test]
    fn split_covers_the_file() {
        assert_eq!(
            split(100, 4, 10),
            vec![(0, 25), (25, 50), (50, 75), (75, 100)]
        );
        assert_eq!(split(100, 4, 60), vec![(0, 100)]);
        assert_eq!(split(0, 4, 60), vec![(0, 0)]);
    }

    #[test]
    fn plan_cuts_only_files_of_two_ranges_for_several_workers() {
        assert_eq!(plan(100, 1, 10), None);
        assert_eq!(plan(19, 2, 10), None);
        assert_eq!(plan(20, 2, 10), Some(vec![(0, 10), (10, 20)]));
        let cuts = plan(10 * RANGE_BYTES + 5, 8, RANGE_BYTES).unwrap();
        assert_eq!(cuts.len(), 10);
        assert_eq!(cuts.last().unwrap().1, 10 * RANGE_BYTES + 5);
    }
}
