#!/usr/bin/env python3
"""The console bundle's size, as browsers fetch it: raw and gzip -9 bytes per file, the first
load (what Chromium fetches to render the login page: index.html's stylesheet and boot script,
the JS modules they import, and the main WASM module) and the whole console (every file the
console can fetch, lazy chunks included).

    scripts/bundle-size.py [SITE_ROOT] [--max-first-load BYTES] [--max-total BYTES] [--markdown]

With a maximum, exits 1 when a gzip figure is above it (a size budget, checked by `make test`).
The end-to-end test checks the other half of the claim: the login page fetches no lazy chunk.
"""

import argparse
import gzip
import re
import sys
from pathlib import Path

IMPORT = re.compile(r"""(?:^|\n)\s*import\s[^"']*["']([^"']+)["']""")
HTML_REFS = re.compile(r"""<(?:link[^>]*\bhref|script[^>]*\bsrc)=["']([^"']+)["']""")


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def resolve(site: Path, base: Path, ref: str) -> Path:
    return site / ref.lstrip("/") if ref.startswith("/") else (base.parent / ref).resolve()


def first_load(site: Path) -> list[Path]:
    """index.html's stylesheet and scripts, the JS modules they import (transitively), and the
    main WASM module the boot script instantiates."""
    seen: list[Path] = []
    html = [resolve(site, site / "index.html", r) for r in HTML_REFS.findall((site / "index.html").read_text())]
    todo = list(html)
    while todo:
        f = todo.pop()
        if f in seen or not f.is_file() or f.name.endswith(".ico"):
            continue
        seen.append(f)
        if f.suffix == ".js":
            text = f.read_text()
            todo += [resolve(site, f, r) for r in IMPORT.findall(text)]
            if f in html:  # the boot script names the main module it instantiates
                todo += [resolve(site, f, r) for r in re.findall(r"""["']([^"']+\.wasm)["']""", text)]
    return seen


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", nargs="?", default="target/site", type=Path)
    ap.add_argument("--max-first-load", type=int, help="fail when the first load's gzip bytes exceed this")
    ap.add_argument("--max-total", type=int, help="fail when the whole console's gzip bytes exceed this")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    args = ap.parse_args()
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"{site}: no index.html; build the site first (make site-release)", file=sys.stderr)
        return 2

    first = first_load(site)
    files = sorted(p for p in site.rglob("*") if p.is_file() and p.suffix in {".js", ".wasm", ".css"})
    rows = []
    for f in files:
        data = f.read_bytes()
        rows.append((str(f.relative_to(site)), len(data), gz(data), f in first))
    rows.sort(key=lambda r: (not r[3], -r[2]))
    first_raw = sum(r[1] for r in rows if r[3])
    first_gz = sum(r[2] for r in rows if r[3])
    total_raw = sum(r[1] for r in rows)
    total_gz = sum(r[2] for r in rows)

    if args.markdown:
        # Pages by name; the chunks several pages share as one row.
        print("| File | Loaded | Raw | gzip -9 |\n|---|---|---:|---:|")
        shared = [r for r in rows if re.search(r"/chunk_\d+\.wasm$", r[0])]
        for name, raw, g, is_first in rows:
            if (name, raw, g, is_first) in shared:
                continue
            page = re.match(r"pkg/split_(\w+)_page\.wasm$", name)
            label = f"`{name}`" if not page else f"page `{page.group(1)}` (`{name.removeprefix('pkg/')}`)"
            print(f"| {label} | {'first load' if is_first else 'when opened'} | {raw:,} | {g:,} |")
        if shared:
            print(f"| {len(shared)} shared chunks (`chunk_*.wasm`) | with the pages that need them | {sum(r[1] for r in shared):,} | {sum(r[2] for r in shared):,} |")
        print(f"| **first load** | | **{first_raw:,}** | **{first_gz:,}** |")
        print(f"| **whole console** | | **{total_raw:,}** | **{total_gz:,}** |")
    else:
        print(f"{'file':<72} {'loaded':<10} {'raw':>10} {'gzip -9':>10}")
        for name, raw, g, is_first in rows:
            print(f"{name:<72} {'first' if is_first else 'lazily':<10} {raw:>10,} {g:>10,}")
        print(f"{'first load (login page)':<72} {'':<10} {first_raw:>10,} {first_gz:>10,}")
        print(f"{'whole console':<72} {'':<10} {total_raw:>10,} {total_gz:>10,}")

    failed = False
    if args.max_first_load is not None and first_gz > args.max_first_load:
        print(f"bundle-size: first load is {first_gz:,} B gzip, above the budget of {args.max_first_load:,} B", file=sys.stderr)
        failed = True
    if args.max_total is not None and total_gz > args.max_total:
        print(f"bundle-size: the whole console is {total_gz:,} B gzip, above the budget of {args.max_total:,} B", file=sys.stderr)
        failed = True
    if not failed and (args.max_first_load is not None or args.max_total is not None):
        print(f"bundle-size: within budget (first load {first_gz:,} B, whole console {total_gz:,} B gzip)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
