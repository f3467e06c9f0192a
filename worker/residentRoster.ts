/**
 * A worker that plays every resident of the workspace (the worker of `vivarium start`, or
 * `vivarium worker --residents all`) follows the identities document: a resident forged
 * while it runs is offered in its next heartbeat, with no restart.
 */
import { MAX_PLAYED_RESIDENTS, type IdentitiesDoc } from "../schemas/index.ts"
import { openDoc } from "../src/workspace/actionContext.ts"
import { readIdentities } from "../src/workspace/documentReaders.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

/** Calls `onChange` with every resident's id now and after each change; returns how to stop. */
export async function followResidents(ws: Workspace, onChange: (ids: string[]) => void): Promise<() => void> {
  const handle = await openDoc<IdentitiesDoc>(ws, ws.root.docs.identities)
  let last = ""
  const read = () => {
    const ids = [...readIdentities(handle.doc(), `identities ${handle.url}`, []).keys()].sort().slice(0, MAX_PLAYED_RESIDENTS)
    if (ids.join() === last) return
    last = ids.join()
    onChange(ids)
  }
  handle.on("change", read)
  read()
  return () => handle.off("change", read)
}
