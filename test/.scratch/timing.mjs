import { register } from "tsx/esm/api"
register()
const t0 = Date.now()
const { main } = await import("../../cli/main.ts")
const t1 = Date.now()
const code = await main(["task", "list", "--data", "/tmp/tmp.aOQJaHTcLf"])
const t2 = Date.now()
console.error("import", t1 - t0, "main", t2 - t1)
process.on("exit", () => console.error("exit after main", Date.now() - t2))
