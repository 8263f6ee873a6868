// `node run-example.mjs <module> <export> <JSON array of arguments>`: calls one function an example
// module exports, as an application would, and prints what it returns as JSON (or the error it
// throws, with exit status 1).
const [file, name, args = '[]'] = process.argv.slice(2);
const example = await import(new URL(file, `file://${process.cwd()}/`).href);
try {
  const result = await example[name](...JSON.parse(args));
  process.stdout.write(`${JSON.stringify(result ?? null)}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ thrown: error.name, message: error.message })}\n`);
  process.exitCode = 1;
}
