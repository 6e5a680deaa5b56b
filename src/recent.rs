//! A map that remembers only its most recently used keys, for what the
//! annotator keeps per connection or per sender: a capture file may hold
//! millions of them, and `explain` must run in bounded memory.
//!
//! Two generations: keys live in `young` until it holds `per_generation`
//! of them; then `young` becomes `old` (the previous `old` is dropped) and
//! a fresh `young` starts. A key found in `old` moves back to `young`. So
//! between `per_generation` and `2 × per_generation` keys are remembered,
//! the least recently used forgotten first, at the cost of one more lookup
//! for a key not in `young`.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// Keys per generation the annotator keeps for connections and flows: up
/// to this many in use at once are always remembered; past that, one not
/// used for longest may be forgotten (a rotation drops what the previous
/// generation still held unused), and is then taken as new when it speaks
/// again. A capture with more flows active at once than this is rare; one
/// with millions in all is not (a scan, hours of DNS).
pub const FLOWS: usize = 16_384;

#[derive(Debug, Clone)]
pub struct Recent<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    per_generation: usize,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent::new(FLOWS)
    }
}

impl<K, V> Recent<K, V> {
    pub fn new(per_generation: usize) -> Self {
        Recent {
            young: HashMap::new(),
            old: HashMap::new(),
            per_generation: per_generation.max(1),
        }
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.young.is_empty() && self.old.is_empty()
    }

    /// Every value remembered, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.young.values().chain(self.old.values())
    }
}

impl<K: Hash + Eq, V> Recent<K, V> {
    /// The value of `key`, without counting it as a use.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.young.get(key).or_else(|| self.old.get(key))
    }

    /// The value of `key`, now the most recently used.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if !self.young.contains_key(key) {
            let value = self.old.remove(key)?;
            let _ = self.insert(key.to_owned(), value);
        }
        self.young.get_mut(key)
    }

    /// The value of `key`, made by `make` if it is not remembered.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V
    where
        K: Clone,
    {
        if !self.young.contains_key(&key) {
            let value = self.old.remove(&key).unwrap_or_else(make);
            let _ = self.insert(key.clone(), value);
        }
        self.young.get_mut(&key).expect("inserted above")
    }

    /// Remember `value` for `key` as the most recently used; the value it
    /// had, if it was remembered.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(v) = self.young.get_mut(&key) {
            return Some(std::mem::replace(v, value));
        }
        let previous = self.old.remove(&key);
        if self.young.len() >= self.per_generation {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
        previous
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.young.remove(key).or_else(|| self.old.remove(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_between_one_and_two_generations_of_keys() {
        let mut r = Recent::new(3);
        assert_eq!(r.insert(0, 1), None);
        for k in 0..10 {
            r.insert(k, k * 10);
            assert!(r.len() <= 6, "{k}: {}", r.len());
        }
        assert_eq!(r.len(), 4); // young 9, old 6 7 8
        assert_eq!(r.peek(&9), Some(&90));
        assert_eq!(r.peek(&6), Some(&60));
        assert_eq!(r.peek(&5), None);
        assert_eq!(r.insert(6, 61), Some(60));
        assert_eq!(r.insert(6, 62), Some(61));
    }

    #[test]
    fn a_key_in_use_is_not_forgotten() {
        let mut r = Recent::new(2);
        r.insert("kept".to_string(), 0);
        for k in 0..100 {
            r.insert(k.to_string(), k);
            *r.get_mut("kept").expect("remembered") += 1;
        }
        assert_eq!(r.peek("kept"), Some(&100));
        assert!(r.len() <= 4);
    }

    #[test]
    fn get_or_insert_with_makes_only_what_is_missing() {
        let mut r = Recent::new(2);
        *r.get_or_insert_with(1, || 5) += 1;
        *r.get_or_insert_with(1, || 50) += 1;
        assert_eq!(r.peek(&1), Some(&7));
        assert_eq!(r.remove(&1), Some(7));
        assert!(r.is_empty());
    }
}
