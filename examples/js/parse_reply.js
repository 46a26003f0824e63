// Read a structured answer out of a model's messy reply, check it, repair near-misses.
// llmkit run examples/js/parse_reply.js
import {sample} from "./lib/replies.js";

const schema = {
  type: "object",
  properties: {city: {type: "string"}, population: {type: "integer"}},
  required: ["city", "population"],
};

const answer = await Schema.coerce(await Output.extractJson(sample), schema);
const check = await Schema.validate(answer, schema);
if (!check.valid) throw new Error("the reply does not fit: " + JSON.stringify(check.errors));
print(`${answer.city} has ${answer.population} inhabitants`);
return answer;
