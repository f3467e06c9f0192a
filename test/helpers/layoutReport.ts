/**
 * What a person on a small touch screen would trip over on the page shown now, measured in
 * the page: sideways scrolling, elements reaching past the screen's edges, touch targets
 * smaller than a finger, and text too faint against its background (WCAG AA contrast).
 */
import type { Page } from "playwright-core"

export interface LayoutReport {
  /** The device's screen width in CSS px. */
  screenWidth: number
  /** The layout viewport: a mobile browser widens it (zooming out) to fit a page wider than the screen. */
  innerWidth: number
  /** The document's width: wider than `innerWidth` means the page scrolls sideways. */
  scrollWidth: number
  /** Elements reaching past the viewport's sides outside a box that scrolls or clips them (innermost only). */
  overflowing: string[]
  /** Interactive elements smaller than the minimum in either dimension (their label counts: tapping it works too). */
  smallTargets: string[]
  /** Text below 4.5:1 (3:1 when large) against the background it is drawn on. */
  lowContrast: string[]
}

/** Measures the page; `minTarget` is the least width and height of a touch target in CSS px. */
export function layoutReport(page: Page, minTarget = 44): Promise<LayoutReport> {
  const screenWidth = page.viewportSize()?.width
  if (!screenWidth) throw new Error("layoutReport needs a page with a fixed viewport")
  return page.evaluate(async ([min, vw]) => {
    // Measured at rest: a transition still running (the navigation folding away after a resize)
    // would report where an element passes, not where it stays.
    // (A spinner's endless animation never finishes: only those with an end are awaited.)
    const ending = document.getAnimations().filter(a => Number.isFinite(Number(a.effect?.getComputedTiming().endTime)))
    await Promise.all(ending.map(a => a.finished.catch(() => undefined)))
    await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))
    const describe = (el: Element) => {
      const testid = el.getAttribute("data-testid")
      const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 2).join(".")}` : ""
      const text = (el.textContent ?? "").replace(/\s+/g, " ").trim().slice(0, 40)
      const r = el.getBoundingClientRect()
      return `${el.tagName.toLowerCase()}${testid ? `[data-testid=${testid}]` : cls} "${text}" ${Math.round(r.width)}×${Math.round(r.height)} at x=${Math.round(r.left)}`
    }
    const shown = (el: Element) => el.checkVisibility({ visibilityProperty: true }) && el.getBoundingClientRect().width > 0
    const all = [...document.body.querySelectorAll("*")].filter(shown)

    // A box that scrolls or clips sideways and itself fits holds its overflow.
    const held = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX === "visible") continue
        const r = p.getBoundingClientRect()
        if (r.left >= -0.5 && r.right <= vw + 0.5) return true
      }
      return false
    }
    const sticksOut = (el: Element) => {
      const r = el.getBoundingClientRect()
      return (r.right > vw + 0.5 || r.left < -0.5) && !held(el)
    }
    const out = new Set(all.filter(sticksOut))
    const overflowing = [...out].filter(el => ![...el.children].some(c => out.has(c))).map(describe)

    const interactive = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"], [tabindex]:not([tabindex="-1"])'
    // A link inside a sentence is exempt (WCAG 2.5.5's inline exception): padding it to 44 px would pull the lines apart.
    const inSentence = (el: Element) =>
      el.tagName === "A" && getComputedStyle(el).display === "inline" && (el.parentElement?.textContent ?? "").trim().length > (el.textContent ?? "").trim().length
    const bigEnough = (el: Element) => {
      const r = el.getBoundingClientRect()
      return r.width + 0.5 >= min && r.height + 0.5 >= min
    }
    const smallTargets = [...document.body.querySelectorAll(interactive)]
      .filter(el => shown(el) && !inSentence(el))
      .filter(el => !bigEnough(el) && ![...((el as HTMLInputElement).labels ?? [])].some(bigEnough))
      .map(describe)

    // Contrast: the text colour over the backgrounds drawn beneath it, composited up to an opaque one.
    type Rgba = [number, number, number, number]
    const parse = (c: string): Rgba | undefined => {
      const m = c.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/)
      if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])]
      const s = c.match(/^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?\)$/)
      if (s) return [Number(s[1]) * 255, Number(s[2]) * 255, Number(s[3]) * 255, s[4] === undefined ? 1 : Number(s[4])]
      return undefined
    }
    const over = (top: Rgba, bottom: Rgba): Rgba => {
      const a = top[3]
      return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1]
    }
    const background = (el: Element): Rgba | undefined => {
      const layers: Rgba[] = []
      for (let p: Element | null = el; p; p = p.parentElement) {
        const style = getComputedStyle(p)
        if (style.backgroundImage !== "none") return undefined
        const bg = parse(style.backgroundColor)
        if (bg && bg[3] > 0) layers.push(bg)
        if (bg && bg[3] >= 1) break
      }
      return layers.reduceRight<Rgba>((below, layer) => over(layer, below), [255, 255, 255, 1])
    }
    const luminance = ([r, g, b]: Rgba) => {
      const lin = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    }
    const opacity = (el: Element) => {
      let o = 1
      for (let p: Element | null = el; p; p = p.parentElement) o *= Number(getComputedStyle(p).opacity)
      return o
    }
    const hasText = (el: Element) =>
      [...el.childNodes].some(n => n.nodeType === Node.TEXT_NODE && (n.textContent ?? "").trim()) || (el.matches("input, select, textarea") && !!(el as HTMLInputElement).value)
    const lowContrast: string[] = []
    for (const el of all) {
      if (!hasText(el) || el.closest(":disabled")) continue
      const style = getComputedStyle(el)
      const fg = parse(style.color)
      const bg = background(el)
      if (!fg || !bg) continue
      const text = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg)
      const [l1, l2] = [luminance(text), luminance(bg)].sort((a, b) => b - a) as [number, number]
      const ratio = (l1 + 0.05) / (l2 + 0.05)
      const size = parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      if (ratio < (large ? 3 : 4.5)) lowContrast.push(`${describe(el)}: ${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(", ")}))`)
    }
    return { screenWidth: vw, innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, overflowing: overflowing.slice(0, 15), smallTargets: smallTargets.slice(0, 30), lowContrast: lowContrast.slice(0, 30) }
  }, [minTarget, screenWidth] as const)
}
