// Where the page's Content-Security-Policy lets it connect: the page checks a bucket's
// address against it before asking, so a store the policy leaves out is named in words,
// not met with a blocked request. Pure functions (tested under node --test).

/** The sources of a directive (`connect-src`, else `default-src`) of a policy's text. */
function sources(policy, name) {
  const directives = policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]);
  const found = directives.find((d) => d[0].toLowerCase() === name)
    || directives.find((d) => d[0].toLowerCase() === 'default-src');
  return found ? found.slice(1) : [];
}

const defaultPort = (scheme) => (scheme === 'https:' ? '443' : scheme === 'http:' ? '80' : '');

/** True when the host source `source` (`https://*.amazonaws.com`, `http://127.0.0.1:9000`) allows `url`. */
function matches(source, url) {
  const m = /^([a-z][a-z0-9+.-]*:)\/\/(\*\.)?([^:/]+)(?::(\d+|\*))?\/?$/i.exec(source);
  if (!m) return false;
  const [, scheme, wildcard, host, port] = m;
  if (scheme.toLowerCase() !== url.protocol) return false;
  const h = url.hostname.toLowerCase();
  const want = host.toLowerCase();
  if (wildcard ? !h.endsWith(`.${want}`) : h !== want) return false;
  if (port === '*') return true;
  return (url.port || defaultPort(url.protocol)) === (port || defaultPort(scheme.toLowerCase()));
}

/** True when `policy` lets a page at `self` connect to `origin`. */
export function connectAllowed(policy, self, origin) {
  let url;
  try { url = new URL(origin); } catch (_) { return false; }
  return sources(policy, 'connect-src').some((s) => (s === "'self'" ? url.origin === self : matches(s, url)));
}

/** The places `policy` lets a page at `self` connect to, for people (`'self'` as its origin). */
export function allowedOrigins(policy, self) {
  return sources(policy, 'connect-src').map((s) => (s === "'self'" ? self : s)).filter((s) => s !== "'none'");
}
