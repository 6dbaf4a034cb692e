"""Source ids, links and raw payloads that look like each source's own (Zendesk tickets, Slack threads, …)."""

from __future__ import annotations

import random
import string
from datetime import datetime
from typing import TYPE_CHECKING

from demo.accounts import Account
from demo.draw import Weighted, ascii_slug, base62
from demo.vocabulary import VOCABULARY as V
from feedback.choices import Source

if TYPE_CHECKING:
    from demo.drafting import Draft


class SourceIds:
    """Realistic, unique ids per source: each embeds a per-source counter (and ``prefix``, the run token)."""

    def __init__(self, *, rng: random.Random, prefix: str = ""):
        self.rng, self.prefix = rng, prefix
        self.counters = {
            Source.ZENDESK: 41_200,
            Source.INTERCOM: 215_460_000,
            Source.CALL: 6_823_001_000,
            Source.LINEAR: 300,
            Source.CRM: 0,
            Source.EMAIL: 0,
            Source.IN_APP: 0,
            Source.NPS: 0,
            Source.USAGE: 0,
            Source.MANUAL: 0,
            Source.SLACK: 0,
        }
        self.github = dict(V.github_repos)
        self.github_repos = Weighted(V.github_repos)
        self.channels: dict[str, str] = {}

    def _next(self, source: str, low: int = 1, high: int = 1) -> int:
        value = self.counters[source] + (self.rng.randint(low, high) if high > low else low)
        self.counters[source] = value
        return value

    def make(self, *, source: str, received_at: datetime, account: Account | None, draft: Draft, subject: str):
        """(source id, source url, raw payload) of one item."""
        email = draft.reporter_email
        rng, p = self.rng, self.prefix
        epoch = int(received_at.timestamp())
        if source == Source.ZENDESK:
            n = self._next(source, 1, 7)
            return (
                f"ZD-{p}{n}",
                f"https://support-demo.zendesk.com/agent/tickets/{p}{n}",
                {
                    "ticket": {
                        "id": n,
                        "subject": subject,
                        "priority": rng.choice(("low", "normal", "high", "urgent")),
                        "via": {"channel": rng.choice(("email", "web", "api"))},
                        "requester": {"email": email},
                    }
                },
            )
        if source == Source.INTERCOM:
            n = self._next(source, 1, 40)
            return (
                f"conv_{p}{n}",
                f"https://app.intercom.com/a/inbox/demo/inbox/conversation/{p}{n}",
                {
                    "type": "conversation",
                    "id": str(n),
                    "created_at": epoch,
                    "author": {"email": email},
                    "state": "open",
                },
            )
        if source == Source.SLACK:
            seq = self._next(source) % 1_000_000
            key = account.name if account else "community"
            channel = self.channels.get(key)
            if channel is None:
                channel = self.channels[key] = "C0" + "".join(rng.choices(string.digits + string.ascii_uppercase, k=9))
            name = f"ext-{ascii_slug(account.name) if account else 'community'}"[:80]
            return (
                f"{channel}-{p}{epoch}.{seq:06d}",
                f"https://demo-hub.slack.com/archives/{channel}/p{epoch}{seq:06d}",
                {
                    "channel": channel,
                    "channel_name": name,
                    "ts": f"{epoch}.{seq:06d}",
                    "user": "U0" + "".join(rng.choices(string.digits + string.ascii_uppercase, k=9)),
                    "reaction": V.slack_reactions.get(draft.category, "mega"),
                },
            )
        if source == Source.CALL:
            n = self._next(source, 11, 997)
            return (
                f"gong:{p}{n}",
                f"https://app.gong.io/call?id={p}{n}",
                {"call_id": str(n), "provider": "gong", "duration_s": rng.randint(900, 3600), "title": subject},
            )
        if source == Source.CRM:
            n = self._next(source, 1, 9)
            task_id = f"00TDn{p}{base62(n, 10)}"
            return (
                task_id,
                f"https://demo-hub.lightning.force.com/lightning/r/Task/{task_id}/view",
                {"object": "Task", "account_id": account.crm_id if account else None, "subject": subject},
            )
        if source == Source.LINEAR:
            n = self._next(source, 1, 3)
            return (
                f"SUP-{p}{n}",
                f"https://linear.app/demo-hub/issue/SUP-{p}{n}",
                {"identifier": f"SUP-{n}", "team": "Support", "state": "Triage", "title": subject},
            )
        if source == Source.GITHUB:
            repo = self.github_repos.pick(rng)
            n = self.github[repo] = self.github[repo] + rng.randint(1, 4)
            return (
                f"mistralai/{repo}#{p}{n}",
                f"https://github.com/mistralai/{repo}/issues/{p}{n}",
                {
                    "repository": f"mistralai/{repo}",
                    "number": n,
                    "state": "open",
                    "title": subject,
                    "user": {"login": rng.choice(V.github_handles)},
                },
            )
        if source == Source.EMAIL:
            n = self._next(source)
            host = account.domain if account and account.domain else "mail.example"
            message_id = f"<{p}{rng.getrandbits(48):012x}.{n}@{host}>"
            return message_id, "", {"message_id": message_id, "from": email, "subject": subject, "to": "support"}
        if source == Source.IN_APP:
            n = self._next(source)
            page = V.in_app_pages.get(draft.product_area, "/chat")
            return f"fbw_{p}{n:07d}", "", {"widget": "console-feedback", "page": page, "email": email}
        if source == Source.NPS:
            n = self._next(source)
            response = f"tf_{p}{rng.getrandbits(40):010x}{n:x}"
            quarter = f"{received_at.year}-Q{(received_at.month - 1) // 3 + 1}"
            return (
                response,
                "",
                {"survey": f"NPS {quarter}", "response_id": response, "score": draft.raw_payload["score"]},
            )
        if source == Source.USAGE:
            n = self._next(source)
            crm = account.crm_id if account else "anon"
            return f"usage:{p}{crm}:{received_at:%Y-%m-%d}:{n}", "", {"metric": "api_requests", "window": "7d"}
        n = self._next(Source.MANUAL)
        return f"manual-{p}{n:05d}", "", {"entered_via": "admin"}
