// Drives a running mockapi with the Vercel AI SDK (`ai` + `@ai-sdk/openai`): generateText and streamText through
// the chat provider (which sends stream_options) and the default Responses provider, and a tool call that runs
// to a final answer; prints what it saw as one JSON line.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";

const openai = createOpenAI({ baseURL: process.argv[2], apiKey: "sk-node-ai-sdk" });
const out = {};
const prompt = "Tell me a story about a lighthouse.";

async function both(model) {
  const whole = await generateText({ model, prompt });
  const streamed = streamText({ model, prompt });
  let pieces = 0, text = "";
  for await (const piece of streamed.textStream) {
    pieces += 1;
    text += piece;
  }
  const usage = await streamed.usage;
  return {
    text: whole.text, finish: whole.finishReason, usage: [whole.usage.inputTokens, whole.usage.outputTokens],
    streamed: text, pieces, streamedUsage: [usage.inputTokens, usage.outputTokens],
    streamedFinish: await streamed.finishReason,
  };
}
out.chat = await both(openai.chat("gpt-4o"));
out.responses = await both(openai("gpt-4.1"));

const cities = [];
const tools = {
  get_weather: tool({
    description: "Get the current weather in a city",
    inputSchema: jsonSchema({
      type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false,
    }),
    execute: async ({ city }) => { cities.push(city); return `Sunny in ${city}, 24C`; },
  }),
};
async function toolRun(model, question) {
  const first = await generateText({ model, prompt: question, tools });
  const run = await generateText({ model, prompt: question, tools, stopWhen: stepCountIs(3) });
  return {
    calls: first.toolCalls.map((c) => [c.toolName, c.input]), firstFinish: first.finishReason,
    steps: run.steps.length, text: run.text,
  };
}
out.chatTools = await toolRun(openai.chat("gpt-4o"), "What is the weather in Lisbon?");
out.responsesTools = await toolRun(openai("gpt-4.1"), "What is the weather in Oslo?");
out.cities = cities;
console.log(JSON.stringify(out));
