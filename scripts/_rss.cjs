// Preloaded by the benchmark (`node -r scripts/_rss.cjs ...`): records the process's peak RSS.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
