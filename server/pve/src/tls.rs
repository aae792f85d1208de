//! TLS for the PVE API: system CAs, a CA file, or SHA-256 certificate pinning; "insecure" only
//! as an explicit opt-in. Every mode records the fingerprint of the certificate the server
//! presented, so errors and `provisio doctor` can show it.
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::Tls;
use crate::error::{Error, Result};

/// SHA-256 of a DER certificate as `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint of the last certificate a server presented on this client.
#[derive(Debug, Clone, Default)]
pub struct SeenCert(Arc<Mutex<Option<String>>>);

impl SeenCert {
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|g| g.clone())
    }
    fn set(&self, fp: String) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(fp);
        }
    }
}

#[derive(Debug)]
enum Check {
    WebPki(Arc<WebPkiServerVerifier>),
    Pinned(String),
    Insecure,
}

#[derive(Debug)]
struct Verifier {
    check: Check,
    seen: SeenCert,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let fp = fingerprint(end_entity.as_ref());
        self.seen.set(fp.clone());
        match &self.check {
            Check::WebPki(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            Check::Pinned(want) if *want == fp => Ok(ServerCertVerified::assertion()),
            Check::Pinned(want) => Err(rustls::Error::General(format!(
                "certificate fingerprint mismatch: pinned {want}, server presented {fp}"
            ))),
            Check::Insecure => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client config for this TLS mode, and the slot that records the server's fingerprint.
pub fn client_config(tls: &Tls) -> Result<(rustls::ClientConfig, SeenCert)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = |roots: RootCertStore| -> Result<Check> {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map(Check::WebPki)
            .map_err(|e| Error::Tls {
                message: format!("cannot build the certificate verifier: {e}"),
                seen_fingerprint: None,
            })
    };
    let check = match tls {
        Tls::SystemCa => {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(Error::config(
                    "ca_file",
                    "no system CA certificates found; set `fingerprint` (PROVISIO_PVE_FINGERPRINT) or `ca_file`",
                ));
            }
            webpki(roots)?
        }
        Tls::CaFile { path } => {
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| Error::config("ca_file", format!("{}: {e}", path.display())))?;
            for c in certs {
                let c =
                    c.map_err(|e| Error::config("ca_file", format!("{}: {e}", path.display())))?;
                roots
                    .add(c)
                    .map_err(|e| Error::config("ca_file", format!("{}: {e}", path.display())))?;
            }
            if roots.is_empty() {
                return Err(Error::config(
                    "ca_file",
                    format!("{} holds no PEM certificate", path.display()),
                ));
            }
            webpki(roots)?
        }
        Tls::Pinned { fingerprint } => Check::Pinned(fingerprint.clone()),
        Tls::Insecure => Check::Insecure,
    };
    let seen = SeenCert::default();
    let verifier = Verifier {
        check,
        seen: seen.clone(),
        provider: provider.clone(),
    };
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls {
            message: e.to_string(),
            seen_fingerprint: None,
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((cfg, seen))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprint_format() {
        let fp = super::fingerprint(b"abc");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.starts_with("BA:78:16:BF"));
    }
}
