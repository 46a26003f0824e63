// An agent on the default model (local:smollm2, offline): llmkit run examples/js/agent.js
// `llmkit run examples/js/agent.js QUESTION MODEL` asks another model (provider:model).
const agent = await Agent.create({
  name: "helper",
  instructions: "You are a helpful assistant. Answer in one short sentence.",
  model: ARGS[1] ?? null,
  limits: {max_steps: 2},
});
const answer = await agent.run(ARGS[0] ?? "What is the capital of France?");
print(answer);
return answer;
