"""Slack: a message reacted with 🐛 📣 💡 (seed 001, "Slack Conversations"), and the ``/feedback`` slash command.

The Events API sends ``reaction_added`` with only the message's channel and ts: the message itself (its text, author
and permalink) is read back through the Web API with the bot token. A slash command carries its text in the form
body. The sync reads the history of the watched channels and keeps the messages with one of the reactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.connectors.base import MAX_PAGES, Connector, ConnectorError, StandardItem, from_unix, item

# Reaction name → tag: 🐛 a bug, 📣 something customers keep saying, 💡 an idea.
REACTIONS = {"bug": "bug", "mega": "loud", "bulb": "idea"}
COMMAND = "/feedback"


class SlackConnector(Connector):
    source = "slack"
    default_base_url = "https://slack.com/api"

    def api(self, method: str, **params: Any) -> dict:
        """One Web API method; Slack answers 200 with ``ok: false`` on errors."""
        if not self.token:
            raise ConnectorError(f"Slack {method}: no bot token (set SLACK_BOT_TOKEN) to read messages back.")
        answer = self.http.get(f"/{method}", **params)
        if not answer.get("ok"):
            reason = answer.get("error", "unknown_error")
            raise ConnectorError(f"Slack {method}: {reason}", retryable=reason in {"ratelimited", "internal_error"})
        return answer

    def authenticate(self) -> None:
        self.api("auth.test")

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        items = []
        for channel in self.options.get("channels", []):
            cursor = None
            for _ in range(MAX_PAGES):
                page = self.api(
                    "conversations.history",
                    channel=channel,
                    oldest=f"{when.timestamp():.6f}" if when else None,
                    limit=200,
                    cursor=cursor,
                )
                for message in page.get("messages", []):
                    found = self.transform({**message, "channel": channel})
                    items += [found] if found else []
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        return items

    def transform(self, raw: dict) -> StandardItem | None:
        """A message (with ``channel``): feedback when it carries one of the reactions, or ``reaction`` says so."""
        names = {reaction.get("name") for reaction in raw.get("reactions", [])} | {raw.get("reaction")}
        tags = [REACTIONS[name] for name in names if name in REACTIONS]
        text = (raw.get("text") or "").strip()
        if not tags or not text or raw.get("subtype") == "bot_message":
            return None
        return item(
            self.source,
            f"{raw['channel']}:{raw['ts']}",
            received_at=from_unix(raw.get("ts")),
            verbatim=text,
            source_url=raw.get("permalink", ""),
            reporter_email=raw.get("user_email", ""),
            tags=[*tags, f"channel:{raw.get('channel_name') or raw['channel']}"],
            raw_payload=raw,
        )

    def command_item(self, form: dict) -> StandardItem | None:
        """``/feedback <what the customer said>``: the text is the verbatim, the person who typed it the reporter."""
        text = (form.get("text") or "").strip()
        if form.get("command") != COMMAND or not text:
            return None
        return item(
            self.source,
            f"command:{form['trigger_id']}",
            received_at=None,
            verbatim=text,
            reporter_email=self.user_email(form.get("user_id")) if self.token else "",
            tags=["slash-command", f"channel:{form.get('channel_name') or form.get('channel_id', '')}"],
            raw_payload=form,
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """A slash command (form body), or an Events API ``reaction_added`` on a message with one of the emojis."""
        if payload.get("command"):
            found = self.command_item(payload)
            return [found] if found else []
        reaction = payload.get("event") or {}
        target = reaction.get("item") or {}
        if reaction.get("type") != "reaction_added" or reaction.get("reaction") not in REACTIONS:
            return []
        if target.get("type") != "message":
            return []
        message = self.message(target["channel"], target["ts"])
        if message is None:
            return []  # deleted since, or the bot is not in the channel
        found = self.transform({**message, "channel": target["channel"], "reaction": reaction["reaction"]})
        return [found] if found else []

    def message(self, channel: str, ts: str) -> dict | None:
        """The message at ``ts`` in ``channel``, with its author's e-mail and permalink; None when it is gone."""
        found = self.api("conversations.history", channel=channel, latest=ts, inclusive="true", limit=1)
        messages = [m for m in found.get("messages", []) if m.get("ts") == ts]
        if not messages:
            found = self.api("conversations.replies", channel=channel, ts=ts, limit=1)  # a reply in a thread
            messages = [m for m in found.get("messages", []) if m.get("ts") == ts]
        if not messages:
            return None
        message = dict(messages[0])
        message["user_email"] = self.user_email(message.get("user"))
        message["permalink"] = self.api("chat.getPermalink", channel=channel, message_ts=ts).get("permalink", "")
        return message

    def user_email(self, user_id: str | None) -> str:
        """A Slack user's e-mail (needs the ``users:read.email`` scope; blank without it)."""
        if not user_id:
            return ""
        try:
            return ((self.api("users.info", user=user_id).get("user") or {}).get("profile") or {}).get("email", "")
        except ConnectorError as exc:
            if exc.retryable:
                raise
            return ""
