"""Review attack on the remembered holder (ADR 0285): the rate budget's bookings inside one gateway call."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from org.agents.pacing import Limits
from org.gateway import Gateway
from tests.gateway.test_gateway_door import BODY, BUILDER, Clock, Org
from tests.gateway.test_upstream import _answer


@pytest.fixture
def org(org_copy):
    return Org(org_copy, Clock())


def test_an_actor_paused_while_its_call_waits_out_a_503_gets_no_further_model_call(org):
    """The provider answers 503 (retry after 0.3 s: 'unavailable', retried by the pacer); while the pacer waits to retry inside the same gateway call,
    a human pauses the actor. Before b9bdea0 the retry's booking authenticated the job token (Paused: refused);
    with the remembered holder it books as the holder and the model is called again after the kill switch."""
    seen: list[float] = []

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            return

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.append(time.time())
            if len(seen) == 1:
                with org.door() as door:
                    door.pause(org.alice, "actor", BUILDER, None, note="stop it now")
                body = json.dumps({"error": {"message": "overloaded"}}).encode()
                self.send_response(503)
                self.send_header("retry-after", "0.3")
            else:
                body = _answer({"role": "assistant", "content": "ok"})
                self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    try:
        gw = Gateway.for_database(
            org.cfg, org.url, limits={"local": Limits(rpm=60_000)}, local_url=url, env={"ORG_MODELS": "local"}
        )
        with gw:
            token = gw.grant(org.jt)
            status, _h, _b = gw.handle("/v1/chat/completions", {"authorization": f"Bearer {token}"}, BODY)
            gw.flush()
        assert len(seen) == 1, (
            f"{len(seen)} model calls; the second made after the actor was paused ({status})"
        )
    finally:
        srv.shutdown()
        srv.server_close()


def _model_server(org, first_status: int, on_first):
    """A model server answering `first_status` (retry after 0.3 s) to the first call, after on_first(door) ran
    (a human's change while the call is inside the pacer), and 200 after; (server, its calls)."""
    seen: list[float] = []

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            return

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.append(time.time())
            if len(seen) == 1:
                with org.door() as door:
                    on_first(door)
                body = json.dumps({"error": {"message": "slow down", "type": "rate"}}).encode()
                self.send_response(first_status)
                self.send_header("retry-after", "0.3")
            else:
                body = _answer({"role": "assistant", "content": "ok"})
                self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen


@pytest.mark.parametrize("first_status", [503, 429])
@pytest.mark.parametrize("switch", ["actor", "lane", "vendor", "task", "all", "revoked", "released"])
def test_every_switch_and_a_dead_token_stop_the_pacers_retry_with_their_own_reason(org, switch, first_status):
    """Whatever changes while the call sits in the pacer (a switch of any scope, the token revoked, the lease
    released), the retry is checked first: no second model call, the refusal names what stopped it."""
    claim = org.claims[BUILDER][0]
    targets = {"actor": BUILDER, "lane": "builder", "vendor": "anthropic", "task": claim.task, "all": None}

    def change(door):
        if switch in targets:
            door.pause(org.alice, switch, targets[switch], None, note="stop it")
        elif switch == "revoked":
            assert door.revoke_tokens(org.alice, actor=BUILDER)
        else:
            door.release(org.jt, claim.job, reason="done with it")

    srv, seen = _model_server(org, first_status, change)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    try:
        gw = Gateway.for_database(
            org.cfg, org.url, limits={"local": Limits(rpm=60_000)}, local_url=url, env={"ORG_MODELS": "local"}
        )
        with gw:
            token = gw.grant(org.jt)
            status, _h, body = gw.handle("/v1/chat/completions", {"authorization": f"Bearer {token}"}, BODY)
            gw.flush()
            refusal = gw.refusals[-1] if gw.refusals else {}
        assert len(seen) == 1, f"{len(seen)} model calls; the retry went out after {switch} ({status})"
        if switch in targets:
            what = {"all": "everything", "actor": f"{BUILDER} is paused"}.get(
                switch, f"{switch} {targets[switch]}"
            )
            assert status == 403 and refusal.get("code") == "paused", (status, refusal)
            assert what in json.loads(body)["error"]["message"], body
        else:
            assert status == 401 and refusal.get("code") in ("token", "lease"), (status, refusal)
    finally:
        srv.shutdown()
        srv.server_close()
