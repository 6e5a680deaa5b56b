//! A serde `Deserializer` wrapper that bounds a saved transcript while it is
//! parsed, before the model exists: every list is counted as it is read and
//! refused past its cap (named by the key that holds it: `events`, `layers`
//! …), every string past `MAX_STRING` is refused, and every string is cleaned
//! of control characters on the way in. So a hostile file costs at most what
//! its caps allow, and no second copy of the model is ever built.
//!
//! It wraps whichever deserializer reads the file (JSON or YAML), so both
//! encodings get the same bounds.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// Most items a list under `key` may hold, and how the refusal names it.
/// Far above what a lesson run writes (a lesson is at most 200 steps and
/// 16 actors; a frame has a handful of layers), far below what would make
/// replay slow or large.
pub fn cap(key: Option<&str>) -> usize {
    match key {
        Some("events") => MAX_EVENTS,
        Some("steps") => 2_000,
        Some("actors") => 64,
        Some("comparison") => 4,
        Some("layers") => 16,
        Some("fields") => 128,
        Some("flags") => 9,
        Some("options") => 40,
        Some("states") => 2,
        _ => 64,
    }
}

pub const MAX_EVENTS: usize = 20_000;
/// Longest string: a frame's `data_hex` is at most 2 × 256 KiB.
pub const MAX_STRING: usize = 1024 * 1024;

/// Where the parse is, for naming what broke a bound.
#[derive(Default)]
pub struct State {
    /// The key whose value comes next (set by a map's key).
    key: Option<&'static str>,
    /// Lists being read, outermost first: their key and items so far.
    lists: Vec<(Option<&'static str>, usize)>,
    /// Why the parse was stopped, in words for the user.
    pub breach: Option<String>,
}

/// The keys that have caps, as `'static` names (any other key: None).
fn known(key: &str) -> Option<&'static str> {
    [
        "events",
        "steps",
        "actors",
        "comparison",
        "layers",
        "fields",
        "flags",
        "options",
        "states",
    ]
    .into_iter()
    .find(|k| *k == key)
}

impl State {
    fn refuse<E: de::Error>(&mut self, reason: String) -> E {
        let e = E::custom(&reason);
        self.breach.get_or_insert(reason);
        e
    }

    /// `event 12 has more than 16 layers`, or `it has more than 20000 events`.
    fn over(&self, key: Option<&str>, max: usize) -> String {
        let what = key.unwrap_or("items in one list");
        let event = self
            .lists
            .iter()
            .find(|(k, _)| *k == Some("events"))
            .map(|(_, n)| *n);
        match (key, event) {
            (Some("events"), _) => {
                format!("it has more than {max} events; netcourse replays at most {max}")
            }
            (_, Some(n)) => format!(
                "event {n} has more than {max} {what} (at most {max}), more than any frame netcourse writes"
            ),
            _ => format!(
                "it has more than {max} {what} (at most {max}), more than any run netcourse writes"
            ),
        }
    }
}

/// The deserializer of one value, guarded.
pub struct Guarded<'s, D> {
    pub de: D,
    pub state: &'s RefCell<State>,
    /// The key this value sits under.
    pub key: Option<&'static str>,
    /// This value is a map key: remember which.
    pub is_key: bool,
}

impl<'s, D> Guarded<'s, D> {
    pub fn new(de: D, state: &'s RefCell<State>) -> Self {
        Guarded {
            de,
            state,
            key: None,
            is_key: false,
        }
    }
    fn visitor<V>(&self, inner: V) -> GuardVisitor<'s, V> {
        GuardVisitor {
            inner,
            state: self.state,
            key: self.key,
            is_key: self.is_key,
        }
    }
}

macro_rules! forward {
    ($($method:ident ( $($arg:ident : $ty:ty),* )),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                let v = self.visitor(visitor);
                self.de.$method($($arg,)* v)
            }
        )*
    };
}

impl<'de, 's, D: Deserializer<'de>> Deserializer<'de> for Guarded<'s, D> {
    type Error = D::Error;

    forward! {
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_i128(), deserialize_u8(),
        deserialize_u16(), deserialize_u32(), deserialize_u64(), deserialize_u128(),
        deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(),
        deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
        deserialize_option(), deserialize_unit(), deserialize_seq(), deserialize_map(),
        deserialize_identifier(), deserialize_ignored_any(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

pub struct GuardVisitor<'s, V> {
    inner: V,
    state: &'s RefCell<State>,
    key: Option<&'static str>,
    is_key: bool,
}

impl<'s, V> GuardVisitor<'s, V> {
    fn string<E: de::Error>(&self, s: &str) -> Result<(), E> {
        if s.len() > MAX_STRING {
            return Err(self.state.borrow_mut().refuse(format!(
                "it holds a string of {} bytes (at most {MAX_STRING}), more than netcourse writes",
                s.len()
            )));
        }
        if self.is_key {
            self.state.borrow_mut().key = known(s);
        }
        Ok(())
    }
}

macro_rules! pass {
    ($($method:ident ( $ty:ty )),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, 's, V: Visitor<'de>> Visitor<'de> for GuardVisitor<'s, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    pass! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_bytes(&[u8]),
        visit_byte_buf(Vec<u8>),
    }

    fn visit_char<E: de::Error>(self, c: char) -> Result<V::Value, E> {
        self.inner.visit_char(if c.is_control() && c != '\n' {
            '\u{fffd}'
        } else {
            c
        })
    }

    // A saved transcript is someone else's file: its text reaches the
    // terminal, so no string in it keeps a control character.
    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        self.string(s)?;
        match crate::text::printable(s) {
            std::borrow::Cow::Borrowed(s) => self.inner.visit_str(s),
            std::borrow::Cow::Owned(c) => self.inner.visit_string(c),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.string(s)?;
        match crate::text::printable(s) {
            std::borrow::Cow::Borrowed(s) => self.inner.visit_borrowed_str(s),
            std::borrow::Cow::Owned(c) => self.inner.visit_string(c),
        }
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        self.string(&s)?;
        match crate::text::printable(&s) {
            std::borrow::Cow::Borrowed(_) => self.inner.visit_string(s),
            std::borrow::Cow::Owned(c) => self.inner.visit_string(c),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Guarded {
            de: d,
            state: self.state,
            key: self.key,
            is_key: self.is_key,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Guarded {
            de: d,
            state: self.state,
            key: self.key,
            is_key: self.is_key,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.state.borrow_mut().lists.push((self.key, 0));
        let out = self.inner.visit_seq(GuardSeq {
            seq,
            state: self.state,
            cap: cap(self.key),
        });
        self.state.borrow_mut().lists.pop();
        out
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(GuardMap {
            map,
            state: self.state,
            key: None,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(GuardEnum {
            data,
            state: self.state,
        })
    }
}

/// A seed whose deserializer is guarded.
struct GuardSeed<'s, S> {
    seed: S,
    state: &'s RefCell<State>,
    key: Option<&'static str>,
    is_key: bool,
}

impl<'de, 's, S: DeserializeSeed<'de>> DeserializeSeed<'de> for GuardSeed<'s, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Guarded {
            de: d,
            state: self.state,
            key: self.key,
            is_key: self.is_key,
        })
    }
}

struct GuardSeq<'s, A> {
    seq: A,
    state: &'s RefCell<State>,
    cap: usize,
}

impl<'de, 's, A: SeqAccess<'de>> SeqAccess<'de> for GuardSeq<'s, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        {
            let mut st = self.state.borrow_mut();
            let Some((key, n)) = st.lists.last_mut() else {
                return Err(A::Error::custom("list bookkeeping lost"));
            };
            *n += 1;
            let (key, n) = (*key, *n);
            if n > self.cap {
                // Over only if an item really follows.
                drop(st);
                return match self.seq.next_element::<de::IgnoredAny>()? {
                    None => Ok(None),
                    Some(_) => {
                        let mut st = self.state.borrow_mut();
                        let why = st.over(key, self.cap);
                        Err(st.refuse(why))
                    }
                };
            }
        }
        self.seq.next_element_seed(GuardSeed {
            seed,
            state: self.state,
            key: None,
            is_key: false,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint().map(|n| n.min(self.cap))
    }
}

struct GuardMap<'s, A> {
    map: A,
    state: &'s RefCell<State>,
    key: Option<&'static str>,
}

impl<'de, 's, A: MapAccess<'de>> MapAccess<'de> for GuardMap<'s, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.state.borrow_mut().key = None;
        let k = self.map.next_key_seed(GuardSeed {
            seed,
            state: self.state,
            key: None,
            is_key: true,
        })?;
        self.key = self.state.borrow_mut().key.take();
        Ok(k)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.map.next_value_seed(GuardSeed {
            seed,
            state: self.state,
            key: self.key.take(),
            is_key: false,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

struct GuardEnum<'s, A> {
    data: A,
    state: &'s RefCell<State>,
}

impl<'de, 's, A: EnumAccess<'de>> EnumAccess<'de> for GuardEnum<'s, A> {
    type Error = A::Error;
    type Variant = GuardVariant<'s, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let (v, variant) = self.data.variant_seed(seed)?;
        Ok((
            v,
            GuardVariant {
                variant,
                state: self.state,
            },
        ))
    }
}

struct GuardVariant<'s, A> {
    variant: A,
    state: &'s RefCell<State>,
}

impl<'de, 's, A: VariantAccess<'de>> VariantAccess<'de> for GuardVariant<'s, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.variant.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.variant.newtype_variant_seed(GuardSeed {
            seed,
            state: self.state,
            key: None,
            is_key: false,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.variant.tuple_variant(
            len,
            GuardVisitor {
                inner: visitor,
                state: self.state,
                key: None,
                is_key: false,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.variant.struct_variant(
            fields,
            GuardVisitor {
                inner: visitor,
                state: self.state,
                key: None,
                is_key: false,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, String> {
        let state = RefCell::new(State::default());
        let mut de = serde_json::Deserializer::from_str(json);
        T::deserialize(Guarded::new(&mut de, &state))
            .map_err(|e| state.borrow().breach.clone().unwrap_or(e.to_string()))
    }

    #[derive(Deserialize, Debug)]
    struct Doc {
        events: Vec<Ev>,
        #[serde(default)]
        name: Option<String>,
    }
    #[derive(Deserialize, Debug)]
    struct Ev {
        layers: Vec<u8>,
        #[serde(default)]
        other: Vec<u8>,
    }

    #[test]
    fn lists_are_counted_by_their_key() {
        let ok = format!(
            r#"{{"events": [{{"layers": [{}]}}]}}"#,
            vec!["1"; 16].join(",")
        );
        let doc = parse::<Doc>(&ok).unwrap();
        assert_eq!(doc.events[0].layers.len() + doc.events[0].other.len(), 16);
        let over = format!(
            r#"{{"events": [{{"layers": []}}, {{"layers": [{}]}}]}}"#,
            vec!["1"; 17].join(",")
        );
        assert_eq!(
            parse::<Doc>(&over).unwrap_err(),
            "event 2 has more than 16 layers (at most 16), more than any frame netcourse writes"
        );
        // Any other list: the default cap.
        let other = format!(
            r#"{{"events": [{{"layers": [], "other": [{}]}}]}}"#,
            vec!["1"; 65].join(",")
        );
        assert!(
            parse::<Doc>(&other)
                .unwrap_err()
                .contains("more than 64 items")
        );
        let many = format!(
            r#"{{"events": [{}]}}"#,
            vec![r#"{"layers": []}"#; MAX_EVENTS + 1].join(",")
        );
        assert_eq!(
            parse::<Doc>(&many).unwrap_err(),
            format!("it has more than {MAX_EVENTS} events; netcourse replays at most {MAX_EVENTS}")
        );
    }

    #[test]
    fn strings_are_cleaned_and_bounded() {
        let d: Doc = parse(r#"{"events": [], "name": "a\u001b[2Jb\u0007"}"#).unwrap();
        assert_eq!(d.name.as_deref(), Some("a\u{fffd}[2Jb\u{fffd}"));
        let long = format!(
            r#"{{"events": [], "name": "{}"}}"#,
            "x".repeat(MAX_STRING + 1)
        );
        assert!(parse::<Doc>(&long).unwrap_err().contains("a string of"));
    }
}
