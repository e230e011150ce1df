"""Render a MyST site to static HTML, offline (the ``build.render`` step of this template).

``jupyter-book build --html`` starts MyST's content server on localhost and runs this script with
``CONTENT_CDN`` (that server's URL) and ``BUILD_DIRECTORY`` (where the site goes). The script reads
``config.json`` and every page's JSON (the MyST AST, executed outputs included) and writes one
``<slug>.html`` per page plus ``index.html``, the figures and ``style.css``:

- maths: the MathML that MyST pre-renders with KaTeX (``node["html"]``), drawn natively by the
  browser, so no font, script or network is needed;
- exercises as boxes, solutions as closed ``<details>`` dropdowns;
- code cells with their outputs (text, tables, PNG/SVG figures, errors).

Standard library only. Nodes of an unknown type are rendered through their children.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
import urllib.parse
import urllib.request
from pathlib import Path

CDN = os.environ.get("CONTENT_CDN", "http://localhost:3100").rstrip("/")
OUT = Path(os.environ.get("BUILD_DIRECTORY", "_build/html"))
HERE = Path(__file__).resolve().parent
#: node types rendered as one HTML element around their children
SIMPLE = {
    "paragraph": "p",
    "emphasis": "em",
    "strong": "strong",
    "underline": "u",
    "delete": "del",
    "subscript": "sub",
    "superscript": "sup",
    "listItem": "li",
    "definitionList": "dl",
    "definitionDescription": "dd",
    "tableRow": "tr",
    "blockquote": "blockquote",
    "details": "details",
    "summary": "summary",
    "caption": "figcaption",
}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MATHML = re.compile(r"<math\b.*?</math>", re.S)


def fetch(path: str) -> bytes:
    with urllib.request.urlopen(f"{CDN}/{path.lstrip('/')}", timeout=60) as resp:
        return resp.read()


def esc(text: str) -> str:
    return html.escape(str(text), quote=True)


class Page:
    """Renders one page's AST; collects the figures it references."""

    def __init__(self, slug: str, pages: dict[str, str]) -> None:
        self.slug = slug
        self.pages = pages  # slug -> file name
        self.footnotes: list[str] = []

    # ------------------------------------------------------------------ links and files
    def href(self, url: str) -> str:
        if not url or re.match(r"^[a-z]+:", url) or url.startswith("#"):
            return url
        path, _, frag = url.partition("#")
        slug = path.strip("/").removesuffix(".html") or "index"
        target = self.pages.get(slug)
        if target is None:
            return url
        return target + (f"#{frag}" if frag else "")

    def asset(self, url: str) -> str:
        """Copy a file the content server has (figure, image) into the site; its local name."""
        name = urllib.parse.urlparse(url).path.lstrip("/")
        if not name:
            return url
        target = OUT / "_static" / Path(name).name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fetch(name))
        return f"_static/{target.name}"

    # ------------------------------------------------------------------ dispatch
    def children(self, node: dict) -> str:
        return "".join(self.render(child) for child in node.get("children", []))

    def render(self, node: dict) -> str:
        if node.get("visibility") == "remove":
            return ""
        kind = node.get("type", "")
        method = getattr(self, f"n_{kind}", None)
        if method is not None:
            body = method(node)
        elif kind in SIMPLE:
            body = f"<{SIMPLE[kind]}>{self.children(node)}</{SIMPLE[kind]}>"
        else:
            body = self.children(node)
        if node.get("visibility") == "hide" and body:
            return f'<details class="hidden-cell"><summary>show</summary>{body}</details>'
        return body

    def anchor(self, node: dict) -> str:
        ident = node.get("html_id") or node.get("identifier")
        return f' id="{esc(ident)}"' if ident else ""

    # ------------------------------------------------------------------ text
    def n_text(self, node: dict) -> str:
        return esc(node.get("value", ""))

    def n_root(self, node: dict) -> str:
        return self.children(node)

    def n_block(self, node: dict) -> str:
        return f'<div class="block {esc(node.get("kind", ""))}"{self.anchor(node)}>{self.children(node)}</div>'

    def n_heading(self, node: dict) -> str:
        depth = min(int(node.get("depth", 2)), 6)
        num = (
            f'<span class="num">{esc(node["enumerator"])}</span> ' if node.get("enumerator") else ""
        )
        return f"<h{depth}{self.anchor(node)}>{num}{self.children(node)}</h{depth}>"

    def n_smallcaps(self, node: dict) -> str:
        return f'<span class="smallcaps">{self.children(node)}</span>'

    def n_abbreviation(self, node: dict) -> str:
        return f'<abbr title="{esc(node.get("title", ""))}">{self.children(node)}</abbr>'

    def n_inlineCode(self, node: dict) -> str:
        return f"<code>{esc(node.get('value', ''))}</code>"

    def n_break(self, node: dict) -> str:
        return "<br>"

    def n_thematicBreak(self, node: dict) -> str:
        return "<hr>"

    def n_html(self, node: dict) -> str:
        return node.get("value", "")

    def n_comment(self, node: dict) -> str:
        return ""

    def n_link(self, node: dict) -> str:
        url = self.href(node.get("url", ""))
        inner = self.children(node) or esc(url)
        return f'<a href="{esc(url)}">{inner}</a>'

    def n_crossReference(self, node: dict) -> str:
        target = node.get("html_id") or node.get("identifier") or ""
        url = node.get("url")
        href = self.href(f"{url}#{target}") if url and node.get("remote") else f"#{target}"
        return f'<a class="xref" href="{esc(href)}">{self.children(node)}</a>'

    def n_cite(self, node: dict) -> str:
        return f'<span class="cite">{self.children(node) or esc(node.get("label", ""))}</span>'

    def n_footnoteReference(self, node: dict) -> str:
        num = esc(node.get("enumerator") or node.get("identifier", ""))
        return f'<sup class="fn"><a href="#fn-{esc(node.get("identifier", ""))}">{num}</a></sup>'

    def n_footnoteDefinition(self, node: dict) -> str:
        num = esc(node.get("enumerator") or node.get("identifier", ""))
        self.footnotes.append(
            f'<li id="fn-{esc(node.get("identifier", ""))}" value="{num}">{self.children(node)}</li>'
        )
        return ""

    # ------------------------------------------------------------------ maths
    def math_html(self, node: dict) -> str:
        rendered = node.get("html") or ""
        found = MATHML.search(rendered)
        if found:
            return found.group(0)
        # KaTeX could not parse it: show the TeX as code, flagged, never as raw $...$
        return f'<code class="math-error" title="maths error">{esc(node.get("value", ""))}</code>'

    def n_inlineMath(self, node: dict) -> str:
        return f'<span class="math inline">{self.math_html(node)}</span>'

    def n_math(self, node: dict) -> str:
        num = node.get("enumerator")
        label = f'<span class="eqno">({esc(num)})</span>' if num else ""
        return f'<div class="math display"{self.anchor(node)}>{label}{self.math_html(node)}</div>'

    # ------------------------------------------------------------------ lists, tables, quotes
    def n_list(self, node: dict) -> str:
        if node.get("ordered"):
            start = node.get("start")
            attr = f' start="{int(start)}"' if start not in (None, 1) else ""
            return f"<ol{attr}>{self.children(node)}</ol>"
        return f"<ul>{self.children(node)}</ul>"

    def n_definitionTerm(self, node: dict) -> str:
        return f"<dt{self.anchor(node)}>{self.children(node)}</dt>"

    def n_table(self, node: dict) -> str:
        return f'<div class="table-wrap"><table>{self.children(node)}</table></div>'

    def n_tableCell(self, node: dict) -> str:
        tag = "th" if node.get("header") else "td"
        align = f' style="text-align:{esc(node["align"])}"' if node.get("align") else ""
        return f"<{tag}{align}>{self.children(node)}</{tag}>"

    # ------------------------------------------------------------------ directives
    def n_admonitionTitle(self, node: dict) -> str:
        return f'<p class="admonition-title">{self.children(node)}</p>'

    def n_admonition(self, node: dict) -> str:
        kind = esc(node.get("kind", "note"))
        body = self.children(node)
        if "dropdown" in str(node.get("class", "")):
            title, _, rest = body.partition("</p>")
            return (
                f'<details class="admonition {kind}"><summary>{title}</p></summary>{rest}</details>'
            )
        return f'<aside class="admonition {kind}"{self.anchor(node)}>{body}</aside>'

    def title_and_body(self, node: dict) -> tuple[str | None, str]:
        """The rendered admonition title of ``node`` (None without one) and the rest."""
        children = node.get("children", [])
        title = None
        if children and children[0].get("type") == "admonitionTitle":
            title, children = self.children(children[0]), children[1:]
        return title, "".join(self.render(c) for c in children)

    def n_exercise(self, node: dict) -> str:
        title, body = self.title_and_body(node)
        num = esc(node.get("enumerator", ""))
        heading = f"Exercise {num}" + (f": {title}" if title else "")
        return (
            f'<aside class="exercise"{self.anchor(node)}><p class="admonition-title">'
            f"{heading}</p>{body}</aside>"
        )

    def n_solution(self, node: dict) -> str:
        title, body = self.title_and_body(node)
        # hidden by default, whatever the class: a student opens it
        return (
            f'<details class="solution"{self.anchor(node)}>'
            f"<summary>{title or 'Solution'}</summary>{body}</details>"
        )

    def n_container(self, node: dict) -> str:
        kind = esc(node.get("kind", "figure"))
        return f'<figure class="{kind}"{self.anchor(node)}>{self.children(node)}</figure>'

    def n_legend(self, node: dict) -> str:
        return f'<div class="legend">{self.children(node)}</div>'

    def n_image(self, node: dict) -> str:
        src = self.asset(node.get("url", ""))
        width = f' style="width:{esc(node["width"])}"' if node.get("width") else ""
        return f'<img src="{esc(src)}" alt="{esc(node.get("alt", ""))}"{width}>'

    def n_mystDirective(self, node: dict) -> str:
        return self.children(node)

    def n_mystRole(self, node: dict) -> str:
        return self.children(node) or f"<code>{esc(node.get('value', ''))}</code>"

    # ------------------------------------------------------------------ notebook cells
    def n_code(self, node: dict) -> str:
        lang = esc(node.get("lang") or "")
        cls = "code-cell" if node.get("executable") else "code"
        return (
            f'<pre class="{cls}" data-lang="{lang}"><code>{esc(node.get("value", ""))}</code></pre>'
        )

    def n_outputs(self, node: dict) -> str:
        inner = self.children(node)
        return f'<div class="outputs">{inner}</div>' if inner else ""

    def n_output(self, node: dict) -> str:
        data = node.get("jupyter_data") or {}
        kind = data.get("output_type")
        if kind == "stream":
            text = ANSI.sub("", "".join(data.get("text", "")))
            return f'<pre class="output stream">{esc(text)}</pre>'
        if kind == "error":
            tb = ANSI.sub("", "\n".join(data.get("traceback", [])))
            return f'<pre class="output error">{esc(tb)}</pre>'
        bundle = data.get("data") or {}
        for mime in ("image/png", "image/jpeg", "image/svg+xml", "image/gif"):
            item = bundle.get(mime)
            if item and item.get("path"):
                src = self.asset(item["path"])
                alt = (bundle.get("text/plain") or {}).get("content", "figure")
                return f'<div class="output figure"><img src="{esc(src)}" alt="{esc(alt)}"></div>'
        if "text/html" in bundle:
            return f'<div class="output html">{self._content(bundle["text/html"])}</div>'
        if "text/markdown" in bundle and node.get("children"):
            return f'<div class="output markdown">{self.children(node)}</div>'
        if "text/plain" in bundle:
            return f'<pre class="output text">{esc(ANSI.sub("", self._content(bundle["text/plain"])))}</pre>'
        return self.children(node)

    def _content(self, item: dict) -> str:
        if "content" in item:
            return item["content"]
        if item.get("path"):
            return fetch(item["path"]).decode("utf-8", "replace")
        return ""


def join_gates(root: dict) -> dict:
    """Join gated directives across notebook cells (``{solution-start}`` ... ``{solution-end}``).

    MyST joins a gate's start and end only when they are siblings; in a notebook they sit in
    different cells (blocks), so the start arrives unclosed (``gate: "start"``) and the end as a
    separate node. This moves everything between them, whole code cells with their outputs
    included, into the opening node, so the solution renders as one dropdown.
    """
    from collections import deque

    queue = deque(root.get("children", []))
    out: list[dict] = []
    gate: dict | None = None
    while queue:
        block = queue.popleft()
        if block.get("type") != "block":  # not a notebook: nothing to join at this level
            (gate["children"] if gate is not None else out).append(block)
            continue
        if gate is not None:
            inside, rest, closed = [], [], False
            for child in block.get("children", []):
                if not closed and child.get("gate") == "end":
                    closed = True
                    continue
                (rest if closed else inside).append(child)
            if inside:
                gate["children"].append({**block, "children": inside})
            if closed:
                gate = None
                if rest:
                    queue.appendleft({**block, "children": rest, "identifier": None})
            continue
        kept: list[dict] = []
        children = block.get("children", [])
        for i, child in enumerate(children):
            if child.get("gate") == "start":
                child.pop("gate")
                kept.append(child)
                gate = child
                gate.setdefault("children", [])
                if children[i + 1 :]:
                    queue.appendleft({**block, "children": children[i + 1 :], "identifier": None})
                break
            kept.append(child)
        out.append({**block, "children": kept})
    root = dict(root)
    root["children"] = out
    return root


def nav_html(entries: list[tuple[str, str, int]], current: str) -> str:
    items = []
    for slug, title, level in entries:
        cls = ' class="current"' if slug == current else ""
        items.append(
            f'<li class="level{level}"><a{cls} href="{esc(PAGE_FILES[slug])}">{esc(title)}</a></li>'
        )
    return "<ul>" + "".join(items) + "</ul>"


PAGE_FILES: dict[str, str] = {}


def main() -> int:
    config = json.loads(fetch("config.json"))
    OUT.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "style.css", OUT / "style.css")
    site_title = config.get("title") or ""
    written = 0
    for project in config.get("projects", []):
        site_title = site_title or project.get("title", "")
        index = project.get("index", "index")
        entries = [(index, project.get("title") or "Home", 0)]
        entries += [
            (p["slug"], p.get("title") or p["slug"], int(p.get("level", 1)))
            for p in project.get("pages", [])
            if p.get("slug")
        ]
        PAGE_FILES.clear()
        PAGE_FILES.update({slug: f"{slug}.html" for slug, _, _ in entries})
        PAGE_FILES[index] = "index.html"
        prefix = f"content/{project['slug']}/" if project.get("slug") else "content/"
        for pos, (slug, title, _) in enumerate(entries):
            data = json.loads(fetch(f"{prefix}{slug}.json"))
            page = Page(slug, PAGE_FILES)
            body = page.render(join_gates(data.get("mdast", {})))
            front = data.get("frontmatter", {})
            heading = front.get("title") or title
            if front.get("content_includes_title") is False or not body.lstrip().startswith(
                '<div class="block'
            ):
                body = f"<h1>{esc(heading)}</h1>" + body
            if page.footnotes:
                body += '<hr><ol class="footnotes">' + "".join(page.footnotes) + "</ol>"
            prev_link = next_link = ""
            if pos > 0:
                ps, pt, _ = entries[pos - 1]
                prev_link = f'<a class="prev" href="{esc(PAGE_FILES[ps])}">&larr; {esc(pt)}</a>'
            if pos + 1 < len(entries):
                ns, nt, _ = entries[pos + 1]
                next_link = f'<a class="next" href="{esc(PAGE_FILES[ns])}">{esc(nt)} &rarr;</a>'
            doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(heading)} · {esc(site_title)}</title>
<link rel="stylesheet" href="style.css">
</head><body>
<nav class="sidebar"><p class="site-title"><a href="index.html">{esc(site_title)}</a></p>
{nav_html(entries, slug)}</nav>
<main class="page" data-slug="{esc(slug)}">
{body}
<footer class="pager">{prev_link}{next_link}</footer>
</main></body></html>
"""
            (OUT / PAGE_FILES[slug]).write_text(doc, encoding="utf-8")
            written += 1
    print(f"render.py: {written} page(s) written to {OUT}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
