/** Refuses a document nested deeper than graphql-js can parse without overflowing its stack, before it is parsed. */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * How deep brackets (`{`, `[`, `(`) may nest in a document. graphql-js parses, validates and
 * coerces by recursion: a 3,000-level list literal or a 10,000-level selection overflows the stack
 * (a RangeError, not a GraphQL error). Real documents nest a few tens of levels: 12 levels of
 * fields at most (the depth limit), their inline fragments, and input objects or JSON literals
 * (at most 64 levels, see MAX_JSON_DEPTH).
 */
export const MAX_DOCUMENT_NESTING = 128;

const tooNested = (message: string) => new GraphQLError(message, { extensions: { code: 'QUERY_TOO_NESTED', http: { status: 400 } } });

/**
 * The deepest nesting of brackets in a GraphQL document, stopping as soon as it exceeds `max`.
 * One pass over the text, outside strings, block strings and comments; an ill-formed document is
 * left for the parser to refuse.
 */
export function nestingDepth(body: string, max = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  const n = body.length;
  for (let i = 0; i < n; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x7b || c === 0x5b || c === 0x28) {
      // { [ (
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      // } ] )
      if (depth > 0) depth--;
    } else if (c === 0x23) {
      // # a comment, to the end of the line
      while (i + 1 < n && body.charCodeAt(i + 1) !== 0x0a && body.charCodeAt(i + 1) !== 0x0d) i++;
    } else if (c === 0x22) {
      if (body.startsWith('"""', i)) {
        // a block string: up to the next unescaped """
        i += 3;
        while (i < n && !body.startsWith('"""', i)) i += body.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        // a string: up to the next unescaped " (or the end of the line: the parser refuses it)
        i++;
        while (i < n) {
          const d = body.charCodeAt(i);
          if (d === 0x5c) i += 2;
          else if (d === 0x22 || d === 0x0a || d === 0x0d) break;
          else i++;
        }
      }
    }
  }
  return deepest;
}

/**
 * Refuses documents nested deeper than MAX_DOCUMENT_NESTING before they are parsed (code
 * QUERY_TOO_NESTED), over HTTP and graphql-ws alike (both parse through yoga's envelope), and
 * turns a stack overflow in parsing, should one still happen, into a GraphQL error.
 */
export function parseGuard(max = MAX_DOCUMENT_NESTING): Plugin {
  return {
    onParse({ params }) {
      const body = typeof params.source === 'string' ? params.source : params.source.body;
      const depth = nestingDepth(body, max);
      if (depth > max) throw tooNested(`the document is nested more than ${max} levels deep (brackets, braces and parentheses); at most ${max} are allowed`);
      return ({ result, replaceParseResult }) => {
        if (result instanceof RangeError) replaceParseResult(tooNested('the document is nested too deeply to be parsed'));
      };
    },
  };
}
