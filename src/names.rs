//! Names of the schema's enums (workloads, models, labs, span states): their strum derives
//! give the variants and their names; [`named!`] gives every such enum the same three items.

/// `ALL` (every value, in order), `NAMES` (their names, in the same order) and `name()` for
/// an enum that derives strum's `VariantArray`, `VariantNames` and `IntoStaticStr`.
macro_rules! named {
    ($t:ty) => {
        impl $t {
            /// Every value, in page order.
            pub const ALL: &'static [$t] = <$t as strum::VariantArray>::VARIANTS;
            /// Every value's name, in page order.
            pub const NAMES: &'static [&'static str] = <$t as strum::VariantNames>::VARIANTS;

            /// The name used in URLs, traces and data attributes.
            pub fn name(self) -> &'static str {
                self.into()
            }
        }
    };
}

pub(crate) use named;
