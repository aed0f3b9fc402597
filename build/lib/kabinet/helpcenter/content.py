"""The shipped help: plain-text files under ``content/<cabinet>/NN-slug.<lang>.txt``.

Each file starts with ``key: value`` lines (title, summary, screens, see_also), then a line
``---``, then the text: paragraphs separated by blank lines, ``## `` headings, ``- `` bullets
and ``1. `` numbered steps, ``**bold**`` and ``[text](/url/)`` links.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LANGUAGES = ("ru", "en")


@dataclass
class ArticleText:
    slug: str
    order: int
    title: str
    summary: str = ""
    screens: list[str] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    body: list[tuple[str, Any]] = field(default_factory=list)


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"\[(.+?)\]\((/[^)\s]*)\)", r'<a href="\2">\1</a>', text)


def _blocks(text: str) -> list[tuple[str, Any]]:
    blocks: list[tuple[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in chunk.strip().splitlines()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            blocks.append(("heading", lines[0][3:].strip()))
            lines = lines[1:]
            if not lines:
                continue
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(("text", f"<ul>{items}</ul>"))
        elif all(re.match(r"\d+\. ", line) for line in lines):
            items = "".join(f"<li>{_inline(line.split('. ', 1)[1])}</li>" for line in lines)
            blocks.append(("text", f"<ol>{items}</ol>"))
        else:
            blocks.append(("text", f"<p>{_inline(' '.join(lines))}</p>"))
    return blocks


def parse_article(path: Path) -> ArticleText:
    match = re.fullmatch(r"(\d+)-([a-z0-9-]+)\.(ru|en)\.txt", path.name)
    if not match:
        raise ValueError(f"bad help file name: {path.name}")
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    if "title" not in meta:
        raise ValueError(f"{path}: no title")
    return ArticleText(
        slug=match.group(2),
        order=int(match.group(1)),
        title=meta["title"],
        summary=meta.get("summary", ""),
        screens=[s.strip() for s in meta.get("screens", "").split(",") if s.strip()],
        see_also=[s.strip() for s in meta.get("see_also", "").split(",") if s.strip()],
        body=_blocks(body),
    )


def shipped_articles(cabinet: str, language: str) -> list[ArticleText]:
    folder = CONTENT_DIR / cabinet
    if not folder.exists():
        return []
    return sorted(
        (parse_article(p) for p in folder.glob(f"*.{language}.txt")), key=lambda a: a.order
    )


INDEX_TITLES = {
    "client": {"ru": "Справка личного кабинета", "en": "Client cabinet help"},
    "manager": {"ru": "Справка кабинета менеджера", "en": "Manager cabinet help"},
    "editor": {"ru": "Справка редактора сайта", "en": "Editor cabinet help"},
}
