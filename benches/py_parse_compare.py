#!/usr/bin/env python3
"""Python-level parse speed: amazcope.parse against BeautifulSoup+lxml and selectolax on the
same saved product pages, in the same run (the baselines are ../shared/bench/parse_anchor.py's
own extract functions). Prints pages/s and the ratios.

    python benches/py_parse_compare.py [PAGES_DIR] [--repeat N]

Needs the amazcope wheel, beautifulsoup4, lxml and selectolax in the running interpreter.
"""
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import amazcope

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = ROOT.parent / "shared" / "bench" / "parse_anchor.py"


def load_anchor():
    spec = importlib.util.spec_from_file_location("parse_anchor", ANCHOR)
    if spec is None or spec.loader is None:
        sys.exit(f"baseline script not found at {ANCHOR}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def median_seconds(fn, pages, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for html in pages:
            fn(html)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    repeat = 5
    if "--repeat" in sys.argv:
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1])
        args = [a for a in args if a != str(repeat)]
    folder = Path(args[0]) if args else ROOT.parent / "shared" / "fixtures" / "pages"
    pages = []
    for p in sorted(folder.rglob("*.html")):
        raw = p.read_bytes()
        if b"productTitle" in raw:  # product detail pages only, as parse_anchor.py does
            pages.append(raw.decode("utf-8", "replace"))
    if not pages:
        sys.exit(f"no product pages under {folder}")
    anchor = load_anchor()
    mb = sum(len(p.encode()) for p in pages) / 1e6
    results = {}
    for name, fn in (
        ("amazcope.parse", amazcope.parse),
        ("beautifulsoup_lxml", anchor.bs4_extract),
        ("selectolax", anchor.lax_extract),
    ):
        med = median_seconds(fn, pages, repeat)
        results[name] = len(pages) / med
        print(f"{name:20} {len(pages)} pages {mb:.2f} MB  median {med:.4f} s  "
              f"{len(pages) / med:.1f} pages/s  {mb / med:.2f} MB/s")
    ours = results["amazcope.parse"]
    print(f"ratio amazcope/beautifulsoup_lxml = {ours / results['beautifulsoup_lxml']:.1f}x (target >= 10x)")
    print(f"ratio amazcope/selectolax         = {ours / results['selectolax']:.2f}x (target >= 1x)")


if __name__ == "__main__":
    main()
