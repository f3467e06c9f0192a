/** A small seeded random generator (mulberry32), so a failing random schedule can be replayed. */
export interface SeededRandom {
  readonly seed: number
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max]. */
  int(min: number, max: number): number
}

/** The seed from `envVar` if set (to replay a failure), else a fresh one. */
export function seedFrom(envVar: string): number {
  const given = process.env[envVar]
  return given ? Number(given) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0
}

export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { seed, next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) }
}
