//! Flags and environment shared by every command that talks to an agent.

use clap::Args;

/// `-address`, `-region`, `-namespace`, `-token` and their `NOMAD_*` environment variables.
#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// The address of the Nomad agent.
    #[arg(
        long,
        global = true,
        env = "NOMAD_ADDR",
        default_value = "http://127.0.0.1:4646",
        hide_env_values = true
    )]
    pub address: String,
    /// The region of the Nomad servers to forward commands to (default: the agent's).
    #[arg(long, global = true, env = "NOMAD_REGION")]
    pub region: Option<String>,
    /// The target namespace for queries and actions bound to a namespace.
    #[arg(long, global = true, env = "NOMAD_NAMESPACE")]
    pub namespace: Option<String>,
    /// The SecretID of an ACL token to use to authenticate API requests with.
    #[arg(long, global = true, env = "NOMAD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

impl GlobalOpts {
    /// An API client for the agent at `-address`, scoped to `-region` and `-namespace`.
    pub fn client(&self) -> crate::api_client::Client {
        self.client_for_region(self.region.as_deref())
    }

    /// Like `client`, but aimed at `region` (a job's own region).
    pub fn client_for_region(&self, region: Option<&str>) -> crate::api_client::Client {
        crate::api_client::Client::new(crate::api_client::ClientConfig {
            address: self.address.clone(),
            region: region.map(str::to_owned).or_else(|| self.region.clone()),
            namespace: self.namespace.clone(),
            token: self.token.clone(),
        })
    }
}
