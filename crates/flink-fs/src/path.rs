//! [`FsPath`]: a file system URI (`file:///a/b`, `hdfs://nn:9000/a/b`, or a plain local path).

use std::fmt;
use std::str::FromStr;

use crate::error::{FsError, Result};

/// The schemes this crate implements, for error messages.
pub const SUPPORTED_SCHEMES: &str = "file (or a plain path), hdfs";

/// Which file system a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// The local file system (`file:` URIs and plain paths).
    Local,
    /// HDFS (`hdfs:` URIs).
    Hdfs,
}

impl Scheme {
    /// The URI scheme name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Local => "file",
            Scheme::Hdfs => "hdfs",
        }
    }
}

/// An absolute, normalized path on one file system.
///
/// Parsing accepts `file:///abs`, `file:/abs` (Hadoop's form), plain absolute paths, plain relative
/// paths (resolved against the current directory), `hdfs://host:port/abs`, `hdfs://nameservice/abs`
/// and `hdfs:///abs` (no authority: the NameNode of `fs.defaultFS`). `.` and repeated `/` are
/// removed and `..` is resolved lexically. Percent-encoding is not interpreted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FsPath {
    scheme: Scheme,
    authority: Option<String>,
    path: String,
}

impl FsPath {
    /// Parses a URI or plain path.
    pub fn parse(input: &str) -> Result<FsPath> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FsError::invalid(input, "empty path"));
        }
        let Some((scheme, rest)) = split_scheme(s) else {
            // a plain local path
            let abs = if s.starts_with('/') {
                s.to_string()
            } else {
                let cwd = std::env::current_dir().map_err(|e| {
                    FsError::invalid(
                        input,
                        format!("relative path and no current directory: {e}"),
                    )
                })?;
                format!("{}/{s}", cwd.display())
            };
            return Ok(FsPath {
                scheme: Scheme::Local,
                authority: None,
                path: normalize(input, &abs)?,
            });
        };
        let scheme_lc = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, "/"),
            },
            None => ("", rest),
        };
        if !path.starts_with('/') {
            return Err(FsError::invalid(
                input,
                format!("a {scheme_lc}: URI needs an absolute path, like {scheme_lc}:///dir/file"),
            ));
        }
        if path.contains(['?', '#']) {
            return Err(FsError::invalid(
                input,
                "query strings and fragments are not supported",
            ));
        }
        match scheme_lc.as_str() {
            "file" => {
                if !(authority.is_empty() || authority.eq_ignore_ascii_case("localhost")) {
                    return Err(FsError::invalid(
                        input,
                        format!(
                            "file: URIs cannot name a host ('{authority}'); use file:///absolute/path"
                        ),
                    ));
                }
                Ok(FsPath {
                    scheme: Scheme::Local,
                    authority: None,
                    path: normalize(input, path)?,
                })
            }
            "hdfs" => {
                if authority.contains(['@', ' ']) {
                    return Err(FsError::invalid(
                        input,
                        "hdfs authority must be host, host:port or a nameservice (no user@)",
                    ));
                }
                if let Some((host, port)) = authority.rsplit_once(':')
                    && (host.is_empty() || port.parse::<u16>().is_err())
                {
                    return Err(FsError::invalid(
                        input,
                        format!("bad NameNode address '{authority}' (expected host:port)"),
                    ));
                }
                Ok(FsPath {
                    scheme: Scheme::Hdfs,
                    authority: (!authority.is_empty()).then(|| authority.to_string()),
                    path: normalize(input, path)?,
                })
            }
            _ => Err(FsError::UnsupportedScheme {
                scheme: scheme.to_string(),
                uri: input.to_string(),
                supported: SUPPORTED_SCHEMES,
            }),
        }
    }

    /// A local path from a `std::path::Path` (must be valid UTF-8).
    pub fn from_local(p: &std::path::Path) -> Result<FsPath> {
        let s = p
            .to_str()
            .ok_or_else(|| FsError::invalid(p.display().to_string(), "not valid UTF-8"))?;
        if s.contains(':') && split_scheme(s).is_some() {
            // a local file whose name looks like a URI: force the local interpretation
            return FsPath::parse(&format!("file://{}", absolute(s)?));
        }
        FsPath::parse(s)
    }

    /// `file` or `hdfs`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `host:port` or nameservice for HDFS paths that name one.
    pub fn authority(&self) -> Option<&str> {
        self.authority.as_deref()
    }

    /// The absolute path component, e.g. `/user/flink/x`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// For local paths, the `std::path::PathBuf`.
    pub fn local_path(&self) -> Option<std::path::PathBuf> {
        (self.scheme == Scheme::Local).then(|| std::path::PathBuf::from(&self.path))
    }

    /// The last component (`""` for the root).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// The parent directory; `None` for the root.
    pub fn parent(&self) -> Option<FsPath> {
        if self.path == "/" {
            return None;
        }
        let idx = self.path.rfind('/').unwrap_or(0);
        Some(FsPath {
            path: if idx == 0 {
                "/".to_string()
            } else {
                self.path[..idx].to_string()
            },
            ..self.clone()
        })
    }

    /// A child path; `child` is relative (`a`, `a/b`); `..` may not climb above the root.
    pub fn join(&self, child: &str) -> Result<FsPath> {
        if child.starts_with('/') || split_scheme(child).is_some() {
            return Err(FsError::invalid(
                child,
                format!("join expects a relative path below {self}"),
            ));
        }
        let joined = format!("{}/{child}", self.path.trim_end_matches('/'));
        Ok(FsPath {
            path: normalize(child, &joined)?,
            ..self.clone()
        })
    }

    /// Whether `self` is `other` or below it.
    pub fn starts_with(&self, other: &FsPath) -> bool {
        self.scheme == other.scheme
            && self.authority == other.authority
            && (self.path == other.path
                || other.path == "/"
                || self
                    .path
                    .strip_prefix(&other.path)
                    .is_some_and(|r| r.starts_with('/')))
    }
}

impl fmt::Display for FsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority.as_deref().unwrap_or(""),
            self.path
        )
    }
}

impl FromStr for FsPath {
    type Err = FsError;
    fn from_str(s: &str) -> Result<Self> {
        FsPath::parse(s)
    }
}

impl serde::Serialize for FsPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for FsPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        FsPath::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `scheme:` prefix per RFC 3986 (letter, then letters/digits/+-.), at least 2 chars so that
/// Windows-like `C:` is not mistaken for one.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (scheme.len() >= 2
        && first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some((scheme, rest))
}

fn absolute(s: &str) -> Result<String> {
    if s.starts_with('/') {
        return Ok(s.to_string());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| FsError::invalid(s, format!("relative path and no current directory: {e}")))?;
    Ok(format!("{}/{s}", cwd.display()))
}

fn normalize(input: &str, abs: &str) -> Result<String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in abs.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(FsError::invalid(input, "'..' climbs above the root"));
                }
            }
            c => parts.push(c),
        }
    }
    if parts.iter().any(|p| p.contains('\0')) {
        return Err(FsError::invalid(input, "contains a NUL byte"));
    }
    Ok(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_forms() {
        for s in [
            "/tmp/a/b",
            "file:///tmp/a/b",
            "file:/tmp/a/b",
            "file://localhost/tmp/a/b",
            "/tmp//a/./b/",
        ] {
            let p = FsPath::parse(s).unwrap();
            assert_eq!(p.scheme(), Scheme::Local, "{s}");
            assert_eq!(p.path(), "/tmp/a/b", "{s}");
            assert_eq!(p.to_string(), "file:///tmp/a/b");
            assert_eq!(
                p.local_path().unwrap(),
                std::path::PathBuf::from("/tmp/a/b")
            );
        }
        let rel = FsPath::parse("x/y").unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(rel.local_path().unwrap(), cwd.join("x/y"));
    }

    #[test]
    fn parses_hdfs_forms() {
        let p = FsPath::parse("hdfs://127.0.0.1:9000/user/flink/../flink/x").unwrap();
        assert_eq!(p.scheme(), Scheme::Hdfs);
        assert_eq!(p.authority(), Some("127.0.0.1:9000"));
        assert_eq!(p.path(), "/user/flink/x");
        assert_eq!(p.to_string(), "hdfs://127.0.0.1:9000/user/flink/x");
        assert_eq!(p.name(), "x");
        assert_eq!(
            p.parent().unwrap().to_string(),
            "hdfs://127.0.0.1:9000/user/flink"
        );
        let root = FsPath::parse("hdfs://ns1").unwrap();
        assert_eq!(root.path(), "/");
        assert!(root.parent().is_none());
        let nodefault = FsPath::parse("HDFS:///a").unwrap();
        assert_eq!(nodefault.authority(), None);
        assert_eq!(nodefault.to_string(), "hdfs:///a");
    }

    #[test]
    fn join_parent_and_prefix() {
        let base = FsPath::parse("hdfs://nn:1/a").unwrap();
        let c = base.join("b/c").unwrap();
        assert_eq!(c.path(), "/a/b/c");
        assert!(c.starts_with(&base));
        assert!(!FsPath::parse("hdfs://nn:1/ab").unwrap().starts_with(&base));
        assert!(
            !FsPath::parse("hdfs://other:1/a/b")
                .unwrap()
                .starts_with(&base)
        );
        assert_eq!(c.parent().unwrap().parent().unwrap(), base);
        assert!(base.join("/abs").is_err());
        assert!(base.join("../..").is_err());
        assert_eq!(FsPath::parse("/a").unwrap().parent().unwrap().path(), "/");
    }

    #[test]
    fn clear_errors() {
        let e = FsPath::parse("s3://bucket/key").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, FsError::UnsupportedScheme { .. }));
        assert!(
            msg.contains("'s3'") && msg.contains("hdfs") && msg.contains("file"),
            "{msg}"
        );
        assert!(FsPath::parse("").unwrap_err().to_string().contains("empty"));
        assert!(
            FsPath::parse("hdfs://nn:notaport/x")
                .unwrap_err()
                .to_string()
                .contains("host:port")
        );
        assert!(
            FsPath::parse("file://otherhost/x")
                .unwrap_err()
                .to_string()
                .contains("host")
        );
        assert!(
            FsPath::parse("hdfs:relative")
                .unwrap_err()
                .to_string()
                .contains("absolute")
        );
        assert!(
            FsPath::parse("/../x")
                .unwrap_err()
                .to_string()
                .contains("root")
        );
        assert!(FsPath::parse("hdfs://nn:1/a?b").is_err());
    }

    #[test]
    fn serde_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct C {
            dir: FsPath,
        }
        let c: C = serde_json_like("hdfs://nn:1/x");
        assert_eq!(c.dir.to_string(), "hdfs://nn:1/x");

        fn serde_json_like(v: &str) -> C {
            use serde::de::IntoDeserializer;
            let d: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                v.into_deserializer();
            C {
                dir: <FsPath as serde::Deserialize>::deserialize(d).unwrap(),
            }
        }
        let bad: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            serde::de::IntoDeserializer::into_deserializer("ftp://x/y");
        assert!(<FsPath as serde::Deserialize>::deserialize(bad).is_err());
    }
}
