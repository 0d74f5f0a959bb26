"""`gridapi-healthcheck`: the container's HEALTHCHECK (exec form, no curl in the image).

Exit status 0 when `/healthz` on this machine answers 200, 1 otherwise. Standard library only
and nothing of the app imported: it runs every 30 s, and `gridapi` itself imports the whole app
(seconds of CPU) before it parses its arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str] | None = None) -> int:
    port = os.environ.get("GRID_PORT") or "8000"
    p = argparse.ArgumentParser(prog="gridapi-healthcheck", description=__doc__)
    p.add_argument("--url", default=f"http://127.0.0.1:{port}/healthz",
                   help="what to ask (default: /healthz on 127.0.0.1, port $GRID_PORT or 8000)")
    p.add_argument("--timeout", type=float, default=3.0,
                   help="seconds to wait for the answer (default: %(default)s)")
    args = p.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        p.error("--url must be an http:// or https:// URL")
    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as r:  # noqa: S310 (checked)
            status = int(r.status)
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {args.url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {args.url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
