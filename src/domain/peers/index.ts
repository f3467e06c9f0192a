/** The peers concept's public face: what the views, the CLI, the relay and the worker use. */
export { type ControlsEdit, decidePeer, killSwitchReason, setKillSwitch, updateControls } from "./actions.ts"
export { connectionProofText, decodeProofProtocol, encodeProofProtocol, EnrolmentAnswer, enrolmentProofText, EnrolmentRequest } from "./connectionProof.ts"
export { KeyRotationError, rotateKey } from "./keyRotation.ts"
export { openOwnAuditLog, type PeerIdentity, PeerNameTakenError, writePeerRecord } from "./registerPeer.ts"
export { cleanDisplayName, displayNameHolder, displayNameOf, peerLabel, type PeerLabel, peerNameFor, peerSubject, personOf } from "./names.ts"
export {
  confirmPairing,
  devicesOf,
  formatPairingCode,
  PAIRING_TTL_MS,
  PairingClaim,
  PairingClaimAnswer,
  pairingClaimText,
  type PairingClaimer,
  PairingCode,
  pairingCodeFrom,
  PairingOffer,
  PairingRequest,
  pairingRequestText,
} from "./pairing.ts"
