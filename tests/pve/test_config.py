"""Several clusters in one config file: every call names a cluster or uses the default, and the
answer says which it used; doctor checks each; a bad file is refused with the key named."""
import json
import subprocess

from labutil import pve_env


def write_config(tmp_path, lab):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'''default_cluster = "lab"

[clusters.lab]
url = "{lab["url"]}"
token_id = "{lab["token_id"]}"
token_secret_env = "LAB_TOKEN"
fingerprint = "{lab["fingerprint"]}"

[clusters.lab-ticket]
url = "{lab["url"]}"
username = "{lab["user"]}"
password_env = "LAB_PASSWORD"
ca_file = "{lab["ca_file"]}"
''')
    return cfg


def env_for(lab, tmp_path):
    env = pve_env(lab)
    for k in [k for k in env if k.startswith("PROVISIO_PVE_")]:
        del env[k]
    env.update(LAB_TOKEN=lab["token_secret"], LAB_PASSWORD=lab["password"])
    return env


def test_two_clusters_from_a_config_file(bin_path, fakelab, tmp_path):
    cfg = write_config(tmp_path, fakelab)
    env = env_for(fakelab, tmp_path)
    for args, want in [({}, "lab"), ({"cluster": "lab-ticket"}, "lab-ticket")]:
        r = subprocess.run([bin_path, "--config", str(cfg), "call", "cluster_state", "--args", json.dumps(args)],
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr + r.stdout
        out = json.loads(r.stdout)
        assert out["cluster"] == want
        assert out["templates"][0]["vmid"] == 100
    assert "CA file" in out["tls"]
    assert fakelab["token_secret"] not in r.stdout and fakelab["password"] not in r.stdout

    r = subprocess.run([bin_path, "--config", str(cfg), "doctor", "--all"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "cluster `lab`" in r.stdout and "cluster `lab-ticket`" in r.stdout
    assert fakelab["fingerprint"] in r.stdout
    assert fakelab["token_secret"] not in r.stdout + r.stderr


def test_bad_config_names_the_key(bin_path, fakelab, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[clusters.lab]\nurl = "https://x:8006"\ntoken = "oops"\n')
    r = subprocess.run([bin_path, "--config", str(cfg), "doctor"], capture_output=True, text=True,
                       env=env_for(fakelab, tmp_path), timeout=60)
    assert r.returncode != 0
    assert "token" in r.stderr and "config.toml" in r.stderr, r.stderr


def test_doctor_with_wrong_pin_prints_the_seen_fingerprint(bin_path, fakelab, tmp_path):
    env = pve_env(fakelab, PROVISIO_PVE_FINGERPRINT=":".join(["AB"] * 32))
    r = subprocess.run([bin_path, "doctor"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1
    assert "FAIL" in r.stdout and fakelab["fingerprint"] in r.stdout, r.stdout
