/**
 * The workspace's artifacts index, live (useDocument): the Artifacts view and a task's page
 * follow workers as they keep what their runs produced. An artifact's own document, with its
 * versions, is opened by the viewer that shows it.
 */
import { computed } from "vue"
import { readArtifactIndex } from "../../workspace/documentReaders.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument } from "./useDocument.ts"

export function useArtifacts() {
  const store = useWorkspaceStore()
  const url = computed(() => store.root?.docs.artifacts)
  const doc = useDocument("artifacts", url, readArtifactIndex)
  /** False in a workspace from before artifacts (its relay adds the index on its next start). */
  const exists = computed(() => !!url.value)
  return { ...doc, exists }
}
