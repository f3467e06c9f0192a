/**
 * The gate's working copies: per document, a copy of the relay's document that it keeps
 * between messages, so judging a change costs what the change touches, not a fork of the
 * whole history. Before each use a copy takes the changes the relay's document gained since
 * (the relay's own writes; the changes the gate accepted are in it already). A copy that took
 * a refused change is thrown away: the next message forks afresh. The least recently used
 * copies beyond `max` are freed.
 */
import * as A from "@automerge/automerge"

export type Backend = ReturnType<typeof A.getBackend>

interface Shadow {
  backend: Backend
  /** The relay document's heads the copy last caught up with (all of them in the copy). */
  synced: A.Heads
}

export class Shadows {
  readonly #copies = new Map<string, Shadow>()
  readonly #max: number

  constructor(max = 16) {
    this.#max = max
  }

  /** A working copy of `base` for one message; give it back with `keep` or `discard`. */
  take(documentId: string, base: Backend): Backend {
    const shadow = this.#copies.get(documentId)
    this.#copies.delete(documentId)
    const heads = base.getHeads()
    if (!shadow) return base.fork()
    if (!same(shadow.synced, heads)) {
      try {
        shadow.backend.applyChanges(base.getChanges(shadow.synced))
      } catch {
        shadow.backend.free()
        return base.fork()
      }
    }
    return shadow.backend
  }

  /** Keeps a copy that took only accepted changes, caught up with the relay's `base`. */
  keep(documentId: string, copy: Backend, base: Backend): void {
    this.#copies.set(documentId, { backend: copy, synced: base.getHeads() })
    for (const [id, old] of this.#copies) {
      if (this.#copies.size <= this.#max) break
      this.#copies.delete(id)
      old.backend.free()
    }
  }

  discard(copy: Backend): void {
    copy.free()
  }

  /** Forgets the copy of a document (the next message forks afresh). */
  drop(documentId: string): void {
    this.#copies.get(documentId)?.backend.free()
    this.#copies.delete(documentId)
  }
}

function same(a: A.Heads, b: A.Heads): boolean {
  return a.length === b.length && a.every(h => b.includes(h))
}
