// Types for the pinned k6 jslib module, which tsc cannot fetch.
declare module "https://jslib.k6.io/k6-summary/0.0.2/index.js" {
  export function textSummary(data: object, options?: { indent?: string; enableColors?: boolean }): string;
}
