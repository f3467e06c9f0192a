/**
 * Links inside a room message: the relay's posts name a task by its path in the control
 * panel (`/tasks/<id>`), and operators may paste such paths too. Splitting the text here
 * keeps the message plain text in the document; the panel renders the paths as links.
 */

/** A run of message text; `to` is set when the run is a path of the panel. */
export interface MessagePart {
  text: string
  to?: string
}

/** `/tasks/<id>`, `/quests/<id>`, `/residents/<id>`, `/rooms/<id>` or `/artifacts/<id>`, standing alone (not inside a URL); an id does not end in "." or ":". */
const APP_PATH = /(?<![\w/.:])\/(?:tasks|quests|residents|rooms|artifacts)\/[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_])?/g

export function messageParts(text: string): MessagePart[] {
  const parts: MessagePart[] = []
  let last = 0
  for (const match of text.matchAll(APP_PATH)) {
    if (match.index > last) parts.push({ text: text.slice(last, match.index) })
    parts.push({ text: match[0], to: match[0] })
    last = match.index + match[0].length
  }
  if (last < text.length) parts.push({ text: text.slice(last) })
  return parts
}
