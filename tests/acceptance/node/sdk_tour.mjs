// Drives a running mockapi with the official Node SDK; prints what it saw as one JSON line.
import OpenAI from "openai";
const client = new OpenAI({ baseURL: process.argv[2], apiKey: "sk-node" });
const out = {};
const models = await client.models.list();
out.models = models.data.length;
const chat = await client.chat.completions.create({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "Hello!" }] });
out.chat = chat.choices[0].message.content;
const stream = await client.chat.completions.create({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "Hello!" }], stream: true });
let text = ""; for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
out.stream = text;
const emb = await client.embeddings.create({ model: "text-embedding-ada-002", input: "hi" });
out.dims = emb.data[0].embedding.length;
const file = await client.files.create({ file: new File(['{"prompt":"a","completion":"b"}\n'], "d.jsonl"), purpose: "fine-tune" });
out.file = [file.bytes, (await (await client.files.content(file.id)).text())];
try { await client.models.retrieve("gpt-9"); } catch (e) { out.err = [e.status, e.error?.code ?? e.code]; }
console.log(JSON.stringify(out));
