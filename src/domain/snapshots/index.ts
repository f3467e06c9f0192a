export * from "./snapshot.ts"
export * from "./actions.ts"
