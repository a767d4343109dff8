//! Built-in sinks: print, text files, discard (blackhole), and a collecting
//! sink for tests and local runs.
//!
//! The text file sink writes each subtask's lines to an in-progress file
//! `.part-<subtask>-<n>.inprogress` in the output directory and renames it
//! to `part-<subtask>-<n>` when the input ends (the commit step that the
//! checkpointing issue turns into a two-phase commit on checkpoints).

use crate::runtime::operator::{RuntimeContext, StreamOperator};
use crate::runtime::output::{OpResult, OperatorError, Output};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt::{Debug, Display};
use std::io::Write;
use std::sync::{Arc, OnceLock};

fn io_err(context: String, source: std::io::Error) -> Box<OperatorError> {
    Box::new(OperatorError::Io { context, source })
}

/// Prints records to stdout with `Debug`, prefixed `<subtask+1>> ` when the
/// sink runs with parallelism > 1 (as Flink's `print()`).
pub struct PrintSink {
    prefix: String,
}

impl PrintSink {
    /// A print sink for the subtask in `ctx`.
    pub fn new(ctx: &RuntimeContext) -> Self {
        Self {
            prefix: if ctx.parallelism > 1 {
                format!("{}> ", ctx.subtask + 1)
            } else {
                String::new()
            },
        }
    }
}

impl<T: Debug + Send> StreamOperator<T, ()> for PrintSink {
    fn process(&mut self, value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        let mut stdout = std::io::stdout().lock();
        // stdout closed (e.g. `| head`) is not a job failure.
        let _ = writeln!(stdout, "{}{:?}", self.prefix, value);
        Ok(())
    }
}

/// Drops every record (Nexmark's blackhole).
pub struct DiscardSink;

impl<T: Send> StreamOperator<T, ()> for DiscardSink {
    #[inline]
    fn process(&mut self, _value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        Ok(())
    }
}

/// Writes records with `Display`, one per line, into part files under a directory.
pub struct TextFileSink {
    dir: std::path::PathBuf,
    subtask: u32,
    part: u32,
    writer: Option<std::io::BufWriter<std::fs::File>>,
}

impl TextFileSink {
    /// A sink writing under `dir` (a local path or `file://` URI).
    pub fn new(dir: &str, ctx: &RuntimeContext) -> Self {
        Self {
            dir: std::path::PathBuf::from(dir.strip_prefix("file://").unwrap_or(dir)),
            subtask: ctx.subtask,
            part: 0,
            writer: None,
        }
    }
    fn in_progress(&self) -> std::path::PathBuf {
        self.dir
            .join(format!(".part-{}-{}.inprogress", self.subtask, self.part))
    }
    fn committed(&self) -> std::path::PathBuf {
        self.dir
            .join(format!("part-{}-{}", self.subtask, self.part))
    }
}

impl<T: Display + Send> StreamOperator<T, ()> for TextFileSink {
    fn open(&mut self, _ctx: &RuntimeContext) -> OpResult {
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            io_err(
                format!("cannot create output directory '{}'", self.dir.display()),
                e,
            )
        })?;
        let path = self.in_progress();
        let file = std::fs::File::create(&path)
            .map_err(|e| io_err(format!("cannot create '{}'", path.display()), e))?;
        self.writer = Some(std::io::BufWriter::with_capacity(256 * 1024, file));
        Ok(())
    }
    fn process(&mut self, value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        if let Some(w) = self.writer.as_mut() {
            writeln!(w, "{value}")
                .map_err(|e| io_err(format!("cannot write to '{}'", self.dir.display()), e))?;
        }
        Ok(())
    }
    fn end_input(&mut self, _out: &mut dyn Output<()>) -> OpResult {
        if let Some(mut w) = self.writer.take() {
            w.flush()
                .map_err(|e| io_err(format!("cannot write to '{}'", self.dir.display()), e))?;
            let file = w.into_inner().map_err(|e| {
                io_err(
                    format!("cannot write to '{}'", self.dir.display()),
                    e.into_error(),
                )
            })?;
            file.sync_all()
                .map_err(|e| io_err(format!("cannot sync '{}'", self.dir.display()), e))?;
            let (from, to) = (self.in_progress(), self.committed());
            std::fs::rename(&from, &to)
                .map_err(|e| io_err(format!("cannot commit '{}'", to.display()), e))?;
        }
        Ok(())
    }
}

type Collected = Mutex<HashMap<String, Vec<serde_json::Value>>>;

fn collected() -> &'static Collected {
    static C: OnceLock<Collected> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// Collects records (as JSON values) into a process-wide named buffer, for
/// tests and local runs. Read them with [`take_collected`].
pub struct CollectSink {
    name: Arc<str>,
    buffer: Vec<serde_json::Value>,
}

impl CollectSink {
    /// A sink collecting into buffer `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            buffer: Vec::new(),
        }
    }
}

impl<T: serde::Serialize + Send> StreamOperator<T, ()> for CollectSink {
    fn process(&mut self, value: T, _ts: Option<i64>, _out: &mut dyn Output<()>) -> OpResult {
        let v = serde_json::to_value(&value)
            .map_err(|e| Box::new(OperatorError::Other(e.to_string())))?;
        self.buffer.push(v);
        if self.buffer.len() >= 4096 {
            collected()
                .lock()
                .entry(self.name.to_string())
                .or_default()
                .append(&mut self.buffer);
        }
        Ok(())
    }
    fn end_input(&mut self, _out: &mut dyn Output<()>) -> OpResult {
        collected()
            .lock()
            .entry(self.name.to_string())
            .or_default()
            .append(&mut self.buffer);
        Ok(())
    }
}

/// Takes everything collected under `name` so far, decoded as `T`.
pub fn take_collected<T: serde::de::DeserializeOwned>(
    name: &str,
) -> Result<Vec<T>, serde_json::Error> {
    let values = collected().lock().remove(name).unwrap_or_default();
    values.into_iter().map(serde_json::from_value).collect()
}
