import path from 'node:path';
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make playwright-cluster`: scripts/cluster.sh (three release nodes on a fresh PostgreSQL
// database and the local NATS, behind HAProxy) on port 3200, the nodes on 3201-3203.
const root = path.resolve(__dirname, '..');
const port = 3200;
const admin = process.env.PALAVER_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = admin.replace(/\/[^/]*$/, '/palaver_e2e_cluster');

export default defineConfig({
  ...base,
  testDir: './cluster',
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  webServer: {
    command: [
      `psql '${admin}' -qc 'DROP DATABASE IF EXISTS palaver_e2e_cluster WITH (FORCE)' -c 'CREATE DATABASE palaver_e2e_cluster'`,
      'rm -rf target/e2e-cluster',
      'exec scripts/cluster.sh',
    ].join(' && '),
    cwd: root,
    env: {
      PALAVER_CLUSTER_DATABASE: database,
      PALAVER_CLUSTER_PORT: String(port),
      PALAVER_CLUSTER_DIR: 'target/e2e-cluster',
      // Every flag has an environment variable; the suite signs up and posts quickly.
      PALAVER_SIGN_UPS_PER_HOUR: '100000',
      PALAVER_MESSAGES_PER_MINUTE: '100000',
      PALAVER_CONVERSATIONS_PER_HOUR: '100000',
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
    },
    url: `http://127.0.0.1:${port}/healthz/ready`,
    timeout: 90_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
