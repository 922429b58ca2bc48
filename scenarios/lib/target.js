// What every scenario requests and checks: BASE_URL plus the paths in PATHS, each checked on
// status and body. Kept free of k6 imports' side effects so the scenarios stay small.
import http from "k6/http";
import { check } from "k6";

/**
 * @param {Record<string, string | undefined>} env k6's __ENV
 * @returns {{ baseUrl: string, paths: string[], expectedStatus: number, expectedBody: string | undefined }}
 */
export function targetFromEnv(env) {
  const baseUrl = env["BASE_URL"];
  if (baseUrl === undefined || baseUrl === "") {
    throw new Error("BASE_URL is not set: run k6 with -e BASE_URL=http://host:port (Portcullis sets it from --target)");
  }
  const paths = (env["PATHS"] ?? "/")
    .split(",")
    .map((path) => path.trim())
    .filter((path) => path !== "");
  return {
    baseUrl: baseUrl.replace(/\/+$/, ""),
    paths: paths.length === 0 ? ["/"] : paths,
    expectedStatus: Number(env["EXPECTED_STATUS"] ?? "200"),
    expectedBody: env["EXPECTED_BODY"],
  };
}

/**
 * One request per configured path, each checked.
 * @param {ReturnType<typeof targetFromEnv>} target
 */
export function hitEveryPath(target) {
  for (const path of target.paths) {
    const response = http.get(`${target.baseUrl}${path.startsWith("/") ? path : `/${path}`}`, {
      tags: { name: path },
    });
    check(response, {
      [`${path}: status is ${target.expectedStatus}`]: (r) => r.status === target.expectedStatus,
      [`${path}: body is not empty`]: (r) => typeof r.body === "string" && r.body.length > 0,
      ...(target.expectedBody === undefined
        ? {}
        : {
            [`${path}: body contains the expected text`]: (r) =>
              typeof r.body === "string" && r.body.includes(/** @type {string} */ (target.expectedBody)),
          }),
    });
  }
}
