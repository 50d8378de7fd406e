// Stands in for a database: takes a moment to start, then accepts connections on DB_PORT.
import net from "node:net";

const port = Number(process.env.DB_PORT ?? 8091);
setTimeout(() => {
  net
    .createServer((socket) => socket.on("error", () => {}).end("ok\n"))
    .listen(port, "127.0.0.1", () => console.log(`db ready on ${port}`));
}, 1500);
