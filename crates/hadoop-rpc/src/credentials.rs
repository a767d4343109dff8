//! Hadoop credentials (`Credentials` / token storage files, magic `HDTS`) in both the WRITABLE
//! (format byte 0, Hadoop `WritableUtils` vints) and PROTOBUF (format byte 1, a delimited
//! `CredentialsProto`) forms, and `HADOOP_TOKEN_FILE_LOCATION`.

use std::path::Path;

use hadoop_proto::common::{CredentialsKvProto, CredentialsProto, TokenProto};
use prost::Message;

use crate::error::{Result, RpcError};

const MAGIC: &[u8; 4] = b"HDTS";
/// Largest credentials file/blob accepted.
const MAX_CREDENTIALS_BYTES: usize = 64 * 1024 * 1024;

/// Kind of the AMRMToken.
pub const AMRM_TOKEN_KIND: &str = "YARN_AM_RM_TOKEN";
/// Kind of an NMToken.
pub const NM_TOKEN_KIND: &str = "NMToken";
/// Kind of a ContainerToken.
pub const CONTAINER_TOKEN_KIND: &str = "ContainerToken";
/// Kind of an HDFS delegation token.
pub const HDFS_DELEGATION_TOKEN_KIND: &str = "HDFS_DELEGATION_TOKEN";

/// A Hadoop security token. The identifier and password are opaque bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// Serialized token identifier.
    pub identifier: Vec<u8>,
    /// Token password (secret).
    pub password: Vec<u8>,
    /// Token kind, e.g. `YARN_AM_RM_TOKEN`.
    pub kind: String,
    /// Service the token is for (often `ip:port`, may be empty).
    pub service: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("kind", &self.kind)
            .field("service", &self.service)
            .field("identifier_len", &self.identifier.len())
            .finish_non_exhaustive()
    }
}

impl From<TokenProto> for Token {
    fn from(p: TokenProto) -> Self {
        Token {
            identifier: p.identifier,
            password: p.password,
            kind: p.kind,
            service: p.service,
        }
    }
}

impl From<&Token> for TokenProto {
    fn from(t: &Token) -> Self {
        TokenProto {
            identifier: t.identifier.clone(),
            password: t.password.clone(),
            kind: t.kind.clone(),
            service: t.service.clone(),
        }
    }
}

/// Serialization format of a credentials file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialsFormat {
    /// Format byte 0 (Hadoop's default).
    Writable,
    /// Format byte 1.
    Protobuf,
}

/// A set of tokens and secret keys, each under an alias; order is preserved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    tokens: Vec<(String, Token)>,
    secrets: Vec<(String, Vec<u8>)>,
}

impl Credentials {
    /// Empty credentials.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a token under `alias`.
    pub fn add_token(&mut self, alias: impl Into<String>, token: Token) {
        let alias = alias.into();
        match self.tokens.iter_mut().find(|(a, _)| *a == alias) {
            Some(slot) => slot.1 = token,
            None => self.tokens.push((alias, token)),
        }
    }

    /// Adds or replaces a secret key.
    pub fn add_secret(&mut self, alias: impl Into<String>, secret: Vec<u8>) {
        let alias = alias.into();
        match self.secrets.iter_mut().find(|(a, _)| *a == alias) {
            Some(slot) => slot.1 = secret,
            None => self.secrets.push((alias, secret)),
        }
    }

    /// Removes every token of `kind` (e.g. drop the AMRMToken before passing tokens on).
    pub fn remove_tokens_of_kind(&mut self, kind: &str) {
        self.tokens.retain(|(_, t)| t.kind != kind);
    }

    /// All tokens with their aliases.
    pub fn tokens(&self) -> impl Iterator<Item = (&str, &Token)> {
        self.tokens.iter().map(|(a, t)| (a.as_str(), t))
    }

    /// All secrets with their aliases.
    pub fn secrets(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.secrets.iter().map(|(a, s)| (a.as_str(), s.as_slice()))
    }

    /// Token by alias.
    pub fn token(&self, alias: &str) -> Option<&Token> {
        self.tokens.iter().find(|(a, _)| a == alias).map(|(_, t)| t)
    }

    /// First token of the given kind.
    pub fn token_of_kind(&self, kind: &str) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|(_, t)| t.kind == kind)
            .map(|(_, t)| t)
    }

    /// Secret by alias.
    pub fn secret(&self, alias: &str) -> Option<&[u8]> {
        self.secrets
            .iter()
            .find(|(a, _)| a == alias)
            .map(|(_, s)| s.as_slice())
    }

    /// Reads the file named by `HADOOP_TOKEN_FILE_LOCATION`; `Ok(None)` if it is not set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var_os("HADOOP_TOKEN_FILE_LOCATION") {
            Some(p) => Self::read_file(Path::new(&p)).map(Some),
            None => Ok(None),
        }
    }

    /// Reads a credentials file (either format).
    pub fn read_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| RpcError::Io {
            context: format!("reading credentials file {}", path.display()),
            source: e,
        })?;
        Self::decode(&bytes).map_err(|e| match e {
            RpcError::Credentials(m) => RpcError::Credentials(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Writes a credentials file.
    pub fn write_file(&self, path: &Path, format: CredentialsFormat) -> Result<()> {
        std::fs::write(path, self.encode(format)).map_err(|e| RpcError::Io {
            context: format!("writing credentials file {}", path.display()),
            source: e,
        })
    }

    /// Parses token storage bytes (`HDTS` + format byte + body).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_CREDENTIALS_BYTES {
            return Err(bad(format!(
                "{} bytes is larger than the {MAX_CREDENTIALS_BYTES} byte limit",
                bytes.len()
            )));
        }
        if bytes.len() < 5 || &bytes[..4] != MAGIC {
            return Err(bad(
                "not a Hadoop token storage file: missing the HDTS magic",
            ));
        }
        let body = &bytes[5..];
        match bytes[4] {
            0 => decode_writable(body),
            1 => decode_protobuf(body),
            v => Err(bad(format!(
                "unknown token storage format {v} (expected 0 = WRITABLE or 1 = PROTOBUF)"
            ))),
        }
    }

    /// Serializes to token storage bytes.
    pub fn encode(&self, format: CredentialsFormat) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(MAGIC);
        match format {
            CredentialsFormat::Writable => {
                out.push(0);
                write_vlong(&mut out, self.tokens.len() as i64);
                for (alias, t) in &self.tokens {
                    write_text(&mut out, alias);
                    write_bytes(&mut out, &t.identifier);
                    write_bytes(&mut out, &t.password);
                    write_text(&mut out, &t.kind);
                    write_text(&mut out, &t.service);
                }
                write_vlong(&mut out, self.secrets.len() as i64);
                for (alias, s) in &self.secrets {
                    write_text(&mut out, alias);
                    write_bytes(&mut out, s);
                }
            }
            CredentialsFormat::Protobuf => {
                out.push(1);
                let proto = CredentialsProto {
                    tokens: self
                        .tokens
                        .iter()
                        .map(|(a, t)| CredentialsKvProto {
                            alias: a.clone(),
                            token: Some(t.into()),
                            secret: None,
                        })
                        .collect(),
                    secrets: self
                        .secrets
                        .iter()
                        .map(|(a, s)| CredentialsKvProto {
                            alias: a.clone(),
                            token: None,
                            secret: Some(s.clone()),
                        })
                        .collect(),
                };
                // Encoding into a Vec cannot fail.
                out.extend_from_slice(&proto.encode_length_delimited_to_vec());
            }
        }
        out
    }
}

fn bad(m: impl Into<String>) -> RpcError {
    RpcError::Credentials(m.into())
}

fn decode_protobuf(body: &[u8]) -> Result<Credentials> {
    let proto = CredentialsProto::decode_length_delimited(body)
        .map_err(|e| bad(format!("invalid protobuf credentials: {e}")))?;
    let mut c = Credentials::new();
    for kv in proto.tokens {
        let t = kv
            .token
            .ok_or_else(|| bad(format!("token entry '{}' has no token", kv.alias)))?;
        c.add_token(kv.alias, t.into());
    }
    for kv in proto.secrets {
        c.add_secret(kv.alias, kv.secret.unwrap_or_default());
    }
    Ok(c)
}

fn decode_writable(body: &[u8]) -> Result<Credentials> {
    let mut r = Reader { buf: body, pos: 0 };
    let mut c = Credentials::new();
    let n = r.count("token count")?;
    for _ in 0..n {
        let alias = r.text("token alias")?;
        let identifier = r.bytes("token identifier")?;
        let password = r.bytes("token password")?;
        let kind = r.text("token kind")?;
        let service = r.text("token service")?;
        c.add_token(
            alias,
            Token {
                identifier,
                password,
                kind,
                service,
            },
        );
    }
    let n = r.count("secret count")?;
    for _ in 0..n {
        let alias = r.text("secret alias")?;
        let secret = r.bytes("secret")?;
        c.add_secret(alias, secret);
    }
    Ok(c)
}

/// Hadoop `WritableUtils.writeVLong`.
pub fn write_vlong(out: &mut Vec<u8>, mut i: i64) {
    if (-112..=127).contains(&i) {
        out.push(i as i8 as u8);
        return;
    }
    let mut len: i32 = -112;
    if i < 0 {
        i ^= -1;
        len = -120;
    }
    let mut tmp = i;
    while tmp != 0 {
        tmp >>= 8;
        len -= 1;
    }
    out.push(len as i8 as u8);
    let n = if len < -120 {
        -(len + 120)
    } else {
        -(len + 112)
    };
    for idx in (1..=n).rev() {
        let shift = (idx - 1) * 8;
        out.push(((i >> shift) & 0xff) as u8);
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_vlong(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn write_text(out: &mut Vec<u8>, s: &str) {
    write_bytes(out, s.as_bytes());
}

/// Bounds-checked reader for Writable data.
pub(crate) struct Reader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self, what: &str) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| bad(format!("truncated while reading {what}")))?;
        self.pos += 1;
        Ok(b)
    }

    /// Hadoop `WritableUtils.readVLong`.
    pub(crate) fn vlong(&mut self, what: &str) -> Result<i64> {
        let first = self.byte(what)? as i8;
        let len = if first >= -112 {
            1
        } else if first < -120 {
            -119 - first as i32
        } else {
            -111 - first as i32
        };
        if len == 1 {
            return Ok(first as i64);
        }
        let mut i: i64 = 0;
        for _ in 0..len - 1 {
            i = (i << 8) | self.byte(what)? as i64;
        }
        let negative = first < -120 || (-112..0).contains(&first);
        Ok(if negative { i ^ -1 } else { i })
    }

    fn count(&mut self, what: &str) -> Result<usize> {
        let n = self.vlong(what)?;
        // Every entry takes at least one byte, so a count beyond the remaining bytes is bogus.
        if n < 0 || n as u64 > (self.buf.len() - self.pos) as u64 {
            return Err(bad(format!("invalid {what} {n}")));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self, what: &str) -> Result<Vec<u8>> {
        let n = self.vlong(what)?;
        if n < 0 || n as u64 > (self.buf.len() - self.pos) as u64 {
            return Err(bad(format!(
                "invalid length {n} of {what} ({} bytes left)",
                self.buf.len() - self.pos
            )));
        }
        let n = n as usize;
        let v = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(v)
    }

    fn text(&mut self, what: &str) -> Result<String> {
        String::from_utf8(self.bytes(what)?).map_err(|_| bad(format!("{what} is not UTF-8")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Credentials {
        let mut c = Credentials::new();
        c.add_token(
            "amrm",
            Token {
                identifier: vec![1, 2, 3],
                password: vec![9; 200],
                kind: AMRM_TOKEN_KIND.into(),
                service: String::new(),
            },
        );
        c.add_token(
            "hdfs",
            Token {
                identifier: vec![0; 300],
                password: vec![7],
                kind: HDFS_DELEGATION_TOKEN_KIND.into(),
                service: "127.0.0.1:9000".into(),
            },
        );
        c.add_secret("s", vec![5; 1000]);
        c
    }

    #[test]
    fn vlong_matches_hadoop() {
        // Values from Hadoop's WritableUtils encoding.
        let cases: &[(i64, &[u8])] = &[
            (0, &[0]),
            (127, &[127]),
            (-112, &[0x90]),
            (128, &[0x8f, 0x80]),
            (300, &[0x8e, 0x01, 0x2c]),
            (-113, &[0x87, 0x70]),
        ];
        for (v, enc) in cases {
            let mut out = vec![];
            write_vlong(&mut out, *v);
            assert_eq!(&out, enc, "encoding {v}");
            let mut r = Reader { buf: enc, pos: 0 };
            assert_eq!(r.vlong("x").unwrap(), *v);
        }
    }

    #[test]
    fn roundtrip_both_formats() {
        let c = sample();
        for f in [CredentialsFormat::Writable, CredentialsFormat::Protobuf] {
            let bytes = c.encode(f);
            assert_eq!(&bytes[..4], b"HDTS");
            assert_eq!(Credentials::decode(&bytes).unwrap(), c);
        }
        let w = c.encode(CredentialsFormat::Writable);
        assert_eq!(w[4], 0);
        // 2 tokens, then Text "amrm"
        assert_eq!(&w[5..11], &[2, 4, b'a', b'm', b'r', b'm']);
    }

    #[test]
    fn file_roundtrip_and_env() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("tokens");
        sample()
            .write_file(&p, CredentialsFormat::Writable)
            .unwrap();
        assert_eq!(Credentials::read_file(&p).unwrap(), sample());
        let mut c = Credentials::read_file(&p).unwrap();
        c.remove_tokens_of_kind(AMRM_TOKEN_KIND);
        assert!(c.token_of_kind(AMRM_TOKEN_KIND).is_none());
        assert!(c.token("hdfs").is_some());
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(Credentials::decode(b"").is_err());
        assert!(Credentials::decode(b"HDTX\0").is_err());
        assert!(
            Credentials::decode(b"HDTS\x07")
                .unwrap_err()
                .to_string()
                .contains("format 7")
        );
        assert!(Credentials::decode(b"HDTS\0\x05").is_err());
        assert!(Credentials::decode(b"HDTS\0\x01\x8f\xff\xff").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512), fmt in 0u8..3) {
            let mut bytes = b"HDTS".to_vec();
            bytes.push(fmt);
            bytes.extend_from_slice(&data);
            let _ = Credentials::decode(&bytes);
        }

        #[test]
        fn mutated_valid_file_never_panics(pos in any::<usize>(), val in any::<u8>(), cut in any::<usize>(), proto in any::<bool>()) {
            let mut bytes = sample().encode(if proto { CredentialsFormat::Protobuf } else { CredentialsFormat::Writable });
            let i = pos % bytes.len();
            bytes[i] = val;
            bytes.truncate(cut % (bytes.len() + 1));
            let _ = Credentials::decode(&bytes);
        }
    }
}
