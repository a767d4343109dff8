//! Finding and killing the JVM's process tree.
//!
//! NodeManagers start containers with `setsid`, so containers are not in the JVM's process group;
//! the tree is found through the parent pids in `/proc/<pid>/stat` instead.

use std::collections::HashMap;

/// All live descendants of `root` (children first-level first), read from `/proc`.
pub fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = parent_pid(pid) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    while let Some(p) = queue.pop() {
        if let Some(kids) = children.get(&p) {
            for &k in kids {
                out.push(k);
                queue.push(k);
            }
        }
    }
    out
}

/// The parent pid from `/proc/<pid>/stat` (field 4; the command name in field 2 may contain spaces
/// and parentheses, so parsing starts after the last `)`).
fn parent_pid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Whether a process with this pid exists (and is not a zombie).
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Sends SIGKILL to each pid, ignoring pids that are already gone.
pub fn kill_all(pids: &[u32]) {
    for &pid in pids {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            continue;
        };
        // SAFETY: kill(2) has no memory-safety preconditions; a stale pid only yields ESRCH.
        unsafe {
            libc::kill(p, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_kills_grandchildren() {
        // sh -> sleep (grandchild of this test process)
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("sleep 300 & wait")
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut kids = Vec::new();
        while std::time::Instant::now() < deadline {
            kids = descendants(child.id());
            if !kids.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(kids.len(), 1, "sleep should be the only descendant");
        assert!(is_alive(kids[0]));
        kill_all(&kids);
        child.wait().unwrap();
        // the sleep was reparented and reaped by init or is gone
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while is_alive(kids[0]) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(!is_alive(kids[0]));
        assert!(!is_alive(u32::MAX - 1));
    }
}
