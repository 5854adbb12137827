#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""crm-rest: a cancel() during a rate-limit wait ends the call promptly.

A server on loopback answers every GET with an empty page and rate-limit
headers saying no calls are left for 30 s (as HighLevel's do), so the
connector's next call waits. Each case reads once (the pause is set, or the
endpoint's own limiter is started), then reads again on another thread and
calls the connector's cancel() 0.5 s in; the call must return
ACCORD_CANCELLED within 2 s. Cases: the pause of the rate headers
(wait_for_rate_limit), the client-wide token bucket, and an endpoint's own
requests_per_second (wait_for_endpoint). The host's is_cancelled stays 0
throughout: only the connector's cancel() is called.
Usage: cancel_wait_test.py PLUGIN.so
"""
import ctypes as C
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plugin_call import CANCELLED, LOG, PROGRESS, SECRET, SET, STORE, Connector, Err, Host  # the ABI's ctypes binding

ACCORD_CANCELLED = 7
requests = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        requests.append(self.path)
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-ratelimit-remaining", "0")
        self.send_header("x-ratelimit-interval-milliseconds", "30000")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def main():
    plugin = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]

    lib = C.CDLL(os.path.abspath(plugin))
    entry = lib.accord_connector_entry
    entry.restype = C.POINTER(Connector)
    conn = entry().contents
    failure = {}

    def on_set(_self, status, message, _retry):
        failure["status"], failure["message"] = status, (message or b"").decode()

    cbs = [LOG(lambda c, l, m: None), PROGRESS(lambda *a: None), SECRET(lambda *a: 2),
           CANCELLED(lambda c: 0), STORE(lambda c, n, v: 2)]
    host = Host(1, 1, C.sizeof(Host), 0, None, *cbs)
    err = Err(None, SET(on_set))

    headers = {"remaining_header": "x-ratelimit-remaining", "interval_ms_header": "x-ratelimit-interval-milliseconds"}
    list_req = {"path": "/contacts", "query": {"_page": "1", "_limit": "{limit}"}, "paging": {"style": "link_header"}}
    cases = [
        ("the pause the rate headers set (no calls left for 30 s)",
         {"rate_limit": dict(headers, requests_per_second=0)}),
        ("the client's token bucket (1 call per 30 s)",
         {"rate_limit": {"requests_per_second": 1 / 30, "burst": 1}}),
        ("the endpoint's own limit (1 call per 30 s)",
         {"rate_limit": {"requests_per_second": 0},
          "streams": {"contact": {"list": dict(list_req, requests_per_second=1 / 30)}}}),
    ]
    fail = 0
    for name, extra in cases:
        config = dict({"profile": "json-server", "base_url": base, "auth": {"type": "none"}}, **extra)
        inst = C.c_void_p()
        failure.clear()
        if conn.create(C.byref(host), json.dumps(config).encode(), C.byref(inst), C.byref(err)) != 0:
            print("FAIL %s: create: %s" % (name, failure))
            fail = 1
            continue
        out, n = C.c_char_p(), C.c_uint64()
        rc = conn.read_changes(inst, b"contact", b"", C.byref(out), C.byref(n), C.byref(err))
        if rc != 0:
            print("FAIL %s: the first read: %d %s" % (name, rc, failure))
            fail = 1
            conn.destroy(inst)
            continue
        seen = len(requests)
        result = {}

        def second():
            o, m, e = C.c_char_p(), C.c_uint64(), Err(None, SET(on_set))
            t0 = time.monotonic()
            result["rc"] = conn.read_changes(inst, b"contact", b"", C.byref(o), C.byref(m), C.byref(e))
            result["s"] = time.monotonic() - t0

        t = threading.Thread(target=second, daemon=True)
        t.start()
        time.sleep(0.5)
        t_cancel = time.monotonic()
        conn.cancel(inst)
        t.join(2.0)
        if t.is_alive():
            print("FAIL %s: the call went on for more than 2 s after cancel()" % name)
            fail = 1
            t.join(40)  # let it end before the instance goes
        elif result["rc"] != ACCORD_CANCELLED:
            print("FAIL %s: the call returned %d (%s), not cancelled" % (name, result["rc"], failure))
            fail = 1
        elif len(requests) != seen:
            print("FAIL %s: a request went out after cancel()" % name)
            fail = 1
        else:
            print("ok   %s: a cancel() during the wait returns cancelled in %.2f s" %
                  (name, time.monotonic() - t_cancel))
        conn.destroy(inst)
    server.shutdown()
    sys.exit(fail)


main()
