"""The chart's values reference, generated from the `# --` comments in chart/values.yaml.

    python3 chart_docs.py --write   # rewrite the table in chart/README.md and the deployment guide
    python3 chart_docs.py --check   # exit 1 when either is out of date (run by the tests)

The table sits between the markers `<!-- values:start -->` and `<!-- values:end -->`.
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "chart"
DOCS = [CHART / "README.md", ROOT / "docs" / "kubernetes_deployment.md"]
START, END = "<!-- values:start -->", "<!-- values:end -->"
KEY_LINE = re.compile(r"^(\s*)([A-Za-z][A-Za-z0-9_]*):")


def documented_keys(text):
    """Returns [(dotted path, description)] for every key preceded by a `# --` comment."""
    stack, docs, comment = [], [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped[4:].strip()]
            continue
        if stripped.startswith("#") and comment is not None:
            comment.append(stripped[1:].strip())
            continue
        m = KEY_LINE.match(line)
        if m:
            indent = len(m.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m.group(2)))
            if comment is not None:
                docs.append((".".join(k for _, k in stack), " ".join(comment)))
        comment = None
    return docs


def lookup(values, path):
    node = values
    for part in path.split("."):
        node = node[part]
    return node


def table():
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    docs = documented_keys(text)
    documented = {p for p, _ in docs}
    rows = ["| Key | Default | Description |", "|---|---|---|"]
    for path, desc in docs:
        value = lookup(values, path)
        # A map whose children have their own rows is a section heading.
        is_section = isinstance(value, dict) and any(d.startswith(path + ".") for d in documented)
        default = "" if is_section else "`" + json.dumps(value, separators=(",", ":")) + "`"
        rows.append(f"| `{path}` | {default} | {desc.replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"


def main(argv):
    if argv[1:] not in (["--write"], ["--check"]):
        print(__doc__, file=sys.stderr)
        return 2
    stale = []
    for doc in DOCS:
        text = doc.read_text()
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        new = f"{head}{START}\n{table()}{END}{tail}"
        if argv[1] == "--write":
            doc.write_text(new)
        elif new != text:
            stale.append(str(doc.relative_to(ROOT)))
    if stale:
        print(f"out of date: {', '.join(stale)}: run python3 deploy/tests/chart_docs.py --write", file=sys.stderr)
        return 1
    print("values tables match values.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
