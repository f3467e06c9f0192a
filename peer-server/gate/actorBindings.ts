/**
 * Which principal each Automerge actor id belongs to. An actor id is bound to the first
 * principal whose connection sends a change by it; from then on only that principal may
 * send changes by it. Kept in DATA/actor-bindings.json (written atomically), so a restart
 * does not let another peer claim an actor.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { z } from "zod"
import { writeFileAtomic } from "../../src/peer/files.ts"

const Bindings = z.record(z.string(), z.string())

export class ActorBindings {
  readonly #path: string
  readonly #byActor: Map<string, string>

  constructor(dataDir: string) {
    this.#path = join(dataDir, "actor-bindings.json")
    this.#byActor = new Map(existsSync(this.#path) ? Object.entries(Bindings.parse(JSON.parse(readFileSync(this.#path, "utf8")))) : [])
  }

  /** The peer an actor id is bound to, if any. */
  ownerOf(actor: string): string | undefined {
    return this.#byActor.get(actor)
  }

  /** Binds every unbound actor to `peer` and saves, once, when anything is new. */
  bind(actors: Iterable<string>, peer: string): void {
    let added = false
    for (const actor of actors)
      if (!this.#byActor.has(actor)) {
        this.#byActor.set(actor, peer)
        added = true
      }
    if (added) writeFileAtomic(this.#path, JSON.stringify(Object.fromEntries(this.#byActor)), 0o600)
  }
}
