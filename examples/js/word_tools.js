// Tools written in JavaScript for any llmkit agent:
//   Toolset.from_script("examples/js/word_tools.js")
// Run directly, it checks them: llmkit run examples/js/word_tools.js "some text"
await Tool.define({
  name: "word_count",
  description: "Count the words in a text",
  params: {type: "object", properties: {text: {type: "string"}}, required: ["text"]},
  fn: ({text}) => text.split(/\s+/).filter(Boolean).length,
});

await Tool.define({
  name: "title_case",
  description: "Capitalize every word of a text",
  params: {type: "object", properties: {text: {type: "string"}}, required: ["text"]},
  fn: ({text}) => text.replace(/\w\S*/g, word => word[0].toUpperCase() + word.slice(1).toLowerCase()),
});

const text = ARGS[0] ?? "the quick brown fox";
print(await Tool.call("title_case", {text}));
return await Tool.call("word_count", {text});
