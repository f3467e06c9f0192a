/**
 * The relay's GET /api/trust answer: whether it serves HTTPS on the LAN and what a device
 * needs to trust the workspace's certificate, shown by the panel's Settings.
 */
import { z } from "zod"

/** SHA-256 of a certificate as browsers show it: 32 bytes in upper-case hex, colon-separated. */
export const CertificateFingerprint = z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, "expected a SHA-256 fingerprint (AB:CD:…)")

const HttpUrl = z.string().max(300).regex(/^https?:\/\/[^\s/]+\/$/, "expected http(s)://host:port/")

/** A relay that serves HTTPS on the LAN: what a device needs to trust it. */
export const TrustOn = z.object({
  https: z.literal(true),
  /** The CA devices install (absent when the operator's own certificate came without its issuer). */
  fingerprint: CertificateFingerprint.optional(),
  subject: z.string().max(300).optional(),
  /** The panel over HTTPS, and the plain helper that serves only the CA and the steps. */
  panelUrl: HttpUrl,
  helperUrl: HttpUrl,
  /** The names and addresses the server certificate covers. */
  names: z.array(z.string().max(253)).max(64),
})
export type TrustOn = z.infer<typeof TrustOn>

/** The answer, also from a relay that serves this machine only (plain HTTP on loopback). */
export const TrustFacts = z.discriminatedUnion("https", [z.object({ https: z.literal(false) }), TrustOn])
export type TrustFacts = z.infer<typeof TrustFacts>
