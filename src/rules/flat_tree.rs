//! A file's syntax tree laid out flat, once, for the engine's walk and the native query matcher.
//!
//! tree-sitter's cursor recomputes a child's position from its parent on every step, and the
//! matcher lists the same node's children again for every pattern tried there (most of a
//! scan's tree navigation). [`FlatTree::build`] walks the tree once with one cursor and keeps,
//! per node: the node itself, its kind, field, whether it is named, its depth, its parent, and
//! its visible children as a contiguous range of an index array. Every later step is an array
//! read (`Node::parent` searches down from the root).

use std::ops::Range;

use tree_sitter::Node;

/// One node of a [`FlatTree`].
#[derive(Clone, Copy)]
pub(crate) struct FlatNode<'t> {
    pub node: Node<'t>,
    pub kind: u16,
    /// The field the node sits in, in its parent; 0 when none (tree-sitter field ids start at 1).
    field: u16,
    pub named: bool,
    pub depth: u32,
    /// The parent's index; `u32::MAX` for the root.
    parent: u32,
    kids_start: u32,
    kids_len: u32,
    /// The node's end byte, read while the walk has its subtree at hand (later, tree-sitter's
    /// `end_byte` reads that subtree again, usually from memory); `u32::MAX` when it is
    /// beyond what a `u32` holds.
    end: u32,
}

impl FlatNode<'_> {
    pub fn field(&self) -> Option<u16> {
        (self.field != 0).then_some(self.field)
    }
}

/// Every node the tree cursor visits (named and anonymous), in pre-order, with child lists.
pub(crate) struct FlatTree<'t> {
    nodes: Vec<FlatNode<'t>>,
    /// Child lists: node `i`'s children are `kids[i.kids_start..][..i.kids_len]`, in order.
    kids: Vec<u32>,
}

impl<'t> FlatTree<'t> {
    /// One pre-order cursor walk from `root`.
    pub fn build(root: Node<'t>) -> FlatTree<'t> {
        // Sized once: the walk visits exactly the root's visible descendants and the root.
        let count = root.descendant_count();
        let mut nodes: Vec<FlatNode<'t>> = Vec::with_capacity(count);
        let mut path: Vec<u32> = Vec::new();
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            let i = nodes.len() as u32;
            let depth = path.len() as u32;
            let parent = path.last().copied().unwrap_or(u32::MAX);
            if let Some(p) = nodes.get_mut(parent as usize) {
                p.kids_len += 1;
            }
            nodes.push(FlatNode {
                node,
                kind: node.kind_id(),
                field: cursor.field_id().map_or(0, |f| f.get()),
                named: node.is_named(),
                depth,
                parent,
                kids_start: 0,
                kids_len: 0,
                end: u32::try_from(node.end_byte()).unwrap_or(u32::MAX),
            });
            if cursor.goto_first_child() {
                path.push(i);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return Self::link(nodes);
                }
                path.pop();
            }
        }
    }

    /// Fills the child lists from the parents: pre-order meets each parent's children in order.
    fn link(mut nodes: Vec<FlatNode<'t>>) -> FlatTree<'t> {
        let mut next = 0u32;
        for n in &mut nodes {
            n.kids_start = next;
            next += n.kids_len;
        }
        let mut kids = vec![0u32; next as usize];
        let mut filled = vec![0u32; nodes.len()];
        for i in 0..nodes.len() {
            let p = nodes[i].parent;
            if p != u32::MAX {
                let slot = nodes[p as usize].kids_start + filled[p as usize];
                kids[slot as usize] = i as u32;
                filled[p as usize] += 1;
            }
        }
        FlatTree { nodes, kids }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Node `i` (pre-order index; 0 is the root).
    pub fn get(&self, i: u32) -> &FlatNode<'t> {
        &self.nodes[i as usize]
    }

    pub fn node(&self, i: u32) -> Node<'t> {
        self.nodes[i as usize].node
    }

    /// Node `i`'s bytes in the source.
    pub fn byte_range(&self, i: u32) -> Range<usize> {
        let n = &self.nodes[i as usize];
        let end = match n.end {
            u32::MAX => n.node.end_byte(),
            e => e as usize,
        };
        n.node.start_byte()..end
    }

    /// Node `i`'s parent; `None` for the root.
    pub fn parent(&self, i: u32) -> Option<u32> {
        let p = self.nodes[i as usize].parent;
        (p != u32::MAX).then_some(p)
    }

    /// Node `i`'s visible children, as positions for [`FlatTree::kid`].
    pub fn children(&self, i: u32) -> Range<usize> {
        let n = &self.nodes[i as usize];
        n.kids_start as usize..(n.kids_start + n.kids_len) as usize
    }

    /// Node `i`'s first child in field `field` (a tree-sitter field id), like
    /// `Node::child_by_field_id` but from the child list.
    pub fn child_in_field(&self, i: u32, field: u16) -> Option<u32> {
        self.children(i)
            .map(|k| self.kids[k])
            .find(|&c| self.nodes[c as usize].field == field)
    }

    /// The node at position `k` of a [`FlatTree::children`] range.
    pub fn kid(&self, k: usize) -> u32 {
        self.kids[k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flat layout lists the same nodes, fields, depths and children as tree-sitter's own
    /// cursor, on a file with nesting, fields, anonymous tokens and a syntax error.
    #[test]
    fn flat_tree_agrees_with_tree_sitter() {
        let src = "import os\nclass A(B):\n    def f(self, x=1, *a, **k):\n        return [y for y in x if y] + os.path.join(x, 'a')\n\ndef g(:\n    pass\nz = {'k': (1, 2)}[0]\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let flat = FlatTree::build(tree.root_node());
        let mut cursor = tree.walk();
        let mut i = 0u32;
        let mut depth = 0u32;
        'walk: loop {
            let f = flat.get(i);
            assert_eq!(f.node, cursor.node());
            assert_eq!(f.kind, cursor.node().kind_id());
            assert_eq!(f.field(), cursor.field_id().map(|x| x.get()));
            assert_eq!(f.named, cursor.node().is_named());
            assert_eq!(f.depth, depth);
            assert_eq!(flat.byte_range(i), cursor.node().byte_range());
            for field in 1..=tree.language().field_count() as u16 {
                assert_eq!(
                    flat.child_in_field(i, field).map(|c| flat.node(c)),
                    cursor.node().child_by_field_id(field)
                );
            }
            assert_eq!(flat.parent(i).map(|p| flat.node(p)), cursor.node().parent());
            let mut c = cursor.node().walk();
            let expected: Vec<Node> = cursor.node().children(&mut c).collect();
            let got: Vec<Node> = flat.children(i).map(|k| flat.node(flat.kid(k))).collect();
            assert_eq!(got, expected);
            i += 1;
            if cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
                depth -= 1;
            }
        }
        assert_eq!(i as usize, flat.len());
        assert_eq!(flat.len(), tree.root_node().descendant_count());
        assert!(flat.len() > 50);
    }
}
