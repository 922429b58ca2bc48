/**
 * The blue-green commands' argv: pure, no engine.
 */
import { describe, expect, it } from "vitest";
import { defaultStateRef, deployCommand, rollbackCommand, statusCommand } from "../src/deploy.js";

const target = { env: "production", stateGitRef: undefined, actor: undefined, settings: undefined };
const request = {
  ...target,
  release: "1.4.2",
  commit: undefined,
  commitTime: undefined,
  gateReport: true,
  force: false,
  reason: undefined,
};

describe("deploy's argv", () => {
  it("needs a gate report, or force with a reason, before anything starts", () => {
    expect(() => deployCommand({ ...request, gateReport: false })).toThrow(/needs the gate report/);
    expect(() => deployCommand({ ...request, gateReport: false, force: true })).toThrow(/force needs a reason/);
    expect(deployCommand({ ...request, gateReport: false, force: true, reason: "hotfix for the outage" })).toEqual([
      "deploy",
      "--release",
      "1.4.2",
      "--force",
      "--reason=hotfix for the outage",
      "--env",
      "production",
      "--state-git-ref",
      "refs/portcullis/production",
    ]);
  });

  it("passes deploy: settings as one --kebab-case=value token, so a value is never read as an option", () => {
    const argv = deployCommand({
      ...request,
      actor: "octocat",
      settings: ["bake=45s", "manual_promotion", "deploy_hook=./deploy.sh --slot {slot}", "max-p95=-1ms"],
    });
    expect(argv.slice(-6)).toEqual([
      "--actor",
      "octocat",
      "--bake=45s",
      "--manual-promotion",
      "--deploy-hook=./deploy.sh --slot {slot}",
      "--max-p95=-1ms",
    ]);
  });

  it.each([
    ["a setting that is not key=value", { settings: ["--bake=45s"] }, /is not key=value/],
    ["a release read as an option", { release: "--help" }, /release "--help" cannot be passed/],
    ["a commit with a space", { commit: "4f1e2d3 --force" }, /commit "4f1e2d3 --force" cannot be passed/],
    ["a setting value with a newline", { settings: ["deploy_hook=a\nb"] }, /control characters/],
  ] as const)("refuses %s", (_name, change, message) => {
    expect(() => deployCommand({ ...request, ...change })).toThrow(message);
  });
});

describe("rollback's and status' argv", () => {
  it("rollback: --to-previous and the reason only when given", () => {
    expect(rollbackCommand(target, false, undefined)).toEqual([
      "rollback",
      "--env",
      "production",
      "--state-git-ref",
      "refs/portcullis/production",
    ]);
    expect(rollbackCommand(target, true, "errors after release").slice(0, 3)).toEqual([
      "rollback",
      "--to-previous",
      "--reason=errors after release",
    ]);
  });

  it("status: text or json, nothing else", () => {
    expect(statusCommand(target, "text").slice(0, 3)).toEqual(["status", "--format", "text"]);
    expect(() => statusCommand(target, "yaml")).toThrow(/not text or json/);
  });
});

describe("the state ref", () => {
  it("is one per environment name, and must be given for a policy file", () => {
    expect(defaultStateRef("staging")).toBe("refs/portcullis/staging");
    expect(() => defaultStateRef("deploy/prod.yml")).toThrow(/give stateGitRef/);
    expect(statusCommand({ ...target, env: "deploy/prod.yml", stateGitRef: "refs/portcullis/prod" }, "text")).toContain(
      "refs/portcullis/prod",
    );
  });
});
