// Preloaded with `node --import ./bench/max-rss.mjs …`: when the process exits, whatever it ran,
// writes its peak resident set size (bytes) and CPU time (ms) as JSON to the file named by
// PORTCULLIS_BENCH_RSS_FILE.
import { writeFileSync } from "node:fs";
import process from "node:process";

const target = process.env.PORTCULLIS_BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    // maxRSS is in kilobytes, CPU times in microseconds.
    const figures = { rssBytes: usage.maxRSS * 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 };
    writeFileSync(target, JSON.stringify(figures));
  });
}
