/** The rooms concept's public face: what the views, the CLI, the relay and the worker use. */
export { createDm, postMessage, postTaskUpdate, roomMessages, rooms, sendFeedbackDm } from "./actions.ts"
export { DEFAULT_IMPORTANCE, DmParties, IMPORTANCE_RANGE, NewMessageInput } from "./inputs.ts"
export { partyName } from "./parties.ts"
export { messageParts, type MessagePart } from "./messageLinks.ts"
