import * as A from "@automerge/automerge"
for (const [label, mk] of [["imm10M", () => new A.ImmutableString("x".repeat(10*1024*1024))], ["text1M", () => "x".repeat(1024*1024)]] as const) {
let t = Date.now()
let doc = A.from<any>({ tasks: {} })
doc = A.change(doc, d => { d.tasks.t = { prompt: (mk as any)() } })
console.log(label, "change", Date.now() - t); t = Date.now()
const bytes = A.save(doc)
console.log("save", Date.now() - t, bytes.length); t = Date.now()
const d2 = A.load<any>(bytes)
console.log("load", Date.now() - t, typeof d2.tasks.t.prompt, d2.tasks.t.prompt.constructor.name, String(d2.tasks.t.prompt).length)
const [, msg] = A.generateSyncMessage(doc, A.initSyncState())
console.log(process.memoryUsage().rss / 1e6)
}
