import { describe, expect, it } from "vitest"
import {
  PROFILE_CSS_PROPERTIES,
  PROFILE_TAGS,
  profileSrcdoc,
  sanitizeProfile,
  sanitizeProfileCss,
  sanitizeProfileHtml,
  validateProfile,
} from "../../src/domain/residents/profileSanitizer.ts"

const html = sanitizeProfileHtml
const css = sanitizeProfileCss

/** Nothing executable or loading may survive, in any spelling. */
function assertInert(out: string): void {
  expect(out).not.toMatch(/<\s*\/?\s*(script|iframe|object|embed|svg|math|form|input|button|textarea|link|meta|style|img|a)\b/i)
  expect(out).not.toMatch(/\son[a-z]+\s*=/i)
  expect(out).not.toMatch(/javascript\s*:/i)
  expect(out).not.toMatch(/<[a-z0-9]+\s[^>]*>/i) // no tag carries an attribute
}

describe("sanitizeProfileHtml", () => {
  it("keeps every allowlisted tag and strips all attributes", () => {
    for (const tag of PROFILE_TAGS) {
      const input = tag === "br" || tag === "hr" ? `<${tag} class="x">` : `<${tag} class="x" style="color:red" id="y">t</${tag}>`
      const out = html(input)
      expect(out.startsWith(`<${tag}`)).toBe(true)
      expect(out).not.toContain("class")
      expect(out).not.toContain("style")
    }
    expect(html('<p title="hi" data-x="1">Hello <b>there</b></p>')).toBe("<p>Hello <b>there</b></p>")
  })

  it.each([
    ["<img src=x onerror=alert(1)>", ""],
    ['<a href="javascript:alert(1)">click</a>', "click"],
    ['<p onclick="alert(1)" onmouseover=alert(2)>hi</p>', "<p>hi</p>"],
    ["<svg><script>alert(1)</script><p>inside</p></svg>after", "after"],
    ["<math><mi>x</mi><p>inside</p></math>ok", "ok"],
    ["<script>alert(1)</script><p>text</p>", "<p>text</p>"],
    ['<iframe src="//evil"><p>x</p></iframe>y', "y"],
    ["<object data=x><embed src=y><p>deep</p></object>tail", "tail"],
    ["<form action=x><button>go</button><input value=1>z</form>w", "w"],
    ["<input>after <b>bold</b>", "after <b>bold</b>"],
    ['<link rel="stylesheet" href="x"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">safe', "safe"],
    ["<textarea><p>x</p></textarea>y", "y"],
    ['<div style="background:url(javascript:alert(1))">bg</div>', "<div>bg</div>"],
    ["<style>body{display:none}</style><p>p</p>", "<p>p</p>"],
    ["<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;"],
    ["<!-- <script>alert(1)</script> -->c", "c"],
    ["<p>I wrote javascript:alert(1) here</p>", "<p>I wrote alert(1) here</p>"],
    ["<p>java&#115;cript:x and JaVaScRiPt :y and javajavascript:script:z</p>", "<p>x and y and z</p>"],
    ["<p>data:text/html,&lt;b&gt;</p>", "<p>,&lt;b&gt;</p>"],
    ['<P ONCLICK="x">Upper</P>', "<p>Upper</p>"],
  ])("neutralizes %s", (input, expected) => {
    const out = html(input)
    expect(out).toBe(expected)
    assertInert(out)
  })

  it("keeps text escaped and unclosed tags closed", () => {
    expect(html("<p>a < b & c > d</p>")).toBe("<p>a &lt; b &amp; c &gt; d</p>")
    expect(html("<p>a<b>b")).toBe("<p>a<b>b</b></p>")
  })

  it("limits nesting depth and length", () => {
    const deep = html(`${"<div>".repeat(50)}x`)
    expect(deep.match(/<div>/g)).toHaveLength(20)
    expect(html(`<p>${"x".repeat(5000)}</p>`).length).toBeLessThanOrEqual(4000 + "</p>".length)
  })
})

describe("sanitizeProfileCss", () => {
  it("keeps allowlisted properties with plain values, and drops the rest", () => {
    expect(css(".card { color: #333; position: fixed; background-color: rgb(1, 2, 3) !important; z-index: 9 }")).toBe(
      ".card { color: #333; background-color: rgb(1, 2, 3) !important }",
    )
    const all = PROFILE_CSS_PROPERTIES.map(p => `${p}: 1px`).join("; ")
    expect(css(`p { ${all} }`)).toBe(`p { ${PROFILE_CSS_PROPERTIES.map(p => `${p}: 1px`).join("; ")} }`)
    expect(css("h1{font-size:2em}\n\n  ul li > b ,em:hover{ text-align : center ; }")).toBe("h1 { font-size: 2em }\nul li > b ,em:hover { text-align: center }")
  })

  it.each([
    ["p { background: url(javascript:alert(1)) }", ""],
    ["p { background: url(https://evil/track.png); color: red }", "p { color: red }"],
    ["p { width: expression(alert(1)) }", ""],
    ['@import url("https://evil/x.css"); p { color: red }', "p { color: red }"],
    ["@import 'x.css'; p{color:blue}", "p { color: blue }"],
    ["@media screen { p { color: red } } b { color: blue }", "b { color: blue }"],
    ["p { color: red } </style><script>alert(1)</script>", "p { color: red }"],
    ["</style><script>alert(1)</script>{color:red}", ""],
    ["p { background: \\75 rl(javascript:alert(1)) }", ""],
    ["p { background: u\\rl(x) }", ""],
    ["p { color: red; background: java/**/script:alert(1) }", "p { color: red }"],
    ['p { color: "red" }', ""],
    ["p[onclick] { color: red }", ""],
    ["p { color: red; } q { color: blue", "p { color: red }"],
    ["p { -moz-binding: url(x.xml#xss); behavior: url(x.htc); color: red }", "p { color: red }"],
    ["p { color: red } /* </style><script>alert(1)</script> */", "p { color: red }"],
    ["p { width: calc((1px + 2px) }", ""],
    ["p { background: linear-gradient(red, rgba(0, 0, 0, 0.5)) }", "p { background: linear-gradient(red, rgba(0, 0, 0, 0.5)) }"],
  ])("sanitizes %s", (input, expected) => {
    const out = css(input)
    expect(out).toBe(expected)
    expect(out).not.toMatch(/url\(|expression\(|@import|javascript:|<|\\/i)
  })

  it("never exceeds 4000 characters", () => {
    expect(css("p { color: red } ".repeat(500)).length).toBeLessThanOrEqual(4000)
  })
})

describe("validateProfile", () => {
  it("accepts an ordinary profile", () => {
    expect(validateProfile("<h1>Ada</h1><p class='x'>I count <em>carefully</em>.</p>", "h1 { color: navy }")).toEqual([])
    expect(validateProfile("", "")).toEqual([])
  })

  it.each([
    ["<script>alert(1)</script>", "", /forbidden tag <script>/],
    ["<img src=x onerror=alert(1)>", "", /forbidden tag <img>.*event handler onerror=/],
    ["<svg><script>x</script></svg>", "", /forbidden tag <svg>; forbidden tag <script>/],
    ['<p onclick="x">a</p>', "", /event handler onclick=/],
    ["<p/onmouseover=x>a</p>", "", /event handler onmouseover=/],
    ['<a href="javascript:alert(1)">a</a>', "", /forbidden tag <a>.*javascript: is not allowed in the HTML/],
    ['<p title="jav&#x61;script:x">a</p>', "", /javascript: is not allowed in the HTML/],
    ['<p title="java\tscript:x">a</p>', "", /javascript: is not allowed in the HTML/],
    ["<p>data:text/html;base64,xx</p>", "", /data:text\/html is not allowed/],
    ["", "p { background: url(x) }", /url\( is not allowed in the CSS/],
    ["", "p { background: \\75 rl(x) }", /url\( is not allowed in the CSS/],
    ["", "p { background: \\000075\\000072\\00006c(x) }", /url\( is not allowed in the CSS/],
    ["", "@import 'x.css';", /@import is not allowed in the CSS/],
    ["", "@\\69mport 'x.css';", /@import is not allowed in the CSS/],
    ["", "p { width: expression(alert(1)) }", /expression\( is not allowed in the CSS/],
    ["", "p { color: red } </style><script>alert(1)</script>", /markup \(<…>\) is not allowed in the CSS/],
    ["", "p { background: java/**/script:x }", /javascript: is not allowed in the CSS/],
    ["x".repeat(4001), "", /the HTML is longer than 4000 characters/],
    ["", "x".repeat(4001), /the CSS is longer than 4000 characters/],
  ])("refuses %j / %j", (h, c, problem) => {
    expect(validateProfile(h, c).join("; ")).toMatch(problem)
  })

  it("does not mistake words for handlers outside tags", () => {
    expect(validateProfile("<p>onboarding=done, online = yes</p>", "")).toEqual([])
  })
})

describe("sanitizeProfile and profileSrcdoc", () => {
  it("sanitizes both parts", () => {
    expect(sanitizeProfile("<b onclick=x>hi</b><script>x</script>", "b{color:red;position:fixed}")).toEqual({ html: "<b>hi</b>", css: "b { color: red }" })
  })

  it("wraps the re-sanitized profile in a document that loads nothing", () => {
    const doc = profileSrcdoc("<p onclick=x>hi</p><script>alert(1)</script>", "p { color: red } </style><script>alert(2)</script>")
    expect(doc).toContain("default-src 'none'")
    expect(doc).toContain("<body><p>hi</p></body>")
    expect(doc).not.toContain("script")
    expect(doc.match(/<\/style>/g)).toHaveLength(1)
  })
})
