#!/usr/bin/env python3
"""The compose proxy's config (ops/nginx/nginx.conf), checked with a real nginx and no Docker engine.

usage: check-nginx.py COMPOSE_CONFIG_YAML   (the output of `docker compose config`)

1. It agrees with docker-compose.yml: mounted at /etc/nginx/nginx.conf, listens on the port the
   proxy publishes, answers the proxy's health check path, its upstream host is the api service on
   the port that service listens on, and the image is an nginx with `resolve` (1.27.3 or later).
2. `nginx -t` parses it. The host `api` does not resolve here; with `resolve` nginx resolves it
   only at run time, so an nginx of 1.27.3 or later tests the file as committed. An older one
   (Debian 12 has 1.22) does not know `resolve`: its copy differs in that one line only, the
   upstream server `127.0.0.1:<port>` without `resolve`.
3. The same file (listen address and upstream servers replaced) runs in front of two stub replicas,
   one that answers and one that reads each request and closes without an answer:
   - /nginx-health answers 200 without a replica;
   - X-Forwarded-For reaches the app as the client's address, whatever the client sent in it;
   - X-Request-Id is passed on, or nginx's own id when the client sent none;
   - connections to the replicas are kept alive (HTTP/1.1, no "Connection: close");
   - a GET the closing replica dropped is passed to the other one and answered 200;
   - a POST the closing replica received is never passed to the other one: 502, each POST seen once.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONF = os.path.join(ROOT, "ops", "nginx", "nginx.conf")
MOUNT = "/etc/nginx/nginx.conf"
RESOLVE_SINCE = (1, 27, 3)

problems = []


def fail(message):
    problems.append(message)


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


def nginx_version():
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    match = re.search(r"nginx/(\d+\.\d+\.\d+)", out)
    if not match:
        sys.exit(f"nginx -v: cannot read a version from {out!r}")
    return match.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_against_compose(conf, compose):
    services = compose["services"]
    proxy = services.get("proxy")
    if not proxy:
        fail("compose: no proxy service")
        return None
    # Compose v2 prints mounts in the long form; a short "source:target:ro" string is read too.
    def mounts_conf(v):
        if isinstance(v, dict):
            return str(v.get("source", "")).endswith("/ops/nginx/nginx.conf") and v.get("target") == MOUNT and v.get("read_only") is True
        return str(v).endswith(f"/ops/nginx/nginx.conf:{MOUNT}:ro")

    if not any(mounts_conf(v) for v in proxy.get("volumes", [])):
        fail(f"compose: the proxy does not mount ops/nginx/nginx.conf read-only at {MOUNT}")
    listens = re.findall(r"^\s*listen\s+(\d+)\s*;", conf, re.M)
    targets = [str(p.get("target") if isinstance(p, dict) else str(p).split(":")[-1]) for p in proxy.get("ports", [])]
    if len(listens) != 1 or targets != listens:
        fail(f"nginx.conf listens on {listens}, the proxy publishes container ports {targets}")
    health = " ".join(proxy.get("healthcheck", {}).get("test", []))
    path = re.search(r"https?://[^/\s]+(/\S*)", health)
    if not path or not re.search(r"^\s*location\s+=\s+" + re.escape(path.group(1)) + r"\s*\{", conf, re.M):
        fail(f"the proxy's health check ({health}) asks for a path nginx.conf has no exact location for")
    upstream = re.search(r"^\s*upstream\s+(\w+)\s*\{(.*?)^\s*\}", conf, re.M | re.S)
    if not upstream:
        fail("nginx.conf: no upstream block")
        return None
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)((?:\s+[\w=.]+)*)\s*;", upstream.group(2), re.M)
    if len(servers) != 1:
        fail(f"nginx.conf: upstream {upstream.group(1)} should hold one server, the api service's name; found {servers}")
        return None
    host, port, params = servers[0]
    api = services.get(host)
    if not api:
        fail(f"nginx.conf: upstream server {host} is not a compose service")
    elif str(api.get("environment", {}).get("PORT")) != port:
        fail(f"nginx.conf: upstream {host}:{port}, but that service listens on {api.get('environment', {}).get('PORT')}")
    if "resolve" not in params.split():
        fail(f"nginx.conf: upstream server {host}:{port} without `resolve`: scaled or restarted replicas would not be found")
    for directive in ("zone", "keepalive"):
        if not re.search(rf"^\s*{directive}\s", upstream.group(2), re.M):
            fail(f"nginx.conf: upstream {upstream.group(1)} has no {directive}")
    if not re.search(r"^\s*resolver\s+127\.0\.0\.11\b", conf, re.M):
        fail("nginx.conf: no `resolver 127.0.0.11` (Docker's embedded DNS)")
    image = re.fullmatch(r"nginx:(\d+\.\d+(?:\.\d+)?)(-\w+)?", str(proxy.get("image", "")))
    if not image:
        fail(f"compose: the proxy image {proxy.get('image')} is not an official nginx image pinned to a version")
    else:
        # A tag without a patch number (1.28) is that line's newest release: compare the line.
        pinned = version_tuple(image.group(1))
        if pinned < RESOLVE_SINCE[: len(pinned)] or (len(pinned) == 3 and pinned < RESOLVE_SINCE):
            fail(f"compose: {proxy.get('image')} predates `resolve` in an upstream (nginx 1.27.3)")
    for line in re.findall(r"^\s*proxy_next_upstream\s+([^;]*);", conf, re.M):
        if "non_idempotent" in line.split():
            fail("nginx.conf: proxy_next_upstream non_idempotent would pass a POST to a second replica")
    return upstream.group(0), servers[0]


def copy_for(conf, upstream_block, server, replace_with, listen=None):
    """The committed text with the upstream's server line replaced (and the listen address)."""
    host, port, params = server
    line = re.compile(rf"^(\s*)server\s+{re.escape(host)}:{port}{re.escape(params)}\s*;", re.M)
    block = line.sub(lambda m: "\n".join(m.group(1) + s for s in replace_with), upstream_block, count=1)
    text = conf.replace(upstream_block, block, 1)
    if listen:
        text = re.sub(r"^(\s*)listen\s+\d+\s*;", rf"\g<1>listen 127.0.0.1:{listen};", text, count=1, flags=re.M)
    return text


class Echo(http.server.BaseHTTPRequestHandler):
    """A replica that answers: what it received, as JSON."""

    protocol_version = "HTTP/1.1"
    seen = []

    def handle_one(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        Echo.seen.append((self.command, self.path))
        body = json.dumps({"method": self.command, "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = handle_one

    def log_message(self, *args):
        pass


def closing_replica(server_socket, seen, stop):
    """A replica that reads each request whole and closes the connection without an answer."""
    server_socket.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = server_socket.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(2)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                while length and len(rest) < int(length.group(1)):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
            except socket.timeout:
                pass
            if data:
                seen.append(tuple(data.split(b" ", 2)[:2]))


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run_through_nginx(conf, upstream_block, server, work):
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    closer = socket.socket()
    closer.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    closer.bind(("127.0.0.1", 0))
    closer.listen(16)
    dropped, stop = [], threading.Event()
    threading.Thread(target=closing_replica, args=(closer, dropped, stop), daemon=True).start()

    port = free_port()
    servers = [f"server 127.0.0.1:{closer.getsockname()[1]} max_fails=0;", f"server 127.0.0.1:{echo.server_address[1]} max_fails=0;"]
    path = os.path.join(work, "run.conf")
    with open(path, "w") as f:
        f.write(copy_for(conf, upstream_block, server, servers, listen=port))
    log = open(os.path.join(work, "nginx.log"), "w")
    nginx = subprocess.Popen(
        ["nginx", "-c", path, "-g", f"daemon off; pid {os.path.join(work, 'nginx.pid')};"], stdout=log, stderr=log
    )
    try:
        deadline = time.time() + 10
        while True:
            try:
                status, body = request(port, "GET", "/nginx-health")
                break
            except OSError:
                if nginx.poll() is not None or time.time() > deadline:
                    raise SystemExit("nginx did not start:\n" + open(log.name).read())
                time.sleep(0.1)
        if (status, body.strip()) != (200, b"ok"):
            fail(f"GET /nginx-health: {status} {body!r}")
        if Echo.seen or dropped:
            fail("GET /nginx-health reached a replica")

        gets = []
        for i in range(4):
            status, body = request(port, "GET", f"/products?n={i}", {"X-Forwarded-For": "203.0.113.7", "X-Request-Id": f"check-{i}"})
            gets.append(status)
            if status == 200:
                seen = json.loads(body)["headers"]
                if seen.get("x-forwarded-for") != "127.0.0.1":
                    fail(f"X-Forwarded-For reached the replica as {seen.get('x-forwarded-for')!r}, not the client's address")
                if seen.get("x-request-id") != f"check-{i}":
                    fail(f"X-Request-Id check-{i} reached the replica as {seen.get('x-request-id')!r}")
                if seen.get("connection", "").lower() == "close":
                    fail("nginx asks the replica to close the connection: no keep-alive")
        if gets != [200] * 4:
            fail(f"GETs through a dropping replica answered {gets}: a GET should be passed to the other replica")
        dropped_gets = sum(1 for method, _ in dropped if method == b"GET")
        if not dropped_gets:
            fail("no GET reached the closing replica: the retry was not exercised")

        status, body = request(port, "GET", "/products")
        if status != 200 or not re.fullmatch(r"[0-9a-f]{32}", json.loads(body)["headers"].get("x-request-id", "")):
            fail(f"a request without X-Request-Id should reach the replica with nginx's own id: {status} {body[:200]!r}")

        posts = []
        before_echo = sum(1 for method, _ in Echo.seen if method == "POST")
        for i in range(4):
            status, _ = request(port, "POST", f"/orders?n={i}", {"content-type": "application/json"}, b'{"items":[]}')
            posts.append(status)
        to_echo = sum(1 for method, _ in Echo.seen if method == "POST") - before_echo
        to_closer = sum(1 for method, _ in dropped if method == b"POST")
        if to_echo + to_closer != 4 or posts.count(502) != to_closer or not to_closer:
            fail(
                f"POSTs answered {posts}; the answering replica saw {to_echo}, the closing one {to_closer}: "
                "each POST should reach exactly one replica, and one that got no answer should be a 502"
            )
        if not problems:
            print(
                f"nginx.conf through nginx: health 200; {dropped_gets} of 4 GETs dropped by a replica and answered by the other; "
                f"{to_closer} of 4 POSTs dropped and answered 502, none sent twice; X-Forwarded-For replaced, X-Request-Id passed or set"
            )
    finally:
        nginx.terminate()
        nginx.wait(10)
        log.close()
        stop.set()
        echo.shutdown()
        closer.close()
    if problems:
        print(open(log.name).read()[-3000:], file=sys.stderr)


def main():
    with open(sys.argv[1]) as f:
        compose = yaml.safe_load(f)
    with open(CONF) as f:
        conf = f.read()
    found = check_against_compose(conf, compose)
    if found is None:
        sys.exit("nginx.conf check failed:\n  " + "\n  ".join(problems))
    upstream_block, server = found
    version = nginx_version()
    work = tempfile.mkdtemp(prefix="check-nginx-")
    try:
        test = os.path.join(work, "nginx.conf")
        if version_tuple(version) >= RESOLVE_SINCE:
            shutil.copyfile(CONF, test)
            how = "as committed"
        else:
            with open(test, "w") as f:
                f.write(copy_for(conf, upstream_block, server, [f"server 127.0.0.1:{server[1]};"]))
            how = f"as committed but for its upstream server line (nginx {version} predates `resolve`)"
        result = subprocess.run(["nginx", "-t", "-c", test], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"nginx -t ({version}) rejects ops/nginx/nginx.conf:\n{result.stderr}")
        print(f"nginx.conf: nginx -t ({version}) passes, {how}")
        run_through_nginx(conf, upstream_block, server, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        sys.exit("nginx.conf check failed:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
