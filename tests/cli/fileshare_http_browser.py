#!/usr/bin/env python3
"""Headless Chromium against netkit fileshare serve's HTML index, for
tests/cli/test_fileshare_http.sh (loopback only, every wait bounded).

usage: fileshare_http_browser.py CHROMIUM URL OUTDIR LINKTEXT
       fileshare_http_browser.py CHROMIUM URL OUTDIR --reload

Opens URL in headless Chromium driven over the DevTools protocol, saves a
screenshot of the page as OUTDIR/index.png, then clicks (a real mouse
press and release at its place on the page) the link whose text is
LINKTEXT, with downloads going to OUTDIR/dl, and waits (30 s at most)
for the download to finish. Prints "screenshot PATH", "clicked X Y" and
"downloaded PATH", or "error: ..." and exits 1.

With --reload: opens URL, then reloads it as a user does (F5: the
cached copy revalidated, not bypassed) and prints "status N" for each
load, N being the HTTP status Chromium saw (304: revalidated).
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

import websocket  # python3-websocket (Debian)

DEADLINE = 60


class Cdp:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=20,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method,
                                 "params": params}))
        end = time.time() + 20
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)
        raise RuntimeError("%s: no answer in 20 s" % method)

    def wait_event(self, name, seconds):
        end = time.time() + seconds
        while time.time() < end:
            for i, e in enumerate(self.events):
                if e.get("method") == name:
                    return self.events.pop(i)
            self.ws.settimeout(max(0.1, end - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break
        raise RuntimeError("no %s in %d s" % (name, seconds))


def start(chromium, out):
    profile = os.path.join(out, "profile")
    os.makedirs(profile, exist_ok=True)
    log = open(os.path.join(out, "chromium.log"), "w")
    proc = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking",
         "--user-data-dir=" + profile, "--remote-debugging-port=0",
         "--remote-allow-origins=*", "--window-size=900,700",
         "--force-device-scale-factor=2", "about:blank"],
        stdout=log, stderr=log)
    port_file = os.path.join(profile, "DevToolsActivePort")
    end = time.time() + 30
    while time.time() < end and proc.poll() is None:
        if os.path.exists(port_file):
            lines = open(port_file).read().split()
            if lines:
                return proc, int(lines[0])
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chromium did not start (see %s)" % log.name)


def page_ws(port):
    end = time.time() + 20
    while time.time() < end:
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                    timeout=5) as r:
            for t in json.load(r):
                if t.get("type") == "page":
                    return t["webSocketDebuggerUrl"]
        time.sleep(0.2)
    raise RuntimeError("no page target")


def main_status(cdp, seconds):
    """The status of the main document's next response."""
    end = time.time() + seconds
    while time.time() < end:
        e = cdp.wait_event("Network.responseReceived", end - time.time())
        if e["params"].get("type") == "Document":
            return e["params"]["response"]["status"]
    raise RuntimeError("no document response")


def reload(chromium, url, out):
    proc, port = start(chromium, out)
    try:
        cdp = Cdp(page_ws(port))
        cdp.call("Page.enable")
        cdp.call("Network.enable")
        cdp.call("Page.navigate", url=url)
        print("status", main_status(cdp, 20))
        cdp.wait_event("Page.loadEventFired", 20)
        cdp.call("Page.reload", ignoreCache=False)
        print("status", main_status(cdp, 20))
        cdp.wait_event("Page.loadEventFired", 20)
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(chromium, url, out, text):
    if text == "--reload":
        return reload(chromium, url, out)
    dl = os.path.join(out, "dl")
    os.makedirs(dl, exist_ok=True)
    proc, port = start(chromium, out)
    try:
        cdp = Cdp(page_ws(port))
        cdp.call("Page.enable")
        cdp.call("Page.setDownloadBehavior", behavior="allow",
                 downloadPath=dl)
        cdp.call("Page.navigate", url=url)
        cdp.wait_event("Page.loadEventFired", 20)
        shot = cdp.call("Page.captureScreenshot", format="png")
        png = os.path.join(out, "index.png")
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("screenshot", png)
        expr = ("(() => { const a = [...document.querySelectorAll('a')]"
                ".find(x => x.textContent === %s); if (!a) return null;"
                " const r = a.getBoundingClientRect();"
                " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
                % json.dumps(text))
        pos = cdp.call("Runtime.evaluate", expression=expr,
                       returnByValue=True)["result"].get("value")
        if not pos:
            raise RuntimeError("no link %r on the page" % text)
        x, y = pos
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            cdp.call("Input.dispatchMouseEvent", type=kind, x=x, y=y,
                     button="left", clickCount=1)
        print("clicked %d %d" % (x, y))
        target = os.path.join(dl, text)
        end = time.time() + 30
        while time.time() < end:
            names = os.listdir(dl)
            if text in names and not any(n.endswith(".crdownload")
                                         for n in names):
                print("downloaded", target)
                return 0
            time.sleep(0.2)
        raise RuntimeError("no download in 30 s: %s" % os.listdir(dl))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    try:
        sys.exit(run(*sys.argv[1:5]))
    except Exception as e:  # every failure is one line the test shows
        print("error:", e)
        sys.exit(1)
