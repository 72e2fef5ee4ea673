//! `SmallMap`: a string-keyed map of a few entries, kept as a sorted vector.
//!
//! An allocation's metrics hold several maps of zero to three entries (scores per scorer,
//! filtered counts per class). A `BTreeMap` allocates a whole node for its first entry, which
//! made those maps most of an allocation's memory at a million allocations; a sorted vector of
//! the entries costs one small allocation. Serialized as a map, exactly as the `BTreeMap` was.
//!
//! Keys that are constants (the scorers' names) are held as `&'static str`: the scheduler fills a
//! score map for every node it ranks, and followers decode one per allocation.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map from strings to `V`, in key order.
#[derive(Clone, PartialEq, Default)]
pub struct SmallMap<V> {
    entries: Vec<(Key, V)>,
}

/// A key: a constant or an owned string.
type Key = Cow<'static, str>;

impl<V> SmallMap<V> {
    /// An empty map (allocates nothing).
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> Option<&V> {
        self.find(key.borrow()).ok().map(|i| &self.entries[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: impl Into<Key>, value: V) -> Option<V> {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted as `V::default()` when missing (`entry(k).or_default()`).
    pub fn get_or_default(&mut self, key: &str) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.entries
                    .insert(i, (Cow::Owned(key.to_string()), V::default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| &**k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<V> std::ops::Index<&str> for SmallMap<V> {
    type Output = V;

    fn index(&self, key: &str) -> &V {
        self.get(key).expect("no entry for key")
    }
}

impl<'a, V> IntoIterator for &'a SmallMap<V> {
    type Item = (&'a str, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (Key, V)>, fn(&'a (Key, V)) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

impl<V, const N: usize> From<[(String, V); N]> for SmallMap<V> {
    fn from(entries: [(String, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Into<Key>, V> FromIterator<(K, V)> for SmallMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = Self::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<V: fmt::Debug> fmt::Debug for SmallMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize> Serialize for SmallMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SmallMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SmallMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut m = SmallMap {
                    entries: Vec::with_capacity(access.size_hint().unwrap_or(0).min(64)),
                };
                // A later duplicate key wins, as with a BTreeMap.
                while let Some((k, v)) = access.next_entry::<String, V>()? {
                    m.insert(k, v);
                }
                Ok(m)
            }
            // JSON `null` for an empty map, as Nomad's API sends for nil maps.
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(SmallMap::new())
            }
        }
        d.deserialize_any(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_keys_in_order_and_replaces_duplicates() {
        let mut m = SmallMap::new();
        assert_eq!(m.insert("b".to_string(), 2), None);
        m.insert("a", 1);
        assert_eq!(m.insert("b", 3), Some(2));
        *m.get_or_default("c") += 5;
        *m.get_or_default("a") += 1;
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(m["a"], 2);
        assert_eq!(m.get("b"), Some(&3));
        assert_eq!(m.get("z"), None);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn serializes_as_the_btreemap_did() {
        let m: SmallMap<f64> = SmallMap::from([("z".into(), 0.5), ("binpack".into(), 0.25)]);
        let b: std::collections::BTreeMap<String, f64> =
            m.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let back: SmallMap<f64> = serde_json::from_str(r#"{"z": 0.5, "binpack": 0.25}"#).unwrap();
        assert_eq!(back, m);
        let empty: SmallMap<i32> = serde_json::from_str("null").unwrap();
        assert!(empty.is_empty());
        let packed = rmp_serde::to_vec_named(&m).unwrap();
        assert_eq!(rmp_serde::from_slice::<SmallMap<f64>>(&packed).unwrap(), m);
    }
}
