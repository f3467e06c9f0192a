/** The rooms concept's public face: what the views, the CLI, the relay and the worker use. */
export { createDm, postMessage, postTaskUpdate, sendFeedbackDm } from "./actions.ts"
export { messageParts, type MessagePart } from "./messageLinks.ts"
