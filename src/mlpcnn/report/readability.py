"""How the report reads, measured: its prose, its sentences and their figures.

The limits are DESIGN.md's "How the report reads": the report's prose (what is not a
table, heading, figure, code or comment) at most 3,500 words; a median sentence of at
most 25 words and none over 60; no sentence with more than one parenthesis of figures.
A test holds the generated report to them, so a later change cannot grow it back.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

MAX_WORDS = 3500
MAX_MEDIAN = 25
MAX_SENTENCE = 60
MAX_FIGURE_PARENTHESES = 1
MAX_ANSWER_SENTENCES = 3

# A sentence ends at . ! or ? (and any closing bold) before a space and a capital, a
# digit, a quote or markup.
_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]\*\*))\s+(?=[A-Z0-9*`\"'(])")
_LIST = re.compile(r"^(?:[-*+]|\d+\.)\s+")


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: list[str]
    answers: list[list[str]]  # each "**Answer...**" paragraph's sentences

    @property
    def lengths(self) -> list[int]:
        return [len(s.split()) for s in self.sentences]

    @property
    def median(self) -> float:
        return float(statistics.median(self.lengths)) if self.sentences else 0.0

    @property
    def longest(self) -> int:
        return max(self.lengths, default=0)

    def crowded(self) -> list[str]:
        """Sentences with more than one parenthesis of figures."""
        return [s for s in self.sentences if figure_parentheses(s) > MAX_FIGURE_PARENTHESES]

    def problems(self) -> list[str]:
        """Each limit the text breaks, one line each (empty: it reads as DESIGN.md asks)."""
        out = []
        if self.words > MAX_WORDS:
            out.append(f"prose of {self.words} words, over {MAX_WORDS}")
        if self.median > MAX_MEDIAN:
            out.append(f"median sentence of {self.median:g} words, over {MAX_MEDIAN}")
        out += [f"sentence of {len(s.split())} words: {s[:80]}..." for s in self.sentences
                if len(s.split()) > MAX_SENTENCE]  # fmt: skip
        out += [f"more than one parenthesis of figures: {s[:80]}..." for s in self.crowded()]
        out += [f"an answer of {len(a)} sentences: {a[0][:80]}..." for a in self.answers
                if len(a) > MAX_ANSWER_SENTENCES]  # fmt: skip
        return out


def prose_lines(markdown: str) -> list[str]:
    """The paragraphs of running text, one string each, as Markdown renders them: lines
    with no blank line between are one paragraph (a line right after a list item
    continues that item); no tables, headings, images, code or HTML comments; list
    markers dropped, each item its own paragraph."""
    out: list[str] = []
    code, joining = False, False
    for line in markdown.splitlines():
        s = line.strip()
        if s.startswith("```"):
            code, joining = not code, False
            continue
        if code or not s or s.startswith(("|", "#", "![", "<!--")):
            joining = False
            continue
        item = _LIST.match(s)
        if joining and not item:
            out[-1] += " " + s
        else:
            out.append(_LIST.sub("", s))
        joining = True
    return out


_LABEL = re.compile(r"\*\*[^*]{1,30}\*\*")  # "**Answer.**": a label, not a sentence


def sentences(text: str) -> list[str]:
    """``text`` split into sentences; a bold label such as ``**Answer.**`` joins the
    sentence after it."""
    out: list[str] = []
    label = ""
    for piece in (p for p in _END.split(text.strip()) if p):
        if _LABEL.fullmatch(piece):
            label += piece + " "
            continue
        out.append(label + piece)
        label = ""
    return out + ([label.strip()] if label else [])


def figure_parentheses(sentence: str) -> int:
    """How many top-level parentheses of ``sentence`` hold a figure (a digit)."""
    count, depth, held = 0, 0, False
    for ch in sentence:
        if ch == "(":
            depth += 1
            held = held if depth > 1 else False
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0 and held:
                count += 1
        elif depth and ch.isdigit():
            held = True
    return count


def measure(markdown: str) -> Readability:
    lines = prose_lines(markdown)
    return Readability(
        words=sum(len(line.split()) for line in lines),
        sentences=[s for line in lines for s in sentences(line)],
        answers=[sentences(line) for line in lines if line.startswith("**Answer")],
    )
