import type { BuildOptions } from "esbuild"

/** esbuild options shared by every Node build; `root` is the repository's directory. */
export function nodeBuildOptions(root: string): BuildOptions
