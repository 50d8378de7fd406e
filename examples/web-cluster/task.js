// A short task of the cluster example: says what it does, and succeeds.
const task = process.argv[2] ?? "task";
console.log(`${task}: done at ${new Date().toISOString()}`);
