"""Customer business logic: the natural keys an account is matched by, and who owns it.

Imports (admin CSV/XLSX, the Airtable base) and integrations find accounts through these functions, so an account
is matched the same way wherever its rows come from.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower

from customers.models import Customer


def normalize_domain(value: str | None) -> str:
    """The bare, lower-case host of ``value``: ``https://www.Acme.com/about`` → ``acme.com``; blank stays blank."""
    text = (value or "").strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    if "@" in text:  # an e-mail address names its domain after the @
        text = text.rsplit("@", 1)[1]
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    return text.removeprefix("www.")


def customer_by_key(*, domain: str | None = None, crm_id: str | None = None) -> Customer | None:
    """The account a row names by domain or CRM id, or None if neither is known yet.

    Raises ValidationError when the domain and the CRM id name two different accounts.
    """
    domain, crm_id = normalize_domain(domain), (crm_id or "").strip()
    by_crm = Customer.objects.filter(crm_id=crm_id).first() if crm_id else None
    by_domain = Customer.objects.filter(domain__iexact=domain).first() if domain else None
    if by_crm and by_domain and by_crm.pk != by_domain.pk:
        raise ValidationError(
            f"CRM id “{crm_id}” belongs to “{by_crm}” but domain “{domain}” belongs to “{by_domain}”: "
            "fix one of them so the row names a single account.",
            code="conflicting_keys",
        )
    return by_crm or by_domain


def customers_named(*, name: str):
    """Accounts whose company name is ``name`` (case and surrounding spaces ignored)."""
    return Customer.objects.filter(name__iexact=name.strip())


def user_by_name(*, name: str | None):
    """The user ``name`` refers to, by e-mail, username or full name (case ignored); None for a blank name.

    Raises ValidationError naming the problem when nobody, or more than one person, answers to ``name``.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    users = get_user_model().objects.annotate(
        full_name=Lower(Concat("first_name", Value(" "), "last_name")),
    )
    matches = list(users.filter(Q(email__iexact=name) | Q(username__iexact=name) | Q(full_name=name.lower()))[:2])
    if not matches:
        raise ValidationError(
            f"No user is called “{name}”: give an existing user's e-mail, username or full name.", code="unknown_user"
        )
    if len(matches) > 1:
        raise ValidationError(
            f"Several users answer to “{name}”: give their e-mail or username instead.", code="ambiguous_user"
        )
    return matches[0]


def user_label(*, user) -> str:
    """How a person is written in exports: full name, else username (what ``user_by_name`` reads back)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
