//! Describing an uploaded file as a YARN `LocalResource`.

use hadoop_proto::yarn::{
    LocalResourceProto, LocalResourceTypeProto, LocalResourceVisibilityProto, UrlProto,
};

use crate::error::{Result, YarnError};

/// A `LocalResourceProto` for a file at `uri` (e.g. `hdfs://127.0.0.1:9000/user/x/app/flink-rs`)
/// with the file's `length` and `modification_time` (ms since epoch, exactly as the file system
/// reports it: the NodeManager refuses the resource if it differs).
pub fn local_resource(
    uri: &str,
    length: u64,
    modification_time: u64,
    kind: LocalResourceTypeProto,
    visibility: LocalResourceVisibilityProto,
) -> Result<LocalResourceProto> {
    let bad = |why: &str| {
        YarnError::InvalidArgument(format!("cannot use '{uri}' as a local resource: {why}"))
    };
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| bad("expected scheme://[host[:port]]/path"))?;
    if scheme.is_empty() {
        return Err(bad("empty scheme"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return Err(bad("no path")),
    };
    let (user_info, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() => {
            (h, Some(p.parse::<i32>().map_err(|_| bad("invalid port"))?))
        }
        _ => (hostport, None),
    };
    let length = i64::try_from(length).map_err(|_| bad("length too large"))?;
    let mtime = i64::try_from(modification_time).map_err(|_| bad("modification time too large"))?;
    Ok(LocalResourceProto {
        resource: Some(UrlProto {
            scheme: Some(scheme.to_string()),
            host: (!host.is_empty()).then(|| host.to_string()),
            port,
            file: Some(path.to_string()),
            user_info,
        }),
        size: Some(length),
        timestamp: Some(mtime),
        r#type: Some(kind as i32),
        visibility: Some(visibility as i32),
        pattern: None,
        should_be_uploaded_to_shared_cache: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdfs_uri() {
        let r = local_resource(
            "hdfs://127.0.0.1:9000/user/a/bin",
            10,
            20,
            LocalResourceTypeProto::File,
            LocalResourceVisibilityProto::Application,
        )
        .unwrap();
        let u = r.resource.clone().unwrap();
        assert_eq!(u.scheme(), "hdfs");
        assert_eq!(u.host(), "127.0.0.1");
        assert_eq!(u.port(), 9000);
        assert_eq!(u.file(), "/user/a/bin");
        assert_eq!(r.size(), 10);
        assert_eq!(r.timestamp(), 20);
        assert!(
            local_resource(
                "nopath",
                1,
                1,
                LocalResourceTypeProto::File,
                LocalResourceVisibilityProto::Public
            )
            .is_err()
        );
        assert!(
            local_resource(
                "hdfs://h:x/p",
                1,
                1,
                LocalResourceTypeProto::File,
                LocalResourceVisibilityProto::Public
            )
            .is_err()
        );
    }
}

/// Escapes a value for a container environment variable. The NodeManager writes each
/// variable into `launch_container.sh` as `export KEY="VALUE"` without escaping, so `"`, `$`,
/// `` ` `` and `\` must be escaped by whoever builds the launch context for the value to
/// arrive unchanged.
pub fn escape_env_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '"' | '$' | '`' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod escape_tests {
    use super::escape_env_value;

    #[test]
    fn escapes_double_quote_specials() {
        assert_eq!(
            escape_env_value(r#"a "b" $C `d` \e"#),
            r#"a \"b\" \$C \`d\` \\e"#
        );
        assert_eq!(escape_env_value("plain & simple"), "plain & simple");
    }
}
