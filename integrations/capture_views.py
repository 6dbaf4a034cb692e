"""The public doors of in-product capture: ``POST /api/capture/?key=pk_…`` (and its CORS preflight) and the widget's
script, ``GET /api/capture/widget.js``. The rules are in ``integrations.capture``; these views only ask them.

The endpoint answers browsers on other origins, so CORS is answered here, precisely: an ``Origin`` listed in the
key's ``allowed_origins`` gets ``Access-Control-Allow-Origin: <that origin>`` (on the preflight and on every answer to
its POST, errors included, so the widget can show them); any other origin gets no CORS header at all, and its POST a
403. No session or token is read (``authentication_classes = []``): the key and the identity token are the only
credentials, and no cookie of the hub's admin ever counts.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from feedbackhub.client_address import client_address
from integrations import capture
from integrations.api.serializers import StrictCharField, StrictChoiceField
from integrations.choices import AGGREGATED_CAPTURES, CaptureKind
from integrations.ingest import error_paths
from integrations.parsers import JSONParser

MAX_BODY_BYTES = 8 * 1024  # a capture is a sentence or a paragraph; anything bigger is not one
MAX_TEXT = 2_000
WIDGET = Path(__file__).resolve().parent / "static" / "integrations" / "capture-widget.js"
WIDGET_MAX_AGE = 86_400  # a day: a changed widget reaches every host page within it; the ETag saves the bytes
PREFLIGHT_MAX_AGE = 600
TEXT_KINDS = (CaptureKind.FEATURE, CaptureKind.CANCELLATION, CaptureKind.ERROR)

IDENTITY_DOC = """
In-product capture from the embeddable widget (`<script src="/api/capture/widget.js" data-key="pk_…" async>`).
No API token: the publishable key is in the query string, the page's `Origin` must be one of the key's allowed
origins (exact scheme://host[:port]), and the answer is only `{"status": "received"}`.

**Identity token** (`identity`): made by the host app's server with the key's signing secret, never in the browser:
`base64url(JSON {"user": "<user id>", "account": "<customer crm_id>", "exp": <unix seconds>})` + `.` +
`base64url(HMAC-SHA256(secret, <the first part as sent>))`, base64url without `=` padding. `account` is the
customer's CRM id in the hub. A token that is malformed, forged, signed for another key or expired is refused
(401, saying which); it is never read as anonymous. Without a token the capture is anonymous or refused (401), as
the key's setting says.

Free text (`feature`, `cancellation`, `error`) becomes an `in_app` feedback item and goes through triage; `thumbs_up`,
`thumbs_down` and `zero_results` are counted per feature or query and day. Limits: body 8 KB (413), text 2,000
characters (400 by field), per-key and per-IP rates (429 with Retry-After).
""".strip()


class CaptureJSONParser(JSONParser):
    """The API's strict JSON parser with a capture's size limit (413 past it)."""

    max_bytes = MAX_BODY_BYTES


class CaptureSerializer(serializers.Serializer):
    """One capture as the widget sends it; unknown fields are refused (a typo must not lose what was said)."""

    kind = StrictChoiceField(CaptureKind.choices, help_text="What was captured.")
    text = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, help_text="What the person wrote.")
    feature = StrictCharField(max_length=capture.MAX_FEATURE, required=False, allow_blank=True)
    task = StrictCharField(max_length=200, required=False, allow_blank=True, help_text="The task thumbs were about.")
    query = StrictCharField(max_length=capture.MAX_QUERY, required=False, allow_blank=True)
    page = StrictCharField(
        required=False,
        allow_blank=True,
        help_text="The page it came from (http or https; kept to 500 characters, anything else is left out).",
    )
    capture_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,64}$", required=False, help_text="The widget's id of this capture: a retry updates it."
    )
    identity = StrictCharField(max_length=2_000, required=False, allow_blank=True, help_text="The identity token.")

    def to_internal_value(self, data):
        if isinstance(data, dict) and (unknown := [name for name in data if name not in self.fields]):
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs: dict) -> dict:
        kind = attrs["kind"]
        if kind in TEXT_KINDS and not attrs.get("text", "").strip():
            raise serializers.ValidationError({"text": [f"Say something: a {kind} capture needs its text."]})
        if kind == CaptureKind.ZERO_RESULTS and not capture.normalize_query(attrs.get("query", "")):
            raise serializers.ValidationError({"query": ["A search that found nothing needs its query."]})
        if kind in AGGREGATED_CAPTURES and kind != CaptureKind.ZERO_RESULTS and not attrs.get("feature", "").strip():
            raise serializers.ValidationError({"feature": ["Thumbs are counted per feature: name it."]})
        attrs["feature"] = attrs.get("feature", "").strip()
        attrs["page"] = capture.clean_page(attrs.get("page", ""))  # never a reason to refuse what the person wrote
        return attrs


class CaptureAnswerSerializer(serializers.Serializer):
    """All a capture's answer says: nothing about the item, the customer or anyone else."""

    status = serializers.ChoiceField(["received"])


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def refused(code: int, detail: str, **headers) -> Response:
    response = Response({"detail": detail}, status=code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class CaptureView(APIView):
    """Take one capture from a host page: key, origin, rate, body, identity, then store it."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []  # its own per-key and per-IP windows (integrations.capture.throttled)
    parser_classes = [CaptureJSONParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.capture_key = capture.key_for(request.query_params.get("key", ""))
        self.origin = request.headers.get("Origin")
        self.cors = capture.origin_allowed(self.capture_key, self.origin)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Origin"])
        if getattr(self, "cors", False):
            response["Access-Control-Allow-Origin"] = self.origin
            response["Access-Control-Expose-Headers"] = "Retry-After"
        return response

    def options(self, request, *args, **kwargs):
        """The CORS preflight: a grant for an allowed origin, none at all (403) for any other."""
        if not self.cors:
            return refused(status.HTTP_403_FORBIDDEN, "This origin may not post with this key.")
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response

    @extend_schema(
        operation_id="capture_create",
        summary="Capture feedback from inside the product (the widget's endpoint)",
        description=IDENTITY_DOC,
        auth=[],
        parameters=[
            OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="pk_…"),
            OpenApiParameter("Origin", OpenApiTypes.STR, OpenApiParameter.HEADER, description="The host page's."),
        ],
        request=CaptureSerializer,
        responses={
            202: OpenApiResponse(CaptureAnswerSerializer, description="Stored (an item or a count)."),
            400: OpenApiResponse(description="The body or a field is invalid; the errors by field."),
            401: OpenApiResponse(DetailSerializer, description="The identity token is refused, or missing."),
            403: OpenApiResponse(DetailSerializer, description="Unknown or switched-off key, or origin not allowed."),
            413: OpenApiResponse(DetailSerializer, description="The body is larger than 8 KB."),
            429: OpenApiResponse(DetailSerializer, description="Too many captures; Retry-After says when to retry."),
        },
    )
    def post(self, request):
        key = self.capture_key
        if key is None:
            return refused(status.HTTP_403_FORBIDDEN, "Unknown capture key: check the script tag's data-key.")
        if not key.active:
            return refused(status.HTTP_403_FORBIDDEN, "This capture key is switched off.")
        if not self.cors:
            return refused(status.HTTP_403_FORBIDDEN, "This origin may not post with this key (allowed origins).")
        if wait := capture.throttled(key=key, ip=client_address(request)):
            return refused(
                status.HTTP_429_TOO_MANY_REQUESTS, f"Too many captures: try again in {wait} s.", Retry_After=str(wait)
            )
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["Send one capture as a JSON object."]}, status=400)
        serializer = CaptureSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(error_paths(serializer.errors), status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        try:
            identity = capture.identity_for(key=key, token=data.get("identity"))
        except capture.IdentityError as error:
            return refused(status.HTTP_401_UNAUTHORIZED, str(error))
        capture.accept_capture(key=key, capture=data, identity=identity)
        return Response({"status": "received"}, status=status.HTTP_202_ACCEPTED)


@cache
def widget_source() -> tuple[bytes, str]:
    """The widget's bytes and their ETag, read once per process (the file ships with the code)."""
    body = WIDGET.read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """The widget for any host page: public, cached a day, revalidated by ETag, loadable from every origin."""
    body, etag = widget_source()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={WIDGET_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # host pages with COEP may load it too
    return response
