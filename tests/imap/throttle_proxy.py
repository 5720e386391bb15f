#!/usr/bin/env python3
"""A TCP relay for tests: 127.0.0.1:PORT (printed as "listening PORT") to
127.0.0.1:--to, client->server at full speed, server->client paced to
--rate bytes per second, so that a large IMAP answer (TLS passes through
untouched) takes a known least time. The bytes relayed server->client so far
are kept in --count (one integer, rewritten after every block), so a check
can see whether the gateway kept reading after it should have stopped. Ends
by itself after --max-seconds."""
import argparse, os, socket, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--to", type=int, required=True)
ap.add_argument("--rate", type=int, required=True)
ap.add_argument("--count", required=True)
ap.add_argument("--max-seconds", type=int, default=600)
a = ap.parse_args()

lock = threading.Lock()
total = [0]
BLOCK = 16384


def count(n):
    with lock:
        total[0] += n
        tmp = a.count + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % total[0])
        os.replace(tmp, a.count)


def pipe(src, dst, paced):
    due = 0.0  # when the next block may go (no credit saved while idle)
    try:
        while True:
            d = src.recv(BLOCK)
            if not d:
                break
            if paced:
                now = time.monotonic()
                due = max(due, now)
                if due > now:
                    time.sleep(due - now)
                due += len(d) / a.rate
            dst.sendall(d)
            if paced:
                count(len(d))
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    try:
        u = socket.create_connection(("127.0.0.1", a.to), timeout=10)
        u.settimeout(None)
    except OSError:
        c.close()
        return
    threading.Thread(target=pipe, args=(c, u, False), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, True), daemon=True).start()


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
count(0)
print("listening %d" % ls.getsockname()[1], flush=True)
threading.Timer(a.max_seconds, lambda: os._exit(0)).start()
while True:
    c, _ = ls.accept()
    serve(c)
