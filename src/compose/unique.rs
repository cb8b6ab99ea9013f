//! compose-go's unicity rule for lists, in linear time: an item whose key an
//! earlier item has takes that item's place (the last value, the first
//! position). Owns the one implementation the port, volume, merge and
//! de-duplication passes share; a hash of the keys, because a quadratic scan
//! made a few `ports:` ranges (expanded to thousands of ports) take seconds.

use std::collections::HashMap;
use std::hash::Hash;

/// `items`, then each of `more` either in place of the first item with its key
/// or appended; an item whose key is `None` is always appended.
pub(crate) fn replace_or_append<T, K: Hash + Eq>(
    mut items: Vec<T>,
    more: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> Option<K>,
) -> Vec<T> {
    let mut first: HashMap<K, usize> = HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if let Some(k) = key(item) {
            first.entry(k).or_insert(index);
        }
    }
    for item in more {
        match key(&item) {
            Some(k) => match first.get(&k) {
                Some(&index) => items[index] = item,
                None => {
                    first.insert(k, items.len());
                    items.push(item);
                }
            },
            None => items.push(item),
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::replace_or_append;

    #[test]
    fn the_last_value_stands_in_the_first_place() {
        let key = |(k, _): &(char, u32)| Some(*k);
        let merged = replace_or_append(
            vec![('a', 1), ('b', 2), ('a', 3)],
            [('b', 4), ('c', 5), ('c', 6)],
            key,
        );
        // Duplicates already in `items` are left as they are; `more` replaces the first.
        assert_eq!(merged, [('a', 1), ('b', 4), ('a', 3), ('c', 6)]);
        let kept = replace_or_append(Vec::new(), [(1, 'x'), (2, 'y'), (1, 'z')], |(k, _)| {
            (*k != 2).then_some(*k)
        });
        assert_eq!(kept, [(1, 'z'), (2, 'y')]);
    }
}
