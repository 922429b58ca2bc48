import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ACCESS_LOG_FORMAT } from "../../../src/deploy/analysis/access-log.js";
import { renderUpstream } from "../../../src/deploy/routers/nginx.js";
import { waitForGeneration } from "../../../src/deploy/routers/nginx-live.js";
import { freePort, stopChild } from "./processes.js";

/** A real nginx with its own prefix on a loopback port, proxying to the upstream Portcullis writes. */
export interface TestNginx {
  port: number;
  url: string;
  dir: string;
  confFile: string;
  upstreamFile: string;
  /** The location returning the live weights nginx serves (`nginx_live_url`). */
  liveUrl: string;
  /** Access log in the portcullis log_format (`nginx_access_log`). */
  accessLog: string;
  testCmd: string;
  reloadCmd: string;
  stop(): Promise<void>;
}

export const UPSTREAM = "portcullis_backend";

export async function startNginx(dir: string, servers: { blue: string; green: string }): Promise<TestNginx> {
  const port = await freePort();
  for (const sub of ["conf", "logs", "temp"]) await mkdir(path.join(dir, sub), { recursive: true });
  const confFile = path.join(dir, "conf", "nginx.conf");
  const upstreamFile = path.join(dir, "conf", "upstream.conf");
  const generation = `test-start-${randomBytes(4).toString("hex")}`;
  await writeFile(upstreamFile, renderUpstream(UPSTREAM, servers, { blue: 100, green: 0 }, generation));
  await writeFile(confFile, config(dir, port, upstreamFile));
  const base = `nginx -p ${dir}/ -c ${confFile} -e ${path.join(dir, "logs", "error.log")}`;
  const child: ChildProcess = spawn(
    "nginx",
    ["-p", `${dir}/`, "-c", confFile, "-e", path.join(dir, "logs", "error.log"), "-g", "daemon off;"],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  // The port was free when picked, not necessarily when nginx bound it: what answers must be this
  // nginx, serving this include.
  const liveUrl = `http://127.0.0.1:${port}/portcullis/weights`;
  const seen = await waitForGeneration(liveUrl, generation, 10_000);
  if (!seen.settled) {
    const exited = child.exitCode === null ? "" : ` (nginx exited ${child.exitCode}: is the port taken?)`;
    await stopChild(child, "SIGQUIT");
    throw new Error(
      `the nginx started on port ${port} does not serve its include${exited}: ${seen.error ?? JSON.stringify(seen.live)}`,
    );
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    confFile,
    upstreamFile,
    liveUrl,
    accessLog: path.join(dir, "logs", "access.log"),
    testCmd: `${base} -t`,
    reloadCmd: `${base} -s reload`,
    stop: () => stopChild(child, "SIGQUIT"),
  };
}

/** Breaks the main config so that `nginx -t` fails; returns the restore function. */
export async function breakConfig(nginx: TestNginx): Promise<() => Promise<void>> {
  const original = await readFile(nginx.confFile, "utf8");
  await writeFile(nginx.confFile, original.replace("http {", "http {\n    portcullis_no_such_directive on;"));
  return () => writeFile(nginx.confFile, original);
}

function config(dir: string, port: number, upstreamFile: string): string {
  const temp = (name: string): string => `    ${name}_temp_path ${path.join(dir, "temp", name)};`;
  return [
    // Workers would otherwise run as nobody, unable to enter the test's private temp folder.
    ...(process.getuid?.() === 0 ? ["user root;"] : []),
    "worker_processes 1;",
    `pid ${path.join(dir, "logs", "nginx.pid")};`,
    `error_log ${path.join(dir, "logs", "error.log")} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    `    ${ACCESS_LOG_FORMAT}`,
    `    access_log ${path.join(dir, "logs", "access.log")} portcullis;`,
    temp("client_body"),
    temp("proxy"),
    temp("fastcgi"),
    temp("uwsgi"),
    temp("scgi"),
    `    include ${upstreamFile};`,
    "    server {",
    `        listen 127.0.0.1:${port};`,
    "        location = /portcullis/weights {",
    "            access_log off;",
    `            return 200 "$${UPSTREAM}_weights\\n";`,
    "        }",
    "        location / {",
    `            proxy_pass http://${UPSTREAM};`,
    "            proxy_http_version 1.1;",
    '            proxy_set_header Connection "";',
    "        }",
    "    }",
    "}",
    "",
  ].join("\n");
}
