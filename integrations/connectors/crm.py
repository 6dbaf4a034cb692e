"""CRM account sync (Salesforce-style): the enrichment the CRM owns — ARR, tier, plan, health, renewal, owner.

Not feedback: ``transform`` turns one CRM account (an API record or an export row) into an enrichment row for
``customers.services.update_enrichment``. The API is Salesforce's REST query endpoint
(``/services/data/vXX.X/query?q=SOQL``, paged by ``nextRecordsUrl``); exports are CSV or JSON with either the API
field names or the report column labels below. The webhook takes ``{"id": <delivery>, "accounts": [records]}``.
"""

from __future__ import annotations

from datetime import datetime
from urllib import parse

from integrations.connectors.base import MAX_PAGES, Connector

API_VERSION = "v59.0"
CUSTOM_FIELDS = ("Tier__c", "Plan__c", "Health_Score__c", "Renewal_Date__c")
SOQL = (
    "SELECT Id, Name, Website, AnnualRevenue, {custom}, Owner.Email FROM Account"
    " WHERE SystemModstamp > {since} ORDER BY SystemModstamp"
)
# Enrichment key → the names a Salesforce record or export may use for it (API name first, then report labels).
COLUMNS = {
    "crm_id": ("Id", "Account ID", "AccountId", "crm_id"),
    "name": ("Name", "Account Name", "name"),
    "domain": ("Website", "Domain", "Email Domain", "domain"),
    "arr": ("ARR__c", "AnnualRevenue", "ARR", "Annual Revenue", "arr"),
    "tier": ("Tier__c", "Tier", "tier"),
    "plan": ("Plan__c", "Plan", "plan"),
    "health_score": ("Health_Score__c", "Health Score", "Health", "health_score"),
    "renewal_date": ("Renewal_Date__c", "Renewal Date", "renewal_date"),
    "owner_email": ("Owner.Email", "Account Owner Email", "Owner Email", "owner_email"),
}


def flatten(record: dict, prefix: str = "") -> dict:
    """A Salesforce record with its relationships flattened: ``{"Owner": {"Email": x}}`` → ``{"Owner.Email": x}``."""
    flat = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class CrmConnector(Connector):
    source = "crm"

    def authenticate(self) -> None:
        self.http.get(f"/services/data/{API_VERSION}/limits")

    def fetch_since(self, when: datetime | None) -> list[dict]:
        """Accounts changed since ``when`` as enrichment rows."""
        since = (when or datetime(1970, 1, 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = SOQL.format(custom=", ".join(CUSTOM_FIELDS), since=since)
        page = self.http.get(f"/services/data/{API_VERSION}/query", q=query)
        rows = []
        for _ in range(MAX_PAGES):
            rows += [row for record in page.get("records", []) if (row := self.transform(record))]
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                break
            page = self.http.get(page["nextRecordsUrl"])
        return rows

    def transform(self, raw: dict) -> dict | None:
        """One account (API record or export row) as an enrichment row; None when it names no account."""
        flat = {key.strip(): value for key, value in flatten(raw).items()}
        row = {}
        for key, names in COLUMNS.items():
            value = next((flat[name] for name in names if flat.get(name) not in (None, "")), None)
            if value is not None:
                row[key] = value
        return row if row.get("crm_id") or row.get("domain") else None

    def update_account(self, crm_id: str, fields: dict) -> None:
        """Write ``fields`` on one Account (``PATCH /services/data/vXX.X/sobjects/Account/<id>``; Salesforce answers
        204 with no body). Used by the outbound "feedback addressed" (``integrations.outbound_delivery``)."""
        self.http.call(
            "PATCH", f"/services/data/{API_VERSION}/sobjects/Account/{parse.quote(crm_id, safe='')}", body=fields
        )

    def webhook_items(self, payload: dict, *, event: str = "") -> list[dict]:
        """The accounts a delivery carries, as enrichment rows."""
        records = payload.get("accounts", [payload])
        return [row for record in records if (row := self.transform(record))]
