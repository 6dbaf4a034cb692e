"""Zendesk tickets: a new ticket's description is the feedback (https://developer.zendesk.com/api-reference/).

Webhooks come from an event subscription (``zen:event-type:ticket.created``) whose ``detail`` is the ticket; the
sync reads the incremental ticket export (cursor-based) with the requesters side-loaded for their e-mails.
"""

from __future__ import annotations

import base64
from datetime import datetime

from integrations.connectors.base import MAX_PAGES, Connector, ConnectorError, StandardItem, from_iso, item

FEEDBACK_EVENTS = {"zen:event-type:ticket.created"}


class ZendeskConnector(Connector):
    source = "zendesk"

    def auth_headers(self) -> dict[str, str]:
        """API token auth: ``<email>/token:<token>`` in basic auth."""
        email = self.options.get("email", "")
        if not (self.token and email):
            return {}
        pair = base64.b64encode(f"{email}/token:{self.token}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}

    def authenticate(self) -> None:
        self.http.get("/api/v2/users/me.json")

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        items, params = [], {"start_time": int(when.timestamp()) if when else 0, "include": "users"}
        path = "/api/v2/incremental/tickets/cursor.json"
        for _ in range(MAX_PAGES):
            page = self.http.get(path, **params)
            emails = {user["id"]: user.get("email", "") for user in page.get("users", [])}
            for ticket in page.get("tickets", []):
                found = self.transform({**ticket, "requester_email": emails.get(ticket.get("requester_id"), "")})
                items += [found] if found else []
            if page.get("end_of_stream", True) or not page.get("after_url"):
                break
            path, params = page["after_url"], {}
        return items

    def transform(self, raw: dict) -> StandardItem | None:
        """A ticket: its description (the requester's first comment) is the verbatim, its subject the summary."""
        text = (raw.get("description") or "").strip()
        if not text or raw.get("status") == "deleted":
            return None
        subdomain = self.options.get("subdomain", "")
        url = f"https://{subdomain}.zendesk.com/agent/tickets/{raw['id']}" if subdomain else ""
        return item(
            self.source,
            raw["id"],
            received_at=from_iso(raw.get("created_at")),
            verbatim=text,
            summary=raw.get("subject") or "",
            source_url=url,
            reporter_email=raw.get("requester_email") or "",
            customer_crm_id=str(raw.get("external_id") or ""),
            tags=list(raw.get("tags") or []),
            raw_payload=raw,
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """A ticket-created event: ``detail`` is the ticket; the requester's e-mail is looked up when we can."""
        if (event or payload.get("type")) not in FEEDBACK_EVENTS:
            return []
        ticket = dict(payload.get("detail") or {})
        if not ticket.get("id"):
            return []
        if not ticket.get("requester_email") and ticket.get("requester_id") and self.token:
            ticket["requester_email"] = self.requester_email(ticket["requester_id"])
        found = self.transform(ticket)
        return [found] if found else []

    def requester_email(self, user_id) -> str:
        """The e-mail of a Zendesk user (blank when the user is gone)."""
        try:
            return (self.http.get(f"/api/v2/users/{user_id}.json").get("user") or {}).get("email", "")
        except ConnectorError as exc:
            if exc.status == 404:
                return ""
            raise
