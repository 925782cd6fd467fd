// Prints the figures of Lighthouse JSON reports (scripts/lighthouse.sh): one line per run,
// the median run's details, and what the median run found wanting in each category.
//
//   node end2end/lighthouse/summary.mjs run1.report.json [run2.report.json ...]
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: summary.mjs REPORT.json...');
  process.exit(2);
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (v) => (v === undefined ? '-' : `${Math.round(v)} ms`);
const score = (category) => (category?.score == null ? '-' : Math.round(category.score * 100));

function figures(report) {
  const audit = (id) => report.audits[id]?.numericValue;
  const requests = report.audits['network-requests']?.details?.items ?? [];
  // Every request of the load (page, /pkg files, server functions), as sent on the wire.
  const files = requests
    .filter((r) => r.url.startsWith('http'))
    .map((r) => ({
      name: new URL(r.url).pathname,
      transfer: r.transferSize ?? 0,
      resource: r.resourceSize ?? 0,
    }));
  return {
    performance: score(report.categories.performance),
    accessibility: score(report.categories.accessibility),
    bestPractices: score(report.categories['best-practices']),
    tbt: audit('total-blocking-time'),
    tti: audit('interactive'),
    lcp: audit('largest-contentful-paint'),
    fcp: audit('first-contentful-paint'),
    si: audit('speed-index'),
    cls: audit('cumulative-layout-shift'),
    total: audit('total-byte-weight'),
    benchmark: report.environment?.benchmarkIndex,
    files,
  };
}

const runs = files.map((f) => {
  const report = JSON.parse(readFileSync(f, 'utf8'));
  if (report.runtimeError) {
    throw new Error(`${f}: ${report.runtimeError.code}: ${report.runtimeError.message}`);
  }
  return { file: f, report, fig: figures(report) };
});

console.log(`Lighthouse ${runs[0].report.lighthouseVersion}, ${runs[0].report.configSettings.formFactor}, throttling: ${runs[0].report.configSettings.throttlingMethod}`);
console.log('run  perf  a11y  best   TBT      TTI      LCP      FCP      SI       CLS    bench');
runs.forEach(({ fig }, i) => {
  const cols = [
    String(i + 1).padEnd(4),
    String(fig.performance).padEnd(5),
    String(fig.accessibility).padEnd(5),
    String(fig.bestPractices).padEnd(6),
    ms(fig.tbt).padEnd(8),
    ms(fig.tti).padEnd(8),
    ms(fig.lcp).padEnd(8),
    ms(fig.fcp).padEnd(8),
    ms(fig.si).padEnd(8),
    (fig.cls ?? 0).toFixed(3).padEnd(6),
    Math.round(fig.benchmark ?? 0),
  ];
  console.log(cols.join(' '));
});

// The median run by performance score stands for the set.
const sorted = [...runs].sort((a, b) => a.fig.performance - b.fig.performance);
const median = sorted[Math.floor((sorted.length - 1) / 2)];
const m = median.fig;
console.log(
  `\nmedian run (${median.file}): Performance ${m.performance}, Accessibility ${m.accessibility}, ` +
    `Best Practices ${m.bestPractices}; TBT ${ms(m.tbt)}, TTI ${ms(m.tti)}, LCP ${ms(m.lcp)}`,
);
console.log(`transferred ${kb(m.total ?? 0)} in all:`);
for (const f of m.files) {
  console.log(`  ${kb(f.transfer).padStart(11)} on the wire, ${kb(f.resource).padStart(11)} raw  ${f.name}`);
}

// Where the main thread went (what Total Blocking Time is made of), at the simulated CPU.
const work = median.report.audits['mainthread-work-breakdown']?.details?.items ?? [];
console.log(`main thread: ${work.map((w) => `${w.groupLabel} ${ms(w.duration)}`).join(', ')}`);
const longTasks = median.report.audits['long-tasks']?.details?.items ?? [];
for (const t of longTasks.slice(0, 8)) {
  console.log(`  long task ${ms(t.duration).padStart(7)} at ${ms(t.startTime).padStart(7)}  ${t.url}`);
}

// What each category found wanting: scored audits below full marks.
for (const [id, category] of Object.entries(median.report.categories)) {
  const wanting = category.auditRefs
    .map((ref) => ({ ref, audit: median.report.audits[ref.id] }))
    .filter(({ ref, audit }) => ref.weight > 0 && audit.score !== null && audit.score < 1);
  if (wanting.length === 0) continue;
  console.log(`\n${id}:`);
  for (const { audit } of wanting) {
    const shown = audit.displayValue ? ` (${audit.displayValue})` : '';
    console.log(`  ${Math.round(audit.score * 100).toString().padStart(3)}  ${audit.title}${shown}`);
  }
}
