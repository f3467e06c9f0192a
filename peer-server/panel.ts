/** The control panel: the built PWA, served last, for every GET no other extension answered. */
import { existsSync } from "node:fs"
import sirv from "sirv"
import type { RelayExtension } from "./extension.ts"
import { isRead, send, sendJson } from "./http.ts"
import { packagePath } from "./packagePath.ts"

/** Where `npm run build` puts the PWA. */
export const DEFAULT_APP_DIR = packagePath("dist", "app")

type StaticHandler = ReturnType<typeof sirv>

/**
 * The only folders the built app keeps files in below the top level. Any other deeper path is
 * a view of the app (`/artifacts/<id>`, `/tasks/<id>`), whose id may look like a file name
 * (`…notes.md`, a plan step's `….s1`): sirv would answer such a path 404 instead of the page.
 */
const APP_FILE_DIRS = /^\/(?:assets|icons)\//

/**
 * The PWA's files. Hashed assets are immutable; the page, manifest and service worker are
 * revalidated so a rebuilt app reaches browsers. Unknown paths fall back to index.html
 * (the app routes in the browser).
 */
function staticApp(dir: string): StaticHandler | undefined {
  if (!existsSync(`${dir}/index.html`)) return undefined
  return sirv(dir, {
    single: true,
    // Look files up per request: a rebuild (`npm run build`) replaces the hashed files under a
    // running relay, and a cached file list would serve 404s or vanished files.
    dev: true,
    etag: true,
    setHeaders(res, pathname) {
      for (const [k, v] of Object.entries(APP_HEADERS)) res.setHeader(k, v)
      res.setHeader("Cache-Control", pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache")
    },
  })
}

/** The PWA loads only its own code; WASM compilation needs 'wasm-unsafe-eval'. */
const APP_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vivarium</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Vivarium relay</h1>
<p>The relay is running, but the control panel is not built. Build it and reload:</p>
<pre>npm run build</pre>
<p>Health: <a href="/healthz">/healthz</a> · Metrics: <a href="/metrics">/metrics</a></p>
</body></html>
`

/** Serves `dir` (default dist/app); a missing build answers a page that says how to build it. */
export function controlPanel(dir = DEFAULT_APP_DIR): RelayExtension {
  const app = staticApp(dir)
  return {
    name: "control-panel",
    onStart(ctx) {
      if (!app) ctx.log(`the control panel is not built (no ${dir}): run 'npm run build' to serve it`)
    },
    onRequest(req, res, path) {
      if (!isRead(req) || path.startsWith("/api/")) return false
      if (app && path.split("/").length > 2 && !APP_FILE_DIRS.test(path)) req.url = "/"
      if (app) app(req, res, () => sendJson(res, 404, { error: `no route ${path}` }))
      else send(res, 503, "text/html; charset=utf-8", NOT_BUILT)
      return true
    },
  }
}
