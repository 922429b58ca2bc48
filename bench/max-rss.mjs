// Preloaded with `node --import ./bench/max-rss.mjs …`: writes the process's peak resident set size
// (bytes) to the file named by PORTCULLIS_BENCH_RSS_FILE when the process exits, whatever it ran.
import { writeFileSync } from "node:fs";
import process from "node:process";

const target = process.env.PORTCULLIS_BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    // resourceUsage().maxRSS is in kilobytes.
    writeFileSync(target, String(process.resourceUsage().maxRSS * 1024));
  });
}
