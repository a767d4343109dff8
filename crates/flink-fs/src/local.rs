//! [`LocalFileSystem`]: `file://` URIs and plain paths, on `tokio::fs`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use crate::error::{FsError, Result};
use crate::fs::{CreateOptions, FileStatus, FileSystem, FsInputStream, FsOutputStream};
use crate::path::{FsPath, Scheme};

/// The local file system.
#[derive(Debug, Clone, Default)]
pub struct LocalFileSystem;

impl LocalFileSystem {
    /// A local file system handle (stateless).
    pub fn new() -> Self {
        LocalFileSystem
    }

    fn local(&self, path: &FsPath) -> Result<PathBuf> {
        match (path.scheme(), path.local_path()) {
            (Scheme::Local, Some(p)) => Ok(p),
            _ => Err(FsError::invalid(
                path.to_string(),
                "not a local path (the local file system serves file:// URIs and plain paths)",
            )),
        }
    }
}

fn status(path: FsPath, meta: &std::fs::Metadata) -> FileStatus {
    let modification_time_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    FileStatus {
        path,
        len: if meta.is_dir() { 0 } else { meta.len() },
        is_dir: meta.is_dir(),
        modification_time_ms,
        permission: meta.permissions().mode() & 0o7777,
        owner: meta.uid().to_string(),
        group: meta.gid().to_string(),
        replication: None,
        block_size: None,
    }
}

/// Writes to a local file.
struct LocalOutput {
    file: Option<tokio::fs::File>,
    path: String,
    written: u64,
}

#[async_trait]
impl FsOutputStream for LocalOutput {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| FsError::invalid(self.path.clone(), "write after close"))?;
        file.write_all(&data)
            .await
            .map_err(|e| FsError::from_io("write", &self.path, e))?;
        self.written += data.len() as u64;
        Ok(())
    }

    async fn sync(&mut self) -> Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.flush()
                .await
                .map_err(|e| FsError::from_io("sync", &self.path, e))?;
            f.sync_all()
                .await
                .map_err(|e| FsError::from_io("sync", &self.path, e))?;
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        if let Some(mut f) = self.file.take() {
            f.flush()
                .await
                .map_err(|e| FsError::from_io("close", &self.path, e))?;
        }
        Ok(())
    }

    fn bytes_written(&self) -> u64 {
        self.written
    }
}

#[async_trait]
impl FileSystem for LocalFileSystem {
    fn scheme(&self) -> &'static str {
        "file"
    }

    fn uri(&self) -> String {
        "file:///".to_string()
    }

    fn supports_append(&self) -> bool {
        true
    }

    async fn open(&self, path: &FsPath) -> Result<Box<dyn FsInputStream>> {
        let p = self.local(path)?;
        let file = tokio::fs::File::open(&p)
            .await
            .map_err(|e| FsError::from_io("open", &path.to_string(), e))?;
        let meta = file
            .metadata()
            .await
            .map_err(|e| FsError::from_io("open", &path.to_string(), e))?;
        if meta.is_dir() {
            return Err(FsError::IsADirectory {
                path: path.to_string(),
            });
        }
        Ok(Box::new(file))
    }

    async fn read(&self, path: &FsPath) -> Result<Bytes> {
        let p = self.local(path)?;
        if tokio::fs::metadata(&p).await.is_ok_and(|m| m.is_dir()) {
            return Err(FsError::IsADirectory {
                path: path.to_string(),
            });
        }
        tokio::fs::read(&p)
            .await
            .map(Bytes::from)
            .map_err(|e| FsError::from_io("read", &path.to_string(), e))
    }

    async fn create_with(
        &self,
        path: &FsPath,
        options: &CreateOptions,
    ) -> Result<Box<dyn FsOutputStream>> {
        let p = self.local(path)?;
        let shown = path.to_string();
        if let Some(parent) = p.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| FsError::from_io("create", &shown, e))?;
        }
        if tokio::fs::metadata(&p).await.is_ok_and(|m| m.is_dir()) {
            return Err(FsError::IsADirectory { path: shown });
        }
        let mut open = tokio::fs::OpenOptions::new();
        open.write(true).mode(options.permission);
        if options.overwrite {
            open.create(true).truncate(true);
        } else {
            open.create_new(true);
        }
        let file = open
            .open(&p)
            .await
            .map_err(|e| FsError::from_io("create", &shown, e))?;
        // `mode` is masked by the umask; apply the requested bits exactly
        file.set_permissions(std::fs::Permissions::from_mode(options.permission))
            .await
            .map_err(|e| FsError::from_io("create", &shown, e))?;
        Ok(Box::new(LocalOutput {
            file: Some(file),
            path: shown,
            written: 0,
        }))
    }

    async fn append(&self, path: &FsPath) -> Result<Box<dyn FsOutputStream>> {
        let p = self.local(path)?;
        let shown = path.to_string();
        let file = tokio::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .await
            .map_err(|e| FsError::from_io("append", &shown, e))?;
        Ok(Box::new(LocalOutput {
            file: Some(file),
            path: shown,
            written: 0,
        }))
    }

    async fn rename(&self, src: &FsPath, dst: &FsPath, overwrite: bool) -> Result<()> {
        let (s, d) = (self.local(src)?, self.local(dst)?);
        tokio::fs::symlink_metadata(&s)
            .await
            .map_err(|e| FsError::from_io("rename", &src.to_string(), e))?;
        if !overwrite && tokio::fs::symlink_metadata(&d).await.is_ok() {
            return Err(FsError::AlreadyExists {
                path: dst.to_string(),
            });
        }
        if let Some(parent) = d.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| FsError::from_io("rename", &dst.to_string(), e))?;
        }
        tokio::fs::rename(&s, &d)
            .await
            .map_err(|e| FsError::from_io("rename", &format!("{src} -> {dst}"), e))
    }

    async fn delete(&self, path: &FsPath, recursive: bool) -> Result<bool> {
        let p = self.local(path)?;
        let shown = path.to_string();
        let meta = match tokio::fs::symlink_metadata(&p).await {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(FsError::from_io("delete", &shown, e)),
        };
        let res = if meta.is_dir() {
            if recursive {
                tokio::fs::remove_dir_all(&p).await
            } else {
                tokio::fs::remove_dir(&p).await
            }
        } else {
            tokio::fs::remove_file(&p).await
        };
        match res {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(FsError::from_io("delete", &shown, e)),
        }
    }

    async fn mkdirs(&self, path: &FsPath, permission: u32) -> Result<()> {
        let p = self.local(path)?;
        let shown = path.to_string();
        if tokio::fs::metadata(&p).await.is_ok_and(|m| !m.is_dir()) {
            return Err(FsError::NotADirectory { path: shown });
        }
        tokio::fs::create_dir_all(&p)
            .await
            .map_err(|e| FsError::from_io("mkdirs", &shown, e))?;
        tokio::fs::set_permissions(&p, std::fs::Permissions::from_mode(permission))
            .await
            .map_err(|e| FsError::from_io("mkdirs", &shown, e))
    }

    async fn list_status(&self, path: &FsPath) -> Result<Vec<FileStatus>> {
        let p = self.local(path)?;
        let shown = path.to_string();
        let meta = tokio::fs::metadata(&p)
            .await
            .map_err(|e| FsError::from_io("list_status", &shown, e))?;
        if !meta.is_dir() {
            return Ok(vec![status(path.clone(), &meta)]);
        }
        let mut entries = tokio::fs::read_dir(&p)
            .await
            .map_err(|e| FsError::from_io("list_status", &shown, e))?;
        let mut out = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| FsError::from_io("list_status", &shown, e))?
        {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                tracing::warn!(dir = %shown, "skipping a non-UTF-8 file name");
                continue;
            };
            let child = path.join(name)?;
            // entries may vanish while listing
            match tokio::fs::metadata(entry.path()).await {
                Ok(m) => out.push(status(child, &m)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(FsError::from_io("list_status", &child.to_string(), e)),
            }
        }
        out.sort_by(|a, b| a.path.path().cmp(b.path.path()));
        Ok(out)
    }

    async fn get_file_status(&self, path: &FsPath) -> Result<FileStatus> {
        let p = self.local(path)?;
        let meta = tokio::fs::metadata(&p)
            .await
            .map_err(|e| FsError::from_io("get_file_status", &path.to_string(), e))?;
        Ok(status(path.clone(), &meta))
    }

    async fn set_permission(&self, path: &FsPath, permission: u32) -> Result<()> {
        let p = self.local(path)?;
        tokio::fs::set_permissions(&p, std::fs::Permissions::from_mode(permission))
            .await
            .map_err(|e| FsError::from_io("set_permission", &path.to_string(), e))
    }
}
