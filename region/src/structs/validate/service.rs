//! Service and check rules: provider, address mode, update behaviour, check types,
//! intervals, and port labels that must exist in the group.

use std::collections::BTreeSet;

use super::{Checker, Path};
use crate::structs::{
    ADDRESS_MODE_ALLOC, ADDRESS_MODE_AUTO, ADDRESS_MODE_DRIVER, ADDRESS_MODE_HOST, CHECK_GRPC,
    CHECK_HTTP, CHECK_SCRIPT, CHECK_TCP, ON_UPDATE_IGNORE, ON_UPDATE_IGNORE_WARNINGS,
    ON_UPDATE_REQUIRE_HEALTHY, PROVIDER_CONSUL, PROVIDER_NOMAD, SECOND, Service, ServiceCheck,
};

const ON_UPDATE: &[&str] = &[
    ON_UPDATE_REQUIRE_HEALTHY,
    ON_UPDATE_IGNORE_WARNINGS,
    ON_UPDATE_IGNORE,
];

/// Checks services at `parent` (paths `service/<i>/...`); `labels` are the group's
/// port labels.
pub(super) fn check_services(
    services: &[Service],
    parent: &Path,
    labels: &BTreeSet<String>,
    c: &mut Checker,
) {
    for (i, s) in services.iter().enumerate() {
        let p = parent.index("service", i);
        if !s.provider.is_empty() && s.provider != PROVIDER_CONSUL && s.provider != PROVIDER_NOMAD {
            c.at(
                &p,
                "provider",
                format!(
                    "Service provider must be \"consul\" or \"nomad\", got {:?}",
                    s.provider
                ),
            );
        }
        let modes = [
            ADDRESS_MODE_AUTO,
            ADDRESS_MODE_HOST,
            ADDRESS_MODE_DRIVER,
            ADDRESS_MODE_ALLOC,
            "",
        ];
        if !modes.contains(&s.address_mode.as_str()) {
            c.at(
                &p,
                "address_mode",
                format!("Invalid service address_mode {:?}", s.address_mode),
            );
        }
        if !s.on_update.is_empty() && !ON_UPDATE.contains(&s.on_update.as_str()) {
            c.at(
                &p,
                "on_update",
                format!("Invalid service on_update {:?}", s.on_update),
            );
        }
        if unknown_label(&s.port_label, labels) {
            c.at(
                &p,
                "port",
                format!(
                    "Port label {:?} referenced by service {:?} does not exist",
                    s.port_label, s.name
                ),
            );
        }
        for (j, chk) in s.checks.iter().enumerate() {
            check_check(chk, s, &p.index("check", j), labels, c);
        }
    }
}

/// A label that is neither numeric, interpolated, nor defined.
fn unknown_label(label: &str, labels: &BTreeSet<String>) -> bool {
    !label.is_empty()
        && !label.contains("${")
        && label.parse::<u16>().is_err()
        && !labels.contains(label)
}

fn check_check(
    chk: &ServiceCheck,
    s: &Service,
    p: &Path,
    labels: &BTreeSet<String>,
    c: &mut Checker,
) {
    let kind = chk.check_type.as_str();
    if ![CHECK_HTTP, CHECK_TCP, CHECK_GRPC, CHECK_SCRIPT].contains(&kind) {
        c.at(
            p,
            "type",
            format!("Invalid check type {kind:?}, must be one of http, tcp, grpc, script"),
        );
        return;
    }
    if s.provider == PROVIDER_NOMAD && kind != CHECK_HTTP && kind != CHECK_TCP {
        c.at(
            p,
            "type",
            format!("Check type {kind:?} is not supported by the nomad service provider"),
        );
    }
    if kind == CHECK_HTTP && chk.path.is_empty() {
        c.at(p, "path", "http type must have http path");
    }
    if kind == CHECK_SCRIPT && chk.command.is_empty() {
        c.at(p, "command", "script type must have a valid script path");
    }
    if !["", "http", "https"].contains(&chk.protocol.as_str()) {
        c.at(
            p,
            "protocol",
            format!(
                "Check protocol must be \"http\" or \"https\", got {:?}",
                chk.protocol
            ),
        );
    }
    if chk.interval < SECOND {
        c.at(p, "interval", "Check interval must be at least 1s");
    }
    if chk.timeout < SECOND {
        c.at(p, "timeout", "Check timeout must be at least 1s");
    }
    if !chk.on_update.is_empty() && !ON_UPDATE.contains(&chk.on_update.as_str()) {
        c.at(
            p,
            "on_update",
            format!("Invalid check on_update {:?}", chk.on_update),
        );
    }
    if unknown_label(&chk.port_label, labels) {
        c.at(
            p,
            "port",
            format!(
                "Port label {:?} referenced by check {:?} does not exist",
                chk.port_label, chk.name
            ),
        );
    }
}
