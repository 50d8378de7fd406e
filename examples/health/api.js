// An HTTP API behind pup's load balancer: each instance listens on its own PORT and answers
// /health with 200 (or 503 while a file named "maintenance" exists in this folder).
import { existsSync } from "node:fs";
import http from "node:http";

const port = Number(process.env.PORT ?? 8100);
http
  .createServer((req, res) => {
    if (req.url === "/health") {
      const down = existsSync(new URL("./maintenance", import.meta.url));
      res.writeHead(down ? 503 : 200).end(down ? "maintenance\n" : "ok\n");
      return;
    }
    res.end(`hello from ${process.env.PUP_PROCESS_ID} on port ${port}\n`);
  })
  .listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
