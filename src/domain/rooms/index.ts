/** The rooms concept's public face: what the views, the CLI, the relay and the worker use. */
export { addDueSegments, createDm, openRelayRoom, postMessage, postOnce, postTaskUpdate, roomMessages, roomPage, rooms, sendFeedbackDm, setRoomTopic, type OnceResult, type RoomPage } from "./actions.ts"
export { DEFAULT_IMPORTANCE, DmParties, IMPORTANCE_RANGE, NewMessageInput, RoomTopic } from "./inputs.ts"
export { partyName } from "./parties.ts"
export { messageParts, type MessagePart } from "./messageLinks.ts"
export { mergeSegments, roomSegments, type Segment } from "./segments.ts"
