//! Certificate helpers in the shape of `nomad tls ca create` and
//! `nomad tls cert create -server -region <r>`: same file names, server
//! certificates named `server.<region>.nomad`, usable for both TLS roles.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use ring::rand::{SecureRandom, SystemRandom};
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::error::{Error, Result};

/// File name of the CA certificate.
pub const CA_CERT_FILE: &str = "nomad-agent-ca.pem";
/// File name of the CA private key.
pub const CA_KEY_FILE: &str = "nomad-agent-ca-key.pem";
/// Default CA validity (Nomad: 5 years).
pub const CA_DAYS: u32 = 1825;
/// Default certificate validity (Nomad: 1 year).
pub const CERT_DAYS: u32 = 365;

/// File name of a region's server certificate.
pub fn server_cert_file(region: &str) -> String {
    format!("{region}-server-nomad.pem")
}

/// File name of a region's server key.
pub fn server_key_file(region: &str) -> String {
    format!("{region}-server-nomad-key.pem")
}

/// The DNS name a server of `region` is known by.
pub fn server_name(region: &str) -> String {
    format!("server.{region}.nomad")
}

/// A certificate and its private key, PEM-encoded.
#[derive(Clone, Debug)]
pub struct PemPair {
    pub cert: String,
    pub key: String,
}

fn tls_err(e: impl std::fmt::Display) -> Error {
    Error::Tls(e.to_string())
}

fn serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Tls("no system randomness".into()))?;
    bytes[0] &= 0x7f; // positive
    Ok(SerialNumber::from_slice(&bytes))
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now - TimeDuration::minutes(1);
    params.not_after = now + TimeDuration::days(i64::from(days));
}

/// A new CA, like `nomad tls ca create`.
pub fn create_ca(days: u32) -> Result<PemPair> {
    let key = KeyPair::generate().map_err(tls_err)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "Nomad Agent CA");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Nomad");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.serial_number = Some(serial()?);
    validity(&mut params, days);
    let cert = params.self_signed(&key).map_err(tls_err)?;
    Ok(PemPair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// A server certificate for `region` signed by `ca`, like `nomad tls cert
/// create -server -region <region>`: names `server.<region>.nomad`,
/// `localhost`, `127.0.0.1` plus `extra_names`; good for server and client
/// authentication.
pub fn create_server_cert(
    ca: &PemPair,
    region: &str,
    days: u32,
    extra_names: &[String],
) -> Result<PemPair> {
    let ca_key = KeyPair::from_pem(&ca.key).map_err(tls_err)?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert, ca_key).map_err(tls_err)?;
    let mut names = vec![
        server_name(region),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ];
    names.extend(extra_names.iter().cloned());
    let mut params = CertificateParams::new(names).map_err(tls_err)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, server_name(region));
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(serial()?);
    validity(&mut params, days);
    let key = KeyPair::generate().map_err(tls_err)?;
    let cert = params.signed_by(&key, &issuer).map_err(tls_err)?;
    Ok(PemPair {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// Writes a file that must not exist yet; keys are readable by the owner only.
fn write_new(path: &Path, contents: &str, secret: bool) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// Creates a CA in `dir` as `nomad-agent-ca.pem` / `nomad-agent-ca-key.pem`;
/// returns (cert path, key path). Refuses to overwrite.
pub fn write_ca(dir: &Path, days: u32) -> Result<(PathBuf, PathBuf)> {
    let ca = create_ca(days)?;
    let cert = dir.join(CA_CERT_FILE);
    let key = dir.join(CA_KEY_FILE);
    write_new(&cert, &ca.cert, false)?;
    write_new(&key, &ca.key, true)?;
    Ok((cert, key))
}

/// Creates `<region>-server-nomad.pem` / `-key.pem` in `dir`, signed by the
/// CA in the given files; returns (cert path, key path). Refuses to overwrite.
pub fn write_server_cert(
    dir: &Path,
    ca_cert: &Path,
    ca_key: &Path,
    region: &str,
    days: u32,
) -> Result<(PathBuf, PathBuf)> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| Error::Tls(format!("{}: {e}", p.display())))
    };
    let ca = PemPair {
        cert: read(ca_cert)?,
        key: read(ca_key)?,
    };
    let pair = create_server_cert(&ca, region, days, &[])?;
    let cert = dir.join(server_cert_file(region));
    let key = dir.join(server_key_file(region));
    write_new(&cert, &pair.cert, false)?;
    write_new(&key, &pair.key, true)?;
    Ok((cert, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    #[test]
    fn server_cert_chains_to_the_ca_and_names_its_region() {
        let ca = create_ca(CA_DAYS).unwrap();
        let leaf = create_server_cert(&ca, "west", CERT_DAYS, &[]).unwrap();
        let ca_der = CertificateDer::from_pem_slice(ca.cert.as_bytes()).unwrap();
        let leaf_der = CertificateDer::from_pem_slice(leaf.cert.as_bytes()).unwrap();
        let anchor = webpki::anchor_from_trusted_cert(&ca_der).unwrap();
        let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &[],
            UnixTime::now(),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .unwrap();
        let west = ServerName::try_from("server.west.nomad").unwrap();
        let east = ServerName::try_from("server.east.nomad").unwrap();
        assert!(ee.verify_is_valid_for_subject_name(&west).is_ok());
        assert!(ee.verify_is_valid_for_subject_name(&east).is_err());
    }

    #[test]
    fn files_use_nomad_names_and_refuse_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let (ca_cert, ca_key) = write_ca(dir.path(), CA_DAYS).unwrap();
        assert!(ca_cert.ends_with("nomad-agent-ca.pem"));
        assert!(ca_key.ends_with("nomad-agent-ca-key.pem"));
        assert!(write_ca(dir.path(), CA_DAYS).is_err());
        let (cert, key) =
            write_server_cert(dir.path(), &ca_cert, &ca_key, "global", CERT_DAYS).unwrap();
        assert!(cert.ends_with("global-server-nomad.pem"));
        assert!(key.ends_with("global-server-nomad-key.pem"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key must not be group/world readable");
        }
    }
}
