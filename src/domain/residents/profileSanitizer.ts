/**
 * A resident's profile page ("My Space"): HTML and CSS written
 * by possibly hostile peers. `validateProfile` names what an editor must remove before a
 * profile is stored; `sanitizeProfile` turns anything into safe HTML (allowlisted tags, no
 * attributes at all) and safe CSS (allowlisted properties, plain values), and is applied
 * again on display. HTML goes through sanitize-html (htmlparser2, no DOM), so this runs
 * in Node and the browser alike; CSS through the small allowlist parser below.
 */
import sanitizeHtml from "sanitize-html"

export const PROFILE_MAX_CHARS = 4_000

export const PROFILE_TAGS = [
  "div",
  "span",
  "p",
  "br",
  "b",
  "i",
  "u",
  "em",
  "strong",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "li",
  "blockquote",
  "pre",
  "code",
  "hr",
  "small",
  "sub",
  "sup",
] as const

/** Removed together with everything inside them (other unknown tags keep their text). */
export const PROFILE_REMOVED_TAGS = [
  ...["script", "iframe", "object", "embed", "svg", "math", "form", "input", "button", "textarea", "link", "meta"],
  ...["style", "noscript", "template", "title", "xmp", "select", "option", "applet", "frame", "frameset", "noembed", "noframes", "head"],
] as const

export const PROFILE_CSS_PROPERTIES = [
  "color",
  "background",
  "background-color",
  "font-size",
  "font-weight",
  "font-style",
  "text-align",
  "text-decoration",
  "padding",
  "margin",
  "border",
  "border-radius",
  "opacity",
  "line-height",
  "letter-spacing",
  "width",
  "height",
  "max-width",
  "min-width",
  "max-height",
  "min-height",
  "display",
  "overflow",
  "white-space",
] as const

/** The only functions a CSS value may call: none of them can load anything. */
const CSS_FUNCTIONS = new Set(["rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "clamp", "linear-gradient", "radial-gradient"])

const HTML_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...PROFILE_TAGS],
  allowedAttributes: {},
  disallowedTagsMode: "discard",
  nonTextTags: [...PROFILE_REMOVED_TAGS],
  nestingLimit: 20,
}

// ── validation ──────────────────────────────────────────────────────────────

const NAMED_ENTITIES: Record<string, string> = { colon: ":", tab: "\t", newline: "\n", lpar: "(", rpar: ")", sol: "/", bsol: "\\" }

/** What `javascript:` may hide behind in HTML: entities, whitespace and control characters. */
function revealHtml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) => String.fromCodePoint(Math.min(0x10ffff, parseInt(hex, 16))))
    .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(Math.min(0x10ffff, Number(dec))))
    .replace(/&([a-z]+);/gi, (all, name: string) => NAMED_ENTITIES[name.toLowerCase()] ?? all)
    .replace(/[\s\u0000-\u001f]+/g, "")
    .toLowerCase()
}

/** CSS with its escapes decoded (`\75 rl(` is `url(`) and comments removed, lowercase. */
function revealCss(css: string): string {
  return css
    .replace(/\\([0-9a-f]{1,6})\s?/gi, (_, hex: string) => String.fromCodePoint(Math.min(0x10ffff, parseInt(hex, 16)) || 0xfffd))
    .replace(/\\(.)/gs, "$1")
    .replace(/\/\*[\s\S]*?(?:\*\/|$)/g, "")
    .replace(/\s+/g, "")
    .toLowerCase()
}

/**
 * The reasons a profile must not be stored as given: forbidden tags, event handlers,
 * `javascript:`/`data:text/html`, and `url(`, `expression(`, `@import`, `javascript:` or
 * markup in the CSS (after decoding escapes). Attributes and unknown CSS properties are
 * not problems: the sanitizer drops them. Empty means acceptable.
 */
export function validateProfile(html: string, css: string): string[] {
  const problems: string[] = []
  if (html.length > PROFILE_MAX_CHARS) problems.push(`the HTML is longer than ${PROFILE_MAX_CHARS} characters`)
  if (css.length > PROFILE_MAX_CHARS) problems.push(`the CSS is longer than ${PROFILE_MAX_CHARS} characters`)
  const allowed = new Set<string>(PROFILE_TAGS)
  const tags = new Set<string>()
  const handlers = new Set<string>()
  for (const match of html.matchAll(/<\/?\s*([a-z][a-z0-9:-]*)([^>]*)/gi)) {
    const tag = match[1]!.toLowerCase()
    if (!allowed.has(tag)) tags.add(tag)
    for (const handler of match[2]!.matchAll(/(?:^|[\s/"'])(on[a-z]+)\s*=/gi)) handlers.add(handler[1]!.toLowerCase())
  }
  for (const tag of tags) problems.push(`forbidden tag <${tag}>`)
  for (const handler of handlers) problems.push(`event handler ${handler}= is not allowed`)
  const visible = revealHtml(html)
  for (const scheme of ["javascript:", "vbscript:", "data:text/html"]) if (visible.includes(scheme)) problems.push(`${scheme} is not allowed in the HTML`)
  const code = revealCss(css)
  for (const bad of ["url(", "expression(", "@import", "javascript:", "behavior:", "-moz-binding"]) if (code.includes(bad)) problems.push(`${bad} is not allowed in the CSS`)
  if (code.includes("<")) problems.push("markup (<…>) is not allowed in the CSS")
  return problems
}

// ── sanitizing ──────────────────────────────────────────────────────────────

/** Allowlisted tags without any attribute; scripts and the like vanish with their content. */
export function sanitizeProfileHtml(html: string): string {
  let out = sanitizeHtml(html.slice(0, PROFILE_MAX_CHARS), HTML_OPTIONS)
  // Only text can still spell a scheme; remove it anyway, so no copy of it survives.
  for (let before = ""; before !== out; ) {
    before = out
    out = out.replace(/(?:java|vb)script\s*:|data\s*:\s*text\/html/gi, "")
  }
  return out
}

const SELECTOR = /^[a-z0-9\s.#>+~,:*_-]{1,300}$/i
const VALUE = /^[a-z0-9\s#%.,()+\-/]{1,200}$/i

function cleanValue(raw: string): string | undefined {
  const important = /\s*!\s*important\s*$/i.test(raw)
  const value = raw
    .replace(/\s*!\s*important\s*$/i, "")
    .trim()
    .replace(/\s+/g, " ")
  if (!VALUE.test(value)) return undefined
  for (const call of value.matchAll(/([a-z-]*)\(/gi)) if (call[1] && !CSS_FUNCTIONS.has(call[1].toLowerCase())) return undefined
  let depth = 0
  for (const c of value) {
    depth += c === "(" ? 1 : c === ")" ? -1 : 0
    if (depth < 0) return undefined
  }
  if (depth !== 0) return undefined
  return important ? `${value} !important` : value
}

function cleanRule(selector: string, body: string): string | undefined {
  const sel = selector.trim().replace(/\s+/g, " ")
  if (!SELECTOR.test(sel) || body.includes("{")) return undefined
  const properties = new Set<string>(PROFILE_CSS_PROPERTIES)
  const declarations: string[] = []
  for (const part of body.split(";")) {
    const colon = part.indexOf(":")
    if (colon < 0) continue
    const property = part.slice(0, colon).trim().toLowerCase()
    const value = cleanValue(part.slice(colon + 1))
    if (properties.has(property) && value !== undefined) declarations.push(`${property}: ${value}`)
  }
  return declarations.length ? `${sel} { ${declarations.join("; ")} }` : undefined
}

/**
 * Keeps plain rules (`selector { property: value }`) whose selector uses letters, digits
 * and `. # > + ~ , : * _ -` only, and of their declarations those with an allowlisted
 * property and a plain value. Dropped whole: comments, at-rules (`@import`, `@media` …),
 * nested blocks, escapes, quotes, `url(` and any function not on the short allowlist.
 */
export function sanitizeProfileCss(css: string): string {
  const text = css.slice(0, PROFILE_MAX_CHARS).replace(/\/\*[\s\S]*?(?:\*\/|$)/g, " ")
  const rules: string[] = []
  let length = 0
  let i = 0
  while (i < text.length) {
    const open = text.indexOf("{", i)
    const semi = text.indexOf(";", i)
    // A statement ending before any block (`@import …;`, stray text) is dropped.
    if (semi >= 0 && (open < 0 || semi < open)) {
      i = semi + 1
      continue
    }
    if (open < 0) break
    let depth = 1
    let end = open + 1
    for (; end < text.length && depth > 0; end++) depth += text[end] === "{" ? 1 : text[end] === "}" ? -1 : 0
    if (depth > 0) break // unclosed block: drop the rest
    const prelude = text.slice(i, open)
    const rule = prelude.trim().startsWith("@") ? undefined : cleanRule(prelude, text.slice(open + 1, end - 1))
    if (rule && length + rule.length + 1 <= PROFILE_MAX_CHARS) {
      rules.push(rule)
      length += rule.length + 1
    }
    i = end
  }
  return rules.join("\n")
}

export function sanitizeProfile(html: string, css: string): { html: string; css: string } {
  return { html: sanitizeProfileHtml(html), css: sanitizeProfileCss(css) }
}

/**
 * A complete document for `<iframe sandbox="" :srcdoc="…">`: the profile re-sanitized, in a
 * frame that runs no script and (by its content security policy) loads nothing, whose CSS
 * cannot reach the app around it.
 */
export function profileSrcdoc(html: string, css: string): string {
  const safe = sanitizeProfile(html, css)
  return (
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<style>body{margin:0;padding:8px;font:14px/1.5 system-ui,sans-serif;color:#1f2328;overflow-wrap:anywhere}\n${safe.css}</style>` +
    `</head><body>${safe.html}</body></html>`
  )
}
