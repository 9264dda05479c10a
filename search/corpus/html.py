"""HTML pages saved from ministry and news sites: headline, date, canonical
URL and the article text without menus, share buttons, related news and footers.

Parsing is selectolax's (the Lexbor HTML5 parser, 8 MB installed, no
dependencies); finding the article is the few rules below. They were chosen
over trafilatura, readability-lxml and jusText by bench/html_extractors.py:
on ministry-style pages they leaked less boilerplate at the same recall, got
every headline and date right, and took about 1 ms a page against 5–20.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import IO, Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from search.corpus.encoding import DecodeError, decode
from search.corpus.model import Origin, Problem, Record, convert
from search.text.dates import find_date, parse_date

# Elements that are never the article.
_NOT_TEXT = "script, style, noscript, template, nav, header, footer, aside, form, button, select, iframe, svg, figure, figcaption"
# Words in class and id names that mark page furniture rather than the article.
_FURNITURE = frozenset(
    "share sharing social related relatedposts comment comments foot footer head header menu nav navbar topbar "
    "breadcrumb breadcrumbs path sidebar widget tags subscribe popular also other cookie banner counter print "
    "promo advert rubrics lang".split()
)
# Elements whose own text (with that of their inline children) is a unit of
# the article: paragraphs, and the containers that hold text directly in
# some layouts (gov.kz, old table-based sites).
_BLOCKS = frozenset("p li blockquote pre h2 h3 h4 h5 h6 dd div td section article".split())
_INLINE = frozenset("a b i u em strong span font small big sub sup br abbr q cite time mark s nobr".split())
_WRAPPERS = frozenset("p li ul ol dl dd dt blockquote pre center".split()) | _INLINE
# Meta tags that carry the publication date, most specific first.
_DATE_META = (
    "article:published_time", "datepublished", "og:published_time", "pubdate", "publishdate",
    "dc.date.issued", "dc.date", "date", "sailthru.date", "parsely-pub-date",
)
_TITLE_SEPARATORS = re.compile(r"\s+[|—–-]\s+|\s*::\s*")
_JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')
_SPACES = re.compile(r"\s+")
# Where the publication date is looked for in the text when no tag gives it:
# this many characters from the headline on.
_DATE_WINDOW = 2000


@dataclass(frozen=True)
class Page:
    title: str
    date: dt.date | None
    url: str
    body: str


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _meta(tree: LexborHTMLParser, *names: str) -> str:
    """The content of the first meta tag named (by name, property or itemprop) one of ``names``."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key in names and key not in found:
            found[key] = attrs.get("content") or ""
    return next((_clean(found[n]) for n in names if found.get(n, "").strip()), "")


def _title(tree: LexborHTMLParser) -> str:
    """og:title, else a <h1> that the <title> repeats (a logo in <h1> is not
    the headline), else the longest part of <title> without the site name."""
    title = _meta(tree, "og:title", "twitter:title")
    if title:
        return title
    head = tree.css_first("title")
    page_title = _clean(head.text()) if head else ""
    for h1 in tree.css("h1"):
        text = _clean(h1.text())
        if text and (not page_title or text in page_title):
            return text
    return max(_TITLE_SEPARATORS.split(page_title), key=len).strip() if page_title else ""


def _url(tree: LexborHTMLParser) -> str:
    canonical = tree.css_first("link[rel=canonical][href]")
    href = (canonical.attributes.get("href") or "").strip() if canonical else ""
    if href.startswith(("http://", "https://")):
        return href
    return _meta(tree, "og:url") or href


def _tag_date(tree: LexborHTMLParser) -> dt.date | None:
    """A date from meta tags, <time datetime> or JSON-LD."""
    value = _meta(tree, *_DATE_META)
    if not value:
        time = tree.css_first("time[datetime]")
        value = time.attributes.get("datetime") or "" if time else ""
    if not value:
        for script in tree.css('script[type="application/ld+json"]'):
            match = _JSON_LD_DATE.search(script.text())
            if match:
                value = match.group(1)
                break
    return parse_date(value)


def _is_furniture(node: LexborNode) -> bool:
    names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
    return bool(_FURNITURE.intersection(re.split(r"[^a-z0-9]+", names)))


def _own_text(node: LexborNode) -> tuple[str, int]:
    """The text of an element without that of its block-level children, and
    how many of its characters are link text."""
    parts, links = [], 0
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            parts.append(child.text(deep=False))
        elif child.tag in _INLINE:
            text = child.text(deep=True)
            parts.append(text)
            anchors = [child] if child.tag == "a" else child.css("a")
            links += sum(len(_clean(a.text(deep=True))) for a in anchors)
    return _clean(" ".join(parts)), links


def _paragraphs(root: LexborNode) -> list[tuple[LexborNode, str]]:
    """Text units in document order that are not mostly links (menus, lists of related news)."""
    found = []
    for node in root.traverse():
        if node.tag in _BLOCKS:
            text, links = _own_text(node)
            if text and links < len(text) / 2:
                found.append((node, text))
    return found


def _containers(node: LexborNode) -> Iterator[LexborNode]:
    """The ancestors of a text unit that can hold an article, nearest first
    (lists, quotes and paragraphs only wrap parts of one)."""
    parent = node.parent
    while parent is not None:
        if parent.tag not in _WRAPPERS:
            yield parent
        parent = parent.parent


def _article(body: LexborNode) -> list[str]:
    """The text units of the element that holds the most running text.

    Each unit of 40+ characters scores its length for its nearest container
    and half of it for the next one up (the classic readability count); the
    units inside the best-scoring container are the article.
    """
    units = _paragraphs(body)
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for node, text in units:
        if len(text) < 40:
            continue
        for weight, container in zip((1.0, 0.5), _containers(node)):
            scores[container.mem_id] = scores.get(container.mem_id, 0.0) + weight * len(text)
            nodes[container.mem_id] = container
    if not scores:
        return [text for _, text in units]
    best = nodes[max(scores, key=scores.get)]
    inside = {node.mem_id for node in best.traverse()}
    return [text for node, text in units if node.mem_id in inside]


def extract(html: str) -> Page:
    """Headline, date, canonical URL and article text of a page."""
    tree = LexborHTMLParser(html)
    title, url, date = _title(tree), _url(tree), _tag_date(tree)
    body = tree.body
    if body is None:
        return Page(title, date, url, "")
    for node in body.css(_NOT_TEXT):
        node.decompose()
    for node in body.css("[class], [id]"):
        if _is_furniture(node):
            node.decompose()
    if date is None:
        text = _clean(body.text(separator=" "))
        start = max(0, text.find(title)) if title else 0
        date = find_date(text[start : start + _DATE_WINDOW]) or find_date(text)
    paragraphs = [p for p in _article(body) if p != title and not parse_date(p)]
    return Page(title, date, url, "\n".join(paragraphs))


def read_html(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    """One HTML page: one document, known by its path like a text file."""
    try:
        html = decode(stream.read())
    except DecodeError as error:
        yield Problem(origin.display, str(error))
        return
    page = extract(html)
    record = {"id": origin.name, "title": page.title, "body": page.body, "date": page.date, "url": page.url}
    yield from convert(record, origin.display, origin)
