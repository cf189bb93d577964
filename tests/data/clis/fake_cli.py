"""A fake coding CLI: replays a recorded transcript in its vendor's exact output format (tests/data/clis/*/).

Installed by a test as an executable named like the CLI (claude, codex, aider, ...) with its transcript beside it
(`transcript.jsonl`). The first line of a transcript is {"version": "..."}: what `--version` prints. Each
further line is one step:

    {"out": X}                   X on stdout: a JSON document as one line, or a string as it is
    {"err": "text"}              a line on stderr
    {"read": true}               read one line of stdin (a JSON document: the last message; "$id" in later
                                 steps stands for its "id"); in a recording (tests/data/clis/record.py) "sent"
                                 beside it is the line org wrote to the real CLI there (the tests check it)
    {"expect": [PATH...], "equals": V, "then": [steps], "else": [steps]}
                                 the last message's value at PATH equals V: the `then` steps, else `else`
    {"read_until_eof": true}     read stdin to its end
    {"write": {"path": P, "text": T}}     write a file (relative to the working directory; "append" adds
                                 to it); a failure is said on stderr and the CLI exits 3
    {"call": {"model": M, "wire": "openai" | "anthropic"}}   one model call to the gateway through
                                 $OPENAI_BASE_URL with $OPENAI_API_KEY (or Anthropic's messages through
                                 $ANTHROPIC_BASE_URL); a refusal is said on stderr and the CLI exits 4
    {"report": true}             on stdout (a line of text): the names of its environment's variables, whether its key is a
                                 gateway token, its arguments and its working directory
    {"hang": true}               sleep for ever
    {"flood": N}                 N bytes of output
    {"exit": N}
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

LAST: dict = {}


def _subst(x):
    if x == "$id":
        return LAST.get("id")
    if isinstance(x, dict):
        return {k: _subst(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_subst(v) for v in x]
    return x


def _at(doc, path):
    for k in path:
        if isinstance(doc, dict):
            doc = doc.get(k)
        elif isinstance(doc, list) and isinstance(k, int) and k < len(doc):
            doc = doc[k]
        else:
            return None
    return doc


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(steps: list) -> None:
    global LAST
    for step in steps:
        if "out" in step:
            x = _subst(step["out"])
            _out(x if isinstance(x, str) else json.dumps(x))
        elif "err" in step:
            sys.stderr.write(step["err"] + "\n")
            sys.stderr.flush()
        elif "read" in step:
            line = sys.stdin.readline()
            if not line:
                sys.stderr.write("fake: stdin closed while waiting for an answer\n")
                sys.exit(5)
            LAST = json.loads(line)
        elif "expect" in step:
            ok = _at(LAST, step["expect"]) == step["equals"]
            run(step.get("then" if ok else "else") or [])
        elif "read_until_eof" in step:
            sys.stdin.read()
        elif "write" in step or "append" in step:
            w = step.get("write") or step["append"]
            try:
                p = Path(w["path"])
                p.parent.mkdir(parents=True, exist_ok=True)
                with p.open("a" if "append" in step else "w") as f:
                    f.write(w["text"])
            except OSError as exc:
                sys.stderr.write(f"fake: cannot write {w['path']}: {exc.strerror}\n")
                sys.exit(3)
        elif "call" in step:
            c = step["call"]
            msgs = [{"role": "user", "content": c.get("text", "hello")}]
            if (
                c.get("wire") == "anthropic"
            ):  # Anthropic messages through ANTHROPIC_BASE_URL, key in x-api-key
                url = os.environ.get("ANTHROPIC_BASE_URL", "") + "/v1/messages"
                body = {"model": c["model"], "max_tokens": 64, "messages": msgs}
                headers = {
                    "x-api-key": os.environ.get("ANTHROPIC_API_KEY", ""),
                    "anthropic-version": "2023-06-01",
                }
            else:
                url = os.environ.get("OPENAI_BASE_URL", "") + "/chat/completions"
                body = {"model": c["model"], "messages": msgs}
                headers = {"authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', '')}"}
            req = urllib.request.Request(
                url, data=json.dumps(body).encode(), headers={**headers, "content-type": "application/json"}
            )
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    doc = json.loads(r.read())
                text = (
                    doc["content"][0].get("text")
                    if "content" in doc
                    else doc["choices"][0]["message"].get("content")
                )
                if c.get("say", True):
                    sys.stderr.write("fake: model said " + str(text)[:200] + "\n")
            except urllib.error.HTTPError as exc:
                sys.stderr.write(
                    f"fake: the gateway refused: {exc.code} {exc.read()[:300].decode(errors='replace')}\n"
                )
                sys.exit(4)
            except OSError as exc:
                sys.stderr.write(f"fake: the gateway cannot be reached: {exc}\n")
                sys.exit(4)
        elif "report" in step:
            key = os.environ.get("OPENAI_API_KEY", "")
            _out(
                "fake report: "
                + json.dumps(
                    {
                        "env": sorted(os.environ),
                        "gateway_token": key.startswith("orgg_"),
                        "anthropic_same": os.environ.get("ANTHROPIC_API_KEY") == key,
                        "argv": sys.argv[1:],
                        "cwd": os.getcwd(),
                    }
                )
            )
        elif "hang" in step:
            while True:
                time.sleep(60)
        elif "flood" in step:
            n, chunk = int(step["flood"]), "x" * 8191 + "\n"
            while n > 0:
                sys.stdout.write(chunk)
                n -= len(chunk)
            sys.stdout.flush()
        elif "exit" in step:
            sys.exit(int(step["exit"]))


def main() -> None:
    here = Path(sys.argv[0]).resolve().parent
    lines = [json.loads(ln) for ln in (here / "transcript.jsonl").read_text().splitlines() if ln.strip()]
    head, steps = lines[0], lines[1:]
    if "--version" in sys.argv[1:2] or sys.argv[1:] == ["--help"]:
        _out(head["version"])
        return
    run(steps)


if __name__ == "__main__":
    main()
