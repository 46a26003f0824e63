// The small helpers every script has: ARGS, print, console (Python logging), JSON, log.
// llmkit run examples/js/helpers.js "a b c"
const words = (ARGS[0] ?? "").split(" ").filter(Boolean);
console.info("counting", words.length, "words");
await log.info(`script got ${words.length} words`);
const encoded = await JSON.encode({words, count: words.length}, 2);
print(encoded);
return JSON.parse(encoded).count;
