"""Screenshots of the article and ask pages at phone and desktop widths, for docs/images.

    .venv/bin/python scripts/screenshots.py          # writes docs/images/page-*.png

Builds a demo database, starts the real server and photographs the pages in Debian's
chromium (headless), as the browser tests do.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import CHROMIUM, CHROMIUM_ARGS, HEALTHQA, _free_port, _wait_for  # noqa: E402

PAGES = {
    "article": "/search?q=What+causes+leg+cramps+in+late+pregnancy",
    "ask": "/ask?q=why+do+my+legs+cramp+at+night%2C+I%27m+34+weeks+pregnant",
}
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def main() -> None:
    out = ROOT / "docs" / "images"
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "shots.db")
        subprocess.run([HEALTHQA, "--db", db, "init", "--demo"], check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen([HEALTHQA, "--db", db, "serve", "--port", str(port)])
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base + "/robots.txt", server)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for width, viewport in WIDTHS.items():
                    page = browser.new_page(viewport=viewport)
                    for name, path in PAGES.items():
                        page.goto(base + path)
                        if name == "article":  # open the first result: the article itself
                            page.locator("main a").filter(has_text="cramp").first.click()
                        target = out / f"page-{name}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(target.relative_to(ROOT))
                browser.close()
        finally:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    main()
