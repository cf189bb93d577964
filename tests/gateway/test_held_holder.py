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


# every switch and both dead tokens behind a 503 (the review's first case: an actor paused while the pacer waits
# out a 503; before b9bdea0's fix the retry booked as the remembered holder and called the model again); behind a 429 (a cooldown, ~1 s each) a switch and a token
@pytest.mark.parametrize(
    ("switch", "first_status"),
    [(s, 503) for s in ("actor", "lane", "vendor", "task", "all", "revoked", "released")]
    + [("lane", 429), ("revoked", 429)],
)
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


def test_a_paused_vendor_stops_a_call_to_its_model_whoever_the_member_is(org_copy):
    """The builder lane lets its members call both its models (`models:`). `org pause --vendor openai` (accepted:
    build-gpt uses openai) must refuse build-claude's next call to openai/gpt-5; the switch is keyed by the
    member's own model's vendors (org.engine.pauses.vendors_of), never the model the call names."""
    from org.agents.localmodel import LocalModelServer
    from tests.gateway.test_gateway_door import call  # noqa: F401

    lane = org_copy / "lanes" / "builder.yaml"
    lane.write_text(lane.read_text() + "models: [anthropic/claude-sonnet-4-5, openai/gpt-5]\n")
    org = Org(org_copy, Clock())
    body = json.dumps({"model": "openai/gpt-5", "messages": [{"role": "user", "content": "hi"}]}).encode()
    with (
        LocalModelServer() as local,
        Gateway(org.cfg, org.door, local_url=local.url, env={"ORG_MODELS": "local"}, clock=org.clock) as gw,
    ):
        token = gw.grant(org.jt)
        head = {"authorization": f"Bearer {token}"}
        assert gw.handle("/v1/chat/completions", head, body)[0] == 200
        with org.door() as door:
            door.pause(org.alice, "vendor", "openai", None, note="openai is down")
        status, headers, _ = gw.handle("/v1/chat/completions", head, body)
        assert status == 403, f"a call to openai/gpt-5 went through vendor openai's pause ({headers})"


def test_a_vendor_only_a_lanes_models_name_can_be_paused_and_stops_the_call(org_copy):
    """No member's own model is mistral's, but the builder lane lets its members call mistral/mistral-large:
    `org pause --vendor mistral` is accepted (a vendor a call may be routed to), and it stops that call, on the
    remembered holder's one read (a second call) as on the first."""
    from org.agents.localmodel import LocalModelServer

    lane = org_copy / "lanes" / "builder.yaml"
    lane.write_text(
        lane.read_text() + "models: [anthropic/claude-sonnet-4-5, openai/gpt-5, mistral/mistral-large]\n"
    )
    org = Org(org_copy, Clock())
    own = json.dumps(
        {"model": "anthropic/claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}
    )
    other = json.dumps({"model": "mistral/mistral-large", "messages": [{"role": "user", "content": "hi"}]})
    with (
        LocalModelServer() as local,
        Gateway(org.cfg, org.door, local_url=local.url, env={"ORG_MODELS": "local"}, clock=org.clock) as gw,
    ):
        head = {"authorization": f"Bearer {gw.grant(org.jt)}"}
        assert gw.handle("/v1/chat/completions", head, own.encode())[0] == 200  # the holder is remembered
        with org.door() as door:
            door.pause(org.alice, "vendor", "mistral", None, note="mistral is down")
        status, _h, body = gw.handle("/v1/chat/completions", head, other.encode())
        assert status == 403 and b"vendor mistral" in body, body
        assert gw.handle("/v1/chat/completions", head, own.encode())[0] == 200  # its own vendor is not paused
