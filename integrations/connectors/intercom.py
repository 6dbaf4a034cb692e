"""Intercom conversations: a customer's first message is the feedback (https://developers.intercom.com/docs).

Webhook topics ``conversation.user.created`` (the customer wrote in) carry the conversation as ``data.item``; other
topics (admin replies, assignments) are not feedback. The sync searches conversations updated since a time.
"""

from __future__ import annotations

from datetime import datetime

from integrations.connectors.base import MAX_PAGES, Connector, StandardItem, from_unix, html_to_text, item

FEEDBACK_TOPICS = {"conversation.user.created", "conversation.created"}
API_VERSION = "2.11"
PAGE_SIZE = 50


class IntercomConnector(Connector):
    source = "intercom"
    default_base_url = "https://api.intercom.io"

    def auth_headers(self) -> dict[str, str]:
        return {**super().auth_headers(), "Intercom-Version": API_VERSION}

    def authenticate(self) -> None:
        self.http.get("/me")

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        query = {"field": "updated_at", "operator": ">", "value": int(when.timestamp()) if when else 0}
        items, cursor = [], None
        for _ in range(MAX_PAGES):
            pagination = {"per_page": PAGE_SIZE, **({"starting_after": cursor} if cursor else {})}
            page = self.http.post("/conversations/search", {"query": query, "pagination": pagination})
            items += [found for raw in page.get("conversations", []) if (found := self.transform(raw))]
            cursor = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
            if not cursor:
                break
        return items

    def transform(self, raw: dict) -> StandardItem | None:
        """A conversation: the customer's opening message (``source.body``, HTML) is the verbatim."""
        opening = raw.get("source") or {}
        author = opening.get("author") or {}
        if author.get("type") not in (None, "user", "lead", "contact"):
            return None  # an admin or a bot started it: not a customer's words
        text = html_to_text(opening.get("body"))
        if not text:
            return None
        tags = [tag.get("name", "") for tag in (raw.get("tags") or {}).get("tags", [])]
        app_id = self.options.get("app_id") or raw.get("app_id", "")
        url = f"https://app.intercom.com/a/apps/{app_id}/inbox/inbox/conversation/{raw['id']}" if app_id else ""
        return item(
            self.source,
            raw["id"],
            received_at=from_unix(raw.get("created_at")),
            verbatim=text,
            summary=raw.get("title") or opening.get("subject") or "",
            source_url=url,
            reporter_email=author.get("email") or "",
            tags=tags,
            raw_payload=raw,
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """A notification: ``data.item`` is the conversation when the topic is a customer's new conversation."""
        if (event or payload.get("topic")) not in FEEDBACK_TOPICS:
            return []
        conversation = dict((payload.get("data") or {}).get("item") or {})
        conversation.setdefault("app_id", payload.get("app_id", ""))
        found = self.transform(conversation) if conversation.get("id") else None
        return [found] if found else []
