"""Judged query families from four collections of ../shared/corpus.

Usage, from the repo root::

    .venv/bin/python bench/families.py [--corpus /work/shared/corpus] [--out bench/out/families]

Ranking constants tuned on one collection do not transfer (issue 15), so the
relevance protocol (bench/protocol.py) scores every change on several
families drawn from different collections. This script derives them,
deterministically (fixed seeds, inputs sorted by id), and writes for each
collection ``<out>/<collection>/``:

- ``corpus.jsonl.gz`` — the documents, **titles blanked** as in
  ``../shared/eval`` (a headline query must find its article from the body);
- ``queries.tsv`` — ``<family>-NNN <TAB> text``;
- ``qrels.tsv`` — TREC qrels, relevance 1;
- ``judged.tsv`` — ``<family> <TAB> doc id`` of every *judged* document
  of a tag family (the documents whose outlet tags its articles): judged-only
  scoring drops every other document from a ranked list before scoring.
  Known-item families judge every document (one relevant, the rest not).

Families (see bench/FAMILIES.md for what each holds):

- ``md-tag``, ``md-headline``: Moldovan Russian-language news (moldova_news);
- ``ng-tag``, ``ng-headline``, ``ng-lead``: Nezavisimaya Gazeta
  (ru_kw_eval/ng.jsonl.gz; the lead is ``meta.summary``);
- ``wn-headline``: Russian Wikinews (nerel_wikinews);
- ``tg-headline``: news Telegram channels; a post's first line (4–20 words,
  markdown removed) is its headline, the rest of the post is the document.

``ru_kw_eval/rt.jsonl.gz`` is never read: it is reserved for independent checks.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 15
TAG_QUERIES = 100
KNOWN_ITEM_QUERIES = 150
MIN_BODY_CHARS = 300
MD_TAGGED_DOCS, MD_UNTAGGED_DOCS = 5000, 1000
TG_DOCS = 4000
MIN_TAG_DOCS = 3
MAX_TAG_SHARE = 0.05  # a tag on more than 5 % of the judged documents is a section, not a topic
# Telegram channels that post news (the others post programming tips and memes).
TG_NEWS_CHANNELS = {
    "telegram:РИА Новости", "telegram:BBC News | Русская служба", "telegram:112", "telegram:Mash",
    "telegram:SHOT", "telegram:Банкста", "telegram:Раньше всех. Ну почти.", "telegram:ТОПОР - Горячие новости",
    "telegram:Топор+", "telegram:Новости Москвы", "telegram:Москва - новостная", "telegram:Naked Science",
}


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        return sorted((json.loads(line) for line in lines if line.strip()), key=lambda d: d["id"])


def keywords(doc: dict) -> list[str]:
    return sorted({k.strip().lower() for k in (doc.get("meta") or {}).get("keywords") or [] if k and k.strip()})


def blank_title(doc: dict, body: str | None = None) -> dict:
    return {
        "id": doc["id"], "title": "", "date": doc.get("date"), "source": doc.get("source"),
        "url": doc.get("url"), "body": doc["body"] if body is None else body,
    }


class Collection:
    """One collection's documents and its families' queries and judgments."""

    def __init__(self, name: str):
        self.name = name
        self.docs: list[dict] = []
        self.queries: list[tuple[str, str]] = []
        self.qrels: list[tuple[str, str]] = []
        self.judged: list[tuple[str, str]] = []
        self.counts: dict[str, dict] = {}

    def add_tag_family(self, family: str, tagged: list[dict], rng: random.Random) -> None:
        """Tags as queries; relevant = the judged documents carrying the tag."""
        by_tag = collections.defaultdict(list)
        for doc in tagged:
            for tag in keywords(doc):
                by_tag[tag].append(doc["id"])
        limit = MAX_TAG_SHARE * len(tagged)
        usable = sorted(tag for tag, ids in by_tag.items() if MIN_TAG_DOCS <= len(ids) <= limit)
        chosen = sorted(rng.sample(usable, min(TAG_QUERIES, len(usable))))
        for number, tag in enumerate(chosen):
            qid = f"{family}-{number:03d}"
            self.queries.append((qid, tag))
            self.qrels.extend((qid, doc_id) for doc_id in by_tag[tag])
        self.judged.extend((family, doc["id"]) for doc in tagged)
        sizes = sorted(len(by_tag[tag]) for tag in chosen)
        self.counts[family] = {
            "queries": len(chosen), "relevant": sum(sizes), "judged documents": len(tagged),
            "median relevant per query": sizes[len(sizes) // 2] if sizes else 0,
            "words per query": _mean_words(chosen),
        }

    def add_known_item_family(self, family: str, items: list[tuple[str, str]], rng: random.Random) -> None:
        """(text, doc id) pairs as queries; relevant = that one document."""
        chosen = rng.sample(items, min(KNOWN_ITEM_QUERIES, len(items)))
        for number, (text, doc_id) in enumerate(chosen):
            qid = f"{family}-{number:03d}"
            self.queries.append((qid, " ".join(text.split())))
            self.qrels.append((qid, doc_id))
        self.counts[family] = {
            "queries": len(chosen), "relevant": len(chosen), "judged documents": "all",
            "words per query": _mean_words([text for text, _ in chosen]),
        }

    def write(self, out: Path) -> None:
        folder = out / self.name
        folder.mkdir(parents=True, exist_ok=True)
        with gzip.open(folder / "corpus.jsonl.gz", "wt", encoding="utf-8") as corpus:
            for doc in self.docs:
                corpus.write(json.dumps(doc, ensure_ascii=False) + "\n")
        (folder / "queries.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in self.queries), encoding="utf-8")
        (folder / "qrels.tsv").write_text("".join(f"{q}\t0\t{d}\t1\n" for q, d in self.qrels), encoding="utf-8")
        (folder / "judged.tsv").write_text("".join(f"{f}\t{d}\n" for f, d in self.judged), encoding="utf-8")
        (folder / "counts.json").write_text(
            json.dumps({"documents": len(self.docs), "families": self.counts}, ensure_ascii=False, indent=1)
        )


def _mean_words(texts: list[str]) -> float:
    return round(sum(len(t.split()) for t in texts) / max(len(texts), 1), 1)


def _long_enough(doc: dict) -> bool:
    return len(doc.get("body") or "") >= MIN_BODY_CHARS and doc.get("lang", "ru") == "ru"


def moldova(corpus: Path, rng: random.Random) -> Collection:
    docs = [d for d in read_jsonl(corpus / "moldova_news" / "moldova_news.jsonl.gz") if _long_enough(d)]
    tagged = rng.sample([d for d in docs if keywords(d)], MD_TAGGED_DOCS)
    untagged = rng.sample([d for d in docs if not keywords(d)], MD_UNTAGGED_DOCS)
    chosen = sorted(tagged + untagged, key=lambda d: d["id"])
    result = Collection("md")
    result.docs = [blank_title(d) for d in chosen]
    result.add_tag_family("md-tag", sorted(tagged, key=lambda d: d["id"]), rng)
    result.add_known_item_family("md-headline", [(d["title"], d["id"]) for d in chosen if d.get("title")], rng)
    return result


def nezavisimaya(corpus: Path, rng: random.Random) -> Collection:
    docs = [d for d in read_jsonl(corpus / "ru_kw_eval" / "ng.jsonl.gz") if d.get("body")]
    result = Collection("ng")
    result.docs = [blank_title(d) for d in docs]
    result.add_tag_family("ng-tag", [d for d in docs if keywords(d)], rng)
    result.add_known_item_family("ng-headline", [(d["title"], d["id"]) for d in docs if d.get("title")], rng)
    leads = [(d["meta"]["summary"], d["id"]) for d in docs if (d.get("meta") or {}).get("summary", "").strip()]
    result.add_known_item_family("ng-lead", leads, rng)
    return result


def wikinews(corpus: Path, rng: random.Random) -> Collection:
    docs = [d for d in read_jsonl(corpus / "nerel_wikinews" / "nerel.jsonl") if d.get("body")]
    result = Collection("wn")
    result.docs = [blank_title(d) for d in docs]
    result.add_known_item_family("wn-headline", [(d["title"], d["id"]) for d in docs if d.get("title")], rng)
    return result


def _plain(markdown: str) -> str:
    """Telegram markdown as the words a reader sees: links to their text, no ** or __."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return " ".join(re.sub(r"\*\*|__", "", text).split())


def telegram(corpus: Path, rng: random.Random) -> Collection:
    """A news post's first line (its headline) against the rest of the post."""
    posts = []
    for doc in read_jsonl(corpus / "telegram_news" / "telegram_news.jsonl.gz"):
        if doc.get("source") not in TG_NEWS_CHANNELS:
            continue
        first, _, rest = (doc.get("body") or "").strip().partition("\n")
        first, rest = _plain(first), rest.strip()
        if 4 <= len(first.split()) <= 20 and len(rest) >= MIN_BODY_CHARS:
            posts.append((first, blank_title(doc, rest)))
    chosen = sorted(rng.sample(posts, min(TG_DOCS, len(posts))), key=lambda p: p[1]["id"])
    result = Collection("tg")
    result.docs = [doc for _, doc in chosen]
    result.add_known_item_family("tg-headline", [(first, doc["id"]) for first, doc in chosen], rng)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "families")
    args = parser.parse_args(argv)
    for make in (moldova, nezavisimaya, wikinews, telegram):
        collection = make(args.corpus, random.Random(SEED))
        collection.write(args.out)
        print(collection.name, len(collection.docs), "docs", json.dumps(collection.counts, ensure_ascii=False))


if __name__ == "__main__":
    main()
