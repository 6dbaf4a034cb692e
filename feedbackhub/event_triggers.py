"""Database triggers that write a ``DomainEvent`` when a row reaches a status, whichever door changed it (admin form,
list edit, bulk action, API, webhook, a queryset ``update``): the rule cannot be bypassed from Python.

``shipped_event("theme", "theme_id")`` on ``themes_theme`` writes ``theme.shipped`` with ``{"theme_id": id}`` when a
row is inserted shipped or its status becomes shipped. The key holds the transaction id: shipping, reopening and
shipping again is a second event (its handlers tell only the customers not told yet); one transaction is one event.
"""

from __future__ import annotations

import pgtrigger


def status_event(*, name: str, event: str, status: str, id_key: str) -> pgtrigger.Trigger:
    """An AFTER INSERT / UPDATE OF status trigger that records ``event`` when ``status`` is reached."""
    func = f"""
        IF NEW.status = '{status}' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM '{status}') THEN
            INSERT INTO feedbackhub_domainevent (name, key, payload, created_at, attempts, last_error)
            VALUES (
                '{event}',
                '{event}:' || NEW.id || ':' || txid_current(),
                jsonb_build_object('{id_key}', NEW.id, 'at', now()),
                now(), 0, ''
            )
            ON CONFLICT (key) DO NOTHING;
        END IF;
        RETURN NULL;
    """
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf("status"),
        func=func,
    )
