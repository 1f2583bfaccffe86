"""Check that the built book renders offline in a real browser.

Opens every page of ``book/_build/html`` in headless Chromium, driven through the
DevTools protocol over a pipe (``--remote-debugging-pipe``: no extra Python packages and
no open port), waits until MathJax has typeset the page and every image has loaded, and
fails (exit status 1) when, on any page:

* a math element was not typeset (fewer ``mjx-container`` elements than Sphinx ``.math``
  nodes), MathJax reports an error (``merror``, or an undefined macro drawn in red), or
  raw TeX delimiters (``$$``, ``\\(``, ``\\[``) are left in the prose;
* an image failed to load (``naturalWidth == 0``) or an image in the page body has no
  alt text;
* anything in the text column reaches past its right edge (a ``full-width`` cell: past
  the viewport), or the page scrolls sideways, outside a scroll container: wide displays, code and outputs must scroll in
  their own box (``book/_static/fsl.css``), never be clipped;
* the page's first figure starts more than 1.5 viewport heights down at 1280x800 (a page
  opens with its claim and its figure; set-up code goes after it or is folded);
* the page tried to reach the network (every request must be ``file:`` or ``data:``;
  host resolution is disabled, so such a request would also fail), or a script threw.

It also saves full-page PNG screenshots of a few pages to ``<html>/../screenshots/``
(``book/_build/screenshots/*.png``) for a human to look at.

Usage::

    python book/check_render.py [--html book/_build/html] [--screenshot model schedules]

Needs a Chromium binary (Debian: ``apt-get install -y chromium``); set ``CHROMIUM`` to
point at another one.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

#: pages Sphinx writes that are not book pages
SKIP = {"genindex.html", "search.html", "index.html", "prf-prf.html"}

#: the window every page is checked in (a laptop screen), and how far down the first figure
#: may start, in viewport heights
WINDOW = (1280, 800)
FOLD = 1.5

#: flags for a quiet, offline, sandbox-free headless browser (CI containers run as root)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    # no name resolves: a page that reaches for the network cannot succeed by accident
    "--host-resolver-rules=MAP * ~NOTFOUND",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    "--remote-debugging-pipe",
]

# Runs in the page: waits for MathJax and the images, then reports what it sees.
PROBE_JS = r"""
(async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const hasMath = document.querySelector('.math') !== null;
  // window.MathJax starts as the config object; the loaded library adds `startup.promise`
  for (let i = 0; hasMath && i < 600; i++) {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) break;
    await sleep(50);
  }
  let mjLoaded = false;
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    mjLoaded = true;
  }
  await Promise.all(Array.from(document.images).map((img) => img.complete ? null :
    new Promise((r) => { img.addEventListener('load', r); img.addEventListener('error', r); })));
  const errors = [];
  if (mjLoaded) {
    for (const item of MathJax.startup.document.math) {
      const mml = MathJax.startup.toMML(item.root);
      if (mml.includes('<merror') || mml.includes('mathcolor="red"')) {
        errors.push(item.math.slice(0, 120));
      }
    }
  }
  // prose text outside code, scripts and typeset math: raw TeX here means it was not typeset
  const body = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest('pre, code, script, style, mjx-container, textarea')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent;
    if (t.includes('$$') || t.includes('\\(') || t.includes('\\[') || /\$[^$\s][^$]*\$/.test(t)) {
      raw.push(t.trim().slice(0, 120));
    }
  }
  const images = Array.from(document.images).map((img) => ({
    src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0,
    alt: (img.getAttribute('alt') || '').trim(), inBody: body.contains(img),
  }));
  // Horizontal overflow: an element that reaches past the text column (or the viewport) is
  // clipped or widens the page, unless an ancestor inside the column scrolls or clips it
  // on purpose (book/_static/fsl.css gives wide displays, code and outputs their own
  // scroll box).  MathJax internals are judged by their container.
  const column = document.querySelector('article') || body;
  const colRight = Math.min(column.getBoundingClientRect().right,
                            document.documentElement.clientWidth);
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== column.parentElement; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true;
    }
    return false;
  };
  const overflow = [];
  for (const el of column.querySelectorAll('*')) {
    const inMath = el.parentElement && el.parentElement.closest('mjx-container');
    if (inMath || el.matches('script, style')) continue;
    const r = el.getBoundingClientRect();
    // a `full-width` cell is meant to extend into the margin: it only must fit the viewport
    const limit = el.closest('.tag_full-width') ? document.documentElement.clientWidth : colRight;
    if (r.width === 0 || r.right <= limit + 1) continue;
    if (scrolls(el)) continue;
    const what = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    overflow.push(`${what} ends at ${Math.round(r.right)} px > ${Math.round(limit)} px: `
      + (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60));
    if (overflow.length >= 5) break;
  }
  const pageOverflow = document.documentElement.scrollWidth > document.documentElement.clientWidth;
  // the first figure of the page: where its top lies in the (unscrolled) page
  const firstImg = Array.from(column.querySelectorAll('img'))[0];
  const firstImgTop = firstImg ? firstImg.getBoundingClientRect().top + window.scrollY : null;
  return JSON.stringify({
    overflow, pageOverflow, firstImgTop, viewport: window.innerHeight,
    nMath: document.querySelectorAll('.math').length,
    nTypeset: document.querySelectorAll('mjx-container').length,
    mathJax: mjLoaded ? MathJax.version : null,
    errors, raw, images,
    height: Math.ceil(document.documentElement.scrollHeight),
  });
})()
"""


class Chromium:
    """A headless Chromium driven through the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, binary: str, timeout: float = 60.0):
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="fsl-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire():  # in the child: the protocol expects its pipe on fds 3 and 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire,  # only dup2 calls: safe between fork and exec
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._events: queue.Queue = queue.Queue()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session = self._attach()

    # ------------------------------------------------------------------ protocol
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._replies[-1] = {"error": {"message": "chromium closed the pipe"}}
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._cond:
                        self._replies[msg["id"]] = msg
                        self._cond.notify_all()
                else:
                    self._events.put(msg)

    def send(self, method: str, params: dict | None = None, *, session: bool = True) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while self._next_id not in self._replies:
                if -1 in self._replies:
                    raise RuntimeError(self._replies[-1]["error"]["message"])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"chromium did not answer {method} in {self.timeout} s")
                self._cond.wait(left)
            reply = self._replies.pop(self._next_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _attach(self) -> str:
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        return self.send(
            "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, session=False
        )["sessionId"]

    def drain_events(self) -> list[dict]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    def wait_event(self, method: str) -> list[dict]:
        """Collect events until ``method`` arrives; returns everything seen on the way."""
        seen = []
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {method} within {self.timeout} s")
            try:
                ev = self._events.get(timeout=left)
            except queue.Empty:
                continue
            seen.append(ev)
            if ev.get("method") == method:
                return seen

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)


def find_chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise SystemExit(
        "check_render: no Chromium found; install it (Debian: apt-get install -y chromium) "
        "or set CHROMIUM=/path/to/chrome"
    )


def check_page(browser: Chromium, path: Path, screenshot: Path | None = None) -> list[str]:
    """Load one page and return the list of problems found (empty when it renders well)."""
    browser.drain_events()
    # headless windows differ from --window-size by the browser chrome: pin the viewport
    viewport = {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False}
    browser.send("Emulation.setDeviceMetricsOverride", viewport)
    browser.send("Page.navigate", {"url": path.resolve().as_uri()})
    events = browser.wait_event("Page.loadEventFired")
    result = browser.send(
        "Runtime.evaluate", {"expression": PROBE_JS, "awaitPromise": True, "returnByValue": True}
    )
    if "exceptionDetails" in result:
        return [f"probe script failed: {result['exceptionDetails'].get('text')}"]
    info = json.loads(result["result"]["value"])
    events += browser.drain_events()
    problems = []
    if info["nMath"] and not info["mathJax"]:
        problems.append("MathJax did not load")
    if info["nTypeset"] < info["nMath"]:
        problems.append(f"only {info['nTypeset']} of {info['nMath']} math elements typeset")
    problems += [f"MathJax error or undefined macro in: {e!r}" for e in info["errors"]]
    problems += [f"raw TeX left in text: {t!r}" for t in info["raw"]]
    problems += [f"horizontal overflow: {o}" for o in info["overflow"]]
    if info["pageOverflow"]:
        problems.append("the page scrolls horizontally (something is wider than the viewport)")
    # a page opens with its claim and its figure: the first image starts within the first
    # FOLD viewport heights (pages without a figure, e.g. reproducibility, are exempt)
    top = info["firstImgTop"]
    if top is not None and top > FOLD * info["viewport"]:
        problems.append(
            f"first figure starts at {top:.0f} px, below {FOLD} viewport heights "
            f"({FOLD * info['viewport']:.0f} px at {WINDOW[0]}x{WINDOW[1]})"
        )
    for img in info["images"]:
        if not img["ok"]:
            problems.append(f"image did not load: {img['src']}")
        if img["inBody"] and not img["alt"]:
            problems.append(f"image without alt text: {img['src']}")
    for ev in events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "blob:", "about:")):
                problems.append(f"network request: {url}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            problems.append(f"script error: {text}")
    if screenshot is not None:
        # grow the viewport to the page (capped: the top 6000 px are plenty to judge), so the
        # theme lays the page out once at its final size, then capture that viewport
        height = min(info["height"], 6000)
        metrics = {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}
        browser.send("Emulation.setDeviceMetricsOverride", metrics)
        browser.send(
            "Runtime.evaluate",
            {"expression": "new Promise((r) => setTimeout(r, 300))", "awaitPromise": True},
        )
        shot = browser.send("Page.captureScreenshot", {"format": "png"})
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    return problems


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(prog="check_render.py", description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=here / "_build" / "html")
    parser.add_argument(
        "--screenshot",
        nargs="*",
        default=["intro", "model", "schedules", "scaling-laws"],
        help="page names to screenshot into <html>/../screenshots/",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per browser step")
    args = parser.parse_args(argv)

    html = args.html
    pages = sorted(p for p in html.glob("*.html") if p.name not in SKIP)
    if not pages:
        print(f"check_render: no pages in {html}", file=sys.stderr)
        return 1
    shots = html.parent / "screenshots"
    browser = Chromium(find_chromium(), timeout=args.timeout)
    failed = 0
    try:
        for domain in ("Page", "Runtime", "Network"):
            browser.send(f"{domain}.enable")
        for page in pages:
            shot = shots / f"{page.stem}.png" if page.stem in args.screenshot else None
            t0 = time.monotonic()
            problems = check_page(browser, page, shot)
            status = "ok" if not problems else "FAIL"
            print(f"check_render: {page.name:<28} {status}  ({time.monotonic() - t0:.1f} s)")
            for p in problems:
                print(f"    - {p}")
            failed += bool(problems)
    finally:
        browser.close()
    if failed:
        print(f"check_render: {failed} of {len(pages)} pages failed", file=sys.stderr)
        return 1
    print(f"check_render: all {len(pages)} pages render offline; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
