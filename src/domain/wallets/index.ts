/** The wallets concept's public face: what the views, the CLI, the relay and the worker use. */
export { grant, grantManually, openWallets, spend, walletOf } from "./actions.ts"
export { ledgerHas } from "./segments.ts"
export type { Ledger } from "./segments.ts"
export { BOUNTY_SLOT_POLICY, DAILY_ALLOWANCE, dayIndex, ledgerKeys, MAIL_DM_GRANT, MAIL_REPLY_GRANT, MAIL_SEND_COST, ONE_TIME_BONUS, phase5Reward, QUEST_DEFAULTS } from "./economy.ts"
export { balanceOf, deriveWallets, type LedgerEffect, voidedEffects, type Wallet } from "./ledger.ts"
export { GRANT_RANGE, ManualGrantInput, Tokens, TOKENS_RANGE } from "./inputs.ts"
