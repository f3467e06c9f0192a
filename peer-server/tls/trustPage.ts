/**
 * "Trust this workspace": a small static page with the CA certificate to download, its
 * fingerprint to compare, a QR code of the panel's HTTPS address and short steps for each
 * kind of device. Served before the device trusts anything (on the plain helper port) and
 * from the panel's Settings. Everything interpolated is escaped; the page runs no script.
 */
import QRCode from "qrcode"
import type { TrustAnchor } from "./certificateAuthority.ts"

export interface TrustPageInput {
  /** What devices install; absent when the operator's own certificate came without its issuer. */
  anchor?: TrustAnchor
  /** The panel over HTTPS, as this device reaches it (no join secret). */
  panelUrl: string
  /** Whose steps open first. */
  device: Device
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** The fingerprint in groups a person can compare, eight bytes per line. */
function fingerprintLines(fingerprint: string): string {
  const bytes = fingerprint.split(":")
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 8) lines.push(bytes.slice(i, i + 8).join(":"))
  return lines.map(escapeHtml).join("<br>")
}

/** The kinds of device the page has steps for; the one the visitor uses opens first. */
export const DEVICES = ["windows", "macos", "linux", "firefox", "android", "ios"] as const
export type Device = (typeof DEVICES)[number]

/** Which steps fit a browser's User-Agent (only ever picks one of the fixed sections). */
export function deviceOf(userAgent = ""): Device {
  if (/iPhone|iPad|iPod/.test(userAgent)) return "ios"
  if (/Android/.test(userAgent)) return "android"
  if (/Firefox\//.test(userAgent)) return "firefox"
  if (/Macintosh|Mac OS X/.test(userAgent)) return "macos"
  if (/Linux|X11|CrOS/.test(userAgent)) return "linux"
  return "windows"
}

const STEPS: Record<Device, { summary: string; steps: string }> = {
  windows: {
    summary: "Windows · Chrome or Edge",
    steps: `
    <li>Download the certificate above and open it.</li>
    <li>Choose <b>Install Certificate…</b> › <b>Current User</b> › <b>Place all certificates in the following store</b> › <b>Trusted Root Certification Authorities</b> › <b>Finish</b>, and confirm.</li>
    <li>Restart the browser, then open the panel link.</li>`,
  },
  macos: {
    summary: "macOS · Safari, Chrome or Edge",
    steps: `
    <li>Download the certificate and open it: <b>Keychain Access</b> adds it to the <b>login</b> keychain.</li>
    <li>In Keychain Access, double-click <b>Vivarium workspace CA</b>, open <b>Trust</b> and set <b>When using this certificate</b> to <b>Always Trust</b>. Close the window and enter your password.</li>
    <li>Open the panel link (restart Chrome or Edge if they were open).</li>`,
  },
  linux: {
    summary: "Linux · Chrome or Chromium",
    steps: `
    <li>Download the certificate. Open <code>chrome://certificate-manager</code> › <b>Local certificates</b> › <b>Custom</b> › <b>Import</b> (older versions: Settings › Privacy and security › Security › Manage certificates › <b>Authorities</b> › <b>Import</b>).</li>
    <li>Pick the file and tick <b>Trust this certificate for identifying websites</b>.</li>`,
  },
  firefox: {
    summary: "Firefox · Windows, macOS, Linux",
    steps: `
    <li>Firefox keeps its own list: open <b>Settings</b> › <b>Privacy &amp; Security</b> › <b>Certificates</b> › <b>View Certificates…</b> › <b>Authorities</b> › <b>Import…</b> and pick the downloaded file (or simply click the download link in Firefox).</li>
    <li>Tick <b>Trust this CA to identify websites</b> and press <b>OK</b>.</li>`,
  },
  android: {
    summary: "Android",
    steps: `
    <li>Tap the download button; Android keeps the file in Downloads.</li>
    <li>Open <b>Settings</b> › <b>Security &amp; privacy</b> › <b>More security settings</b> › <b>Encryption &amp; credentials</b> › <b>Install a certificate</b> › <b>CA certificate</b> › <b>Install anyway</b> and pick the file (names vary a little by maker; search Settings for “CA certificate”).</li>
    <li>Open the panel link in Chrome.</li>`,
  },
  ios: {
    summary: "iPhone and iPad",
    steps: `
    <li>Open this page in <b>Safari</b> and tap the download button, then <b>Allow</b>.</li>
    <li>Open <b>Settings</b> › <b>General</b> › <b>VPN &amp; Device Management</b>, tap <b>Vivarium workspace CA</b> › <b>Install</b> (twice) and enter your passcode.</li>
    <li>Then turn on full trust: <b>Settings</b> › <b>General</b> › <b>About</b> › <b>Certificate Trust Settings</b> › switch on <b>Vivarium workspace CA</b>.</li>
    <li>Open the panel link.</li>`,
  },
}

function stepsHtml(open: Device): string {
  const sections = DEVICES.map(
    d => `  <details${d === open ? " open" : ""} data-device="${d}"><summary>${STEPS[d].summary}</summary><ol>${STEPS[d].steps}\n  </ol></details>`,
  )
  return `<section class="steps" id="steps">\n  <h2>Steps for your device</h2>\n${sections.join("\n")}\n</section>`
}

const STYLE = `
:root { --ink: #1c2420; --muted: #5f6b65; --line: #dde3df; --accent: #1f6f50; --bg: #f6f7f5; --panel: #fff; --warn-bg: #fff6d9; }
@media (prefers-color-scheme: dark) { :root { --ink: #e4ebe7; --muted: #a3b0a9; --line: #34403a; --accent: #6fd3a6; --bg: #131a17; --panel: #1b2420; --warn-bg: #3a3016; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.45rem; margin: 0 0 0.4rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 0.6rem; }
a { color: var(--accent); }
code { font-family: ui-monospace, Menlo, monospace; font-size: 0.92em; overflow-wrap: anywhere; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1rem; display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
.card > div { flex: 1 1 16rem; min-width: 0; }
.button { display: inline-block; background: var(--accent); color: var(--bg); text-decoration: none; font-weight: 600; padding: 0.7rem 1.1rem; border-radius: 8px; min-height: 44px; }
.fingerprint { font-family: ui-monospace, Menlo, monospace; font-size: 0.85rem; line-height: 1.6; margin: 0.3rem 0 0.6rem; overflow-wrap: anywhere; }
.note { background: var(--warn-bg); padding: 0.5rem 0.7rem; border-radius: 6px; font-size: 0.92rem; }
figure { margin: 0; width: 11rem; text-align: center; font-size: 0.85rem; color: var(--muted); }
figure svg { width: 11rem; height: 11rem; background: #fff; border-radius: 6px; }
@media (max-width: 36rem) { figure { margin: 0 auto; } }
details { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin: 0.5rem 0; padding: 0 0.9rem; }
summary { cursor: pointer; font-weight: 600; padding: 0.7rem 0; min-height: 44px; }
ol { margin: 0 0 0.8rem; padding-left: 1.3rem; }
li { margin: 0.3rem 0; }
.muted { color: var(--muted); }`

/** The whole page as HTML. */
export async function trustPageHtml(input: TrustPageInput): Promise<string> {
  const panel = escapeHtml(input.panelUrl)
  const qr = await QRCode.toString(input.panelUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" })
  const anchor = input.anchor
  const download = anchor
    ? `<p><a class="button" href="/ca.crt" download="vivarium-ca.crt" data-testid="ca-download">Download the CA certificate</a></p>
      <p class="muted">${escapeHtml(anchor.subject)}</p>
      <p>SHA-256 fingerprint:</p>
      <p class="fingerprint" data-testid="ca-fingerprint">${fingerprintLines(anchor.fingerprint)}</p>
      <p class="note">Before you trust it, compare this fingerprint with the one <code>vivarium start</code> printed on the workspace's machine (or its panel's Settings). This page came over plain HTTP; only that comparison shows nobody swapped the certificate on the way.</p>`
    : `<p>This workspace uses a certificate its operator provided. A device that already trusts the certificate's issuer needs nothing here; otherwise ask the operator for the issuer's certificate.</p>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trust this Vivarium workspace</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><main>
<h1>Trust this Vivarium workspace</h1>
<p>The workspace encrypts its connections with a certificate authority of its own. Install it once on each device; then the panel opens at <a href="${panel}" data-testid="panel-link">${panel}</a> with a padlock, works offline and can sign your approvals.</p>
<section class="card">
  <div>${download}</div>
  <figure>${qr}<figcaption>Scan to open the panel once the certificate is trusted</figcaption></figure>
</section>
${anchor ? stepsHtml(input.device) : ""}
<p class="muted">After installing, restart the browser if it was open. To join, you still need the workspace's join link from an operator.</p>
</main></body></html>
`
}
