//! [`HdfsFileSystem`]: `hdfs://` URIs over the `hdfs-native` client.
//!
//! Every NameNode interaction (metadata calls, opening and creating files, each written chunk,
//! closing) runs under [`HadoopSettings::rpc_timeout_ms`], because `hdfs-native` retries an
//! unreachable NameNode for a long time; the error then names the address.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hdfs_native::{Client, ClientBuilder, HdfsError, WriteOptions};

use crate::error::{FsError, Result};
use crate::fs::{CreateOptions, FileStatus, FileSystem, FsInputStream, FsOutputStream};
use crate::path::{FsPath, Scheme};
use crate::settings::HadoopSettings;

/// Largest slice handed to the HDFS writer in one (timed) call.
const WRITE_SLICE: usize = 4 << 20;

/// HDFS, one NameNode (or nameservice) per instance.
#[derive(Debug, Clone)]
pub struct HdfsFileSystem {
    client: Client,
    /// `Some("host:port")` when built for an explicit authority; `None` = fs.defaultFS.
    authority: Option<String>,
    /// For messages: the NameNode address or "fs.defaultFS of <conf dir>".
    address: String,
    timeout: Duration,
}

impl HdfsFileSystem {
    /// A client for the NameNode named by `uri` (its authority), or for `fs.defaultFS` from the
    /// settings when the URI has none (`hdfs:///path`). Does not connect yet.
    pub fn new(uri: &FsPath, settings: &HadoopSettings) -> Result<HdfsFileSystem> {
        if uri.scheme() != Scheme::Hdfs {
            return Err(FsError::invalid(uri.to_string(), "not an hdfs:// URI"));
        }
        settings.validate()?;
        let mut builder = ClientBuilder::new();
        if let Some(authority) = uri.authority() {
            builder = builder.with_url(format!("hdfs://{authority}"));
        }
        if let Some(dir) = &settings.conf_dir {
            // validate() checked it is UTF-8
            builder = builder.with_config_dir(dir.to_string_lossy().into_owned());
        }
        if !settings.config.is_empty() {
            builder = builder.with_config(settings.config.clone());
        }
        if let Some(user) = &settings.user {
            builder = builder.with_user(user.clone());
        }
        if let Some(p) = &settings.kerberos_principal {
            builder = builder.with_kerberos_principal(p.clone());
        }
        if let Some(k) = &settings.kerberos_keytab {
            builder = builder.with_kerberos_keytab(k.to_string_lossy().into_owned());
        }
        let address = match uri.authority() {
            Some(a) => a.to_string(),
            None => match &settings.conf_dir {
                Some(d) => format!("the NameNode of fs.defaultFS in {}", d.display()),
                None => "the NameNode of fs.defaultFS ($HADOOP_CONF_DIR)".to_string(),
            },
        };
        let client = builder.build().map_err(|e| {
            FsError::Config(format!(
                "cannot build an HDFS client for {uri} ({address}): {e}. Set fs.defaultFS or use \
                 hdfs://host:port/ URIs"
            ))
        })?;
        Ok(HdfsFileSystem {
            client,
            authority: uri.authority().map(str::to_string),
            address,
            timeout: settings.rpc_timeout(),
        })
    }

    /// The path component for the client, after checking the path belongs here.
    fn hdfs_path<'a>(&self, path: &'a FsPath) -> Result<&'a str> {
        if path.scheme() != Scheme::Hdfs {
            return Err(FsError::invalid(path.to_string(), "not an hdfs:// path"));
        }
        match (path.authority(), &self.authority) {
            (None, _) => Ok(path.path()),
            (Some(a), Some(mine)) if a == mine => Ok(path.path()),
            (Some(a), mine) => Err(FsError::invalid(
                path.to_string(),
                format!(
                    "belongs to NameNode {a}, but this file system serves {}",
                    mine.as_deref().unwrap_or("fs.defaultFS")
                ),
            )),
        }
    }

    fn full_path(&self, p: &str) -> Result<FsPath> {
        FsPath::parse(&format!(
            "hdfs://{}{p}",
            self.authority.as_deref().unwrap_or("")
        ))
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        path: &FsPath,
        fut: impl Future<Output = std::result::Result<T, HdfsError>>,
    ) -> Result<T> {
        match timed(
            self.timeout,
            &self.address,
            operation,
            path.to_string(),
            fut,
        )
        .await
        {
            Err(FsError::Timeout {
                operation,
                path,
                address,
                after,
            }) => Err(self.diagnose_timeout(operation, path, address, after).await),
            other => other,
        }
    }

    /// A timed-out call: if the NameNode port does not even accept TCP, say so (Unreachable).
    async fn diagnose_timeout(
        &self,
        operation: &'static str,
        path: String,
        address: String,
        after: Duration,
    ) -> FsError {
        let timeout = FsError::Timeout {
            operation,
            path: path.clone(),
            address: address.clone(),
            after,
        };
        let Some(authority) = self.authority.as_deref().filter(|a| a.contains(':')) else {
            return timeout;
        };
        let probe = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(authority),
        )
        .await;
        let message = match probe {
            Ok(Ok(_)) => return timeout,
            Ok(Err(e)) => format!("{e} (retried for {after:?})"),
            Err(_) => format!("TCP connect timed out (retried for {after:?})"),
        };
        FsError::Unreachable {
            what: "NameNode",
            address,
            operation,
            path,
            message,
        }
    }

    fn status(&self, s: hdfs_native::client::FileStatus) -> Result<FileStatus> {
        Ok(FileStatus {
            path: self.full_path(&s.path)?,
            len: s.length as u64,
            is_dir: s.isdir,
            modification_time_ms: s.modification_time,
            permission: u32::from(s.permission),
            owner: s.owner,
            group: s.group,
            replication: if s.isdir { None } else { s.replication },
            block_size: if s.isdir { None } else { s.blocksize },
        })
    }
}

async fn timed<T>(
    timeout: Duration,
    address: &str,
    operation: &'static str,
    path: String,
    fut: impl Future<Output = std::result::Result<T, HdfsError>>,
) -> Result<T> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(map_error(e, operation, path, address)),
        Err(_) => Err(FsError::Timeout {
            operation,
            path,
            address: address.to_string(),
            after: timeout,
        }),
    }
}

/// Translates `hdfs-native` errors (and Java exception classes) into [`FsError`].
fn map_error(e: HdfsError, operation: &'static str, path: String, address: &str) -> FsError {
    use std::io::ErrorKind as K;
    match e {
        HdfsError::FileNotFound(_) => FsError::NotFound { path },
        HdfsError::AlreadyExists(_) => FsError::AlreadyExists { path },
        HdfsError::IsADirectoryError(_) => FsError::IsADirectory { path },
        HdfsError::IOError(io)
            if matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::TimedOut
                    | K::HostUnreachable
                    | K::NetworkUnreachable
                    | K::AddrNotAvailable
                    | K::NotConnected
            ) =>
        {
            FsError::Unreachable {
                what: "NameNode",
                address: address.to_string(),
                operation,
                path,
                message: io.to_string(),
            }
        }
        e @ (HdfsError::SASLError(_) | HdfsError::GSSAPIError(..) | HdfsError::NoSASLMechanism) => {
            FsError::Authentication {
                address: address.to_string(),
                operation,
                path,
                message: e.to_string(),
            }
        }
        HdfsError::RPCError(class, msg) | HdfsError::FatalRPCError(class, msg) => {
            let short = class.rsplit('.').next().unwrap_or(&class).to_string();
            match short.as_str() {
                "FileNotFoundException" => FsError::NotFound { path },
                "FileAlreadyExistsException" => FsError::AlreadyExists { path },
                "AccessControlException" => FsError::PermissionDenied {
                    path,
                    message: first_line(&msg),
                },
                "PathIsNotEmptyDirectoryException" => FsError::DirectoryNotEmpty { path },
                "ParentNotDirectoryException" => FsError::NotADirectory { path },
                "UnsupportedOperationException" => FsError::Unsupported {
                    operation,
                    scheme: "hdfs",
                },
                _ => FsError::Hdfs {
                    operation,
                    path,
                    message: format!("{short}: {}", first_line(&msg)),
                },
            }
        }
        other => FsError::Hdfs {
            operation,
            path,
            message: other.to_string(),
        },
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Writes to an HDFS file.
struct HdfsOutput {
    writer: Option<hdfs_native::file::FileWriter>,
    path: String,
    address: String,
    timeout: Duration,
    written: u64,
}

#[async_trait]
impl FsOutputStream for HdfsOutput {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| FsError::invalid(self.path.clone(), "write after close"))?;
        let mut rest = data;
        while !rest.is_empty() {
            let mut slice = rest.split_to(rest.len().min(WRITE_SLICE));
            while !slice.is_empty() {
                let n = timed(
                    self.timeout,
                    &self.address,
                    "write",
                    self.path.clone(),
                    writer.write_bytes(slice.clone()),
                )
                .await?;
                if n == 0 {
                    return Err(FsError::Hdfs {
                        operation: "write",
                        path: self.path.clone(),
                        message: "the writer accepted no bytes".into(),
                    });
                }
                self.written += n as u64;
                let _ = slice.split_to(n.min(slice.len()));
            }
        }
        Ok(())
    }

    async fn sync(&mut self) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            timed(
                self.timeout,
                &self.address,
                "sync",
                self.path.clone(),
                w.hsync(),
            )
            .await?;
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        if let Some(mut w) = self.writer.take() {
            timed(
                self.timeout,
                &self.address,
                "close",
                self.path.clone(),
                w.close(),
            )
            .await?;
        }
        Ok(())
    }

    fn bytes_written(&self) -> u64 {
        self.written
    }
}

#[async_trait]
impl FileSystem for HdfsFileSystem {
    fn scheme(&self) -> &'static str {
        "hdfs"
    }

    fn uri(&self) -> String {
        format!("hdfs://{}", self.authority.as_deref().unwrap_or(""))
    }

    fn supports_append(&self) -> bool {
        true
    }

    async fn open(&self, path: &FsPath) -> Result<Box<dyn FsInputStream>> {
        let p = self.hdfs_path(path)?;
        let status = self
            .timed("open", path, self.client.get_file_info(p))
            .await?;
        if status.isdir {
            return Err(FsError::IsADirectory {
                path: path.to_string(),
            });
        }
        let reader = self.timed("open", path, self.client.read(p)).await?;
        Ok(Box::new(Box::pin(reader)))
    }

    async fn read(&self, path: &FsPath) -> Result<Bytes> {
        let p = self.hdfs_path(path)?;
        let status = self
            .timed("read", path, self.client.get_file_info(p))
            .await?;
        if status.isdir {
            return Err(FsError::IsADirectory {
                path: path.to_string(),
            });
        }
        let reader = self.timed("read", path, self.client.read(p)).await?;
        let len = reader.file_length();
        // data transfer time grows with the size: allow the RPC timeout per 8 MiB
        let slices = (len / (8 << 20)) as u32 + 1;
        timed(
            self.timeout * slices,
            &self.address,
            "read",
            path.to_string(),
            reader.read_range(0, len),
        )
        .await
    }

    async fn create_with(
        &self,
        path: &FsPath,
        options: &CreateOptions,
    ) -> Result<Box<dyn FsOutputStream>> {
        let p = self.hdfs_path(path)?;
        let mut wo = WriteOptions::default()
            .overwrite(options.overwrite)
            .permission(options.permission)
            .create_parent(true);
        if let Some(r) = options.replication {
            wo = wo.replication(r);
        }
        if let Some(b) = options.block_size {
            wo = wo.block_size(b);
        }
        let writer = self
            .timed("create", path, self.client.create(p, wo))
            .await?;
        Ok(Box::new(HdfsOutput {
            writer: Some(writer),
            path: path.to_string(),
            address: self.address.clone(),
            timeout: self.timeout,
            written: 0,
        }))
    }

    async fn append(&self, path: &FsPath) -> Result<Box<dyn FsOutputStream>> {
        let p = self.hdfs_path(path)?;
        let writer = self.timed("append", path, self.client.append(p)).await?;
        Ok(Box::new(HdfsOutput {
            writer: Some(writer),
            path: path.to_string(),
            address: self.address.clone(),
            timeout: self.timeout,
            written: 0,
        }))
    }

    async fn rename(&self, src: &FsPath, dst: &FsPath, overwrite: bool) -> Result<()> {
        let (s, d) = (self.hdfs_path(src)?, self.hdfs_path(dst)?);
        match self
            .timed("rename", src, self.client.rename(s, d, overwrite))
            .await
        {
            // the destination is what already exists
            Err(FsError::AlreadyExists { .. }) => Err(FsError::AlreadyExists {
                path: dst.to_string(),
            }),
            other => other,
        }
    }

    async fn delete(&self, path: &FsPath, recursive: bool) -> Result<bool> {
        let p = self.hdfs_path(path)?;
        match self
            .timed("delete", path, self.client.delete(p, recursive))
            .await
        {
            Err(e) if e.is_not_found() => Ok(false),
            other => other,
        }
    }

    async fn mkdirs(&self, path: &FsPath, permission: u32) -> Result<()> {
        let p = self.hdfs_path(path)?;
        match self
            .timed("mkdirs", path, self.client.mkdirs(p, permission, true))
            .await
        {
            // an existing file (not dir) in the way
            Err(FsError::AlreadyExists { .. }) => Err(FsError::NotADirectory {
                path: path.to_string(),
            }),
            other => other,
        }
    }

    async fn list_status(&self, path: &FsPath) -> Result<Vec<FileStatus>> {
        let p = self.hdfs_path(path)?;
        let entries = self
            .timed("list_status", path, self.client.list_status(p, false))
            .await?;
        let mut out = entries
            .into_iter()
            .map(|s| self.status(s))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| a.path.path().cmp(b.path.path()));
        Ok(out)
    }

    async fn get_file_status(&self, path: &FsPath) -> Result<FileStatus> {
        let p = self.hdfs_path(path)?;
        let s = self
            .timed("get_file_status", path, self.client.get_file_info(p))
            .await?;
        let mut st = self.status(s)?;
        // the NameNode reports the path relative to what was asked; keep the caller's form
        st.path = path.clone();
        Ok(st)
    }

    async fn set_permission(&self, path: &FsPath, permission: u32) -> Result<()> {
        let p = self.hdfs_path(path)?;
        self.timed(
            "set_permission",
            path,
            self.client.set_permission(p, permission),
        )
        .await
    }
}
