"""How integrations authenticate (``Authorization: Bearer fbh_…``) and what their token's scopes let them do.

A bad, unknown or revoked token is a 401, never data; a good token without the scope an endpoint needs is a 403.
The token's owner is ``request.user``, so the owner's own model permissions (``feedbackhub.api.ModelPermissions``:
reading needs "view") and row scoping apply as well: a token never reads more than its owner could in the admin.
"""

from __future__ import annotations

import hmac

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from integrations.choices import Scope
from integrations.models import ApiToken
from integrations.services import hash_key, parse_key

LAST_USED_EVERY = 60  # seconds: last_used_at is written at most this often per token
NO_SUCH_HASH = "0" * 64  # compared against when no token has the prefix, so a miss takes as long as a wrong secret


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer fbh_<prefix>_<secret>``: one indexed lookup by prefix, a constant-time hash compare."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send one token: 'Authorization: Bearer fbh_…'.")
        key = header[1].decode("latin-1")  # the header's own encoding: never fails; a non-ASCII key fails the pattern
        prefix = parse_key(key)
        if prefix is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = ApiToken.objects.select_related("owner").filter(prefix=prefix).first()
        if not hmac.compare_digest(token.key_hash if token else NO_SUCH_HASH, hash_key(key)) or token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.is_active:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if not token.owner.is_active:
            raise exceptions.AuthenticationFailed("This token's owner is inactive.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.owner, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'  # makes DRF answer 401 (with WWW-Authenticate), not 403, to a bad token


class HasScope(permissions.BasePermission):
    """Token requests need the view's ``required_scope`` (default: read for safe methods, write otherwise).

    Session requests (an admin user in the browsable docs) have no token: their Django permissions decide.
    """

    message = "This token lacks the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        needed = required_scope(view, request.method)
        if needed not in token.scopes:
            self.message = f"This token lacks the '{needed}' scope (it has: {', '.join(token.scopes) or 'none'})."
            return False
        return True


def required_scope(view, method: str) -> str:
    """The scope a token needs to call ``view`` with ``method``."""
    return getattr(view, "required_scope", None) or (Scope.READ if method in permissions.SAFE_METHODS else Scope.WRITE)
