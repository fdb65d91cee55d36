// Minority examples written by a local language model: Ollama, llama.cpp's server and LM Studio all speak the
// OpenAI-compatible chat API on localhost. The prompt holds the class's description and a few of its real documents;
// the reply must be a JSON list of texts. Only loopback addresses are used unless the caller allows another host,
// and every failure (nothing listening, a refusal, a timeout, a reply that is not a list) is a clear message.

export interface LlmRequest {
  /** e.g. http://127.0.0.1:11434/v1 */
  baseUrl: string;
  model: string;
  label: string;
  description?: string;
  examples: string[];
  count: number;
  temperature?: number;
  maxWords?: number;
  timeoutSeconds?: number;
  /** Allow a server that is not on this computer (the documents shown to it leave the machine). */
  allowRemote?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const EXAMPLE_WORDS = 150;

export class LlmError extends Error {
  override name = 'LlmError';
}

export function checkServerUrl(baseUrl: string, allowRemote = false): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new LlmError(`--llm ${baseUrl}: not a URL (expected e.g. http://127.0.0.1:11434/v1).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LlmError(`--llm ${baseUrl}: only http and https servers are supported.`);
  if (!LOOPBACK.has(url.hostname) && !allowRemote) {
    throw new LlmError(`--llm ${baseUrl}: ${url.hostname} is not this computer, and the class's documents would be sent there; use a local server, or allow it explicitly (--allow-remote).`);
  }
  return url;
}

const clip = (text: string, words: number) => text.split(/\s+/).slice(0, words).join(' ');

export function buildPrompt(request: LlmRequest): Array<{ role: 'system' | 'user'; content: string }> {
  const examples = request.examples.map((text, i) => `Example ${i + 1}:\n${clip(text, EXAMPLE_WORDS)}`).join('\n\n');
  return [
    { role: 'system', content: 'You write realistic example documents for training a text classifier. You answer with a JSON array of strings and nothing else.' },
    {
      role: 'user',
      content:
        `Class: ${request.label}${request.description ? `\nWhat it means: ${request.description}` : ''}\n\n` +
        `Here are real documents of this class:\n\n${examples}\n\n` +
        `Write ${request.count} new documents of the class "${request.label}", each different from these and from each other, ` +
        `in the same style, each at most ${request.maxWords ?? 120} words. Do not copy sentences. Answer with a JSON array of ${request.count} strings.`,
    },
  ];
}

/** The texts in a model's reply: a JSON array of strings, possibly inside a code fence or with words around it. */
export function parseReply(content: string): string[] {
  const start = content.indexOf('[');
  const end = content.lastIndexOf(']');
  if (start >= 0 && end > start) {
    try {
      const value: unknown = JSON.parse(content.slice(start, end + 1));
      if (Array.isArray(value)) {
        const texts = value.map((v) => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { text?: unknown }).text === 'string' ? (v as { text: string }).text : '')).filter((t) => t.trim() !== '');
        if (texts.length > 0) return texts;
      }
    } catch {
      // fall through to the message below
    }
  }
  throw new LlmError(`the model's reply was not a JSON list of texts (it began: "${content.slice(0, 80).replace(/\s+/g, ' ')}")`);
}

export async function writeWithLlm(request: LlmRequest): Promise<string[]> {
  const url = checkServerUrl(request.baseUrl, request.allowRemote);
  const endpoint = `${url.href.replace(/\/$/, '')}/chat/completions`;
  const seconds = request.timeoutSeconds ?? 120;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: request.model, messages: buildPrompt(request), temperature: request.temperature ?? 0.8, stream: false }),
      signal: AbortSignal.timeout(seconds * 1000),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
    if ((error as Error).name === 'TimeoutError') throw new LlmError(`${endpoint} did not answer within ${seconds} s (a large model on a CPU can be slow: raise --timeout).`);
    throw new LlmError(`nothing answers at ${endpoint}${cause ? ` (${cause})` : ''}: start Ollama, llama.cpp's server or LM Studio, or check --llm.`);
  }
  const body = await response.text().catch(() => '');
  if (!response.ok) throw new LlmError(`${endpoint} refused the request (HTTP ${response.status}${body ? `: ${body.slice(0, 160).replace(/\s+/g, ' ')}` : ''}); is the model "${request.model}" installed there?`);
  let content: unknown;
  try {
    content = (JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
  } catch {
    throw new LlmError(`${endpoint} answered, but not with the chat API's JSON (it began: "${body.slice(0, 80)}").`);
  }
  if (typeof content !== 'string') throw new LlmError(`${endpoint} answered without a message (no choices[0].message.content).`);
  try {
    return parseReply(content);
  } catch (error) {
    throw new LlmError(`${endpoint}: ${(error as Error).message}`);
  }
}

/** What the prompt is made of, read from the project: a few real documents of the class and its description. */
export interface LlmPrompt {
  shown: Array<{ id: number; text: string }>;
  description?: string;
}

/**
 * The whole request, for the CLI and the app alike: the prompt is read, the model asked (which can take minutes),
 * then what it wrote is added as pending candidates whose sources are the documents shown. A failure before the
 * last step changes nothing.
 */
export async function llmCandidates<T>(request: Omit<LlmRequest, 'examples' | 'description'>, readPrompt: () => LlmPrompt | Promise<LlmPrompt>, add: (texts: string[], sources: number[]) => T): Promise<T> {
  checkServerUrl(request.baseUrl, request.allowRemote);
  const { shown, description } = await readPrompt();
  const texts = await writeWithLlm({ ...request, description, examples: shown.map((d) => d.text) });
  return add(texts.slice(0, request.count), shown.map((d) => d.id));
}
