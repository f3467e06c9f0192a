/** The collaboration request's public face: what the views, the CLI and the relay's gate use. */
export * from "./actions.ts"
export * from "./authority.ts"
export * from "./inputs.ts"
export * from "./rules.ts"
