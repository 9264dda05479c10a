"""Which HTML extractor to read press-release pages with: measured, not guessed.

Runs each candidate over the pages in tests/fixtures/formats/html (written for
the project in the style of the Russian, Kazakh, Belarusian and Uzbek foreign
ministries and a news agency: menus, share buttons, related news, footers,
canonical links, dates in meta tags, <time> or the text) and compares what it
extracts with html_truth.json beside them:

- title / date / url: exactly right or not;
- body precision: the share of the extracted text that belongs to the true
  body (the rest is boilerplate that leaked in); recall: the share of the
  true body that was extracted. Both count characters of matching words
  (multiset overlap), so order and whitespace do not matter;
- time per page (median of several runs).

Candidates that only find the main text (readability-lxml, jusText) get
their title, date and URL from the same meta-tag logic as selectolax's.

The pages named heldout_* were written after search/corpus/html.py's rules
were settled, and are reported apart: on the others those rules were tuned.

    pip install trafilatura selectolax readability-lxml justext
    python bench/html_extractors.py
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.corpus.encoding import decode  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "formats" / "html"
TRUTH = PAGES.parent / "html_truth.json"
RUNS = 5


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def overlap(extracted: str, truth: str) -> tuple[float, float]:
    """(precision, recall) of extracted against the true body, in characters of words."""
    got, want = words(extracted), words(truth)
    common = sum(len(w) * n for w, n in (got & want).items())
    size = lambda counter: sum(len(w) * n for w, n in counter.items())  # noqa: E731
    return (common / size(got) if got else 0.0), (common / size(want) if want else 1.0)


# --- candidates: each maps an HTML string to (title, date, url, body) ---------------


def trafilatura_default(html: str):
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if doc is None:
        return "", "", "", ""
    return doc.title or "", doc.date or "", doc.url or "", doc.text or ""


def trafilatura_precision(html: str):
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, favor_precision=True)
    if doc is None:
        return "", "", "", ""
    return doc.title or "", doc.date or "", doc.url or "", doc.text or ""


def _meta(html: str):
    from search.corpus.html import extract

    page = extract(html)
    return page.title, page.date, page.url


def readability(html: str):
    import lxml.html
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    body = "\n".join(t.strip() for t in lxml.html.fromstring(summary).itertext() if t.strip())
    title, date, url = _meta(html)
    return title, date, url, body


def justext_(html: str):
    import justext

    paragraphs = justext.justext(html.encode("utf-8"), justext.get_stoplist("Russian"), encoding="utf-8")
    body = "\n".join(p.text for p in paragraphs if not p.is_boilerplate)
    title, date, url = _meta(html)
    return title, date, url, body


def selectolax_own(html: str):
    from search.corpus.html import extract

    page = extract(html)
    return page.title, page.date, page.url, page.body


CANDIDATES = {
    "trafilatura": trafilatura_default,
    "trafilatura (favor_precision)": trafilatura_precision,
    "readability-lxml + meta": readability,
    "jusText + meta": justext_,
    "selectolax + own rules": selectolax_own,
}


def measure(extract, pages: dict[str, str], truth: dict) -> tuple[str, list[str]]:
    """One table row for ``pages`` and a line per page."""
    right = Counter()
    precisions, recalls, times, lines = [], [], [], []
    for name, html in pages.items():
        want = truth[name]
        runs = []
        for _ in range(RUNS):
            start = time.perf_counter()
            title, date, url, body = extract(html)
            runs.append(time.perf_counter() - start)
        times.append(statistics.median(runs))
        ok = {"title": title.strip() == want["title"], "date": str(date)[:10] == want["date"], "url": (url or "") == want["url"]}
        right.update(key for key, value in ok.items() if value)
        precision, recall = overlap(body, want["body"])
        precisions.append(precision)
        recalls.append(recall)
        wrong = ", ".join(f"{key}={value!r}" for key, value in zip(("title", "date", "url"), (title, str(date), url)) if not ok[key])
        lines.append(f"  {name:38} P={precision:.2f} R={recall:.2f} {wrong}")
    n = len(pages)
    row = (f"{right['title']}/{n} | {right['date']}/{n} | {right['url']}/{n} | "
           f"{statistics.mean(precisions):.2f} (min {min(precisions):.2f}) | "
           f"{statistics.mean(recalls):.2f} (min {min(recalls):.2f}) | {1000 * statistics.median(times):.1f}")
    return row, lines


def main() -> None:
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    pages = {name: decode((PAGES / name).read_bytes()) for name in truth}
    sets = {
        "tuned": {n: h for n, h in pages.items() if not truth[n].get("held_out")},
        "held out": {n: h for n, h in pages.items() if truth[n].get("held_out")},
    }
    print("Body precision/recall: characters of matching words; ms/page: median over pages.\n")
    print("| extractor | pages | title | date | url | body precision | body recall | ms/page |")
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for label, extract in CANDIDATES.items():
        try:
            extract(next(iter(pages.values())))
        except ImportError as error:
            print(f"| {label} | not installed ({error.name}) | | | | | | |")
            continue
        details.append(label)
        for set_name, subset in sets.items():
            row, lines = measure(extract, subset, truth)
            print(f"| {label} | {set_name} ({len(subset)}) | {row} |")
            details.extend(lines)
    print()
    print("\n".join(details))


if __name__ == "__main__":
    main()
