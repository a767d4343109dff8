//! Built-in sources: a collection, text files (split by byte range across
//! subtasks, line aligned), a socket text stream, and a rate-limited data
//! generator. Collection, file and generator sources are replayable: their
//! position is their checkpointed state.

use crate::operators::files::{BlockingReader, block_on, fs_err, resolve};
use crate::runtime::operator::RuntimeContext;
use crate::runtime::output::{OpResult, OperatorError};
use crate::runtime::source::{RateLimiter, Source, SourceOutput, SourceStatus};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::time::Duration;

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

/// A byte range of a text file read by one subtask: the lines that start
/// in `[pos, end)`; `pos` is always at the start of a line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileSplit {
    /// Split number (the subtask that first read it).
    pub id: u32,
    /// Offset of the next line to read.
    pub pos: u64,
    /// End of the range (exclusive).
    pub end: u64,
}

/// Checkpointed position of a [`TextFileSource`] (bincode): its unfinished splits.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextFileSourceState {
    /// Splits not yet fully read, the current one first.
    pub splits: Vec<FileSplit>,
}

fn encode_state<S: serde::Serialize>(s: &S) -> Option<Vec<u8>> {
    bincode::serde::encode_to_vec(s, crate::element::codec()).ok()
}

fn decode_state<S: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<S, Box<OperatorError>> {
    bincode::serde::decode_from_slice(bytes, crate::element::codec())
        .map(|(s, _)| s)
        .map_err(|e| {
            Box::new(OperatorError::Other(format!(
                "corrupt source position in checkpoint: {e}"
            )))
        })
}

/// The splits of all restored states that `subtask` of `parallelism` owns
/// after a rescale (`split id % parallelism == subtask`), in id order.
fn deal_splits<St, Sp>(
    states: &[Vec<u8>],
    subtask: u32,
    parallelism: u32,
    splits_of: impl Fn(St) -> Vec<Sp>,
    id_of: impl Fn(&Sp) -> u32,
) -> Result<Vec<Sp>, Box<OperatorError>>
where
    St: serde::de::DeserializeOwned,
{
    let mut splits = Vec::new();
    for s in states {
        splits.extend(splits_of(decode_state(s)?));
    }
    splits.retain(|s| id_of(s) % parallelism.max(1) == subtask);
    splits.sort_by_key(|s| id_of(s));
    Ok(splits)
}

/// Reads a text file line by line from a local path, `file://` or
/// `hdfs://` URI (streamed through [`crate::operators::files`]); subtask `i`
/// of `p` reads the lines that start inside byte range `[i*len/p, (i+1)*len/p)`
/// (its split). The position is checkpointed per split, so a restore may
/// change the parallelism: the splits are then dealt out again
/// (`split % parallelism == subtask`).
pub struct TextFileSource {
    path: String,
    reader: Option<BufReader<BlockingReader>>,
    /// Unfinished splits, the one being read first.
    splits: Vec<FileSplit>,
    restored: bool,
    line: String,
}

impl TextFileSource {
    /// A source over `path` (a local path, `file://` or `hdfs://` URI).
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_string(),
            reader: None,
            splits: Vec::new(),
            restored: false,
            line: String::new(),
        }
    }

    fn seek(&mut self, pos: u64) -> OpResult {
        if let Some(r) = self.reader.as_mut() {
            r.seek(SeekFrom::Start(pos))
                .map_err(|e| io_err(format!("cannot seek in '{}'", self.path), e))?;
        }
        Ok(())
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
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        if !self.restored {
            let p = ctx.parallelism.max(1) as u64;
            let i = ctx.subtask as u64;
            let start = len * i / p;
            let mut pos = start;
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
                pos = start - 1 + n as u64;
            }
            self.splits = vec![FileSplit {
                id: ctx.subtask,
                pos,
                end: len * (i + 1) / p,
            }];
        }
        self.reader = Some(reader);
        if let Some(first) = self.splits.first().map(|s| s.pos) {
            self.seek(first)?;
        }
        Ok(())
    }

    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, String>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        for _ in 0..BATCH {
            let Some(split) = self.splits.first_mut() else {
                return Ok(SourceStatus::Finished);
            };
            let n = if split.pos >= split.end {
                0
            } else {
                let Some(reader) = self.reader.as_mut() else {
                    return Ok(SourceStatus::Finished);
                };
                self.line.clear();
                reader
                    .read_line(&mut self.line)
                    .map_err(|e| io_err(format!("cannot read '{}'", self.path), e))?
            };
            if n == 0 {
                // This split is done: on to the next one.
                self.splits.remove(0);
                if let Some(next) = self.splits.first().map(|s| s.pos) {
                    self.seek(next)?;
                }
                continue;
            }
            split.pos += n as u64;
            let line = self.line.trim_end_matches(['\n', '\r']).to_string();
            out.collect(line)?;
        }
        Ok(SourceStatus::MoreAvailable)
    }

    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        encode_state(&TextFileSourceState {
            splits: self.splits.clone(),
        })
    }
    fn restore_state(&mut self, state: &[u8]) -> OpResult {
        let st: TextFileSourceState = decode_state(state)?;
        self.splits = st.splits;
        self.restored = true;
        Ok(())
    }
    fn restore_rescaled(&mut self, states: &[Vec<u8>], subtask: u32, parallelism: u32) -> OpResult {
        self.splits = deal_splits(
            states,
            subtask,
            parallelism,
            |st: TextFileSourceState| st.splits,
            |s| s.id,
        )?;
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

/// The indexes `next, next + stride, next + 2*stride, ...` of a generator.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneratorSplit {
    /// Split number (the subtask that first generated it).
    pub id: u32,
    /// Next index to emit.
    pub next: u64,
    /// Distance between indexes (the parallelism of the first run).
    pub stride: u64,
}

/// Checkpointed position of a [`GeneratorSource`] (bincode).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneratorState {
    /// Splits this subtask generates.
    pub splits: Vec<GeneratorSplit>,
}

/// Generates `count` records (`None` = unbounded) from their index, at up
/// to `rate` records per second over all subtasks (`None` = as fast as
/// possible). Subtask `i` of `p` produces indexes `i, i+p, i+2p, ...` (its
/// split). Positions are checkpointed per split, so a restore may change
/// the parallelism: the splits are then dealt out again
/// (`split % parallelism == subtask`) and every index is still produced
/// exactly once.
pub struct GeneratorSource<T, F> {
    count: Option<u64>,
    limiter: RateLimiter,
    f: F,
    splits: Vec<GeneratorSplit>,
    /// Split to emit from next (round robin over splits, one batch each).
    current: usize,
    restored: bool,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T, F> GeneratorSource<T, F> {
    /// A generator.
    pub fn new(count: Option<u64>, rate: Option<f64>, f: F) -> Self {
        Self {
            count,
            limiter: RateLimiter::new(rate),
            f,
            splits: Vec::new(),
            current: 0,
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
        let p = ctx.parallelism.max(1);
        if !self.restored {
            self.splits = vec![GeneratorSplit {
                id: ctx.subtask,
                next: ctx.subtask as u64,
                stride: p as u64,
            }];
        }
        self.limiter.share(p);
        Ok(())
    }
    fn poll_next(
        &mut self,
        out: &mut SourceOutput<'_, T>,
    ) -> Result<SourceStatus, Box<OperatorError>> {
        let budget = self.limiter.budget(BATCH as u64);
        if budget == 0 {
            return Ok(SourceStatus::NothingAvailable);
        }
        loop {
            if self.splits.is_empty() {
                return Ok(SourceStatus::Finished);
            }
            if self.current >= self.splits.len() {
                self.current = 0;
            }
            let split = &mut self.splits[self.current];
            if self.count.is_some_and(|c| split.next >= c) {
                self.splits.remove(self.current);
                continue;
            }
            for _ in 0..budget {
                if self.count.is_some_and(|c| split.next >= c) {
                    break;
                }
                let v = (self.f)(split.next);
                split.next += split.stride.max(1);
                self.limiter.emitted(1);
                out.collect(v)?;
            }
            self.current += 1;
            return Ok(SourceStatus::MoreAvailable);
        }
    }
    fn snapshot_state(&mut self) -> Option<Vec<u8>> {
        encode_state(&GeneratorState {
            splits: self.splits.clone(),
        })
    }
    fn restore_state(&mut self, state: &[u8]) -> OpResult {
        let st: GeneratorState = decode_state(state)?;
        self.splits = st.splits;
        self.restored = true;
        Ok(())
    }
    fn restore_rescaled(&mut self, states: &[Vec<u8>], subtask: u32, parallelism: u32) -> OpResult {
        self.splits = deal_splits(
            states,
            subtask,
            parallelism,
            |st: GeneratorState| st.splits,
            |s| s.id,
        )?;
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
