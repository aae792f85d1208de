"""apply_plan end to end against fakepve (the thesis lab) through the MCP Python SDK, and the
fault matrix: task errors, a locked template, HTTP 500, API timeouts, an offline node, lost
quorum, drift, approval handles reused/expired/forged, approval declined or missing, read-only
mode. For each: no duplicate VM, no unreported partial change, the audit log verifies."""
import asyncio
import json
import subprocess

import pytest

from conftest import Human, apply, control, dump, preview, session, vms

RESULTS = []


def audit_ok(bin_path, data_dir):
    r = subprocess.run([bin_path, "--data-dir", str(data_dir), "audit", "verify"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def record(case, outcome, note):
    RESULTS.append((case, outcome, note))
    print(f"| {case} | {outcome} | {note} |")


def test_happy_path_with_elicitation_and_progress(bin_path, lab, tmp_path):
    human = Human("accept")

    async def main():
        async with session(bin_path, tmp_path, lab, human=human) as s:
            tools = {t.name: dump(t) for t in (await s.list_tools()).tools}
            assert "apply_plan" in tools and tools["apply_plan"]["annotations"]["destructiveHint"] is True
            p = await preview(s)
            cs = p["change_set"]
            kinds = [st["kind"] for st in cs["steps"]]
            assert kinds[0] == "clone" and "configure" in kinds and kinds[-2:] == ["start", "wait_running"]
            assert p["approval"].startswith("ap-") and "provisio approve" in p["how_to_approve"]
            assert vms(lab, "web-1") == []  # preview changes nothing
            progress = []
            res = await apply(s, p["approval"], progress)
            assert not res.get("isError"), res
            rep = res["structuredContent"]["report"]
            assert rep["outcome"] == "applied", rep
            assert "approval dialog" in res["structuredContent"]["approved_by"]
            assert human.shown and cs["digest"][:12] in human.shown[0]
            assert progress and progress[-1][0] == progress[-1][1]
            made = vms(lab, "web-1")
            assert len(made) == 1 and made[0]["status"] == "running"
            vmid = made[0]["vmid"]
            assert made[0]["config"]["ipconfig0"].startswith("ip=192.168.1.")
            assert "ops" == made[0]["config"]["ciuser"]
            # cluster_state now shows it.
            st = dump(await s.call_tool("cluster_state", {"view": "guests", "name": "web-1"}))
            assert st["structuredContent"]["guests"][0]["status"] == "running"
            # Re-running the same plan: a new preview resumes (same VMID), nothing is duplicated.
            p2 = await preview(s)
            assert p2["change_set"]["resumed"] == {"web-1": vmid}
            res = await apply(s, p2["approval"])
            steps = {st["summary"]: st["status"] for st in res["structuredContent"]["report"]["steps"]}
            assert list(steps.values())[0] == "skipped"
            assert len(vms(lab, "web-1")) == 1
            record("happy path (elicitation), then re-run", "applied; re-run skipped clone/start", f"VMID {vmid}, {len(progress)} progress notifications")
    asyncio.run(main())
    assert "records" in audit_ok(bin_path, tmp_path)


def test_task_error_mid_apply_then_cleanup_and_resume(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            node = p["change_set"]["steps"][-1]["node"]
            vmid = p["change_set"]["steps"][0]["vmid"]
            control(lab, "fail", method="POST", suffix=f"/nodes/{node}/qemu/{vmid}/status/start", error="qemu_exited_code", times=1)
            res = await apply(s, p["approval"])
            assert res["isError"] is True
            out = res["structuredContent"]
            rep = out["report"]
            status = [st["status"] for st in rep["steps"]]
            assert rep["outcome"] == "failed" and status[0] == "done" and "failed" in status and status[-1] == "not_started", status
            failed = next(st for st in rep["steps"] if st["status"] == "failed")
            assert "QEMU exited" in failed["detail"] or any("QEMU" in l for l in failed.get("log_tail", []))
            assert rep["present"] == [["web-1", vmid, node]]
            # The cleanup is offered as a new preview needing its own approval; nothing deleted.
            cl = out["cleanup"]
            assert [st["kind"] for st in cl["change_set"]["steps"]] == ["stop", "destroy"]
            assert len(vms(lab, "web-1")) == 1
            # Re-running the plan completes it without a second VM.
            p2 = await preview(s)
            assert p2["change_set"]["resumed"] == {"web-1": vmid}
            res = await apply(s, p2["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied", res
            made = vms(lab, "web-1")
            assert len(made) == 1 and made[0]["status"] == "running"
            # The earlier cleanup handle still works if the operator wants the VM gone.
            res = await apply(s, cl["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied", res
            assert vms(lab, "web-1") == []
            record("TASK ERROR at start (mid-apply)", "failed: clone+configure done, start failed, wait not started", "cleanup offered; re-run resumed VMID, no duplicate; cleanup applied on approval")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_locked_template_fails_at_clone_without_leftovers(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            control(lab, "lock", vmid=100, lock="backup")
            res = await apply(s, p["approval"])
            rep = res["structuredContent"]["report"]
            assert rep["outcome"] == "failed" and rep["steps"][0]["status"] == "failed", rep
            assert "lock" in rep["steps"][0]["detail"]
            assert rep["present"] == [] and "cleanup" not in res["structuredContent"]
            assert vms(lab, "web-1") == []
            record("template config locked (backup)", "failed at clone", "no VM created, nothing to clean up")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_http_500_on_one_call(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            step = next(st for st in p["change_set"]["steps"] if st["kind"] == "configure")
            control(lab, "fail", method="POST", suffix=step["path"], status=500, message="proxy error", times=1)
            res = await apply(s, p["approval"])
            rep = res["structuredContent"]["report"]
            assert rep["outcome"] == "failed" and [st["status"] for st in rep["steps"]][:2] == ["done", "failed"], rep
            assert "500" in rep["steps"][1]["detail"]
            assert len(vms(lab, "web-1")) == 1 and rep["present"][0][0] == "web-1"
            p2 = await preview(s)
            res = await apply(s, p2["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied"
            assert len(vms(lab, "web-1")) == 1
            record("HTTP 500 on the configure call", "failed at configure (clone done, reported)", "re-run completed, one VM")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_api_timeout_refuses_before_changing_anything(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept"), env={"PROVISIO_PVE_TIMEOUT": "1"}) as s:
            p = await preview(s)
            control(lab, "latency", secs=3)
            res = await apply(s, p["approval"])
            rep = res["structuredContent"]["report"]
            assert rep["outcome"] == "refused" and any("could not read" in d for d in rep["drift"]), rep
            control(lab, "clear")
            assert vms(lab, "web-1") == []
            record("API timeout (3 s latency, 1 s client timeout)", "refused at the state check", "nothing changed")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


@pytest.mark.parametrize("fault", ["offline", "noquorum", "vmid-taken"])
def test_drift_between_preview_and_apply(bin_path, lab, tmp_path, fault):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            cs = p["change_set"]
            node = cs["steps"][0]["node"]
            vmid = cs["steps"][0]["vmid"]
            if fault == "offline":
                control(lab, "offline", node=node)
                want = f"node {node} is offline"
            elif fault == "noquorum":
                control(lab, "noquorum")
                want = "quorum"
            else:
                control(lab, "add-vm", vmid=vmid, name="someone-else", node="pmox02")
                want = f"VMID {vmid}"
            res = await apply(s, p["approval"])
            rep = res["structuredContent"]["report"]
            assert rep["outcome"] == "refused" and any(want in d for d in rep["drift"]), rep
            assert all(st["status"] == "not_started" for st in rep["steps"])
            assert vms(lab, "web-1") == []
            record({"offline": "node offline after preview", "noquorum": "lost quorum after preview",
                    "vmid-taken": "VMID taken after preview (drift)"}[fault], "refused, drift shown", "; ".join(rep["drift"]))
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_handles_reused_expired_forged(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept"), env={"PROVISIO_APPROVAL_TTL_SECS": "2"}) as s:
            p = await preview(s)
            res = await apply(s, p["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied"
            res = await apply(s, p["approval"])
            assert res["isError"] and "already used" in res["content"][0]["text"]
            for forged in ["ap-0123456789abcdef01234567", "hello", "ap-../../etc/passwd"]:
                res = await apply(s, forged)
                assert res["isError"] and ("forged" in res["content"][0]["text"]), res
            p2 = await preview(s)
            await asyncio.sleep(3)
            res = await apply(s, p2["approval"])
            assert res["isError"] and "expired" in res["content"][0]["text"]
            assert len(vms(lab, "web-1")) == 1
            record("handle reused / forged / expired", "refused (isError)", "one VM only")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_human_declines_or_cannot_be_asked(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("decline")) as s:
            p = await preview(s)
            res = await apply(s, p["approval"])
            assert res["isError"] and "declined" in res["content"][0]["text"]
        async with session(bin_path, tmp_path, lab, human=Human("no")) as s:
            p = await preview(s)
            res = await apply(s, p["approval"])
            assert res["isError"] and "declined" in res["content"][0]["text"]
        # A client without an approval dialog: denied until the operator approves out of band.
        async with session(bin_path, tmp_path, lab, human=None) as s:
            p = await preview(s)
            res = await apply(s, p["approval"])
            assert res["isError"] and f"provisio approve {p['approval']}" in res["content"][0]["text"]
            assert vms(lab, "web-1") == []
            r = subprocess.run([bin_path, "--data-dir", str(tmp_path), "approve", p["approval"], "--yes"],
                               capture_output=True, text=True)
            assert r.returncode == 0 and "approved" in r.stdout, r.stderr
            res = await apply(s, p["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied", res
            assert "provisio approve" in res["structuredContent"]["approved_by"]
        # [apply] approval = "operator" (here through PROVISIO_APPROVAL): the dialog is not
        # enough, only the operator's approval counts.
        async with session(bin_path, tmp_path, lab, human=Human("accept"), env={"PROVISIO_APPROVAL": "operator"}) as s:
            p = await preview(s)
            res = await apply(s, p["approval"])
            assert res["isError"] and "not approved yet" in res["content"][0]["text"]
        record("human declines / client has no dialog", "refused; applied after `provisio approve`", "default is deny")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_apply_refused_in_read_only_and_plan_modes(bin_path, lab, tmp_path):
    async def main():
        for mode in ("read-only", "plan"):
            async with session(bin_path, tmp_path, lab, mode=mode) as s:
                names = [t.name for t in (await s.list_tools()).tools]
                assert "apply_plan" not in names
                with pytest.raises(Exception) as e:
                    await s.call_tool("apply_plan", {"action": "preview", "plan": {"name": "x", "items": []}})
                assert "mode" in str(e.value)
        record("apply_plan in read-only / plan mode", "MCP error (not listed, refused at call time)", "")
    asyncio.run(main())


def test_tampered_audit_log_is_detected(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            await apply(s, p["approval"])
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)
    log = tmp_path / "audit.jsonl"
    lines = log.read_text().splitlines()
    assert lab["token_secret"] not in log.read_text()
    rec = json.loads(lines[2])
    rec["actor"] = "someone else"
    lines[2] = json.dumps(rec)
    log.write_text("\n".join(lines) + "\n")
    r = subprocess.run([bin_path, "--data-dir", str(tmp_path), "audit", "verify"], capture_output=True, text=True)
    assert r.returncode == 1 and "line 3" in r.stdout
    del lines[2]
    log.write_text("\n".join(lines) + "\n")
    r = subprocess.run([bin_path, "--data-dir", str(tmp_path), "audit", "verify"], capture_output=True, text=True)
    assert r.returncode == 1
    record("audit log edited / a record removed", "`provisio audit verify` exit 1, names the line", "")


def test_cancel_stops_waiting_and_reports(bin_path, lab, tmp_path):
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            control(lab, "ceph-slow", secs=3)  # the clone of the RBD-backed template takes 3 s
            with pytest.raises(Exception):
                await s.call_tool("apply_plan", {"action": "apply", "approval": p["approval"]}, read_timeout_seconds=1.0)
            await asyncio.sleep(4)
            recs = [json.loads(l) for l in (tmp_path / "audit.jsonl").read_text().splitlines()]
            end = [r for r in recs if r["event"] == "apply.end"]
            assert end and end[-1]["data"]["outcome"] == "cancelled", recs[-3:]
            step = [r for r in recs if r["event"] == "step"][-1]
            assert step["data"]["status"] == "cancelled" and step["data"]["kind"] == "clone"
            control(lab, "clear")
            # The clone finished on the PVE side; re-running resumes it instead of cloning again.
            p2 = await preview(s)
            assert list(p2["change_set"]["resumed"]) == ["web-1"]
            res = await apply(s, p2["approval"])
            assert res["structuredContent"]["report"]["outcome"] == "applied", res
            assert len(vms(lab, "web-1")) == 1
            record("client cancels during the clone task", "cancelled: stopped waiting, task stop requested, reported in the audit log",
                   "re-run resumed the clone, one VM")
    asyncio.run(main())
    audit_ok(bin_path, tmp_path)


def test_overhead_over_task_time(bin_path, lab, tmp_path):
    """Apply overhead: wall time of the whole apply minus the time fakepve's tasks ran (clone of
    the RBD-backed template slowed to 2 s, real time)."""
    async def main():
        async with session(bin_path, tmp_path, lab, human=Human("accept")) as s:
            p = await preview(s)
            control(lab, "ceph-slow", secs=2)
            res = await apply(s, p["approval"])
            rep = res["structuredContent"]["report"]
            assert rep["outcome"] == "applied"
            over = rep["total_ms"] - rep["task_ms"]
            print(f"\napply: total {rep['total_ms']} ms, PVE tasks {rep['task_ms']} ms, overhead {over} ms "
                  f"for {len(rep['steps'])} steps")
            assert rep["task_ms"] >= 1900
            assert over < 2000
    asyncio.run(main())


def test_demo_runs_scenario_4(bin_path, tmp_path):
    """`provisio demo` (the README's run command, after indexing): its own lab, server and MCP
    client session, from cluster_state to the approved apply; prints the transcript."""
    import os
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIO_PVE_")}
    r = subprocess.run([bin_path, "--data-dir", str(tmp_path), "demo", "--yes", "--lab-python", sys.executable,
                        "--corpus", os.path.join(root, "corpus", "fixtures", "corpus")],
                       cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    order = ["-> cluster_state", "-> search_docs", "-> draft_manifest", "-> lint_manifest",
             "-> apply_plan {\"action\":\"preview\"", "approval dialog", "-> apply_plan {\"action\":\"apply\"",
             "running tags web", "RESULT: web-1 created"]
    pos = [out.find(x) for x in order]
    assert all(p >= 0 for p in pos) and pos == sorted(pos), list(zip(order, pos))
    assert "0 errors" in out
    v = subprocess.run([bin_path, "--data-dir", str(tmp_path), "audit", "verify"], capture_output=True, text=True)
    assert v.returncode == 0, v.stdout


def test_demo_from_any_directory_with_an_installed_binary(tmp_path):
    """`cargo install`ed `provisio demo`, run from a directory outside the repository with no
    corpus anywhere: the lab and a small corpus come with the binary."""
    import os
    import sys
    installed = os.environ.get("PROVISIO_INSTALLED_BIN")
    if not installed:
        pytest.skip("PROVISIO_INSTALLED_BIN is not set; scripts/test.sh installs the binary")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PROVISIO_PVE_") and k not in ("PROVISIO_CORPUS", "PROVISIO_DATA_DIR")}
    r = subprocess.run([installed, "--data-dir", str(tmp_path / "data"), "demo", "--yes",
                        "--lab-python", sys.executable],
                       cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "fixture-corpus" in r.stdout, r.stdout[:2000]
    assert "RESULT: web-1 created" in r.stdout
    assert os.listdir(elsewhere) == []


def test_apply_over_streamable_http_with_the_dialog(bin_path, lab, tmp_path):
    """The same flow over streamable HTTP: the approval dialog is a server-to-client request on
    the session's stream; progress arrives too."""
    import httpx2
    from labutil import TOKEN, pve_env, start_http_server
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    proc, url = start_http_server(bin_path, tmp_path, TOKEN, env=pve_env(lab), mode="apply")
    try:
        human = Human("accept")

        async def main():
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                async with streamable_http_client(url, http_client=http) as streams:
                    async with ClientSession(streams[0], streams[1], elicitation_callback=human) as s:
                        await s.initialize()
                        p = await preview(s)
                        progress = []
                        res = await apply(s, p["approval"], progress)
                        assert res["structuredContent"]["report"]["outcome"] == "applied", res
                        assert human.shown and progress
        asyncio.run(main())
        assert len(vms(lab, "web-1")) == 1
        record("the same over streamable HTTP", "applied after the dialog", "elicitation and progress on the HTTP stream")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
