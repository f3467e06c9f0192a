/**
 * A Markdown artifact as safe HTML for the panel. The text comes from any peer (a resident's
 * answer, a file a command wrote), so it is rendered in two guarded steps: markdown-it with
 * raw HTML off (a `<script>` or an `onerror=` in the text stays text, escaped) and only
 * http(s), relative and in-page links; then sanitize-html keeps the tags Markdown makes, the
 * link and list attributes it needs and nothing else (no images, no styles, no other schemes);
 * an image in the text is named, not fetched.
 * Runs in Node and the browser alike (neither needs a DOM).
 */
import MarkdownIt from "markdown-it"
import sanitizeHtml from "sanitize-html"

const SCHEME = /^([a-z][a-z0-9+.-]*):/i

/** http(s) links, and relative ones (a path, a `?query` or a `#fragment`); never another scheme or a protocol-relative `//host`. */
export function isSafeLink(url: string): boolean {
  const trimmed = url.trim()
  const scheme = SCHEME.exec(trimmed)?.[1]?.toLowerCase()
  if (scheme) return scheme === "http" || scheme === "https"
  return !trimmed.startsWith("//") && !trimmed.startsWith("\\\\")
}

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false })
markdown.validateLink = isSafeLink
// An image in the text would be fetched from wherever it points: it is named instead.
markdown.renderer.rules.image = (tokens, idx) => markdown.utils.escapeHtml(`[image: ${tokens[idx]!.content || "no description"}]`)

const MARKDOWN_TAGS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "em", "strong", "s", "a", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"]

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: MARKDOWN_TAGS,
  allowedAttributes: { a: ["href", "title", "rel"], ol: ["start"] },
  allowedSchemes: ["http", "https"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // A link to another site tells it nothing about the panel.
  transformTags: { a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer nofollow" }) },
}

/** `text` (Markdown) as HTML safe to put in the page. */
export function renderMarkdown(text: string): string {
  return sanitizeHtml(markdown.render(text), SANITIZE)
}
