//! YARN ids: parsing and formatting `application_<ts>_<n>`, `appattempt_<ts>_<n>_<a>` and
//! `container_[e<epoch>_]<ts>_<n>_<a>_<c>` as Hadoop does.

use hadoop_proto::yarn::{ApplicationAttemptIdProto, ApplicationIdProto, ContainerIdProto};

use crate::error::{Result, YarnError};

/// `application_<cluster_timestamp>_<id:04>`.
pub fn format_application_id(id: &ApplicationIdProto) -> String {
    format!("application_{}_{:04}", id.cluster_timestamp(), id.id())
}

/// `appattempt_<ts>_<id:04>_<attempt:06>`.
pub fn format_attempt_id(id: &ApplicationAttemptIdProto) -> String {
    let app = id.application_id.unwrap_or_default();
    format!(
        "appattempt_{}_{:04}_{:06}",
        app.cluster_timestamp(),
        app.id(),
        id.attempt_id()
    )
}

/// `container_[e<epoch>_]<ts>_<app:04>_<attempt:02>_<seq:06>`.
pub fn format_container_id(id: &ContainerIdProto) -> String {
    let attempt = id.app_attempt_id.unwrap_or_default();
    let app = attempt.application_id.or(id.app_id).unwrap_or_default();
    let raw = id.id();
    let epoch = raw >> 40;
    let seq = raw & 0xff_ffff_ffff;
    let epoch_part = if epoch > 0 {
        format!("e{epoch:02}_")
    } else {
        String::new()
    };
    format!(
        "container_{epoch_part}{}_{:04}_{:02}_{:06}",
        app.cluster_timestamp(),
        app.id(),
        attempt.attempt_id(),
        seq
    )
}

fn num<T: std::str::FromStr>(
    s: &str,
    kind: &'static str,
    value: &str,
    hint: &'static str,
) -> Result<T> {
    s.parse::<T>().map_err(|_| YarnError::InvalidId {
        kind,
        value: value.to_string(),
        hint,
    })
}

/// Parses `application_<ts>_<n>`.
pub fn parse_application_id(s: &str) -> Result<ApplicationIdProto> {
    const HINT: &str = "expected application_<cluster timestamp>_<number>";
    let parts: Vec<&str> = s.trim().split('_').collect();
    if parts.len() != 3 || parts[0] != "application" {
        return Err(YarnError::InvalidId {
            kind: "application id",
            value: s.to_string(),
            hint: HINT,
        });
    }
    Ok(ApplicationIdProto {
        cluster_timestamp: Some(num(parts[1], "application id", s, HINT)?),
        id: Some(num(parts[2], "application id", s, HINT)?),
    })
}

/// Parses a container id (with or without the `e<epoch>` part), e.g. the `CONTAINER_ID`
/// environment variable of a YARN container.
pub fn parse_container_id(s: &str) -> Result<ContainerIdProto> {
    const HINT: &str =
        "expected container_[e<epoch>_]<cluster timestamp>_<app>_<attempt>_<container>";
    let err = || YarnError::InvalidId {
        kind: "container id",
        value: s.to_string(),
        hint: HINT,
    };
    let mut parts: Vec<&str> = s.trim().split('_').collect();
    if parts.first() != Some(&"container") {
        return Err(err());
    }
    parts.remove(0);
    let mut epoch: i64 = 0;
    if let Some(e) = parts.first().and_then(|p| p.strip_prefix('e')) {
        epoch = num(e, "container id", s, HINT)?;
        parts.remove(0);
    }
    if parts.len() != 4 {
        return Err(err());
    }
    let ts: i64 = num(parts[0], "container id", s, HINT)?;
    let app: i32 = num(parts[1], "container id", s, HINT)?;
    let attempt: i32 = num(parts[2], "container id", s, HINT)?;
    let seq: i64 = num(parts[3], "container id", s, HINT)?;
    if !(0..1 << 24).contains(&epoch) || !(0..1 << 40).contains(&seq) {
        return Err(err());
    }
    let app_id = ApplicationIdProto {
        id: Some(app),
        cluster_timestamp: Some(ts),
    };
    Ok(ContainerIdProto {
        app_id: Some(app_id),
        app_attempt_id: Some(ApplicationAttemptIdProto {
            application_id: Some(app_id),
            attempt_id: Some(attempt),
        }),
        id: Some((epoch << 40) | seq),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn container_ids_roundtrip() {
        for s in [
            "container_1700000000000_0001_01_000001",
            "container_e17_1700000000000_0012_02_000123",
        ] {
            let id = parse_container_id(s).unwrap();
            assert_eq!(format_container_id(&id), s);
        }
        let id = parse_container_id("container_e17_1700000000000_0012_02_000123").unwrap();
        assert_eq!(
            format_attempt_id(id.app_attempt_id.as_ref().unwrap()),
            "appattempt_1700000000000_0012_000002"
        );
        assert!(parse_container_id("container_1_2").is_err());
        assert!(parse_container_id("application_1_2").is_err());
    }

    #[test]
    fn application_ids_roundtrip() {
        let id = parse_application_id("application_1700000000000_0042").unwrap();
        assert_eq!(id.id(), 42);
        assert_eq!(format_application_id(&id), "application_1700000000000_0042");
        assert!(parse_application_id("application_x_1").is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,60}") {
            let _ = parse_container_id(&s);
            let _ = parse_application_id(&s);
        }
    }
}
