//! `api_struct!`: declares a data-model struct in Nomad's JSON shape, and the
//! null-tolerant field deserializer it relies on.
//!
//! Nomad's API (Go's `encoding/json`) accepts `null` for any field and leaves the
//! zero value, and `nomad job run -output` emits `null` for every unset field. Serde
//! rejects `null` for a `String` or `Vec`, so every field goes through
//! [`null_default`]; the macro adds that, `#[serde(default)]`, the PascalCase renaming
//! and the common derives so that each entity file only lists its fields.

use serde::{Deserialize, Deserializer};

/// Deserializes a field, turning JSON `null` into the type's default.
pub fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Declares a struct with `Debug, Clone, PartialEq, Default, Serialize, Deserialize`,
/// PascalCase JSON names (override Go initialisms with `#[serde(rename = "ID")]`),
/// and fields that default when missing or `null`.
macro_rules! api_struct {
    // With `unmodelled <field>` after the body: JSON fields the struct does not model are kept in that
    // map and written back, so a job's Nomad fields we don't act on (identity, vault, consul, connect,
    // ...) survive a round trip through our server instead of vanishing.
    (
        $(#[$smeta:meta])*
        $svis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
        unmodelled $xvis:vis $xfield:ident
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        $svis struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, deserialize_with = "crate::structs::macros::null_default")]
                $fvis $field : $ty,
            )*
            /// Fields of Nomad's JSON this struct does not model, kept verbatim.
            #[serde(flatten)]
            $xvis $xfield: std::collections::BTreeMap<String, serde_json::Value>,
        }
    };
    (
        $(#[$smeta:meta])*
        $svis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        $svis struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, deserialize_with = "crate::structs::macros::null_default")]
                $fvis $field : $ty,
            )*
        }
    };
}
