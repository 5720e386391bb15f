"""Checks every tools/call result a suite produced (the IG_RESULT_LOG file
that mcp_client.py writes) against the tool's declared outputSchema with a
real JSON Schema validator (python3-jsonschema, draft 2020-12), as SDK v1,
LangChain and the MCP Inspector do before they hand a result to the model:

- a result with structuredContent validates against the tool's outputSchema;
- a successful result of a tool with an outputSchema has structuredContent;
- an error result (isError) carries its code machine-readably in
  _meta["imapgate/error"] = {code: ERR_*, message} and its text item starts
  with "CODE: " (the test-only fixture tools, test_*, are exempt).

usage: tool_results.py LOG SUITE
Prints one TAP line ("ok - SUITE: ..." / "not ok - SUITE: ..."); exit status
1 on a mismatch. No log (the suite made no tools/call) is fine."""
import json
import os
import re
import sys

import jsonschema

CODE = re.compile(r"^ERR_[A-Z_]+$")


def problems_of(schemas, rec):
    """What is wrong with one recorded result (a list of strings)."""
    tool, res = rec.get("tool"), rec.get("result") or {}
    out = []
    known = schemas.get(rec.get("url"), {})
    schema = known.get(tool)
    sc_present = "structuredContent" in res
    if schema is not None and sc_present:
        v = jsonschema.Draft202012Validator(schema)
        for e in list(v.iter_errors(res["structuredContent"]))[:3]:
            path = "/".join(str(p) for p in e.absolute_path)
            out.append("structuredContent/%s: %s" % (path, e.message[:160]))
    if schema is not None and not res.get("isError") and not sc_present:
        out.append("success without structuredContent")
    if res.get("isError") and not str(tool).startswith("test_"):
        err = (res.get("_meta") or {}).get("imapgate/error")
        code = err.get("code") if isinstance(err, dict) else None
        if not isinstance(code, str) or not CODE.match(code):
            out.append("error without _meta.imapgate/error.code")
        else:
            text = ((res.get("content") or [{}])[0] or {}).get("text", "")
            if not text.startswith(code + ": "):
                out.append("error text does not start with its code")
    return out


def main():
    log, suite = sys.argv[1], sys.argv[2]
    if not os.path.exists(log):
        print("ok - %s: tool results match their output schemas # no tools/call" % suite)
        return 0
    schemas, results = {}, []
    with open(log, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if "tools" in rec:
                d = schemas.setdefault(rec["url"], {})
                for t in rec["tools"]:
                    d[t["name"]] = t.get("outputSchema")
            else:
                results.append(rec)
    bad = []
    tools = set()
    for rec in results:
        tools.add(rec.get("tool"))
        for p in problems_of(schemas, rec):
            bad.append("%s: %s" % (rec.get("tool"), p))
    if bad:
        uniq = sorted(set(bad))
        print("not ok - %s: tool results match their output schemas (%d of %d results; %s)"
              % (suite, len(bad), len(results), "; ".join(uniq[:6])[:900]))
        return 1
    print("ok - %s: all %d tools/call results (%d tools) match their output schemas; "
          "errors carry _meta.imapgate/error" % (suite, len(results), len(tools)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
