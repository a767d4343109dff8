//! Built-in sources: a collection, text files (split by byte range across
//! subtasks, line aligned), a socket text stream, and a rate-limited data
//! generator. Collection, file and generator sources are replayable: their
//! position is their checkpointed state.

use crate::operators::files::{BlockingReader, block_on, fs_err, resolve};
use crate::runtime::operator::RuntimeContext;
use crate::runtime::output::{OpResult, OperatorError};
use crate::runtime::source::{Source, SourceOutput, SourceStatus};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

const BATCH: usize = 1024;

fn io_err(context: String, source: std::io::Error) -> Box<OperatorError> {
    Box::new(OperatorError::Io { context, source })
}

fn decode_offset(state: &[u8]) -> Result<u64, Box<OperatorError>> {
    let arr: [u8; 8] = state.try_into().map_err(|_| {
        Box::new(OperatorError::Other(
            "corrupt source offset in checkpoint".into(),
        ))
    })?;
    Ok(u64::from_le_bytes(arr))
}

/// Emits the elements of a vector (parallelism 1).
pub struct CollectionSource<T> {
    items: std::sync::Arc<Vec<T>>,
    next: usize,
}

impl<T> CollectionSource<T> {
    /// A source over `items`.
    pub fn new(items: std::sync::Arc<Vec<T>>) -> Self {
        Self { items, next: 0 }
    }
}

impl<T: Clone + Send + Sync> Source<T> for CollectionSource<T> {
    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, T>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        let end = (self.next + BATCH).min(self.items.len());
        for item in &self.items[self.next..end] {
            out.collect(item.clone())?;
        }
        self.next = end;
        Ok(if self.next >= self.items.len() {
            SourceStatus::Finished
        } else {
            SourceStatus::MoreAvailable
        })
    }
    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        Some((self.next as u64).to_le_bytes().to_vec())
    }
    fn restore_state(&mut self, state: &[u8]) -> OpResult {
        self.next = decode_offset(state)? as usize;
        Ok(())
    }
}

/// Reads a text file line by line from a local path, `file://` or
/// `hdfs://` URI (streamed through [`crate::operators::files`]); subtask `i`
/// of `p` reads the lines that start inside byte range `[i*len/p, (i+1)*len/p)`.
pub struct TextFileSource {
    path: String,
    reader: Option<BufReader<BlockingReader>>,
    /// Offset of the next line to read.
    pos: u64,
    end: u64,
    restored: bool,
    line: String,
}

impl TextFileSource {
    /// A source over `path` (a local path, `file://` or `hdfs://` URI).
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_string(),
            reader: None,
            pos: 0,
            end: 0,
            restored: false,
            line: String::new(),
        }
    }
}

impl Source<String> for TextFileSource {
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        let (fs, path) = resolve(&self.path, &ctx.config)
            .map_err(|e| fs_err(format!("input file '{}'", self.path), e))?;
        let len = block_on(fs.get_file_status(&path))
            .map_err(|e| fs_err(format!("cannot open input file '{}'", self.path), e))?
            .len;
        let file = BlockingReader::open(fs.as_ref(), &path)
            .map_err(|e| fs_err(format!("cannot open input file '{}'", self.path), e))?;
        let p = ctx.parallelism.max(1) as u64;
        let i = ctx.subtask as u64;
        let start = len * i / p;
        self.end = len * (i + 1) / p;
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        if !self.restored {
            self.pos = start;
            if start > 0 {
                // A line belongs to the subtask whose range holds its first byte:
                // skip the line that started before our range.
                reader
                    .seek(SeekFrom::Start(start - 1))
                    .map_err(|e| io_err(format!("cannot seek in '{}'", self.path), e))?;
                let mut skipped = Vec::new();
                let n = reader
                    .read_until(b'\n', &mut skipped)
                    .map_err(|e| io_err(format!("cannot read '{}'", self.path), e))?;
                self.pos = start - 1 + n as u64;
            }
        }
        reader
            .seek(SeekFrom::Start(self.pos))
            .map_err(|e| io_err(format!("cannot seek in '{}'", self.path), e))?;
        self.reader = Some(reader);
        Ok(())
    }

    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, String>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(SourceStatus::Finished);
        };
        for _ in 0..BATCH {
            if self.pos >= self.end {
                return Ok(SourceStatus::Finished);
            }
            self.line.clear();
            let n = reader
                .read_line(&mut self.line)
                .map_err(|e| io_err(format!("cannot read '{}'", self.path), e))?;
            if n == 0 {
                return Ok(SourceStatus::Finished);
            }
            self.pos += n as u64;
            let line = self.line.trim_end_matches(['\n', '\r']).to_string();
            out.collect(line)?;
        }
        Ok(SourceStatus::MoreAvailable)
    }

    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        Some(self.pos.to_le_bytes().to_vec())
    }
    fn restore_state(&mut self, state: &[u8]) -> OpResult {
        self.pos = decode_offset(state)?;
        self.restored = true;
        Ok(())
    }
}

/// Reads lines from a TCP socket (parallelism 1), like Flink's `socketTextStream`.
pub struct SocketTextSource {
    address: String,
    reader: Option<BufReader<std::net::TcpStream>>,
    buf: Vec<u8>,
}

impl SocketTextSource {
    /// A source reading from `host:port`.
    pub fn new(host: &str, port: u16) -> Self {
        Self {
            address: format!("{host}:{port}"),
            reader: None,
            buf: Vec::new(),
        }
    }
}

impl Source<String> for SocketTextSource {
    fn open(&mut self, _ctx: &RuntimeContext) -> OpResult {
        let stream = std::net::TcpStream::connect(&self.address).map_err(|e| {
            io_err(
                format!("cannot connect to socket source {}", self.address),
                e,
            )
        })?;
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .map_err(|e| io_err("socket setup".into(), e))?;
        self.reader = Some(BufReader::new(stream));
        Ok(())
    }
    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, String>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(SourceStatus::Finished);
        };
        for _ in 0..BATCH {
            match reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    if !self.buf.is_empty() {
                        let line = String::from_utf8_lossy(&self.buf).trim_end().to_string();
                        self.buf.clear();
                        out.collect(line)?;
                    }
                    return Ok(SourceStatus::Finished);
                }
                Ok(_) => {
                    if self.buf.last() == Some(&b'\n') {
                        let line = String::from_utf8_lossy(&self.buf)
                            .trim_end_matches(['\n', '\r'])
                            .to_string();
                        self.buf.clear();
                        out.collect(line)?;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(SourceStatus::NothingAvailable);
                }
                Err(e) => return Err(io_err(format!("socket source {}", self.address), e)),
            }
        }
        Ok(SourceStatus::MoreAvailable)
    }
}

/// Generates `count` records (`None` = unbounded) from their index, at up
/// to `rate` records per second over all subtasks (`None` = as fast as
/// possible). Subtask `i` of `p` produces indexes `i, i+p, i+2p, ...`.
pub struct GeneratorSource<T, F> {
    count: Option<u64>,
    rate: Option<f64>,
    f: F,
    next: u64,
    stride: u64,
    emitted: u64,
    started: Option<Instant>,
    restored: bool,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T, F> GeneratorSource<T, F> {
    /// A generator.
    pub fn new(count: Option<u64>, rate: Option<f64>, f: F) -> Self {
        Self {
            count,
            rate,
            f,
            next: 0,
            stride: 1,
            emitted: 0,
            started: None,
            restored: false,
            _t: std::marker::PhantomData,
        }
    }
}

impl<T, F> Source<T> for GeneratorSource<T, F>
where
    T: Send,
    F: FnMut(u64) -> T + Send,
{
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        self.stride = ctx.parallelism.max(1) as u64;
        if !self.restored {
            self.next = ctx.subtask as u64;
        }
        if let Some(r) = self.rate {
            self.rate = Some(r / self.stride as f64);
        }
        Ok(())
    }
    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, T>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        let mut budget = BATCH as u64;
        if let Some(rate) = self.rate {
            let started = *self.started.get_or_insert_with(Instant::now);
            let allowed = (started.elapsed().as_secs_f64() * rate) as u64 + 1;
            budget = budget.min(allowed.saturating_sub(self.emitted));
            if budget == 0 {
                return Ok(SourceStatus::NothingAvailable);
            }
        }
        for _ in 0..budget {
            if self.count.is_some_and(|c| self.next >= c) {
                return Ok(SourceStatus::Finished);
            }
            let v = (self.f)(self.next);
            self.next += self.stride;
            self.emitted += 1;
            out.collect(v)?;
        }
        Ok(SourceStatus::MoreAvailable)
    }
    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        Some(self.next.to_le_bytes().to_vec())
    }
    fn restore_state(&mut self, state: &[u8]) -> OpResult {
        self.next = decode_offset(state)?;
        self.restored = true;
        Ok(())
    }
}

/// Reads a whole (small) local file into memory.
pub fn read_small_file(path: &str) -> std::io::Result<String> {
    let mut s = String::new();
    std::fs::File::open(path)?.read_to_string(&mut s)?;
    Ok(s)
}
