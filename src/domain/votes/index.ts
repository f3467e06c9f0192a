export * from "./events.ts"
export * from "./rounds.ts"
