//! Kerberos SASL (GSSAPI, RFC 4752) client mechanism over libgssapi (feature `kerberos`).
//! Uses the default credential cache (`kinit` or `KRB5CCNAME`).

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, OidSet};

use super::{KerberosMechanismFactory, SaslMechanism, SecurityLayer};

/// Factory for [`GssapiClient`] using the default credential cache.
#[derive(Debug, Default, Clone)]
pub struct GssapiFactory;

impl KerberosMechanismFactory for GssapiFactory {
    fn create(&self, service: &str, host: &str) -> Result<Box<dyn SaslMechanism>, String> {
        Ok(Box::new(GssapiClient::new(service, host)?))
    }
}

/// GSSAPI SASL client state.
pub struct GssapiClient {
    ctx: ClientCtx,
    established: bool,
    complete: bool,
}

impl GssapiClient {
    /// Starts a context for `service@host`.
    pub fn new(service: &str, host: &str) -> Result<Self, String> {
        let target = format!("{service}@{host}");
        let name = Name::new(target.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
            .map_err(|e| format!("invalid Kerberos service name {target}: {e}"))?;
        let name = name
            .canonicalize(Some(GSS_MECH_KRB5))
            .map_err(|e| e.to_string())?;
        let mut mechs = OidSet::new();
        mechs.add(GSS_MECH_KRB5).map_err(|e| e.to_string())?;
        let cred = Cred::acquire(None, None, CredUsage::Initiate, Some(&mechs))
            .map_err(|e| format!("no Kerberos credentials (run kinit or set KRB5CCNAME): {e}"))?;
        let ctx = ClientCtx::new(
            Some(cred),
            name,
            CtxFlags::GSS_C_MUTUAL_FLAG | CtxFlags::GSS_C_SEQUENCE_FLAG,
            Some(GSS_MECH_KRB5),
        );
        Ok(GssapiClient {
            ctx,
            established: false,
            complete: false,
        })
    }
}

impl SaslMechanism for GssapiClient {
    fn mechanism(&self) -> &str {
        "GSSAPI"
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, String> {
        let tok = self.ctx.step(None, None).map_err(|e| e.to_string())?;
        if self.ctx.is_complete() {
            self.established = true;
        }
        Ok(Some(tok.map(|t| t.to_vec()).unwrap_or_default()))
    }

    fn evaluate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, String> {
        if !self.established {
            let tok = self
                .ctx
                .step(Some(challenge), None)
                .map_err(|e| e.to_string())?;
            if self.ctx.is_complete() {
                self.established = true;
            }
            return Ok(tok.map(|t| t.to_vec()).unwrap_or_default());
        }
        // RFC 4752 security layer negotiation: the server offers layers and max size; choose
        // "no security layer" (1) when offered.
        let offer = self.ctx.unwrap(challenge).map_err(|e| e.to_string())?;
        if offer.len() != 4 {
            return Err("invalid GSSAPI security layer offer".into());
        }
        if offer[0] & 1 == 0 {
            return Err("server requires a GSSAPI security layer (integrity/privacy), which is not supported yet".into());
        }
        let reply = [1u8, 0, 0, 0];
        let wrapped = self.ctx.wrap(false, &reply).map_err(|e| e.to_string())?;
        self.complete = true;
        Ok(wrapped.to_vec())
    }

    fn is_complete(&self) -> bool {
        self.complete
    }

    fn security_layer(&self) -> Result<Option<Box<dyn SecurityLayer>>, String> {
        Ok(None)
    }
}
