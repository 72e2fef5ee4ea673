//! `nomad tls cert create -server [-region R] [-ca F] [-key F] [-days N] [-additional-dnsname D]
//! [-additional-ipaddress IP]`: writes `<region>-server-nomad.pem` and `<region>-server-nomad-key.pem`,
//! a certificate for `server.<region>.nomad` (plus `localhost` and `127.0.0.1`) signed by the CA. Only
//! server certificates exist in this version: the mesh is the only TLS user so far.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use nomad_gossip::tls::certs;

use super::write_new;
use crate::cli::CliError;

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Create a certificate signed by the CA.
    Create(CertCreateArgs),
}

#[derive(Debug, Args)]
pub struct CertCreateArgs {
    /// Generate a server certificate.
    #[arg(long)]
    pub server: bool,
    /// Generate a client certificate (not supported yet).
    #[arg(long)]
    pub client: bool,
    /// Generate a CLI certificate (not supported yet).
    #[arg(long)]
    pub cli: bool,
    /// The region the certificate is for.
    #[arg(long, default_value = "global")]
    pub region: String,
    /// The CA certificate.
    #[arg(long, default_value = certs::CA_CERT_FILE)]
    pub ca: PathBuf,
    /// The CA private key.
    #[arg(long, default_value = certs::CA_KEY_FILE)]
    pub key: PathBuf,
    /// Days the certificate is valid for (default: 1 year).
    #[arg(long, default_value_t = certs::CERT_DAYS)]
    pub days: u32,
    /// An extra DNS name for the certificate (repeatable).
    #[arg(long = "additional-dnsname", value_name = "NAME")]
    pub additional_dnsname: Vec<String>,
    /// An extra IP address for the certificate (repeatable).
    #[arg(long = "additional-ipaddress", value_name = "IP")]
    pub additional_ipaddress: Vec<String>,
}

pub fn dispatch(cmd: CertCommand) -> Result<ExitCode, CliError> {
    match cmd {
        CertCommand::Create(args) => create(&args),
    }
}

fn read(path: &PathBuf) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.clone(),
        source,
    })
}

fn create(args: &CertCreateArgs) -> Result<ExitCode, CliError> {
    match (args.server, args.client, args.cli) {
        (true, false, false) => {}
        (false, false, false) => {
            return Err(CliError::Message(
                "Please provide either -server, -client, or -cli".into(),
            ));
        }
        (false, _, _) => {
            return Err(CliError::Message(
                "Only -server certificates are supported by this version".into(),
            ));
        }
        _ => {
            return Err(CliError::Message(
                "Please provide only one of -server, -client, or -cli".into(),
            ));
        }
    }
    if args.days == 0 {
        return Err(CliError::Message("-days must be at least 1".into()));
    }
    if args.region.is_empty()
        || args
            .region
            .contains(|c: char| c == '/' || c.is_whitespace())
    {
        return Err(CliError::Message(format!(
            "Invalid region {:?}",
            args.region
        )));
    }
    for ip in &args.additional_ipaddress {
        ip.parse::<std::net::IpAddr>()
            .map_err(|_| CliError::Message(format!("Invalid IP address {ip:?}")))?;
    }
    let cert_file = certs::server_cert_file(&args.region);
    let key_file = certs::server_key_file(&args.region);
    for path in [&cert_file, &key_file] {
        if std::path::Path::new(path).exists() {
            return Err(CliError::Message(format!("{path} already exists")));
        }
    }
    let ca = certs::PemPair {
        cert: read(&args.ca)?,
        key: read(&args.key)?,
    };
    let mut extra = args.additional_dnsname.clone();
    extra.extend(args.additional_ipaddress.iter().cloned());
    let pair = certs::create_server_cert(&ca, &args.region, args.days, &extra)
        .map_err(|e| CliError::Message(format!("Error creating certificate: {e}")))?;
    println!("==> WARNING: Server Certificates grants authority to become a");
    println!("    server and access all state in the cluster including root keys");
    println!("    and all ACL tokens. Do not distribute them to production hosts");
    println!("    that are not server nodes. Store them as securely as CA keys.");
    println!(
        "==> Using CA file {} and CA key {}",
        args.ca.display(),
        args.key.display()
    );
    write_new(std::path::Path::new(&cert_file), &pair.cert, false)?;
    write_new(std::path::Path::new(&key_file), &pair.key, true)?;
    println!("==> Server Certificate saved to {cert_file}");
    println!("==> Server Certificate key saved to {key_file}");
    Ok(ExitCode::SUCCESS)
}
