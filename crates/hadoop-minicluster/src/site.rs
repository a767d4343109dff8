//! Reading what the cluster wrote: Hadoop `*-site.xml` files and `minicluster.properties`.
//!
//! The site-file reader understands the plain `<property><name>..</name><value>..</value></property>`
//! form Hadoop (and the minicluster driver) writes, with XML comments and the five predefined entities.
//! It is not a general XML parser.

use std::collections::BTreeMap;

/// Parses the properties of a Hadoop configuration XML document.
pub fn parse_site_xml(text: &str) -> Result<BTreeMap<String, String>, String> {
    let text = strip_comments(text);
    let mut out = BTreeMap::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<property>") {
        let after = &rest[start + "<property>".len()..];
        let end = after
            .find("</property>")
            .ok_or_else(|| "a <property> element is not closed".to_string())?;
        let body = &after[..end];
        let name = element_text(body, "name")
            .ok_or_else(|| format!("a <property> has no <name>: {}", body.trim()))?;
        let value = element_text(body, "value").unwrap_or_default();
        out.insert(unescape(name.trim()), unescape(value));
        rest = &after[end + "</property>".len()..];
    }
    Ok(out)
}

/// Parses `key=value` lines; `#` starts a comment line.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Parses the `MINICLUSTER READY k=v k=v ...` line into its key/value pairs.
pub fn parse_ready_line(line: &str) -> Option<BTreeMap<String, String>> {
    let rest = line.trim().strip_prefix("MINICLUSTER READY")?;
    Some(
        rest.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn element_text<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    if let Some(s) = body.find(&open) {
        let after = &body[s + open.len()..];
        let e = after.find(&close)?;
        return Some(&after[..e]);
    }
    // <value/> means an empty value
    body.contains(&format!("<{tag}/>")).then_some("")
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(s) = rest.find("<!--") {
        out.push_str(&rest[..s]);
        match rest[s..].find("-->") {
            Some(e) => rest = &rest[s + e + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hadoop_site_xml() {
        let xml = r#"<?xml version="1.0"?>
<!-- a comment with <property><name>x</name></property> inside -->
<configuration>
  <property><name>fs.defaultFS</name><value>hdfs://127.0.0.1:9000</value></property>
  <property>
    <name> yarn.acl </name>
    <value>a&amp;b &lt;c&gt;</value>
    <description>ignored</description>
  </property>
  <property><name>empty</name><value/></property>
</configuration>"#;
        let p = parse_site_xml(xml).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p["fs.defaultFS"], "hdfs://127.0.0.1:9000");
        assert_eq!(p["yarn.acl"], "a&b <c>");
        assert_eq!(p["empty"], "");
        assert!(!p.contains_key("x"));
    }

    #[test]
    fn rejects_broken_site_xml() {
        assert!(parse_site_xml("<configuration><property><name>a</name>").is_err());
        assert!(parse_site_xml("<property><value>v</value></property>").is_err());
    }

    #[test]
    fn parses_ready_line_and_properties() {
        let r =
            parse_ready_line("MINICLUSTER READY fs=hdfs://127.0.0.1:1 rm=localhost:2 secure=false")
                .unwrap();
        assert_eq!(r["fs"], "hdfs://127.0.0.1:1");
        assert_eq!(r["rm"], "localhost:2");
        assert!(parse_ready_line("something else").is_none());
        let p = parse_properties("# c\nfs=hdfs://x:1\n\nrm = localhost:2\nnot a pair\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p["rm"], "localhost:2");
    }
}
