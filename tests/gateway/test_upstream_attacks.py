"""Review attacks on org.gateway.upstream (the second review of ADR 0285)."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from org.gateway.upstream import forward
from tests.gateway.test_upstream import Upstream, _answer


def test_a_provider_key_with_a_stray_newline_never_reaches_the_callers_error():
    """A key read from a secret file keeps its trailing newline: http.client refuses the header with
    ValueError('Invalid header value b"Bearer <key>\\n"'), which forward() turns into the call's error text
    (what the gateway answers the agent and notes)."""
    up = Upstream()
    try:
        ep = replace(up.ep(), api_key="sk-SECRET-provider-key\n")
        res = forward(ep, [{"role": "user", "content": "hi"}], {}, "openai/gpt-5-mini")
        assert not res.ok
        assert "SECRET" not in (res.error or ""), res.error
    finally:
        up.srv.shutdown()
        up.srv.server_close()


def test_a_request_the_server_received_and_dropped_is_never_sent_again():
    """The server reads the whole second request on a kept connection (starts work, bills it), then the
    connection dies with no byte of an answer (a crash, a proxy's reset). forward() sends the same
    non-idempotent completion again on a new connection: the provider made two, the ledger sees one."""
    seen: list[int] = []

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            return

        def do_POST(self):
            n = int(self.headers.get("content-length") or 0)
            self.rfile.read(n)
            seen.append(1)
            if len(seen) == 2:  # received, then the connection is gone without an answer
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            body = _answer({"role": "assistant", "content": "ok"})
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        from org.agents.endpoints import Endpoint

        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        ep = Endpoint("openai/gpt-5-mini", "openai/gpt-5-mini", url, "k", "local", "local", "openai", 10.0)
        msgs = [{"role": "user", "content": "hi"}]
        assert forward(ep, msgs, {}, "openai/gpt-5-mini").ok
        forward(ep, msgs, {}, "openai/gpt-5-mini")
        assert len(seen) == 2, f"one call, {len(seen) - 1} requests received by the model server"
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_provider_key_with_a_line_break_is_refused_when_the_endpoint_is_built_naming_only_the_variable():
    import pytest

    from org.agents.endpoints import endpoint_for
    from org.errors import UsageError

    for key in ("sk-SECRET-a\n", "sk-SECRET-a\r\nX-Injected: 1", "sk-SECRET\0"):
        with pytest.raises(UsageError) as e:
            endpoint_for("openai/gpt-5", None, None, {"OPENAI_API_KEY": key, "ORG_MODELS": "real"})
        assert "OPENAI_API_KEY" in str(e.value) and "SECRET" not in str(e.value)
    assert (
        endpoint_for("openai/gpt-5", None, None, {"OPENAI_API_KEY": "sk-ok", "ORG_MODELS": "real"}).api_base
        is None
    )


def test_a_credential_quoted_in_any_clients_error_text_is_redacted_from_the_classified_error():
    """litellm's path too: whatever client quotes the header or key it was building, classify_error's message
    (the refusal's text, the gateway's notes) never carries it."""
    from org.agents.llm import classify_error

    for text in (
        "Invalid header value b'Bearer sk-SECRET-1\\n'",
        "Illegal header value b'Bearer  sk-SECRET-2'",
        "AuthenticationError: api_key='sk-SECRET-3' is wrong",
        "{'authorization': 'Bearer sk-SECRET-4', 'x-api-key': 'sk-SECRET-5'}",
        "Incorrect API key provided: token=sk-SECRET-6",
    ):
        msg = classify_error(ValueError(text))[3]
        assert "SECRET" not in msg, msg


def test_an_unreachable_model_server_still_says_why_without_the_request():
    from org.agents.endpoints import Endpoint

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the call is made: refused
    ep = Endpoint(
        "openai/m", "openai/m", f"http://127.0.0.1:{port}/v1", "sk-SECRET", "local", "local", "openai", 5.0
    )
    res = forward(ep, [{"role": "user", "content": "hi"}], {}, "openai/m")
    assert res.outcome == "unavailable" and "refused" in (res.error or "").lower(), res.error
    assert "SECRET" not in (res.error or "")


def test_a_job_token_with_a_line_break_never_reaches_the_error_of_asking_the_gateway_for_a_grant():
    """The agent's side: a job token from the environment with a stray newline makes http.client refuse the
    header (ValueError quoting it); model_access answers a clear org error without the token, no traceback."""
    import pytest

    from org.errors import OrgError
    from org.gateway.service import URL_ENV, model_access

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OrgError) as e:
        model_access("orgj_SECRET_token\n", env={URL_ENV: f"http://127.0.0.1:{port}/v1"})
    assert "SECRET" not in str(e.value), e.value


def test_a_key_quoted_without_a_label_is_redacted_by_its_value_or_its_shape(monkeypatch):
    """Patterns after a label miss a key a provider quotes bare ("Incorrect API key provided: sk-..."), as bytes
    (b'sk-...') or in JSON: the configured provider keys' exact values and the common key shapes are redacted too."""
    from org.agents.llm import redact_credentials

    monkeypatch.setenv("ACME_API_KEY", "plainvalue-with-no-shape-0042")
    for text in (
        "Incorrect API key provided: sk-proj-SECRETabcdefghijklmnop",
        "b'sk-ant-api03-SECRETabcdefghijklmnopqrst'",
        '{"error": {"message": "key AIzaSECRETabcdefghijklmnopqrstu is invalid"}}',
        "rejected credential plainvalue-with-no-shape-0042 for this route",
    ):
        out = redact_credentials(text)
        assert "SECRET" not in out and "plainvalue" not in out, out
    assert redact_credentials("token budget 5000 of 40000 used") == "token budget 5000 of 40000 used"
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-project-name")  # names a project, holds no secret
    assert redact_credentials("permission denied on project my-project-name") == (
        "permission denied on project my-project-name"
    )


def test_every_provider_variable_is_blanked_from_errors_but_the_settings_that_only_name_a_credential(
    monkeypatch,
):
    """Each variable of PROVIDER_KEYS is kept from agents; its value is blanked from an error text unless it only
    names a credential (a profile, a project, a path): a secret key added to the name-only list fails here."""
    from org.agents.endpoints import PROVIDER_KEYS, is_provider_key
    from org.agents.llm import redact_credentials

    names_only = {"AWS_PROFILE", "VERTEXAI_PROJECT", "GOOGLE_APPLICATION_CREDENTIALS"}
    for name in sorted({k for keys in PROVIDER_KEYS.values() for k in keys}):
        value = f"value-of-{name.lower()}-0042"
        monkeypatch.setenv(name, value)
        out = redact_credentials(f"the provider said: {value}")
        assert is_provider_key(name), name
        assert (value in out) == (name in names_only), (name, out)
