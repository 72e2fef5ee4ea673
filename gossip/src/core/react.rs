//! Turning foca's output into effects: draining its runtime after every
//! input, reacting to its notifications (member up/down/renamed, our own
//! renewal), refuting force-leaves about us, and resizing its config.

use foca::OwnedNotification;

use super::{CoreTimer, Effects, MeshCore};
use crate::identity::Identity;
use crate::wire;

impl MeshCore {
    /// Drains foca's runtime into effects and reacts to its notifications.
    pub(super) fn finish(&mut self) -> Effects {
        while self.rt.backlog() > 0 {
            while let Some((to, data)) = self.rt.to_send() {
                let bytes = wire::swim(self.record.version, &data);
                self.push_datagram(to.addr(), bytes);
            }
            while let Some((after, timer)) = self.rt.to_schedule() {
                self.out.timers.push((after, CoreTimer::Swim(timer)));
            }
            while let Some(note) = self.rt.to_notify() {
                self.on_notification(note);
            }
        }
        let refute = self.view.lock().take_refute();
        if let Some(version) = refute {
            tracing::info!(version, "refuting a force-leave about the local member");
            self.record.version = self.record.version.max(version) + 1;
            if let Err(e) = self.publish() {
                tracing::warn!(error = %e, "refute");
            }
        }
        self.resize();
        self.out.events.extend(self.view.lock().take_events());
        std::mem::take(&mut self.out)
    }

    pub(super) fn on_notification(&mut self, note: OwnedNotification<Identity>) {
        match note {
            OwnedNotification::MemberUp(id) => {
                let pull = {
                    let mut view = self.view.lock();
                    view.member_up(&id);
                    view.want_record(&id, None, self.config.pull_interval)
                };
                if pull {
                    self.send_pull(id.addr());
                }
            }
            OwnedNotification::MemberDown(id) => self.view.lock().member_down(&id),
            OwnedNotification::Rename(old, new) => self.view.lock().rename(&old, &new),
            OwnedNotification::Rejoin(id) => {
                tracing::info!(identity = ?id, "declared down by the mesh; rejoined under a renewed identity");
                self.view.lock().local_renamed(&id);
                self.record.id = id;
                self.record.version += 1;
                if let Err(e) = self.publish() {
                    tracing::warn!(error = %e, "publish renewed record");
                }
            }
            OwnedNotification::Active => tracing::debug!("mesh: active"),
            OwnedNotification::Idle => tracing::debug!("mesh: no active peers"),
            OwnedNotification::Defunct => tracing::warn!("mesh: local member declared down"),
        }
    }

    /// Keeps foca's size-dependent settings (suspicion, retransmits) in step
    /// with the mesh size.
    pub(super) fn resize(&mut self) {
        let n = self.foca.num_members() + 1;
        if n == self.sized_for {
            return;
        }
        self.sized_for = n;
        if let Err(e) = self.foca.set_config(self.config.foca_config(n)) {
            tracing::warn!(error = %e, "resize foca config");
        }
    }
}
