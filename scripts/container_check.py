#!/usr/bin/env python3
"""The container image, checked without a container engine (none runs on these machines).

Reads the Dockerfile and .dockerignore and runs their steps on this host, as `docker build` and
`docker run` would, in a scratch "root" (its /opt, /src and /srv stand for the image's):

- build: the context filtered by .dockerignore, each stage's RUN/COPY/WORKDIR/ENV in order
  (the dependencies' layer, then a non-editable install into a fresh venv); what the runtime
  stage does not copy from the build stage is deleted before the runtime stage runs;
- run, as the image's numeric USER (setpriv; host accounts untouched, so groupadd/useradd are
  the only steps skipped): `gridapi migrate` given nothing but DATABASE_URL (the README's
  one-off job), `create-admin`, then the image's CMD with its ENV; the HEALTHCHECK command; a
  login and `POST /api/v1/attachments`, whose file must land in the declared VOLUME; /metrics
  with its token; a clean stop.

Also static rules: numeric USER, exec-form CMD and HEALTHCHECK, dependencies in their own layer
(pyproject.toml copied and installed before the application), no application source copied
into the runtime stage, upload dir inside a VOLUME the user owns, a root-owned WORKDIR.

Host-side differences, on purpose: the host's pip cache serves the wheels (`--no-cache-dir`
is dropped), `python` is this interpreter's base (3.11 like the image), the service listens on
127.0.0.1 (GRID_HOST, as `docker run -e` would set it) and TMPDIR points into the scratch root.

Run as root: `.venv/bin/python scripts/container_check.py` (CI: .ci/run). Exit status 0 when
every check holds.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
KEYS = {  # production keys for the serving steps only (migrate is given none)
    "GRID_JWT_KEYS": json.dumps({"k1": "container-check-" + "j" * 32}),
    "GRID_DATA_KEYS": json.dumps({"d1": "Y29udGFpbmVyLWNoZWNrLWRhdGEta2V5LTMyYnl0ZXM="}),
    "GRID_BLIND_INDEX_KEY": "container-check-" + "b" * 32,
    "GRID_METRICS_TOKEN": "container-check-" + "m" * 32,
}
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
USER_TOOLS = ("groupadd", "useradd", "adduser", "addgroup")
started = time.monotonic()
failures: list[str] = []


def say(ok: bool, what: str) -> None:
    print(f"[{time.monotonic() - started:5.1f}s] {'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        failures.append(what)


# --- the Dockerfile ---------------------------------------------------------------------------

@dataclass
class Stage:
    name: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.steps if kw == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    stages: list[Stage] = []
    logical = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    for line in logical.splitlines():
        if not line.strip():
            continue
        keyword, _, args = line.strip().partition(" ")
        keyword, args = keyword.upper(), " ".join(args.split())
        if keyword == "FROM":
            parts = args.split()
            stages.append(Stage(parts[-1] if len(parts) >= 3 else str(len(stages))))
        stages[-1].steps.append((keyword, args))
    return stages


def exec_form(args: str) -> list[str] | None:
    """The JSON-array (exec) form's argv, or None for the shell form."""
    if not args.startswith("["):
        return None
    value = json.loads(args)
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def env_pairs(args: str) -> list[tuple[str, str]]:
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [tuple(w.split("=", 1)) for w in words]  # type: ignore[misc]


# --- .dockerignore ----------------------------------------------------------------------------

def _pattern(p: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(p):
        if p.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif p.startswith("**", i):
            out, i = out + ".*", i + 2
        elif p[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif p[i] == "?":
            out, i = out + "[^/]", i + 1
        elif p[i] == "[" and "]" in p[i:]:  # a character class, as Go's filepath.Match has it
            end = p.index("]", i)
            out, i = out + "[" + p[i + 1:end].replace("\\", "\\\\") + "]", end + 1
        else:
            out, i = out + re.escape(p[i]), i + 1
    return re.compile(out + "$")


def ignore_rules(text: str) -> list[tuple[bool, re.Pattern[str], str]]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        raw = line.lstrip("!").strip().strip("/")
        rules.append((negated, _pattern(raw), raw))
    return rules


def ignored(rel: str, rules: list[tuple[bool, re.Pattern[str], str]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    out = False
    for negated, rx, _ in rules:
        if any(rx.match(p) for p in prefixes):
            out = not negated
    return out


def build_context(dest: Path) -> list[str]:
    rules = ignore_rules((REPO / ".dockerignore").read_text())
    kept = []
    for root, dirs, files in os.walk(REPO):
        rel_root = Path(root).relative_to(REPO).as_posix()
        rel_root = "" if rel_root == "." else rel_root + "/"
        # Prune what is ignored unless an exception reaches inside it.
        dirs[:] = [d for d in dirs if not ignored(rel_root + d, rules) or any(
            n and raw.startswith(rel_root + d + "/") for n, _, raw in rules)]
        for f in files:
            rel = rel_root + f
            if not ignored(rel, rules):
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / rel, dest / rel)
                kept.append(rel)
    return kept


# --- running the steps ------------------------------------------------------------------------

class Scratch:
    """The scratch root: absolute paths of the image under /opt, /src, /srv map into it."""

    MAPPED = ("opt", "src", "srv")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rx = re.compile(r"(?<![\w./-])/(" + "|".join(self.MAPPED) + r")(?=[/\s:'\"]|$)")
        self.env: dict[str, str] = {}
        self.workdir = root
        self.user: str | None = None

    def map(self, text: str) -> str:
        return self.rx.sub(lambda m: f"{self.root}/{m.group(1)}", text)

    def path(self, p: str) -> Path:
        return Path(self.map(p)) if p.startswith("/") else self.workdir / p

    def expand(self, value: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.env.get(m.group(1), ""), value)


def run_stage(stage: Stage, img: Scratch, context: Path, shims: Path, log: Path) -> None:
    img.env = {"PATH": f"{shims}:{BASE_PATH}", "LANG": "C.UTF-8", "HOME": "/root"}
    img.workdir, img.user = img.root, None
    for keyword, args in stage.steps:
        if keyword == "WORKDIR":
            img.workdir = img.path(args)
            img.workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            for k, v in env_pairs(args):
                img.env[k] = img.expand(img.map(v))  # $PATH holds host paths: map first
        elif keyword == "USER":
            img.user = args
        elif keyword == "COPY":
            words = args.split()
            source_root = context
            if words[0].startswith("--from="):
                words, source_root = words[1:], img.root  # one scratch root for all stages
            *sources, dest = words
            for src in sources:
                s = img.path(src) if source_root is img.root else context / src
                d = img.path(img.expand(dest))
                if s == d:
                    continue
                if s.is_dir():
                    shutil.copytree(s, d, dirs_exist_ok=True, symlinks=True)
                else:
                    d = d / s.name if dest.endswith("/") or d.is_dir() else d
                    d.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(s, d)
        elif keyword == "RUN":
            segments = [s.strip() for s in args.split("&&")]
            kept = [s for s in segments if s.split()[0] not in USER_TOOLS]
            command = img.map(" && ".join(kept)).replace("--no-cache-dir", "")
            with log.open("a") as out:
                out.write(f"\n$ {command}\n")
                out.flush()
                r = subprocess.run(["/bin/sh", "-c", command], cwd=img.workdir, env=img.env,
                                   stdout=out, stderr=subprocess.STDOUT, check=False)
            say(r.returncode == 0, f"{stage.name}: RUN {args[:70]}…")
            if r.returncode:
                raise SystemExit(f"see {log}")


def as_user(img: Scratch, argv: list[str]) -> list[str]:
    """argv run as the image's USER (numeric: no account needed on this host)."""
    uid, _, gid = (img.user or "0").partition(":")
    return ["setpriv", f"--reuid={uid}", f"--regid={gid or uid}", "--clear-groups", "--",
            *argv]


def image_python(runtime: Stage) -> Path | None:
    """The base image's `python`: an interpreter like this one (3.11, with venv) that the
    unprivileged user can run; pyenv's under /root (mode 700) cannot be."""
    users = runtime.all("USER")
    uid, _, gid = (users[-1] if users else "0").partition(":")
    candidates = [Path(getattr(sys, "_base_executable", sys.executable)).resolve(),
                  Path("/usr/local/bin/python3.11"), Path("/usr/bin/python3.11")]
    # One that runs but cannot read its own installation (pyenv's, under /root, mode 700)
    # falls back to another prefix: a venv built on it is not found, its workers cannot start.
    probe = ("import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11); "
             "print(sys.base_prefix)")
    for c in candidates:
        r = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid or uid}",
                            "--clear-groups", "--", str(c), "-c", probe],
                           capture_output=True, text=True, check=False)
        if c.is_file() and r.returncode == 0 and Path(r.stdout.strip()) == c.parent.parent:
            return c
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, format="PNG")
    return out.getvalue()


# --- the checks -------------------------------------------------------------------------------

def static_checks(stages: list[Stage]) -> None:
    build, runtime = stages[0], stages[-1]
    users = runtime.all("USER")
    say(bool(users) and re.fullmatch(r"\d+(:\d+)?", users[-1]) is not None,
        f"USER is numeric ({users[-1] if users else 'none'})")
    for keyword in ("CMD", "HEALTHCHECK"):
        args = runtime.all(keyword)
        argv = exec_form(args[-1].split(" CMD ", 1)[-1]) if args else None
        say(argv is not None, f"{keyword} in exec form")
    kinds = [(kw, a) for kw, a in build.steps if kw in ("COPY", "RUN")]
    first_app = next((i for i, (kw, a) in enumerate(kinds) if kw == "COPY" and
                      a.split()[0] == "app"), len(kinds))
    deps = any(kw == "COPY" and "pyproject.toml" in a for kw, a in kinds[:first_app]) and any(
        kw == "RUN" and "pip install" in a for kw, a in kinds[:first_app])
    say(deps, "dependencies installed in their own layer, before the application is copied")
    say(any("pip install" in a and "-e" not in a.split() for kw, a in kinds[first_app:]),
        "the application is pip-installed, not editable")
    copies = [a for a in runtime.all("COPY") if not a.startswith("--from=")]
    say(not any(a.split()[0] in ("app", ".") for a in copies),
        f"no application source copied into the runtime stage ({copies})")
    say(bool(runtime.all("VOLUME")), "a VOLUME is declared")


def runtime_checks(img: Scratch, runtime: Stage) -> None:
    uid, _, gid = (img.user or "0").partition(":")
    volumes = [img.path(v) for a in runtime.all("VOLUME")
               for v in (exec_form(a) or a.split())]
    upload = Path(img.env.get("GRID_UPLOAD_DIR", str(img.workdir / "data/uploads")))
    say(any(upload.is_relative_to(v) for v in volumes), f"uploads go to a VOLUME ({upload})")
    for v in volumes:
        st = v.stat()
        say((str(st.st_uid), str(st.st_gid)) == (uid, gid or uid), f"{v.name}/ owned by {uid}")
    st = img.workdir.stat()
    say(st.st_uid == 0 and not st.st_mode & 0o022, "WORKDIR is root's and not writable by others")
    probe = subprocess.run(as_user(img, ["touch", str(img.workdir / "probe")]),
                           env=img.env, capture_output=True, check=False)
    say(probe.returncode != 0, "the user cannot write to the WORKDIR")
    where = ("import app, json, importlib.metadata as m; print(json.dumps("
             "[app.__file__, m.distribution('gridapi').read_text('direct_url.json')]))")
    venv_app = subprocess.run(as_user(img, ["python", "-c", where]), cwd=img.workdir,
                              env=img.env, capture_output=True, text=True, check=False)
    app_file, direct_url = json.loads(venv_app.stdout) if venv_app.returncode == 0 else ("", "")
    say(app_file.startswith(str(img.root / "opt")) and "editable" not in (direct_url or ""),
        f"the app is imported from the venv, installed non-editable ({app_file})")
    say(not (img.root / "src").exists(), "nothing of the build stage's /src is left")

    data = volumes[0] if volumes else img.workdir / "data"
    db_url = f"sqlite+aiosqlite:///{data}/gridapi.db"
    plain = {**img.env, "DATABASE_URL": db_url, "TMPDIR": str(img.root / "tmp")}
    secret = {**plain, **KEYS}

    def gridapi(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
        r = subprocess.run(as_user(img, ["gridapi", *args]), cwd=img.workdir, env=env,
                           input=stdin, capture_output=True, text=True, timeout=300, check=False)
        say(r.returncode == 0, f"gridapi {' '.join(args)}" + (f"\n{r.stderr[-2000:]}"
                                                             if r.returncode else ""))

    gridapi("migrate", env=plain)  # the README's one-off job: only DATABASE_URL, no keys
    gridapi("create-admin", "--username", "ops_admin", "--password-stdin", env=secret,
            stdin="Container!check-1\n")

    port = free_port()
    serve_env = {**secret, "GRID_HOST": "127.0.0.1", "GRID_PORT": str(port)}
    cmd = exec_form(runtime.all("CMD")[-1]) or []
    health = exec_form(runtime.all("HEALTHCHECK")[-1].split(" CMD ", 1)[-1]) or []

    def healthy() -> bool:
        return subprocess.run(as_user(img, health), env=serve_env, timeout=30,
                              capture_output=True, check=False).returncode == 0

    say(not healthy(), "HEALTHCHECK fails while nothing serves")
    log = (img.root / "serve.log").open("wb")
    proc = subprocess.Popen(as_user(img, cmd), cwd=img.workdir, env=serve_env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not healthy() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        up = proc.poll() is None and healthy()
        say(up, f"CMD {cmd} serves and HEALTHCHECK {health} passes")
        if not up:
            print((img.root / "serve.log").read_text()[-3000:])
            return
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(f"{base}/api/v1/auth/login", timeout=30,
                           json={"username": "ops_admin", "password": "Container!check-1"})
        say(login.status_code == 200, f"login answers {login.status_code}")
        token = login.json().get("access_token", "")
        r = httpx.post(f"{base}/api/v1/attachments", timeout=30,
                       headers={"Authorization": f"Bearer {token}"},
                       files={"file": ("photo.png", png(), "image/png")})
        say(r.status_code == 201, f"POST /api/v1/attachments answers {r.status_code}"
            + ("" if r.status_code == 201 else f": {r.text[:300]}"))
        stored = [p for p in upload.rglob("*") if p.is_file()]
        say(bool(stored) and all(str(p.stat().st_uid) == uid for p in stored),
            f"the upload is stored in the volume by {uid} ({len(stored)} file(s))")
        metrics = httpx.get(f"{base}/metrics", timeout=30,
                            headers={"Authorization": f"Bearer {KEYS['GRID_METRICS_TOKEN']}"})
        say(metrics.status_code == 200 and "ops-healthz" in metrics.text,
            "/metrics answers with its token")
        say(httpx.get(f"{base}/metrics", timeout=30).status_code == 401,
            "/metrics without the token is refused")
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # what `docker stop` sends
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    say(proc.returncode == 0 and not healthy(), "SIGTERM stops the service cleanly")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keep", action="store_true", help="keep the scratch root for a look")
    p.add_argument("--dockerfile", type=Path, default=REPO / "Dockerfile",
                   help="the Dockerfile to check (default: the repository's)")
    args = p.parse_args()
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("needs root and setpriv (util-linux) to act as the image's user", file=sys.stderr)
        return 2
    stages = parse_dockerfile(args.dockerfile.read_text())
    static_checks(stages)

    scratch = Path(tempfile.mkdtemp(prefix="gridapi-image-"))
    scratch.chmod(0o755)  # the unprivileged user must reach the venv, as in an image
    try:
        context, root, shims = scratch / "context", scratch / "root", scratch / "shims"
        for d in (context, root, shims):
            d.mkdir(mode=0o755)
        (root / "tmp").mkdir(mode=0o777)
        (root / "tmp").chmod(0o1777)
        base_python = image_python(stages[-1])
        say(base_python is not None, f"a Python 3.11 the image's user can run: {base_python}")
        if base_python is None:
            return 1
        for name in ("python", "python3"):
            (shims / name).symlink_to(base_python)
        files = build_context(context)
        top = {f.split("/")[0] for f in files}
        say(not top & {".git", ".venv", "tests", "data", ".env", "bench", ".ci"},
            f"the build context holds only {sorted(top)}")
        img = Scratch(root)
        log = scratch / "build.log"
        *builds, runtime = stages
        kept_from = {a.split()[1] for a in runtime.all("COPY") if a.startswith("--from=")}
        for stage in builds:
            before = set(root.iterdir())
            run_stage(stage, img, context, shims, log)
            for made in set(root.iterdir()) - before:  # the stage's filesystem ends here …
                if not any(img.path(k).is_relative_to(made) for k in kept_from):
                    shutil.rmtree(made)  # … except what a later stage copies from it
        run_stage(runtime, img, context, shims, log)
        runtime_checks(img, runtime)
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'all checks hold' if not failures else f'{len(failures)} failed'} "
          f"in {time.monotonic() - started:.0f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
