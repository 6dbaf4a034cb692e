"""GitHub issues: feedback when labelled so, and a tracker whose issue states close the loop.

An issue is feedback when it carries one of the feedback labels (a repository's engineering issues are not customer
feedback). An issue closed as completed is done, closed as not planned is canceled, reopened is open again; its key
is ``owner/repo#number`` as themes and launches store it. https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues
"""

from __future__ import annotations

from datetime import datetime

from integrations.connectors.base import MAX_PAGES, Connector, StandardItem, TrackerChange, from_iso, item

FEEDBACK_LABELS = frozenset({"feedback", "customer-feedback"})
FEEDBACK_ACTIONS = {"opened", "labeled", "edited"}
PAGE_SIZE = 100
FIND_PAGES = 3  # issues scanned when looking for one the hub created: the 300 most recently created since a time


def issue_key(repository: str, number) -> str:
    """How a GitHub issue is written in tracker keys: ``owner/repo#42``."""
    return f"{repository}#{number}"


def last_line(body: str | None) -> str:
    """The last non-blank line of an issue body, trimmed (GitHub may store an edited body with CRLF endings)."""
    lines = [line.strip() for line in (body or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def issue_state(issue: dict) -> str:
    """The tracker state of an issue (themes.choices.TrackerState values)."""
    if issue.get("state") != "closed":
        return "open"
    return "canceled" if issue.get("state_reason") in {"not_planned", "duplicate"} else "done"


class GitHubConnector(Connector):
    source = "github"
    default_base_url = "https://api.github.com"

    def auth_headers(self) -> dict[str, str]:
        return {**super().auth_headers(), "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

    def authenticate(self) -> None:
        self.http.get("/user")

    def create_issue(self, repository: str, *, title: str, body: str, labels: list[str] | None = None) -> dict:
        """A new issue in ``repository`` (``owner/repo``); GitHub's answer (``number``, ``html_url`` …)."""
        payload = {"title": title, "body": body, **({"labels": labels} if labels else {})}
        return self.http.post(f"/repos/{repository}/issues", payload)

    def find_issue(self, repository: str, *, marker: str, since: datetime) -> dict | None:
        """An issue created or updated since ``since`` whose body *ends* with the line ``marker`` (newest first,
        ``FIND_PAGES`` pages at most; the issues list reads the repository itself, not the search index, so it is
        current). Only the last line counts: the body above it quotes what a customer wrote, and a marker quoted
        there (another item's, copied from a public issue) must not make this item adopt that issue."""
        for page in range(1, FIND_PAGES + 1):
            issues = self.http.get(
                f"/repos/{repository}/issues",
                state="all",
                since=since.isoformat(),
                sort="created",
                direction="desc",
                per_page=PAGE_SIZE,
                page=page,
            )
            for issue in issues:
                if "pull_request" not in issue and last_line(issue.get("body")) == marker:
                    return issue
            if len(issues) < PAGE_SIZE:
                break
        return None

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        """Issues of the watched repositories updated since ``when`` (GitHub's ``labels`` filter ANDs: not used)."""
        items = []
        for repository in self.options.get("repositories", []):
            for page in range(1, MAX_PAGES + 1):
                issues = self.http.get(
                    f"/repos/{repository}/issues",
                    state="all",
                    since=when.isoformat() if when else None,
                    per_page=PAGE_SIZE,
                    page=page,
                )
                for issue in issues:
                    found = self.transform({**issue, "repository": repository})
                    items += [found] if found else []
                if len(issues) < PAGE_SIZE:
                    break
        return items

    def transform(self, raw: dict) -> StandardItem | None:
        """An issue (with ``repository``, its full name): feedback when it carries a feedback label."""
        labels = {label.get("name", "").lower() for label in raw.get("labels", [])}
        if "pull_request" in raw or not labels & FEEDBACK_LABELS:
            return None
        title, body = (raw.get("title") or "").strip(), (raw.get("body") or "").strip()
        return item(
            self.source,
            issue_key(raw["repository"], raw["number"]),
            received_at=from_iso(raw.get("created_at")),
            verbatim=f"{title}\n\n{body}".strip(),
            summary=title,
            source_url=raw.get("html_url", ""),
            tags=sorted(labels - FEEDBACK_LABELS),
            raw_payload=raw,
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """An ``issues`` event opening or labelling an issue as feedback."""
        if not event.startswith("issues") or payload.get("action") not in FEEDBACK_ACTIONS:
            return []
        repository = (payload.get("repository") or {}).get("full_name", "")
        found = self.transform({**payload["issue"], "repository": repository}) if payload.get("issue") else None
        return [found] if found else []

    def tracker_change(self, payload: dict, *, event: str = "") -> TrackerChange | None:
        """An issue closed or reopened."""
        if not event.startswith("issues") or payload.get("action") not in {"closed", "reopened"}:
            return None
        issue = payload.get("issue") or {}
        repository = (payload.get("repository") or {}).get("full_name", "")
        return TrackerChange(
            key=issue_key(repository, issue.get("number")),
            state=issue_state(issue),
            title=issue.get("title", ""),
            url=issue.get("html_url", ""),
        )
