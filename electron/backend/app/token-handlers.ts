// The app service's token-project channels (shared/contract.ts), kept apart from service.ts: documents with their
// words and spans, replacing a document's spans, the marks' spread, a run's entity results and tagging new text.
// Training a token project goes through 'train:start', which the service sends to the tagger (token-runs.ts).
import type { RequestArg, RequestResult } from '../../../shared/api.js';
import type { ProjectStore } from '../store/project-store.js';
import type { TaggerCache } from './token-runs.js';

type TokenChannel = 'tokens:query' | 'tokens:get' | 'tokens:setSpans' | 'tokens:review' | 'tokens:results' | 'tokens:predict';

/** `store` returns the open project's store (or throws); `modelDirOf` a finished run's model folder (or throws). */
export function tokenHandlers(
  store: () => ProjectStore,
  author: () => string | undefined,
  tagger: TaggerCache,
  modelDirOf: (runId: number) => string,
): { [C in TokenChannel]: (arg: RequestArg<C>) => RequestResult<C> | Promise<RequestResult<C>> } {
  return {
    'tokens:query': (query) => store().queryTokenDocuments(query),
    'tokens:get': ({ documentId }) => store().tokenDocument(documentId),
    'tokens:setSpans': ({ documentId, spans, finished }) => store().setDocumentSpans(documentId, spans, author(), finished),
    'tokens:review': () => store().tokenReview(),
    'tokens:results': ({ runId }) => store().tokenRunResults(runId),
    'tokens:predict': ({ runId, texts }) => tagger.tag(modelDirOf(runId), texts),
  };
}
