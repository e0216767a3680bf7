//! The heap tree-sitter's C code allocates from.

/// Routes tree-sitter's C heap (parse stacks, subtrees, trees) through mimalloc, the global
/// allocator of pyward's binaries: a stdlib scan allocates and frees millions of subtrees.
///
/// # Safety
///
/// Call it before any tree-sitter parser, tree or query exists and before other threads start:
/// a block allocated by libc's malloc must never reach `mi_free`, nor the reverse.
pub unsafe fn use_mimalloc_for_tree_sitter() {
    let allocator = tree_sitter::Allocator {
        malloc: libmimalloc_sys::mi_malloc,
        calloc: libmimalloc_sys::mi_calloc,
        realloc: libmimalloc_sys::mi_realloc,
        free: libmimalloc_sys::mi_free,
    };
    // SAFETY: the caller guarantees that no tree-sitter object exists yet and that no other
    // thread is running (this function's contract).
    unsafe { tree_sitter::set_allocator(Some(allocator)) };
}
