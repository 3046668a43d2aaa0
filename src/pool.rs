//! The native analysis on several threads, with results identical to one session reading
//! the files in order (native only; the page does the same with Web Workers).
//!
//! The input is cut into units: a whole file, or a byte range of a big plain file (cut
//! at line boundaries by [`crate::range`], as the page's workers cut it). Threads take
//! the units in order; each keeps one session for whole files and one for ranges, so the
//! settings are compiled once per thread, not per file. A unit's row exports are kept
//! in memory up to a limit, then in an unnamed temporary file, and the calling thread
//! appends them to the output files in unit order, so `parsed_output.csv` and
//! `rejected_lines.txt` come out exactly as one session writes them. Threads never run
//! more than a few units ahead of the one being appended: memory stays bounded whatever
//! the input's size.

use crate::decode::{can_split, SNIFF_BYTES};
use crate::outputs::{Anonymize, FileSink};
use crate::range::{self, RangeCutter};
use crate::session::Session;
use crate::settings::Settings;
use crate::summary::{PartOfFile, Parts, Summary};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// A file to read and the name it is reported under.
#[derive(Clone)]
pub struct Input {
    /// Where it is (a local file), or what a remote source is called.
    pub path: PathBuf,
    /// What the outputs call it.
    pub name: String,
    /// Where its bytes come from when it is not a local file (an S3 object).
    pub source: Option<std::sync::Arc<dyn Source>>,
}

impl Input {
    /// A local file.
    pub fn file(path: PathBuf, name: String) -> Input {
        Input {
            path,
            name,
            source: None,
        }
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("remote", &self.source.is_some())
            .finish()
    }
}

/// The bytes of an input that is not a local file: read whole, in order, never cut into
/// ranges (S3 delivers logs as many small objects).
pub trait Source: Send + Sync {
    /// Its size, as listed.
    fn size(&self) -> u64;
    /// A reader of its bytes (an error is a note on the file).
    fn open(&self) -> io::Result<Box<dyn Read + Send>>;
    /// Says it will be read (called in reading order, before the first `open`): a remote
    /// source may fetch it ahead. Inputs not announced are never fetched ahead.
    fn announce(&self) {}
}

/// How the work is shared out.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Threads.
    pub jobs: usize,
    /// Bytes per read.
    pub chunk_size: usize,
    /// Size of the byte ranges a big plain file is cut into (a file is cut when it holds
    /// at least two).
    pub range_bytes: u64,
    /// Where a unit's row exports go once they outgrow [`PoolOptions::spill_bytes`]
    /// (unnamed files: nothing is left behind, even if the process is killed).
    pub spill_dir: PathBuf,
    /// Bytes of row exports a unit keeps in memory.
    pub spill_bytes: usize,
    /// Write the row exports (false: the summary only, as the benchmark measures it).
    pub exports: bool,
}

impl PoolOptions {
    /// `jobs` threads with the defaults: 256 KiB reads, 32 MiB ranges, 8 MiB in memory.
    pub fn new(jobs: usize, spill_dir: &Path) -> PoolOptions {
        PoolOptions {
            jobs: jobs.max(1),
            chunk_size: 256 * 1024,
            range_bytes: range::RANGE_BYTES,
            spill_dir: spill_dir.to_path_buf(),
            spill_bytes: 8 << 20,
            exports: true,
        }
    }
}

/// Threads for a machine: its cores, at most 8 (as the page's pool).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Reads every input through one session, in order, on the calling thread. An error is
/// the sink's (a read error is a note on its file).
pub fn run_serial<S: crate::session::Sink>(
    session: &mut Session<S>,
    inputs: &[Input],
    chunk_size: usize,
) -> io::Result<()> {
    let mut buf = vec![0u8; chunk_size.max(1)];
    for input in inputs {
        read_whole(session, input, &mut buf)?;
    }
    Ok(())
}

fn read_whole<S: crate::session::Sink>(
    session: &mut Session<S>,
    input: &Input,
    buf: &mut [u8],
) -> io::Result<()> {
    session.begin_file(&input.name);
    if let Some(source) = &input.source {
        session.file_size(source.size());
        match source.open() {
            Ok(mut r) => read_into(session, &mut r, buf, None)?,
            Err(e) => session.read_error(&e.to_string()),
        }
        return session.end_file();
    }
    match File::open(&input.path) {
        Ok(mut file) => {
            if let Ok(meta) = file.metadata() {
                session.file_size(meta.len());
            }
            read_into(session, &mut file, buf, None)?;
        }
        Err(e) => session.read_error(&e.to_string()),
    }
    session.end_file()
}

/// Pushes what `file` holds from where it is (through `cut` when a range is read). A
/// read error becomes a note on the file; an error returned is the sink's.
fn read_into<S: crate::session::Sink, R: Read + ?Sized>(
    session: &mut Session<S>,
    file: &mut R,
    buf: &mut [u8],
    mut cut: Option<&mut RangeCutter>,
) -> io::Result<()> {
    loop {
        if cut.as_ref().is_some_and(|c| c.done()) {
            return Ok(());
        }
        match file.read(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => match cut.as_mut() {
                Some(c) => session.push(c.feed(&buf[..n]))?,
                None => session.push(&buf[..n])?,
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                session.read_error(&e.to_string());
                return Ok(());
            }
        }
    }
}

/// Bytes kept in memory up to a limit, then in an unnamed temporary file.
struct Spill {
    mem: Vec<u8>,
    file: Option<io::BufWriter<File>>,
    limit: usize,
    dir: PathBuf,
}

impl Spill {
    fn new(opts: &PoolOptions) -> Spill {
        Spill {
            mem: Vec::new(),
            file: None,
            limit: opts.spill_bytes,
            dir: opts.spill_dir.clone(),
        }
    }

    /// Everything written, from the start.
    fn reader(self) -> io::Result<Box<dyn BufRead>> {
        match self.file {
            None => Ok(Box::new(io::Cursor::new(self.mem))),
            Some(w) => {
                let mut f = w.into_inner().map_err(|e| e.into_error())?;
                f.seek(SeekFrom::Start(0))?;
                Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
            }
        }
    }
}

impl Write for Spill {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.mem.len() + b.len() > self.limit {
            let mut f = io::BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(&self.dir)?);
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        match self.file.as_mut() {
            Some(f) => f.write(b),
            None => {
                self.mem.extend_from_slice(b);
                Ok(b.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

type UnitSink = Option<FileSink<Spill, Spill>>;

#[derive(Clone, Debug)]
enum Unit {
    /// Whole files (consecutive inputs: small files go in batches).
    Whole(std::ops::Range<usize>),
    /// Input, start, end, index of the range, number of ranges.
    Range(usize, u64, u64, usize, usize),
}

/// What a thread hands back for one unit.
struct Done {
    rows: Spill,
    rejected: Spill,
    /// For a range: what belongs to its file as a whole.
    part: Option<PartOfFile>,
}

fn done(sink: UnitSink, opts: &PoolOptions, part: Option<PartOfFile>) -> io::Result<Done> {
    let (rows, rejected) = match sink {
        Some(s) => s.into_inner()?,
        None => (Spill::new(opts), Spill::new(opts)),
    };
    Ok(Done {
        rows,
        rejected,
        part,
    })
}

/// Cuts the inputs into units: big plain files into ranges, the rest whole.
fn plan(inputs: &[Input], opts: &PoolOptions) -> Vec<Unit> {
    let mut units = Vec::new();
    let range_bytes = opts.range_bytes.max(1);
    // Small files are batched up to a few MiB or a few hundred files a unit.
    let batch_bytes = (range_bytes / 8).max(1);
    let mut batch = (0usize, 0u64);
    let close_batch = |units: &mut Vec<Unit>, upto: usize, batch: &mut (usize, u64)| {
        if batch.0 < upto {
            units.push(Unit::Whole(batch.0..upto));
        }
        *batch = (upto, 0);
    };
    for (i, input) in inputs.iter().enumerate() {
        let size = match &input.source {
            Some(s) => s.size(),
            None => std::fs::metadata(&input.path).map_or(0, |m| m.len()),
        };
        let cuts = range::plan(size, opts.jobs, range_bytes);
        let local = input.source.is_none();
        if let Some(cuts) = cuts.filter(|_| local && splittable(&input.path)) {
            close_batch(&mut units, i, &mut batch);
            let n = cuts.len();
            for (k, (start, end)) in cuts.into_iter().enumerate() {
                // The last range reads to the end of the file as it is when read.
                let end = if k + 1 == n { u64::MAX } else { end };
                units.push(Unit::Range(i, start, end, k, n));
            }
            batch = (i + 1, 0);
        } else {
            batch.1 += size;
            if batch.1 >= batch_bytes || i + 1 - batch.0 >= 256 {
                close_batch(&mut units, i + 1, &mut batch);
            }
        }
    }
    close_batch(&mut units, inputs.len(), &mut batch);
    units
}

/// True when the file's first bytes say it is plain text (see [`can_split`]).
fn splittable(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    f.take(SNIFF_BYTES as u64).read_to_end(&mut head).is_ok() && can_split(&head)
}

/// Analyses `inputs` on `opts.jobs` threads, writing `parsed_output.csv` into `rows` and
/// `rejected_lines.txt` into `rejected` (headers, then the rows in input order). The
/// summary, and every byte written, equal those of one session with a [`FileSink`]
/// reading the inputs in order ([`run_serial`]).
pub fn run_parallel<P: Write, R: Write>(
    inputs: &[Input],
    settings: &Settings,
    anon: &Anonymize,
    opts: &PoolOptions,
    rows: &mut P,
    rejected: &mut R,
) -> Result<Summary, String> {
    // Check the settings once, here, rather than in every thread.
    Session::new(settings)?;
    // The headers, written as one session's sink writes them.
    FileSink::new(&mut *rows, &mut *rejected, anon.clone())
        .and_then(FileSink::into_inner)
        .map_err(|e| format!("writing the row exports: {e}"))?;
    let units = plan(inputs, opts);
    let next = AtomicUsize::new(0);
    // Units appended so far; a thread waits before taking a unit too far ahead of them.
    let appended = (Mutex::new(0usize), Condvar::new());
    let window = 2 * opts.jobs;
    let (tx, rx) = mpsc::channel::<(usize, io::Result<Done>)>();
    std::thread::scope(|scope| {
        let mut threads = Vec::new();
        for _ in 0..opts.jobs.min(units.len()).max(1) {
            let tx = tx.clone();
            let (units, next, appended) = (&units, &next, &appended);
            threads.push(scope.spawn(move || {
                let new_sink = || -> UnitSink {
                    opts.exports.then(|| {
                        FileSink::headless(Spill::new(opts), Spill::new(opts), anon.clone())
                    })
                };
                let mut whole = Session::with_sink(settings, new_sink()).expect("checked above");
                let mut part = Session::with_sink(settings, new_sink()).expect("checked above");
                let mut buf = vec![0u8; opts.chunk_size.max(1)];
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(unit) = units.get(k).cloned() else {
                        break;
                    };
                    {
                        let (lock, cv) = appended;
                        let mut done = lock.lock().unwrap();
                        while k >= *done + window {
                            done = cv.wait(done).unwrap();
                        }
                    }
                    let out =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match unit {
                            Unit::Whole(files) => {
                                for input in &inputs[files] {
                                    read_whole(&mut whole, input, &mut buf)?;
                                }
                                let sink = std::mem::replace(whole.sink_mut(), new_sink());
                                done(sink, opts, None)
                            }
                            Unit::Range(i, start, end, _, _) => {
                                let input = &inputs[i];
                                part.begin_part(&input.name);
                                let mut cut = RangeCutter::new(start, end);
                                match File::open(&input.path).and_then(|mut f| {
                                    f.seek(SeekFrom::Start(cut.read_from())).map(|_| f)
                                }) {
                                    Ok(mut f) => {
                                        read_into(&mut part, &mut f, &mut buf, Some(&mut cut))?
                                    }
                                    Err(e) => part.read_error(&e.to_string()),
                                }
                                let mine = part.end_part()?.expect("a part is open");
                                let sink = std::mem::replace(part.sink_mut(), new_sink());
                                done(sink, opts, Some(mine))
                            }
                        }));
                    let failed = out.is_err();
                    let out =
                        out.unwrap_or_else(|_| Err(io::Error::other("an analysis thread failed")));
                    if tx.send((k, out)).is_err() || failed {
                        break;
                    }
                }
                // A unit's error has gone through the channel; these summaries are then
                // not used.
                let mut s = whole.finish().map_or_else(|_| Summary::default(), |r| r.0);
                s.merge(
                    part.finish().map_or_else(|_| Summary::default(), |r| r.0),
                    settings.reject_samples,
                );
                // Its days settled here, on all cores, rather than in the merge below.
                s.normalize();
                s
            }));
        }
        drop(tx);
        let appended_all = append_in_order(
            &units,
            inputs,
            rx,
            (&next, &appended),
            settings,
            rows,
            rejected,
        );
        let mut total = Summary::default();
        for t in threads {
            // A thread whose unit panicked has said so through the channel.
            if let Ok(s) = t.join() {
                total.merge(s, settings.reject_samples);
            }
        }
        let files = appended_all?;
        total.merge(files, settings.reject_samples);
        total.normalize();
        Ok(total)
    })
}

/// The calling thread's part: appends each unit's rows in unit order and puts the parts of
/// split files together. Returns the summaries of the split files.
fn append_in_order<P: Write, R: Write>(
    units: &[Unit],
    inputs: &[Input],
    rx: mpsc::Receiver<(usize, io::Result<Done>)>,
    (taken, appended): (&AtomicUsize, &(Mutex<usize>, Condvar)),
    settings: &Settings,
    rows: &mut P,
    rejected: &mut R,
) -> Result<Summary, String> {
    let mut waiting: BTreeMap<usize, io::Result<Done>> = BTreeMap::new();
    let mut parts: HashMap<usize, Parts> = HashMap::new();
    let mut split_files = Summary::default();
    let mut next = 0usize;
    // Lines of the current split file's earlier ranges (its rejected lines are numbered
    // from the range's start).
    let mut line_offset = 0u64;
    let mut error: Option<String> = None;
    for (k, done) in rx {
        waiting.insert(k, done);
        while let Some(done) = waiting.remove(&next) {
            if error.is_none() {
                let r = done.and_then(|d| {
                    let unit = units[next].clone();
                    io::copy(&mut d.rows.reader()?, rows)?;
                    match (unit, d.part) {
                        (Unit::Range(i, _, _, index, count), Some(part)) => {
                            if index == 0 {
                                line_offset = 0;
                            }
                            renumber(d.rejected.reader()?, line_offset, rejected)?;
                            line_offset += part.lines;
                            let p = parts.entry(i).or_insert_with(|| {
                                Parts::new(&inputs[i].name, count, settings.reject_samples)
                            });
                            p.add(index, part);
                            if p.complete() {
                                let whole = parts.remove(&i).and_then(Parts::finish);
                                split_files
                                    .merge(whole.unwrap_or_default(), settings.reject_samples);
                            }
                        }
                        _ => {
                            io::copy(&mut d.rejected.reader()?, rejected)?;
                        }
                    }
                    Ok(())
                });
                if let Err(e) = r {
                    error = Some(format!("writing the row exports: {e}"));
                    // Nothing more will be appended: no thread takes another unit.
                    taken.store(units.len(), Ordering::Relaxed);
                }
            }
            next += 1;
            let (lock, cv) = appended;
            // Once an error is seen nothing more is appended: let every thread run free.
            *lock.lock().unwrap() = if error.is_some() {
                usize::MAX / 2
            } else {
                next
            };
            cv.notify_all();
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(split_files),
    }
}

/// Copies `rejected_lines.txt` lines (`reason\tfile\tline\ttext`) adding `offset` to the
/// line numbers.
fn renumber(mut from: Box<dyn BufRead>, offset: u64, to: &mut impl Write) -> io::Result<()> {
    if offset == 0 {
        io::copy(&mut from, to)?;
        return Ok(());
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        if from.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        // The file name and the text are printable(): no tab inside them.
        let mut tabs = memchr::memchr_iter(b'\t', &line);
        let (Some(a), Some(b)) = (tabs.nth(1), tabs.next()) else {
            return Err(io::Error::other("a rejected line could not be renumbered"));
        };
        let n: u64 = std::str::from_utf8(&line[a + 1..b])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("a rejected line could not be renumbered"))?;
        to.write_all(&line[..a + 1])?;
        to.write_all(itoa::Buffer::new().format(n + offset).as_bytes())?;
        to.write_all(&line[b..])?;
    }
}
