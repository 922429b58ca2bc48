import { chromium, type Browser } from "playwright-core";

/** The system Chromium the browser tests and the benchmark drive (Debian's `chromium` package). */
export const CHROMIUM = process.env["PORTCULLIS_CHROMIUM"] ?? "/usr/bin/chromium";

// Flags for a closed network and a root user: no background services that would try to connect.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A headless Chromium, or an error naming the binary and the install command. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }).catch((error: unknown) => {
    throw new Error(`cannot start Chromium at ${CHROMIUM} (apt-get install -y chromium): ${String(error)}`);
  });
}
