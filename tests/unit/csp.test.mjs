// The page's check of a bucket's address against its Content-Security-Policy
// (www/js/csp.js), under node --test.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { allowedOrigins, connectAllowed } from '../../www/js/csp.js';

const page = fs.readFileSync(new URL('../../index.html', import.meta.url), 'utf8');
const policy = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page)[1];
const self = 'https://lab.github.io';

test("the page's own policy allows Amazon S3 and itself, nothing else", () => {
  assert.ok(connectAllowed(policy, self, 'https://lab-logs.s3.eu-west-2.amazonaws.com'));
  assert.ok(connectAllowed(policy, self, 'https://s3.us-east-1.amazonaws.com'));
  assert.ok(connectAllowed(policy, self, self));
  assert.ok(!connectAllowed(policy, self, 'http://lab-logs.s3.eu-west-2.amazonaws.com'), 'not plain http');
  assert.ok(!connectAllowed(policy, self, 'https://amazonaws.com.evil.example'));
  assert.ok(!connectAllowed(policy, self, 'https://evilamazonaws.com'));
  assert.ok(!connectAllowed(policy, self, 'http://127.0.0.1:9000'));
  assert.ok(!connectAllowed(policy, self, 'not a url'));
  assert.deepEqual(allowedOrigins(policy, self), [self, 'https://*.amazonaws.com']);
});

test('an added store is allowed at its own port only', () => {
  const p = "default-src 'self'; connect-src 'self' https://*.amazonaws.com http://127.0.0.1:9000";
  assert.ok(connectAllowed(p, self, 'http://127.0.0.1:9000'));
  assert.ok(!connectAllowed(p, self, 'http://127.0.0.1:9001'));
  assert.ok(connectAllowed("connect-src https://minio.lab.org", self, 'https://minio.lab.org:443'));
  assert.ok(!connectAllowed("default-src 'self'", self, 'https://minio.lab.org'), 'default-src when no connect-src');
});
