/**
 * Names and titles for what views show by id: peers and actors (through the one helper of the
 * peers concept, src/domain/peers/names.ts), residents, and the subjects of audit entries and
 * presence (task, quest and bounty titles). Ids stay available as hover text (`title`).
 * Call it once per view: it reads the residents, the quest index and the bounties.
 */
import { storeToRefs } from "pinia"
import { computed } from "vue"
import { peerLabel, peerSubject } from "../../domain/peers/index.ts"
import { readBounties, readIdentities, readQuestIndex } from "../../workspace/documentReaders.ts"
import { NAV } from "../router.ts"
import { useWorkspaceStore } from "../stores/workspace.ts"
import { useDocument } from "./useDocument.ts"

export interface Named {
  text: string
  /** Hover text: the id behind the name. */
  title: string
  /** Where the thing lives in the app, when it has a page. */
  to?: string
  /** Who it is for grouping (the operator behind a terminal). */
  person?: string
}

const VIEW_LABELS: Record<string, string> = Object.fromEntries(NAV.map(n => [n.name, n.label]))

export function useNames() {
  const store = useWorkspaceStore()
  const { root, tasks } = storeToRefs(store)
  const identities = useDocument("identities", computed(() => root.value?.docs.identities), readIdentities).value
  const quests = useDocument("quests", computed(() => root.value?.docs.quests), readQuestIndex).value
  const bounties = useDocument("bounties", computed(() => root.value?.docs.bounties), readBounties).value

  /** A peer or an actor of a record: an operator's display name (a terminal's operator's), a worker, the relay, a resident. */
  function actor(id: string): Named {
    const resident = identities.value?.get(id)
    if (resident) return { text: resident.name, title: `${id} (resident)`, person: id }
    const label = peerLabel(root.value, id)
    return { text: label.text, title: label.title, person: label.person }
  }

  /** What an audit entry or a notice is about: a task, quest, bounty, resident or peer by its name; else the id itself. */
  function subject(id: string): Named {
    const task = tasks.value.get(id)
    if (task) return { text: task.title, title: id, to: `/tasks/${id}` }
    const quest = quests.value?.get(id)
    if (quest) return { text: quest.title, title: id, to: `/quests/${id}` }
    const bounty = bounties.value?.get(id)
    if (bounty) return { text: bounty.title, title: id }
    if (identities.value?.has(id)) return actor(id)
    if (root.value && Object.hasOwn(root.value.peers, id)) {
      const label = peerSubject(root.value, id)
      return { text: label.text, title: label.title }
    }
    if (/^task-/.test(id)) return { text: "a task no longer in the live queue", title: id, to: `/tasks/${id}` }
    return { text: id, title: id }
  }

  /** What an operator has open, from its presence ("task:ID", "quest:ID" or a view's name). */
  function viewing(what: string): Named {
    const [kind, id] = what.split(/:(.*)/s)
    if ((kind === "task" || kind === "quest") && id) {
      const named = subject(id)
      return { ...named, text: named.text === id ? `a ${kind}` : named.text }
    }
    return { text: VIEW_LABELS[what] ?? what, title: what, to: NAV.find(n => n.name === what)?.path }
  }

  return { actor, subject, viewing }
}
