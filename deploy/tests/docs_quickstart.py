"""Prints the podman quick start of docs/kubernetes_deployment.md as a script to run, so the
guide is tested as written (scripts/test-containers.sh runs it after building the images):

    python3 docs_quickstart.py PORT NAME > quickstart.sh

Only what cannot be shared on a busy machine changes: host port 8080 becomes PORT and the pod and
container names `gharts*` become NAME*. `make images` is left out (the images are built already).
"""

import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "kubernetes_deployment.md"


def quickstart_block(text):
    section = text.split("## Quick start with podman", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    if not match:
        sys.exit("docs_quickstart: no bash block under 'Quick start with podman'")
    return match.group(1)


def main(port, name):
    lines = [line for line in quickstart_block(DOC.read_text()).splitlines() if not line.startswith("make images")]
    script = "\n".join(lines)
    if "127.0.0.1:8080:8080" not in script or "--pod gharts --name gharts-backend" not in script:
        sys.exit("docs_quickstart: the block's ports or names changed shape; update this script")
    script = script.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    script = re.sub(r"(--name|--pod) gharts\b", rf"\1 {name}", script)
    # The loop waits for readiness; bound it so a broken image fails instead of hanging.
    print(f"set -euo pipefail\n{script.replace('do sleep 1; done', 'do sleep 1; [ $SECONDS -lt 60 ]; done')}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
