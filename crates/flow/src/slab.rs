//! A slab of entries addressed by `u32` index, threaded on intrusive doubly linked lists (one per
//! timeout class). Each list is kept in order of last activity, so the entries due to expire are
//! always at the heads: expiry costs O(entries expired) and never scans the table.

/// The "no entry" index.
pub(crate) const NIL: u32 = u32::MAX;

/// Neighbours of one entry on its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Links {
    prev: u32,
    next: u32,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            prev: NIL,
            next: NIL,
        }
    }
}

/// Entries that can sit on a list. The list number is kept apart from the links so that the
/// entry can pack it next to its other small fields.
pub(crate) trait Linked {
    /// The entry's links.
    fn links(&mut self) -> &mut Links;
    /// The number of the list the entry is on.
    fn list(&mut self) -> &mut u8;
}

#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
}

/// The slab with `N` lists.
#[derive(Debug)]
pub(crate) struct Slab<T, const N: usize> {
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    lists: [List; N],
    len: usize,
}

impl<T: Linked, const N: usize> Slab<T, N> {
    /// An empty slab.
    pub(crate) fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            lists: [List {
                head: NIL,
                tail: NIL,
            }; N],
            len: 0,
        }
    }

    /// Entries stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores `value` at the tail of `list`; returns its index, or gives the value back when the
    /// slab already holds `u32::MAX - 1` entries.
    pub(crate) fn insert(&mut self, value: T, list: usize) -> Result<u32, T> {
        let idx = match self.free.pop() {
            Some(idx) => {
                if let Some(slot) = self.slots.get_mut(idx as usize) {
                    *slot = Some(value);
                }
                idx
            }
            None => {
                let Ok(idx) = u32::try_from(self.slots.len()) else {
                    return Err(value);
                };
                if idx == NIL {
                    return Err(value);
                }
                self.slots.push(Some(value));
                idx
            }
        };
        self.len += 1;
        self.push_back(idx, list);
        Ok(idx)
    }

    /// Removes and returns the entry at `idx`.
    pub(crate) fn remove(&mut self, idx: u32) -> Option<T> {
        self.unlink(idx);
        let value = self.slots.get_mut(idx as usize)?.take()?;
        self.free.push(idx);
        self.len -= 1;
        Some(value)
    }

    /// The entry at `idx`.
    pub(crate) fn get(&self, idx: u32) -> Option<&T> {
        self.slots.get(idx as usize)?.as_ref()
    }

    /// The entry at `idx`, mutably.
    pub(crate) fn get_mut(&mut self, idx: u32) -> Option<&mut T> {
        self.slots.get_mut(idx as usize)?.as_mut()
    }

    /// The oldest entry of `list`.
    pub(crate) fn head(&self, list: usize) -> Option<u32> {
        let head = self.lists.get(list)?.head;
        (head != NIL).then_some(head)
    }

    /// Moves the entry to the tail of `list` (it becomes the most recently active).
    pub(crate) fn touch(&mut self, idx: u32, list: usize) {
        self.unlink(idx);
        self.push_back(idx, list);
    }

    /// Indices of all entries, in index order.
    pub(crate) fn indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i as u32)
    }

    fn links_of(&mut self, idx: u32) -> Option<&mut Links> {
        self.slots
            .get_mut(idx as usize)?
            .as_mut()
            .map(Linked::links)
    }

    fn push_back(&mut self, idx: u32, list: usize) {
        let Some(l) = self.lists.get(list).copied() else {
            return;
        };
        if let Some(entry) = self.slots.get_mut(idx as usize).and_then(Option::as_mut) {
            *entry.links() = Links {
                prev: l.tail,
                next: NIL,
            };
            *entry.list() = list as u8;
        }
        match self.links_of(l.tail) {
            Some(tail) => tail.next = idx,
            None => {
                if let Some(l) = self.lists.get_mut(list) {
                    l.head = idx;
                }
            }
        }
        if let Some(l) = self.lists.get_mut(list) {
            l.tail = idx;
        }
    }

    fn unlink(&mut self, idx: u32) {
        let Some(entry) = self.slots.get_mut(idx as usize).and_then(Option::as_mut) else {
            return;
        };
        let links = *entry.links();
        let list = usize::from(*entry.list());
        match self.links_of(links.prev) {
            Some(prev) => prev.next = links.next,
            None => {
                if let Some(l) = self.lists.get_mut(list)
                    && l.head == idx
                {
                    l.head = links.next;
                }
            }
        }
        match self.links_of(links.next) {
            Some(next) => next.prev = links.prev,
            None => {
                if let Some(l) = self.lists.get_mut(list)
                    && l.tail == idx
                {
                    l.tail = links.prev;
                }
            }
        }
        if let Some(l) = self.links_of(idx) {
            l.prev = NIL;
            l.next = NIL;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Item(u32, Links, u8);

    impl Linked for Item {
        fn links(&mut self) -> &mut Links {
            &mut self.1
        }
        fn list(&mut self) -> &mut u8 {
            &mut self.2
        }
    }

    fn order(slab: &mut Slab<Item, 2>, list: usize) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cur = slab.head(list);
        while let Some(i) = cur {
            out.push(slab.get(i).map(|it| it.0).unwrap_or(999));
            let next = slab.links_of(i).map(|l| l.next).unwrap_or(NIL);
            cur = (next != NIL).then_some(next);
        }
        out
    }

    #[test]
    fn lists_keep_activity_order() {
        let mut slab: Slab<Item, 2> = Slab::new();
        let a = slab.insert(Item(1, Links::default(), 0), 0).unwrap_or(NIL);
        let b = slab.insert(Item(2, Links::default(), 0), 0).unwrap_or(NIL);
        let c = slab.insert(Item(3, Links::default(), 0), 1).unwrap_or(NIL);
        assert_eq!(order(&mut slab, 0), [1, 2]);
        slab.touch(a, 0);
        assert_eq!(order(&mut slab, 0), [2, 1]);
        slab.touch(b, 1);
        assert_eq!(order(&mut slab, 0), [1]);
        assert_eq!(order(&mut slab, 1), [3, 2]);
        assert_eq!(slab.remove(c).map(|i| i.0), Some(3));
        assert_eq!(order(&mut slab, 1), [2]);
        assert_eq!(slab.len(), 2);
        let d = slab.insert(Item(4, Links::default(), 0), 1).unwrap_or(NIL);
        assert_eq!(d, c, "freed slots are reused");
        assert_eq!(order(&mut slab, 1), [2, 4]);
        assert_eq!(slab.indices().count(), 3);
        assert!(slab.remove(c).is_some());
        assert!(slab.remove(c).is_none());
    }
}
