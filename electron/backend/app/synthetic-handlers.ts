// The app service's synthetic-example channels (shared/api.ts), kept apart from service.ts: generate candidates for a
// small class (from its own documents, or written by a local language model), list them, and record a person's
// review (accept, possibly with edited text, or reject).
import type { RequestArg, RequestResult } from '../../../shared/api.js';
import type { ProjectStore } from '../store/project-store.js';
import { llmCandidates } from '../synthetic/llm.js';

type SyntheticChannel = 'synthetic:generate' | 'synthetic:generateWithLlm' | 'synthetic:list' | 'synthetic:review' | 'synthetic:reviewMany';

/** `store` returns the open project's store, or throws the service's "no project is open" error. */
export function syntheticHandlers(store: () => ProjectStore, reviewer: () => string | undefined): { [C in SyntheticChannel]: (arg: RequestArg<C>) => RequestResult<C> | Promise<RequestResult<C>> } {
  return {
    'synthetic:generate': (request) => store().generateSynthetic(request),
    'synthetic:generateWithLlm': ({ examples = 5, ...request }) =>
      llmCandidates(
        request,
        () => ({ shown: store().syntheticPromptDocuments(request.label, examples), description: store().labels().find((l) => l.name === request.label)?.description ?? undefined }),
        (texts, sources) => store().addSyntheticCandidates(request.label, texts, sources, 'llm'),
      ),
    'synthetic:list': (filter) => store().listSynthetic(filter),
    'synthetic:review': ({ documentId, status, text }) => store().reviewSynthetic(documentId, status, text, reviewer()),
    'synthetic:reviewMany': ({ documentIds, status }) => store().reviewSyntheticMany(documentIds, status, reviewer()),
  };
}
