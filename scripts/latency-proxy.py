# Benchmarks only (docs/S3.md): a proxy that adds a fixed delay to every request (as a network round trip to S3 would),
# forwarding to moto's server. Usage: python3 scripts/latency-proxy.py LISTEN_PORT TARGET_PORT DELAY_S
import http.client, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
listen, target, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        time.sleep(delay)
        c = http.client.HTTPConnection('127.0.0.1', target)
        c.request('GET', self.path, headers={k: v for k, v in self.headers.items()})
        r = c.getresponse(); body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ('transfer-encoding', 'content-length', 'connection'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(('127.0.0.1', listen), H).serve_forever()
