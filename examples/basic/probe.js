// Asks the example web server for its greeting and prints it (or why it could not).
const port = Number(process.env.PORT ?? 8080);
try {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  process.stdout.write((await res.text()).trim());
} catch (err) {
  process.stdout.write(`no answer (${err.cause?.code ?? err.message})`);
}
