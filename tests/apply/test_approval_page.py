"""The approval page driven in a real headless browser (Debian's chromium + chromium-driver,
through Selenium's WebDriver client): preview, open the page, see the steps, approve, apply runs;
deny; expired; reused; wrong CSRF token; wrong secret; foreign Origin; URL-mode elicitation; the
demo with --approve-in-browser; loopback-only and remote access with the operator token. In every
case the secret never reaches a tool result (what the model sees)."""
import asyncio
import base64
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import asynccontextmanager

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import ElicitResult

from conftest import apply, preview, vms

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from labutil import TOKEN, pve_env  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
URL_RE = re.compile(r"(http://[^\s]+/approve/(ap-[0-9a-f]{24})\?s=([0-9a-f]{64}))")

if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("PROVISIO_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium and chromium-driver are required (apt install chromium chromium-driver)",
                    pytrace=False)
    pytest.skip("chromium / chromedriver not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1100,1850", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


class ServerLog:
    """The server's stderr (the operator's terminal): where the page address with its secret is
    printed."""

    def __init__(self, path):
        self.path = path

    def text(self):
        return pathlib.Path(self.path).read_text(errors="replace")

    def page_url(self, handle, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for full, h, _ in URL_RE.findall(self.text()):
                if h == handle:
                    return full
            time.sleep(0.05)
        raise AssertionError(f"no page address for {handle} on the server's terminal:\n{self.text()[-2000:]}")


@asynccontextmanager
async def session(bin_path, data_dir, lab, human=None, env=None):
    log_path = os.path.join(str(data_dir), "server-stderr.log")
    params = StdioServerParameters(command=bin_path, args=["--data-dir", str(data_dir), "serve", "--mode", "apply"],
                                   env=pve_env(lab, RUST_LOG="warn", **(env or {})))
    with open(log_path, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, elicitation_callback=human) as s:
                await s.initialize()
                yield s, ServerLog(log_path)


class Seen:
    """Everything the model sees: each tool result, as JSON text."""

    def __init__(self):
        self.results = []

    def add(self, res):
        self.results.append(json.dumps(res))
        return res

    def assert_secret_absent(self, secret):
        assert secret and not any(secret in r for r in self.results), "the page secret reached a tool result"


def split(full):
    m = URL_RE.search(full)
    return m.group(1).split("?")[0], m.group(2), m.group(3)


def audit(data_dir):
    return [json.loads(line) for line in (pathlib.Path(data_dir) / "audit.jsonl").read_text().splitlines() if line.strip()]


def status_of(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def h1(browser):
    return browser.find_element(By.TAG_NAME, "h1").text


def click(browser, element_id):
    """Click a submit button and wait until the browser shows the next document, loaded."""
    browser.execute_script("document.documentElement.dataset.before = '1'")
    browser.find_element(By.ID, element_id).click()

    def next_document(d):
        try:
            return d.execute_script(
                "return document.readyState === 'complete' && !document.documentElement.dataset.before")
        except WebDriverException:
            return False  # between documents
    WebDriverWait(browser, 15).until(next_document)


def test_open_see_steps_approve_then_apply(bin_path, lab, tmp_path, browser):
    """A client without any dialog (Gemini CLI, Claude Desktop): the result gives the page's
    address without the secret; the operator opens the full address from the server's terminal,
    sees the steps and approves; apply then runs."""
    seen = Seen()

    async def main():
        async with session(bin_path, tmp_path, lab, human=None) as (s, log):
            p = await preview(s)
            seen.add(p)
            handle = p["approval"]
            address = p["approval_page"]
            assert address.endswith(f"/approve/{handle}") and "?s=" not in address
            assert address in p["how_to_approve"]
            full = log.page_url(handle)
            base, _, secret = split(full)
            assert base == address
            # Without the secret (what the model has): refused.
            browser.get(address)
            assert h1(browser) == "Secret missing or wrong"
            # The human's address: the change set, step by step.
            browser.get(full)
            assert h1(browser).startswith("Approve change set for plan webserver")
            steps = p["change_set"]["steps"]
            rows = browser.find_elements(By.CSS_SELECTOR, "#steps tr")[1:]
            assert len(rows) == len(steps)
            for row, st in zip(rows, steps):
                assert st["summary"] in row.text and st["path"] in row.text
            assert browser.find_element(By.ID, "digest").text == p["change_set"]["digest"]
            expects = browser.find_element(By.ID, "expects").text
            assert "template 100 is on node" in expects and "quorate" in expects
            body = browser.find_element(By.TAG_NAME, "body").text
            assert "Expires" in body and "UTC" in body
            # The drafted manifests (folded; plain HTML <details>).
            assert "main.tf" in body and "proxmox_virtual_environment_vm" in browser.page_source
            assert "0 error(s)" in browser.find_element(By.ID, "lint").text
            shot = tmp_path / "approval-page.png"
            browser.save_screenshot(str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("PROVISIO_SCREENSHOT_DIR"):
                shutil.copy(shot, pathlib.Path(os.environ["PROVISIO_SCREENSHOT_DIR"]) / "approval-page.png")
            # Not approved until the human says so.
            res = seen.add(await apply(s, handle))
            assert res["isError"] and "not approved" in res["content"][0]["text"]
            assert address in res["content"][0]["text"] and secret not in res["content"][0]["text"]
            assert vms(lab, "web-1") == []
            browser.get(full)
            click(browser, "approve")
            assert h1(browser) == "Approved"
            assert handle in browser.find_element(By.ID, "outcome").text
            res = seen.add(await apply(s, handle))
            assert not res.get("isError"), res
            assert res["structuredContent"]["report"]["outcome"] == "applied"
            assert "(web page)" in res["structuredContent"]["approved_by"]
            assert len(vms(lab, "web-1")) == 1
            # Reused: the page and its old form are dead after the apply.
            browser.get(full)
            assert h1(browser) == "Not open for approval" and "already used" in browser.page_source
            seen.assert_secret_absent(secret)
            assert secret not in json.dumps(audit(tmp_path))
    asyncio.run(main())
    rec = next(r for r in audit(tmp_path) if r["event"] == "approved.page")
    flat = json.dumps(rec)
    assert '"web page"' in flat and "127.0.0.1" in flat and "HeadlessChrome" in flat
    r = subprocess.run([bin_path, "--data-dir", str(tmp_path), "audit", "verify"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_deny_and_forged_forms(bin_path, lab, tmp_path, browser):
    seen = Seen()

    async def main():
        async with session(bin_path, tmp_path, lab) as (s, log):
            # Deny: explicit, and apply then refuses for good.
            p = seen.add(await preview(s))
            full = log.page_url(p["approval"])
            browser.get(full)
            click(browser, "deny")
            assert h1(browser) == "Denied"
            res = seen.add(await apply(s, p["approval"]))
            assert res["isError"] and "denied" in res["content"][0]["text"]
            assert vms(lab, "web-1") == []
            browser.get(full)
            assert h1(browser) == "Not open for approval"
            seen.assert_secret_absent(split(full)[2])

            # Wrong CSRF token: refused, nothing recorded; the page can be reloaded.
            p = seen.add(await preview(s))
            full = log.page_url(p["approval"])
            page, _, _ = split(full)
            browser.get(full)
            browser.execute_script("document.querySelector('input[name=csrf]').value = 'f'.repeat(64)")
            click(browser, "approve")
            assert h1(browser) == "Form refused" and "CSRF token is wrong" in browser.page_source
            browser.get(full)
            form = {e.get_attribute("name"): e.get_attribute("value")
                    for e in browser.find_elements(By.CSS_SELECTOR, "form input[type=hidden]")}

            def post(f):
                return status_of(page, data=urllib.parse.urlencode(f).encode(),
                                 headers={"Origin": page.split("/approve/")[0],
                                          "Content-Type": "application/x-www-form-urlencoded"})
            assert post({**form, "decision": "maybe"})[0] == 400
            code, text = post({**form, "s": "0" * 64, "decision": "approve"})
            assert code == 403 and "Secret missing or wrong" in text
            code, text = post({**form, "digest": "0" * 64, "decision": "approve"})
            assert code == 403 and "another change set" in text
            # Without an Origin header (not a browser form): refused too.
            code, _ = status_of(page, data=urllib.parse.urlencode({**form, "decision": "approve"}).encode(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert code == 403
            res = seen.add(await apply(s, p["approval"]))
            assert res["isError"] and "not approved" in res["content"][0]["text"]
            # Wrong secret in the address.
            browser.get(page + "?s=" + "1" * 64)
            assert h1(browser) == "Secret missing or wrong"
            # The form, used once, cannot be used again: the second POST of the same token fails.
            assert post({**form, "decision": "deny"})[0] == 200
            code, text = post({**form, "decision": "approve"})
            assert code in (403, 409, 410) and "Approved" not in text
            res = seen.add(await apply(s, p["approval"]))
            assert res["isError"] and "denied" in res["content"][0]["text"]
            assert vms(lab, "web-1") == []
            seen.assert_secret_absent(split(full)[2])
    asyncio.run(main())
    events = [r["event"] for r in audit(tmp_path)]
    assert "denied.page" in events and "page.refused" in events


def test_expired_page_is_refused(bin_path, lab, tmp_path, browser):
    async def main():
        async with session(bin_path, tmp_path, lab, env={"PROVISIO_APPROVAL_TTL_SECS": "3"}) as (s, log):
            p = await preview(s)
            full = log.page_url(p["approval"])
            browser.get(full)
            assert h1(browser).startswith("Approve change set")
            time.sleep(4)
            click(browser, "approve")
            assert h1(browser) == "Not open for approval" and "expired" in browser.page_source
            res = await apply(s, p["approval"])
            assert res["isError"] and "expired" in res["content"][0]["text"]
            assert vms(lab, "web-1") == []
    asyncio.run(main())


class Evil(http.server.BaseHTTPRequestHandler):
    """Another site in the same browser: a form that posts to the approval page."""
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(Evil.body)

    def log_message(self, *a):
        pass


def test_foreign_origin_is_refused(bin_path, lab, tmp_path, browser):
    """Even with the right secret and CSRF token, a form sent from another origin is refused."""
    async def main():
        async with session(bin_path, tmp_path, lab) as (s, log):
            p = await preview(s)
            full = log.page_url(p["approval"])
            browser.get(full)
            form = {e.get_attribute("name"): e.get_attribute("value")
                    for e in browser.find_elements(By.CSS_SELECTOR, "form input[type=hidden]")}
            inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in form.items())
            Evil.body = (f'<html><body><form method="post" action="{split(full)[0]}">{inputs}'
                         '<button id="go" name="decision" value="approve">win a prize</button></form></body></html>').encode()
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            try:
                browser.get(f"http://localhost:{srv.server_address[1]}/")
                click(browser, "go")
                assert h1(browser) == "Foreign origin"
            finally:
                srv.shutdown()
            res = await apply(s, p["approval"])
            assert res["isError"] and "not approved" in res["content"][0]["text"]
            # The page itself still works.
            browser.get(full)
            click(browser, "approve")
            assert h1(browser) == "Approved"
            res = await apply(s, p["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied", res
    asyncio.run(main())
    assert any("foreign Origin" in json.dumps(r) for r in audit(tmp_path))


def test_url_mode_elicitation_opens_the_page(bin_path, lab, tmp_path, browser):
    """`[apply] approval = "page"`: the client gets a URL-mode elicitation (MCP 2025-11-25); the
    human opens the page and approves; the waiting apply continues. The model never sees the URL
    with its secret."""
    seen = Seen()
    asked = []

    def human_in_browser(url):
        time.sleep(0.5)
        browser.get(url)
        assert h1(browser).startswith("Approve change set")
        click(browser, "approve")

    async def elicitation(context, params):
        asked.append(params)
        assert params.mode == "url"
        threading.Thread(target=human_in_browser, args=(params.url,), daemon=True).start()
        return ElicitResult(action="accept")

    async def main():
        async with session(bin_path, tmp_path, lab, human=elicitation, env={"PROVISIO_APPROVAL": "page"}) as (s, log):
            p = seen.add(await preview(s))
            res = seen.add(await apply(s, p["approval"]))
            assert not res.get("isError"), res
            assert res["structuredContent"]["report"]["outcome"] == "applied"
            assert "(web page)" in res["structuredContent"]["approved_by"]
            assert len(asked) == 1 and asked[0].elicitation_id == p["approval"]
            _, handle, secret = split(asked[0].url)
            assert handle == p["approval"]
            assert secret not in asked[0].message
            seen.assert_secret_absent(secret)
            # The terminal's address carries a different secret than the client's.
            assert split(log.page_url(handle))[2] != secret
    asyncio.run(main())


def test_url_mode_declined_is_a_refusal(bin_path, lab, tmp_path):
    async def elicitation(context, params):
        return ElicitResult(action="decline")

    async def main():
        async with session(bin_path, tmp_path, lab, human=elicitation, env={"PROVISIO_APPROVAL": "page"}) as (s, log):
            p = await preview(s)
            res = await apply(s, p["approval"])
            assert res["isError"] and "declined" in res["content"][0]["text"]
            assert vms(lab, "web-1") == []
    asyncio.run(main())


def test_demo_approves_in_the_browser(bin_path, tmp_path, browser):
    """`provisio demo --approve-in-browser`: the demo client offers URL-mode elicitation only,
    hands the page address to $BROWSER and waits; the human approves in the browser."""
    opened = tmp_path / "opened.txt"
    opener = tmp_path / "open-url.sh"
    opener.write_text(f"#!/bin/sh\necho \"$1\" > {opened}\n")
    opener.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIO_PVE_")}
    env["BROWSER"] = str(opener)
    proc = subprocess.Popen([bin_path, "--data-dir", str(tmp_path / "data"), "demo", "--approve-in-browser",
                             "--lab-python", sys.executable,
                             "--corpus", str(ROOT / "corpus" / "fixtures" / "corpus")],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (opened.exists() and opened.read_text().strip()):
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            assert time.monotonic() < deadline, "the demo never opened the page"
            time.sleep(0.2)
        browser.get(opened.read_text().strip())
        assert h1(browser).startswith("Approve change set for plan webserver")
        click(browser, "approve")
        assert h1(browser) == "Approved"
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out[-3000:]
    assert "approval page" in out and "RESULT: web-1 created" in out
    assert "(web page)" in out


def _non_loopback_ip():
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in out if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", a) and not a.startswith("127.")), None)


@pytest.mark.parametrize("access", ["loopback", "remote"])
def test_page_over_http_loopback_only_unless_remote_with_operator_token(bin_path, lab, tmp_path, access):
    """Over streamable HTTP the page shares the MCP listener. A browser elsewhere is refused
    unless the operator allowed remote access; then HTTP Basic with the operator token (here the
    HTTP bearer token) is needed."""
    import socket

    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with socket.socket() as so:
        so.bind(("0.0.0.0", 0))
        port = so.getsockname()[1]
    log_path = tmp_path / "stderr.log"
    env = pve_env(lab, PROVISIO_APPROVAL_PAGE=access)
    with open(log_path, "w") as errlog:
        proc = subprocess.Popen([bin_path, "--data-dir", str(tmp_path), "serve", "--transport", "http",
                                 "--listen", f"0.0.0.0:{port}", "--token", TOKEN, "--mode", "apply",
                                 "--allow-host", ip, "--allow-host", f"{ip}:{port}"],
                                stdout=subprocess.DEVNULL, stderr=errlog, env=env)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx2.get(url, timeout=0.5)
                break
            except Exception:
                assert time.monotonic() < deadline
                time.sleep(0.1)

        async def main():
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                async with streamable_http_client(url, http_client=http) as streams:
                    async with ClientSession(streams[0], streams[1]) as s:
                        await s.initialize()
                        return await preview(s)
        p = asyncio.run(main())
        assert p["approval_page"] == f"http://127.0.0.1:{port}/approve/{p['approval']}"
        full = ServerLog(log_path).page_url(p["approval"])
        local_code, _ = status_of(full)
        assert local_code == 200
        # DNS rebinding: a loopback request naming another host is refused.
        code, text = status_of(full, headers={"Host": "rebind.example"})
        assert code == 403 and "Wrong host" in text
        remote = full.replace("127.0.0.1", ip)
        code, text = status_of(remote)
        if access == "loopback":
            assert code == 403 and "Loopback only" in text
        else:
            assert code == 401
            bad = base64.b64encode(b"op:wrong").decode()
            assert status_of(remote, headers={"Authorization": f"Basic {bad}"})[0] == 401
            good = base64.b64encode(f"op:{TOKEN}".encode()).decode()
            code, text = status_of(remote, headers={"Authorization": f"Basic {good}"})
            assert code == 200 and "Approve change set" in text
    finally:
        proc.terminate()
        proc.wait(timeout=10)

