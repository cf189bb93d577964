"""The redactor's first net: a known secret is replaced wherever it appears, in any letter case and in the
encodings a service echoes it in (percent/URL, JSON escapes, hex, base64 standard and URL-safe, alone or
inside a longer base64 text such as a Basic auth header); text without it is left exactly as it was."""

from __future__ import annotations

import base64
import json
import random
import string
from urllib.parse import quote, quote_plus

import pytest

from org.agents.prompts import Redactor as PromptRedactor
from org.bus.redact import Redactor

SECRET = 'S3cr3t/p@ss+w"rd=xyz!\\tail'


def _forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "exact": secret,
        "lower": secret.lower(),
        "upper": secret.upper(),
        "swapped": secret.swapcase(),
        "percent": quote(secret, safe=""),
        "percent-lower-hex": quote(secret, safe="").lower(),
        "form": quote_plus(secret),
        "json": json.dumps(secret)[1:-1],
        "json-slash": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "base64": base64.b64encode(raw).decode(),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


@pytest.mark.parametrize("form", list(_forms(SECRET)))
def test_a_known_secret_is_scrubbed_in_every_common_encoding(form):
    text = _forms(SECRET)[form]
    out = Redactor({"jira": SECRET}).text(f"the service said: {text} (done)")
    assert out == "the service said: [redacted:jira] (done)"


@pytest.mark.parametrize("lead", ["", "u", "us", "user:", "a-longer-user-name:"])
@pytest.mark.parametrize("enc", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_inside_a_longer_text_at_every_alignment(lead, enc):
    blob = enc((lead + SECRET + "-and-more").encode()).decode()
    out = Redactor({"jira": SECRET}).text(f"Authorization: Basic {blob}")
    assert "[redacted:jira]" in out
    # what is left of the secret is at most the two partial 4-character groups at its edges
    left = out.removeprefix("Authorization: Basic ").replace("[redacted:jira]", "")
    assert len(left) <= len(blob) - 4 * ((len(SECRET) - 4) // 3)
    decoded = base64.b64decode(blob.replace("-", "+").replace("_", "/") + "==")
    assert SECRET.encode() in decoded  # (the test text really held it)


def test_text_without_the_secret_is_untouched_and_short_values_are_ignored():
    rnd = random.Random(5)
    noise = "".join(rnd.choices(string.ascii_letters + string.digits + "+/=%", k=200_000))
    r = Redactor({"jira": "an-actual-secret-value-1234", "tiny": "abc"})
    assert r.values(noise) == noise
    assert r.text("abc ABC") == "abc ABC"  # three characters: too short to be told from ordinary text


def test_the_longest_secret_wins_and_unnamed_values_say_only_redacted():
    r = Redactor({"outer": "prefix-inner-secret-suffix", "inner": "inner-secret"})
    assert r.text("x PREFIX-INNER-SECRET-SUFFIX y inner-secret") == "x [redacted:outer] y [redacted:inner]"
    assert Redactor(unnamed=["provider-key-123456"]).text("k=PROVIDER-KEY-123456") == "k=[redacted]"


def test_prompts_are_scrubbed_of_encoded_secrets_but_otherwise_left_alone():
    p = PromptRedactor(["cnry-prompt-" + "7" * 20])
    b64 = base64.b64encode(b"cnry-prompt-" + b"7" * 20).decode()
    text = f"diff says token: abcdefgh and {b64} and CNRY-PROMPT-{'7' * 20}"
    assert (
        p(text) == "diff says token: abcdefgh and [redacted] and [redacted]"
    )  # no token-shape net in prompts


def test_token_shapes_still_run_only_where_their_hints_are():
    r = Redactor()
    assert r.text("key ghp_" + "a" * 30) == "key [redacted]"
    assert r.text("password = hunter2hunter2") == "password = [redacted]"
    assert r.text("Authorization: Bearer abcdefghijklmnopqrstuvwx") == "Authorization: Bearer [redacted]"
    plain = "no secrets here, just a long enough sentence about keys"
    assert r.text(plain) == plain


def test_a_short_secret_is_replaced_only_exactly_and_as_a_whole_token():
    """Under LONG characters a secret would match inside ordinary words in any case (and the cut would show
    it): it is replaced only as it is, standing alone; a long one in any case and encoding, as before."""
    r = Redactor({"db": "admin", "pin": "2024"})
    kept = [
        "Administrator",
        "ADMIN mode",
        "badminton",
        "on 2024-11-21",
        "v2024.1",
        "/2024/",
        "a-2024",
        "2024_x",
        "2024.11",
    ]
    for text in kept:
        assert r.text(text) == text
    assert r.text("user=admin; pin: 2024") == "user=[redacted:db]; pin: [redacted:pin]"
    assert (
        r.text('{"p": "2024"} (admin) PIN 2024.')
        == '{"p": "[redacted:pin]"} ([redacted:db]) PIN [redacted:pin].'
    )
    six = "s3cr3t"  # its base64 text on its own (8 characters or more, case-sensitive) still counts
    assert Redactor({"pin": six}).text("x " + base64.b64encode(six.encode()).decode()) == "x [redacted:pin]"
    long_ = Redactor({"db": "adminpass"})
    assert long_.text("ADMINPASS and AdminPass") == "[redacted:db] and [redacted:db]"


@pytest.mark.parametrize(
    "escaped",
    [
        "S3cr3t\\u002fp\\u0040ss\\u002bw\\u0022rd\\u003dxyz\\u0021\\u005ctail",
        'S3cr3t\\u002Fp@ss+w\\"rd=xyz!\\\\tail',
    ],
)
def test_unicode_escaped_json_forms_are_scrubbed(escaped):
    assert Redactor({"jira": SECRET}).text(f"said {escaped}!") == "said [redacted:jira]!"
