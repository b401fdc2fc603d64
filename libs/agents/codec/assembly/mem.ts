// Raw buffers for the decoders. The module runs in a fresh instance for every call (see
// ../README.md), so memory is only ever allocated, never freed: a bump allocator is all it needs.

/** Thrown (as a trap-free error code) when a buffer would exceed the call's memory budget. */
export let outOfBudget = false;

/** Bytes the call may still allocate for buffers (set by the entry point from maxPixels). */
let budget: i64 = 0;

export function setBudget(bytes: i64): void {
  budget = bytes;
  outOfBudget = false;
}

/** A zeroed buffer of `size` bytes, or 0 when it would exceed the budget. */
export function alloc(size: i64): usize {
  if (size < 0 || size > budget) {
    outOfBudget = true;
    return 0;
  }
  budget -= size;
  const p = heap.alloc(<usize>(size > 0 ? size : 1));
  memory.fill(p, 0, <usize>size);
  return p;
}
