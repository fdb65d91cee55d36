// Playwright drives the browser host in Debian's Chromium (`apt-get install -y chromium`).
// One worker: the specs train real models and the machine has two cores.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../e2e-artifacts/results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Training a real model on a few hundred documents takes minutes on a busy two-core machine.
  timeout: 15 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 900 },
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] },
  },
});
