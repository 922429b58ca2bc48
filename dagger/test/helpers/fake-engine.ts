/**
 * A stand-in for the Dagger engine's GraphQL API, for the few module functions that must read a
 * value (an exit code, a file, a flag) before they can return. It answers the SDK's own queries:
 * object IDs for nested arguments, and whatever `answer` returns for the rest. No engine, no
 * network: it is installed as the GraphQL client of the SDK's global connection (the one `dag`
 * uses) and removed again with `close()`.
 */
import { createServer } from "node:http";
import { dag } from "@dagger.io/dagger";
import { GraphQLError } from "graphql";
import { ClientError } from "graphql-request";
import { z } from "zod";

/**
 * Answers one query, given as its GraphQL text: a value, `{ execError }` for an exec the engine
 * reports as failed with that exit code (as it does for one killed by a signal; `cmd` is the failed
 * exec's command, by default the query's last), or undefined for a query the test did not expect
 * (the call fails).
 */
export type Answer = (
  query: string,
) => string | number | boolean | readonly { id: string }[] | { execError: number; cmd?: readonly string[] } | undefined;

export interface FakeEngine {
  /** Every query sent, in order (GraphQL text, whitespace collapsed). */
  queries: string[];
  close(): void;
}

/** The SDK sends its queries through graphql-request's `gql` tag, which yields the text itself. */
const Query = z.string();

export function fakeEngine(answer: Answer): FakeEngine {
  // The connection `dag` (and every object built from it) sends its queries through.
  const connection: unknown = Reflect.get(Reflect.get(dag, "_ctx") ?? {}, "_connection");
  const call = (method: string, ...args: unknown[]): void => {
    const fn: unknown =
      typeof connection === "object" && connection !== null ? Reflect.get(connection, method) : undefined;
    if (typeof fn !== "function") throw new Error(`the SDK's connection has no ${method}(): has the SDK changed?`);
    Reflect.apply(fn, connection, args);
  };
  const queries: string[] = [];
  let ids = 0;
  call("setGQLClient", {
    request: (document: unknown): Promise<{ value: unknown }> => {
      const query = Query.parse(document).replace(/\s+/g, " ").trim();
      queries.push(query);
      const value = answer(query);
      if (value === undefined) {
        // A nested object becomes an argument by its ID: the SDK asks for `… { id }` first.
        if (/ id (\} )*\}$/.test(query)) return Promise.resolve({ value: `ID${(ids += 1)}` });
        return Promise.reject(new Error(`the fake engine was not told how to answer: ${query}`));
      }
      if (typeof value === "object" && "execError" in value) return Promise.reject(execError(value, query));
      return Promise.resolve({ value });
    },
  });
  return { queries, close: () => call("resetClient") };
}

// --- internal ---

/**
 * The error the engine's API returns for a failed exec, which the SDK turns into an ExecError: the
 * extensions of core/exec_error.go, `cmd` the failed exec's arguments.
 */
function execErrorBody(
  failed: { execError: number; cmd?: readonly string[] },
  query: string,
): { message: string; extensions: Record<string, unknown> } {
  const cmd = failed.cmd ?? lastExecArgs(query);
  return {
    message: `process "${cmd.join(" ")}" did not complete successfully: exit code: ${failed.execError}`,
    extensions: { _type: "EXEC_ERROR", exitCode: failed.execError, cmd, stdout: "", stderr: "" },
  };
}

function execError(failed: { execError: number; cmd?: readonly string[] }, query: string): ClientError {
  const { message, extensions } = execErrorBody(failed, query);
  return new ClientError(
    { status: 200, headers: new Headers(), body: "", errors: [new GraphQLError(message, { extensions })] },
    { query },
  );
}

/** The arguments of the query's last `withExec`, as the SDK wrote them (a JSON array of strings). */
function lastExecArgs(query: string): string[] {
  const found = [...query.matchAll(/withExec \(args: (\[(?:"(?:[^"\\]|\\.)*",?)*\])/g)].at(-1)?.[1];
  return found === undefined ? [] : z.array(z.string()).parse(JSON.parse(found));
}

/** A fake engine served over HTTP, where the SDK's own GraphQL client connects (DAGGER_SESSION_PORT). */
export interface ServedFakeEngine extends FakeEngine {
  /** The environment a process needs to connect to it, as the engine gives a module's runtime. */
  env: { DAGGER_SESSION_PORT: string; DAGGER_SESSION_TOKEN: string };
}

/**
 * The same engine as `fakeEngine`, behind the HTTP endpoint the SDK's GraphQL client posts to
 * (`http://127.0.0.1:$DAGGER_SESSION_PORT/query`, common/graphql/client.js in the SDK), so a
 * module loaded in another process talks to it exactly as to a real engine session.
 */
export async function serveFakeEngine(answer: Answer): Promise<ServedFakeEngine> {
  const queries: string[] = [];
  let ids = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = GraphQLBody.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      const query = body.query.replace(/\s+/g, " ").trim();
      queries.push(query);
      response.setHeader("content-type", "application/json");
      // The engine's schema declares `node(id: ID!)`: a null ID (which the SDK drops from the query) is invalid.
      if (/\bnode \{/.test(query)) {
        const message = 'Field "node" argument "id" of type "ID!" is required, but it was not provided.';
        response.end(JSON.stringify({ data: null, errors: [{ message }] }));
        return;
      }
      const value = answer(query) ?? (/ id (\} )*\}$/.test(query) ? `ID${(ids += 1)}` : undefined);
      if (value === undefined) {
        response.end(
          JSON.stringify({ data: null, errors: [{ message: `the fake engine was not told how to answer: ${query}` }] }),
        );
      } else if (typeof value === "object" && "execError" in value) {
        response.end(JSON.stringify({ data: null, errors: [execErrorBody(value, query)] }));
      } else {
        response.end(JSON.stringify({ data: { value } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the fake engine has no TCP address");
  return {
    queries,
    env: { DAGGER_SESSION_PORT: String(address.port), DAGGER_SESSION_TOKEN: "fake-engine-token" },
    close: () => {
      server.close();
    },
  };
}

const GraphQLBody = z.looseObject({ query: z.string() });
