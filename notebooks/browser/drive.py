"""Runs a notebook in a real browser: headless Chromium, driven through the DevTools protocol.

Started by bin/browser-check (see its usage); runs with Debian's /usr/bin/python3 and its tornado.

It opens the notebook in the classic Jupyter Notebook page, runs every cell there
(Jupyter.notebook.execute_all_cells()), takes full-page screenshots while the cells run and one
at the end, optionally interrupts the kernel, prints JS expressions at every screenshot, and
reports each cell whose output shows an error. Exit status: 0 when every cell ran without error,
1 when a cell failed or the run timed out, 2 when the server or the browser could not be set up.
"""

import argparse
import asyncio
import base64
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from tornado.websocket import websocket_connect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
OUT = os.path.join(NOTEBOOKS, "target", "browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH = 1280
MAX_HEIGHT = 16000  # Chromium's screenshots get unreliable past about 16k pixels

# The page's state, read every poll: cells still queued or running ([*]) and the kernel's status.
STATE_JS = """(() => {
  const nb = window.Jupyter && Jupyter.notebook;
  if (!nb || !nb._fully_loaded) return {loaded: false};
  const k = nb.kernel;
  return {loaded: true,
          ready: !!(k && k.is_connected() && k.info_reply && k.info_reply.status),
          running: document.querySelectorAll('#notebook .code_cell.running').length,
          busy: !!document.querySelector('#kernel_indicator_icon.kernel_busy_icon'),
          dead: !!document.querySelector('#kernel_indicator_icon.kernel_dead_icon')};
})()"""
# Keeps each cell's execute_reply: this kernel reports errors as stderr text, not as error outputs,
# so the reply's status is what tells that a cell failed.
RECORD_REPLIES_JS = """(() => {
  const proto = Jupyter.CodeCell.prototype, handle = proto._handle_execute_reply;
  proto._handle_execute_reply = function (msg) { this.reply = msg.content; return handle.apply(this, arguments); };
})()"""
# Per code cell: its prompt, the reply's status, whether the page shows an error output, and the
# text of its error and stderr outputs.
CELLS_JS = """Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code').map((c, i) => ({
  index: i + 1,
  prompt: c.input_prompt_number === undefined ? null : String(c.input_prompt_number),
  status: c.reply ? c.reply.status : null,
  error: c.reply && c.reply.ename ? `${c.reply.ename}: ${c.reply.evalue}` : null,
  error_output: !!c.element[0].querySelector('.output_area .output_error'),
  shown: [...c.element[0].querySelectorAll('.output_area .output_error, .output_area .output_stderr')]
           .map(e => e.innerText)}))"""
# Interrupts the kernel and returns the number of the code cell it stops (the first running one).
INTERRUPT_JS = """(() => {
  const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code');
  Jupyter.notebook.kernel.interrupt();
  return cells.findIndex(c => c.element.hasClass('running')) + 1;
})()"""
# The bottom of the notebook in page pixels; #site, not the window, is the scrolling element.
HEIGHT_JS = """(() => {
  const site = document.getElementById('site'), nb = document.getElementById('notebook-container');
  return Math.ceil(nb.getBoundingClientRect().bottom + site.scrollTop + 40);
})()"""


def log(msg):
    print(f"browser-check: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, method="GET", token=None, timeout=5):
    req = urllib.request.Request(url, method=method)
    if token:
        req.add_header("Authorization", f"token {token}")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = r.read()
    return json.loads(body) if body else None


def wait_for(what, probe, proc, timeout):
    """Calls probe() until it returns something true; fails when proc exits or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise SetupError(f"{what} exited with {proc.returncode}")
        try:
            result = probe()
            if result:
                return result
        except OSError:
            pass
        time.sleep(0.5)
    raise SetupError(f"{what} not ready after {timeout} s")


class SetupError(Exception):
    pass


def stop_group(name, proc):
    """SIGTERM to proc's process group (the server shuts its kernels down on it), then SIGKILL to
    whatever of the group is left after 20 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + 20
    while time.monotonic() < end:
        proc.poll()
        try:
            os.killpg(proc.pid, 0)  # exited children may linger until they are reaped
        except ProcessLookupError:
            return
        time.sleep(0.2)
    log(f"{name} did not stop on SIGTERM; killing it")
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Processes:
    """The server and the browser this run started; stop() ends both, in that order."""

    def __init__(self):
        self.server = self.chromium = None
        self.base = self.token = None
        self.profile = tempfile.mkdtemp(prefix="browser-check-")
        self.notebook = None  # the notebook whose session (kernel) this run started

    def start_server(self, url, timeout):
        if url:
            parts = urllib.parse.urlsplit(url)
            self.base = f"{parts.scheme}://{parts.netloc}"
            self.token = urllib.parse.parse_qs(parts.query).get("token", [""])[0]
        else:
            port, self.token = free_port(), secrets.token_hex(16)
            self.base = f"http://127.0.0.1:{port}"
            logfile = open(os.path.join(OUT, "server.log"), "w")
            log(f"starting bin/notebooks on {self.base} (log: {logfile.name})")
            self.server = subprocess.Popen(
                [os.path.join(ROOT, "bin", "notebooks"), f"--NotebookApp.token={self.token}",
                 f"--port={port}", "--port-retries=0"],
                stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
                start_new_session=True)
        wait_for("the notebook server", lambda: http_json(f"{self.base}/api/status", token=self.token),
                 self.server, timeout)

    def start_chromium(self, timeout):
        port = free_port()
        logfile = open(os.path.join(OUT, "chromium.log"), "w")
        self.chromium = subprocess.Popen(
            ["/usr/bin/chromium", *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             f"--remote-debugging-port={port}", f"--window-size={WIDTH},900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
            start_new_session=True)

        def page():
            targets = http_json(f"http://127.0.0.1:{port}/json/list")
            return next((t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"), None)
        return wait_for("chromium", page, self.chromium, timeout)

    def sessions(self):
        return http_json(f"{self.base}/api/sessions", token=self.token)

    def stop(self):
        if self.notebook:
            try:  # shut the kernel down; a server given by --url keeps running
                for s in self.sessions():
                    if s["path"] == self.notebook:
                        http_json(f"{self.base}/api/sessions/{s['id']}", "DELETE", self.token, 30)
            except OSError as e:
                log(f"could not shut the kernel down: {e}")
        for name, proc in (("chromium", self.chromium), ("the notebook server", self.server)):
            if proc is not None:
                stop_group(name, proc)
        shutil.rmtree(self.profile, ignore_errors=True)


class DevTools:
    """A minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, ws):
        self.ws, self.ids, self.pending = ws, itertools.count(1), {}
        self.reader = asyncio.ensure_future(self._read())  # kept: a task without a reference may vanish

    @classmethod
    async def connect(cls, url):
        return cls(await websocket_connect(url, max_message_size=1 << 30))

    async def _read(self):
        while (msg := await self.ws.read_message()) is not None:
            msg = json.loads(msg)
            future = self.pending.pop(msg.get("id"), None)
            if future and not future.done():
                future.set_result(msg)
        for future in self.pending.values():
            future.set_exception(ConnectionError("the browser closed the DevTools connection"))

    async def call(self, method, timeout=120, **params):
        msg_id = next(self.ids)
        future = self.pending[msg_id] = asyncio.get_running_loop().create_future()
        await self.ws.write_message(json.dumps({"id": msg_id, "method": method, "params": params}))
        msg = await asyncio.wait_for(future, timeout)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg["result"]

    async def eval(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                                 awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            return "JS error: " + details.get("exception", {}).get("description", details["text"])
        return result["result"].get("value")

    async def screenshot(self, path):
        height = None
        for _ in range(3):  # again while outputs arriving meanwhile make the page taller
            wanted = min(MAX_HEIGHT, max(900, int(await self.eval(HEIGHT_JS) or 900)))
            if wanted == height:
                break
            height = wanted
            await self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height,
                            deviceScaleFactor=1, mobile=False)
            await asyncio.sleep(0.3)  # the page resizes #site on the window's resize event
            await self.eval("document.getElementById('site').scrollTop = 0")  # running cells scroll it
        shot = await self.call("Page.captureScreenshot", format="png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"screenshot {path}", flush=True)


async def drive(args, procs, ws_url):
    name = os.path.splitext(os.path.basename(args.notebook))[0]
    page = await DevTools.connect(ws_url)
    await page.call("Page.enable")
    await page.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=900,
                    deviceScaleFactor=1, mobile=False)

    if args.notebook not in {s["path"] for s in procs.sessions()}:
        procs.notebook = args.notebook  # the page starts a kernel for it, which stop() shuts down
    path = urllib.parse.quote(args.notebook)
    await page.call("Page.navigate", url=f"{procs.base}/notebooks/{path}?token={procs.token}")

    async def wait_page(what, test, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            state = await page.eval(STATE_JS)
            if isinstance(state, dict) and test(state):
                return
            await asyncio.sleep(0.5)
        await page.screenshot(os.path.join(OUT, f"{name}-timeout.png"))
        raise TimeoutError(f"{what} after {timeout} s")

    await wait_page("the notebook did not load", lambda s: s["loaded"], 60)
    # never write the outputs into the notebook file, then start from empty outputs
    await page.eval("Jupyter.notebook.set_autosave_interval(0); Jupyter.notebook.clear_all_output()")
    await wait_page("the kernel was not ready", lambda s: s["ready"], args.kernel_timeout)
    log(f"kernel ready; running all cells of {args.notebook}")

    await page.eval(RECORD_REPLIES_JS)
    await page.eval("Jupyter.notebook.execute_all_cells()")
    start = time.monotonic()
    next_shot = args.shot_every or None
    interrupted_at = interrupted_cell = None

    async def report(label):
        await page.screenshot(os.path.join(OUT, f"{name}-{label}.png"))
        for i, expression in enumerate(args.eval, 1):
            print(f"eval {label} #{i} = {json.dumps(await page.eval(expression))}", flush=True)

    for i, expression in enumerate(args.eval, 1):
        print(f"eval #{i}: {expression}", flush=True)

    while True:
        elapsed = time.monotonic() - start
        state = await page.eval(STATE_JS)
        if not isinstance(state, dict) or not state["loaded"] or state["dead"]:
            await report("failed")
            log(f"the kernel died or the page broke: {state}")
            return 1
        if state["running"] == 0 and not state["busy"]:
            break
        if elapsed > args.timeout:
            await report("timeout")
            log(f"cells still running after {args.timeout} s")
            return 1
        if args.interrupt_after is not None and interrupted_at is None and elapsed >= args.interrupt_after:
            interrupted_cell, interrupted_at = await page.eval(INTERRUPT_JS), elapsed
            log(f"interrupted the kernel at {elapsed:.1f} s, in code cell {interrupted_cell}")
        if next_shot is not None and elapsed >= next_shot:
            await report(f"{int(next_shot):04d}s")
            next_shot += args.shot_every
        await asyncio.sleep(0.25)

    elapsed = time.monotonic() - start
    log(f"all cells finished after {elapsed:.1f} s" + (
        f", {elapsed - interrupted_at:.1f} s after the interrupt" if interrupted_at is not None else ""))
    await report("end")

    failed = 0
    cells = await page.eval(CELLS_JS)
    for cell in cells:
        if cell["status"] in (None, "ok") and not cell["error_output"]:
            continue
        text = "\n".join(filter(None, [cell["error"], *cell["shown"]])).strip() or "(no message)"
        # the cell the interrupt stopped reports that as its error; that is what was asked for
        expected = cell["index"] == interrupted_cell
        failed += not expected
        print(f"{'interrupted' if expected else 'ERROR'} in code cell {cell['index']} "
              f"[{cell['prompt']}] ({cell['status']}): {text.splitlines()[0]}", flush=True)
    not_run = [c["index"] for c in cells if c["status"] is None]
    if not_run:
        print(f"code cells not run: {not_run}", flush=True)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(prog="bin/browser-check", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="path relative to notebooks/, e.g. 01-quickstart.ipynb")
    parser.add_argument("--url", help="use this running server, e.g. http://127.0.0.1:8888/?token=T")
    parser.add_argument("--shot-every", type=float, default=0, metavar="S",
                        help="take a screenshot every S seconds while the cells run")
    parser.add_argument("--interrupt-after", type=float, metavar="S",
                        help="interrupt the kernel S seconds after the cells started")
    parser.add_argument("--eval", action="append", default=[], metavar="JS",
                        help="print this JS expression's value after every screenshot (repeatable)")
    parser.add_argument("--timeout", type=float, default=1800, metavar="S",
                        help="seconds all cells may run (default 1800)")
    parser.add_argument("--kernel-timeout", type=float, default=300, metavar="S",
                        help="seconds the kernel may take to start (default 300)")
    args = parser.parse_args()
    args.notebook = args.notebook.removeprefix("notebooks/")
    if not os.path.isfile(os.path.join(NOTEBOOKS, args.notebook)):
        parser.error(f"no such notebook: notebooks/{args.notebook}")
    os.makedirs(OUT, exist_ok=True)

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stops and cleans up as Ctrl-C does
    procs = Processes()
    try:
        try:
            procs.start_server(args.url, timeout=30 if args.url else 900)  # bin/notebooks may build first
            ws_url = procs.start_chromium(timeout=60)
        except (SetupError, OSError) as e:
            log(f"setup failed: {e}")
            return 2
        return asyncio.run(drive(args, procs, ws_url))
    except (OSError, RuntimeError) as e:  # timeouts, a lost browser, a failed DevTools call
        log(str(e) or type(e).__name__)
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        procs.stop()


if __name__ == "__main__":
    sys.exit(main())
