"""The digest's Markdown for the admin (HTML) and for Slack (mrkdwn, Block Kit): what each shows, and nothing a
customer's quote or a model's answer could inject."""

from __future__ import annotations

from django.template import Context, Template

from notifications.digest_markup import to_html, to_slack_blocks, to_slack_text

DIGEST = """# Weekly digest: 27 Nov – 3 Dec 2026

## Needs a decision this week

- **Verify before building: [SSO login](https://hub.example/t/1)**: 6 items, *$510k* ARR
- Tell 1. customer & <team>

Quote of the week: \\*not bold\\* but _quiet_.
"""


def test_given_the_digest_then_the_html_has_headings_lists_links_and_emphasis():
    html = to_html(DIGEST)

    assert "<h2>Weekly digest: 27 Nov – 3 Dec 2026</h2>" in html and "<h3>Needs a decision this week</h3>" in html
    assert '<li><strong>Verify before building: <a href="https://hub.example/t/1">SSO login</a></strong>' in html
    assert "<em>$510k</em>" in html and "Tell 1. customer &amp; &lt;team&gt;</li>\n</ul>" in html
    assert "<p>Quote of the week: *not bold* but <em>quiet</em>.</p>" in html


def test_given_hostile_text_then_the_html_escapes_it_and_links_only_safe_urls():
    html = to_html('- "<img src=x onerror=alert(1)>" [click](javascript:alert(1)) [ok](/admin/x/) [mail](mailto:a@b.c)')

    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" in html and 'href="javascript' not in html
    assert '<a href="/admin/x/">ok</a>' in html and '<a href="mailto:a@b.c">mail</a>' in html


def test_given_the_digest_then_slack_reads_bold_bullets_links_and_escaped_entities():
    text = to_slack_text(DIGEST)

    assert text.startswith("*Weekly digest: 27 Nov – 3 Dec 2026*")
    assert "• *Verify before building: <https://hub.example/t/1|SSO login>*: 6 items, _$510k_ ARR" in text
    assert "• Tell 1. customer &amp; &lt;team&gt;" in text and "*not bold* but _quiet_" in text


def test_given_the_digest_then_the_blocks_are_a_header_and_one_section_per_part_each_under_slacks_limit():
    long_part = "\n".join(f"- line {n} " + "word " * 30 for n in range(40))
    blocks = to_slack_blocks(DIGEST + "\n## Long part\n" + long_part, title="Weekly digest")

    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Weekly digest", "emoji": True}}
    sections = [block["text"]["text"] for block in blocks[1:]]
    assert sections[0].startswith("*Needs a decision this week*") and sections[1].startswith("*Long part*")
    assert len(sections) > 3 and all(len(text) <= 3000 for text in sections)
    assert sum(text.count("• line") for text in sections) == 40  # split at line ends: no line lost or cut


def test_given_customer_text_then_the_template_filters_keep_it_text_and_link_only_with_a_base_url(settings):
    template = Template('{% load digest_tags %}{% autoescape off %}{{ v|md|linked:"/a/1/" }}{% endautoescape %}')
    quote = "Use *this* [now](javascript:x) # or _that_"

    settings.HUB_BASE_URL = ""
    plain = template.render(Context({"v": quote}))
    settings.HUB_BASE_URL = "https://hub.example"
    linked = template.render(Context({"v": quote}))

    assert plain == r"Use \*this\* \[now\](javascript:x) \# or \_that\_"
    assert linked == f"[{plain}](https://hub.example/a/1/)"
    assert "<em>" not in to_html(plain) and 'href="javascript' not in to_html(linked)
    assert 'href="https://hub.example/a/1/"' in to_html(linked)
