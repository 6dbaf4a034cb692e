"""``manage.py capture_demo --port 8001``: a small "host product" on a second origin that embeds the hub's widget.

It plays the product's server too: it signs the identity token for a demo account with the key's secret, as a real
host app would (``integrations.capture.make_identity_token``). A different port is a different origin, so what the
browser does there is what it does on a customer's product: a CORS preflight, the key's allowed origins, the token.

The key is the first active one whose allowed origins list this origin (``demo/capture.py`` makes one listing
http://127.0.0.1:8001), or ``--key pk_…``; the account is ``--account <crm id>`` or the first customer with a CRM id.
``--unsigned`` leaves the token out; ``--forged`` signs it with a wrong secret, to see the hub refuse it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

from customers.models import Customer
from integrations.capture import make_identity_token, new_secret
from integrations.models import CaptureKey

TOKEN_LIFETIME = 12 * 3600  # seconds: a demo session


def host_page(*, hub: str, key: CaptureKey, identity: str = "", account: str = "", origin: str = "") -> bytes:
    """The host product's page, embedding the widget from ``hub`` with ``key`` (and ``identity``, when signed)."""
    context = {
        "hub": hub.rstrip("/"),
        "public_key": key.public_key,
        "identity": identity,
        "account": account,
        "origin_note": origin or "a host product",
    }
    return render_to_string("integrations/capture_demo_host.html", context).encode()


def serve_page(body: bytes | Callable[[], bytes], *, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering ``GET /`` with ``body`` (or what it returns, when a function: a test makes the page
    once it knows the server's port); anything else is a 404. Call ``serve_forever``, or run it in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] not in {"/", "/index.html"}:
                self.send_error(404)
                return
            page = body() if callable(body) else body
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    return ThreadingHTTPServer((host, port), Handler)


class Command(BaseCommand):
    help = "Serve a demo host page on another origin (http://127.0.0.1:8001) that embeds the capture widget."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--hub", default="http://127.0.0.1:8000", help="Where the hub runs (serves the widget).")
        parser.add_argument("--key", default="", help="The capture key's public key (pk_…).")
        parser.add_argument("--account", default="", help="The CRM id the identity token names.")
        signing = parser.add_mutually_exclusive_group()
        signing.add_argument("--unsigned", action="store_true", help="No identity token.")
        signing.add_argument("--forged", action="store_true", help="A token signed with a wrong secret.")

    def handle(self, *args, port: int, host: str, hub: str, key: str, account: str, **options):
        origin = f"http://{host}:{port}"
        keys = CaptureKey.objects.filter(active=True)
        found = keys.filter(public_key=key).first() if key else keys.filter(allowed_origins__contains=[origin]).first()
        if found is None:
            raise CommandError(
                f"No active capture key {'named ' + key if key else 'allows ' + origin}: run load_demo (it makes one) "
                f"or add {origin} to a key's allowed origins in the admin."
            )
        if origin not in found.allowed_origins:
            self.stderr.write(f"Warning: {found} does not allow {origin}; the browser will get no CORS grant.")
        identity = ""
        if not options["unsigned"]:
            customer = Customer.objects.filter(crm_id=account) if account else Customer.objects.exclude(crm_id=None)
            account = account or (customer.order_by("id").values_list("crm_id", flat=True).first() or "")
            if not account:
                raise CommandError("No customer has a CRM id to sign for: pass --account or --unsigned.")
            secret = new_secret() if options["forged"] else found.signing_secret
            identity = make_identity_token(secret, "demo-user-1", account, int(time.time()) + TOKEN_LIFETIME)
        page = host_page(hub=hub, key=found, identity=identity, account=account, origin=origin)
        server = serve_page(page, host=host, port=port)
        how = "forged" if options["forged"] else "unsigned" if not identity else f"signed for account {account}"
        self.stdout.write(f"Host page on {origin}/ embedding the widget of {hub}, key {found.public_key}, {how}.")
        self.stdout.write("Ctrl+C to stop.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
