// Type declarations for the two import libraries that ship without them (only what the importers use).

declare module 'html-to-text' {
  export interface SelectorDefinition {
    selector: string;
    format?: string;
    options?: Record<string, unknown>;
  }
  export interface HtmlToTextOptions {
    wordwrap?: number | false | null;
    selectors?: SelectorDefinition[];
    [option: string]: unknown;
  }
  /** Builds a converter once; far cheaper than convert() per document. */
  export function compile(options?: HtmlToTextOptions): (html: string) => string;
  export function convert(html: string, options?: HtmlToTextOptions): string;
}

declare module 'mammoth' {
  export interface ExtractResult {
    value: string;
    messages: { type: string; message: string }[];
  }
  export function extractRawText(input: { buffer: Buffer } | { path: string }): Promise<ExtractResult>;
}
