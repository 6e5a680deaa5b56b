//! Number ↔ name tables, written once per protocol.
//!
//! In the style of smoltcp's `enum_with_unknown!`: one list of
//! `Variant = number => "name"` gives the enum (with `Unknown(raw)` for every
//! other number), both `From` conversions and `name()`, so the number, the
//! variant and the words a learner reads can never drift apart.

/// ```ignore
/// enum_with_unknown! {
///     /// Doc comment of the enum.
///     pub enum Protocol(u8) {
///         Tcp = 6 => "TCP",
///         Udp = 17 => "UDP",
///     }
/// }
/// ```
macro_rules! enum_with_unknown {
    (
        $( #[$enum_attr:meta] )*
        pub enum $name:ident($ty:ty) {
            $(
                $( #[$variant_attr:meta] )*
                $variant:ident = $value:literal => $label:literal
            ),+ $(,)?
        }
    ) => {
        $( #[$enum_attr] )*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $( #[$variant_attr] )*
                $variant,
            )+
            /// Any number the table does not name.
            Unknown($ty),
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The name from the table; `None` for `Unknown`.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($label), )+
                    $name::Unknown(_) => None,
                }
            }
        }
    };
}

pub(crate) use enum_with_unknown;

#[cfg(test)]
mod tests {
    enum_with_unknown! {
        /// A small table to test the macro on.
        pub enum Color(u16) {
            Red = 1 => "red",
            Blue = 0x0800 => "blue",
        }
    }

    #[test]
    fn numbers_and_names_round_trip() {
        assert_eq!(Color::from(1), Color::Red);
        assert_eq!(Color::from(0x0800), Color::Blue);
        assert_eq!(Color::from(7), Color::Unknown(7));
        for v in [0u16, 1, 7, 0x0800, u16::MAX] {
            assert_eq!(u16::from(Color::from(v)), v);
        }
        assert_eq!(Color::Blue.name(), Some("blue"));
        assert_eq!(Color::Unknown(1).name(), None);
    }
}
