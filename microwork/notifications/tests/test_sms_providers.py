"""SMS in production goes through Twilio; tested against a local stub of its
API, never the network."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from microwork.notifications import sms

SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_API = "https://api.twilio.com"


@pytest.fixture
def twilio_stub(monkeypatch):
    """A stand-in for Twilio's API on 127.0.0.1 that records each request;
    `reply` sets the status and body of the next answers."""
    requests = []
    reply = {"status": 201, "body": {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            requests.append({"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)})
            answer = json.dumps(reply["body"]).encode()
            self.send_response(reply["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    yield f"http://127.0.0.1:{server.server_port}", requests, reply
    server.shutdown()
    server.server_close()


class StubbedTwilio(TwilioHttpClient):
    """Twilio's own HTTP client, sending to the stub instead of api.twilio.com
    (the library has no setting for its base address)."""

    def __init__(self, base: str) -> None:
        super().__init__(timeout=5)
        self.base = base

    def request(self, method, url, *args, **kwargs):
        assert url.startswith(TWILIO_API)
        return super().request(method, self.base + url.removeprefix(TWILIO_API), *args, **kwargs)


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM = "+33700000000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    return settings


def test_twilio_is_a_registered_backend(twilio, monkeypatch):
    sent = []
    monkeypatch.setattr(sms.TwilioBackend, "send", lambda self, to, body: sent.append((to, body)))
    sms.send_sms("+33612345678", "Votre code : 123456")
    assert sent == [("+33612345678", "Votre code : 123456")]


def test_a_text_through_twilio_posts_to_the_account_s_messages(twilio, twilio_stub):
    # given the Twilio backend pointed at the stub
    base, requests, _ = twilio_stub
    backend = sms.TwilioBackend(http_client=StubbedTwilio(base))
    # when alice is sent her code
    backend.send("+33612345678", "Votre code Microwork : 123456")
    # then Twilio got one signed form for the account, from our number
    [request] = requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{SID}:secret-token".encode()).decode()
    assert request["form"] == {
        "To": ["+33612345678"],
        "From": ["+33700000000"],
        "Body": ["Votre code Microwork : 123456"],
    }


def test_a_messaging_service_replaces_the_sender_number(twilio, twilio_stub):
    base, requests, _ = twilio_stub
    twilio.TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    sms.TwilioBackend(http_client=StubbedTwilio(base)).send("+33612345678", "Bonjour")
    [request] = requests
    assert request["form"]["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"]
    assert "From" not in request["form"]


def test_a_refused_text_raises_instead_of_passing_for_sent(twilio, twilio_stub):
    base, _, reply = twilio_stub
    reply.update(status=400, body={"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
    with pytest.raises(TwilioRestException) as refused:
        sms.TwilioBackend(http_client=StubbedTwilio(base)).send("+33600", "Bonjour")
    assert refused.value.code == 21211
