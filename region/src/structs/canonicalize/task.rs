//! Task-level defaults: kill timeout, logs, resources, restart policy inherited from
//! the group, and the defaults of services, templates and artifacts.

use super::{
    DEFAULT_CHANGE_SCRIPT_TIMEOUT, DEFAULT_CHECK_RESTART_GRACE, DEFAULT_CPU, DEFAULT_KILL_TIMEOUT,
    DEFAULT_MEMORY_MB, DEFAULT_TEMPLATE_SPLAY, default_log_config, layered,
};
use crate::structs::{
    ADDRESS_MODE_AUTO, CHANGE_MODE_RESTART, GETTER_MODE_ANY, GETTER_MODE_FILE, LogConfig,
    ON_UPDATE_REQUIRE_HEALTHY, PROVIDER_CONSUL, Resources, RestartPolicy, Service, Task,
    TaskArtifact, Template,
};

impl Task {
    pub(super) fn canonicalize(
        &mut self,
        job_name: &str,
        group_name: &str,
        group_restart: &RestartPolicy,
    ) {
        self.kill_timeout.get_or_insert(DEFAULT_KILL_TIMEOUT);
        self.log_config = Some(layered(
            default_log_config(),
            self.log_config.as_ref(),
            merge_logs,
        ));
        canonicalize_resources(self.resources.get_or_insert_with(Resources::default));
        self.restart_policy = Some(layered(
            group_restart.clone(),
            self.restart_policy.as_ref(),
            RestartPolicy::merge,
        ));
        // A lifecycle block with no hook and no sidecar means "main task".
        if self
            .lifecycle
            .as_ref()
            .is_some_and(|l| l.hook.is_empty() && !l.sidecar)
        {
            self.lifecycle = None;
        }
        let default_service_name = format!("{job_name}-{group_name}-{}", self.name);
        for s in &mut self.services {
            canonicalize_service(s, &default_service_name);
        }
        self.templates.iter_mut().for_each(canonicalize_template);
        self.artifacts.iter_mut().for_each(canonicalize_artifact);
    }
}

fn merge_logs(base: &mut LogConfig, given: &LogConfig) {
    if given.max_files.is_some() {
        base.max_files = given.max_files;
    }
    if given.max_file_size_mb.is_some() {
        base.max_file_size_mb = given.max_file_size_mb;
    }
    base.disabled = given.disabled;
}

/// CPU defaults to 100 MHz unless whole cores are reserved; memory to 300 MB.
fn canonicalize_resources(r: &mut Resources) {
    let cores = *r.cores.get_or_insert(0);
    r.cpu.get_or_insert(if cores > 0 { 0 } else { DEFAULT_CPU });
    r.memory_mb.get_or_insert(DEFAULT_MEMORY_MB);
    r.memory_max_mb.get_or_insert(0);
    for d in &mut r.devices {
        d.count.get_or_insert(1);
    }
}

/// Service defaults: name, provider `consul`, address mode `auto`, `require_healthy`;
/// checks inherit the service's `on_update` and `check_restart`.
pub(super) fn canonicalize_service(s: &mut Service, default_name: &str) {
    if s.name.is_empty() {
        s.name = default_name.to_string();
    }
    if s.provider.is_empty() {
        s.provider = PROVIDER_CONSUL.to_string();
    }
    if s.address_mode.is_empty() {
        s.address_mode = ADDRESS_MODE_AUTO.to_string();
    }
    if s.on_update.is_empty() {
        s.on_update = ON_UPDATE_REQUIRE_HEALTHY.to_string();
    }
    if let Some(cr) = s.check_restart.as_mut() {
        cr.grace.get_or_insert(DEFAULT_CHECK_RESTART_GRACE);
    }
    for c in &mut s.checks {
        if c.on_update.is_empty() {
            c.on_update = s.on_update.clone();
        }
        c.check_restart = match (&s.check_restart, c.check_restart.take()) {
            (_, Some(mut own)) => {
                own.grace.get_or_insert(DEFAULT_CHECK_RESTART_GRACE);
                Some(own)
            }
            (Some(service_level), None) => Some(service_level.clone()),
            (None, None) => None,
        };
    }
}

fn canonicalize_template(t: &mut Template) {
    if t.change_mode.is_empty() {
        t.change_mode = CHANGE_MODE_RESTART.to_string();
    }
    t.splay.get_or_insert(DEFAULT_TEMPLATE_SPLAY);
    if t.perms.is_empty() {
        t.perms = "0644".to_string();
    }
    if t.left_delim.is_empty() {
        t.left_delim = "{{".to_string();
    }
    if t.right_delim.is_empty() {
        t.right_delim = "}}".to_string();
    }
    if let Some(cs) = t.change_script.as_mut() {
        cs.timeout.get_or_insert(DEFAULT_CHANGE_SCRIPT_TIMEOUT);
    }
}

/// Artifacts land in `local/` (in `local/<file name>` for `mode = "file"`).
fn canonicalize_artifact(a: &mut TaskArtifact) {
    if a.getter_mode.is_empty() {
        a.getter_mode = GETTER_MODE_ANY.to_string();
    }
    if a.relative_dest.is_empty() {
        a.relative_dest = if a.getter_mode == GETTER_MODE_FILE {
            format!("local/{}", source_file_name(&a.getter_source))
        } else {
            "local/".to_string()
        };
    }
}

/// Last path segment of a URL, without query or fragment.
fn source_file_name(source: &str) -> &str {
    let no_query = source.split(['?', '#']).next().unwrap_or(source);
    no_query.rsplit('/').next().unwrap_or(no_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_of_sources() {
        assert_eq!(
            source_file_name("https://x.io/a/b.tar.gz?checksum=1"),
            "b.tar.gz"
        );
        assert_eq!(source_file_name("plain"), "plain");
        assert_eq!(source_file_name(""), "");
    }
}
