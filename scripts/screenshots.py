"""Screenshots of the pages at phone and desktop widths, for docs/images.

    .venv/bin/python scripts/screenshots.py                      # demo: page-article, page-ask
    .venv/bin/python scripts/screenshots.py --medquad medquad.db # MedQuAD: article, topic, search

Starts the real server (over a new demo database, or over a copy of the MedQuAD database
given, with its index) and photographs the pages in Debian's chromium (headless), as the
browser tests do. Files: docs/images/page-NAME-WIDTH.png and medquad-NAME-WIDTH.png.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import CHROMIUM, CHROMIUM_ARGS, HEALTHQA, _free_port, _wait_for  # noqa: E402

DEMO_PAGES = {
    "article": "/search?q=What+causes+leg+cramps+in+late+pregnancy",
    "ask": "/ask?q=why+do+my+legs+cramp+at+night%2C+I%27m+34+weeks+pregnant",
}
MEDQUAD_PAGES = {
    "article": "/articles/what-is-glaucoma",
    "topic": "/topics/glaucoma",
    "search": "/search?q=diabetis+treatment",
}
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medquad", metavar="DB", help="a MedQuAD database to photograph")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "shots.db")
        if args.medquad:
            shutil.copy(args.medquad, db)
            if Path(args.medquad + ".index").is_dir():
                shutil.copytree(args.medquad + ".index", db + ".index")
        else:
            init = [HEALTHQA, "--db", db, "init", "--demo"]
            subprocess.run(init, check=True, capture_output=True)
        pages, prefix = (MEDQUAD_PAGES, "medquad") if args.medquad else (DEMO_PAGES, "page")
        photograph(db, pages, prefix)


def photograph(db: str, pages: dict[str, str], prefix: str) -> None:
    out = ROOT / "docs" / "images"
    port = _free_port()
    env = os.environ | {"HEALTHQA_EMBEDDING_MODEL": "none"}
    server = subprocess.Popen([HEALTHQA, "--db", db, "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/robots.txt", server, 180)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width, viewport in WIDTHS.items():
                page = browser.new_page(viewport=viewport)
                for name, path in pages.items():
                    page.goto(base + path)
                    if prefix == "page" and name == "article":  # open the first result
                        page.locator("main a").filter(has_text="cramp").first.click()
                    target = out / f"{prefix}-{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target.relative_to(ROOT))
            browser.close()
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
