// A tiny HTTP server for the basic example: answers every request with a greeting.
import http from "node:http";

const port = Number(process.env.PORT ?? 8080);
let requests = 0;
http
  .createServer((_req, res) => {
    requests++;
    res.end(`hello from ${process.env.PUP_PROCESS_ID ?? "web"} (request ${requests})\n`);
  })
  .listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}`));
