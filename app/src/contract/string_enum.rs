//! The one way a closed set of wire strings becomes a Rust enum.
//!
//! [`string_enum!`](crate::contract::string_enum) writes the enum together with its wire text
//! (`as_str`, `Display`, `FromStr`, `TryFrom<String>` for database rows, `ALL` in declared
//! order) and its serde and OpenAPI forms, so the five pieces cannot drift apart.

/// A value that is not one of an enum's wire strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    /// What was being parsed (`runner status`, `severity`, …).
    pub kind: &'static str,
    /// The text that matched no variant.
    pub value: String,
}

/// Declares an enum whose variants are written on the wire as the given literals.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declared order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire text.
            pub const fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::contract::string_enum::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err($crate::contract::string_enum::UnknownValue { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        // Written by hand: the derive does not see a `serde(rename)` whose text comes from a
        // macro fragment, and would document the Rust variant names instead of the wire text.
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        /// Database rows hold the wire text; a check constraint keeps it to these values.
        impl TryFrom<String> for $name {
            type Error = $crate::contract::string_enum::UnknownValue;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

pub(crate) use string_enum;
