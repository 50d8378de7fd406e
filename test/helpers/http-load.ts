import http from "node:http";

/** GET `path` (default /) and resolve with the body of a 200 answer; reject on anything else. */
export function get(
  port: number,
  options: { agent?: http.Agent | false; path?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: "127.0.0.1", port, path: options.path ?? "/", agent: options.agent ?? false },
      (response) => {
        let body = "";
        response.on("data", (d) => (body += d));
        response.on("end", () =>
          response.statusCode === 200 ? resolve(body) : reject(new Error(`status ${response.statusCode}`)),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
  });
}

/**
 * Clients sending requests one after another until `stop()`: half of them on one keep-alive
 * connection each (reopened when the server closes it), half on a new connection per request.
 */
export function steadyLoad(port: number, clients: number) {
  const failures: string[] = [];
  const answers = new Map<string, number>();
  let running = true;
  const agents: http.Agent[] = [];
  const loops = Array.from({ length: clients }, async (_, i) => {
    const agent = i % 2 === 0 ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
    if (agent) agents.push(agent);
    while (running) {
      try {
        const name = await get(port, { agent });
        answers.set(name, (answers.get(name) ?? 0) + 1);
      } catch (err) {
        failures.push(`${agent ? "keep-alive" : "new connection"}: ${(err as Error).message}`);
      }
    }
  });
  return {
    failures,
    answers,
    count: () => [...answers.values()].reduce((a, b) => a + b, 0),
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
    },
  };
}
