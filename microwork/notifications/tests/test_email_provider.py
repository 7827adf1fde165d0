"""Email in production goes through anymail; tested against a local stub of
the provider's API, never the network."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from microwork.envsettings import anymail_settings, email_backend_path

BREVO = "anymail.backends.brevo.EmailBackend"


@pytest.fixture
def brevo_stub(monkeypatch):
    """A stand-in for Brevo's API on 127.0.0.1 that records each request."""
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
            reply = json.dumps({"messageId": "<202601010000.1@smtp-relay.mailin.fr>"}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    # A proxy from the environment must not catch the call to 127.0.0.1.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    yield f"http://127.0.0.1:{server.server_port}/v3/", requests
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("name", "provider", "path"),
    [
        ("anymail", "brevo", BREVO),
        ("anymail", "mailgun", "anymail.backends.mailgun.EmailBackend"),
        ("anymail", "amazon_ses", "anymail.backends.amazon_ses.EmailBackend"),
        ("console", "brevo", "django.core.mail.backends.console.EmailBackend"),
        ("file", "brevo", "django.core.mail.backends.filebased.EmailBackend"),
        ("smtp", "brevo", "django.core.mail.backends.smtp.EmailBackend"),
        ("acme.mail.Backend", "brevo", "acme.mail.Backend"),
    ],
)
def test_email_backend_names_map_to_backend_paths(name, provider, path):
    assert email_backend_path(name, provider) == path


def test_anymail_settings_name_each_provider_s_credential():
    assert anymail_settings("brevo", credential="xkeysib-1", api_url="") == {"BREVO_API_KEY": "xkeysib-1"}
    assert anymail_settings("postmark", credential="tok", api_url="") == {"POSTMARK_SERVER_TOKEN": "tok"}
    assert anymail_settings("mailgun", credential="key", api_url="https://api.eu.mailgun.net/v3") == {
        "MAILGUN_API_KEY": "key",
        "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
    }
    # An unset key stays absent, so anymail refuses to build the backend.
    assert anymail_settings("brevo", credential="", api_url="") == {}


def test_email_through_brevo_posts_the_message_to_its_api(settings, brevo_stub):
    # given the Brevo backend pointed at the stub
    api_url, requests = brevo_stub
    settings.EMAIL_BACKEND = BREVO
    settings.ANYMAIL = {"BREVO_API_KEY": "xkeysib-acme", "BREVO_API_URL": api_url}
    # when the platform sends an email
    sent = mail.send_mail(
        "Votre code Microwork",
        "Votre code est 123456.",
        "Microwork <noreply@microwork.fr>",
        ["alice@example.fr"],
    )
    # then Brevo received one signed request with the message
    assert sent == 1
    [request] = requests
    assert request["path"] == "/v3/smtp/email"
    assert request["headers"]["api-key"] == "xkeysib-acme"
    assert request["json"]["to"] == [{"email": "alice@example.fr"}]
    assert request["json"]["sender"] == {"email": "noreply@microwork.fr", "name": "Microwork"}
    assert request["json"]["subject"] == "Votre code Microwork"
    assert request["json"]["textContent"] == "Votre code est 123456."


def test_anymail_test_backend_records_what_would_be_sent(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.send_mail("Bienvenue", "Bonjour Bob", "noreply@microwork.fr", ["bob@example.fr"])
    [message] = mail.outbox
    assert [address.addr_spec for address in message.anymail_test_params["to"]] == ["bob@example.fr"]
    assert message.anymail_test_params["subject"] == "Bienvenue"
    assert message.anymail_status.status == {"sent"}
