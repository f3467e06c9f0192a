/** Names for ids in human output: residents by name, operators by display name, others as they are. */
import type { Identity } from "../schemas/index.ts"
import { residents } from "../src/domain/residents/index.ts"
import { partyName } from "../src/domain/rooms/index.ts"
import type { Workspace } from "../src/workspace/workspace.ts"

export interface Directory {
  residents: ReadonlyMap<string, Identity>
  nameOf(id: string): string
}

export async function directory(workspace: Workspace): Promise<Directory> {
  const people = await residents(workspace)
  return { residents: people, nameOf: id => partyName(id, people, workspace.root.peers) ?? id }
}
