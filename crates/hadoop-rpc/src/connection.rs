//! One Hadoop IPC connection: preamble, optional SASL, connection context, then calls
//! multiplexed by call id (a writer task and a reader task; a oneshot per call).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hadoop_proto::common::{
    IpcConnectionContextProto, RequestHeaderProto, RpcSaslProto, UserInformationProto,
    rpc_response_header_proto::RpcStatusProto, rpc_sasl_proto::SaslState,
};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::conf::RpcProtection;
use crate::credentials::Token;
use crate::error::{Result, RpcError};
use crate::frame::{self, CONNECTION_CONTEXT_CALL_ID, SASL_CALL_ID};
use crate::sasl::{DigestMd5Client, KerberosMechanismFactory, SaslMechanism, SecurityLayer};

/// How a connection authenticates.
#[derive(Clone, Debug)]
pub enum AuthMethod {
    /// No SASL (auth byte 0); the server trusts the claimed user.
    Simple {
        /// User name sent in the connection context.
        user: String,
    },
    /// SASL TOKEN with DIGEST-MD5 (auth byte -33); the server derives the user from the token.
    Token(Token),
    /// SASL KERBEROS (GSSAPI) through a pluggable mechanism.
    Kerberos {
        /// Creates the GSSAPI mechanism for the server's `protocol@host`.
        factory: Arc<dyn KerberosMechanismFactory>,
        /// User name (principal) sent as effective user.
        user: String,
    },
}

impl AuthMethod {
    /// SIMPLE auth as the current user (see [`current_user`]).
    pub fn simple_from_env() -> Self {
        AuthMethod::Simple {
            user: current_user(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            AuthMethod::Simple { .. } => "SIMPLE",
            AuthMethod::Token(_) => "TOKEN",
            AuthMethod::Kerberos { .. } => "KERBEROS",
        }
    }
}

/// The user Hadoop's `UserGroupInformation` would act as without Kerberos:
/// `HADOOP_USER_NAME`, else the OS login name of this process (`USER`, then
/// the password database), else `flink`.
pub fn current_user() -> String {
    if let Ok(u) = std::env::var("HADOOP_USER_NAME")
        && !u.is_empty()
    {
        return u;
    }
    if let Ok(u) = std::env::var("USER")
        && !u.is_empty()
    {
        return u;
    }
    os_user_name().unwrap_or_else(|| "flink".to_string())
}

/// The name of this process's effective uid from the password database.
fn os_user_name() -> Option<String> {
    let out = std::process::Command::new("id").arg("-un").output().ok()?;
    let name = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !name.is_empty()).then_some(name)
}

/// Connection settings.
#[derive(Clone, Debug)]
pub struct ConnectionOptions {
    /// TCP connect + handshake limit.
    pub connect_timeout: Duration,
    /// Per-call limit (`None` = wait forever).
    pub call_timeout: Option<Duration>,
    /// Largest frame accepted from the server.
    pub max_frame: usize,
    /// Client QOP preference (`hadoop.rpc.protection`).
    pub protection: Vec<RpcProtection>,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            connect_timeout: Duration::from_secs(20),
            call_timeout: Some(Duration::from_secs(120)),
            max_frame: frame::DEFAULT_MAX_FRAME,
            protection: vec![RpcProtection::Authentication],
        }
    }
}

type Pending = HashMap<i32, oneshot::Sender<Result<Vec<u8>>>>;

struct Shared {
    address: String,
    pending: Mutex<Pending>,
    closed: Mutex<Option<String>>,
}

impl Shared {
    fn fail_all(&self, reason: &str) {
        if let Ok(mut c) = self.closed.lock()
            && c.is_none()
        {
            *c = Some(reason.to_string());
        }
        let drained: Vec<_> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => Vec::new(),
        };
        for (_, tx) in drained {
            let _ = tx.send(Err(RpcError::ConnectionClosed {
                address: self.address.clone(),
                reason: reason.to_string(),
            }));
        }
    }

    fn closed_reason(&self) -> Option<String> {
        self.closed.lock().ok().and_then(|c| c.clone())
    }
}

struct Inner {
    address: String,
    protocol: String,
    client_id: [u8; 16],
    next_call_id: AtomicI32,
    shared: Arc<Shared>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    options: ConnectionOptions,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.shared.fail_all("connection dropped");
    }
}

/// A connected, authenticated Hadoop IPC connection for one protocol. Cheap to clone; calls
/// from many tasks are multiplexed on the one TCP connection.
#[derive(Clone)]
pub struct RpcConnection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RpcConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcConnection")
            .field("address", &self.inner.address)
            .field("protocol", &self.inner.protocol)
            .finish()
    }
}

type Layer = Arc<Mutex<Box<dyn SecurityLayer>>>;

impl RpcConnection {
    /// Connects to `address` (`host:port`) for `protocol` (e.g.
    /// `org.apache.hadoop.yarn.api.ApplicationClientProtocolPB`) and authenticates.
    pub async fn connect(
        address: &str,
        protocol: &str,
        auth: &AuthMethod,
        options: ConnectionOptions,
    ) -> Result<Self> {
        let limit = options.connect_timeout;
        match tokio::time::timeout(limit, Self::connect_inner(address, protocol, auth, options))
            .await
        {
            Ok(r) => r,
            Err(_) => Err(RpcError::Timeout {
                what: "connecting".into(),
                address: address.to_string(),
                after: limit,
            }),
        }
    }

    async fn connect_inner(
        address: &str,
        protocol: &str,
        auth: &AuthMethod,
        options: ConnectionOptions,
    ) -> Result<Self> {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|e| RpcError::Connect {
                address: address.to_string(),
                source: e,
            })?;
        let _ = stream.set_nodelay(true);
        let use_sasl = !matches!(auth, AuthMethod::Simple { .. });
        let mut preamble = b"hrpc".to_vec();
        preamble.extend_from_slice(&[9, 0, if use_sasl { (-33i8) as u8 } else { 0 }]);
        let io_err = |e: std::io::Error| RpcError::ConnectionClosed {
            address: address.to_string(),
            reason: e.to_string(),
        };
        stream.write_all(&preamble).await.map_err(io_err)?;

        let mut client_id = [0u8; 16];
        client_id.copy_from_slice(uuid::Uuid::new_v4().as_bytes());

        let mut leftover = Vec::new();
        let layer: Option<Layer> = if use_sasl {
            sasl_handshake(&mut stream, address, auth, &options, &mut leftover)
                .await?
                .map(|l| Arc::new(Mutex::new(l)))
        } else {
            None
        };

        let user_info = match auth {
            AuthMethod::Simple { user } | AuthMethod::Kerberos { user, .. } => {
                UserInformationProto {
                    effective_user: Some(user.clone()),
                    real_user: None,
                }
            }
            AuthMethod::Token(_) => UserInformationProto::default(),
        };
        let ctx = IpcConnectionContextProto {
            user_info: Some(user_info),
            protocol: Some(protocol.to_string()),
        };
        let ctx_frame = frame::frame(&[
            &frame::request_header(CONNECTION_CONTEXT_CALL_ID, &client_id, -1),
            &ctx,
        ]);
        let (read_half, mut write_half) = stream.into_split();
        write_out(&mut write_half, &layer, &ctx_frame)
            .await
            .map_err(|reason| RpcError::ConnectionClosed {
                address: address.to_string(),
                reason,
            })?;

        let shared = Arc::new(Shared {
            address: address.to_string(),
            pending: Mutex::new(HashMap::new()),
            closed: Mutex::new(None),
        });
        let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let writer = tokio::spawn(writer_task(write_half, rx, layer.clone(), shared.clone()));
        let reader = tokio::spawn(reader_task(
            read_half,
            layer,
            shared.clone(),
            options.max_frame,
            leftover,
        ));
        tracing::debug!(
            address,
            protocol,
            auth = auth.name(),
            "Hadoop IPC connection established"
        );
        Ok(RpcConnection {
            inner: Arc::new(Inner {
                address: address.to_string(),
                protocol: protocol.to_string(),
                client_id,
                next_call_id: AtomicI32::new(0),
                shared,
                tx,
                options,
                tasks: vec![writer, reader],
            }),
        })
    }

    /// The server address.
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    /// Whether the connection has failed or been closed.
    pub fn is_closed(&self) -> bool {
        self.inner.shared.closed_reason().is_some()
    }

    /// Calls `method` of this connection's protocol with `req` and decodes the response.
    pub async fn call<Req: Message, Resp: Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> Result<Resp> {
        let inner = &self.inner;
        if let Some(reason) = inner.shared.closed_reason() {
            return Err(RpcError::ConnectionClosed {
                address: inner.address.clone(),
                reason,
            });
        }
        let call_id = inner.next_call_id.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff;
        let header = frame::request_header(call_id, &inner.client_id, 0);
        let rh = RequestHeaderProto {
            method_name: method.to_string(),
            declaring_class_protocol_name: inner.protocol.clone(),
            client_protocol_version: 1,
        };
        let bytes = frame::frame(&[&header, &rh, req]);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = inner.shared.pending.lock() {
            p.insert(call_id, tx);
        }
        if inner.tx.send(bytes).is_err() {
            inner
                .shared
                .pending
                .lock()
                .ok()
                .map(|mut p| p.remove(&call_id));
            let reason = inner
                .shared
                .closed_reason()
                .unwrap_or_else(|| "writer stopped".into());
            return Err(RpcError::ConnectionClosed {
                address: inner.address.clone(),
                reason,
            });
        }
        let result = match inner.options.call_timeout {
            Some(limit) => match tokio::time::timeout(limit, rx).await {
                Ok(r) => r,
                Err(_) => {
                    inner
                        .shared
                        .pending
                        .lock()
                        .ok()
                        .map(|mut p| p.remove(&call_id));
                    return Err(RpcError::Timeout {
                        what: format!("call {method}"),
                        address: inner.address.clone(),
                        after: limit,
                    });
                }
            },
            None => rx.await,
        };
        let payload = match result {
            Ok(r) => r?,
            Err(_) => {
                let reason = inner
                    .shared
                    .closed_reason()
                    .unwrap_or_else(|| "reader stopped".into());
                return Err(RpcError::ConnectionClosed {
                    address: inner.address.clone(),
                    reason,
                });
            }
        };
        frame::decode_delimited::<Resp>(&payload, method)
            .map_err(|e| RpcError::protocol(&inner.address, e))
    }
}

async fn write_out(
    w: &mut OwnedWriteHalf,
    layer: &Option<Layer>,
    bytes: &[u8],
) -> std::result::Result<(), String> {
    match layer {
        None => w.write_all(bytes).await.map_err(|e| e.to_string()),
        Some(l) => {
            let mut frames = Vec::new();
            {
                let mut l = l
                    .lock()
                    .map_err(|_| "security layer poisoned".to_string())?;
                let max = l.max_wrap_input().max(1);
                for chunk in bytes.chunks(max) {
                    let token = l.wrap(chunk)?;
                    frames.push(frame::sasl_frame(&RpcSaslProto {
                        state: SaslState::Wrap as i32,
                        token: Some(token),
                        ..Default::default()
                    }));
                }
            }
            for f in frames {
                w.write_all(&f).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        }
    }
}

async fn writer_task(
    mut w: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    layer: Option<Layer>,
    shared: Arc<Shared>,
) {
    while let Some(bytes) = rx.recv().await {
        if let Err(e) = write_out(&mut w, &layer, &bytes).await {
            shared.fail_all(&format!("write failed: {e}"));
            return;
        }
    }
    let _ = w.shutdown().await;
}

async fn read_frame(
    r: &mut (impl AsyncReadExt + Unpin),
    max: usize,
) -> std::result::Result<Vec<u8>, String> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "closed by the server".to_string()
        } else {
            e.to_string()
        }
    })?;
    let len = frame::check_len(u32::from_be_bytes(len), max)?;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await.map_err(|e| e.to_string())?;
    Ok(body)
}

async fn reader_task(
    mut r: OwnedReadHalf,
    layer: Option<Layer>,
    shared: Arc<Shared>,
    max: usize,
    leftover: Vec<u8>,
) {
    let mut plain: Vec<u8> = leftover;
    loop {
        // Frames already available in the plain stream (from unwrapping) come first.
        if layer.is_some() {
            match frame::pop_frame(&mut plain, max) {
                Ok(Some(body)) => {
                    if let Err(e) = dispatch(&shared, &body) {
                        shared.fail_all(&e);
                        return;
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    shared.fail_all(&e);
                    return;
                }
            }
        }
        let body = match read_frame(&mut r, max).await {
            Ok(b) => b,
            Err(e) => {
                shared.fail_all(&e);
                return;
            }
        };
        let outcome = match &layer {
            None => dispatch(&shared, &body),
            Some(l) => unwrap_into(l, &body, &mut plain),
        };
        if let Err(e) = outcome {
            shared.fail_all(&e);
            return;
        }
    }
}

fn unwrap_into(layer: &Layer, body: &[u8], plain: &mut Vec<u8>) -> std::result::Result<(), String> {
    let f = frame::decode_response(body)?;
    if f.call_id() != SASL_CALL_ID {
        return Err(format!(
            "expected a SASL-wrapped frame, got call id {}",
            f.call_id()
        ));
    }
    if f.header.status() != RpcStatusProto::Success {
        return Err(format!(
            "{}: {}",
            f.header.exception_class_name.clone().unwrap_or_default(),
            f.header.error_msg.clone().unwrap_or_default()
        ));
    }
    let msg: RpcSaslProto = frame::decode_delimited(&f.rest, "RpcSaslProto")?;
    if msg.state() != SaslState::Wrap {
        return Err(format!(
            "expected a SASL WRAP message, got {:?}",
            msg.state()
        ));
    }
    let data = layer
        .lock()
        .map_err(|_| "security layer poisoned".to_string())?
        .unwrap(msg.token())?;
    plain.extend_from_slice(&data);
    Ok(())
}

/// Handles one plain response frame; an error return closes the connection.
fn dispatch(shared: &Shared, body: &[u8]) -> std::result::Result<(), String> {
    let f = frame::decode_response(body)?;
    let call_id = f.call_id();
    let status = RpcStatusProto::try_from(f.header.status).unwrap_or(RpcStatusProto::Fatal);
    let class = f.header.exception_class_name.clone().unwrap_or_default();
    let message = f.header.error_msg.clone().unwrap_or_default();
    let waiter = shared
        .pending
        .lock()
        .ok()
        .and_then(|mut p| p.remove(&call_id));
    match status {
        RpcStatusProto::Success => match waiter {
            Some(tx) => {
                let _ = tx.send(Ok(f.rest));
                Ok(())
            }
            None => {
                tracing::debug!(address = %shared.address, call_id, "response for an unknown or abandoned call");
                Ok(())
            }
        },
        RpcStatusProto::Error => {
            if let Some(tx) = waiter {
                let _ = tx.send(Err(RpcError::Remote { class, message }));
            }
            Ok(())
        }
        RpcStatusProto::Fatal => {
            let err = RpcError::Fatal {
                address: shared.address.clone(),
                class: class.clone(),
                message: message.clone(),
            };
            if let Some(tx) = waiter {
                let _ = tx.send(Err(err));
            }
            Err(format!("server sent a fatal error: {class}: {message}"))
        }
    }
}

/// Reads one frame during the handshake, skipping nothing.
async fn read_sasl(stream: &mut TcpStream, address: &str, max: usize) -> Result<RpcSaslProto> {
    let body = read_frame(stream, max)
        .await
        .map_err(|e| RpcError::sasl(address, e))?;
    let f = frame::decode_response(&body).map_err(|e| RpcError::protocol(address, e))?;
    if f.header.status() != RpcStatusProto::Success {
        return Err(RpcError::Fatal {
            address: address.to_string(),
            class: f.header.exception_class_name.clone().unwrap_or_default(),
            message: f.header.error_msg.clone().unwrap_or_default(),
        });
    }
    if f.call_id() != SASL_CALL_ID {
        return Err(RpcError::sasl(
            address,
            format!("expected a SASL reply, got call id {}", f.call_id()),
        ));
    }
    frame::decode_delimited(&f.rest, "RpcSaslProto").map_err(|e| RpcError::protocol(address, e))
}

async fn send_sasl(stream: &mut TcpStream, address: &str, msg: &RpcSaslProto) -> Result<()> {
    stream
        .write_all(&frame::sasl_frame(msg))
        .await
        .map_err(|e| RpcError::ConnectionClosed {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

/// Runs the SASL exchange (hadoop-protocols.md section 2) and returns the security layer, if any.
async fn sasl_handshake(
    stream: &mut TcpStream,
    address: &str,
    auth: &AuthMethod,
    options: &ConnectionOptions,
    _leftover: &mut Vec<u8>,
) -> Result<Option<Box<dyn SecurityLayer>>> {
    let max = options.max_frame;
    send_sasl(
        stream,
        address,
        &RpcSaslProto {
            state: SaslState::Negotiate as i32,
            ..Default::default()
        },
    )
    .await?;
    let reply = read_sasl(stream, address, max).await?;
    match reply.state() {
        SaslState::Success => return Ok(None), // server uses SIMPLE
        SaslState::Negotiate => {}
        other => {
            return Err(RpcError::sasl(
                address,
                format!("expected NEGOTIATE, got {other:?}"),
            ));
        }
    }
    let wanted = auth.name();
    let offered: Vec<String> = reply
        .auths
        .iter()
        .map(|a| format!("{}/{}", a.method, a.mechanism))
        .collect();
    if reply.auths.iter().any(|a| a.method == "SIMPLE")
        && !reply.auths.iter().any(|a| a.method == wanted)
    {
        // Server allows SIMPLE: Hadoop clients then proceed without SASL.
        return Ok(None);
    }
    let chosen = reply.auths.iter().find(|a| a.method == wanted).cloned().ok_or_else(|| {
        RpcError::sasl(
            address,
            format!("server does not accept {wanted} authentication (it offers {}); use matching credentials", offered.join(", ")),
        )
    })?;
    let protocol = chosen.protocol.clone().unwrap_or_default();
    let server_id = chosen.server_id.clone().unwrap_or_default();
    let mut mech: Box<dyn SaslMechanism> = match auth {
        AuthMethod::Token(t) => {
            if chosen.mechanism != "DIGEST-MD5" {
                return Err(RpcError::sasl(
                    address,
                    format!("unsupported TOKEN mechanism {}", chosen.mechanism),
                ));
            }
            Box::new(DigestMd5Client::for_token(
                &t.identifier,
                &t.password,
                &protocol,
                &server_id,
                options.protection.clone(),
            ))
        }
        AuthMethod::Kerberos { factory, .. } => factory
            .create(&protocol, &server_id)
            .map_err(|e| RpcError::sasl(address, e))?,
        AuthMethod::Simple { .. } => return Ok(None),
    };
    let first = match &chosen.challenge {
        Some(ch) => Some(mech.evaluate(ch).map_err(|e| RpcError::sasl(address, e))?),
        None => mech
            .initial_response()
            .map_err(|e| RpcError::sasl(address, e))?,
    };
    let mut auth_msg = chosen.clone();
    auth_msg.challenge = None;
    send_sasl(
        stream,
        address,
        &RpcSaslProto {
            state: SaslState::Initiate as i32,
            token: first,
            auths: vec![auth_msg],
            ..Default::default()
        },
    )
    .await?;
    loop {
        let msg = read_sasl(stream, address, max).await?;
        match msg.state() {
            SaslState::Challenge => {
                let resp = mech
                    .evaluate(msg.token())
                    .map_err(|e| RpcError::sasl(address, e))?;
                send_sasl(
                    stream,
                    address,
                    &RpcSaslProto {
                        state: SaslState::Response as i32,
                        token: Some(resp),
                        ..Default::default()
                    },
                )
                .await?;
            }
            SaslState::Success => {
                if !mech.is_complete()
                    && let Some(tok) = &msg.token
                {
                    mech.evaluate(tok).map_err(|e| RpcError::sasl(address, e))?;
                }
                if !mech.is_complete() {
                    return Err(RpcError::sasl(
                        address,
                        "server reported SUCCESS before the client mechanism completed",
                    ));
                }
                return mech
                    .security_layer()
                    .map_err(|e| RpcError::sasl(address, e));
            }
            other => {
                return Err(RpcError::sasl(
                    address,
                    format!("unexpected SASL state {other:?}"),
                ));
            }
        }
    }
}
