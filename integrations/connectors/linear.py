"""Linear issues: feedback when labelled so, and the tracker whose state changes close the loop.

Linear's GraphQL API (https://linear.app/developers/graphql) reads issues; its webhooks send ``{action, type: "Issue",
data, updatedFrom, webhookTimestamp}`` (https://linear.app/developers/webhooks). The state's ``type`` (triage,
backlog, unstarted, started, completed, canceled) is what the hub reads, never its team-specific name.
"""

from __future__ import annotations

from datetime import datetime

from integrations.connectors.base import (
    MAX_PAGES,
    Connector,
    ConnectorError,
    StandardItem,
    TrackerChange,
    from_iso,
    item,
)

FEEDBACK_LABELS = frozenset({"feedback", "customer feedback", "customer-feedback"})
STATE_BY_TYPE = {
    "triage": "open",
    "backlog": "open",
    "unstarted": "open",
    "started": "started",
    "completed": "done",
    "canceled": "canceled",
}
ISSUE_FIELDS = """
  id identifier title description url createdAt updatedAt
  state { name type } labels { nodes { name } } creator { email }
"""
ISSUES_QUERY = (
    "query Issues($since: DateTimeOrDuration, $after: String) {"
    " issues(first: 50, after: $after, filter: {updatedAt: {gt: $since}}) {"
    f" nodes {{ {ISSUE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)

# Creating an issue with an id of our own choosing (IssueCreateInput.id, a UUID) makes the create idempotent: Linear
# refuses a second issue with the same id, and ``issues(filter: {id: {eq}})`` finds the first one.
ISSUE_BY_ID_QUERY = (
    "query IssueById($id: ID!) { issues(first: 1, filter: {id: {eq: $id}}) { nodes { id identifier url } } }"
)
ISSUE_CREATE_MUTATION = (
    "mutation IssueCreate($input: IssueCreateInput!) {"
    " issueCreate(input: $input) { success issue { id identifier url } } }"
)


def label_names(issue: dict) -> set[str]:
    """An issue's label names, lower-case, from the API's ``labels.nodes`` or a webhook's ``labels`` list."""
    labels = issue.get("labels") or []
    nodes = labels.get("nodes", []) if isinstance(labels, dict) else labels
    return {(label.get("name") or "").lower() for label in nodes}


class LinearConnector(Connector):
    source = "linear"
    default_base_url = "https://api.linear.app"

    def auth_headers(self) -> dict[str, str]:
        """A personal API key goes bare in Authorization; an OAuth token carries its ``Bearer``."""
        return {"Authorization": self.token} if self.token else {}

    def graphql(self, query: str, **variables) -> dict:
        answer = self.http.post("/graphql", {"query": query, "variables": variables})
        if answer.get("errors"):
            raise ConnectorError(f"Linear: {answer['errors'][0].get('message', 'GraphQL error')}")
        return answer.get("data") or {}

    def authenticate(self) -> None:
        self.graphql("query { viewer { id } }")

    def find_issue(self, issue_id: str) -> dict | None:
        """The issue with this id (``{id, identifier, url}``), or None."""
        nodes = (self.graphql(ISSUE_BY_ID_QUERY, id=issue_id).get("issues") or {}).get("nodes") or []
        return nodes[0] if nodes else None

    def create_issue(self, *, team_id: str, title: str, description: str, issue_id: str) -> dict:
        """A new issue in ``team_id`` with the id ``issue_id`` (a UUID); its ``{id, identifier, url}``."""
        answer = (
            self.graphql(
                ISSUE_CREATE_MUTATION,
                input={"id": issue_id, "teamId": team_id, "title": title, "description": description},
            ).get("issueCreate")
            or {}
        )
        if not answer.get("success") or not (answer.get("issue") or {}).get("identifier"):
            raise ConnectorError("Linear: issueCreate did not succeed")
        return answer["issue"]

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        items, after = [], None
        since = when.isoformat() if when else "1970-01-01T00:00:00Z"
        for _ in range(MAX_PAGES):
            page = self.graphql(ISSUES_QUERY, since=since, after=after)["issues"]
            items += [found for issue in page.get("nodes", []) if (found := self.transform(issue))]
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                break
            after = info.get("endCursor")
        return items

    def transform(self, raw: dict) -> StandardItem | None:
        """An issue carrying a feedback label: title and description are the verbatim, the identifier its id."""
        labels = label_names(raw)
        if not labels & FEEDBACK_LABELS:
            return None
        title, body = (raw.get("title") or "").strip(), (raw.get("description") or "").strip()
        return item(
            self.source,
            raw.get("identifier") or raw["id"],
            received_at=from_iso(raw.get("createdAt")),
            verbatim=f"{title}\n\n{body}".strip(),
            summary=title,
            source_url=raw.get("url", ""),
            reporter_email=(raw.get("creator") or {}).get("email", ""),
            tags=sorted(labels - FEEDBACK_LABELS),
            raw_payload=raw,
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """An issue created, or updated with its labels changed (it may just have become feedback)."""
        if payload.get("type") != "Issue" or payload.get("action") not in {"create", "update"}:
            return []
        changed = payload.get("updatedFrom") or {}
        if payload["action"] == "update" and "labelIds" not in changed:
            return []
        found = self.transform(payload.get("data") or {})
        return [found] if found else []

    def tracker_change(self, payload: dict, *, event: str = "") -> TrackerChange | None:
        """An issue whose workflow state changed (``updatedFrom.stateId``), or one created."""
        if payload.get("type") != "Issue" or payload.get("action") not in {"create", "update"}:
            return None
        if payload["action"] == "update" and "stateId" not in (payload.get("updatedFrom") or {}):
            return None
        issue = payload.get("data") or {}
        state_type = (issue.get("state") or {}).get("type", "")
        if not issue.get("identifier") or state_type not in STATE_BY_TYPE:
            return None
        return TrackerChange(
            key=issue["identifier"],
            state=STATE_BY_TYPE[state_type],
            title=issue.get("title", ""),
            url=issue.get("url", ""),
        )
