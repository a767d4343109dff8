//! The `_metadata` file: what a completed checkpoint or savepoint consists of.
//!
//! Format (version 1): two lines of JSON.
//!
//! ```text
//! {"magic":"flink-rs-checkpoint-metadata","version":1,"length":<body bytes>,"crc32":<IEEE CRC-32 of the body>}
//! {"job_id":"<32 hex>","checkpoint_id":7,"timestamp_ms":..,"is_savepoint":false,
//!  "operators":{"<uid>":{"parallelism":2,"max_parallelism":128,
//!     "subtasks":[{"subtask":0,"handles":[{"location":{"file":"hdfs://..."},"key_group_offsets":[[0,0],[1,812]],"size":1624}]}]}}}
//! ```
//!
//! A handle's `location` is `{"file": "<absolute URI>"}`, `{"relative": "<file name>"}`
//! (resolved against the directory holding `_metadata`; savepoints use only
//! these, which makes them relocatable) or `{"inline": "<base64>"}`.
//! The header's length and checksum detect truncated or modified files.

use crate::error::{CheckpointError, Result};
use base64::Engine as _;
use flink_fs::FsPath;
use flink_types::{JobId, StateHandle, StateLocation};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Identifies a flink-rs metadata file.
pub const METADATA_MAGIC: &str = "flink-rs-checkpoint-metadata";
/// The format version this build writes and reads.
pub const METADATA_VERSION: u32 = 1;

/// A completed checkpoint or savepoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointMetadata {
    /// The job that took it.
    pub job_id: JobId,
    /// Checkpoint id.
    pub checkpoint_id: u64,
    /// Trigger time, ms since the epoch.
    pub timestamp_ms: i64,
    /// Savepoint (true) or checkpoint.
    pub is_savepoint: bool,
    /// Per operator uid.
    pub operators: BTreeMap<String, OperatorState>,
}

/// The state of one operator (by uid) in a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OperatorState {
    /// Parallelism when the checkpoint was taken.
    pub parallelism: u32,
    /// Max parallelism (number of key groups).
    pub max_parallelism: u32,
    /// Per subtask index, the handles it wrote.
    pub subtasks: BTreeMap<u32, Vec<StateHandle>>,
}

impl CheckpointMetadata {
    /// Total bytes of state (files and inline).
    pub fn state_size(&self) -> u64 {
        self.handles().map(|h| h.size).sum()
    }

    /// All handles.
    pub fn handles(&self) -> impl Iterator<Item = &StateHandle> {
        self.operators
            .values()
            .flat_map(|o| o.subtasks.values().flatten())
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    magic: String,
    version: u32,
    length: u64,
    crc32: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    job_id: String,
    checkpoint_id: u64,
    timestamp_ms: i64,
    is_savepoint: bool,
    operators: BTreeMap<String, OperatorJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorJson {
    parallelism: u32,
    max_parallelism: u32,
    subtasks: Vec<SubtaskJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubtaskJson {
    subtask: u32,
    handles: Vec<HandleJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandleJson {
    location: LocationJson,
    key_group_offsets: Vec<(u32, u64)>,
    size: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LocationJson {
    File(String),
    Relative(String),
    Inline(String),
}

/// Serializes `meta`. With `relative_to`, file handles below that directory
/// are written relative to it (savepoints).
pub fn encode(meta: &CheckpointMetadata, relative_to: Option<&FsPath>) -> Result<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let operators = meta
        .operators
        .iter()
        .map(|(uid, op)| {
            let subtasks = op
                .subtasks
                .iter()
                .map(|(i, hs)| SubtaskJson {
                    subtask: *i,
                    handles: hs
                        .iter()
                        .map(|h| HandleJson {
                            location: match &h.location {
                                StateLocation::Inline(b) => LocationJson::Inline(b64.encode(b)),
                                StateLocation::File(uri) => relative_name(uri, relative_to)
                                    .map(LocationJson::Relative)
                                    .unwrap_or_else(|| LocationJson::File(uri.clone())),
                            },
                            key_group_offsets: h.key_group_offsets.clone(),
                            size: h.size,
                        })
                        .collect(),
                })
                .collect();
            (
                uid.clone(),
                OperatorJson {
                    parallelism: op.parallelism,
                    max_parallelism: op.max_parallelism,
                    subtasks,
                },
            )
        })
        .collect();
    let body = serde_json::to_vec(&Body {
        job_id: meta.job_id.to_hex(),
        checkpoint_id: meta.checkpoint_id,
        timestamp_ms: meta.timestamp_ms,
        is_savepoint: meta.is_savepoint,
        operators,
    })
    .map_err(|e| CheckpointError::Serialize(e.to_string()))?;
    let header = serde_json::to_vec(&Header {
        magic: METADATA_MAGIC.into(),
        version: METADATA_VERSION,
        length: body.len() as u64,
        crc32: crc32(&body),
    })
    .map_err(|e| CheckpointError::Serialize(e.to_string()))?;
    let mut out = header;
    out.push(b'\n');
    out.extend_from_slice(&body);
    out.push(b'\n');
    Ok(out)
}

fn relative_name(uri: &str, dir: Option<&FsPath>) -> Option<String> {
    let dir = dir?;
    let p = FsPath::parse(uri).ok()?;
    if !p.starts_with(dir) || &p == dir {
        return None;
    }
    Some(p.path()[dir.path().trim_end_matches('/').len() + 1..].to_string())
}

/// Parses and validates a `_metadata` file read from `path`; relative
/// handles are resolved against `path`'s directory. Never panics: every
/// problem is a [`CheckpointError::CorruptMetadata`] naming the file.
pub fn decode(bytes: &[u8], path: &FsPath) -> Result<CheckpointMetadata> {
    let corrupt = |reason: String| CheckpointError::CorruptMetadata {
        path: path.to_string(),
        reason,
    };
    if bytes.is_empty() {
        return Err(corrupt("the file is empty".into()));
    }
    let nl = bytes.iter().position(|&b| b == b'\n').ok_or_else(|| {
        corrupt("no header line (truncated, or not a flink-rs _metadata file)".into())
    })?;
    let header: Header = serde_json::from_slice(&bytes[..nl]).map_err(|e| {
        corrupt(format!(
            "unreadable header ({e}); not a flink-rs _metadata file?"
        ))
    })?;
    if header.magic != METADATA_MAGIC {
        return Err(corrupt(format!(
            "magic is '{}', expected '{METADATA_MAGIC}'",
            header.magic
        )));
    }
    if header.version != METADATA_VERSION {
        return Err(corrupt(format!(
            "format version {} is not supported (this flink-rs reads version {METADATA_VERSION})",
            header.version
        )));
    }
    let rest = &bytes[nl + 1..];
    let body = rest.strip_suffix(b"\n").unwrap_or(rest);
    if body.len() as u64 != header.length {
        return Err(corrupt(format!(
            "body is {} bytes, the header says {} (truncated or modified)",
            body.len(),
            header.length
        )));
    }
    let crc = crc32(body);
    if crc != header.crc32 {
        return Err(corrupt(format!(
            "checksum mismatch (crc32 {crc:08x}, header says {:08x}): the file was modified or damaged",
            header.crc32
        )));
    }
    let body: Body =
        serde_json::from_slice(body).map_err(|e| corrupt(format!("unreadable body: {e}")))?;
    let job_id: JobId = body
        .job_id
        .parse()
        .map_err(|e| corrupt(format!("bad job id: {e}")))?;
    let dir = path.parent().unwrap_or_else(|| path.clone());
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut operators = BTreeMap::new();
    for (uid, op) in body.operators {
        if op.parallelism == 0 || op.max_parallelism == 0 || op.parallelism > op.max_parallelism {
            return Err(corrupt(format!(
                "operator '{uid}': parallelism {} / max parallelism {} is impossible",
                op.parallelism, op.max_parallelism
            )));
        }
        let mut subtasks = BTreeMap::new();
        for st in op.subtasks {
            if st.subtask >= op.parallelism {
                return Err(corrupt(format!(
                    "operator '{uid}': subtask {} is not below parallelism {}",
                    st.subtask, op.parallelism
                )));
            }
            let mut handles = Vec::with_capacity(st.handles.len());
            for h in st.handles {
                if let Some((kg, _)) = h
                    .key_group_offsets
                    .iter()
                    .find(|(kg, _)| *kg >= op.max_parallelism)
                {
                    return Err(corrupt(format!(
                        "operator '{uid}': key group {kg} is not below max parallelism {}",
                        op.max_parallelism
                    )));
                }
                let location = match h.location {
                    LocationJson::Inline(s) => {
                        StateLocation::Inline(b64.decode(s.as_bytes()).map_err(|e| {
                            corrupt(format!("operator '{uid}': bad inline state: {e}"))
                        })?)
                    }
                    LocationJson::File(uri) => {
                        FsPath::parse(&uri).map_err(|e| {
                            corrupt(format!("operator '{uid}': bad state file URI: {e}"))
                        })?;
                        StateLocation::File(uri)
                    }
                    LocationJson::Relative(name) => {
                        if name.is_empty()
                            || name.starts_with('/')
                            || name.split('/').any(|c| c == ".." || c.is_empty())
                            || name.contains(':')
                        {
                            return Err(corrupt(format!(
                                "operator '{uid}': relative state path '{name}' must name a file below the _metadata directory"
                            )));
                        }
                        let p = dir.join(&name).map_err(|e| {
                            corrupt(format!("operator '{uid}': bad relative state path: {e}"))
                        })?;
                        StateLocation::File(p.to_string())
                    }
                };
                handles.push(StateHandle {
                    location,
                    key_group_offsets: h.key_group_offsets,
                    size: h.size,
                });
            }
            subtasks.insert(st.subtask, handles);
        }
        operators.insert(
            uid,
            OperatorState {
                parallelism: op.parallelism,
                max_parallelism: op.max_parallelism,
                subtasks,
            },
        );
    }
    Ok(CheckpointMetadata {
        job_id,
        checkpoint_id: body.checkpoint_id,
        timestamp_ms: body.timestamp_ms,
        is_savepoint: body.is_savepoint,
        operators,
    })
}

/// CRC-32 (IEEE 802.3, as in zlib).
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut crc = !0u32;
    for &b in data {
        crc = table[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(dir: &str) -> CheckpointMetadata {
        let mut subtasks = BTreeMap::new();
        subtasks.insert(
            0,
            vec![
                StateHandle {
                    location: StateLocation::File(format!("{dir}/a-0")),
                    key_group_offsets: vec![(0, 0), (1, 10)],
                    size: 20,
                },
                StateHandle {
                    location: StateLocation::Inline(vec![1, 2, 3]),
                    key_group_offsets: vec![],
                    size: 3,
                },
            ],
        );
        subtasks.insert(
            1,
            vec![StateHandle {
                location: StateLocation::File("hdfs://nn:9000/elsewhere/b".into()),
                key_group_offsets: vec![(2, 0), (3, 5)],
                size: 9,
            }],
        );
        CheckpointMetadata {
            job_id: JobId::from_parts(7, 8),
            checkpoint_id: 12,
            timestamp_ms: 1_700_000_000_000,
            is_savepoint: false,
            operators: BTreeMap::from([(
                "sum".to_string(),
                OperatorState {
                    parallelism: 2,
                    max_parallelism: 4,
                    subtasks,
                },
            )]),
        }
    }

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trip_with_absolute_paths() {
        let m = sample("file:///ck/job/chk-12");
        let bytes = encode(&m, None).unwrap();
        let p = FsPath::parse("file:///ck/job/chk-12/_metadata").unwrap();
        assert_eq!(decode(&bytes, &p).unwrap(), m);
        assert_eq!(m.state_size(), 32);
    }

    #[test]
    fn relative_paths_follow_the_metadata_file() {
        let m = sample("file:///sp/savepoint-070000-abc");
        let dir = FsPath::parse("file:///sp/savepoint-070000-abc").unwrap();
        let bytes = encode(&m, Some(&dir)).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(r#"{"relative":"a-0"}"#), "{text}");
        assert!(
            text.contains(r#"{"file":"hdfs://nn:9000/elsewhere/b"}"#),
            "{text}"
        );
        // Moved elsewhere: the file handle follows the metadata.
        let moved = FsPath::parse("hdfs://nn2:8020/moved/sp1/_metadata").unwrap();
        let back = decode(&bytes, &moved).unwrap();
        assert_eq!(
            back.operators["sum"].subtasks[&0][0].location,
            StateLocation::File("hdfs://nn2:8020/moved/sp1/a-0".into())
        );
    }

    #[test]
    fn corrupt_files_give_clear_errors_and_never_panic() {
        let m = sample("file:///ck/job/chk-12");
        let good = encode(&m, None).unwrap();
        let p = FsPath::parse("file:///ck/job/chk-12/_metadata").unwrap();
        let err = |b: &[u8]| decode(b, &p).unwrap_err().to_string();
        assert!(decode(&good, &p).is_ok());
        assert!(err(b"").contains("empty"));
        assert!(err(&good[..good.len() / 2]).contains("truncated"));
        let mut flipped = good.clone();
        let n = flipped.len() - 5;
        flipped[n] ^= 0x01;
        assert!(err(&flipped).contains("checksum"), "{}", err(&flipped));
        assert!(err(b"garbage\n{}").contains("not a flink-rs"));
        let newer =
            String::from_utf8(good.clone())
                .unwrap()
                .replacen("\"version\":1", "\"version\":9", 1);
        assert!(err(newer.as_bytes()).contains("version 9"));
        // Arbitrary prefixes and single-byte damage never panic.
        for cut in 0..good.len() {
            let _ = decode(&good[..cut], &p);
            let mut d = good.clone();
            d[cut] = d[cut].wrapping_add(1);
            let _ = decode(&d, &p);
        }
        for e in [err(b"x"), err(&flipped)] {
            assert!(e.contains("/ck/job/chk-12/_metadata"), "{e}");
        }
    }

    #[test]
    fn semantic_checks_reject_impossible_state() {
        let mut m = sample("file:///ck/j/chk-1");
        m.operators.get_mut("sum").unwrap().parallelism = 1; // subtask 1 >= 1
        let p = FsPath::parse("file:///ck/j/chk-1/_metadata").unwrap();
        let e = decode(&encode(&m, None).unwrap(), &p).unwrap_err();
        assert!(e.to_string().contains("subtask 1"), "{e}");
    }
}
