//! SASL DIGEST-MD5 client (RFC 2831) as Hadoop's TOKEN authentication uses it: username =
//! base64(token identifier), password = base64(token password), with the `auth`, `auth-int`
//! and `auth-conf` (3DES, DES, RC4, RC4-56, RC4-40) qualities of protection.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use des::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, StreamCipher, generic_array::GenericArray};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use rand::RngCore;

use super::{SaslMechanism, SecurityLayer};
use crate::conf::RpcProtection;

type HmacMd5 = Hmac<Md5>;

const CLIENT_SIGN: &[u8] = b"Digest session key to client-to-server signing key magic constant";
const SERVER_SIGN: &[u8] = b"Digest session key to server-to-client signing key magic constant";
const CLIENT_SEAL: &[u8] = b"Digest H(A1) to client-to-server sealing key magic constant";
const SERVER_SEAL: &[u8] = b"Digest H(A1) to server-to-client sealing key magic constant";

/// Largest challenge accepted.
const MAX_CHALLENGE: usize = 16 * 1024;

/// Parsed `key=value` directives of a digest challenge.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Directives(pub(crate) Vec<(String, String)>);

impl Directives {
    pub(crate) fn parse(input: &[u8]) -> Result<Self, String> {
        if input.len() > MAX_CHALLENGE {
            return Err(format!(
                "digest challenge of {} bytes is too large",
                input.len()
            ));
        }
        let s =
            std::str::from_utf8(input).map_err(|_| "digest challenge is not UTF-8".to_string())?;
        let mut out = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let ks = i;
            while i < b.len() && b[i] != b'=' {
                i += 1;
            }
            if i >= b.len() {
                return Err(format!("digest directive '{}' has no value", &s[ks..]));
            }
            let key = s[ks..i].trim().to_ascii_lowercase();
            i += 1;
            let mut val = String::new();
            if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'\\' if i + 1 < b.len() => {
                            val.push(b[i + 1] as char);
                            i += 2;
                        }
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        _ => {
                            // Push the whole UTF-8 character.
                            let ch_len = utf8_len(b[i]);
                            let end = (i + ch_len).min(b.len());
                            val.push_str(s.get(i..end).unwrap_or(""));
                            i = end;
                        }
                    }
                }
                if !closed {
                    return Err(format!("unterminated quoted value for '{key}'"));
                }
            } else {
                let vs = i;
                while i < b.len() && b[i] != b',' {
                    i += 1;
                }
                val = s[vs..i].trim().to_string();
            }
            out.push((key, val));
        }
        Ok(Directives(out))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qop {
    Auth,
    AuthInt,
    AuthConf,
}

impl Qop {
    fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
            Qop::AuthConf => "auth-conf",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cipher {
    TripleDes,
    Des,
    Rc4,
    Rc4_56,
    Rc4_40,
}

impl Cipher {
    fn name(self) -> &'static str {
        match self {
            Cipher::TripleDes => "3des",
            Cipher::Des => "des",
            Cipher::Rc4 => "rc4",
            Cipher::Rc4_56 => "rc4-56",
            Cipher::Rc4_40 => "rc4-40",
        }
    }
    /// Number of bytes of H(A1) used to derive the sealing key (RFC 2831 2.4).
    fn n(self) -> usize {
        match self {
            Cipher::TripleDes | Cipher::Rc4 => 16,
            Cipher::Des | Cipher::Rc4_56 => 7,
            Cipher::Rc4_40 => 5,
        }
    }
}

/// State of the DIGEST-MD5 client.
pub struct DigestMd5Client {
    username: String,
    password: String,
    digest_uri: String,
    preferred: Vec<RpcProtection>,
    state: State,
}

enum State {
    Start,
    SentResponse {
        ha1: [u8; 16],
        expected_rspauth: String,
        qop: Qop,
        cipher: Option<Cipher>,
        maxbuf: usize,
    },
    Complete {
        ha1: [u8; 16],
        qop: Qop,
        cipher: Option<Cipher>,
        maxbuf: usize,
    },
    Failed,
}

impl DigestMd5Client {
    /// A client for a Hadoop token: `protocol`/`server_id` as the server advertised them
    /// (digest-uri = `protocol/server_id`), `preferred` = the client's `hadoop.rpc.protection`.
    pub fn for_token(
        identifier: &[u8],
        password: &[u8],
        protocol: &str,
        server_id: &str,
        preferred: Vec<RpcProtection>,
    ) -> Self {
        DigestMd5Client {
            username: B64.encode(identifier),
            password: B64.encode(password),
            digest_uri: format!("{protocol}/{server_id}"),
            preferred,
            state: State::Start,
        }
    }

    fn choose_qop(&self, offered: &[Qop]) -> Result<Qop, String> {
        for p in &self.preferred {
            let q = match p {
                RpcProtection::Authentication => Qop::Auth,
                RpcProtection::Integrity => Qop::AuthInt,
                RpcProtection::Privacy => Qop::AuthConf,
            };
            if offered.contains(&q) {
                return Ok(q);
            }
        }
        // The server demands a protection the client did not list: follow the server.
        for q in [Qop::AuthConf, Qop::AuthInt, Qop::Auth] {
            if offered.contains(&q) {
                return Ok(q);
            }
        }
        Err("server offered no supported qop".into())
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, String> {
        let d = Directives::parse(challenge)?;
        let nonce = d
            .get("nonce")
            .ok_or("digest challenge has no nonce")?
            .to_string();
        if let Some(alg) = d.get("algorithm")
            && !alg.eq_ignore_ascii_case("md5-sess")
        {
            return Err(format!(
                "unsupported digest algorithm '{alg}' (need md5-sess)"
            ));
        }
        let realm = d.get("realm").unwrap_or("").to_string();
        let offered: Vec<Qop> = d
            .get("qop")
            .unwrap_or("auth")
            .split(',')
            .filter_map(|q| match q.trim() {
                "auth" => Some(Qop::Auth),
                "auth-int" => Some(Qop::AuthInt),
                "auth-conf" => Some(Qop::AuthConf),
                _ => None,
            })
            .collect();
        let qop = self.choose_qop(&offered)?;
        let cipher = if qop == Qop::AuthConf {
            let offered_ciphers: Vec<String> = d
                .get("cipher")
                .unwrap_or("")
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect();
            let pick = [
                Cipher::TripleDes,
                Cipher::Rc4,
                Cipher::Des,
                Cipher::Rc4_56,
                Cipher::Rc4_40,
            ]
            .into_iter()
            .find(|c| offered_ciphers.iter().any(|o| o == c.name()))
            .ok_or_else(|| {
                format!(
                    "server offered no supported cipher ({})",
                    offered_ciphers.join(",")
                )
            })?;
            Some(pick)
        } else {
            None
        };
        let maxbuf = d
            .get("maxbuf")
            .map(|m| {
                m.parse::<usize>()
                    .map_err(|_| format!("invalid maxbuf '{m}'"))
            })
            .transpose()?
            .unwrap_or(65536);
        if maxbuf < 64 {
            return Err(format!("server maxbuf {maxbuf} is too small"));
        }
        let utf8 = d
            .get("charset")
            .is_some_and(|c| c.eq_ignore_ascii_case("utf-8"));
        let mut cnonce_raw = [0u8; 24];
        rand::rng().fill_bytes(&mut cnonce_raw);
        let cnonce = B64.encode(cnonce_raw);
        let nc = "00000001";
        let inner = md5(&[
            self.username.as_bytes(),
            b":",
            realm.as_bytes(),
            b":",
            self.password.as_bytes(),
        ]);
        let ha1 = md5(&[&inner, b":", nonce.as_bytes(), b":", cnonce.as_bytes()]);
        let a2_suffix: &[u8] = if qop == Qop::Auth {
            b""
        } else {
            b":00000000000000000000000000000000"
        };
        let ha2 = md5(&[b"AUTHENTICATE:", self.digest_uri.as_bytes(), a2_suffix]);
        let kd = |ha2: &[u8; 16]| {
            hex(&md5(&[
                hex(&ha1).as_bytes(),
                b":",
                nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                cnonce.as_bytes(),
                b":",
                qop.name().as_bytes(),
                b":",
                hex(ha2).as_bytes(),
            ]))
        };
        let response = kd(&ha2);
        let rsp_ha2 = md5(&[b":", self.digest_uri.as_bytes(), a2_suffix]);
        let expected_rspauth = kd(&rsp_ha2);
        let mut out = String::new();
        if utf8 {
            out.push_str("charset=utf-8,");
        }
        out.push_str(&format!(
            "username=\"{}\",realm=\"{}\",nonce=\"{}\",nc={nc},cnonce=\"{}\",digest-uri=\"{}\",maxbuf=65536,response={},qop={}",
            self.username,
            quote(&realm),
            quote(&nonce),
            cnonce,
            quote(&self.digest_uri),
            response,
            qop.name()
        ));
        if let Some(c) = cipher {
            out.push_str(&format!(",cipher={}", c.name()));
        }
        self.state = State::SentResponse {
            ha1,
            expected_rspauth,
            qop,
            cipher,
            maxbuf,
        };
        Ok(out.into_bytes())
    }
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl SaslMechanism for DigestMd5Client {
    fn mechanism(&self) -> &str {
        "DIGEST-MD5"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }

    fn evaluate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, String> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Start => self.respond(challenge),
            State::SentResponse {
                ha1,
                expected_rspauth,
                qop,
                cipher,
                maxbuf,
            } => {
                let d = Directives::parse(challenge)?;
                let got = d
                    .get("rspauth")
                    .ok_or("server's final digest message has no rspauth")?;
                if got != expected_rspauth {
                    return Err("server's rspauth does not match: the server does not know the token secret".into());
                }
                self.state = State::Complete {
                    ha1,
                    qop,
                    cipher,
                    maxbuf,
                };
                Ok(Vec::new())
            }
            State::Complete { .. } | State::Failed => {
                Err("unexpected digest challenge after completion".into())
            }
        }
    }

    fn is_complete(&self) -> bool {
        matches!(self.state, State::Complete { .. })
    }

    fn security_layer(&self) -> Result<Option<Box<dyn SecurityLayer>>, String> {
        let State::Complete {
            ha1,
            qop,
            cipher,
            maxbuf,
        } = &self.state
        else {
            return Err("SASL negotiation is not complete".into());
        };
        Ok(match qop {
            Qop::Auth => None,
            Qop::AuthInt => Some(Box::new(DigestLayer::new(ha1, None, *maxbuf)?)),
            Qop::AuthConf => Some(Box::new(DigestLayer::new(ha1, *cipher, *maxbuf)?)),
        })
    }
}

/// Integrity/confidentiality layer after a DIGEST-MD5 exchange with qop auth-int / auth-conf.
pub(crate) struct DigestLayer {
    kic: [u8; 16],
    kis: [u8; 16],
    send_seq: u32,
    recv_seq: u32,
    seal: Option<(Sealer, Sealer)>,
    max_raw: usize,
}

enum Sealer {
    TripleDes {
        cipher: Box<des::TdesEde3>,
        iv: [u8; 8],
    },
    Des {
        cipher: Box<des::Des>,
        iv: [u8; 8],
    },
    Rc4(Box<rc4::Rc4<rc4::consts::U16>>),
}

fn des_key(k7: &[u8]) -> [u8; 8] {
    // Spread 56 bits over 8 bytes, 7 bits each in the high bits (parity bits are ignored by DES).
    let mut v: u64 = 0;
    for b in k7 {
        v = (v << 8) | *b as u64;
    }
    let mut out = [0u8; 8];
    for (i, o) in out.iter_mut().enumerate() {
        let bits = ((v >> (49 - 7 * i)) & 0x7f) as u8;
        let b = bits << 1;
        *o = if b.count_ones().is_multiple_of(2) {
            b | 1
        } else {
            b
        };
    }
    out
}

impl Sealer {
    fn new(cipher: Cipher, kc: &[u8; 16]) -> Result<Self, String> {
        let mut iv = [0u8; 8];
        iv.copy_from_slice(&kc[8..16]);
        Ok(match cipher {
            Cipher::TripleDes => {
                let k1 = des_key(&kc[0..7]);
                let k2 = des_key(&kc[7..14]);
                let mut key = [0u8; 24];
                key[..8].copy_from_slice(&k1);
                key[8..16].copy_from_slice(&k2);
                key[16..].copy_from_slice(&k1);
                let c = des::TdesEde3::new_from_slice(&key).map_err(|e| e.to_string())?;
                Sealer::TripleDes {
                    cipher: Box::new(c),
                    iv,
                }
            }
            Cipher::Des => {
                let c = des::Des::new_from_slice(&des_key(&kc[0..7])).map_err(|e| e.to_string())?;
                Sealer::Des {
                    cipher: Box::new(c),
                    iv,
                }
            }
            Cipher::Rc4 | Cipher::Rc4_56 | Cipher::Rc4_40 => Sealer::Rc4(Box::new(
                rc4::Rc4::new_from_slice(kc).map_err(|e| e.to_string())?,
            )),
        })
    }

    fn block_size(&self) -> usize {
        match self {
            Sealer::Rc4(_) => 1,
            _ => 8,
        }
    }

    fn encrypt(&mut self, data: &mut [u8]) {
        match self {
            Sealer::TripleDes { cipher, iv } => cbc_encrypt(cipher.as_ref(), iv, data),
            Sealer::Des { cipher, iv } => cbc_encrypt(cipher.as_ref(), iv, data),
            Sealer::Rc4(c) => c.apply_keystream(data),
        }
    }

    fn decrypt(&mut self, data: &mut [u8]) {
        match self {
            Sealer::TripleDes { cipher, iv } => cbc_decrypt(cipher.as_ref(), iv, data),
            Sealer::Des { cipher, iv } => cbc_decrypt(cipher.as_ref(), iv, data),
            Sealer::Rc4(c) => c.apply_keystream(data),
        }
    }
}

// CBC chaining continues across messages, as the Java implementation keeps one cipher object.
fn cbc_encrypt<C: BlockEncrypt>(c: &C, iv: &mut [u8; 8], data: &mut [u8]) {
    for block in data.chunks_exact_mut(8) {
        for (b, v) in block.iter_mut().zip(iv.iter()) {
            *b ^= v;
        }
        c.encrypt_block(GenericArray::from_mut_slice(block));
        iv.copy_from_slice(block);
    }
}

fn cbc_decrypt<C: BlockDecrypt>(c: &C, iv: &mut [u8; 8], data: &mut [u8]) {
    for block in data.chunks_exact_mut(8) {
        let mut next_iv = [0u8; 8];
        next_iv.copy_from_slice(block);
        c.decrypt_block(GenericArray::from_mut_slice(block));
        for (b, v) in block.iter_mut().zip(iv.iter()) {
            *b ^= v;
        }
        *iv = next_iv;
    }
}

fn mac(key: &[u8; 16], seq: u32, msg: &[u8]) -> [u8; 10] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacMd5 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(&seq.to_be_bytes());
    m.update(msg);
    let full = m.finalize().into_bytes();
    let mut out = [0u8; 10];
    out.copy_from_slice(&full[..10]);
    out
}

impl DigestLayer {
    fn new(ha1: &[u8; 16], cipher: Option<Cipher>, server_maxbuf: usize) -> Result<Self, String> {
        let kic = md5(&[ha1, CLIENT_SIGN]);
        let kis = md5(&[ha1, SERVER_SIGN]);
        let seal = match cipher {
            Some(c) => {
                let kcc = md5(&[&ha1[..c.n()], CLIENT_SEAL]);
                let kcs = md5(&[&ha1[..c.n()], SERVER_SEAL]);
                Some((Sealer::new(c, &kcc)?, Sealer::new(c, &kcs)?))
            }
            None => None,
        };
        // Room for MAC (10), type (2), seq (4) and up to 8 bytes of padding.
        let max_raw = server_maxbuf.saturating_sub(24).max(32);
        Ok(DigestLayer {
            kic,
            kis,
            send_seq: 0,
            recv_seq: 0,
            seal,
            max_raw,
        })
    }
}

impl SecurityLayer for DigestLayer {
    fn max_wrap_input(&self) -> usize {
        self.max_raw
    }

    fn wrap(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
        let seq = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        let tag = mac(&self.kic, seq, data);
        let mut out = match &mut self.seal {
            None => {
                let mut v = Vec::with_capacity(data.len() + 16);
                v.extend_from_slice(data);
                v.extend_from_slice(&tag);
                v
            }
            Some((enc, _)) => {
                let bs = enc.block_size();
                let pad = if bs > 1 {
                    bs - (data.len() + 10) % bs
                } else {
                    0
                };
                let mut v = Vec::with_capacity(data.len() + pad + 16);
                v.extend_from_slice(data);
                v.extend(std::iter::repeat_n(pad as u8, pad));
                v.extend_from_slice(&tag);
                enc.encrypt(&mut v);
                v
            }
        };
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
        Ok(out)
    }

    fn unwrap(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() < 16 {
            return Err(format!(
                "wrapped message of {} bytes is too short",
                data.len()
            ));
        }
        let (body, trailer) = data.split_at(data.len() - 6);
        if trailer[0..2] != [0, 1] {
            return Err("wrapped message has an invalid message type".into());
        }
        let seq = u32::from_be_bytes([trailer[2], trailer[3], trailer[4], trailer[5]]);
        if seq != self.recv_seq {
            return Err(format!(
                "wrapped message sequence number {seq}, expected {}",
                self.recv_seq
            ));
        }
        self.recv_seq = self.recv_seq.wrapping_add(1);
        let (msg, tag) = match &mut self.seal {
            None => {
                let (m, t) = body.split_at(body.len() - 10);
                (m.to_vec(), t.to_vec())
            }
            Some((_, dec)) => {
                let bs = dec.block_size();
                if !body.len().is_multiple_of(bs) {
                    return Err("encrypted message is not a whole number of blocks".into());
                }
                let mut plain = body.to_vec();
                dec.decrypt(&mut plain);
                let tag = plain.split_off(plain.len() - 10);
                if bs > 1 {
                    let pad = *plain.last().ok_or("encrypted message has no padding")? as usize;
                    if pad == 0 || pad > bs || pad > plain.len() {
                        return Err("encrypted message has invalid padding".into());
                    }
                    plain.truncate(plain.len() - pad);
                }
                (plain, tag)
            }
        };
        let expected = mac(&self.kis, seq, &msg);
        if tag != expected {
            return Err("wrapped message failed the integrity check".into());
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hadoop_challenge() {
        let c = br#"realm="default",nonce="abc\"d",qop="auth,auth-int,auth-conf",charset=utf-8,cipher="3des,rc4,des,rc4-56,rc4-40",algorithm=md5-sess"#;
        let d = Directives::parse(c).unwrap();
        assert_eq!(d.get("realm"), Some("default"));
        assert_eq!(d.get("nonce"), Some("abc\"d"));
        assert_eq!(d.get("qop"), Some("auth,auth-int,auth-conf"));
        assert_eq!(d.get("algorithm"), Some("md5-sess"));
        assert!(Directives::parse(b"realm=\"x").is_err());
        assert!(Directives::parse(b"novalue").is_err());
    }

    #[test]
    fn rfc2831_example_response() {
        // RFC 2831 section 4 example (IMAP): user chris, password secret.
        let username = "chris";
        let realm = "elwood.innosoft.com";
        let nonce = "OA6MG9tEQGm2hh";
        let cnonce = "OA6MHXh6VqTrRk";
        let inner = md5(&[username.as_bytes(), b":", realm.as_bytes(), b":", b"secret"]);
        let ha1 = md5(&[&inner, b":", nonce.as_bytes(), b":", cnonce.as_bytes()]);
        let ha2 = md5(&[b"AUTHENTICATE:imap/elwood.innosoft.com"]);
        let resp = hex(&md5(&[
            hex(&ha1).as_bytes(),
            b":",
            nonce.as_bytes(),
            b":00000001:",
            cnonce.as_bytes(),
            b":auth:",
            hex(&ha2).as_bytes(),
        ]));
        assert_eq!(resp, "d388dad90d4bbd760a152321f2143af7");
    }

    /// A server-side mirror of the layer, to check wrap/unwrap against each other.
    fn pair(cipher: Option<Cipher>) -> (DigestLayer, DigestLayer) {
        let ha1 = [7u8; 16];
        let client = DigestLayer::new(&ha1, cipher, 65536).unwrap();
        let mut server = DigestLayer::new(&ha1, cipher, 65536).unwrap();
        std::mem::swap(&mut server.kic, &mut server.kis);
        if let Some(c) = cipher {
            let kcc = md5(&[&ha1[..c.n()], CLIENT_SEAL]);
            let kcs = md5(&[&ha1[..c.n()], SERVER_SEAL]);
            server.seal = Some((Sealer::new(c, &kcs).unwrap(), Sealer::new(c, &kcc).unwrap()));
        }
        (client, server)
    }

    #[test]
    fn layers_roundtrip_and_detect_tampering() {
        for cipher in [
            None,
            Some(Cipher::TripleDes),
            Some(Cipher::Des),
            Some(Cipher::Rc4),
        ] {
            let (mut c, mut s) = pair(cipher);
            for msg in [&b"hello"[..], &[0u8; 1000][..], b""] {
                let w = c.wrap(msg).unwrap();
                if cipher.is_some() && !msg.is_empty() {
                    assert!(
                        !w.windows(msg.len().min(5))
                            .any(|x| x == &msg[..msg.len().min(5)])
                            || msg.iter().all(|b| *b == 0)
                    );
                }
                assert_eq!(s.unwrap(msg_clone(&w).as_slice()).unwrap(), msg);
                let back = s.wrap(msg).unwrap();
                assert_eq!(c.unwrap(&back).unwrap(), msg);
            }
            let mut w = c.wrap(b"payload").unwrap();
            w[0] ^= 1;
            assert!(s.unwrap(&w).is_err(), "{cipher:?}");
        }
    }

    fn msg_clone(v: &[u8]) -> Vec<u8> {
        v.to_vec()
    }

    #[test]
    fn full_exchange_against_reference_server_math() {
        let mut c = DigestMd5Client::for_token(
            b"id",
            b"pw",
            "",
            "default",
            vec![RpcProtection::Authentication],
        );
        let resp = c
            .evaluate(br#"realm="default",nonce="n1",qop="auth",charset=utf-8,algorithm=md5-sess"#)
            .unwrap();
        let d = Directives::parse(&resp).unwrap();
        assert_eq!(d.get("digest-uri"), Some("/default"));
        assert_eq!(d.get("username"), Some(B64.encode(b"id").as_str()));
        assert_eq!(d.get("qop"), Some("auth"));
        // Recompute the server's view and its rspauth.
        let user = B64.encode(b"id");
        let pw = B64.encode(b"pw");
        let inner = md5(&[user.as_bytes(), b":default:", pw.as_bytes()]);
        let cnonce = d.get("cnonce").unwrap();
        let ha1 = md5(&[&inner, b":n1:", cnonce.as_bytes()]);
        let kd = |a2: &[u8]| {
            hex(&md5(&[
                hex(&ha1).as_bytes(),
                b":n1:00000001:",
                cnonce.as_bytes(),
                b":auth:",
                hex(&md5(&[a2])).as_bytes(),
            ]))
        };
        assert_eq!(d.get("response").unwrap(), kd(b"AUTHENTICATE:/default"));
        assert!(c.evaluate(b"rspauth=0000").is_err());
        let mut c2 = DigestMd5Client::for_token(
            b"id",
            b"pw",
            "",
            "default",
            vec![RpcProtection::Authentication],
        );
        let _ = c2
            .evaluate(br#"realm="default",nonce="n1",qop="auth",charset=utf-8,algorithm=md5-sess"#)
            .unwrap();
        // Different cnonce: the rspauth of c does not apply; just check completion logic with c2's own value.
        assert!(!c2.is_complete());
    }

    #[test]
    fn server_demanding_privacy_is_followed() {
        let mut c = DigestMd5Client::for_token(
            b"id",
            b"pw",
            "",
            "default",
            vec![RpcProtection::Authentication],
        );
        let resp = c
            .evaluate(br#"realm="default",nonce="n",qop="auth-conf",cipher="rc4,3des",charset=utf-8,algorithm=md5-sess"#)
            .unwrap();
        let d = Directives::parse(&resp).unwrap();
        assert_eq!(d.get("qop"), Some("auth-conf"));
        assert_eq!(d.get("cipher"), Some("3des"));
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn challenge_parsing_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Directives::parse(&data);
            let mut c = DigestMd5Client::for_token(b"i", b"p", "", "default", vec![RpcProtection::Privacy]);
            let _ = c.evaluate(&data);
            let _ = c.evaluate(&data);
        }

        #[test]
        fn unwrap_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), conf in any::<bool>()) {
            let mut l = DigestLayer::new(&[3u8; 16], conf.then_some(Cipher::TripleDes), 65536).unwrap();
            let _ = l.unwrap(&data);
        }
    }
}
