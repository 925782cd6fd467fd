import path from 'node:path';
import { defineConfig } from '@playwright/test';

// Runs the release build that `make build` produced; it never builds anything itself.
const root = path.resolve(__dirname, '..');
// PALAVER_E2E_PORT lets two checkouts (git worktrees) run their suites side by side.
const port = Number(process.env.PALAVER_E2E_PORT ?? 3100);
const origin = `http://127.0.0.1:${port}`;

// The config is evaluated again in every worker process; the environment is inherited, so
// this keeps one data directory per run rather than one per process.
process.env.PALAVER_E2E_DATA_DIR ??= path.join(root, 'target', `e2e-data-${Date.now()}`);
const dataDir = process.env.PALAVER_E2E_DATA_DIR;

const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
// PALAVER_E2E_SERVER: a copy of the binary (with its hash.txt beside it) to test instead.
const server = process.env.PALAVER_E2E_SERVER ?? path.join(root, 'target', 'release', 'palaver');

export default defineConfig({
  testDir: './tests',
  // Two cores: the server, the browser and the test runner already share them.
  workers: 1,
  fullyParallel: false,
  // Under CI a failed test runs once more: a pass the second time is reported as "flaky" with
  // the first attempt's error and the state of its pages (tests/fixtures.ts), so a rare race
  // is seen and read without stopping the whole run; a test that fails twice still fails it.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: origin,
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    // A trace records a DOM snapshot before every action and a screencast of every test,
    // kept or not: the test runner's CPU went from 27% to 15% of a core without it. CI keeps
    // only what a run prints, never its files, so it records none; locally a failing test
    // keeps its trace.
    trace: process.env.CI ? 'off' : 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's chromium; Playwright's own browsers are never downloaded.
      executablePath: '/usr/bin/chromium',
      // --no-sandbox because we run as root; the rest keep chromium from calling out into a
      // closed network (each refused connection is noise and slows start-up).
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    // Data of earlier runs goes first; this run's stays behind for a look after a failure.
    command: [
      `test -x ${sh(server)} || { echo "no server binary at ${server}: run 'make build' first" >&2; exit 1; }`,
      `rm -rf ${sh(path.join(root, 'target'))}/e2e-data-*`,
      `mkdir -p ${sh(dataDir)}`,
      // The suite signs up many users and posts quickly from one address: raise those limits.
      // The sign-in failure throttle keeps its default (5 per 15 minutes per address), so the
      // suite as a whole must stay under 5 wrong passwords.
      `exec ${sh(server)} --listen 127.0.0.1:${port} --public-origin ${origin} --data-dir ${sh(dataDir)}` +
        ' --sign-ups-per-hour 100000 --messages-per-minute 100000 --conversations-per-hour 100000',
    ].join(' && '),
    cwd: root,
    // Warnings and errors only, so the test summary is not buried under request logs.
    env: { LEPTOS_SITE_ROOT: path.join(root, 'target', 'site'), RUST_LOG: process.env.RUST_LOG ?? 'warn' },
    url: `${origin}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
