/** The mailbox concept's public face: what the views, the CLI, the relay and the worker use. */
export { answerMail, mailAnswerId, openMailbox, pendingApprovalNotice, replyToMail, residentMessage, sendMail } from "./actions.ts"
export { MailContent, SendMailInput } from "./inputs.ts"
export { answeredIds, BROADCAST_THREAD, isUnread, type MailThread, mailThreads, noticeDecided, SYSTEM_THREAD, undeliveredMail, unansweredBy, unreadCount } from "./mailbox.ts"
