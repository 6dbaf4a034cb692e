"""The digest's Markdown as the admin shows it (HTML) and as Slack shows it (mrkdwn text and Block Kit sections).

Digests use a small Markdown: ``#``/``##``/``###`` headings, ``-`` and ``1.`` lists, ``>`` quotes, paragraphs,
``**bold**``, ``*italic*``/``_italic_``, ``[label](url)`` and ``\\`` escapes, whether the hub's templates or Mistral
wrote them. Both renderers read only that, escape everything else (HTML: every character a browser could read as
markup; Slack: ``& < >``), and link only http(s), mailto and site-relative URLs, so no text in a digest — a customer's
quote, a model's answer — can inject markup into the admin page or a Slack message.
"""

from __future__ import annotations

import html
import re

from django.utils.safestring import SafeString, mark_safe

ESCAPED = re.compile(r"\\([\\`*_\[\]()#>~.!-])")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
CODE = re.compile(r"`([^`]+)`")
SAFE_URL = re.compile(r"^(https?://|mailto:|/(?!/))", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
SLACK_SECTION_CHARS = 2900  # Block Kit: a section's text is at most 3000 characters
SLACK_MAX_BLOCKS = 50


def _hide_escapes(text: str) -> tuple[str, list[str]]:
    """Replace ``\\*`` etc. by placeholders so the inline rules leave those characters alone."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(1))
        return f"\x00{len(kept) - 1}\x00"

    return ESCAPED.sub(keep, text), kept


def _show_escapes(text: str, kept: list[str], escape=lambda s: s) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: escape(kept[int(m.group(1))]), text)


def _inline_html(text: str) -> str:
    text, kept = _hide_escapes(text)
    text = html.escape(text, quote=True)

    def link(match: re.Match) -> str:
        label, url = match.group(1), html.unescape(match.group(2))
        if not SAFE_URL.match(url):
            return match.group(0)
        return f'<a href="{html.escape(url, quote=True)}">{label}</a>'

    text = CODE.sub(r"<code>\1</code>", text)
    text = LINK.sub(link, text)
    text = BOLD.sub(r"<strong>\1</strong>", text)
    text = ITALIC.sub(r"<em>\1</em>", text)
    return _show_escapes(text, kept, html.escape)


def to_html(markdown: str) -> SafeString:
    """The digest as HTML for the admin's detail page (safe: built from escaped text only)."""
    out: list[str] = []
    paragraph: list[str] = []
    open_list = ""

    def close() -> None:
        nonlocal open_list
        if paragraph:
            out.append(f"<p>{_inline_html(' '.join(paragraph))}</p>")
            paragraph.clear()
        if open_list:
            out.append(f"</{open_list}>")
            open_list = ""

    for line in (markdown or "").splitlines():
        stripped = line.strip()
        heading, bullet, numbered = HEADING.match(stripped), BULLET.match(line), NUMBERED.match(line)
        if not stripped:
            close()
        elif heading:
            close()
            level = len(heading.group(1)) + 1  # the page has its own h1
            out.append(f"<h{level}>{_inline_html(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            kind = "ul" if bullet else "ol"
            if paragraph or open_list != kind:
                close()
                out.append(f"<{kind}>")
                open_list = kind
            out.append(f"<li>{_inline_html((bullet or numbered).group(1))}</li>")
        elif stripped.startswith(">"):
            close()
            out.append(f"<blockquote>{_inline_html(stripped.lstrip('>').strip())}</blockquote>")
        elif open_list:  # a continuation of the last list item
            out[-1] = out[-1].removesuffix("</li>") + " " + _inline_html(stripped) + "</li>"
        else:
            paragraph.append(stripped)
    close()
    return mark_safe("\n".join(out))  # noqa: S308 — every piece of text went through html.escape above


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline_slack(text: str) -> str:
    text, kept = _hide_escapes(text)
    text = _slack_escape(text)

    def link(match: re.Match) -> str:
        label, url = match.group(1), html.unescape(match.group(2))
        return f"<{url}|{label}>" if SAFE_URL.match(url) and not url.startswith("/") else label

    text = LINK.sub(link, text)
    text = BOLD.sub("\x01\\1\x01", text)
    text = ITALIC.sub(r"_\1_", text)
    return _show_escapes(text.replace("\x01", "*"), kept, _slack_escape)


def to_slack_text(markdown: str) -> str:
    """The digest in Slack's mrkdwn: headings bold, bullets as •, links as <url|label>."""
    lines = []
    for line in (markdown or "").splitlines():
        stripped = line.strip()
        heading, bullet = HEADING.match(stripped), BULLET.match(line)
        if heading:
            lines.append(f"*{_inline_slack(heading.group(2))}*")
        elif bullet:
            lines.append(f"• {_inline_slack(bullet.group(1))}")
        elif stripped.startswith(">"):
            lines.append(f"> {_inline_slack(stripped.lstrip('>').strip())}")
        else:
            lines.append(_inline_slack(line))
    return "\n".join(lines).strip()


def to_slack_blocks(markdown: str, *, title: str) -> list[dict]:
    """Block Kit: a header with ``title``, then one mrkdwn section per ``##`` part (split where a part is too long)."""
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}}]
    parts: list[list[str]] = [[]]
    for line in (markdown or "").splitlines():
        if line.startswith("# "):  # the title: already the header
            continue
        if line.startswith("## ") and any(part.strip() for part in parts[-1]):
            parts.append([])
        parts[-1].append(line)
    for part in parts:
        text = to_slack_text("\n".join(part))
        while text:
            cut = len(text) if len(text) <= SLACK_SECTION_CHARS else text.rfind("\n", 0, SLACK_SECTION_CHARS) + 1
            cut = cut or SLACK_SECTION_CHARS
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:cut].strip()}})
            text = text[cut:].strip()
    return blocks[:SLACK_MAX_BLOCKS]
