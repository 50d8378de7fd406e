// The web server of the cluster example: answers with a greeting, and /health for the probes.
// It listens on every address: pup's balancer reaches it on 127.0.0.1, a Kubernetes Service on
// the pod's own address.
import http from "node:http";

// PORT is each instance's own port (startPort + n), under pup and in a pod alike.
const port = Number(process.env.PORT ?? 3001);
http
  .createServer((req, res) => {
    if (req.url === "/health") {
      res.end("ok\n");
      return;
    }
    res.end(`${process.env.GREETING ?? "hello"} from ${process.env.PUP_PROCESS_ID ?? "web"}\n`);
  })
  .listen(port, () => console.log(`listening on port ${port}`));
