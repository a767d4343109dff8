//! `example:wordcount`: counts words in a text.
//!
//! Reads `--input <path>` (a local path, `file://` URI, or a directory of
//! files read as one input), or a bundled text when absent. Splits lines on
//! every character that is not a letter or digit, lowercases, and writes one
//! line `<word> <count>` per distinct word with its final count to
//! `--output <dir>` (part files), or prints `(word, count)` when absent.

use flink_streaming::operators::keyed::{Key, restore_keyed_map, snapshot_keyed_map, stable_hash};
use flink_streaming::runtime::snapshot::OperatorSnapshot;
use flink_streaming::{
    Collector, OpResult, OperatorError, Output, ProgramError, RuntimeContext,
    StreamExecutionEnvironment, StreamOperator,
};
use rustc_hash::FxHashMap;

/// The text used when no `--input` is given.
pub const BUNDLED_TEXT: &str = include_str!("data/hamlet.txt");

/// Splits a line into lowercase words (maximal runs of letters and digits).
pub fn tokenize(line: &str, mut emit: impl FnMut(String)) {
    for w in line.split(|c: char| !c.is_alphanumeric()) {
        if !w.is_empty() {
            emit(w.to_lowercase());
        }
    }
}

/// Counts per key and emits each key's final count when the input ends.
pub struct FinalCount<K> {
    counts: FxHashMap<K, u64>,
    uid: String,
    max_parallelism: u32,
}

impl<K> FinalCount<K> {
    /// A counter for the subtask in `ctx`.
    pub fn new(ctx: &RuntimeContext) -> Self {
        Self {
            counts: FxHashMap::default(),
            uid: ctx.operator_uid.clone(),
            max_parallelism: ctx.max_parallelism,
        }
    }
}

impl<K: Key> StreamOperator<(K, u64), (K, u64)> for FinalCount<K> {
    fn open(&mut self, ctx: &RuntimeContext) -> OpResult {
        if let Some(restore) = &ctx.restore {
            for h in restore.operator_state.get(&self.uid).into_iter().flatten() {
                if let flink_types::StateLocation::Inline(b) = &h.location {
                    restore_keyed_map(&mut self.counts, b)?;
                }
            }
            let (range, mp) = (ctx.key_group_range(), self.max_parallelism);
            self.counts
                .retain(|k, _| range.contains(flink_types::key_group_for_hash(stable_hash(k), mp)));
        }
        Ok(())
    }
    #[inline]
    fn process(
        &mut self,
        (k, n): (K, u64),
        _ts: Option<i64>,
        _out: &mut dyn Output<(K, u64)>,
    ) -> OpResult {
        *self.counts.entry(k).or_insert(0) += n;
        Ok(())
    }
    fn snapshot(
        &mut self,
        _b: &flink_streaming::element::CheckpointBarrier,
    ) -> Result<Option<OperatorSnapshot>, Box<OperatorError>> {
        snapshot_keyed_map(&self.uid, &self.counts, self.max_parallelism).map(Some)
    }
    fn end_input(&mut self, out: &mut dyn Output<(K, u64)>) -> OpResult {
        for (k, n) in self.counts.drain() {
            out.record((k, n), None)?;
        }
        Ok(())
    }
}

/// The program.
pub fn wordcount(env: &StreamExecutionEnvironment) -> Result<(), ProgramError> {
    env.set_job_name("WordCount");
    let text = match env.arg("input") {
        Some(path) => {
            let local = path.strip_prefix("file://").unwrap_or(&path);
            if !path.contains("://") || path.starts_with("file://") {
                std::fs::metadata(local)
                    .map_err(|e| format!("input file '{path}' cannot be read: {e}"))?;
            }
            env.read_text_file(&path)
        }
        None => env.from_collection(BUNDLED_TEXT.lines().map(str::to_string).collect()),
    };
    let counts = text
        .flat_map(|line: String, out: &mut Collector<'_, (String, u64)>| {
            tokenize(&line, |w| out.collect((w, 1)))
        })
        .name("Tokenizer")
        .key_by(|(w, _): &(String, u64)| w.clone())
        .transform("Word Count", FinalCount::new);
    match env.arg("output") {
        Some(dir) => {
            counts
                .map(|(w, n): (String, u64)| format!("{w} {n}"))
                .name("Format")
                .write_as_text(&dir);
        }
        None => {
            counts.print();
        }
    }
    Ok(())
}
