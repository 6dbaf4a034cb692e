"""Call transcripts (Gong, Chorus, Granola and the like, through their export or a relay): stored whole.

One call is one feedback item whose verbatim is the whole transcript, speaker by speaker; splitting it into the
separate things the customer said is triage's job (issue #8). The payload every sender maps to (webhook body and
the export API's records)::

    {"id": "call_123", "title": "QBR with Acme", "started_at": "2026-11-30T15:00:00Z", "url": "https://…",
     "account": {"crm_id": "001…", "domain": "acme.com"},
     "participants": [{"name": "Dana", "email": "dana@acme.com", "role": "customer"}, …],
     "transcript": [{"speaker": "Dana", "text": "…", "start": 12.5}, …]}   # or one string

The export API answers ``GET /calls?since=<iso>&cursor=…`` with ``{"calls": [...], "next_cursor": …}``.
"""

from __future__ import annotations

from datetime import datetime

from integrations.connectors.base import MAX_PAGES, Connector, StandardItem, from_iso, item


def transcript_text(transcript) -> str:
    """The transcript as plain text, one ``Speaker: words`` line per turn (a string is kept as it is)."""
    if isinstance(transcript, str):
        return transcript.strip()
    lines = []
    for turn in transcript or []:
        words = (turn.get("text") or "").strip()
        if words:
            lines.append(f"{turn.get('speaker') or 'Unknown'}: {words}")
    return "\n".join(lines)


class CallConnector(Connector):
    source = "call"

    def authenticate(self) -> None:
        self.http.get("/calls", limit=1)

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        items, cursor = [], None
        for _ in range(MAX_PAGES):
            page = self.http.get("/calls", since=when.isoformat() if when else None, cursor=cursor)
            items += [found for call in page.get("calls", []) if (found := self.transform(call))]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items

    def transform(self, raw: dict) -> StandardItem | None:
        """A call with its whole transcript; the first customer participant is the reporter."""
        text = transcript_text(raw.get("transcript"))
        if not text:
            return None
        customers = [p for p in raw.get("participants", []) if p.get("role", "customer") == "customer"]
        account = raw.get("account") or {}
        return item(
            self.source,
            raw["id"],
            received_at=from_iso(raw.get("started_at")),
            verbatim=text,
            summary=raw.get("title") or "",
            source_url=raw.get("url", ""),
            reporter_email=next((p["email"] for p in customers if p.get("email")), ""),
            customer_crm_id=account.get("crm_id", ""),
            customer_domain=account.get("domain", ""),
            tags=["transcript"],
            raw_payload=raw,
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """A delivery is one call, or ``{"calls": [...]}`` for a batch."""
        calls = payload.get("calls") if "calls" in payload else [payload]
        return [found for call in calls if call.get("id") and (found := self.transform(call))]
