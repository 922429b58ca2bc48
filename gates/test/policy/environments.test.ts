import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";
import { POLICY_JSON_SCHEMA_COMMAND, POLICY_JSON_SCHEMA_FILE, policyJsonSchema } from "../../src/policy/json-schema.js";
import { parsePolicy } from "../../src/policy/parse-policy.js";
import {
  GATE_NAMES,
  VULNERABILITIES_ONLY_KEYS,
  type EnvironmentPolicy,
  type GateName,
} from "../../src/policy/schema.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const ENVIRONMENTS = ["development", "staging", "production"] as const;

function shipped(name: string): { text: string; policy: EnvironmentPolicy } {
  const file = `environments/${name}.yml`;
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return { text, policy: parsePolicy(text, file) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function gatesIn(policy: EnvironmentPolicy, mode: "mandatory" | "advisory"): GateName[] {
  return GATE_NAMES.filter((gate) => policy.gates[gate].enabled && policy.gates[gate].mode === mode);
}

describe("environments/schema.json", () => {
  it("is the JSON Schema generated from the zod schema", () => {
    const committed: unknown = JSON.parse(readFileSync(path.join(ROOT, POLICY_JSON_SCHEMA_FILE), "utf8"));
    expect(
      committed,
      `${POLICY_JSON_SCHEMA_FILE} is out of date: regenerate it with \`${POLICY_JSON_SCHEMA_COMMAND}\``,
    ).toEqual(policyJsonSchema());
  });

  it("describes every key and forbids unknown ones, so editors complete and flag them", () => {
    const undocumented: string[] = [];
    const open: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (Array.isArray(node)) node.forEach((item, index) => visit(item, `${at}[${index}]`));
      if (!isRecord(node)) return;
      const properties = node["properties"];
      if (isRecord(properties)) {
        if (node["additionalProperties"] !== false) open.push(at);
        for (const [key, property] of Object.entries(properties)) {
          if (!isRecord(property) || typeof property["description"] !== "string") undocumented.push(`${at}.${key}`);
        }
      }
      for (const [key, child] of Object.entries(node)) visit(child, key === "properties" ? at : `${at}/${key}`);
    };
    visit(policyJsonSchema(), "(root)");
    expect(undocumented, "keys without .describe()").toEqual([]);
    expect(open, "objects without .strict()").toEqual([]);
  });

  it("offers a gate the vulnerabilities-only keys exactly where a policy may set them", () => {
    const samples = { only_fixable: true, max_db_age: "24h" } as const;
    const gates = (
      policyJsonSchema()["properties"] as { gates: { properties: Record<string, { properties: object }> } }
    ).gates.properties;
    for (const gate of GATE_NAMES.filter((name) => name !== "performance")) {
      for (const key of VULNERABILITIES_ONLY_KEYS) {
        const text = yaml.dump({ name: "x", gates: { [gate]: { [key]: samples[key] } } });
        const accepted = (() => {
          try {
            parsePolicy(text, "x.yml");
            return true;
          } catch {
            return false;
          }
        })();
        expect(key in gates[gate]!.properties, `gates.${gate}.${key} offered`).toBe(accepted);
        expect(accepted).toBe(gate === "vulnerabilities");
      }
    }
  });
});

describe.each(ENVIRONMENTS)("environments/%s.yml", (name) => {
  it("is valid, named after its file, and points editors at the schema", () => {
    const { text, policy } = shipped(name);
    expect(policy.name).toBe(name);
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./schema.json");
  });

  it("applies the issue's thresholds", () => {
    const { gates } = shipped(name).policy;
    expect(gates.secrets.max_findings).toBe(0);
    expect(gates.framework_integrity.max_findings).toBe(0);
    expect(gates.vulnerabilities.max).toMatchObject({ critical: 0, high: 0 });
    expect(gates.sast.max.high).toBe(0);
    expect(gates.performance).toMatchObject({
      max_p95: "200ms",
      max_p99: "500ms",
      max_error_rate: 0.001,
      min_checks_rate: 0.99,
    });
    expect(gates.performance.min_requests).toBeGreaterThan(0);
    expect(gates.documentation.mode).toBe("advisory");
  });
});

describe("the three environments follow the pipeline design", () => {
  it.each([
    {
      name: "development",
      mandatory: ["framework_integrity", "secrets"],
      advisory: ["documentation", "vulnerabilities", "sast", "performance", "compliance"],
      allowMandatoryBypass: true,
    },
    {
      name: "staging",
      mandatory: ["framework_integrity", "secrets", "vulnerabilities", "sast", "performance"],
      advisory: ["documentation", "compliance"],
      allowMandatoryBypass: false,
    },
    {
      name: "production",
      mandatory: ["framework_integrity", "secrets", "vulnerabilities", "sast", "performance", "compliance"],
      advisory: ["documentation"],
      allowMandatoryBypass: false,
    },
  ])("$name", ({ name, mandatory, advisory, allowMandatoryBypass }) => {
    const { policy } = shipped(name);
    expect(gatesIn(policy, "mandatory")).toEqual(mandatory);
    expect(gatesIn(policy, "advisory")).toEqual(advisory);
    expect(policy.bypass.allow_mandatory).toBe(allowMandatoryBypass);
  });

  it("never loosens a threshold from development to staging to production", () => {
    const [development, staging, production] = ENVIRONMENTS.map((name) => shipped(name).policy);
    for (const [looser, stricter] of [
      [development, staging],
      [staging, production],
    ] as const) {
      if (looser === undefined || stricter === undefined) throw new Error("missing environment");
      for (const gate of GATE_NAMES) {
        if (looser.gates[gate].mode === "mandatory") expect(stricter.gates[gate].mode, gate).toBe("mandatory");
      }
      expect(stricter.waivers.max_days).toBeLessThanOrEqual(looser.waivers.max_days);
      expect(Number(stricter.gates.vulnerabilities.only_fixable)).toBeLessThanOrEqual(
        Number(looser.gates.vulnerabilities.only_fixable),
      );
    }
  });
});

describe("UNKNOWN-severity vulnerabilities (docs/policy.md)", () => {
  const docs = readFileSync(path.join(ROOT, "docs", "policy.md"), "utf8");
  const section = docs.slice(docs.indexOf("**UNKNOWN severity does not block by default.**"));
  const snippet = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const documentedMax = (): unknown => {
    const parsed: unknown = yaml.load(snippet);
    if (!isRecord(parsed) || !isRecord(parsed["gates"]) || !isRecord(parsed["gates"]["vulnerabilities"]))
      return undefined;
    return parsed["gates"]["vulnerabilities"]["max"];
  };
  const judged = (policy: EnvironmentPolicy) => {
    const unknownSeverity = finding("trivy", { ruleId: "GMS-2022-20", severity: "unknown" });
    const runs = cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", [unknownSeverity]) : run));
    const verdict = evaluate(input({ runs, policy })).report.verdicts.find((v) => v.gate === "vulnerabilities");
    return verdict?.status;
  };

  it.each(["staging", "production"])(
    "%s lets them through as shipped; the documented one added line blocks them",
    (name) => {
      const { text, policy } = shipped(name);
      expect(judged(policy)).toBe("warn");
      const max = documentedMax();
      expect(max).toEqual({ ...policy.gates.vulnerabilities.max, unknown: 0 });
      const document: unknown = yaml.load(text);
      if (!isRecord(document) || !isRecord(document["gates"]) || !isRecord(document["gates"]["vulnerabilities"])) {
        throw new Error(`${name}.yml has no gates.vulnerabilities`);
      }
      document["gates"]["vulnerabilities"]["max"] = max;
      expect(judged(parsePolicy(yaml.dump(document), `${name}.yml`))).toBe("fail");
    },
  );
});
