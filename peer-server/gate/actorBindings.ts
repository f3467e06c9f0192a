/**
 * Which principal each Automerge actor id belongs to. An actor id is bound to the first
 * principal whose connection sends a change by it; from then on only that principal may
 * send changes by it. Kept in DATA/actor-bindings.json (written atomically), so a restart
 * does not let another peer claim an actor.
 *
 * A follower relay (a `mirror`) forwards the changes of its own peers and says whose each
 * actor is (`declare`); those declarations are kept per mirror, in memory (a mirror declares
 * again on every connection), and the gate binds an actor to the peer it was declared for.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { z } from "zod"
import { MAX_DECLARED_ACTORS, type ActorsMessage } from "../../schemas/wire.ts"
import { writeFileAtomic } from "../../src/peer/files.ts"

const Bindings = z.record(z.string(), z.string())

export class ActorBindings {
  readonly #path: string
  readonly #byActor: Map<string, string>
  readonly #declared = new Map<string, Map<string, string>>()
  readonly #listeners = new Set<(bound: ReadonlyMap<string, string>) => void>()

  constructor(dataDir: string) {
    this.#path = join(dataDir, "actor-bindings.json")
    this.#byActor = new Map(existsSync(this.#path) ? Object.entries(Bindings.parse(JSON.parse(readFileSync(this.#path, "utf8")))) : [])
  }

  /** The peer an actor id is bound to, if any. */
  ownerOf(actor: string): string | undefined {
    return this.#byActor.get(actor)
  }

  /** Every binding (a follower declares them all to its upstream when it connects). */
  all(): ReadonlyMap<string, string> {
    return this.#byActor
  }

  /** Binds every unbound actor to `peer` and saves, once, when anything is new; listeners hear the new ones. */
  bind(actors: Iterable<string>, peer: string): void {
    const added = new Map<string, string>()
    for (const actor of actors)
      if (!this.#byActor.has(actor)) {
        this.#byActor.set(actor, peer)
        added.set(actor, peer)
      }
    if (!added.size) return
    writeFileAtomic(this.#path, JSON.stringify(Object.fromEntries(this.#byActor)), 0o600)
    for (const listener of this.#listeners) listener(added)
  }

  /** Called with each batch of new bindings; returns the unsubscribe. */
  onBound(listener: (bound: ReadonlyMap<string, string>) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** What follower `mirror` says: whose each actor is. */
  declare(mirror: string, actors: Readonly<Record<string, string>>): void {
    const declared = this.#declared.get(mirror) ?? this.#declared.set(mirror, new Map()).get(mirror)!
    for (const [actor, peer] of Object.entries(actors)) declared.set(actor, peer)
  }

  /** The peer follower `mirror` declared `actor` for, if it did. */
  declaredBy(mirror: string, actor: string): string | undefined {
    return this.#declared.get(mirror)?.get(actor)
  }
}

/** Bindings as `vivarium-actors` messages from `senderId` to `targetId`, at most MAX_DECLARED_ACTORS each. */
export function actorsMessages(bindings: ReadonlyMap<string, string>, senderId: string, targetId: string): ActorsMessage[] {
  const entries = [...bindings]
  const messages: ActorsMessage[] = []
  for (let i = 0; i < entries.length; i += MAX_DECLARED_ACTORS)
    messages.push({ type: "vivarium-actors", senderId, targetId, actors: Object.fromEntries(entries.slice(i, i + MAX_DECLARED_ACTORS)) })
  return messages
}
