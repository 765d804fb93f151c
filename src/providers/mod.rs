//! The provider registry: the one list of providers. Each line emits the
//! provider's module (behind its Cargo feature), its entry in [`PROVIDERS`] and,
//! when it has bulk endpoints, its entries in [`SYNCS`]. Adding a provider is its
//! folder, one line here and one feature line in `Cargo.toml`
//! (docs/ADDING_A_PROVIDER.md).

use crate::provider::sync::SyncDef;
use crate::provider::ProviderDef;

// Kits shared by several CRM providers (a Cargo feature each provider implies).
#[cfg(feature = "_crm_engagements")]
// A subset of providers may use only part of it.
#[cfg_attr(not(feature = "all-providers"), allow(dead_code))]
pub mod crm_engagements;

/// `always <module>;` then `"<feature>" => <module> [syncs <CONST>, …];` per line.
macro_rules! providers {
    (always $always:ident; $( $feature:literal => $name:ident $(syncs $($sync:ident),+)? ; )*) => {
        pub mod $always;
        $(
            #[cfg(feature = $feature)]
            pub mod $name;
        )*

        /// Every provider compiled in (each has a Cargo feature; the default is all).
        /// Order is display order.
        pub const PROVIDERS: &[&ProviderDef] = &[
            &$always::PROVIDER,
            $(
                #[cfg(feature = $feature)]
                &$name::PROVIDER,
            )*
        ];

        /// Every bulk sync compiled in.
        pub const SYNCS: &[&SyncDef] = &[
            $($($(
                #[cfg(feature = $feature)]
                &$name::$sync,
            )+)?)*
        ];
    };
}

providers! {
    always sandbox;
    // ATS
    "ashby" => ashby;
    "lever" => lever;
    "recruitee" => recruitee;
    "greenhouse" => greenhouse;
    "fountain" => fountain;
    "pinpoint" => pinpoint;
    "linkedin" => linkedin syncs NOTES_SYNC;
    "ceipal" => ceipal;
    // CRM
    "atz_crm" => atz_crm;
    "hubspot" => hubspot;
    "salesforce" => salesforce;
    "pipedrive" => pipedrive;
    "zoho_crm" => zoho_crm;
    "close" => close;
    "copper" => copper;
    "dynamics365" => dynamics365;
    "attio" => attio;
    "freshsales" => freshsales;
    "zendesk_sell" => zendesk_sell;
    "capsule" => capsule;
    "affinity" => affinity;
    "onepagecrm" => onepagecrm;
}

pub fn find(name: &str) -> Option<&'static ProviderDef> {
    PROVIDERS.iter().copied().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unified::schema::Target;
    use std::collections::HashSet;

    #[test]
    fn registry_tables_are_well_formed() {
        let mut names = HashSet::new();
        for p in PROVIDERS {
            assert!(names.insert(p.name), "duplicate provider {}", p.name);
            assert!(!p.hosts.is_empty(), "{} has no hosts", p.name);
            let mut ops = HashSet::new();
            for op in p.ops {
                assert!(ops.insert((op.model, op.resource, op.method)), "{}: duplicate op", p.name);
                let res = crate::unified::models::resource(op.model, op.resource).unwrap_or_else(|| panic!("{}: unknown resource {}/{}", p.name, op.model, op.resource));
                let schema = if op.method.has_body() { res.body } else { res.filters };
                let mut targets = HashSet::new();
                let mut fields = HashSet::new();
                for row in op.fields {
                    assert!(schema.iter().any(|f| f.name == row.field), "{}: {} is not a unified field of {}/{}", p.name, row.field, op.model, op.resource);
                    assert!(fields.insert(row.field), "{}: {} listed twice", p.name, row.field);
                    if let Target::Body(t) | Target::Query(t) = row.target {
                        assert!(targets.insert(t), "{}: two fields map to {t}", p.name);
                        assert!(!t.is_empty(), "{}: {} has an empty target", p.name, row.field);
                    }
                    if let Some(v) = row.allowed_values() {
                        assert!(!v.is_empty(), "{}: {} allows no values", p.name, row.field);
                    }
                }
                for f in op.returns {
                    assert!(res.record.iter().any(|r| r.name == *f), "{}: returns unknown field {f}", p.name);
                }
            }
        }
    }
}
