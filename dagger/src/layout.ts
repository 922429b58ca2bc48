/**
 * Where things live inside the containers the module builds. The argv in tools.gen.ts are generated
 * against these paths, so a change here needs `npx tsx dagger/scripts/generate-tools.ts` (a test fails otherwise).
 */
export const LAYOUT = {
  /** The scanned tree, and the working directory of every scan (paths in reports stay relative). */
  source: "/src",
  /** A checkout with its `.git`, for the history scan. */
  repo: "/repo",
  /** Where every tool writes its report, named by the `--reports` contract. */
  out: "/out",
  /** trivy's cache (vulnerability DB, Java DB, checks bundle), a cache volume. */
  trivyCache: "/cache/trivy",
  /** A container image saved as a tarball, for `trivy image --input`. */
  imageTar: "/input/image.tar",
  /** The k6 scenarios of Portcullis' own repository. */
  scenarios: "/scenarios",
  /** Portcullis' own repository, built, inside the node container that runs the `portcullis` CLI. */
  cli: "/opt/portcullis",
  /** The reports handed to `portcullis evaluate --reports`. */
  reports: "/reports",
  /** The gate report a deploy is judged by (`portcullis deploy --gate-report`). */
  gateReport: "/input/report.json",
  /** A deploy's credentials: an env file node loads before the CLI starts (never an env variable of the container). */
  credentials: "/run/secrets/portcullis-credentials.env",
  /** A kubeconfig for the gateway-api router, named by KUBECONFIG. */
  kubeconfig: "/run/secrets/kubeconfig",
} as const;
