// Drives a running mockapi's chat completions of today with the official Node SDK: tools, a streamed tool
// call with usage, and runTools to a final answer; prints what it saw as one JSON line.
import OpenAI from "openai";
const client = new OpenAI({ baseURL: process.argv[2], apiKey: "sk-node" });
const out = {};
const parameters = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
  additionalProperties: false,
};
const tools = [{ type: "function", function: { name: "get_weather", description: "The weather in a city", parameters, strict: true } }];
const messages = [{ role: "user", content: "What is the weather in Lisbon?" }];

const called = await client.chat.completions.create({ model: "gpt-4o", messages, tools });
const call = called.choices[0].message.tool_calls[0];
out.call = [called.choices[0].finish_reason, call.function.name, call.function.arguments, call.id.startsWith("call_")];

const stream = await client.chat.completions.create({
  model: "gpt-4o", messages, tools, stream: true, stream_options: { include_usage: true },
});
let args = "", firsts = 0, pieces = 0, usage = null, finish = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  finish = choice.finish_reason ?? finish;
  for (const delta of choice.delta.tool_calls ?? []) {
    pieces += 1;
    if (delta.id) firsts += 1;
    args += delta.function?.arguments ?? "";
  }
}
out.stream = [args, firsts, pieces > 2, finish, usage?.total_tokens === called.usage.total_tokens];

const seen = [];
const runner = client.chat.completions.runTools({
  model: "gpt-4.1-mini",
  messages,
  tools: [{
    type: "function",
    function: {
      name: "get_weather",
      description: "The weather in a city",
      parameters,
      parse: JSON.parse,
      function: ({ city }) => { seen.push(city); return { city, sky: "sunny" }; },
    },
  }],
});
out.runTools = [await runner.finalContent(), seen, runner.messages.length];
console.log(JSON.stringify(out));
