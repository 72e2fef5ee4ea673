//! `SchedulerContext`: the world a scheduler run receives (clock reading, RNG and
//! scheduler configuration), so that the scheduler itself never reads a clock or an
//! OS random source and a simulation can replay it from one seed.

/// Cluster-wide scheduler settings (`/v1/operator/scheduler/configuration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// `binpack` (default) or `spread`.
    pub algorithm: SchedulerAlgorithm,
    /// Plan submissions a service eval may try before giving up (Nomad: 5).
    pub max_service_plan_attempts: u32,
    /// Plan submissions a batch eval may try before giving up (Nomad: 2).
    pub max_batch_plan_attempts: u32,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            algorithm: SchedulerAlgorithm::Binpack,
            max_service_plan_attempts: 5,
            max_batch_plan_attempts: 2,
        }
    }
}

/// How nodes are scored for fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchedulerAlgorithm {
    /// Best fit: prefer the fullest node that still fits ("BestFit v3").
    #[default]
    Binpack,
    /// Worst fit: prefer the emptiest node.
    Spread,
}

/// A small deterministic PRNG (splitmix64): node shuffling and new IDs.
#[derive(Debug, Clone)]
pub struct SchedRng {
    state: u64,
}

impl SchedRng {
    /// A generator from a seed (the worker seeds it from the OS; tests from a constant).
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; 0 when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// A random (version 4) UUID string, as Nomad uses for every ID.
    pub fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&hi.to_be_bytes());
        b[8..].copy_from_slice(&lo.to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// What one scheduler run is given besides state and planner.
#[derive(Debug, Clone)]
pub struct SchedulerContext {
    /// Now, Unix nanoseconds (used for reschedule delays and timestamps).
    pub now: i64,
    /// Randomness (node order, IDs).
    pub rng: SchedRng,
    /// Scheduler configuration.
    pub config: SchedulerConfig,
}

impl SchedulerContext {
    /// A context at `now` with an RNG seeded by `seed` and the default configuration.
    pub fn new(now: i64, seed: u64) -> Self {
        Self {
            now,
            rng: SchedRng::new(seed),
            config: SchedulerConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_shaped_and_distinct() {
        let mut r = SchedRng::new(7);
        let a = r.uuid();
        let b = r.uuid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn same_seed_same_sequence_and_shuffle_is_a_permutation() {
        let mut a = SchedRng::new(42);
        let mut b = SchedRng::new(42);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut v: Vec<u32> = (0..50).collect();
        a.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
        assert!(a.below(3) < 3);
        assert_eq!(a.below(0), 0);
    }
}
