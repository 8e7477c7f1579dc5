// Drives a running mockapi's Responses API with the official Node SDK; prints what it saw as one JSON line.
import OpenAI from "openai";
const client = new OpenAI({ baseURL: process.argv[2], apiKey: "sk-node-responses" });
const out = {};
const made = await client.responses.create({ model: "gpt-4o", input: "Tell me about tides.", instructions: "Be brief." });
out.text = made.output_text;
out.usage = [made.usage.input_tokens, made.usage.output_tokens];
const tools = [{ type: "function", name: "get_weather", description: "Get the weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: true }];
const called = await client.responses.create({ model: "gpt-4o", input: "What is the weather in Lima?", tools });
const call = called.output[0];
out.call = [call.type, call.name, JSON.parse(call.arguments)];
const answered = await client.responses.create({ model: "gpt-4o", previous_response_id: called.id, tools,
  input: [{ type: "function_call_output", call_id: call.call_id, output: "Cloudy, 18C" }] });
out.answer = answered.output_text;
const stream = client.responses.stream({ model: "gpt-4o", input: "Tell me about tides.", instructions: "Be brief." });
let deltas = ""; const numbers = [];
stream.on("response.output_text.delta", (event) => { deltas += event.delta; });
for await (const event of stream) numbers.push(event.sequence_number);
const final = await stream.finalResponse();
out.stream = [deltas, final.output_text, numbers.every((n, i) => n === i)];
try { await client.responses.retrieve("resp_missing"); } catch (e) { out.err = [e.status, e.error?.message ?? e.message]; }
console.log(JSON.stringify(out));
