//! Network requests and assignments: mode, ports (static and dynamic) and DNS.
//! The same shape is used for what a job asks for and what an allocation got.

api_struct! {
    /// A `network` block (group level; task level is deprecated).
    pub struct NetworkResource {
        /// `host` (default), `bridge`, `none` or `cni/<name>`.
        pub mode: String,
        /// Host device the network is on (filled in by the scheduler).
        pub device: String,
        /// CIDR of the device (filled in by the scheduler).
        #[serde(rename = "CIDR")]
        pub cidr: String,
        /// IP assigned (filled in by the scheduler).
        #[serde(rename = "IP")]
        pub ip: String,
        /// Hostname inside the network namespace.
        pub hostname: String,
        /// Deprecated bandwidth request.
        #[serde(rename = "MBits")]
        pub mbits: i32,
        /// DNS settings for the network namespace.
        #[serde(rename = "DNS")]
        pub dns: Option<DnsConfig>,
        /// Static ports (HCL `port "<label>" { static = N }`).
        pub reserved_ports: Vec<Port>,
        /// Dynamic ports (HCL `port "<label>" {}`); `Value` set once assigned.
        pub dynamic_ports: Vec<Port>,
    }
    unmodelled pub unmodelled
}

api_struct! {
    /// A labelled port.
    pub struct Port {
        /// The HCL label, used by services and `NOMAD_PORT_<label>`.
        pub label: String,
        /// Host port: the static port, or the assigned dynamic one (0 = not yet).
        pub value: i32,
        /// Port inside the task's network namespace (0 = same as `Value`, -1 = same as host).
        pub to: i32,
        /// Named host network to allocate on.
        pub host_network: String,
        /// Allow a static port to collide with another allocation's.
        pub ignore_collision: bool,
    }
}

api_struct! {
    /// A `dns` block.
    pub struct DnsConfig {
        /// Name servers.
        pub servers: Vec<String>,
        /// Search domains.
        pub searches: Vec<String>,
        /// Resolver options.
        pub options: Vec<String>,
    }
}

/// Network mode `host`.
pub const NETWORK_MODE_HOST: &str = "host";
/// Network mode `bridge`.
pub const NETWORK_MODE_BRIDGE: &str = "bridge";
/// Network mode `none`.
pub const NETWORK_MODE_NONE: &str = "none";
/// Prefix of CNI network modes (`cni/<name>`).
pub const NETWORK_MODE_CNI_PREFIX: &str = "cni/";

impl NetworkResource {
    /// All ports, static first then dynamic.
    pub fn ports(&self) -> impl Iterator<Item = &Port> {
        self.reserved_ports.iter().chain(self.dynamic_ports.iter())
    }

    /// The port with this label, static or dynamic.
    pub fn port(&self, label: &str) -> Option<&Port> {
        self.ports().find(|p| p.label == label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lookup_covers_both_kinds() {
        let n = NetworkResource {
            reserved_ports: vec![Port {
                label: "http".into(),
                value: 80,
                ..Default::default()
            }],
            dynamic_ports: vec![Port {
                label: "db".into(),
                to: 6379,
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(n.port("http").map(|p| p.value), Some(80));
        assert_eq!(n.port("db").map(|p| p.to), Some(6379));
        assert!(n.port("nope").is_none());
        assert_eq!(n.ports().count(), 2);
    }

    #[test]
    fn json_shape() {
        let v: NetworkResource = serde_json::from_value(serde_json::json!({
            "Mode": "bridge", "CIDR": "", "IP": null, "DNS": null, "MBits": null,
            "DynamicPorts": [{"Label": "db", "Value": 0, "To": 6379, "HostNetwork": ""}]
        }))
        .unwrap();
        assert_eq!(v.mode, "bridge");
        assert_eq!(v.dynamic_ports[0].to, 6379);
        let back = serde_json::to_value(&v).unwrap();
        assert_eq!(back["DynamicPorts"][0]["Label"], "db");
        assert!(back.get("ReservedPorts").is_some());
    }
}
